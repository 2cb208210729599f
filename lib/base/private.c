/* SPDX-License-Identifier: MIT */
/*
 * private.c - files that hold the program's memory (see private.h).
 * Fault path: open, fstat, fcntl, fchmod, ftruncate, close, strcmp, strlen,
 * strncmp.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/private.h"
#include "base/sigsafe.h"

/* strerror is neither async-signal-safe nor needed for more than these. */
static const char *errno_text(int e)
{
	switch (e) {
	case ENOENT: return "no such file or directory";
	case EACCES: return "permission denied";
	case EISDIR: return "it is a directory";
	case EROFS: return "read-only file system";
	case ENOTDIR: return "a component of the path is not a directory";
	case ENXIO: return "a FIFO nobody reads";
	case ENOSPC: return "no space left on device";
	case ENAMETOOLONG: return "file name too long";
	default: return "cannot be opened";
	}
}

/* "/dev/stdout", "/dev/stderr", "/dev/fd/N", "/proc/self/fd/N": the
 * descriptor they name, else -1.  Links into /proc that the program's
 * own descriptors stand behind: written through a copy of the descriptor,
 * where opening the link would be refused. */
static int stream_of(const char *path)
{
	static const char *const dirs[] = { "/dev/fd/", "/proc/self/fd/" };
	int n = 0;

	if (!strcmp(path, "/dev/stdout"))
		return 1;
	if (!strcmp(path, "/dev/stderr"))
		return 2;
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		size_t len = strlen(dirs[i]);
		const char *p = path + len;

		if (strncmp(path, dirs[i], len) || !*p)
			continue;
		for (; *p >= '0' && *p <= '9' && n < 100000; p++)
			n = n * 10 + (*p - '0');
		return *p ? -1 : n;
	}
	return -1;
}

int mw_open_private(const char *path, const char **why)
{
	struct stat st;
	int fd, e;

	fd = stream_of(path);
	if (fd >= 0) {
		fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
		if (fd < 0) {
			e = errno;
			*why = e == EBADF ? "that descriptor is not open" : errno_text(e);
			return -e;
		}
		return fd;
	}

	/* Not O_TRUNC: a file we refuse stays as it was.  O_NONBLOCK: a FIFO
	 * planted there must not hang the program. */
	fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK | O_CLOEXEC, 0600);
	if (fd < 0) {
		e = errno;
		*why = e == ELOOP ? "it is a symbolic link" : errno_text(e);
		return -e;
	}
	if (fstat(fd, &st) < 0) {
		e = errno;
		*why = errno_text(e);
		close(fd);
		return -e;
	}
	if (!S_ISCHR(st.st_mode)) {
		if (st.st_uid != geteuid()) {
			*why = "it belongs to another user";
			close(fd);
			return -EPERM;
		}
		if (S_ISREG(st.st_mode) && st.st_nlink > 1) {
			*why = "it has other hard links";
			close(fd);
			return -EPERM;
		}
	}
	if (S_ISREG(st.st_mode) &&
	    (((st.st_mode & 07777) != 0600 && fchmod(fd, 0600) < 0) || ftruncate(fd, 0) < 0)) {
		e = errno;
		*why = errno_text(e);
		close(fd);
		return -e;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	return fd;
}

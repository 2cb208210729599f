/* SPDX-License-Identifier: MIT */
/*
 * private.c - files that hold the program's memory (see private.h).
 * Fault path: open, fstat, fcntl, fchmod, ftruncate, close.
 */
#include <errno.h>
#include <fcntl.h>
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

int mw_open_private(const char *path, const char **why)
{
	struct stat st;
	int fd, e;

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

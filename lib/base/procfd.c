/* SPDX-License-Identifier: MIT */
/*
 * procfd.c - /proc/self files kept open between uses (see procfd.h).
 *                                                    [thread, library lock]
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/procfd.h"
#include "base/tid.h"

static const char *const paths[MW_PROC_FILES] = { "/proc/self/maps", "/proc/self/pagemap",
						       "/proc/self/stat" };

static struct kept {
	int fd;                 /* -1: none */
	pid_t pid;
	dev_t dev;
	ino_t ino;
} kept[MW_PROC_FILES] = { { -1, 0, 0, 0 }, { -1, 0, 0, 0 }, { -1, 0, 0, 0 } };

int mw_procfd_get(enum mw_procfile f)
{
	struct kept *k = &kept[f];
	struct stat st;
	int fd, high;

	if (k->fd >= 0) {
		int same = fstat(k->fd, &st) == 0 && st.st_dev == k->dev && st.st_ino == k->ino;

		if (same && k->pid == mw_pid())
			return k->fd;
		if (same)
			close(k->fd);   /* ours, inherited from the parent */
		k->fd = -1;     /* otherwise no longer ours: the program's now */
	}
	fd = open(paths[f], O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	high = fcntl(fd, F_DUPFD_CLOEXEC, MW_HIGH_FD);
	if (high < 0 || fstat(high, &st) != 0) {
		if (high >= 0)
			close(high);
		return fd;      /* not kept: closed after use */
	}
	close(fd);
	k->fd = high;
	k->pid = mw_pid();
	k->dev = st.st_dev;
	k->ino = st.st_ino;
	return high;
}

void mw_procfd_put(enum mw_procfile f, int fd)
{
	if (fd >= 0 && fd != kept[f].fd)
		close(fd);
}

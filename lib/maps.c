/* SPDX-License-Identifier: MIT */
/*
 * maps.c - reading /proc/self/maps without stdio or malloc. [thread]
 *
 * The buffer is mmap'ed: a malloc'ed one could sit on a watched heap page.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "maps.h"

static char *buf;
static size_t bufsize;

/* Reads the whole file; grows the buffer until it fits. */
static ssize_t slurp(void)
{
	for (;;) {
		size_t len = 0;
		int fd;

		if (!buf) {
			bufsize = bufsize ? bufsize * 2 : 256 * 1024;
			buf = mmap(NULL, bufsize, PROT_READ | PROT_WRITE,
				   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (buf == MAP_FAILED) {
				buf = NULL;
				return -ENOMEM;
			}
		}
		fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		for (;;) {
			ssize_t r = read(fd, buf + len, bufsize - 1 - len);
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0)
				break;
			len += (size_t)r;
			if (len == bufsize - 1)
				break;
		}
		close(fd);
		if (len < bufsize - 1) {
			buf[len] = 0;
			return (ssize_t)len;
		}
		munmap(buf, bufsize);
		buf = NULL;
	}
}

int mw_maps_walk(uintptr_t lo, uintptr_t hi, int gap_err,
		 int (*fn)(const struct mw_map *m, void *arg), void *arg)
{
	ssize_t len = slurp();
	const char *p;
	uintptr_t next = lo;   /* first byte not yet seen mapped */

	if (len < 0)
		return (int)len;
	for (p = buf; *p && next < hi;) {
		const char *eol = strchr(p, '\n');
		int more = eol != NULL;
		struct mw_map m;
		int r, spaces;

		if (!more)
			eol = p + strlen(p);
		m.start = mw_maps_hex(&p);
		p++;
		m.end = mw_maps_hex(&p);
		p++;
		m.prot = (p[0] == 'r' ? PROT_READ : 0) | (p[1] == 'w' ? PROT_WRITE : 0) |
			 (p[2] == 'x' ? PROT_EXEC : 0);
		m.shared = p[3] == 's';
		p += 5;
		m.offset = mw_maps_hex(&p);
		/* dev, then the inode in decimal, then the name. */
		for (spaces = 0; p < eol && spaces < 2; p++)
			if (*p == ' ')
				spaces++;
		for (m.inode = 0; *p >= '0' && *p <= '9'; p++)
			m.inode = m.inode * 10 + (unsigned long)(*p - '0');
		while (p < eol && *p == ' ')
			p++;
		*(char *)eol = 0;
		m.name = p;
		m.vstart = m.start;
		m.vend = m.end;
		p = more ? eol + 1 : eol;
		if (m.end <= next)
			continue;
		if (m.start >= hi)
			break;
		if (m.start > next)
			return gap_err;
		if (m.start < lo) {
			m.offset += lo - m.start;
			m.start = lo;
		}
		if (m.end > hi)
			m.end = hi;
		next = m.end;
		r = fn(&m, arg);
		if (r)
			return r;
	}
	return next < hi ? gap_err : 0;
}

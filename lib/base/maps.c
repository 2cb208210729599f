/* SPDX-License-Identifier: MIT */
/*
 * maps.c - reading /proc/self/maps without stdio or malloc. [thread]
 *
 * The buffer is mmap'ed: a malloc'ed one could sit on a watched heap page.
 *
 * Since Linux 6.11 the PROCMAP_QUERY ioctl on the file answers "the mapping
 * at or after this address" directly: no text of every mapping to format
 * and parse (57 us for 74 mappings here, five times per watch and unwatch).
 * It is tried first; the text is the fallback.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "base/env.h"
#include "base/maps.h"
#include "base/procfd.h"

/* The kernel's interface (include/uapi/linux/fs.h, Linux 6.11). */
struct procmap_query {
	uint64_t size;
	uint64_t query_flags;
	uint64_t query_addr;
	uint64_t vma_start, vma_end;
	uint64_t vma_flags;
	uint64_t vma_page_size;
	uint64_t vma_offset;
	uint64_t inode;
	uint32_t dev_major, dev_minor;
	uint32_t vma_name_size;
	uint32_t build_id_size;
	uint64_t vma_name_addr;
	uint64_t build_id_addr;
};
#define PROCMAP_QUERY_COVERING_OR_NEXT_VMA 0x10
#define PROCMAP_QUERY_VMA_READABLE 0x01
#define PROCMAP_QUERY_VMA_WRITABLE 0x02
#define PROCMAP_QUERY_VMA_EXECUTABLE 0x04
#define PROCMAP_QUERY_VMA_SHARED 0x08
#define PROCMAP_QUERY _IOWR('f', 17, struct procmap_query)

static int no_query;            /* the kernel has no PROCMAP_QUERY, or
				 * MEMWATCH_MAPS_TEXT asks for the text */

void mw_maps_init(void)
{
	/* Read once: environ may be on a page watched later. */
	if (mw_env("MEMWATCH_MAPS_TEXT"))
		no_query = 1;
}

/* mw_maps_walk by PROCMAP_QUERY; 1 when the kernel does not have it. */
static int walk_query(uintptr_t lo, uintptr_t hi, int gap_err,
		      int (*fn)(const struct mw_map *m, void *arg), void *arg)
{
	char name[4096];
	uintptr_t next = lo;
	int fd = mw_procfd_get(MW_PROC_MAPS), r = 0;

	if (fd < 0)
		return fd;
	while (next < hi) {
		struct procmap_query q;
		struct mw_map m;

		memset(&q, 0, sizeof(q));
		q.size = sizeof(q);
		q.query_flags = PROCMAP_QUERY_COVERING_OR_NEXT_VMA;
		q.query_addr = next;
		q.vma_name_addr = (uintptr_t)name;
		q.vma_name_size = sizeof(name);
		if (ioctl(fd, PROCMAP_QUERY, &q) < 0) {
			if (errno == ENOTTY || errno == EINVAL) {
				no_query = 1;
				r = 1;
			} else {
				r = errno == ENOENT ? gap_err : -errno;
			}
			break;
		}
		if (q.vma_start >= hi || q.vma_start > next) {
			r = gap_err;
			break;
		}
		if (!q.vma_name_size)
			name[0] = 0;
		m.vstart = q.vma_start;
		m.vend = q.vma_end;
		m.start = next;
		m.end = q.vma_end < hi ? q.vma_end : hi;
		m.prot = (q.vma_flags & PROCMAP_QUERY_VMA_READABLE ? PROT_READ : 0) |
			 (q.vma_flags & PROCMAP_QUERY_VMA_WRITABLE ? PROT_WRITE : 0) |
			 (q.vma_flags & PROCMAP_QUERY_VMA_EXECUTABLE ? PROT_EXEC : 0);
		m.shared = (q.vma_flags & PROCMAP_QUERY_VMA_SHARED) != 0;
		m.offset = q.vma_offset + (next - q.vma_start);
		m.inode = q.inode;
		m.name = name;
		next = m.end;
		r = fn(&m, arg);
		if (r)
			break;
	}
	mw_procfd_put(MW_PROC_MAPS, fd);
	return r;
}

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
	ssize_t len;
	const char *p;
	uintptr_t next = lo;   /* first byte not yet seen mapped */

	if (!no_query) {
		int r = walk_query(lo, hi, gap_err, fn, arg);

		if (!(r == 1 && no_query))
			return r;
	}
	len = slurp();
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

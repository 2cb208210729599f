/* SPDX-License-Identifier: MIT */
/*
 * codefile.c - original code bytes from the mapped file (see codefile.h).
 * Fault path: open, read, pread, close; parsing on the stack.
 */
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "base/codefile.h"
#include "base/maps.h"
#include "base/sigsafe.h"

/* One line of /proc/self/maps: the file offset and path of PC's mapping. */
static int match(const char *line, uintptr_t pc, uintptr_t *off, const char **path)
{
	const char *p = line;
	uintptr_t lo = mw_maps_hex(&p), hi;

	if (*p++ != '-')
		return 0;
	hi = mw_maps_hex(&p);
	if (pc < lo || pc >= hi)
		return 0;
	while (*p == ' ')
		p++;
	p += 5;                         /* "r-xp " */
	*off = mw_maps_hex(&p) + (pc - lo);
	for (int field = 0; field < 2 && *p; field++) {  /* dev, inode */
		while (*p == ' ')
			p++;
		while (*p && *p != ' ')
			p++;
	}
	while (*p == ' ')
		p++;
	*path = p;
	return *p == '/';
}

/* Calls FN(line, ARG) for the line of /proc/self/maps whose mapping holds
 * PC, if one does; returns its result, else 0. */
static size_t with_line(uintptr_t pc, size_t (*fn)(const char *line, uintptr_t pc, void *arg),
			void *arg)
{
	char chunk[4096 + 512];
	size_t have = 0, ret = 0;
	ssize_t r;
	int maps = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);

	if (maps < 0)
		return 0;
	/* Line by line through a window: a line is < 512 bytes here. */
	while ((r = read(maps, chunk + have, sizeof(chunk) - 1 - have)) > 0 || have) {
		size_t len = have + (r > 0 ? (size_t)r : 0), start = 0;

		chunk[len] = 0;
		for (size_t i = 0; i < len; i++) {
			const char *p = chunk + start;
			uintptr_t lo, hi;

			if (chunk[i] != '\n')
				continue;
			chunk[i] = 0;
			lo = mw_maps_hex(&p);
			if (*p++ == '-' && (hi = mw_maps_hex(&p), pc >= lo && pc < hi)) {
				ret = fn(chunk + start, pc, arg);
				close(maps);
				return ret;
			}
			start = i + 1;
		}
		if (r <= 0)
			break;
		have = len - start;
		for (size_t i = 0; i < have; i++)
			chunk[i] = chunk[start + i];
	}
	close(maps);
	return 0;
}

struct want {
	uint8_t *buf;
	size_t n;
};

static size_t read_file(const char *line, uintptr_t pc, void *arg)
{
	struct want *w = arg;
	uintptr_t off;
	const char *path;

	if (!match(line, pc, &off, &path))
		return 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t got = fd >= 0 ? pread(fd, w->buf, w->n, (off_t)off) : -1;

	if (fd >= 0)
		close(fd);
	return got > 0 ? (size_t)got : 0;
}

size_t mw_code_from_file(uintptr_t pc, uint8_t *buf, size_t n)
{
	return with_line(pc, read_file, &(struct want){ buf, n });
}

/* PROT_* + 1 of the line's permissions ("r-xp"). */
static size_t perms(const char *line, uintptr_t pc, void *arg)
{
	const char *p = line;

	(void)pc;
	(void)arg;
	while (*p && *p != ' ')
		p++;
	if (!p[0] || !p[1] || !p[2] || !p[3])
		return 0;
	return 1 + (size_t)((p[1] == 'r' ? PROT_READ : 0) | (p[2] == 'w' ? PROT_WRITE : 0) |
			    (p[3] == 'x' ? PROT_EXEC : 0));
}

int mw_code_prot(uintptr_t pc)
{
	return (int)with_line(pc, perms, NULL) - 1;
}

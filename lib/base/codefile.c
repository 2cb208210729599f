/* SPDX-License-Identifier: MIT */
/*
 * codefile.c - original code bytes from the mapped file (see codefile.h).
 * Fault path: open, read, pread, close; parsing on the stack.
 */
#include <fcntl.h>
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

size_t mw_code_from_file(uintptr_t pc, uint8_t *buf, size_t n)
{
	char chunk[4096 + 512];
	size_t have = 0;
	ssize_t r;
	int maps = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);

	if (maps < 0)
		return 0;
	/* Line by line through a window: a line is < 512 bytes here. */
	while ((r = read(maps, chunk + have, sizeof(chunk) - 1 - have)) > 0 || have) {
		size_t len = have + (r > 0 ? (size_t)r : 0), start = 0;

		chunk[len] = 0;
		for (size_t i = 0; i < len; i++) {
			uintptr_t off;
			const char *path;

			if (chunk[i] != '\n')
				continue;
			chunk[i] = 0;
			if (match(chunk + start, pc, &off, &path)) {
				int fd = open(path, O_RDONLY | O_CLOEXEC);
				ssize_t got = fd >= 0 ? pread(fd, buf, n, (off_t)off) : -1;

				if (fd >= 0)
					close(fd);
				close(maps);
				return got > 0 ? (size_t)got : 0;
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

/* SPDX-License-Identifier: MIT */
/*
 * watch.h - small checks around the mw_* API for the C tests (header only,
 * after memwatch.h and tap.h).
 *
 * watch(addr, len, flags) is mw_watch that bails out on a refusal (the
 * watch is the test's premise, not what it checks); is_count(id, want,
 * what) is a test point for the watch's count; map_pages(n) is n fresh
 * read-write pages of their own (bails out if there are none); perms_of(addr,
 * out) the permissions of addr's mapping in /proc/self/maps (read_maps() the
 * text); maps_around(lo, hi, out, len) the lines of /proc/self/maps for
 * [lo, hi) and the mapping on each side.
 */
#ifndef MW_TEST_WATCH_H
#define MW_TEST_WATCH_H

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <string.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

__attribute__((unused))
static int watch(const void *addr, size_t len, unsigned flags)
{
	int id = mw_watch(addr, len, flags);

	if (id <= 0)
		bail("mw_watch(%p, %zu, 0x%x) = %d (%s)", addr, len, flags, id,
		     mw_strerror(id));
	return id;
}

__attribute__((unused))
static void is_count(int id, uint64_t want, const char *what)
{
	uint64_t c = ~0ull;
	int r = mw_count(id, &c);

	if (!ok(r == 0 && c == want, "%s: count %" PRIu64, what, want))
		diag("  mw_count(%d) = %d, count %" PRIu64, id, r, c);
}

__attribute__((unused))
static void *map_pages(size_t n)
{
	void *p = mmap(NULL, n * 4096, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		bail("mmap: %s", strerror(errno));
	return p;
}

/* /proc/self/maps now, in a buffer of its own (the next call reuses it). */
__attribute__((unused))
static char *read_maps(void)
{
	static char maps_buf[1 << 20];
	size_t n = 0;
	ssize_t r;
	int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		bail("open /proc/self/maps: %s", strerror(errno));
	while ((r = read(fd, maps_buf + n, sizeof(maps_buf) - 1 - n)) > 0)
		n += (size_t)r;
	close(fd);
	maps_buf[n] = 0;
	return maps_buf;
}

/* The permissions of ADDR's mapping as /proc/self/maps says ("rw-p"), or
 * "none" where nothing is mapped. */
__attribute__((unused))
static void perms_of(const volatile void *addr, char out[5])
{
	uintptr_t a = (uintptr_t)addr;
	char *p;

	strcpy(out, "none");
	for (p = read_maps(); *p; ) {
		char *e = strchr(p, '\n');
		unsigned long lo, hi;
		char perms[5];

		if (sscanf(p, "%lx-%lx %4s", &lo, &hi, perms) == 3 && a >= lo && a < hi) {
			memcpy(out, perms, 5);
			return;
		}
		if (!e)
			break;
		p = e + 1;
	}
}

/* The lines of /proc/self/maps of the mappings over [LO, HI) and of the
 * one before and the one after them, into OUT (cut to LEN - 1 bytes). */
__attribute__((unused))
static void maps_around(const volatile void *lo, const volatile void *hi, char *out, size_t len)
{
	static char text[1 << 20];
	char *lines[4096];
	size_t n = 0, nl = 0, first = SIZE_MAX, last = 0, used = 0;
	ssize_t r;
	int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		bail("open /proc/self/maps: %s", strerror(errno));
	while ((r = read(fd, text + n, sizeof(text) - 1 - n)) > 0)
		n += (size_t)r;
	close(fd);
	text[n] = 0;
	for (char *p = text; *p && nl < 4096; ) {
		char *e = strchr(p, '\n');
		unsigned long a, b;

		lines[nl] = p;
		if (sscanf(p, "%lx-%lx", &a, &b) == 2 && a < (uintptr_t)hi && b > (uintptr_t)lo) {
			if (first == SIZE_MAX)
				first = nl;
			last = nl;
		}
		nl++;
		if (!e)
			break;
		*e = 0;
		p = e + 1;
	}
	out[0] = 0;
	if (first == SIZE_MAX)
		return;
	for (size_t i = first ? first - 1 : 0; i <= last + 1 && i < nl; i++)
		used += (size_t)snprintf(out + used, used < len ? len - used : 0, "%s\n", lines[i]);
}

#endif /* MW_TEST_WATCH_H */

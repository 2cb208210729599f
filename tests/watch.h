/* SPDX-License-Identifier: MIT */
/*
 * watch.h - small checks around the mw_* API for the C tests (header only,
 * after memwatch.h and tap.h).
 *
 * watch(addr, len, flags) is mw_watch that bails out on a refusal (the
 * watch is the test's premise, not what it checks); is_count(id, want,
 * what) is a test point for the watch's count; map_pages(n) is n fresh
 * read-write pages of their own (bails out if there are none).
 */
#ifndef MW_TEST_WATCH_H
#define MW_TEST_WATCH_H

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

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

#endif /* MW_TEST_WATCH_H */

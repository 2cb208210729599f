/* SPDX-License-Identifier: MIT */
/*
 * t-maplimit - isolated watched pages up to vm.max_map_count: at the
 * default limit (65 530) over 20 000 pages of their own can be watched
 * (each takes three mappings: its own, the rest of the program's mapping
 * it splits, the program's mapping kept aside); at the limit mw_watch
 * fails with -ENOMEM, whose text names vm.max_map_count; every watch
 * counts its store; every mw_unwatch succeeds, also at the limit, and
 * afterwards the values are as before and every page is the program's
 * memory again (none is left a mapping of the library's memfd).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "memwatch.h"
#include "tap.h"

#define WANT 20000
#define MAX 40000

static int ids[MAX];

/* How many mappings overlap [lo, hi); with MEMFD, of the library's
 * memfd only. */
static long maps_over(uintptr_t lo, uintptr_t hi, int memfd)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	long n = 0;

	while (f && fgets(line, sizeof(line), f)) {
		unsigned long a, b;

		if (sscanf(line, "%lx-%lx", &a, &b) == 2 && a < hi && b > lo &&
		    (!memfd || strstr(line, "/memfd:memwatch ")))
			n++;
	}
	if (f)
		fclose(f);
	return n;
}

int main(void)
{
	long ps = sysconf(_SC_PAGESIZE), limit = 0, before;

	FILE *f = fopen("/proc/sys/vm/max_map_count", "r");
	int n, err = 0, bad = 0, id;
	uint64_t c;
	char *p;

	if (!f || fscanf(f, "%ld", &limit) != 1)
		skip_all("no /proc/sys/vm/max_map_count");
	fclose(f);
	if (limit < 65530)
		skip_all("vm.max_map_count is %ld, below the default 65530", limit);
	plan(7);
	/* Between two inaccessible pages: never merged with a mapping of the
	 * library's or the C library's. */
	p = mmap(NULL, (size_t)(2 * MAX + 2) * (size_t)ps, PROT_NONE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED ||
	    mprotect(p + ps, (size_t)(2 * MAX) * (size_t)ps, PROT_READ | PROT_WRITE) < 0)
		bail("mmap: %m");
	p += ps;
	for (int i = 0; i < MAX; i++)
		*(int *)(p + (size_t)2 * i * ps) = i;
	/* The library's own mappings exist after a first watch. */
	id = mw_watch(p, 4, MW_WRITE);
	mw_unwatch(id);
	before = maps_over((uintptr_t)p, (uintptr_t)p + (size_t)(2 * MAX) * (size_t)ps, 0);

	/* At the default limit, up to the limit; above, WANT. */
	for (n = 0; n < (limit > 70000 ? WANT : MAX); n++) {
		ids[n] = mw_watch(p + (size_t)2 * n * ps, 4, MW_WRITE);
		if (ids[n] < 0) {
			err = ids[n];
			break;
		}
	}
	ok(n >= WANT, "%d pages of their own watched (vm.max_map_count %ld)", n, limit);
	if (limit > 70000)
		ok(1, "# SKIP vm.max_map_count %ld: the limit is not reached", limit);
	else
		ok(err == -ENOMEM && strstr(mw_strerror(err), "vm.max_map_count"),
		   "at the limit: %s", err ? mw_strerror(err) : "no error");
	for (int i = 0; i < n; i += n / 7 + 1)
		*(int *)(p + (size_t)2 * i * ps) = -i;
	for (int i = 0; i < n && !bad; i++)
		bad = mw_count(ids[i], &c) != 0 || c != (i % (n / 7 + 1) == 0);
	ok(!bad, "every watch counted its page's store, and only it");
	bad = 0;
	for (int i = n - 1; i >= 0; i--)
		if (mw_unwatch(ids[i]) != 0)
			bad++;
	ok(!bad, "all %d unwatches succeeded (%d failed)", n, bad);
	for (int i = 0; i < MAX && !bad; i++)
		bad = *(int *)(p + (size_t)2 * i * ps) != (i < n && i % (n / 7 + 1) == 0 ? -i : i);
	ok(!bad, "every page holds its value");
	ok(before == 1 && maps_over((uintptr_t)p, (uintptr_t)p + (size_t)(2 * MAX) * (size_t)ps, 1) == 0,
	   "no page is left a mapping of the library's memfd: %ld",
	   maps_over((uintptr_t)p, (uintptr_t)p + (size_t)(2 * MAX) * (size_t)ps, 1));
	ok(mw_total_count() == (uint64_t)((n + n / 7) / (n / 7 + 1)), "the total: %llu",
	   (unsigned long long)mw_total_count());
	return done();
}

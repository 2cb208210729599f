/* SPDX-License-Identifier: MIT */
/*
 * t-maplimit - watches at the limit of mappings (vm.max_map_count).
 * Isolated pages (every other page of one mapping) are watched until
 * mw_watch fails: it fails with -ENOMEM and a message that names
 * vm.max_map_count, and only after 30 000 pages at the default limit
 * (issue 19); each watched page counts its store.  Then, still at the limit,
 * every mw_unwatch succeeds and gives its page back: the mapping is one
 * again, every byte exact; a second time, as many pages and as many
 * mappings in the process after (none left behind).  The same when the
 * program itself took every mapping left after its watches.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "memwatch.h"
#include "tap.h"
#include "maplimit.h"
#include "watch.h"
#include "section.h"
#include "sanitizer.h"

#define MAXPAGES 70000
#define N_WATCH_LIMIT 8
#define N_PROGRAM_LIMIT 5

static int ps;
static int ids[MAXPAGES];

/* Mappings of the process, and of them those that meet [lo, hi): read
 * through a small buffer (no memory to allocate at the limit). */
static long count_maps(uintptr_t lo, uintptr_t hi, long *in)
{
	static char buf[65536];
	char line[512];
	size_t ll = 0;
	long total = 0;
	ssize_t r;
	int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		bail("open /proc/self/maps: %s", strerror(errno));
	*in = 0;
	while ((r = read(fd, buf, sizeof(buf))) > 0)
		for (ssize_t i = 0; i < r; i++) {
			unsigned long a, b;

			if (buf[i] != '\n') {
				if (ll < sizeof(line) - 1)
					line[ll++] = buf[i];
				continue;
			}
			line[ll] = 0;
			ll = 0;
			total++;
			if (sscanf(line, "%lx-%lx", &a, &b) == 2 && a < hi && b > lo)
				(*in)++;
		}
	close(fd);
	return total;
}

static long max_map_count(void)
{
	char b[32] = "";
	int fd = open("/proc/sys/vm/max_map_count", O_RDONLY);

	if (fd >= 0) {
		if (read(fd, b, sizeof(b) - 1) < 0)
			b[0] = 0;
		close(fd);
	}
	return atol(b);
}

static char *region(size_t npages)
{
	char *p = mmap(NULL, npages * (size_t)ps, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (p == MAP_FAILED)
		bail("mmap: %s", strerror(errno));
	return p;
}

static char value(int i)
{
	return (char)(i % 250 + 1);
}

/* A watch and an unwatch elsewhere: what the library keeps between
 * watches (its memory, its reserve of mappings) is there before the
 * count. */
static void warm_up(void)
{
	char *w = region(1);

	mw_unwatch(watch(w, 8, MW_WRITE));
	munmap(w, (size_t)ps);
}

/* Isolated pages of P (2 * n + 1 pages) watched until mw_watch fails, a
 * store into each, all unwatched: how many were watched; *R the failure,
 * *STORED the stores counted, *FAILED the unwatches that failed, *WRONG the
 * pages whose bytes are not the program's after. */
static int to_the_limit(char *p, size_t n, int *r, uint64_t *stored, int *failed, int *wrong)
{
	uint64_t total;
	int k;

	*r = 0;
	*failed = *wrong = 0;
	for (k = 0; k < (int)n; k++) {
		char *q = p + (size_t)(2 * k + 1) * (size_t)ps;

		q[0] = value(k);
		*r = mw_watch(q + 16, 8, MW_WRITE);
		if (*r < 0)
			break;
		ids[k] = *r;
	}
	total = mw_total_count();
	for (int i = 0; i < k; i++)
		p[(size_t)(2 * i + 1) * (size_t)ps + 16] = value(i + 1);
	*stored = mw_total_count() - total;
	for (int i = 0; i < k; i++)
		*failed += mw_unwatch(ids[i]) != 0;
	total = mw_total_count();
	for (int i = 0; i < k; i++) {
		char *q = p + (size_t)(2 * i + 1) * (size_t)ps;

		*wrong += q[0] != value(i) || q[16] != value(i + 1) || q[1] != 0;
		q[16] = 0;
	}
	*wrong += mw_total_count() != total;
	return k;
}

static void sec_watch_limit(void)
{
	long limit = max_map_count(), before, after, in;
	size_t n = MAXPAGES;
	uintptr_t lo, hi;
	char *p;
	int k, k2, r, failed, wrong;
	uint64_t stored;

	warm_up();
	p = region(2 * n + 1);
	lo = (uintptr_t)p;
	hi = lo + (2 * n + 1) * (size_t)ps;
	k = to_the_limit(p, n, &r, &stored, &failed, &wrong);
	ok(r == -ENOMEM && strstr(mw_strerror(r), "vm.max_map_count"),
	   "isolated pages watched until mw_watch fails: -ENOMEM, naming vm.max_map_count (%d: %s)",
	   r, mw_strerror(r));
	if (limit == 65530)
		ok(k >= 30000, "at the default vm.max_map_count: %d pages watched (at least 30000)", k);
	else
		ok(1, "# SKIP vm.max_map_count is %ld, not the default 65530 (%d pages watched)",
		   limit, k);
	ok(stored == (uint64_t)k, "a store into each counted: %llu of %d",
	   (unsigned long long)stored, k);
	ok(failed == 0, "mw_unwatch of each of the %d, at the limit: none fails (%d)", k, failed);
	ok(wrong == 0, "every byte as the program left it, stores no longer counted (%d pages wrong)",
	   wrong);
	count_maps(lo, hi, &in);
	ok(in == 1, "the mapping is one again (%ld)", in);
	/* The library's memory for that many watches is there now, kept. */
	before = count_maps(lo, hi, &in);
	k2 = to_the_limit(p, n, &r, &stored, &failed, &wrong);
	after = count_maps(lo, hi, &in);
	ok(k2 >= k - k / 100 && k2 <= k + k / 100 && r == -ENOMEM && stored == (uint64_t)k2 && !failed && !wrong && in == 1,
	   "a second time the same: %d pages (%d before), counted, unwatched, exact, one mapping",
	   k2, k);
	ok(after == before, "as many mappings in the process as after the first time (%ld, %ld)",
	   after, before);
	munmap(p, (2 * n + 1) * (size_t)ps);
}


#define PROGRAM_PAGES 3000

static void sec_program_limit(void)
{
	char *p;
	int bad = 0;
	long in;

	warm_up();
	p = region(2 * PROGRAM_PAGES + 1);
	for (int i = 0; i < PROGRAM_PAGES; i++) {
		char *q = p + (size_t)(2 * i + 1) * (size_t)ps;

		q[0] = value(i);
		ids[i] = watch(q, 8, MW_WRITE);
	}
	fill_map_count();
	ok(mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED,
	   "the program took every mapping left");
	for (int i = 0; i < PROGRAM_PAGES; i++)
		bad += mw_unwatch(ids[i]) != 0;
	is_int(bad, 0, "mw_unwatch of each of the %d: none fails", PROGRAM_PAGES);
	count_maps((uintptr_t)p, (uintptr_t)(p + (2 * PROGRAM_PAGES + 1) * (size_t)ps), &in);
	is_int(in, 1, "still at the limit, the mapping is one again");
	for (int i = 0; i < PROGRAM_PAGES; i++)
		bad += p[(size_t)(2 * i + 1) * (size_t)ps] != value(i);
	is_int(bad, 0, "every page holds its byte");
	unfill_map_count();
	p[ps] = 9;
	ok(p[ps] == 9 && mw_total_count() == 0, "the pages are the program's again (no count)");
}

int main(void)
{
	ps = (int)sysconf(_SC_PAGESIZE);
	if (MW_ASAN)
		/* ASan maps memory of its own as it goes: at the limit it
		 * aborts before the library is asked anything. */
		skip_all("AddressSanitizer needs mappings at the limit too");
	plan(N_WATCH_LIMIT + 1 + N_PROGRAM_LIMIT + 1);
	run_section("watches up to the limit", N_WATCH_LIMIT, sec_watch_limit);
	run_section("the program at the limit", N_PROGRAM_LIMIT, sec_program_limit);
	return done();
}

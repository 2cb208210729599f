/* SPDX-License-Identifier: MIT */
/*
 * bench-watch.c - what mw_watch and mw_unwatch cost, by size.
 *
 * In one process, next to the floor (bench.h), the time of one call:
 *
 *   watch_unwatch_4k       mw_watch + mw_unwatch of one populated 4 KiB page
 *                          (no other watch: each is the process's first
 *                          watch and last unwatch); at most 20 us (issue 19)
 *   watch_1m, unwatch_1m   1 MiB, every page populated; at most 0.3 ms each
 *   watch_unwatch_4k_live, watch_1m_live, unwatch_1m_live
 *                          the same while another watch lives (on a page of
 *                          its own): what the library keeps between watches
 *                          (memfd space, dispatch) is kept
 *   watch_1g_sparse, unwatch_1g_sparse
 *                          1 GiB of anonymous memory with 16 pages touched
 *   watch_1g_full, unwatch_1g_full
 *                          1 GiB, every page populated (the watch copies it
 *                          into a memfd: 2 GiB at the peak).  With less than
 *                          3 GiB of memory available, or with
 *                          BENCH_FULL_MIB=N in the environment, a smaller
 *                          size is used, and the figure's name and the
 *                          output say which (full_mib=N)
 *
 * Each figure is the median of RUNS runs (default 15; 5 for the 1 GiB
 * cases, 3 for the populated one), with the fastest and slowest.  The 4 KiB
 * figure is the mean of 100 pairs per run.  Each watch is checked: one
 * store to a populated page of it counts 1, and after the last unwatch each
 * page holds what the program wrote (a byte of its own) or zeros.
 *
 * Usage: bench-watch [RUNS]        (make bench runs it)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bench.h"
#include "memwatch.h"

#define USAGE "bench-watch [RUNS (1-1000)]"
#define MIB (1024.0 * 1024.0)

static long page_size;
static int bad;

static char *map(size_t len)
{
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (p == MAP_FAILED) {
		perror("bench-watch: mmap");
		exit(1);
	}
	return p;
}

static int watch(void *p, size_t len)
{
	int id = mw_watch(p, len, MW_WRITE);

	if (id < 0) {
		fprintf(stderr, "bench-watch: mw_watch of %zu bytes: %s\n", len, mw_strerror(id));
		exit(1);
	}
	return id;
}

/* The watch on P is armed: a store to it counts once, and the byte there
 * still holds what the program wrote before the watch. */
static void check(int id, volatile char *p, char was, const char *name)
{
	uint64_t n = 0;
	char v = *p;

	*p = v;
	mw_count(id, &n);
	if (n != 1 || v != was) {
		fprintf(stderr, "bench-watch: %s: count %llu (expected 1), byte %d (expected %d)\n",
			name, (unsigned long long)n, v, was);
		bad = 1;
	}
}

/* The byte the program writes to page N of a range: a page moved to the
 * wrong place shows. */
static char mark(size_t n)
{
	return (char)(n * 37 % 251 + 1);
}

/* 4 KiB: the mean time of PAIRS watch + unwatch pairs, per pair. */
static void pairs_4k(struct bench_fig *fig, int runs)
{
	enum { PAIRS = 100 };
	double t[BENCH_MAX_RUNS];
	char *p = map((size_t)page_size);

	memset(p, 7, (size_t)page_size);
	for (int r = -1; r < runs; r++) {       /* -1: warm-up */
		double t0 = bench_now_ns();

		for (int i = 0; i < PAIRS; i++)
			mw_unwatch(watch(p, (size_t)page_size));
		if (r >= 0)
			t[r] = (bench_now_ns() - t0) / PAIRS;
	}
	bench_stats(fig, t, runs);
	int id = watch(p, (size_t)page_size);

	check(id, p + 100, 7, fig->name);
	mw_unwatch(id);
	munmap(p, (size_t)page_size);
}

/* LEN bytes with every STEP-th byte touched: the watch and the unwatch
 * timed apart. */
static void pair(struct bench_fig *w, struct bench_fig *u, int runs, size_t len, size_t step)
{
	double tw[BENCH_MAX_RUNS], tu[BENCH_MAX_RUNS];
	char *p = map(len);

	for (size_t off = 0; off < len; off += step)
		p[off] = mark(off / step);
	for (int r = 0; r < runs; r++) {
		double t0 = bench_now_ns();
		int id = watch(p, len);
		double t1 = bench_now_ns();

		if (r == 0)
			check(id, p + step, mark(1), w->name);
		mw_unwatch(id);
		tw[r] = t1 - t0;
		tu[r] = bench_now_ns() - t1;
	}
	bench_stats(w, tw, runs);
	bench_stats(u, tu, runs);
	/* Every touched page is back with its own byte, the others zero. */
	for (size_t off = 0; off < len; off += (size_t)page_size)
		if (p[off] != (off % step ? 0 : mark(off / step)) || p[off + 1] != 0) {
			fprintf(stderr, "bench-watch: %s: after unwatch, byte %zu is %d\n",
				u->name, off, p[off]);
			bad = 1;
			break;
		}
	munmap(p, len);
}

int main(int argc, char **argv)
{
	int runs = (int)bench_arg(argc, argv, 1, 15, BENCH_MAX_RUNS, USAGE);
	int big_runs = runs < 5 ? runs : 5, full_runs = runs < 3 ? runs : 3;
	size_t gib = (size_t)1 << 30, full = gib;
	double avail;
	const char *env = getenv("BENCH_FULL_MIB");
	static char full_w[64], full_u[64], full_what[96];
	struct bench_fig fig[11] = {
		{ .name = "floor" },
		{ .name = "watch_unwatch_4k", .what = "mw_watch + mw_unwatch, 4 KiB populated",
		  .at_most = 20e3 },
		{ .name = "watch_1m", .what = "mw_watch, 1 MiB populated", .at_most = 0.3e6 },
		{ .name = "unwatch_1m", .what = "mw_unwatch, 1 MiB populated", .at_most = 0.3e6 },
		{ .name = "watch_1g_sparse", .what = "mw_watch, 1 GiB, 16 pages touched",
		  .at_most = 0.1e9 },
		{ .name = "unwatch_1g_sparse", .what = "mw_unwatch, 1 GiB, 16 pages touched" },
		{ .name = full_w, .what = full_what, .at_most = 1e9 },
		{ .name = full_u, .what = "mw_unwatch, the same" },
		{ .name = "watch_unwatch_4k_live", .what = "the 4 KiB pair, another watch live",
		  .at_most = 20e3 },
		{ .name = "watch_1m_live", .what = "mw_watch, 1 MiB, another watch live",
		  .at_most = 0.3e6 },
		{ .name = "unwatch_1m_live", .what = "mw_unwatch, the same", .at_most = 0.3e6 },
	};
	char *other;
	int keep;
	char title[160];

	page_size = sysconf(_SC_PAGESIZE);
	avail = (double)sysconf(_SC_AVPHYS_PAGES) * (double)page_size;
	if (env) {
		char *end;
		long mib = strtol(env, &end, 10);

		if (end == env || *end || mib < 1 || mib > 1024) {
			fprintf(stderr, "bench-watch: BENCH_FULL_MIB must be 1..1024\n");
			return 2;
		}
		full = (size_t)mib << 20;
	} else {
		/* The populated range and its memfd copy, with room to spare. */
		while (full > ((size_t)64 << 20) && (double)full * 3 > avail)
			full /= 2;
	}
	if (full == gib) {
		snprintf(full_w, sizeof full_w, "watch_1g_full");
		snprintf(full_u, sizeof full_u, "unwatch_1g_full");
		snprintf(full_what, sizeof full_what, "mw_watch, 1 GiB, every page populated");
	} else {
		snprintf(full_w, sizeof full_w, "watch_%zum_full", full >> 20);
		snprintf(full_u, sizeof full_u, "unwatch_%zum_full", full >> 20);
		snprintf(full_what, sizeof full_what,
			 "mw_watch, %zu MiB (not 1 GiB: %.0f MiB available), populated",
			 full >> 20, avail / MIB);
		/* The 1 GiB target, scaled: the copy is linear in the size. */
		fig[6].at_most = 1e9 * (double)full / (double)gib;
	}
	snprintf(fig[6].extra, sizeof fig[6].extra, "full_mib=%zu", full >> 20);

	bench_floor(&fig[0], runs, 20000);
	pairs_4k(&fig[1], runs);
	pair(&fig[2], &fig[3], runs, (size_t)1 << 20, (size_t)page_size);
	pair(&fig[4], &fig[5], big_runs, gib, gib / 16);
	pair(&fig[6], &fig[7], full_runs, full, (size_t)page_size);
	other = map((size_t)page_size);
	keep = watch(other, 8);
	pairs_4k(&fig[8], runs);
	pair(&fig[9], &fig[10], runs, (size_t)1 << 20, (size_t)page_size);
	mw_unwatch(keep);
	munmap(other, (size_t)page_size);

	snprintf(title, sizeof title,
		 "memwatch bench-watch: %d runs (1 GiB sparse: %d, populated: %d); per call",
		 runs, big_runs, full_runs);
	bench_print(title, fig, 11);
	if (bad)
		fprintf(stderr, "bench-watch: some checks failed (see above)\n");
	return bad;
}

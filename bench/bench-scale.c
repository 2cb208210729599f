/* SPDX-License-Identifier: MIT */
/*
 * bench-scale.c - what watches cost when there are many of them.
 *
 * In one process, next to the floor (bench.h):
 *
 *   watch_100k_4m, unwatch_100k_4m
 *                    100 000 watches of 16 bytes (every 40 bytes) in one
 *                    4 MiB buffer: all of them made, then all removed (one
 *                    run each; at most 1 s each)
 *   watch_10k_pages, unwatch_10k_pages
 *                    10 000 watches of 8 bytes, each on a page of its own
 *                    (every other page of a mapping): all made, all removed
 *                    (at most 0.5 s each)
 *   pair_N           with N watches live in the 4 MiB buffer (N = 1, 10,
 *                    100, 1000, 10 000, 100 000): one more mw_watch +
 *                    mw_unwatch of 8 bytes on a page already watched; at
 *                    most 1.2 times pair_1 for N >= 10 000
 *   page_pair_N      the same for a populated page of its own (it moves
 *                    into a memfd and back each time)
 *   store_N          a store into a watched 16-byte slot, counted, with N
 *                    watches live; at most 1.1 times store_1 for 100 000
 *   watch_to_limit, unwatch_at_limit
 *                    isolated pages (every other page of one mapping)
 *                    watched until mw_watch fails at vm.max_map_count
 *                    (at most 70 000), then all unwatched there: wall
 *                    time, with pages=N on the metric line (at least
 *                    30 000 at the default limit of 65 530: met=), and
 *                    failed= the unwatches that failed (none should)
 *
 * Each pair and store figure is the median of RUNS runs (default 5) of the
 * mean of 200 pairs or 5 000 stores, in CPU time of the process (user and
 * system: what the calls and the signals cost, not the time a loaded
 * machine keeps the process waiting; the floor is wall time).  The four
 * totals are wall time, with their CPU time on the metric line (cpu_ms=).  Counts are checked: each store is
 * counted once by its watch, every watch counts its store after the 100 000
 * are made, and the values are there after the last unwatch.
 * doc/memwatch-performance.7 has a table of these figures.
 *
 * Usage: bench-scale [RUNS]        (make bench runs it)
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "memwatch.h"

#define USAGE "bench-scale [RUNS (1-1000)]"
#define NMAX 100000
#define STRIDE 40
#define BUF (4u << 20)
#define NPAGES 10000
#define PAIRS 200
#define STORES 5000

static int bad;
static int ids[NMAX];

/* CPU time of the process, user and system, in ns. */
static double cpu_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static char *map(size_t len)
{
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (p == MAP_FAILED) {
		perror("bench-scale: mmap");
		exit(1);
	}
	return p;
}

static int watch(void *p, size_t len)
{
	int id = mw_watch(p, len, MW_WRITE);

	if (id < 0) {
		fprintf(stderr, "bench-scale: mw_watch of %zu bytes at %p: %s\n", len, p,
			mw_strerror(id));
		exit(1);
	}
	return id;
}

static void unwatch(int id)
{
	int r = mw_unwatch(id);

	if (r) {
		fprintf(stderr, "bench-scale: mw_unwatch(%d): %s\n", id, mw_strerror(r));
		exit(1);
	}
}

/* Mean ns of PAIRS watch + unwatch pairs of LEN bytes at P, median of RUNS. */
static void pairs(struct bench_fig *fig, int runs, char *p, size_t len)
{
	double t[BENCH_MAX_RUNS];

	for (int r = -1; r < runs; r++) {       /* -1: warm-up */
		double t0 = cpu_ns();

		for (int i = 0; i < PAIRS; i++)
			unwatch(watch(p, len));
		if (r >= 0)
			t[r] = (cpu_ns() - t0) / PAIRS;
	}
	bench_stats(fig, t, runs);
}

/* Mean ns of STORES stores into the watch ID at P, median of RUNS. */
static void stores(struct bench_fig *fig, int runs, char *p, int id)
{
	double t[BENCH_MAX_RUNS];
	uint64_t c0 = 0, c1 = 0;

	mw_count(id, &c0);
	for (int r = -1; r < runs; r++) {
		double t0 = cpu_ns();

		for (int i = 0; i < STORES; i++)
			*(volatile int *)p = i;
		if (r >= 0)
			t[r] = (cpu_ns() - t0) / STORES;
	}
	bench_stats(fig, t, runs);
	mw_count(id, &c1);
	if (c1 - c0 != (uint64_t)(runs + 1) * STORES) {
		fprintf(stderr, "bench-scale: %s: %llu stores counted, want %llu\n", fig->name,
			(unsigned long long)(c1 - c0), (unsigned long long)(runs + 1) * STORES);
		bad = 1;
	}
}


/* A total: wall time since T0, CPU time since C0. */
static void one_run(struct bench_fig *fig, double t0, double c0)
{
	fig->median = fig->min = fig->max = bench_now_ns() - t0;
	snprintf(fig->extra, sizeof fig->extra, "cpu_ms=%.1f", (cpu_ns() - c0) / 1e6);
}

#define LIMIT_MAX 70000
static int limit_ids[LIMIT_MAX];

static long max_map_count(void)
{
	FILE *f = fopen("/proc/sys/vm/max_map_count", "r");
	long n = 0;

	if (f) {
		if (fscanf(f, "%ld", &n) != 1)
			n = 0;
		fclose(f);
	}
	return n;
}

/* Isolated pages watched up to vm.max_map_count, then unwatched there. */
static void to_the_limit(struct bench_fig *w, struct bench_fig *u)
{
	long ps = sysconf(_SC_PAGESIZE), limit = max_map_count();
	char *p = mmap(NULL, (size_t)(2 * LIMIT_MAX + 1) * (size_t)ps, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	double t0, c0;
	int k, r = 0, failed = 0;

	if (p == MAP_FAILED) {
		perror("bench-scale: mmap");
		exit(1);
	}
	t0 = bench_now_ns();
	c0 = cpu_ns();
	for (k = 0; k < LIMIT_MAX; k++) {
		char *q = p + (size_t)(2 * k + 1) * (size_t)ps;

		q[0] = 5;
		r = mw_watch(q, 8, MW_WRITE);
		if (r < 0)
			break;
		limit_ids[k] = r;
	}
	one_run(w, t0, c0);
	t0 = bench_now_ns();
	c0 = cpu_ns();
	for (int i = 0; i < k; i++)
		failed += mw_unwatch(limit_ids[i]) != 0;
	one_run(u, t0, c0);
	for (int i = 0; i < k; i++)
		if (p[(size_t)(2 * i + 1) * (size_t)ps] != 5) {
			fprintf(stderr, "bench-scale: after unwatch at the limit, page %d changed\n", i);
			bad = 1;
			break;
		}
	if (failed || (k < LIMIT_MAX && r != -ENOMEM))
		bad = 1;
	munmap(p, (size_t)(2 * LIMIT_MAX + 1) * (size_t)ps);
	w->name = "watch_to_limit";
	w->what = "isolated pages mw_watch'ed until vm.max_map_count, all";
	snprintf(w->extra + strlen(w->extra), sizeof(w->extra) - strlen(w->extra),
		 " pages=%d max_map_count=%ld%s", k, limit,
		 limit != 65530 ? "" : k >= 30000 ? " pages_at_least=30000 pages_met=yes" :
		 " pages_at_least=30000 pages_met=no");
	u->name = "unwatch_at_limit";
	u->what = "their mw_unwatch, at the limit, all";
	snprintf(u->extra + strlen(u->extra), sizeof(u->extra) - strlen(u->extra), " failed=%d",
		 failed);
}

int main(int argc, char **argv)
{
	static const int level[] = { 1, 10, 100, 1000, 10000, 100000 };
	enum { NLEVEL = sizeof(level) / sizeof(level[0]) };
	int runs = (int)bench_arg(argc, argv, 1, 5, BENCH_MAX_RUNS, USAGE);
	static struct bench_fig fig[7 + 3 * NLEVEL];
	static char names[3 * NLEVEL][32], whats[3 * NLEVEL][96];
	long ps = sysconf(_SC_PAGESIZE);
	char *buf = map(BUF), *own = map((size_t)ps), *pages;
	int n = 0, nf = 5;
	double t0, c0;
	char title[128];

	memset(buf, 1, BUF);
	memset(own, 2, (size_t)ps);
	fig[0].name = "floor";
	bench_floor(&fig[0], runs, 20000);

	/* Cost against the number of live watches. */
	for (int l = 0; l < NLEVEL; l++) {
		struct bench_fig *pf = &fig[nf], *of = &fig[nf + 1], *sf = &fig[nf + 2];

		while (n < level[l]) {
			ids[n] = watch(buf + (size_t)n * STRIDE, 16);
			n++;
		}
		snprintf(names[3 * l], 32, "pair_%d", level[l]);
		snprintf(whats[3 * l], 96, "mw_watch + mw_unwatch, 8 bytes, page watched; %d live",
			 level[l]);
		snprintf(names[3 * l + 1], 32, "page_pair_%d", level[l]);
		snprintf(whats[3 * l + 1], 96, "mw_watch + mw_unwatch, own 4 KiB page; %d live",
			 level[l]);
		snprintf(names[3 * l + 2], 32, "store_%d", level[l]);
		snprintf(whats[3 * l + 2], 96, "a counted store, %d live", level[l]);
		pf->name = names[3 * l];
		pf->what = whats[3 * l];
		of->name = names[3 * l + 1];
		of->what = whats[3 * l + 1];
		sf->name = names[3 * l + 2];
		sf->what = whats[3 * l + 2];
		pairs(pf, runs, buf + 24, 8);   /* slot 0's page, no slot's bytes */
		pairs(of, runs, own, (size_t)ps);
		stores(sf, runs, buf, ids[0]);
		if (level[l] >= 10000)
			pf->at_most = 1.2 * fig[5].median;
		if (level[l] == 100000)
			sf->at_most = 1.1 * fig[7].median;
		nf += 3;
	}

	/* Every watch counts its store; then all go. */
	for (int i = 1; i < NMAX; i++)
		*(volatile int *)(buf + (size_t)i * STRIDE) = i;
	for (int i = 1; i < NMAX; i++) {
		uint64_t c = 0;

		if (mw_count(ids[i], &c) || c != 1) {
			fprintf(stderr, "bench-scale: watch %d of %d counts %llu, want 1\n", i, NMAX,
				(unsigned long long)c);
			bad = 1;
			break;
		}
	}
	t0 = bench_now_ns();
	c0 = cpu_ns();
	for (int i = 0; i < NMAX; i++)
		unwatch(ids[i]);
	one_run(&fig[2], t0, c0);

	/* The 100 000 again, from none, timed. */
	t0 = bench_now_ns();
	c0 = cpu_ns();
	for (int i = 0; i < NMAX; i++)
		ids[i] = watch(buf + (size_t)i * STRIDE, 16);
	one_run(&fig[1], t0, c0);
	for (int i = 0; i < NMAX; i++)
		unwatch(ids[i]);
	for (int i = 1; i < NMAX && !bad; i++)
		if (*(int *)(buf + (size_t)i * STRIDE) != i) {
			fprintf(stderr, "bench-scale: after unwatch, slot %d holds %d\n", i,
				*(int *)(buf + (size_t)i * STRIDE));
			bad = 1;
		}
	fig[1].name = "watch_100k_4m";
	fig[1].what = "100 000 mw_watch of 16 bytes in one 4 MiB buffer, all";
	fig[1].at_most = 1e9;
	fig[2].name = "unwatch_100k_4m";
	fig[2].what = "their 100 000 mw_unwatch, all";
	fig[2].at_most = 1e9;

	/* 10 000 pages of their own. */
	pages = map((size_t)2 * NPAGES * (size_t)ps);
	for (int i = 0; i < NPAGES; i++)
		pages[(size_t)2 * i * (size_t)ps] = 3;
	t0 = bench_now_ns();
	c0 = cpu_ns();
	for (int i = 0; i < NPAGES; i++)
		ids[i] = watch(pages + (size_t)2 * i * (size_t)ps, 8);
	one_run(&fig[3], t0, c0);
	t0 = bench_now_ns();
	c0 = cpu_ns();
	for (int i = 0; i < NPAGES; i++)
		unwatch(ids[i]);
	one_run(&fig[4], t0, c0);
	fig[3].name = "watch_10k_pages";
	fig[3].what = "10 000 mw_watch, each on a populated page of its own, all";
	fig[3].at_most = 0.5e9;
	fig[4].name = "unwatch_10k_pages";
	fig[4].what = "their 10 000 mw_unwatch, all";
	fig[4].at_most = 0.5e9;

	/* Isolated pages up to vm.max_map_count. */
	to_the_limit(&fig[nf], &fig[nf + 1]);
	nf += 2;

	snprintf(title, sizeof title,
		 "memwatch bench-scale: %d runs; pairs and stores per call, CPU time",
		 runs);
	bench_print(title, fig, nf);
	if (bad)
		fprintf(stderr, "bench-scale: some checks failed (see above)\n");
	return bad;
}

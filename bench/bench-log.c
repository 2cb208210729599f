/* SPDX-License-Identifier: MIT */
/*
 * bench-log.c - how many accesses per second the log takes, in one thread
 * and in several, and whether it loses any.
 *
 * In one process, next to the floor (bench.h), in accesses per second:
 *
 *   log_d16          one thread, 20 frames deep, 4-byte stores to a word
 *                    watched with MW_WRITE, each recorded with a 16-frame
 *                    backtrace; the ring (default 16384 records) is filled
 *                    many times over, so most records are overwritten - and
 *                    none may be dropped
 *   threads_1, threads_2, threads_8
 *                    1, 2 and 8 threads, each storing to its own element
 *                    (its own cache line) of one watched array, 16-frame
 *                    backtraces; all threads together, from the start
 *                    barrier to the last join
 *
 * Each figure is the median of RUNS runs of ACCESSES accesses in all
 * (defaults 7 and 100000; a warm-up run of ACCESSES / 10 first), with the
 * fastest and slowest run.  Before each run the floor is taken with as
 * many threads (bench_floor_rate: ACCESSES bare SIGSEGVs in all); the
 * ratio is the time per access in those floors (floor_ns: the floor's
 * median in ns per access, all threads together).
 * The log is cleared before each run; mw_log_stats' overwritten and
 * dropped records, summed over the runs, come with each figure.  The watch
 * counts are checked against the accesses made, and the newest record's
 * backtrace has 16 frames.
 *
 * Usage: bench-log [RUNS [ACCESSES]]        (make bench runs it)
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bench.h"
#include "memwatch.h"

#define USAGE "bench-log [RUNS (1-1000) [ACCESSES (1-100000000)]]"
#define DEPTH 16
#define STRIDE 64               /* bytes between two threads' elements */
#define THREADS_MAX 8

static char *array;             /* the watched array: THREADS_MAX elements */

struct worker {
	pthread_t thread;
	pthread_barrier_t *start;
	volatile int *elem;
	long n;
};

static void stores(volatile int *p, long n)
{
	for (long i = 0; i < n; i++)
		*p = (int)i;
}

/* From DEPTH nested frames, so that the backtraces have 16 frames. */
__attribute__((noinline)) static void deep_stores(int depth, volatile int *p, long n)
{
	if (depth > 0)
		deep_stores(depth - 1, p, n);
	else
		stores(p, n);
	__asm__ volatile("");   /* no tail call: keep the frames */
}

static void *work(void *arg)
{
	struct worker *w = arg;

	pthread_barrier_wait(w->start);
	deep_stores(20, w->elem, w->n);
	return NULL;
}

/* One run: NTHREADS threads make N stores in all; accesses per second. */
static double run_once(int nthreads, long n)
{
	struct worker w[THREADS_MAX];
	pthread_barrier_t start;
	double t0;

	pthread_barrier_init(&start, NULL, (unsigned)nthreads + 1);
	for (int i = 0; i < nthreads; i++) {
		w[i].start = &start;
		w[i].elem = (volatile int *)(array + i * STRIDE);
		w[i].n = n / nthreads + (i < n % nthreads);
		if (pthread_create(&w[i].thread, NULL, work, &w[i]) != 0) {
			fprintf(stderr, "bench-log: pthread_create failed\n");
			exit(1);
		}
	}
	pthread_barrier_wait(&start);
	t0 = bench_now_ns();
	for (int i = 0; i < nthreads; i++)
		pthread_join(w[i].thread, NULL);
	double t = bench_now_ns() - t0;

	pthread_barrier_destroy(&start);
	return (double)n * 1e9 / t;
}

/* One thread, the caller's own (no thread creation in the time). */
static double run_here(long n)
{
	double t0 = bench_now_ns();

	deep_stores(20, (volatile int *)array, n);
	return (double)n * 1e9 / (bench_now_ns() - t0);
}

/* NTHREADS = 0: run_here.  Returns 1 if a check failed. */
static int measure(struct bench_fig *fig, int nthreads, int runs, long n)
{
	double t[BENCH_MAX_RUNS], tf[BENCH_MAX_RUNS];
	struct bench_fig f;
	uint64_t overwritten = 0, dropped = 0, count = 0;
	uint64_t expect = (uint64_t)runs * (uint64_t)n + (uint64_t)(n / 10 + 1);
	struct mw_log_stats st;
	int id, bad = 0, frames;

	id = mw_watch(array, THREADS_MAX * STRIDE, MW_WRITE);
	if (id < 0) {
		fprintf(stderr, "bench-log: mw_watch: %s\n", mw_strerror(id));
		exit(1);
	}
	for (int r = -1; r < runs; r++) {
		long k = r < 0 ? n / 10 + 1 : n;        /* r = -1: the warm-up */
		double rate;

		/* The floor with as many threads, next to each run. */
		if (r >= 0)
			tf[r] = bench_floor_rate(nthreads ? nthreads : 1, n);
		mw_log_clear();
		rate = nthreads ? run_once(nthreads, k) : run_here(k);
		mw_log_stats(&st);
		if (r < 0)
			continue;
		t[r] = rate;
		overwritten += st.overwritten;
		dropped += st.dropped;
	}
	bench_stats(fig, t, runs);
	fig->unit = BENCH_PER_S;
	snprintf(fig->extra, sizeof fig->extra, "overwritten=%llu dropped=%llu ring=%llu",
		 (unsigned long long)overwritten, (unsigned long long)dropped,
		 (unsigned long long)st.capacity);
	bench_stats(&f, tf, runs);
	fig->floor_ns = 1e9 / f.median;
	mw_count(id, &count);
	if (count != expect) {
		fprintf(stderr, "bench-log: %s: counted %llu, expected %llu\n", fig->name,
			(unsigned long long)count, (unsigned long long)expect);
		bad = 1;
	}
	if ((frames = bench_newest_frames()) != DEPTH) {
		fprintf(stderr, "bench-log: %s: the newest record has %d frames, not %d\n",
			fig->name, frames, DEPTH);
		bad = 1;
	}
	if (dropped) {
		fprintf(stderr, "bench-log: %s: %llu records dropped\n", fig->name,
			(unsigned long long)dropped);
		bad = 1;
	}
	mw_unwatch(id);
	return bad;
}

int main(int argc, char **argv)
{
	int runs = (int)bench_arg(argc, argv, 1, 7, BENCH_MAX_RUNS, USAGE);
	long n = bench_arg(argc, argv, 2, 100000, 100000000, USAGE);
	struct bench_fig fig[5] = {
		{ .name = "floor" },
		{ .name = "log_d16", .what = "one thread, 16-frame backtraces",
		  .at_least = 250000 },
		{ .name = "threads_1", .what = "1 thread on a watched array, depth 16" },
		{ .name = "threads_2", .what = "2 threads on a watched array, depth 16" },
		{ .name = "threads_8", .what = "8 threads on a watched array, depth 16" },
	};
	static const int nthreads[5] = { 0, 0, 1, 2, 8 };
	char title[128];
	int bad = 0;

	array = mmap(NULL, (size_t)sysconf(_SC_PAGESIZE), PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (array == MAP_FAILED) {
		perror("bench-log: mmap");
		return 1;
	}
	bench_floor(&fig[0], runs > 5 ? runs : 5, 20000);
	mw_log_configure(0, DEPTH);
	for (int i = 1; i < 5; i++)
		bad |= measure(&fig[i], nthreads[i], runs, n);

	snprintf(title, sizeof title,
		 "memwatch bench-log: %d runs x %ld accesses, %ld CPUs; accesses per second",
		 runs, n, sysconf(_SC_NPROCESSORS_ONLN));
	bench_print(title, fig, 5);
	if (bad)
		fprintf(stderr, "bench-log: some checks failed (see above)\n");
	return bad;
}

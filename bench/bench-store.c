/* SPDX-License-Identifier: MIT */
/*
 * bench-store.c - what one watched access costs, next to the floor.
 *
 * In one process, each figure in nanoseconds per access:
 *
 *   floor                  a bare SIGSEGV round trip: a store to our own
 *                          PROT_NONE page, whose handler (ours, not
 *                          memwatch's) only steps over the 6-byte store;
 *                          the least any page-protection design can cost
 *   watched_store          a 4-byte store to bytes watched with MW_WRITE
 *   watched_load           a 4-byte load of bytes watched with MW_ACCESS
 *   unwatched_store_same_page
 *                          a 4-byte store to an unwatched byte of a page
 *                          that holds a MW_WRITE watch
 *
 * Each figure is the median of RUNS runs of ITERS accesses (defaults 15 and
 * 20000), with the fastest and slowest run, and its ratio to the floor's
 * median.  A table for people comes first, then one line per metric for
 * tools:  metric NAME median_ns=... min_ns=... max_ns=... ratio=...
 *
 * Usage: bench-store [RUNS [ITERS]]        (make bench runs it)
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "memwatch.h"

#define MAX_RUNS 1000

/*
 * The accesses, in inline assembly so that the instruction is known:
 * `movl $1, (%rax)` is c7 00 01 00 00 00, 6 bytes (no REX prefix, as the
 * address is forced into %rax).  The floor's handler checks these bytes
 * before it steps over them.
 */
#define NFIG 5

static const unsigned char store_insn[6] = { 0xc7, 0x00, 0x01, 0x00, 0x00, 0x00 };

static inline void store32(void *p)
{
	__asm__ volatile("movl $1, (%0)" : : "a"(p) : "memory");
}

static inline uint32_t load32(const void *p)
{
	uint32_t v;

	__asm__ volatile("movl (%1), %0" : "=d"(v) : "a"(p) : "memory");
	return v;
}

/* --- The floor: our own page, our own handler. */

static void *floor_page;
static volatile sig_atomic_t floor_faults;

static void floor_handler(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;
	const unsigned char *ip =
		(const unsigned char *)(uintptr_t)uc->uc_mcontext.gregs[REG_RIP];

	(void)sig;
	if (si->si_addr == floor_page) {
		size_t i;

		for (i = 0; i < sizeof store_insn; i++)
			if (ip[i] != store_insn[i])
				break;
		if (i == sizeof store_insn) {
			uc->uc_mcontext.gregs[REG_RIP] += (greg_t)sizeof store_insn;
			floor_faults++;
			return;
		}
	}
	/* Not the fault we provoke: die of it, as without this handler. */
	signal(SIGSEGV, SIG_DFL);
}

/* --- Measuring. */

enum op { OP_STORE, OP_LOAD };

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* ns per access over ITERS accesses to P. */
static double run_once(enum op op, void *p, long iters)
{
	uint32_t sink = 0;
	double t0 = now_ns();

	if (op == OP_STORE)
		for (long i = 0; i < iters; i++)
			store32(p);
	else
		for (long i = 0; i < iters; i++)
			sink += load32(p);
	double t1 = now_ns();

	__asm__ volatile("" : : "r"(sink));
	return (t1 - t0) / (double)iters;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

struct figure {
	const char *name;
	const char *what;
	double median, min, max;
};

static void measure(struct figure *fig, enum op op, void *p, int runs,
		    long iters)
{
	double t[MAX_RUNS];

	run_once(op, p, iters / 10 + 1);	/* warm up: caches, decoding */
	for (int r = 0; r < runs; r++)
		t[r] = run_once(op, p, iters);
	qsort(t, (size_t)runs, sizeof t[0], cmp_double);
	fig->min = t[0];
	fig->max = t[runs - 1];
	fig->median = runs % 2 ? t[runs / 2] : (t[runs / 2 - 1] + t[runs / 2]) / 2;
}

/* Measures from DEPTH nested frames: the log's backtraces have them. */
__attribute__((noinline)) static void deep_measure(int depth, struct figure *fig, void *p,
						   int runs, long iters)
{
	if (depth > 0)
		deep_measure(depth - 1, fig, p, runs, iters);
	else
		measure(fig, OP_STORE, p, runs, iters);
	__asm__ volatile("");   /* no tail call: keep the frames */
}

/* --- Set-up helpers. */

static long page_size;

static void *new_page(int prot)
{
	void *p = mmap(NULL, (size_t)page_size, prot,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		perror("bench-store: mmap");
		exit(1);
	}
	return p;
}

static int watch(void *addr, size_t len, unsigned flags)
{
	int id = mw_watch(addr, len, flags);

	if (id < 0) {
		fprintf(stderr, "bench-store: mw_watch: %s\n", mw_strerror(id));
		exit(1);
	}
	return id;
}

static uint64_t count_of(int id)
{
	uint64_t n = 0;
	int err = mw_count(id, &n);

	if (err < 0) {
		fprintf(stderr, "bench-store: mw_count: %s\n", mw_strerror(err));
		exit(1);
	}
	return n;
}

static long arg(char **argv, int i, int argc, long dflt, long max)
{
	char *end;
	long v;

	if (i >= argc)
		return dflt;
	v = strtol(argv[i], &end, 10);
	if (*end || v < 1 || v > max) {
		fprintf(stderr, "usage: bench-store [RUNS (1-%d) [ITERS]]\n",
			MAX_RUNS);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	int runs = (int)arg(argv, 1, argc, 15, MAX_RUNS);
	long iters = arg(argv, 2, argc, 20000, 100000000);
	struct figure fig[NFIG] = {
		{ "floor", "bare SIGSEGV round trip (own handler)", 0, 0, 0 },
		{ "watched_store", "4-byte store, MW_WRITE watch, log depth 0", 0, 0, 0 },
		{ "watched_load", "4-byte load, MW_ACCESS watch", 0, 0, 0 },
		{ "unwatched_store_same_page",
		  "store to unwatched byte of watched page", 0, 0, 0 },
		{ "watched_store_depth16",
		  "the same, 20 frames deep, log depth 16", 0, 0, 0 },
	};
	/* Each access runs once more per run, in the warm-up. */
	uint64_t expect = (uint64_t)runs * (uint64_t)iters + (uint64_t)(iters / 10 + 1);
	struct sigaction sa, old;
	char *page;
	int id, id_load, id_other, bad = 0;

	page_size = sysconf(_SC_PAGESIZE);

	/* (a) The floor, with our handler; the previous one is put back before
	 * memwatch is used. */
	floor_page = new_page(PROT_NONE);
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = floor_handler;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSEGV, &sa, &old) != 0) {
		perror("bench-store: sigaction");
		return 1;
	}
	measure(&fig[0], OP_STORE, floor_page, runs, iters);
	if (sigaction(SIGSEGV, &old, NULL) != 0) {
		perror("bench-store: sigaction");
		return 1;
	}
	if ((uint64_t)floor_faults != expect) {
		fprintf(stderr, "bench-store: floor: %lu faults, expected %llu\n",
			(unsigned long)floor_faults, (unsigned long long)expect);
		bad = 1;
	}
	munmap(floor_page, (size_t)page_size);

	/* (b) A watched store, recorded without a backtrace. */
	mw_log_configure(0, 0);
	page = new_page(PROT_READ | PROT_WRITE);
	id = watch(page, 4, MW_WRITE);
	measure(&fig[1], OP_STORE, page, runs, iters);
	if (count_of(id) != expect) {
		fprintf(stderr, "bench-store: watched_store: counted %llu, expected %llu\n",
			(unsigned long long)count_of(id), (unsigned long long)expect);
		bad = 1;
	}
	mw_unwatch(id);
	munmap(page, (size_t)page_size);

	/* (c) A watched load. */
	page = new_page(PROT_READ | PROT_WRITE);
	id_load = watch(page, 4, MW_ACCESS);
	measure(&fig[2], OP_LOAD, page, runs, iters);
	if (count_of(id_load) != expect) {
		fprintf(stderr, "bench-store: watched_load: counted %llu, expected %llu\n",
			(unsigned long long)count_of(id_load), (unsigned long long)expect);
		bad = 1;
	}
	mw_unwatch(id_load);
	munmap(page, (size_t)page_size);

	/* (d) A store next to a watch: faults, performed, not counted. */
	page = new_page(PROT_READ | PROT_WRITE);
	id_other = watch(page, 4, MW_WRITE);
	measure(&fig[3], OP_STORE, page + 64, runs, iters);
	if (count_of(id_other) != 0) {
		fprintf(stderr, "bench-store: unwatched_store_same_page: counted %llu, expected 0\n",
			(unsigned long long)count_of(id_other));
		bad = 1;
	}
	mw_unwatch(id_other);
	munmap(page, (size_t)page_size);

	/* (e) A watched store with a 16-frame backtrace per record, from a
	 * call chain deep enough to have them. */
	mw_log_configure(0, 16);
	page = new_page(PROT_READ | PROT_WRITE);
	id = watch(page, 4, MW_WRITE);
	deep_measure(20, &fig[4], page, runs, iters);
	if (count_of(id) != expect) {
		fprintf(stderr, "bench-store: watched_store_depth16: counted %llu, expected %llu\n",
			(unsigned long long)count_of(id), (unsigned long long)expect);
		bad = 1;
	}
	mw_unwatch(id);
	munmap(page, (size_t)page_size);
	{
		struct mw_log_stats st;

		mw_log_stats(&st);
		if (st.dropped) {
			fprintf(stderr, "bench-store: the log dropped %llu records\n",
				(unsigned long long)st.dropped);
			bad = 1;
		}
	}

	printf("memwatch bench-store: %d runs x %ld accesses; ns per access\n\n",
	       runs, iters);
	printf("%-26s %10s %10s %10s %8s   %s\n", "access", "median", "min", "max",
	       "x floor", "what");
	for (int i = 0; i < NFIG; i++)
		printf("%-26s %10.1f %10.1f %10.1f %8.3f   %s\n", fig[i].name,
		       fig[i].median, fig[i].min, fig[i].max,
		       fig[i].median / fig[0].median, fig[i].what);
	printf("\n");
	for (int i = 0; i < NFIG; i++)
		printf("metric %s median_ns=%.1f min_ns=%.1f max_ns=%.1f ratio=%.3f\n",
		       fig[i].name, fig[i].median, fig[i].min, fig[i].max,
		       fig[i].median / fig[0].median);
	if (bad)
		fprintf(stderr, "bench-store: counts were wrong (see above)\n");
	return bad;
}

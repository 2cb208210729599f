/* SPDX-License-Identifier: MIT */
/*
 * bench-store.c - what one watched access costs, next to the floor.
 *
 * In one process, each figure in nanoseconds per access (bench.h: the
 * floor, the statistics, the output):
 *
 *   store_d0, store_d16     a 4-byte store (`movl $1, (%rax)`) to bytes
 *                           watched with MW_WRITE, recorded with a backtrace
 *                           depth of 0 and of 16 (from 20 frames deep, so
 *                           that 16 frames exist)
 *   load_d0, load_d16       a 4-byte load of bytes watched with MW_ACCESS
 *   unwatched_same_page     a 4-byte store to an unwatched byte of a page
 *                           that holds a MW_WRITE watch: faults, performed,
 *                           not recorded
 *   add_d0, add_d16         a read-modify-write, `addl $1, (%rax)`
 *   lock_add_d0, lock_add_d16   the same with a lock prefix
 *   avx_d0, avx_d16         a 32-byte AVX store, `vmovdqu %ymm0, (%rax)`
 *                           (skipped without AVX)
 *   memcpy4k_call_d0/_d16   memcpy() of 4 KiB into a watched page, per call
 *   memcpy4k_access_d0/_d16 the same per access the watch counted (the
 *                           number of faulting instructions depends on the C
 *                           library's memcpy: a `rep movsb` is one access
 *                           per page, vector stores one per store)
 *   floor_again             the floor once more, at the end: how much the
 *                           machine drifted while the rest ran
 *
 * Each figure is the median of RUNS runs of ITERS accesses (defaults 15 and
 * 20000; memcpy ITERS / 64 calls), after a warm-up run of ITERS / 10 + 1,
 * with the fastest and slowest run.  Its runs alternate with runs of the
 * floor (ITERS accesses each), and its ratio is to the median of those:
 * other processes load the machine unevenly over the minute this takes,
 * and each ratio compares runs made under the same load.  `floor` is taken
 * first, `floor_again` last.
 * Each watch's count is checked against the accesses made.  The targets
 * (issue 7, doc/memwatch-performance.7) are printed next to the figures.
 *
 * Those figures are the signal path: bench-store sets MEMWATCH_PATCH=0
 * unless it is set.  With MEMWATCH_PATCH=1 (make bench runs it both ways)
 * it measures patched sites instead (memwatch(3), "Patched sites"): the
 * same accesses from instructions the patcher takes (16-byte aligned, a
 * 32-bit displacement), after the warm-up has patched them:
 *
 *   patched_store_d0/_d16       an 8-byte store to watched bytes
 *   patched_unwatched_same_page the same to an unwatched byte of the page
 *   patched_lock_add_d0         lock addq $1 to watched bytes
 *
 * Usage: bench-store [RUNS [ITERS]]        (make bench runs it)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bench.h"
#include "memwatch.h"

#define USAGE "bench-store [RUNS (1-1000) [ITERS (1-100000000)]]"

/* --- The accesses, in inline assembly so that the instruction is known. */

typedef void op_fn(void *p, long n);

static void op_store(void *p, long n)
{
	for (long i = 0; i < n; i++)
		__asm__ volatile("movl $1, (%0)" : : "a"(p) : "memory");
}

static void op_load(void *p, long n)
{
	uint32_t v, sink = 0;

	for (long i = 0; i < n; i++) {
		__asm__ volatile("movl (%1), %0" : "=d"(v) : "a"(p) : "memory");
		sink += v;
	}
	__asm__ volatile("" : : "r"(sink));
}

static void op_add(void *p, long n)
{
	for (long i = 0; i < n; i++)
		__asm__ volatile("addl $1, (%0)" : : "a"(p) : "memory", "cc");
}

static void op_lock_add(void *p, long n)
{
	for (long i = 0; i < n; i++)
		__asm__ volatile("lock addl $1, (%0)" : : "a"(p) : "memory", "cc");
}

static void op_avx(void *p, long n)
{
	for (long i = 0; i < n; i++)
		__asm__ volatile("vmovdqu %%ymm0, (%0)" : : "a"(p) : "memory", "xmm0");
}

/* Loops whose access is one instruction the patcher takes: at a 16-byte
 * boundary, with a 32-bit displacement (movq %rsi, 0x0(%rdi): 7 bytes;
 * lock addq $1, 0x0(%rdi): 9 bytes). */
void hot_store_loop(void *p, long n);
void hot_lock_add_loop(void *p, long n);
__asm__(".text\n"
	".p2align 4\n"
	"hot_store_loop:\n"
	"	.cfi_startproc\n"
	"1:	.byte 0x48, 0x89, 0xb7, 0, 0, 0, 0\n"
	"	dec %rsi\n"
	"	jnz 1b\n"
	"	ret\n"
	"	.cfi_endproc\n"
	".p2align 4\n"
	"hot_lock_add_loop:\n"
	"	.cfi_startproc\n"
	"1:	.byte 0xf0, 0x48, 0x83, 0x87, 0, 0, 0, 0, 1\n"
	"	dec %rsi\n"
	"	jnz 1b\n"
	"	ret\n"
	"	.cfi_endproc\n");

static void op_hot_store(void *p, long n)
{
	hot_store_loop(p, n);
}

static void op_hot_lock_add(void *p, long n)
{
	hot_lock_add_loop(p, n);
}

static char memcpy_src[4096];
/* Through a volatile pointer: the C library's memcpy, never an inlined
 * copy. */
static void *(*volatile memcpy_fn)(void *, const void *, size_t) = memcpy;

static void op_memcpy(void *p, long n)
{
	for (long i = 0; i < n; i++)
		memcpy_fn(p, memcpy_src, sizeof memcpy_src);
}

/* --- Measuring. */

struct bench_case {
	const char *name;
	const char *what;
	op_fn *op;
	unsigned flags;         /* of the watch */
	size_t watch_len;       /* bytes watched at the page's start */
	size_t offset;          /* of the access in the page */
	unsigned depth;         /* backtrace frames per record */
	long per_run;           /* divides ITERS: memcpy makes fewer calls */
	int counted;            /* each operation is counted (else never) */
	double ratio_max;       /* target, or 0 */
	const char *needs;      /* CPU feature, or NULL */
};

static const struct bench_case cases[] = {
	{ "store_d0", "4-byte store, MW_WRITE watch, depth 0", op_store, MW_WRITE, 4, 0, 0, 1, 1, 1.1, NULL },
	{ "store_d16", "the same, 20 frames deep, depth 16", op_store, MW_WRITE, 4, 0, 16, 1, 1, 1.5, NULL },
	{ "load_d0", "4-byte load, MW_ACCESS watch, depth 0", op_load, MW_ACCESS, 4, 0, 0, 1, 1, 0, NULL },
	{ "load_d16", "the same, depth 16", op_load, MW_ACCESS, 4, 0, 16, 1, 1, 0, NULL },
	{ "unwatched_same_page", "store to an unwatched byte of a watched page", op_store, MW_WRITE, 4, 64, 0, 1, 0, 1.1, NULL },
	{ "add_d0", "addl $1,(m): read-modify-write, depth 0", op_add, MW_WRITE, 4, 0, 0, 1, 1, 1.3, NULL },
	{ "add_d16", "the same, depth 16", op_add, MW_WRITE, 4, 0, 16, 1, 1, 0, NULL },
	{ "lock_add_d0", "lock addl $1,(m), depth 0", op_lock_add, MW_WRITE, 4, 0, 0, 1, 1, 1.3, NULL },
	{ "lock_add_d16", "the same, depth 16", op_lock_add, MW_WRITE, 4, 0, 16, 1, 1, 0, NULL },
	{ "avx_d0", "vmovdqu %ymm0,(m): 32-byte AVX store, depth 0", op_avx, MW_WRITE, 32, 0, 0, 1, 1, 1.3, "avx" },
	{ "avx_d16", "the same, depth 16", op_avx, MW_WRITE, 32, 0, 16, 1, 1, 0, "avx" },
	{ "memcpy4k_call_d0", "memcpy of 4 KiB into a watched page, per call, depth 0", op_memcpy, MW_WRITE, 4096, 0, 0, 64, -1, 0, NULL },
	{ "memcpy4k_call_d16", "the same, depth 16", op_memcpy, MW_WRITE, 4096, 0, 16, 64, -1, 0, NULL },
};

/* Issue 16's targets: a hot watched store <= 0.05 floors at depth 0, 0.5
 * with 16 frames; a store to an unwatched byte of the page <= 0.02. */
static const struct bench_case patched_cases[] = {
	{ "patched_store_d0", "8-byte store at a patched site, MW_WRITE watch, depth 0", op_hot_store, MW_WRITE, 8, 0, 0, 1, 1, 0.05, NULL },
	{ "patched_store_d16", "the same, 20 frames deep, depth 16", op_hot_store, MW_WRITE, 8, 0, 16, 1, 1, 0.5, NULL },
	{ "patched_unwatched_same_page", "the same to an unwatched byte of the page", op_hot_store, MW_WRITE, 8, 64, 0, 1, 0, 0.02, NULL },
	{ "patched_lock_add_d0", "lock addq $1 at a patched site, depth 0", op_hot_lock_add, MW_WRITE, 8, 0, 0, 1, 1, 0.05, NULL },
};

#define NCASES (sizeof cases / sizeof cases[0])
#define NPATCHED (sizeof patched_cases / sizeof patched_cases[0])
/* The floor, the cases, and one more figure per memcpy case. */
#define NFIG_MAX (1 + NCASES + 2 + 1)

static double run_once(op_fn *op, void *p, long n)
{
	double t0 = bench_now_ns();

	op(p, n);
	return (bench_now_ns() - t0) / (double)n;
}

struct job {
	op_fn *op;
	void *p;
	int runs;
	long n;
	long floor_iters;
	struct bench_fig *fig;
};

/* The runs alternate with runs of the floor: the ratio compares runs
 * made under the same load. */
static void measure(const struct job *j)
{
	double t[BENCH_MAX_RUNS], tf[BENCH_MAX_RUNS];
	struct bench_fig f;

	run_once(j->op, j->p, j->n / 10 + 1);  /* warm up: caches, decoding */
	for (int r = 0; r < j->runs; r++) {
		tf[r] = bench_floor_once(j->floor_iters);
		t[r] = run_once(j->op, j->p, j->n);
	}
	bench_stats(j->fig, t, j->runs);
	bench_stats(&f, tf, j->runs);
	j->fig->floor_ns = f.median;
}

/* Measures from DEPTH nested frames: the log's backtraces have them. */
__attribute__((noinline)) static void deep_measure(int depth, const struct job *j)
{
	if (depth > 0)
		deep_measure(depth - 1, j);
	else
		measure(j);
	__asm__ volatile("");   /* no tail call: keep the frames */
}

/* One case into FIG (and FIG[1] for memcpy's per-access figure); returns the
 * figures made; sets *BAD when a count is wrong. */
static int run_case(const struct bench_case *c, struct bench_fig *fig, int runs,
		    long iters, long page_size, int *bad)
{
	long n = iters / c->per_run > 0 ? iters / c->per_run : 1;
	uint64_t ops = (uint64_t)runs * (uint64_t)n + (uint64_t)(n / 10 + 1);
	struct job j = { c->op, NULL, runs, n, iters, fig };
	struct mw_log_stats st;
	uint64_t count = 0;
	char *page;
	int id, err;

	memset(fig, 0, sizeof *fig);
	fig->name = c->name;
	fig->what = c->what;
	fig->unit = BENCH_NS;
	fig->ratio_max = c->ratio_max;
	if (c->needs && !__builtin_cpu_supports("avx")) {
		fig->skipped = 1;
		snprintf(fig->extra, sizeof fig->extra, "reason=no_%s_on_this_cpu", c->needs);
		return 1;
	}
	page = mmap(NULL, (size_t)page_size, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED) {
		perror("bench-store: mmap");
		exit(1);
	}
	memset(page, 0, (size_t)page_size);
	mw_log_configure(0, c->depth);
	mw_log_clear();
	id = mw_watch(page, c->watch_len, c->flags);
	if (id < 0) {
		fprintf(stderr, "bench-store: %s: mw_watch: %s\n", c->name, mw_strerror(id));
		exit(1);
	}
	j.p = page + c->offset;
	if (c->depth)
		deep_measure(20, &j);
	else
		measure(&j);
	if ((err = mw_count(id, &count)) < 0) {
		fprintf(stderr, "bench-store: mw_count: %s\n", mw_strerror(err));
		exit(1);
	}
	if (c->counted >= 0 && count != (c->counted ? ops : 0)) {
		fprintf(stderr, "bench-store: %s: counted %llu, expected %llu\n", c->name,
			(unsigned long long)count, (unsigned long long)(c->counted ? ops : 0));
		*bad = 1;
	}
	if (c->depth && c->counted > 0 && bench_newest_frames() != (int)c->depth) {
		fprintf(stderr, "bench-store: %s: the newest record has %d frames, not %u\n",
			c->name, bench_newest_frames(), c->depth);
		*bad = 1;
	}
	mw_log_stats(&st);
	if (st.dropped) {
		fprintf(stderr, "bench-store: %s: the log dropped %llu records\n", c->name,
			(unsigned long long)st.dropped);
		*bad = 1;
	}
	mw_unwatch(id);
	munmap(page, (size_t)page_size);
	if (c->counted >= 0)
		return 1;

	/* memcpy: the same per counted access. */
	double per_call = (double)count / (double)ops;

	if (count % ops) {
		fprintf(stderr, "bench-store: %s: %llu accesses in %llu calls: not the same each call\n",
			c->name, (unsigned long long)count, (unsigned long long)ops);
		*bad = 1;
	}
	snprintf(fig->extra, sizeof fig->extra, "accesses_per_call=%.0f", per_call);
	fig[1] = fig[0];
	fig[1].name = c->depth ? "memcpy4k_access_d16" : "memcpy4k_access_d0";
	fig[1].what = "the same, per access counted";
	fig[1].median /= per_call;
	fig[1].min /= per_call;
	fig[1].max /= per_call;         /* floor_ns: per access already */
	return 2;
}

int main(int argc, char **argv)
{
	int runs = (int)bench_arg(argc, argv, 1, 15, BENCH_MAX_RUNS, USAGE);
	long iters = bench_arg(argc, argv, 2, 20000, 100000000, USAGE);
	long page_size = sysconf(_SC_PAGESIZE);
	struct bench_fig fig[NFIG_MAX];
	char title[128];
	int n = 1, bad = 0;

	const char *patch = getenv("MEMWATCH_PATCH");
	int patched = patch && !strcmp(patch, "1");

	/* The library reads it when it is loaded: run again with it set. */
	if (!patch) {
		setenv("MEMWATCH_PATCH", "0", 1);
		execv("/proc/self/exe", argv);
		perror("bench-store: execv /proc/self/exe");
		return 1;
	}
	memset(memcpy_src, 0x5a, sizeof memcpy_src);
	bench_floor(&fig[0], runs, iters);
	for (size_t i = 0; i < (patched ? NPATCHED : NCASES); i++) {
		long before = mw_patch_info(0, NULL);

		n += run_case(patched ? &patched_cases[i] : &cases[i], &fig[n], runs, iters,
			      page_size, &bad);
		if (patched && mw_patch_info(0, NULL) <= before) {
			fprintf(stderr, "bench-store: %s: its site was not patched\n",
				fig[n - 1].name);
			bad = 1;
		}
	}
	if (!patched && mw_patch_info(0, NULL) != 0) {
		fprintf(stderr, "bench-store: MEMWATCH_PATCH=0, yet a site was patched\n");
		bad = 1;
	}
	/* Again at the end: how far the machine drifted meanwhile. */
	bench_floor(&fig[n], runs, iters);
	fig[n].name = "floor_again";
	fig[n++].what = "the floor once more, after the rest: the drift";

	snprintf(title, sizeof title,
		 "memwatch bench-store%s: %d runs x %ld accesses (memcpy: %ld calls); per access",
		 patched ? " (patched sites)" : "", runs, iters, iters / 64 > 0 ? iters / 64 : 1);
	bench_print(title, fig, n);
	if (bad)
		fprintf(stderr, "bench-store: counts were wrong (see above)\n");
	return bad;
}

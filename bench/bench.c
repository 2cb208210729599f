/* SPDX-License-Identifier: MIT */
/*
 * bench.c - the floor, statistics and output of the benchmarks (bench.h).
 */
#include <pthread.h>
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
#include "bench.h"

double bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

void bench_stats(struct bench_fig *fig, double *t, int n)
{
	qsort(t, (size_t)n, sizeof t[0], cmp_double);
	fig->min = t[0];
	fig->max = t[n - 1];
	fig->median = n % 2 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2;
}

/* --- The floor.  `movl $1, (%rax)` is c7 00 01 00 00 00, 6 bytes (no REX
 * prefix, as the address is forced into %rax): the handler checks these
 * bytes before it steps over them. */

static const unsigned char store_insn[6] = { 0xc7, 0x00, 0x01, 0x00, 0x00, 0x00 };
static void *floor_page;
static long floor_faults;       /* atomic: threads share the handler */
static struct sigaction floor_old;

static void floor_handler(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;
	const unsigned char *ip =
		(const unsigned char *)(uintptr_t)uc->uc_mcontext.gregs[REG_RIP];

	(void)sig;
	if (si->si_addr == floor_page && memcmp(ip, store_insn, sizeof store_insn) == 0) {
		uc->uc_mcontext.gregs[REG_RIP] += (greg_t)sizeof store_insn;
		__atomic_fetch_add(&floor_faults, 1, __ATOMIC_RELAXED);
		return;
	}
	/* Not the fault we provoke: die of it, as without this handler. */
	signal(SIGSEGV, SIG_DFL);
}

static double floor_run(long iters)
{
	double t0 = bench_now_ns();

	for (long i = 0; i < iters; i++)
		__asm__ volatile("movl $1, (%0)" : : "a"(floor_page) : "memory");
	return (bench_now_ns() - t0) / (double)iters;
}

/* Our page and handler in, the previous handler saved. */
static void floor_begin(void)
{
	struct sigaction sa;

	floor_page = mmap(NULL, (size_t)sysconf(_SC_PAGESIZE), PROT_NONE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (floor_page == MAP_FAILED) {
		perror("bench: mmap");
		exit(1);
	}
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = floor_handler;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSEGV, &sa, &floor_old) != 0) {
		perror("bench: sigaction");
		exit(1);
	}
	floor_faults = 0;
}

/* The previous handler back; exits unless there were EXPECT faults. */
static void floor_end(long expect)
{
	if (sigaction(SIGSEGV, &floor_old, NULL) != 0) {
		perror("bench: sigaction");
		exit(1);
	}
	munmap(floor_page, (size_t)sysconf(_SC_PAGESIZE));
	if (floor_faults != expect) {
		fprintf(stderr, "bench: floor: %ld faults, expected %ld\n", floor_faults, expect);
		exit(1);
	}
}

/* The floor is measured in a helper process forked before the first
 * watch: while watches exist, memwatch dispatches every system call of the
 * program (memwatch(3), "System calls"), the floor handler's rt_sigreturn
 * too, which would add a SIGSYS round trip to the floor. */
struct floor_req {
	int kind;               /* 0: runs, 1: once, 2: rate */
	int runs, nthreads;
	long iters;
};

static int req_fd = -1, rsp_fd = -1;

static void local_floor(struct bench_fig *fig, int runs, long iters);
static double local_floor_once(long iters);
static double local_floor_rate(int nthreads, long n);

static void full(int fd, void *buf, size_t n, int wr)
{
	char *p = buf;

	while (n) {
		ssize_t r = wr ? write(fd, p, n) : read(fd, p, n);

		if (r <= 0)
			exit(wr ? 1 : 0);
		p += r;
		n -= (size_t)r;
	}
}

static void floor_server(void)
{
	int req[2], rsp[2];

	if (req_fd >= 0 || pipe(req) || pipe(rsp))
		return;
	fflush(stdout);
	fflush(stderr);
	switch (fork()) {
	case -1:
		return;
	case 0:
		close(req[1]);
		close(rsp[0]);
		for (;;) {
			struct floor_req q;
			struct bench_fig fig;
			double t;

			full(req[0], &q, sizeof q, 0);
			if (q.kind == 0) {
				local_floor(&fig, q.runs, q.iters);
				full(rsp[1], &fig, sizeof fig, 1);
				continue;
			}
			t = q.kind == 1 ? local_floor_once(q.iters) : local_floor_rate(q.nthreads, q.iters);
			full(rsp[1], &t, sizeof t, 1);
		}
	default:
		close(req[0]);
		close(rsp[1]);
		req_fd = req[1];
		rsp_fd = rsp[0];
	}
}

void bench_floor(struct bench_fig *fig, int runs, long iters)
{
	struct floor_req q = { 0, runs, 0, iters };

	floor_server();
	if (req_fd < 0) {
		local_floor(fig, runs, iters);
		return;
	}
	full(req_fd, &q, sizeof q, 1);
	full(rsp_fd, fig, sizeof *fig, 0);
}

double bench_floor_once(long iters)
{
	struct floor_req q = { 1, 0, 0, iters };
	double t;

	floor_server();
	if (req_fd < 0)
		return local_floor_once(iters);
	full(req_fd, &q, sizeof q, 1);
	full(rsp_fd, &t, sizeof t, 0);
	return t;
}

double bench_floor_rate(int nthreads, long n)
{
	struct floor_req q = { 2, 0, nthreads, n };
	double t;

	floor_server();
	if (req_fd < 0)
		return local_floor_rate(nthreads, n);
	full(req_fd, &q, sizeof q, 1);
	full(rsp_fd, &t, sizeof t, 0);
	return t;
}

static void local_floor(struct bench_fig *fig, int runs, long iters)
{
	double t[BENCH_MAX_RUNS];

	floor_begin();
	floor_run(iters / 10 + 1);      /* warm-up */
	for (int r = 0; r < runs; r++)
		t[r] = floor_run(iters);
	floor_end((long)runs * iters + iters / 10 + 1);
	memset(fig, 0, sizeof *fig);
	fig->name = "floor";
	fig->what = "bare SIGSEGV round trip (own handler)";
	fig->unit = BENCH_NS;
	bench_stats(fig, t, runs);
}

static double local_floor_once(long iters)
{
	double t;

	floor_begin();
	t = floor_run(iters);
	floor_end(iters);
	return t;
}

struct floor_thread {
	pthread_t thread;
	pthread_barrier_t *start;
	long n;
};

static void *floor_work(void *arg)
{
	struct floor_thread *ft = arg;

	pthread_barrier_wait(ft->start);
	floor_run(ft->n);
	return NULL;
}

static double local_floor_rate(int nthreads, long n)
{
	struct floor_thread ft[BENCH_MAX_THREADS];
	pthread_barrier_t start;
	double t0, t;

	if (nthreads < 1 || nthreads > BENCH_MAX_THREADS)
		abort();
	floor_begin();
	pthread_barrier_init(&start, NULL, (unsigned)nthreads + 1);
	for (int i = 0; i < nthreads; i++) {
		ft[i].start = &start;
		ft[i].n = n / nthreads + (i < n % nthreads);
		if (pthread_create(&ft[i].thread, NULL, floor_work, &ft[i]) != 0) {
			fprintf(stderr, "bench: pthread_create failed\n");
			exit(1);
		}
	}
	pthread_barrier_wait(&start);
	t0 = bench_now_ns();
	for (int i = 0; i < nthreads; i++)
		pthread_join(ft[i].thread, NULL);
	t = bench_now_ns() - t0;
	pthread_barrier_destroy(&start);
	floor_end(n);
	return (double)n * 1e9 / t;
}

/* --- Output. */

double bench_ratio(const struct bench_fig *fig, const struct bench_fig *floor)
{
	double f = fig->floor_ns ? fig->floor_ns : floor->median;

	if (fig->unit == BENCH_PER_S)
		return 1e9 / fig->median / f;
	return fig->median / f;
}

static const char *unit_name(enum bench_unit u)
{
	return u == BENCH_PER_S ? "per_s" : "ns";
}

/* -1: no target; 0: missed; 1: met. */
static int met(const struct bench_fig *f, double ratio)
{
	if (f->skipped || (!f->ratio_max && !f->at_most && !f->at_least))
		return -1;
	if (f->ratio_max && ratio > f->ratio_max)
		return 0;
	if (f->at_most && f->median > f->at_most)
		return 0;
	if (f->at_least && f->median < f->at_least)
		return 0;
	return 1;
}

/* A figure in a unit that keeps the table narrow. */
static void human(enum bench_unit unit, double v, char *buf, size_t size)
{
	if (unit == BENCH_PER_S)
		snprintf(buf, size, "%.0f/s", v);
	else if (v < 1e4)
		snprintf(buf, size, "%.1fns", v);
	else if (v < 1e6)
		snprintf(buf, size, "%.1fus", v / 1e3);
	else if (v < 1e9)
		snprintf(buf, size, "%.2fms", v / 1e6);
	else
		snprintf(buf, size, "%.3fs", v / 1e9);
}

static void target_text(const struct bench_fig *f, char *buf, size_t size)
{
	if (f->ratio_max)
		snprintf(buf, size, "<=%gx", f->ratio_max);
	else if (f->at_most || f->at_least) {
		buf[0] = f->at_most ? '<' : '>';
		buf[1] = '=';
		human(f->unit, f->at_most ? f->at_most : f->at_least, buf + 2, size - 2);
	}
	else
		snprintf(buf, size, "-");
}

int bench_print(const char *title, const struct bench_fig *fig, int n)
{
	int missed = 0;

	printf("%s\n\n", title);
	printf("%-22s %10s %10s %10s %9s %7s %10s %4s   %s\n", "figure", "median", "min", "max",
	       "floor", "x floor", "target", "ok", "what");
	for (int i = 0; i < n; i++) {
		const struct bench_fig *f = &fig[i];
		char a[32], b[32], c[32], t[32], fl[32];
		double r;
		int m;

		if (f->skipped) {
			printf("%-22s %10s %10s %10s %9s %7s %10s %4s   %s (%s)\n", f->name, "-", "-",
			       "-", "-", "-", "-", "-", f->what, f->extra);
			continue;
		}
		r = bench_ratio(f, &fig[0]);
		m = met(f, r);
		human(f->unit, f->median, a, sizeof a);
		human(f->unit, f->min, b, sizeof b);
		human(f->unit, f->max, c, sizeof c);
		target_text(f, t, sizeof t);
		human(BENCH_NS, f->floor_ns ? f->floor_ns : fig[0].median, fl, sizeof fl);
		printf("%-22s %10s %10s %10s %9s %7.3f %10s %4s   %s%s%s\n", f->name, a, b, c, fl, r, t,
		       m < 0 ? "" : m ? "yes" : "NO", f->what, f->extra[0] ? "; " : "",
		       f->extra);
		missed |= m == 0;
	}
	printf("\n");
	for (int i = 0; i < n; i++) {
		const struct bench_fig *f = &fig[i];
		const char *u = unit_name(f->unit);
		char t[32];
		int m;

		if (f->skipped) {
			printf("metric %s skipped=yes %s\n", f->name, f->extra);
			continue;
		}
		m = met(f, bench_ratio(f, &fig[0]));
		printf("metric %s median_%s=%.1f min_%s=%.1f max_%s=%.1f ratio=%.3f", f->name, u,
		       f->median, u, f->min, u, f->max, bench_ratio(f, &fig[0]));
		if (m >= 0) {
			target_text(f, t, sizeof t);
			printf(" target=%s met=%s", t, m ? "yes" : "no");
		}
		if (f->floor_ns)
			printf(" floor_ns=%.1f", f->floor_ns);
		printf("%s%s\n", f->extra[0] ? " " : "", f->extra);
	}
	fflush(stdout);
	return missed;
}

long bench_arg(int argc, char **argv, int i, long dflt, long max, const char *usage)
{
	char *end;
	long v;

	if (i >= argc)
		return dflt;
	v = strtol(argv[i], &end, 10);
	if (end == argv[i] || *end || v < 1 || v > max) {
		fprintf(stderr, "usage: %s\n", usage);
		exit(2);
	}
	return v;
}

int bench_newest_frames(void)
{
	static struct mw_record rec;
	struct mw_log_cursor cur;
	int n = -1;

	mw_log_begin(&cur);
	while (mw_log_next(&cur, &rec) == 1)
		n = rec.nframes;
	return n;
}

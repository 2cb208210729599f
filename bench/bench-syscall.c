/* SPDX-License-Identifier: MIT */
/*
 * bench-syscall.c - what watching costs a program that makes system calls.
 *
 * While any watch exists, every system call of the program reaches
 * memwatch as a SIGSYS (syscall user dispatch; memwatch(3), "System
 * calls").  The workload: write 64 bytes into a pipe and read them back,
 * in one thread.  In one process, nanoseconds per write+read pair:
 *
 *   plain            no watch yet (the library loaded, dispatch off)
 *   watch_elsewhere  one watch on an unrelated page: each call dispatches
 *   watched_buffer   the read's destination is watched (MW_WRITE): each
 *                    read is bounced and logged as a kernel write
 *   getppid_plain, getppid_dispatched
 *                    the cheapest system call, without and with a watch
 *
 * Each figure: the median of RUNS runs of ITERS pairs (defaults 15 and
 * 20000), with the fastest and slowest run, and its ratio to plain (for
 * getppid: to getppid_plain).  A table for people, then one line per
 * metric for tools:  metric NAME median_ns=... min_ns=... max_ns=... ratio=...
 *
 * Usage: bench-syscall [RUNS [ITERS]]      (make bench runs it)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "memwatch.h"

#define MAX_RUNS 1000

static uint8_t watched[2][4096] __attribute__((aligned(4096)));
static uint8_t plainbuf[64];
static int fds[2];

static double now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e9 + t.tv_nsec;
}

static double pairs(uint8_t *dst, long iters)
{
	double t0 = now_ns();

	for (long i = 0; i < iters; i++) {
		if (write(fds[1], plainbuf, 64) != 64 || read(fds[0], dst, 64) != 64) {
			perror("bench-syscall: pipe");
			exit(1);
		}
	}
	return (now_ns() - t0) / iters;
}

static double getppids(uint8_t *unused, long iters)
{
	double t0 = now_ns();

	(void)unused;
	for (long i = 0; i < iters; i++)
		syscall(SYS_getppid);
	return (now_ns() - t0) / iters;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

struct fig {
	const char *name;
	double med, min, max;
};

static struct fig measure(const char *name, double (*fn)(uint8_t *, long), uint8_t *dst,
			  int runs, long iters)
{
	double t[MAX_RUNS];
	struct fig f = { name, 0, 0, 0 };

	fn(dst, iters / 10 + 1);        /* warm up */
	for (int i = 0; i < runs; i++)
		t[i] = fn(dst, iters);
	qsort(t, (size_t)runs, sizeof(t[0]), cmp);
	f.med = t[runs / 2];
	f.min = t[0];
	f.max = t[runs - 1];
	return f;
}

int main(int argc, char **argv)
{
	int runs = argc > 1 ? atoi(argv[1]) : 15;
	long iters = argc > 2 ? atol(argv[2]) : 20000;
	struct fig f[5];
	int id1, id2;

	if (runs < 1 || runs > MAX_RUNS || iters < 1) {
		fprintf(stderr, "usage: bench-syscall [RUNS (1..%d) [ITERS]]\n", MAX_RUNS);
		return 2;
	}
	if (pipe(fds)) {
		perror("bench-syscall: pipe");
		return 1;
	}
	f[0] = measure("plain", pairs, plainbuf, runs, iters);
	f[3] = measure("getppid_plain", getppids, NULL, runs, iters);
	id1 = mw_watch(watched[1], 8, MW_WRITE);
	if (id1 <= 0) {
		fprintf(stderr, "bench-syscall: mw_watch: %s\n", mw_strerror(id1));
		return 1;
	}
	f[1] = measure("watch_elsewhere", pairs, plainbuf, runs, iters);
	f[4] = measure("getppid_dispatched", getppids, NULL, runs, iters);
	id2 = mw_watch(watched[0], 64, MW_WRITE);
	f[2] = measure("watched_buffer", pairs, watched[0], runs, iters);
	mw_unwatch(id2);
	mw_unwatch(id1);

	printf("bench-syscall: %d runs x %ld write+read pairs of 64 bytes on a pipe\n", runs, iters);
	printf("%-20s %10s %10s %10s %8s\n", "figure", "median_ns", "min_ns", "max_ns", "ratio");
	for (int i = 0; i < 5; i++) {
		double base = i < 3 ? f[0].med : f[3].med;

		printf("%-20s %10.1f %10.1f %10.1f %8.2f\n", f[i].name, f[i].med, f[i].min, f[i].max,
		       f[i].med / base);
	}
	for (int i = 0; i < 5; i++) {
		double base = i < 3 ? f[0].med : f[3].med;

		printf("metric syscall_%s median_ns=%.1f min_ns=%.1f max_ns=%.1f ratio=%.3f\n",
		       f[i].name, f[i].med, f[i].min, f[i].max, f[i].med / base);
	}
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * gdb-target.c - the program bench/bench-gdb.sh runs under GDB.
 *
 * A plain program: not linked with memwatch.  It times its own accesses
 * (clock_gettime around the loop) and prints, per run, the nanoseconds
 * per access:
 *
 *   gdb-target segv RUNS ITERS    each access is a 6-byte store to a
 *                                 PROT_NONE page of its own; its own SIGSEGV
 *                                 handler steps over it.  Under GDB with
 *                                 `handle SIGSEGV nostop noprint pass`: what
 *                                 one SIGSEGV passed through GDB costs.
 *   gdb-target store RUNS ITERS   each access is a 4-byte store to the
 *                                 global target_var, a new value each time,
 *                                 for the debugger to watch (with mwatch, or
 *                                 GDB's own `watch`) when the program stops
 *                                 in ready().
 *
 * Output: one line per run, "gdb-target: run R ns_per_access X", after one
 * warm-up run of ITERS / 10 + 1 accesses; then "gdb-target: accesses N", all
 * of them, warm-up included.  ready() is called before the first access,
 * finished() after the last.  Exit status 1 if the SIGSEGV handler did not
 * see each access.
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

/* What the debugger watches in `store` mode: alone on its page. */
volatile int target_var __attribute__((aligned(4096)));

/* `movl $1, (%rax)`: c7 00 01 00 00 00, 6 bytes, checked by the handler. */
static const unsigned char store_insn[6] = { 0xc7, 0x00, 0x01, 0x00, 0x00, 0x00 };

static void *segv_page;
static volatile sig_atomic_t faults;

static void segv_handler(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;
	const unsigned char *ip =
		(const unsigned char *)(uintptr_t)uc->uc_mcontext.gregs[REG_RIP];

	(void)sig;
	if (si->si_addr == segv_page && memcmp(ip, store_insn, sizeof store_insn) == 0) {
		uc->uc_mcontext.gregs[REG_RIP] += (greg_t)sizeof store_insn;
		faults++;
		return;
	}
	signal(SIGSEGV, SIG_DFL);       /* not ours: die of it */
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static double run_segv(long iters)
{
	double t0 = now_ns();

	for (long i = 0; i < iters; i++)
		__asm__ volatile("movl $1, (%0)" : : "a"(segv_page) : "memory");
	return (now_ns() - t0) / (double)iters;
}

static double run_store(long iters)
{
	double t0 = now_ns();

	for (long i = 0; i < iters; i++)
		target_var = (int)i + 1;        /* always a new value */
	return (now_ns() - t0) / (double)iters;
}

/* The debugger's moments: set-up is done, the timed accesses follow; and
 * they are over (it may count what it saw). */
__attribute__((noinline)) void ready(void);
__attribute__((noinline)) void ready(void)
{
	__asm__ volatile("" : : : "memory");
}

__attribute__((noinline)) void finished(void);
__attribute__((noinline)) void finished(void)
{
	__asm__ volatile("" : : : "memory");
}

static long number(const char *s, long max)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*end || v < 1 || v > max) {
		fprintf(stderr, "usage: gdb-target segv|store RUNS ITERS\n");
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	double (*run)(long);
	long runs, iters;
	long long total;

	if (argc != 4 || (strcmp(argv[1], "segv") != 0 && strcmp(argv[1], "store") != 0)) {
		fprintf(stderr, "usage: gdb-target segv|store RUNS ITERS\n");
		return 2;
	}
	runs = number(argv[2], 1000);
	iters = number(argv[3], 100000000);
	total = (long long)runs * iters + iters / 10 + 1;
	run = run_store;
	if (strcmp(argv[1], "segv") == 0) {
		struct sigaction sa;

		segv_page = mmap(NULL, (size_t)sysconf(_SC_PAGESIZE), PROT_NONE,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (segv_page == MAP_FAILED) {
			perror("gdb-target: mmap");
			return 1;
		}
		memset(&sa, 0, sizeof sa);
		sa.sa_sigaction = segv_handler;
		sa.sa_flags = SA_SIGINFO;
		sigemptyset(&sa.sa_mask);
		if (sigaction(SIGSEGV, &sa, NULL) != 0) {
			perror("gdb-target: sigaction");
			return 1;
		}
		run = run_segv;
	}
	ready();
	run(iters / 10 + 1);                    /* warm-up */
	for (long r = 1; r <= runs; r++)
		printf("gdb-target: run %ld ns_per_access %.1f\n", r, run(iters));
	finished();
	printf("gdb-target: accesses %lld\n", total);
	if (run == run_segv && (long long)faults != total) {
		fprintf(stderr, "gdb-target: %lld faults, expected %lld\n", (long long)faults, total);
		return 1;
	}
	return 0;
}

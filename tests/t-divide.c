/* SPDX-License-Identifier: MIT */
/*
 * t-divide.c - a division that faults (#DE) reading a watched divisor
 * raises the same SIGFPE as without the watch: si_code FPE_INTDIV, si_addr
 * the div instruction itself, and without a handler the process dies of
 * SIGFPE.  Non-faulting divisions are performed and counted.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <sys/wait.h>
#include <unistd.h>

#include "memwatch.h"
#include "tap.h"
#include "section.h"

/* A page of its own: sigsetjmp's mask is saved by a system call, which
 * cannot write a watched page (memwatch(3), kernel accesses). */
static int32_t operand[1024] __attribute__((aligned(4096)));
static sigjmp_buf env;
static volatile siginfo_t got;

extern const char div_insn[], idiv_insn[];

/* edx:eax / operand[3], unsigned; the div is at div_insn. */
__attribute__((noinline)) static uint32_t do_div(uint32_t hi, uint32_t lo)
{
	uint32_t q;

	__asm__ volatile(".globl div_insn\ndiv_insn: divl %3"
			 : "=a"(q), "+d"(hi) : "a"(lo), "m"(operand[3]) : "cc");
	return q;
}

/* edx:eax / operand[5], signed; the idiv is at idiv_insn. */
__attribute__((noinline)) static int32_t do_idiv(int32_t hi, int32_t lo)
{
	int32_t q;

	__asm__ volatile(".globl idiv_insn\nidiv_insn: idivl %3"
			 : "=a"(q), "+d"(hi) : "a"(lo), "m"(operand[5]) : "cc");
	return q;
}

static void on_fpe(int sig, siginfo_t *si, void *ctx)
{
	(void)sig;
	(void)ctx;
	got = *si;
	siglongjmp(env, 1);
}

/* Runs a faulting division; returns 1 if SIGFPE came with FPE_INTDIV at
 * WHERE. */
static int faults_at(int which, const char *where)
{
	got.si_code = 0;
	got.si_addr = NULL;
	if (sigsetjmp(env, 1) == 0) {
		if (which == 0)
			do_div(0, 100);
		else
			do_idiv(-1, INT32_MIN);
		return 0;
	}
	return got.si_signo == SIGFPE && got.si_code == FPE_INTDIV && got.si_addr == where;
}

/* Without a handler: the status of a child doing a division by zero (no
 * core files from the test). */
static void divide(void *arg)
{
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	int watched = *(int *)arg;

	sigaction(SIGFPE, &dfl, NULL);
	if (watched && mw_watch(operand, sizeof(operand), MW_ACCESS) <= 0)
		_exit(3);
	operand[3] = 0;
	do_div(0, 100);
}

static int child_status(int watched)
{
	struct child c = { .flags = CHILD_NO_CORE };

	return child_run(&c, divide, &watched);
}

int main(void)
{
	struct sigaction sa = { .sa_sigaction = on_fpe, .sa_flags = SA_SIGINFO };
	uint64_t c0, c1;
	int id, st0, st1;

	plan(9);
	sigaction(SIGFPE, &sa, NULL);

	operand[3] = 0;
	operand[5] = -1;
	ok(faults_at(0, div_insn), "unwatched: div by 0 raises SIGFPE FPE_INTDIV at the div");
	ok(faults_at(1, idiv_insn), "unwatched: INT32_MIN / -1 raises SIGFPE FPE_INTDIV at the idiv");

	id = mw_watch(operand, sizeof(operand), MW_ACCESS);
	ok(id > 0, "a read-write watch on the divisors");
	operand[3] = 7;
	mw_count(id, &c0);
	is_int(do_div(0, 100), 14, "watched: 100 / 7 = 14");
	mw_count(id, &c1);
	is_u64(c1 - c0, 1, "and the read of the divisor is counted once");
	operand[3] = 0;
	ok(faults_at(0, div_insn), "watched: div by 0 raises SIGFPE FPE_INTDIV at the div itself");
	ok(faults_at(1, idiv_insn), "watched: INT32_MIN / -1 raises SIGFPE FPE_INTDIV at the idiv");
	mw_unwatch(id);

	st0 = child_status(0);
	st1 = child_status(1);
	ok(WIFSIGNALED(st0) && WTERMSIG(st0) == SIGFPE, "without a handler, unwatched: dies of SIGFPE");
	is_int(st1, st0, "without a handler, watched: the same wait status (%#x)", st0);
	return done();
}

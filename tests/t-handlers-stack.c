/* SPDX-License-Identifier: MIT */
/*
 * t-handlers-stack.c - what a program's signal handler sees of its stack
 * while watches exist (memwatch-guarantees(7), "Handlers' stack"): with a
 * global watched it runs on the thread's stack, below the interrupted
 * frame, as without memwatch (the library moves the frame there); with a
 * local of the interrupted frame watched it runs on the library's
 * alternate stack, outside the thread's stack, the interrupted context's
 * stack pointer (uc_mcontext) on the thread's stack, below the interrupted
 * frame, and the handler reads that frame's watched local through it,
 * counted.  Either way sigaltstack(2) reports no alternate stack, and
 * uc_stack holds the library's.  Without any watch the same handler runs
 * on the thread's stack, as always.
 */
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <ucontext.h>
#include <unistd.h>

#include "memwatch.h"
#include "tap.h"
#include "dispatch.h"
#include "section.h"

static uintptr_t stack_lo, stack_hi;
static volatile int *local_addr;
static int global;
static struct {
	uintptr_t frame, sp;
	int local, alt_flags, uc_flags;
	uintptr_t uc_sp;
	size_t uc_size;
} seen;

static int on_stack(uintptr_t a)
{
	return a >= stack_lo && a < stack_hi;
}

static void on_usr1(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	stack_t ss;

	(void)sig;
	(void)si;
	seen.frame = (uintptr_t)__builtin_frame_address(0);
	seen.sp = (uintptr_t)uc->uc_mcontext.gregs[REG_RSP];
	seen.local = *local_addr;       /* the interrupted frame's local */
	sigaltstack(NULL, &ss);
	seen.alt_flags = ss.ss_flags;
	seen.uc_flags = uc->uc_stack.ss_flags;
	seen.uc_sp = (uintptr_t)uc->uc_stack.ss_sp;
	seen.uc_size = uc->uc_stack.ss_size;
}

static void look(int watched)
{
	volatile int local = 42;
	pthread_attr_t a;
	void *base;
	size_t size;
	struct sigaction sa;
	int id = 0;
	uint64_t c = 0;

	pthread_getattr_np(pthread_self(), &a);
	pthread_attr_getstack(&a, &base, &size);
	stack_lo = (uintptr_t)base;
	stack_hi = stack_lo + size;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_usr1;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGUSR1, &sa, NULL);
	local_addr = &local;
	if (watched == 1)
		id = mw_watch((const void *)&local, sizeof(local), MW_ACCESS);
	if (watched == 2)
		id = mw_watch(&global, sizeof(global), MW_ACCESS);
	raise(SIGUSR1);
	if (watched)
		mw_count(id, &c);
	printf("frame on the thread's stack %d; interrupted sp on it %d, below the local %d; "
	       "local %d; sigaltstack flags %d; uc_stack flags %d, on the thread's stack %d, "
	       "size %s; local read counted %d\n",
	       on_stack(seen.frame), on_stack(seen.sp), seen.sp < (uintptr_t)&local, seen.local,
	       seen.alt_flags, seen.uc_flags, seen.uc_sp && on_stack(seen.uc_sp),
	       seen.uc_size == 0 ? "0" : seen.uc_size >= 65536 ? ">= 64 KiB" : "small",
	       (int)c);
	if (watched)
		mw_unwatch(id);
}

static void run(void *arg)
{
	look(*(int *)arg);
}

int main(void)
{
	char out[3][1024];

	need_dispatch();
	plan(3);
	for (int w = 0; w < 3; w++) {
		struct child c = { .flags = CHILD_STDOUT, .alarm = 10, .out = out[w],
				   .len = sizeof(out[w]) };

		child_run(&c, run, &w);
	}
	is_str(out[0],
	       "frame on the thread's stack 1; interrupted sp on it 1, below the local 1; local 42; "
	       "sigaltstack flags 2; uc_stack flags 0, on the thread's stack 0, size 0; local read "
	       "counted 0\n",
	       "without a watch: the handler runs on the thread's stack, no alternate stack");
	is_str(out[1],
	       "frame on the thread's stack 0; interrupted sp on it 1, below the local 1; local 42; "
	       "sigaltstack flags 2; uc_stack flags 0, on the thread's stack 0, size >= 64 KiB; "
	       "local read counted 1\n",
	       "a local watched: the handler runs on the library's alternate stack, the interrupted "
	       "sp and frame are the thread's (its watched local read and counted), sigaltstack "
	       "says none, uc_stack shows the library's");
	is_str(out[2],
	       "frame on the thread's stack 1; interrupted sp on it 1, below the local 1; local 42; "
	       "sigaltstack flags 2; uc_stack flags 0, on the thread's stack 0, size >= 64 KiB; "
	       "local read counted 0\n",
	       "a global watched: the handler runs on the thread's stack, below the interrupted "
	       "frame, as without a watch (the frame moved there), sigaltstack says none, uc_stack "
	       "shows the library's");
	return done();
}

/* SPDX-License-Identifier: MIT */
/*
 * sysdispatch.c - the SIGSYS handler and switching dispatch on (see
 * sysdispatch.h).
 * Fault path (the handler): mw_arch_gate_*, mw_arch_sys_*, mw_sysbounce_*,
 * mw_sysfutex_*, sigdelset, the previous SIGSYS handler.  Nothing else.
 * Thread side (activate): /proc/self/task, tgkill, nanosleep.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "arch.h"
#include "say.h"
#include "sysbounce.h"
#include "sysdispatch.h"
#include "sysfutex.h"

#ifndef SYS_USER_DISPATCH
#define SYS_USER_DISPATCH 2     /* si_code of a dispatch SIGSYS */
#endif

/* The switch every thread's dispatch reads (gate-code.S names it too):
 * 0 lets system calls through, 1 raises SIGSYS. */
__attribute__((visibility("hidden"))) volatile char mw_sys_selector;
_Atomic unsigned long mw_sys_translated;

static int state;               /* 0 not tried, 1 works, -errno: cannot */
static struct sigaction previous;
static volatile sig_atomic_t have_previous;

/* A broadcast of mw_sys_activate in progress, and its answers. */
static _Atomic int asking;
static _Atomic int answered;

static void chain(int sig, siginfo_t *si, void *uc)
{
	struct sigaction prev = previous;

	if (!have_previous || prev.sa_handler == SIG_DFL) {
		/* As without us: the default action, for this very signal. */
		mw_arch_gate_sigaction(sig, NULL, 0);
		mw_arch_gate_syscall(SYS_tgkill, getpid(), mw_arch_gate_syscall(SYS_gettid, 0, 0, 0, 0, 0, 0),
				     sig, 0, 0, 0);
		return;
	}
	if (prev.sa_handler == SIG_IGN)
		return;
	if (prev.sa_flags & SA_SIGINFO)
		prev.sa_sigaction(sig, si, uc);
	else
		prev.sa_handler(sig);
}

static void handler(int sig, siginfo_t *si, void *uc)
{
	int saved_errno = errno;

	if (si->si_code == SYS_USER_DISPATCH) {
		long a[6];
		long nr = mw_arch_sys_args(uc, a);

		mw_sysbounce_perform(uc, nr, a);
	} else if (si->si_code == SI_TKILL && si->si_pid == getpid() && atomic_load(&asking)) {
		/* A broadcast of mw_sys_activate: switch this thread on.  The
		 * system call it interrupted restarts, and now dispatches. */
		if (mw_arch_gate_enable() == 0)
			atomic_fetch_add(&answered, 1);
	} else {
		chain(sig, si, uc);
	}
	errno = saved_errno;
}

static int install(void)
{
	struct sigaction cur;

	if (sigaction(SIGSYS, NULL, &cur) < 0)
		return -errno;
	if ((cur.sa_flags & SA_SIGINFO) && cur.sa_sigaction == handler)
		return 0;
	previous = cur;
	have_previous = 1;
	/* NODEFER: system calls made inside the handler (ours, or the
	 * program's own handlers') dispatch too.  ONSTACK: the thread's
	 * alternate stack, where it has one. */
	return mw_arch_gate_sigaction(SIGSYS, handler, SA_NODEFER | SA_ONSTACK | SA_RESTART);
}

int mw_sys_activate(void)
{
	pid_t self = (pid_t)syscall(SYS_gettid);
	struct timespec ms = { 0, 1000000 };
	int asked = 0, missed;
	DIR *d;
	struct dirent *e;

	if (state < 0)
		return state;
	if (install() < 0 || mw_arch_gate_enable() < 0) {
		state = -ENOSYS;
		return state;
	}
	state = 1;
	/* Block first, then ask every other thread to switch on: a system call
	 * it is blocked in (a read into the memory about to be watched) is
	 * interrupted and restarts through the handler.  Threads switched on
	 * before are asked again for that reason. */
	mw_sys_selector = 1;
	atomic_store(&answered, 0);
	atomic_store(&asking, 1);
	d = opendir("/proc/self/task");
	while (d && (e = readdir(d))) {
		pid_t tid = (pid_t)atoi(e->d_name);

		if (tid > 0 && tid != self && syscall(SYS_tgkill, getpid(), tid, SIGSYS) == 0)
			asked++;
	}
	if (d)
		closedir(d);
	for (int i = 0; i < 200 && atomic_load(&answered) < asked; i++)
		nanosleep(&ms, NULL);
	atomic_store(&asking, 0);
	missed = asked - atomic_load(&answered);
	if (missed > 0) {
		struct mw_msg m;

		mw_msg_init(&m);
		mw_msg_dec(&m, missed);
		mw_msg_str(&m, " thread(s) did not answer (SIGSYS blocked, or gone): their system "
			       "calls that touch watched pages may fail with EFAULT");
		mw_msg_flush(&m);
	}
	return missed > 0 ? missed : 0;
}

void mw_sys_deactivate(void)
{
	mw_sys_selector = 0;
}

void mw_sys_forked(void)
{
	/* The child's one thread switched dispatch on as it left fork (gate);
	 * a fork made while no watch existed did not: do it now. */
	if (state == 1)
		mw_arch_gate_enable();
}

void mw_sys_unwatched(uintptr_t lo, uintptr_t hi, uintptr_t alias)
{
	mw_sysfutex_release(lo, hi, alias);
}

/* SPDX-License-Identifier: MIT */
/*
 * dispatch.c - the SIGSYS handler and switching dispatch on (see
 * dispatch.h).
 * Fault path (the handler, mw_sys_sigaction): mw_arch_gate_*, mw_arch_sys_*,
 * mw_sysbounce_*, mw_sysfutex_*, mw_sysredo_apply, mw_sys_selfsignal_frame,
 * mw_thread_hold_sent,
 * sigdelset, memset, mw_cost_syscall, the previous SIGSYS handler,
 * mw_arch_sys_patch_*, mw_thread_dispatching.  Nothing else.
 * Thread side (activate): /proc/self/task, tgkill, nanosleep, mw_sysredo_*,
 * mw_thread_set_posted_sys,
 * mw_thread_blocks_sigsys, mw_thread_waits_for, mw_threads_unblock,
 * mw_sys_onstack_*.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "arch/arch.h"
#include "base/env.h"
#include "base/say.h"
#include "log/cost.h"
#include "sys/bounce.h"
#include "sys/dispatch.h"
#include "sys/frame.h"
#include "sys/futex.h"
#include "sys/quick.h"
#include "sys/redo.h"
#include "sys/relay.h"
#include "sys/waitmask.h"
#include "sys/rules.h"
#include "threads/perthread.h"
#include "fault/debugger.h"
#include "fault/sigview.h"

#ifndef SYS_USER_DISPATCH
#define SYS_USER_DISPATCH 2     /* si_code of a dispatch SIGSYS */
#endif

_Atomic unsigned long mw_sys_translated;

static int state;               /* 0 not tried, 1 works, -errno: cannot */
static struct sigaction previous;
static volatile sig_atomic_t have_previous;

/* The threads mw_sys_activate asked, and whether each answered (their
 * handlers mark it) or is found to block SIGSYS (not waited for once it
 * did at BLOCK_LOOKS looks in a row, some 40 ms: a thread that is only
 * starting blocks every signal until the C library gives it its mask, and
 * the thread in pthread_create blocks them around the clone). */
#define ASKED_MAX 256
#define BLOCK_LOOKS 3
static struct {
	_Atomic pid_t tid;
	_Atomic int answered;
	int blocks;             /* looks in a row that found SIGSYS blocked */
} asked_tab[ASKED_MAX];
static _Atomic int n_asked;
static int said_blocking;       /* the message is said once */

static void chain(int sig, siginfo_t *si, void *uc)
{
	struct sigaction prev = previous;

	if (!have_previous || prev.sa_handler == SIG_DFL) {
		/* As without us: the default action, for this very signal,
		 * held until this handler returns: it acts on the program's
		 * context (a core shows its frames on top, not ours). */
		uint64_t bit = 1ull << (sig - 1);

		mw_arch_gate_sigaction(sig, NULL, 0, 0);
		mw_arch_gate_syscall(SYS_rt_sigprocmask, SIG_BLOCK, (long)&bit, 0, 8, 0, 0);
		/* From the gate only: a system call of the C library's
		 * (getpid) would raise a SIGSYS, now deadly. */
		mw_arch_gate_syscall(SYS_tgkill, mw_arch_gate_syscall(SYS_getpid, 0, 0, 0, 0, 0, 0),
				     mw_arch_gate_syscall(SYS_gettid, 0, 0, 0, 0, 0, 0), sig, 0, 0, 0);
		return;
	}
	if (prev.sa_handler == SIG_IGN)
		return;
	if (prev.sa_flags & SA_SIGINFO)
		prev.sa_sigaction(sig, si, uc);
	else
		prev.sa_handler(sig);
}

/* Our broadcast: sent with rt_tgsigqueueinfo, SI_QUEUE and this value, so
 * that a late one (a thread that unblocked SIGSYS after the broadcast) is
 * still ours, and the program's own SIGSYS never is. */
#define BROADCAST ((void *)0x6d77737973ul)      /* "mwsys" */

static _Atomic unsigned patch_after;
/* The stack patching a site takes (the code's file read through windows of
 * a page): not on a small alternate stack of the program's. */
#define PATCH_STACK (24 * 1024)

/* A patched site's system call (arch.h), on the thread's stack of the
 * library's, with no signal: performed as below when it needs nothing of a
 * signal frame; else the site's stub raises the SIGSYS. */
static int patched(void *uc)
{
	int saved_errno = errno;
	long a[6];
	long nr = mw_arch_sys_args(uc, a);

	if (!mw_thread_dispatching() || !mw_sysbounce_plain(nr) || mw_sys_waitmask_read(nr, a))
		return 0;
	mw_relay_patched(1);
	mw_sysbounce_perform(uc, nr, a);
	mw_relay_patched(0);
	errno = saved_errno;
	return 1;
}

void mw_sys_patching(unsigned after)
{
	if (after) {
		mw_sys_rules_init();
		mw_sys_quick_init();
		mw_arch_sys_patch_init(patched, mw_sys_quick);
	}
	atomic_store(&patch_after, after);
}

static void handler(int sig, siginfo_t *si, void *uc)
{
	int saved_errno = errno;

	mw_thread_seen(uc);
	if (si->si_code == SYS_USER_DISPATCH) {
		long a[6];
		long nr, r;
		unsigned after = atomic_load_explicit(&patch_after, memory_order_relaxed);

		nr = mw_arch_sys_args(uc, a);
		/* From a patched site's stub: the site's, from here on.  Else
		 * its site may be patched now (under GDB too: each stub is
		 * told to it, with the site as its caller, through the JIT
		 * interface). */
		if (after && !mw_arch_sys_patch_where(uc) && mw_sysbounce_plain(nr) &&
		    !mw_thread_stack_short(PATCH_STACK))
			mw_arch_sys_patch_consider(uc, after, mw_gdb_attached);
		r = mw_sys_selfsignal_frame(uc, nr, a);
		mw_cost_syscall(nr);    /* what dispatch costs (log/cost.h) */

		if (r != 1)
			mw_arch_sys_return(uc, r);
		else
			mw_sysbounce_perform(uc, nr, a);
	} else if (si->si_code == SI_QUEUE && si->si_value.sival_ptr == BROADCAST &&
		   si->si_pid == getpid()) {
		/* mw_sys_activate asks: this thread's switch follows the
		 * watches; the system call it interrupted restarts, and now
		 * dispatches. */
		pid_t me = (pid_t)mw_arch_gate_syscall(SYS_gettid, 0, 0, 0, 0, 0, 0);
		int n = atomic_load(&n_asked);
		uint64_t *mask = (uint64_t *)&((ucontext_t *)uc)->uc_sigmask;

		/* A thread that blocked SIGSEGV too before the first watch
		 * (and now unblocks SIGSYS): unblocked, into its view. */
		*mw_thread_view() |= *mask & MW_THREAD_NEEDED;
		*mask &= ~MW_THREAD_NEEDED;
		mw_thread_switch_self(uc);
		mw_sysredo_apply(me, uc);
		for (int i = 0; i < n; i++)
			if (atomic_load(&asked_tab[i].tid) == me)
				atomic_store(&asked_tab[i].answered, 1);
	} else if (!mw_thread_hold_sent(sig, si)) {     /* pending for the view */
		chain(sig, si, uc);
	}
	errno = saved_errno;
}

int mw_sys_sigaction(const struct sigaction *act, struct sigaction *old)
{
	if (state != 1)
		return -1;
	mw_sigview_swap(&previous, &have_previous, act, old);
	return 0;
}

static int install(void)
{
	struct sigaction cur;

	/* A SIGSYS one thread sends another arrives through the SIGSEGV
	 * handler (threads/perthread.h, posted by frame.c). */
	mw_thread_set_posted_sys(chain);
	if (sigaction(SIGSYS, NULL, &cur) < 0)
		return -errno;
	if ((cur.sa_flags & SA_SIGINFO) &&
	    (void *)cur.sa_sigaction == mw_arch_gate_handler(handler))
		return 0;
	previous = cur;
	have_previous = 1;
	/* NODEFER: system calls made inside the handler (ours, or the
	 * program's own handlers') dispatch too.  ONSTACK: the thread's
	 * alternate stack, where it has one. */
	/* No signal held while it runs: the calls it makes for the program
	 * may block, and the program's signals must interrupt them. */
	return mw_arch_gate_sigaction(SIGSYS, handler, SA_NODEFER | SA_ONSTACK | SA_RESTART, 0);
}

static void question(siginfo_t *si)
{
	memset(si, 0, sizeof(*si));
	si->si_signo = SIGSYS;
	si->si_code = SI_QUEUE;
	si->si_pid = getpid();
	si->si_uid = getuid();
	si->si_value.sival_ptr = BROADCAST;
}

static int ask(pid_t tid)
{
	siginfo_t si;

	question(&si);
	return (int)syscall(SYS_rt_tgsigqueueinfo, getpid(), tid, SIGSYS, &si);
}

int mw_sys_wanted(void)
{
	/* Read when the first watch is made: no page is watched yet, so
	 * environ is not either. */
	const char *e = mw_env("MEMWATCH_SYSCALLS"), *pre = getenv("LD_PRELOAD");

	if (e && strcmp(e, "0") == 0)
		return 0;
	/* Valgrind runs the program's code from its own translations, never
	 * from our gate: every system call, its own too, would be a SIGSYS. */
	if (pre && strstr(pre, "vgpreload"))
		return 0;
	return 1;
}

/* Waits for the asked threads' answers: up to a second for those that
 * can answer (a loaded machine may not run them at once), not for those
 * that have ended or kept SIGSYS blocked at BLOCK_LOOKS looks (after 1 ms,
 * then every 20).  Returns how many did not answer; *BLOCKING, how many of
 * them block SIGSYS. */
static int wait_answers(int *blocking)
{
	struct timespec ms = { 0, 1000000 };
	int n = atomic_load(&n_asked), waiting = n, missed = 0;

	for (int t = 0; t < 1000 && waiting > 0; t++) {
		if (t == 1 || (t > 1 && t % 20 == 0))
			for (int i = 0; i < n; i++) {
				pid_t tid = atomic_load(&asked_tab[i].tid);

				if (asked_tab[i].blocks >= BLOCK_LOOKS ||
				    atomic_load(&asked_tab[i].answered))
					continue;
				if (syscall(SYS_tgkill, getpid(), tid, 0) < 0 && errno == ESRCH)
					atomic_store(&asked_tab[i].answered, 1);        /* ended */
				else if (mw_thread_blocks_sigsys(tid))
					asked_tab[i].blocks++;
				else
					asked_tab[i].blocks = 0;
			}
		waiting = 0;
		for (int i = 0; i < n; i++)
			waiting += asked_tab[i].blocks < BLOCK_LOOKS &&
				   !atomic_load(&asked_tab[i].answered);
		if (waiting)
			nanosleep(&ms, NULL);
	}
	*blocking = 0;
	for (int i = 0; i < n; i++) {
		missed += !atomic_load(&asked_tab[i].answered);
		*blocking += !atomic_load(&asked_tab[i].answered) &&
			     asked_tab[i].blocks >= BLOCK_LOOKS;
	}
	return missed;
}

/* The asked threads that block SIGSYS: unblocked from outside
 * (perthread.h), then waited for again; how many were. */
static int unblock_blocking(void)
{
	pid_t tids[ASKED_MAX];
	bool send[ASKED_MAX] = { false };
	siginfo_t si;
	int n = 0, done;

	question(&si);
	for (int i = 0; i < atomic_load(&n_asked); i++)
		if (!atomic_load(&asked_tab[i].answered) && asked_tab[i].blocks >= BLOCK_LOOKS)
			tids[n++] = atomic_load(&asked_tab[i].tid);
	done = n ? mw_threads_unblock(tids, send, n, &si) : 0;
	if (done)
		for (int i = 0; i < atomic_load(&n_asked); i++)
			asked_tab[i].blocks = 0;
	return done;
}

int mw_sys_activate(void)
{
	pid_t self = (pid_t)syscall(SYS_gettid);
	static pid_t waiting[ASKED_MAX];
	struct stat st;
	int missed, blocking, n = 0, n_waiting = 0;
	DIR *d;
	struct dirent *e;

	if (state < 0)
		return state;
	if (!mw_sys_wanted()) {
		state = -EPERM;
		return state;
	}
	mw_sys_rules_init();    /* before the first dispatched call */
	if (install() < 0 || mw_thread_enable_self() < 0) {
		state = -ENOSYS;
		return state;
	}
	state = 1;
	/* The program's handlers run on the alternate stack, wherever the
	 * thread's stack pointer is (sys/frame.h); and those it installed
	 * blocking everything while they run would block SIGSYS and SIGSEGV
	 * then.  One look at every signal, not two (each a system call). */
	mw_sys_onstack_begin((1ull << (SIGSEGV - 1)) | (1ull << (SIGSYS - 1)));
	/* Switch on first, then ask every other thread to look: a system call
	 * it is blocked in (a read into the memory about to be watched) is
	 * interrupted and restarts through the handler.  A thread that blocks
	 * SIGSYS gets the question when it unblocks it. */
	mw_arch_gate_selector = 1;
	mw_threads_switch(1);
	/* The task directory has 2 + the number of threads links: with only
	 * this one, nobody to ask. */
	if (stat("/proc/self/task", &st) == 0 && st.st_nlink == 3)
		return 0;
	mw_sysredo_reset();
	atomic_store(&n_asked, 0);
	d = opendir("/proc/self/task");
	while (d && (e = readdir(d))) {
		pid_t tid = (pid_t)atoi(e->d_name);

		if (tid <= 0 || tid == self)
			continue;
		/* A call the signal will end with EINTR is made again. */
		mw_sysredo_note(tid);
		if (n == ASKED_MAX) {   /* asked, not waited for */
			ask(tid);
			continue;
		}
		/* In the table before the question: it may answer at once. */
		atomic_store(&asked_tab[n].tid, tid);
		atomic_store(&asked_tab[n].answered, 0);
		asked_tab[n].blocks = 0;
		atomic_store(&n_asked, n + 1);
		/* One in sigwait for SIGSYS would take the question for a
		 * signal of its own: asked by a tracer once its wait ends. */
		if (n_waiting < ASKED_MAX && mw_thread_waits_for(tid, SIGSYS))
			waiting[n_waiting++] = tid;
		else if (ask(tid) != 0)
			atomic_store(&asked_tab[n].answered, 1);        /* gone */
		n++;
	}
	if (d)
		closedir(d);
	if (n_waiting) {
		bool send[ASKED_MAX];
		siginfo_t si;

		question(&si);
		for (int i = 0; i < n_waiting; i++)
			send[i] = true;
		/* Not traceable: asked as the others, as before. */
		if (mw_threads_unblock(waiting, send, n_waiting, &si) == 0)
			for (int i = 0; i < n_waiting; i++)
				ask(waiting[i]);
	}
	missed = wait_answers(&blocking);
	if (blocking > 0 && unblock_blocking() > 0)
		missed = wait_answers(&blocking);
	if (blocking > 0 && !said_blocking) {
		struct mw_msg m;
		int segv = 0;

		said_blocking = 1;
		mw_msg_init(&m);
		mw_msg_dec(&m, blocking);
		mw_msg_str(&m, " thread(s) block SIGSYS now: until they unblock it, their system "
			       "calls that touch watched pages fail with EFAULT");
		mw_msg_flush(&m);
		for (int i = 0; i < atomic_load(&n_asked); i++)
			segv += !atomic_load(&asked_tab[i].answered) &&
				asked_tab[i].blocks >= BLOCK_LOOKS &&
				mw_thread_blocks(atomic_load(&asked_tab[i].tid), SIGSEGV);
		if (segv > 0) {
			mw_msg_init(&m);
			mw_msg_dec(&m, segv);
			mw_msg_str(&m, " of them block SIGSEGV too: until then, a watched access of "
				       "theirs kills the process (block signals in threads after the "
				       "first watch, or call mw_watch in them)");
			mw_msg_flush(&m);
		}
	}
	return missed;
}

void mw_sys_deactivate(void)
{
	mw_arch_gate_selector = 0;
	mw_threads_switch(0);
	if (state == 1)
		mw_sys_onstack_end();
}

void mw_sys_forked(void)
{
	/* The child's one thread switched dispatch on as it left fork (gate);
	 * a fork made while no watch existed did not: do it now. */
	mw_threads_forked();
	if (state == 1)
		mw_thread_enable_self();
}

void mw_sys_unwatched(uintptr_t lo, uintptr_t hi, uintptr_t alias)
{
	mw_sysfutex_release(lo, hi, alias);
}

/* SPDX-License-Identifier: MIT */
/*
 * frame.c - signal system calls performed on the SIGSYS frame (see frame.h).
 * Fault path: kernelmem.h, mw_table_*, mw_arch_ksa_*, mw_arch_sp,
 * mw_arch_sys_altstack, mw_thread_*altstack, mw_fault_sigaction,
 * mw_sys_sigaction, mw_arch_gate_syscall, mw_thread_post, memcpy, memset,
 * mw_relay_was/install/shown.
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <ucontext.h>

#include "arch/arch.h"
#include "base/sigsafe.h"
#include "fault/fault.h"
#include "sys/dispatch.h"
#include "log/record.h"
#include "sys/frame.h"
#include "sys/kernelmem.h"
#include "sys/relay.h"
#include "sys/rules.h"
#include "threads/perthread.h"
#include "watch/table.h"

/* SIG_BLOCK, SIG_UNBLOCK or SIG_SETMASK (HOW) of SET applied to *MASK;
 * -1 for another HOW, *MASK unchanged. */
static int apply_how(long how, uint64_t *mask, uint64_t set)
{
	switch (how) {
	case SIG_BLOCK:
		*mask |= set;
		return 0;
	case SIG_UNBLOCK:
		*mask &= ~set;
		return 0;
	case SIG_SETMASK:
		*mask = set;
		return 0;
	default:
		return -1;
	}
}

/* rt_sigprocmask, on the mask the signal frame will restore. */
static long sigprocmask_frame(void *uc, const long a[6])
{
	uint64_t *mask = (uint64_t *)&((ucontext_t *)uc)->uc_sigmask;
	uint64_t set = 0, old = *mask;
	int r;

	if (a[3] != 8)
		return -EINVAL;
	if (a[1]) {
		r = mw_sys_bring_in(&set, (uintptr_t)a[1], 8);
		if (r)
			return r;
	}
	if (a[2]) {
		unsigned slot;
		const struct mw_snapshot *s = mw_table_enter(&slot);

		r = mw_sys_copy_out(s, (uintptr_t)a[2], &old, 8);
		mw_table_exit(slot);
		if (r)
			return r;
	}
	if (!a[1])
		return 0;
	if (apply_how(a[0], mask, set) < 0)
		return -EINVAL;
	*mask &= ~((1ull << (SIGKILL - 1)) | (1ull << (SIGSTOP - 1)));
	mw_sys_sanitize(mask);
	return 0;
}

/* rt_sigprocmask as the program sees it (perthread.h's view): the old mask
 * it gets holds the SIGSEGV and SIGSYS it blocked, and what it blocks or
 * unblocks of them goes to the view; the thread's real mask never blocks
 * them (sigprocmask_frame performs the call on the signal frame's mask). */
long mw_sys_sigprocmask_frame(void *uc, const long a[6])
{
	uint64_t *mask = (uint64_t *)&((ucontext_t *)uc)->uc_sigmask;
	uint64_t *view = mw_thread_view();
	uint64_t set = 0;
	int have = a[1] && mw_sys_bring_in(&set, (uintptr_t)a[1], 8) == 0;
	long r;

	uint64_t before = *view;

	*mask |= *view;
	r = sigprocmask_frame(uc, a);
	*mask &= ~MW_THREAD_NEEDED;
	if (have && r >= 0)
		apply_how(a[0], view, set & MW_THREAD_NEEDED);
	/* What was sent while the view blocked it arrives now, right after
	 * the call, as the kernel delivers a pending signal on unblocking. */
	mw_thread_release_held(before & ~*view, 1);
	return r;
}

/* rt_sigpending: the kernel's pending set and the signals held for the
 * thread's view (perthread.h).  1: nothing held, the call goes on. */
static long sigpending_frame(void *uc, const long a[6])
{
	uint64_t set = 0;
	long r;

	if (!mw_thread_held() || a[1] != 8)
		return 1;
	r = mw_arch_gate_syscall(SYS_rt_sigpending, (long)&set, 8, 0, 0, 0, 0);
	if (r < 0)
		return r;
	set |= mw_thread_held();
	return mw_sys_give_out(uc, (uintptr_t)a[0], &set, 8);
}

/* rt_sigtimedwait for a set with a held signal in it: that one, at once.
 * 1: none, the call goes on (a signal sent while it waits is the
 * kernel's to give it). */
static long sigtimedwait_frame(void *uc, const long a[6])
{
	uint64_t set = 0;
	siginfo_t si;
	int sig;

	if (!mw_thread_held() || a[3] != 8 || mw_sys_bring_in(&set, (uintptr_t)a[0], 8))
		return 1;
	sig = mw_thread_take_held(set, &si);
	if (!sig)
		return 1;
	if (a[1]) {
		long r = mw_sys_give_out(uc, (uintptr_t)a[1], &si, sizeof(si));

		if (r)
			return r;
	}
	return sig;
}

/* sigaction(SIGSEGV) by the program while ours is installed: its handler
 * becomes the one genuine faults go to (fault.h); ours stays.  The same for
 * SIGSYS: its handler gets the SIGSYS that are not dispatch's (bash's
 * `read -t` installs one for SIGSYS among others, and died of the next
 * dispatched call).  1 when the call should go to the kernel instead. */
long mw_sys_sigaction_frame(const long a[6])
{
	uint8_t k[MW_KSA_MAX];
	struct sigaction act, old;
	int r;

	if (a[1]) {
		r = mw_sys_bring_in(k, (uintptr_t)a[1], mw_arch_ksa_size());
		if (r)
			return r;
		mw_arch_ksa_to_sa(k, &act);
	}
	if ((a[0] == SIGSEGV ? mw_fault_sigaction : mw_sys_sigaction)(a[1] ? &act : NULL,
								    a[2] ? &old : NULL) < 0)
		return 1;
	if (a[2]) {
		unsigned slot;
		const struct mw_snapshot *s = mw_table_enter(&slot);

		mw_arch_sa_to_ksa(&old, k);
		r = mw_sys_copy_out(s, (uintptr_t)a[2], k, mw_arch_ksa_size());
		mw_table_exit(slot);
		if (r)
			return r;
	}
	return 0;
}

static bool is_handler(const struct sigaction *sa)
{
	return sa->sa_handler != SIG_DFL && sa->sa_handler != SIG_IGN;
}

long mw_sys_sigaction_onstack(void *uc, const long a[6])
{
	uint8_t k[MW_KSA_MAX], ko[MW_KSA_MAX];
	struct sigaction act, old;
	struct mw_relay_was was;
	uint64_t bit, mask;
	long r;

	if (a[0] < 1 || a[0] > 64 || a[0] == SIGSEGV || a[0] == SIGSYS || a[3] != 8)
		return 1;
	bit = 1ull << (a[0] - 1);
	mw_relay_was((int)a[0], &was);
	if (a[1]) {
		r = mw_sys_bring_in(k, (uintptr_t)a[1], mw_arch_ksa_size());
		if (r)
			return r;
		mw_arch_ksa_to_sa(k, &act);
		if (is_handler(&act))
			mw_record_handlers(bit, 0);     /* before it can run */
		else
			mw_record_unhandled(bit);
		memcpy(&mask, &act.sa_mask, sizeof(mask));
		mw_sys_sanitize(&mask);
		memcpy(&act.sa_mask, &mask, sizeof(mask));
		mw_relay_install((int)a[0], &act);
		mw_arch_sa_to_ksa(&act, k);
	}
	r = mw_arch_gate_syscall(SYS_rt_sigaction, a[0], a[1] ? (long)k : 0, a[2] ? (long)ko : 0,
				 8, 0, 0);
	if (r < 0)
		return r;
	if (a[1])
		mw_sys_log_read(uc, (uintptr_t)a[1], mw_arch_ksa_size());
	if (a[2]) {
		mw_arch_ksa_to_sa(ko, &old);
		mw_relay_shown(&old, &was);
		mw_arch_sa_to_ksa(&old, ko);
		/* Copied out and logged, as the kernel's write. */
		r = mw_sys_give_out(uc, (uintptr_t)a[2], ko, mw_arch_ksa_size());
		if (r)
			return r;
	}
	return 0;
}

/* sigaltstack, on the signal frame: performed here, on our alternate stack,
 * it would see this handler's stack, not the program's, and refuse to
 * change a stack in use.  The frame's uc_stack is the alternate stack at
 * the call (its flags as set, without SS_ONSTACK) and what rt_sigreturn
 * installs. */
long mw_sys_sigaltstack_frame(void *uc, const long a[6])
{
	stack_t *cur = &((ucontext_t *)uc)->uc_stack, set, ours;
	stack_t old = *cur;
	uintptr_t sp = mw_arch_sp(uc);
	bool have_ours = mw_thread_our_altstack(&ours);
	int r;

	if (!(old.ss_flags & SS_DISABLE) && sp > (uintptr_t)old.ss_sp &&
	    sp - (uintptr_t)old.ss_sp <= old.ss_size)
		old.ss_flags |= SS_ONSTACK;
	bool on = old.ss_flags & SS_ONSTACK;

	/* The library's own stack is none, as far as the program can tell,
	 * also to its handlers running there (SA_ONSTACK, see frame.h). */
	if (have_ours && old.ss_sp == ours.ss_sp)
		old = (stack_t){ NULL, SS_DISABLE, 0 };
	if (a[0]) {
		r = mw_sys_bring_in(&set, (uintptr_t)a[0], sizeof(set));
		if (r)
			return r;
		if (on)
			return -EPERM;
		if (set.ss_flags & ~(SS_DISABLE | (int)0x80000000u /* SS_AUTODISARM */))
			return -EINVAL;
		if (!(set.ss_flags & SS_DISABLE) && set.ss_size < (size_t)MINSIGSTKSZ)
			return -ENOMEM;
	}
	if (a[1]) {
		unsigned slot;
		const struct mw_snapshot *s = mw_table_enter(&slot);

		r = mw_sys_copy_out(s, (uintptr_t)a[1], &old, sizeof(old));
		mw_table_exit(slot);
		if (r)
			return r;
	}
	if (a[0]) {
		if (set.ss_flags & SS_DISABLE) {
			set.ss_sp = NULL;
			set.ss_size = 0;
			/* No stack of the program's: the library's again, for
			 * its handlers (the program sees none). */
			if (have_ours)
				set = ours;
		}
		*cur = set;
		/* The frame's copy is what rt_sigreturn restores, but the
		 * kernel does not take it while this handler runs on an
		 * alternate stack without SS_AUTODISARM (ours): set it now. */
		mw_arch_sys_altstack(uc, &set);
		mw_thread_altstack((uintptr_t)set.ss_sp, set.ss_size);
	}
	return 0;
}

/* ------------------------------------------- fatal signals sent to self */

/* Whether SIG's action is the default one, and that kills the process. */
static bool default_fatal(int sig)
{
	struct sigaction sa;
	uint8_t k[MW_KSA_MAX];

	switch (sig) {
	case SIGKILL:           /* cannot be held; acts at once anyway */
	case SIGSTOP: case SIGTSTP: case SIGTTIN: case SIGTTOU:
	case SIGCHLD: case SIGCONT: case SIGURG: case SIGWINCH:
		return false;
	}
	/* The library's own handlers: the program's view of them. */
	if ((sig == SIGSEGV && mw_fault_sigaction(NULL, &sa) == 0) ||
	    (sig == SIGSYS && mw_sys_sigaction(NULL, &sa) == 0))
		return sa.sa_handler == SIG_DFL;
	if (mw_arch_gate_syscall(SYS_rt_sigaction, sig, 0, (long)k, 8, 0, 0) < 0)
		return false;
	mw_arch_ksa_to_sa(k, &sa);
	return sa.sa_handler == SIG_DFL;
}

/* tkill, tgkill or rt_tgsigqueueinfo (NR, A) of SIGSEGV or SIGSYS to
 * another thread of the process (the caller is PID, TID): posted
 * (perthread.h), so that the kernel cannot merge it with a signal of the
 * library's pending for that thread.  1: not such a call, it goes on. */
static long to_other(long nr, const long a[6], long pid, long tid)
{
	siginfo_t si;
	long target, r;
	int sig;

	switch (nr) {
	case SYS_tkill:
		target = a[0];
		sig = (int)a[1];
		break;
	case SYS_tgkill:
	case SYS_rt_tgsigqueueinfo:
		if ((int)a[0] != pid)
			return 1;
		target = a[1];
		sig = (int)a[2];
		break;
	default:
		return 1;
	}
	if ((sig != SIGSEGV && sig != SIGSYS) || (int)target <= 0 || (int)target == tid)
		return 1;
	memset(&si, 0, sizeof(si));
	if (nr == SYS_rt_tgsigqueueinfo) {
		/* The kernel's EFAULT, or its EPERM for a kill()'s or its own
		 * si_code from another thread than the main one. */
		if (mw_sys_bring_in(&si, (uintptr_t)a[3], sizeof(si)) ||
		    ((si.si_code >= 0 || si.si_code == SI_TKILL) && tid != pid))
			return 1;
	} else {
		si.si_code = SI_TKILL;
		si.si_pid = (pid_t)pid;
		si.si_uid = (uid_t)mw_arch_gate_syscall(SYS_getuid, 0, 0, 0, 0, 0, 0);
	}
	si.si_signo = sig;
	r = mw_thread_post((pid_t)target, &si);
	/* tkill of a thread the library knew, now another process's. */
	if (r == -ESRCH && nr == SYS_tkill)
		return 1;
	return r;
}

long mw_sys_selfsignal_frame(void *uc, long nr, const long a[6])
{
	long pid, tid;
	uint64_t mask = *(uint64_t *)&((ucontext_t *)uc)->uc_sigmask, bit;
	bool process = false, as_is = false;
	long sig;

	if (nr == SYS_rt_sigpending)
		return sigpending_frame(uc, a);
	if (nr == SYS_rt_sigtimedwait)
		return sigtimedwait_frame(uc, a);
	if (nr != SYS_kill && nr != SYS_tkill && nr != SYS_tgkill && nr != SYS_rt_sigqueueinfo &&
	    nr != SYS_rt_tgsigqueueinfo)
		return 1;
	pid = mw_arch_gate_syscall(SYS_getpid, 0, 0, 0, 0, 0, 0);
	tid = mw_arch_gate_syscall(SYS_gettid, 0, 0, 0, 0, 0, 0);
	sig = to_other(nr, a, pid, tid);
	if (sig != 1)
		return sig;
	switch (nr) {
	case SYS_kill:
		/* Its process group (kill(0), kill(-pgid)) holds the process
		 * too: the others get it as they would. */
		if ((int)a[0] == 0 || ((int)a[0] < -1 &&
					-(int)a[0] == mw_arch_gate_syscall(SYS_getpgid, 0, 0, 0, 0, 0, 0)))
			as_is = true;     /* pid_t: an int, whatever the upper bits */
		else if (a[0] != pid)
			return 1;
		sig = a[1];
		process = true;
		break;
	case SYS_tkill:
		if (a[0] != tid)
			return 1;
		sig = a[1];
		break;
	case SYS_tgkill:
	case SYS_rt_tgsigqueueinfo:
		if (a[0] != pid || a[1] != tid)
			return 1;
		sig = a[2];
		break;
	case SYS_rt_sigqueueinfo: {
		int code;

		/* The kernel refuses a kill()'s or the kernel's si_code to
		 * another thread than the main one: left to it. */
		if (a[0] != pid || mw_sys_bring_in(&code, (uintptr_t)a[2] + 8, sizeof(code)) ||
		    ((code >= 0 || code == SI_TKILL) && tid != pid))
			return 1;
		sig = a[1];
		process = true;
		break;
	}
	default:
		return 1;
	}
	/* Any signal but the library's own two (which its handlers need
	 * deliverable while they run, for their probes) is held: a handler of
	 * the program's then runs on the program's context, not on this
	 * handler's (its uc_mcontext is the program's), a default action acts
	 * there (a core shows the program's frames on top).  SIGSEGV and
	 * SIGSYS only when their default action ends the process. */
	if (sig < 1 || sig > 64 ||
	    ((sig == SIGSEGV || sig == SIGSYS) && !default_fatal((int)sig)))
		return 1;
	/* kill(getpid()) from another thread than the main one: sent as it
	 * is, held here, so that this thread takes it, if it does, on its own
	 * context (any thread that does not block it may: after rt_sigreturn
	 * this one often looks first, where without the library the main
	 * thread would take it); unless it ends the process (sent to this
	 * thread then, for the core's frames). */
	if (nr == SYS_kill && !as_is && tid != pid && !default_fatal((int)sig))
		as_is = true;
	bit = 1ull << (sig - 1);
	/* Sent to the process: the kernel gives it to this thread unless it
	 * blocks it; then to another, as it is. */
	if (process && (mask & bit))
		return 1;
	/* Held while the handler runs; the frame's mask, which rt_sigreturn
	 * puts back, lets it through on the program's context. */
	mw_arch_gate_syscall(SYS_rt_sigprocmask, SIG_BLOCK, (long)&bit, 0, 8, 0, 0);
	/* The group's, or the process's: the process gets it as the others
	 * do; a thread that does not block it takes it, or, held here, this
	 * one on return. */
	if (as_is)
		return mw_arch_gate_syscall(nr, a[0], a[1], 0, 0, 0, 0);
	if (nr == SYS_kill) {   /* to this thread, which the kernel would pick */
		siginfo_t si;

		/* As kill's: SI_USER from this process (the kernel lets only
		 * the main thread say so; others send it as tgkill's). */
		memset(&si, 0, sizeof(si));
		si.si_signo = (int)sig;
		si.si_code = SI_USER;
		si.si_pid = (pid_t)pid;
		si.si_uid = (uid_t)mw_arch_gate_syscall(SYS_getuid, 0, 0, 0, 0, 0, 0);
		if (tid == pid)
			return mw_arch_gate_syscall(SYS_rt_tgsigqueueinfo, pid, tid, sig, (long)&si, 0, 0);
		return mw_arch_gate_syscall(SYS_tgkill, pid, tid, sig, 0, 0, 0);
	}
	if (nr == SYS_rt_sigqueueinfo)
		return mw_arch_gate_syscall(SYS_rt_tgsigqueueinfo, pid, tid, sig, a[2], 0, 0);
	return mw_arch_gate_syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}

/* SPDX-License-Identifier: MIT */
/*
 * bounce.c - performing dispatched system calls (see bounce.h): the calls
 * that act on the frame (frame.c), the address space (addrspace.c) or a
 * futex (futex.c) go there; clone-like calls are made here; the others by
 * their rule (rules.c), with bounce buffers for the ones on watched pages
 * (call.c, kernelmem.c).
 * Fault path: mw_table_*, call.h, kernelmem.h, mw_arch_gate_syscall,
 * mw_arch_sys_*, mw_sysfutex, mw_sys_waitmask, mw_unwind_busy, mw_msg_*, memcpy.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <ucontext.h>

#include "arch/arch.h"
#include "base/procfd.h"
#include "base/say.h"
#include "base/sigsafe.h"
#include "log/unwind.h"
#include "memwatch.h"
#include "sys/addrspace.h"
#include "sys/bounce.h"
#include "sys/call.h"
#include "sys/fork.h"
#include "sys/frame.h"
#include "sys/futex.h"
#include "sys/kernelmem.h"
#include "sys/rules.h"
#include "sys/waitmask.h"
#include "threads/lock.h"
#include "watch/table.h"

#ifdef SYS_pipe
#define IS_SYS_PIPE(nr) ((nr) == SYS_pipe)
#else
#define IS_SYS_PIPE(nr) 0
#endif

static long perform_rule(void *uc, long nr, long a[6], const struct rule *ru)
{
	struct call c;
	char *scratch = NULL;
	long b[6], r;
	int tries = 0;
	const struct mw_snapshot *seen;

again:
	for (;;) {
		unsigned slot;
		const struct mw_snapshot *s = mw_table_enter(&slot);

		seen = s;
		mw_call_init(&c);
		memcpy(b, a, sizeof(b));
		scratch = NULL;
		r = s->nspans || mw_call_sanitizes(ru) ? mw_call_prepare(&c, s, ru, b, &scratch) : 0;
		mw_table_exit(slot);
		if (r != MW_SYS_BUSY)
			break;
		mw_call_free(&c);
		mw_sys_yield();
	}
	if (r) {
		mw_call_free(&c);
		mw_arch_sys_return(uc, r);
		return r;
	}
	r = mw_sys6(nr, b);
	if (!c.nbuf) {
		/* A buffer watched while the call was blocked (a read into it
		 * started before mw_watch): the kernel says EFAULT.  Again,
		 * bounced this time: a failed copy consumed nothing. */
		if (r == -EFAULT && tries++ < 3) {
			unsigned slot;
			bool changed = mw_table_enter(&slot) != seen;

			mw_table_exit(slot);
			if (changed)
				goto again;
		}
		mw_arch_sys_return(uc, r);
		return r;
	}
	r = mw_call_finish(uc, &c, r);
	mw_call_free(&c);
	mw_arch_sys_return(uc, r);
	return r;
}

long mw_sysbounce_rule(void *uc, long nr, long a[6])
{
	const struct rule *ru = mw_sys_rule_of(nr);
	long r;

	if (ru)
		return perform_rule(uc, nr, a, ru);
	r = mw_sys6(nr, a);
	mw_arch_sys_return(uc, r);
	return r;
}

#ifdef SYS_clone3
/* The flags of clone3's struct clone_args (its first member), CLONE_VM if
 * unreadable: the kernel's EFAULT or EINVAL then, nothing to copy. */
static uint64_t clone3_flags(const long a[6])
{
	uint64_t flags = 0;

	if (!a[0] || (size_t)a[1] < sizeof(flags) ||
	    mw_sys_bring_in(&flags, (uintptr_t)a[0], sizeof(flags)))
		return CLONE_VM;
	return flags;
}
#endif

static bool is_clone(long nr)
{
	return nr == SYS_clone ||
#ifdef SYS_clone3
	       nr == SYS_clone3 ||
#endif
#ifdef SYS_fork
	       nr == SYS_fork || nr == SYS_vfork ||
#endif
	       0;
}

/* libunwind opens a pipe, to test addresses with, the first time one of
 * our backtraces needs it, and keeps it: at the lowest free numbers (3 and
 * 4, say), which the program's next open(2) and pipe(2) would get without
 * the library.  Ours go up to MW_HIGH_FD. */
static long unwinder_pipe(long nr, const long a[6])
{
	long flags = nr == SYS_pipe2 ? a[1] : 0;
	int fds[2];
	long r = mw_arch_gate_syscall(SYS_pipe2, (long)fds, flags, 0, 0, 0, 0);

	if (r < 0)
		return r;
	for (int i = 0; i < 2; i++) {
		long h = mw_arch_gate_syscall(SYS_fcntl, fds[i],
					      flags & O_CLOEXEC ? F_DUPFD_CLOEXEC : F_DUPFD,
					      MW_HIGH_FD, 0, 0, 0);

		if (h >= 0) {
			mw_arch_gate_syscall(SYS_close, fds[i], 0, 0, 0, 0, 0);
			fds[i] = (int)h;
		}
	}
	memcpy((void *)a[0], fds, sizeof(fds));
	return 0;
}

/* io_uring's operations reach the kernel without a system call each: the
 * ones on watched pages fail (EFAULT in their completions), unbounced and
 * unlogged.  Said once, when a watch meets the program's io_uring. */
static void io_uring_said(long nr)
{
	static _Atomic int said;
	struct mw_msg m;

	if (nr != SYS_io_uring_setup && nr != SYS_io_uring_enter && nr != SYS_io_uring_register)
		return;
	if (atomic_exchange(&said, 1))
		return;
	mw_msg_init(&m);
	mw_msg_str(&m, "the program uses io_uring: its operations on watched pages fail with "
		       "EFAULT, and are not logged");
	mw_msg_flush(&m);
}

bool mw_sysbounce_plain(long nr)
{
	const struct rule *ru;

	switch (nr) {
	/* The signal frame's: its mask, its stack, its return. */
	case SYS_rt_sigreturn: case SYS_rt_sigprocmask: case SYS_sigaltstack: case SYS_rt_sigaction:
	case SYS_kill: case SYS_tkill: case SYS_tgkill: case SYS_rt_sigqueueinfo:
	case SYS_rt_tgsigqueueinfo: case SYS_rt_sigpending: case SYS_rt_sigtimedwait:
	case SYS_rt_sigsuspend: case SYS_signalfd: case SYS_signalfd4: case SYS_ppoll:
	case SYS_pselect6: case SYS_epoll_pwait:
#ifdef SYS_epoll_pwait2
	case SYS_epoll_pwait2:
#endif
	/* A new task, a new program, a tracer. */
	case SYS_clone: case SYS_fork: case SYS_vfork: case SYS_execve: case SYS_execveat:
#ifdef SYS_clone3
	case SYS_clone3:
#endif
	case SYS_ptrace:
	/* Said once, or the unwinder's own. */
	case SYS_io_uring_setup: case SYS_io_uring_enter: case SYS_io_uring_register:
	case SYS_pipe: case SYS_pipe2:
		return false;
	default:
		ru = mw_sys_rule_of(nr);
		return !ru || !mw_call_sanitizes(ru);
	}
}

void mw_sysbounce_perform(void *uc, long nr, long a[6])
{
	const struct rule *ru;

	if (nr == SYS_rt_sigreturn) {
		mw_sys_sanitize((uint64_t *)mw_arch_sys_sigreturn(uc));
		return;
	}
	if (is_clone(nr)) {
		/* A fork (no shared memory), fork(3)'s or a raw clone: the
		 * child copies the watched pages first thing. */
		bool forklike = nr == SYS_clone ? !(a[0] & CLONE_VM) :
#ifdef SYS_clone3
				nr == SYS_clone3 ? !(clone3_flags(a) & CLONE_VM) :
#endif
#ifdef SYS_fork
				nr == SYS_fork;
#else
				false;
#endif

		bool forking = (nr != SYS_clone || !(a[0] & CLONE_VM)) &&
			       mw_fork_at_syscall(forklike);
		uint64_t flags = nr == SYS_clone ? (uint64_t)a[0] :
#ifdef SYS_clone3
				 nr == SYS_clone3 ? clone3_flags(a) :
#endif
				 0;
		/* A child in our memory with our thread's TLS (vfork): it must
		 * not take this thread's stack of the library's, where we wait
		 * until it execs or exits.  Its patched sites run natively. */
		uintptr_t lo = 0, hi = 0;
		bool shares_tls = !forklike && !(flags & CLONE_SETTLS);

		if (shares_tls)
			mw_arch_hot_stack_swap(&lo, &hi);
		long r = mw_arch_sys_clone(uc, nr, a, mw_arch_sys_child_sp(uc, nr, a),
					   forklike ? mw_fork_child_early : NULL);

		if (shares_tls)
			mw_arch_hot_stack_swap(&lo, &hi);
		if (forking)
			mw_fork_after_syscall(r);
		mw_arch_sys_return(uc, r);
		return;
	}
	if (nr == SYS_ptrace && a[0] == PTRACE_TRACEME) {
		/* The thread asks its parent to trace it (gdb's and strace's
		 * children, between fork or vfork and exec): each signal it
		 * gets from now on is a stop for the tracer, which may be
		 * waiting for its exec (vfork): no more SIGSYS.  Its system
		 * calls on watched pages fail with EFAULT from here. */
		long r = mw_sys6(nr, a);

		if (r == 0)
			mw_arch_gate_disable();
		mw_arch_sys_return(uc, r);
		return;
	}
	if (nr == SYS_sigaltstack) {
		mw_arch_sys_return(uc, mw_sys_sigaltstack_frame(uc, a));
		return;
	}
	if (nr == SYS_rt_sigprocmask) {
		mw_arch_sys_return(uc, mw_sys_sigprocmask_frame(uc, a));
		return;
	}
	if ((nr == SYS_pipe2 || IS_SYS_PIPE(nr)) && mw_unwind_busy()) {
		mw_arch_sys_return(uc, unwinder_pipe(nr, a));
		return;
	}
	io_uring_said(nr);
	if (mw_lock_held()) {
		/* The library's own call, under its lock: it knows what it
		 * passes (pages being watched, read directly).  The calls
		 * above act on the signal frame and must be emulated anyway. */
		mw_arch_sys_return(uc, mw_sys6(nr, a));
		return;
	}
	if (nr == SYS_munmap || nr == SYS_mremap || nr == SYS_mmap || nr == SYS_brk ||
	    nr == SYS_mprotect || nr == SYS_pkey_mprotect) {
		bool done;
		long r = mw_sys_address_space(uc, nr, a, &done);

		mw_arch_sys_return(uc, done ? r : mw_sys6(nr, a));
		return;
	}
	if (nr == SYS_rt_sigaction && (a[0] == SIGSEGV || a[0] == SIGSYS) && a[3] == 8) {
		long r = mw_sys_sigaction_frame(a);

		if (r != 1) {
			mw_arch_sys_return(uc, r);
			return;
		}
	}
	if (nr == SYS_rt_sigaction) {
		long r = mw_sys_sigaction_onstack(uc, a);

		if (r != 1) {
			mw_arch_sys_return(uc, r);
			return;
		}
	}
	if (nr == SYS_madvise) {
		mw_arch_sys_return(uc, mw_sys_madvise(uc, a));
		return;
	}
	if (nr == SYS_futex) {
		mw_arch_sys_return(uc, mw_sysfutex(uc, a));
		return;
	}
	/* Waits with a mask of their own, signalfd reads (waitmask.h). */
	if (mw_sys_waitmask(uc, nr, a))
		return;
	ru = mw_sys_rule_of(nr);
	if (ru)
		perform_rule(uc, nr, a, ru);
	else
		mw_arch_sys_return(uc, mw_sys6(nr, a));
}

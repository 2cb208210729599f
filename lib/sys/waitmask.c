/* SPDX-License-Identifier: MIT */
/*
 * waitmask.c - waits with a mask of their own and signalfd reads, with the
 * SIGSEGV and SIGSYS kept for the thread's view (see waitmask.h).
 * Fault path: mw_thread_view, mw_thread_held, mw_thread_take_held,
 * mw_thread_release_held, mw_thread_take_posted, mw_thread_carrier,
 * mw_fault_sigaction, mw_sys_sigaction, mw_sys_sanitize, mw_sysbounce_rule,
 * kernelmem.h, mw_thread_resend, mw_arch_gate_syscall (rt_sigprocmask,
 * openat, read, close, fcntl, ppoll), atomics,
 * memcpy, memset, strstr.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>

#include "arch/arch.h"
#include "base/sigsafe.h"
#include "fault/fault.h"
#include "sys/bounce.h"
#include "sys/dispatch.h"
#include "sys/kernelmem.h"
#include "sys/rules.h"
#include "sys/waitmask.h"
#include "threads/perthread.h"

#define SIGSET_BYTES 8          /* the kernel's sigset_t on x86-64 and most */
#define SIGFD_INFO 128          /* struct signalfd_siginfo */

static long gate(long nr, long a, long b, long c, long d)
{
	return mw_arch_gate_syscall(nr, a, b, c, d, 0, 0);
}

/* The mask call NR with arguments A waits with, into *M; false if none
 * (no mask given, not such a call, one the kernel refuses as it is). */
static bool call_mask(long nr, const long a[6], uint64_t *m)
{
	uintptr_t at;
	long size;

	switch (nr) {
	case SYS_rt_sigsuspend:
		at = (uintptr_t)a[0];
		size = a[1];
		break;
	case SYS_ppoll:
		at = (uintptr_t)a[3];
		size = a[4];
		break;
	case SYS_epoll_pwait:
	case SYS_epoll_pwait2:
		at = (uintptr_t)a[4];
		size = a[5];
		break;
	case SYS_pselect6: {
		/* The sixth argument: { const sigset_t *ss; size_t ss_len; }. */
		uintptr_t d[2];

		if (!a[5] || mw_sys_bring_in(d, (uintptr_t)a[5], sizeof(d)))
			return false;
		at = d[0];
		size = (long)d[1];
		break;
	}
	default:
		return false;
	}
	return at && size == SIGSET_BYTES && mw_sys_bring_in(m, at, SIGSET_BYTES) == 0;
}

/* The program's action for SIG (SIGSEGV or SIGSYS, whose handlers are the
 * library's): 0 ignored, 1 the default, 2 a handler. */
static int action(int sig)
{
	struct sigaction sa;

	if ((sig == SIGSEGV ? mw_fault_sigaction : mw_sys_sigaction)(NULL, &sa) < 0)
		return 1;
	if (sa.sa_handler == SIG_IGN)
		return 0;
	return sa.sa_handler == SIG_DFL ? 1 : 2;
}

/* Puts a kept signal back, as it was sent, with BIT blocked in the running
 * handler: pending in the kernel until the handler's mask lets it through. */
static void pend(uint64_t bit, const siginfo_t *si)
{
	gate(SYS_rt_sigprocmask, SIG_BLOCK, (long)&bit, 0, 8);
	mw_thread_resend(si);
}

/* The mask of signalfd FD, from /proc/self/fdinfo; 0 if it is none. */
static uint64_t sigfd_mask(long fd)
{
	static const char dir[] = "/proc/self/fdinfo/";
	char path[sizeof(dir) + 24], text[512], *p, *e;
	char digits[24];
	int n = 0, len;
	long pfd;
	uint64_t m = 0;

	if (fd < 0)
		return 0;
	do
		digits[n++] = (char)('0' + fd % 10);
	while ((fd /= 10) && n < (int)sizeof(digits));
	memcpy(path, dir, sizeof(dir) - 1);
	len = (int)sizeof(dir) - 1;
	while (n)
		path[len++] = digits[--n];
	path[len] = 0;
	pfd = gate(SYS_openat, AT_FDCWD, (long)path, O_RDONLY | O_CLOEXEC, 0);
	if (pfd < 0)
		return 0;
	len = (int)gate(SYS_read, pfd, (long)text, sizeof(text) - 1, 0);
	gate(SYS_close, pfd, 0, 0, 0);
	if (len <= 0)
		return 0;
	text[len] = 0;
	p = strstr(text, "sigmask:");
	if (!p)
		return 0;
	p += 8;
	while (*p == ' ' || *p == '\t')
		p++;
	for (e = p; (*e >= '0' && *e <= '9') || (*e >= 'a' && *e <= 'f'); e++)
		m = m << 4 | (uint64_t)(*e <= '9' ? *e - '0' : *e - 'a' + 10);
	return m;
}

/* The signalfds (below SIGFDS) made with SIGSEGV or SIGSYS in their mask
 * while system calls dispatch: a bit each.  A stale bit (the descriptor
 * closed, its number reused) costs a look at its fdinfo, which clears it. */
#define SIGFDS 1024
static _Atomic uint64_t sigfds[SIGFDS / 64];

/* General registers only: mw_sys_waitmask_read is a patched site's. */
__attribute__((target("general-regs-only"))) static bool sigfd_known(long fd)
{
	return fd >= 0 && fd < SIGFDS && (atomic_load(&sigfds[fd / 64]) & (1ull << (fd % 64)));
}

static void sigfd_note(long fd, bool on)
{
	if (fd < 0 || fd >= SIGFDS)
		return;
	if (on)
		atomic_fetch_or(&sigfds[fd / 64], 1ull << (fd % 64));
	else
		atomic_fetch_and(&sigfds[fd / 64], ~(1ull << (fd % 64)));
}

/* signalfd or signalfd4 (NR, A): made, and its descriptor noted if its
 * mask holds SIGSEGV or SIGSYS. */
static void sigfd_make(void *uc, long nr, long a[6])
{
	uint64_t m = 0;
	long r = mw_sysbounce_rule(uc, nr, a);

	if (r < 0 || a[2] != SIGSET_BYTES || mw_sys_bring_in(&m, (uintptr_t)a[1], SIGSET_BYTES))
		return;
	sigfd_note(r, m & MW_THREAD_NEEDED);
}

/* Makes the kept signals of TAKE pending, blocked, reads signalfd A[0]
 * (which does not wait then) and sets the result. */
static void sigfd_take(void *uc, const long a[6], uint64_t take)
{
	char buf[16 * SIGFD_INFO];
	size_t n = (size_t)a[2] < sizeof(buf) ? (size_t)a[2] : sizeof(buf);
	uint64_t back = take;
	siginfo_t si;
	long r;

	for (int sig = 1; sig <= 64; sig++) {
		uint64_t bit = 1ull << (sig - 1);

		if ((take & bit) && mw_thread_take_held(bit, &si))
			pend(bit, &si);
	}
	/* Nothing but this read until they are unblocked: no fault of the
	 * library's while SIGSEGV may be blocked. */
	r = gate(SYS_read, a[0], (long)buf, (long)n, 0);
	/* What it did not take arrives now, and is kept again. */
	gate(SYS_rt_sigprocmask, SIG_UNBLOCK, (long)&back, 0, 8);
	if (r > 0 && mw_sys_give_out(uc, (uintptr_t)a[1], buf, (size_t)r) < 0)
		r = -EFAULT;
	mw_arch_sys_return(uc, r);
}

/* read(2) of a signalfd whose mask holds SIGSEGV or SIGSYS: the kept ones
 * are pending for it, blocked, while it reads; one that would wait waits
 * in ppoll for the descriptor, ended by one being kept meanwhile (sent by
 * another thread: posted, its carrier runs the library's handler), and
 * reads it then.  False: not such a read, it goes on as usual. */
static bool sigfd_read(void *uc, const long a[6])
{
	uint64_t m, take;
	long flags;

	if ((size_t)a[2] < SIGFD_INFO || (!sigfd_known(a[0]) && !mw_thread_held()))
		return false;
	m = sigfd_mask(a[0]) & MW_THREAD_NEEDED;
	if (!m) {
		sigfd_note(a[0], false);
		return false;
	}
	sigfd_note(a[0], true);
	flags = gate(SYS_fcntl, a[0], F_GETFL, 0, 0);
	for (;;) {
		struct pollfd p = { (int)a[0], POLLIN, 0 };
		uint64_t old;
		long r;

		/* The carriers held from the look to the wait, which lets them
		 * in (ppoll's mask): one kept in between would otherwise leave
		 * the poll waiting for the next signal. */
		if (gate(SYS_rt_sigprocmask, SIG_BLOCK, (long)&m, (long)&old, SIGSET_BYTES) < 0)
			old = 0;
		take = mw_thread_held() & m;
		if (take || flags < 0 || (flags & O_NONBLOCK)) {
			gate(SYS_rt_sigprocmask, SIG_SETMASK, (long)&old, 0, SIGSET_BYTES);
			if (!take)
				return false;
			sigfd_take(uc, a, take);
			return true;
		}
		/* Never restarted after a handler: a kept signal ends it. */
		r = mw_arch_gate_syscall(SYS_ppoll, (long)&p, 1, 0, (long)&old, SIGSET_BYTES, 0);
		gate(SYS_rt_sigprocmask, SIG_SETMASK, (long)&old, 0, SIGSET_BYTES);
		if (r == -EINTR)
			continue;       /* kept; or a handler of the program's
					 * ran: the read goes on, as after an
					 * SA_RESTART handler */
		/* Readable: also for a carrier of the library's pending, kept
		 * by now (its handler ran as the poll returned). */
		take = mw_thread_held() & m;
		if (r > 0 && take) {
			sigfd_take(uc, a, take);
			return true;
		}
		return false;           /* the read gets it, or its error */
	}
}

/* A kept signal whose action is the default ends the process: right after
 * this handler, on the program's context (its frames on top in a core), as
 * rt_sigsuspend would end it at once.  The view lets it through: no
 * instruction of the program's runs before it acts.  True if there was one
 * in WAKE. */
static bool fatal(void *uc, uint64_t wake)
{
	siginfo_t si;

	for (int sig = 1; sig <= 64; sig++) {
		uint64_t bit = 1ull << (sig - 1);

		if ((wake & bit) && action(sig) == 1 && mw_thread_take_held(bit, &si)) {
			*mw_thread_view() &= ~bit;
			pend(bit, &si);
			mw_arch_sys_return(uc, -EINTR);
			return true;
		}
	}
	return false;
}

/* A SIGSEGV or SIGSYS of WANT posted to the calling thread
 * (threads/perthread.h) or kept for it: into *SI, its number; 0 if none. */
static int posted_or_kept(uint64_t want, siginfo_t *si)
{
	for (int sig = 1; sig <= 64; sig++)
		if ((want & (1ull << (sig - 1))) && mw_thread_take_posted(sig, si))
			return sig;
	return mw_thread_take_held(want, si);
}

/* rt_sigtimedwait for a set with SIGSEGV or SIGSYS (A), the kept ones
 * looked at before (frame.c): one another thread sends meanwhile is posted
 * and comes with a carrier, a SIGSEGV of the library's (perthread.h), which
 * the wait takes when it waits for SIGSEGV, or which ends it, the posted
 * one kept.  The wait gets what the carrier carried.  False: not such a
 * call. */
static bool timedwait(void *uc, long a[6])
{
	uint64_t set = 0, want;
	siginfo_t si, got;
	long b[6], r;
	int sig;

	if (a[3] != SIGSET_BYTES || !a[0] || mw_sys_bring_in(&set, (uintptr_t)a[0], SIGSET_BYTES))
		return false;
	want = set & MW_THREAD_NEEDED;
	if (!want)
		return false;
	memcpy(b, a, sizeof(b));
	b[1] = (long)&si;
	for (;;) {
		sig = posted_or_kept(want, &got);
		if (sig) {
			r = sig;
			break;
		}
		memset(&si, 0, sizeof(si));
		r = mw_sysbounce_rule(uc, SYS_rt_sigtimedwait, b);
		if (r == SIGSEGV && mw_thread_carrier(&si))
			continue;       /* what it carried, if this thread's still */
		if (r == -EINTR && (sig = posted_or_kept(want, &got)) > 0)
			r = sig;        /* the carrier ran the handler */
		else if (r > 0)
			got = si;
		break;
	}
	if (r > 0 && a[1] && mw_sys_give_out(uc, (uintptr_t)a[1], &got, sizeof(got)) < 0)
		r = -EFAULT;
	mw_arch_sys_return(uc, r);
	return true;
}

__attribute__((target("general-regs-only"))) bool mw_sys_waitmask_read(long nr, const long a[6])
{
	return nr == SYS_read && (size_t)a[2] >= SIGFD_INFO && (sigfd_known(a[0]) || mw_thread_held());
}

bool mw_sys_waitmask(void *uc, long nr, long a[6])
{
	uint64_t *view, m, saved, wake = 0, kept, real;
	uintptr_t ss[2];
	siginfo_t si;
	long r;

	if (nr == SYS_read)
		return sigfd_read(uc, a);
	if (nr == SYS_signalfd || nr == SYS_signalfd4) {
		sigfd_make(uc, nr, a);
		return true;
	}
	if (nr == SYS_rt_sigtimedwait)
		return timedwait(uc, a);
	if (!call_mask(nr, a, &m))
		return false;
	view = mw_thread_view();
	saved = *view;
	if (nr == SYS_pselect6) {
		/* Its mask is behind a pointer the rule does not follow:
		 * given to the kernel without SIGSEGV and SIGSYS, which a
		 * handler running while it waits needs. */
		real = m;
		mw_sys_sanitize(&real);
		ss[0] = (uintptr_t)&real;
		ss[1] = SIGSET_BYTES;
		a[5] = (long)ss;
	}
	/* Nothing to do when the call's mask and the view agree about
	 * SIGSEGV and SIGSYS: what is kept stays kept, what is sent arrives
	 * or is kept as it would be without the call. */
	if ((m & MW_THREAD_NEEDED) == saved) {
		if (nr != SYS_pselect6)
			return false;
		mw_sysbounce_rule(uc, nr, a);
		return true;
	}
	if (nr == SYS_rt_sigsuspend && fatal(uc, mw_thread_held() & ~m & MW_THREAD_NEEDED))
		return true;
	/* For the call, the view is its mask. */
	*view = m & MW_THREAD_NEEDED;
	/* The kept signals it lets through are pending in the kernel, blocked
	 * until the call begins, which lets them through itself: the kernel
	 * ends it as it would (EINTR; or, from the poll family, what is ready
	 * without waiting, the signal still pending) and delivers them as it
	 * ends it, with its mask.  Only the gate's calls until then: no fault of the
	 * library's while SIGSEGV is blocked. */
	for (int sig = 1; sig <= 64; sig++) {
		uint64_t bit = 1ull << (sig - 1);

		if (!(MW_THREAD_NEEDED & ~m & bit) || !mw_thread_take_held(bit, &si))
			continue;
		/* An ignored one is dropped: the call goes on as if it had
		 * not been sent (epoll_pwait ends with EINTR). */
		if (action(sig) == 0 && nr != SYS_epoll_pwait && nr != SYS_epoll_pwait2)
			continue;
		wake |= bit;
		pend(bit, &si);
	}
	/* A signal kept while it waits (its mask blocks it) ran the
	 * library's handler, which ends the wait with EINTR: the program's
	 * own would not have.  The call is made again then. */
	kept = mw_thread_held();
	do {
		r = mw_sysbounce_rule(uc, nr, a);
	} while (r == -EINTR && (mw_thread_held() & ~kept) && (kept = mw_thread_held(), 1));
	*view = saved;
	/* What the call did not take (a poll that found a descriptor ready
	 * returns before) arrives now, and is kept again. */
	if (wake)
		gate(SYS_rt_sigprocmask, SIG_UNBLOCK, (long)&wake, 0, 8);
	/* Kept while the call's mask blocked them, let through by the
	 * program's: they arrive after the call, as pending signals do when
	 * the kernel puts the mask back. */
	mw_thread_release_held(mw_thread_held() & ~saved, 1);
	return true;
}

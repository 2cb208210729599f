/* SPDX-License-Identifier: MIT */
/*
 * relay.c - the program's signal handlers while watches exist (see
 * relay.h).
 * Thread side (mw_sys_onstack_begin/end): mw_arch_gate_onstack_handlers,
 * mw_procfd_get (/proc/self/stat), pread.
 * Fault path (the relay, mw_relay_*): mw_table_enter/exit/span_after,
 * mw_arch_sp, mw_arch_sigframe_*, mw_thread_on_ours, mw_thread_resend,
 * mw_arch_gate_syscall (rt_sigaction, rt_sigprocmask),
 * relaxed atomics.  Nothing else.
 */
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "arch/arch.h"
#include "base/procfd.h"
#include "log/record.h"
#include "sys/relay.h"
#include "threads/perthread.h"
#include "watch/table.h"

/* The program's handlers behind the relay, by signal - 1. */
static struct mw_arch_handler prog[64];
/* The signals whose handlers the program installed with SA_ONSTACK itself
 * (the others have it from us while watches exist), and those that have a
 * handler of the program's: while watches exist, dispatch sees every
 * sigaction, so the end looks at these alone - none, for most programs,
 * instead of a system call per signal. */
static _Atomic uint64_t theirs, handled;
/* A patched site's call being performed (mw_relay_patched), and the
 * signals deferred meanwhile: no rt_sigreturn gives their mask back
 * there, mw_relay_patched(0) does. */
static __thread int in_patched __attribute__((tls_model("initial-exec")));
static __thread uint64_t deferred __attribute__((tls_model("initial-exec")));

static bool is_handler(void *h)
{
	return h != (void *)SIG_DFL && h != (void *)SIG_IGN;
}

/* Whether a span of the table is in [lo, hi): a page of it watched, or
 * being watched or given back. */
static bool any_span(uintptr_t lo, uintptr_t hi)
{
	unsigned slot;
	const struct mw_snapshot *s = mw_table_enter(&slot);
	const struct mw_span *sp = mw_table_span_after(s, lo);
	bool r = sp && sp->start < hi;

	mw_table_exit(slot);
	return r;
}

static void relay(int sig, siginfo_t *si, void *uc)
{
	struct mw_arch_handler h = prog[sig - 1];
	uintptr_t sp = mw_arch_sp(uc), lo;
	bool interrupted_ours = mw_thread_on_ours(sp);

	/* It interrupted a handler of the library's (on the alternate stack)
	 * inside the table's grace period: later, when that handler's
	 * rt_sigreturn gives the program its mask back - the signal pending
	 * again, blocked until then. */
	if (interrupted_ours && mw_table_inside() && !(h.flags & SA_RESETHAND)) {
		sigaddset(&((ucontext_t *)uc)->uc_sigmask, sig);
		if (in_patched)
			deferred |= 1ull << (sig - 1);
		mw_thread_resend(si);
		return;
	}
	if (h.flags & SA_RESETHAND) {
		/* The kernel put the default action back: so does the table. */
		prog[sig - 1].handler = (void *)SIG_DFL;
		atomic_fetch_and_explicit(&handled, ~(1ull << (sig - 1)), memory_order_relaxed);
	}
	if (h.handler == (void *)SIG_IGN)
		return;
	if (h.handler == (void *)SIG_DFL) {
		/* Changed between the delivery and here: the default action,
		 * once this returns and the signal is no longer blocked. */
		struct sigaction dfl;
		uint8_t k[MW_KSA_MAX];

		memset(&dfl, 0, sizeof(dfl));
		dfl.sa_handler = SIG_DFL;
		mw_arch_sa_to_ksa(&dfl, k);
		mw_arch_gate_syscall(SYS_rt_sigaction, sig, (long)k, 0, 8, 0, 0);
		mw_thread_resend(si);
		return;
	}
	/* On the library's alternate stack, for a thread that was not on
	 * it: the frame goes where the kernel would have put it. */
	if (mw_thread_on_ours((uintptr_t)__builtin_frame_address(0)) && !interrupted_ours &&
	    mw_arch_sigframe_place(uc, si, sp, &lo) == 0 && !any_span(lo & ~(uintptr_t)4095, sp))
		mw_arch_sigframe_move(uc, si, sp, h.handler, sig);
	/* Here, then. */
	if (h.flags & SA_SIGINFO)
		((void (*)(int, siginfo_t *, void *))h.handler)(sig, si, uc);
	else
		((void (*)(int))h.handler)(sig);
}

/* The signals that have a handler installed, from /proc/self/stat's
 * sigcatch (one read, against a system call per signal); all if it cannot
 * be read. */
static uint64_t caught(void)
{
	char buf[1024], *p;
	int fd = mw_procfd_get(MW_PROC_STAT), field = 2;
	ssize_t n = fd < 0 ? -1 : pread(fd, buf, sizeof(buf) - 1, 0);
	uint64_t v = 0;

	mw_procfd_put(MW_PROC_STAT, fd);
	if (n <= 0)
		return ~0ull;
	buf[n] = 0;
	/* After the command's name, whatever it holds: field 3 on, one
	 * space before each; sigcatch is field 34. */
	p = strrchr(buf, ')');
	while (p && *p && field < 34)
		if (*p++ == ' ')
			field++;
	if (!p || *p < '0' || *p > '9')
		return ~0ull;
	while (*p >= '0' && *p <= '9')
		v = v * 10 + (uint64_t)(*p++ - '0');
	return *p == ' ' ? v : ~0ull;
}

uint64_t mw_sys_onstack_begin(uint64_t unmask)
{
	uint64_t h;

	atomic_store(&theirs, mw_arch_gate_onstack_handlers(1, caught(), MW_THREAD_NEEDED, unmask, 0,
							    (void *)relay, prog, &h));
	atomic_store(&handled, h & ~MW_THREAD_NEEDED);
	/* Dispatch sees every sigaction from now on: the log knows which
	 * signals have a handler of the program's (record.h). */
	mw_record_handlers(h, 1);
	return h;
}

void mw_sys_onstack_end(void)
{
	mw_record_handlers(~0ull, 1);
	mw_arch_gate_onstack_handlers(0, atomic_load(&handled) & ~MW_THREAD_NEEDED,
				      MW_THREAD_NEEDED, 0, atomic_load(&theirs), (void *)relay, prog,
				      NULL);
}

void mw_relay_patched(int on)
{
	uint64_t bits = deferred;

	if (on) {
		in_patched++;
		return;
	}
	if (--in_patched > 0 || !bits)
		return;
	deferred = 0;
	mw_arch_gate_syscall(SYS_rt_sigprocmask, SIG_UNBLOCK, (long)&bits, 0, 8, 0, 0);
}

void mw_relay_was(int sig, struct mw_relay_was *was)
{
	was->handler = prog[sig - 1].handler;
	was->flags = prog[sig - 1].flags;
	was->theirs = (atomic_load_explicit(&theirs, memory_order_relaxed) >> (sig - 1)) & 1;
}

void mw_relay_install(int sig, struct sigaction *act)
{
	uint64_t bit = 1ull << (sig - 1);

	if (act->sa_flags & SA_ONSTACK)
		atomic_fetch_or(&theirs, bit);
	else
		atomic_fetch_and(&theirs, ~bit);
	if (!is_handler((void *)act->sa_handler)) {
		atomic_fetch_and(&handled, ~bit);
		return;
	}
	atomic_fetch_or(&handled, bit);
	prog[sig - 1].handler = (void *)act->sa_handler;
	prog[sig - 1].flags = (unsigned long)(unsigned)act->sa_flags;
	act->sa_sigaction = relay;
	act->sa_flags |= SA_ONSTACK | SA_SIGINFO;
}

void mw_relay_shown(struct sigaction *old, const struct mw_relay_was *was)
{
	if ((void *)old->sa_handler == (void *)relay) {
		old->sa_handler = (void (*)(int))was->handler;
		old->sa_flags = (old->sa_flags & ~(SA_SIGINFO | SA_ONSTACK)) |
				(int)(was->flags & (SA_SIGINFO | SA_ONSTACK));
	} else if (is_handler((void *)old->sa_handler) && !was->theirs) {
		old->sa_flags &= ~SA_ONSTACK;
	}
}

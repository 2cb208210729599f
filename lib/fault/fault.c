/* SPDX-License-Identifier: MIT */
/*
 * fault.c - the SIGSEGV handler: ours, retry, or declined to what the
 * program had before.
 *
 * Fault path: may call mw_table_*, mw_arch_*, mw_record_*, mw_gdb_*, mw_msg_*,
 * mw_logfile_fatal, mw_thread_hold_sent, mw_thread_hold_posted, mw_thread_take_posted,
 * mw_thread_posted_sys, mw_thread_carrier, sigaction, mincore,
 * pthread_sigmask, sched_yield, and the previous handler.  Nothing else.
 * The same for a patched site's call (soft below), which is a fault taken
 * without a signal (arch.h, "patched access sites").
 */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <ucontext.h>

#include "arch/arch.h"
#include "log/dump.h"
#include "fault/fault.h"
#include "fault/debugger.h"
#include "log/record.h"
#include "watch/finemap.h"
#include "watch/pagemap.h"
#include "base/say.h"
#include "watch/table.h"
#include "threads/perthread.h"
#include "base/sigsafe.h"
#include "fault/sigview.h"

/* What SIGSEGV did before us: genuine faults go there.  Written under the
 * library lock before our handler is installed (sigaction orders it). */
static struct sigaction previous;
static volatile sig_atomic_t have_previous;
static volatile sig_atomic_t installed;  /* ours is SIGSEGV's handler */

/* Per thread: the table generation at this thread's last stale-looking
 * fault (initial-exec: no allocation on first use in a handler). */
static __thread unsigned long seen_generation
	__attribute__((tls_model("initial-exec")));

static void decline(int sig, siginfo_t *si, void *ctx)
{
	struct sigaction prev = previous;

	if (prev.sa_handler == SIG_IGN && si->si_code <= 0)
		return;         /* kill(2), sigqueue(3) of an ignored signal */
	if (prev.sa_handler == SIG_DFL || prev.sa_handler == SIG_IGN || !have_previous) {
		/* With the default action restored, re-executing the faulting
		 * instruction faults again and the kernel ends the process by
		 * SIGSEGV, with a core dump, exactly as without the library.  A
		 * SIGSEGV sent by kill(2) or raise(3) is not re-executed: send
		 * it again, to this thread. */
		struct sigaction dfl;

		mw_logfile_fatal(SIGSEGV);
		installed = 0;
		memset(&dfl, 0, sizeof(dfl));
		dfl.sa_handler = SIG_DFL;
		sigaction(SIGSEGV, &dfl, NULL);
		if (si->si_code <= 0) {
			/* Held until this handler returns: it then acts on
			 * the program's context, and a core shows the
			 * program's frames on top, not the library's. */
			uint64_t bit = 1ull << (SIGSEGV - 1);

			mw_arch_gate_syscall(SYS_rt_sigprocmask, SIG_BLOCK, (long)&bit, 0, 8, 0, 0);
			/* From the gate: raise(3)'s own mask calls would be
			 * dispatched, and would put the SIGSEGV held here into
			 * the program's view of its mask, where it would wait
			 * for good (perthread.h). */
			mw_arch_gate_syscall(SYS_tgkill, mw_arch_gate_syscall(SYS_getpid, 0, 0, 0, 0, 0, 0),
					     mw_arch_gate_syscall(SYS_gettid, 0, 0, 0, 0, 0, 0), SIGSEGV,
					     0, 0, 0);
		}
		return;
	}
	/* The program's own handler, called as the kernel would have: with the
	 * interrupted code's mask and its own (not the asynchronous signals
	 * this handler's mask holds, record.h) for the duration. */
	sigset_t old, set;
	sigorset(&set, &((ucontext_t *)ctx)->uc_sigmask, &prev.sa_mask);
	pthread_sigmask(SIG_SETMASK, &set, &old);
	if (prev.sa_flags & SA_RESETHAND) {
		struct sigaction dfl;

		memset(&dfl, 0, sizeof(dfl));
		dfl.sa_handler = SIG_DFL;
		previous = dfl;
	}
	if (prev.sa_flags & SA_SIGINFO)
		prev.sa_sigaction(sig, si, ctx);
	else
		prev.sa_handler(sig);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/* Patched sites: after how many faults at an instruction (0: never). */
static _Atomic unsigned patch_after;

/* The fields of F for a fault at ADDR in context UC. */
static void start(struct mw_fault *f, uintptr_t addr, void *uc)
{
	f->addr = addr;
	f->uc = uc;
	f->nacc = 0;
	f->why = NULL;
	f->insn_len = 0;
	f->kernel = 0;
	f->genuine_addr = 0;
	f->under_break = 0;
	f->pc = 0;
	f->recording = 0;
	f->held = 0;            /* held by the SIGSEGV handler's mask (record.h) */
	f->before = mw_record_before;
	f->atomic_len = 0;
	f->arch_insn = NULL;
	f->soft = 0;
	f->quiet = mw_arch_patching_now();      /* the patcher's own reads */
}

/* After F was performed: maybe its instruction's site is patched now. */
static void consider(struct mw_fault *f)
{
	unsigned after = atomic_load_explicit(&patch_after, memory_order_relaxed);

	/* Not on a small alternate stack of the program's: patching reads
	 * the code's file through a window on the stack.  Under a debugger
	 * too (its stops come from the stub as from here, soft below), but
	 * not while it steps the instruction (UNDER_BREAK: its breakpoint is
	 * over the site, which is then not the file's code anyway). */
	if (after && !f->quiet && !f->under_break && !f->kernel &&
	    !mw_thread_stack_short(24 * 1024))
		mw_arch_patch_consider(f, after, mw_gdb_attached);
}

/* A patched site's access on a page the page map marks (arch.h): performed
 * as the SIGSEGV handler performs one, or declined to run natively (which
 * then faults into the handler if it must). */
static int soft(void *uc, uintptr_t ea, size_t size, const void *insn)
{
	int saved_errno = errno;
	struct mw_fault f;
	enum mw_perform r = MW_GENUINE;
	uint64_t seq = 0, mask;
	unsigned slot;
	uintptr_t addr;
	int held = mw_record_hold(&mask);       /* record.h: no handler inside */

	f.snap = mw_table_enter(&slot);
	addr = mw_table_span(f.snap, ea) ? ea :
	       mw_table_span(f.snap, ea + size - 1) ? ea + size - 1 : 0;
	if (addr) {
		start(&f, addr, uc);
		f.held = held ? 2 : 0;
		f.arch_insn = insn;
		f.soft = 1;
		r = mw_arch_perform(&f);
		if (r == MW_PERFORMED)
			seq = mw_record_after(&f);
	}
	mw_table_exit(slot);
	if (held)
		mw_record_release(&mask);
	/* A stop goes as the handler's does: UC (which the stub resumes with)
	 * leaves for the watch's stop code, where the debugger's breakpoint
	 * is, and that jumps to after the instruction.  No breakpoint of the
	 * debugger's is under a patched site's access (its int3 would be over
	 * the jump): F.UNDER_BREAK is 0, and a step over the site is the
	 * debugger's own, through the stub's frame (arch.h). */
	if (r == MW_PERFORMED)
		mw_gdb_after_access_at(seq, f.under_break, f.pc, uc);
	errno = saved_errno;
	return r == MW_PERFORMED;
}

void mw_fault_patching(unsigned after, int neighbours)
{
	if (!after) {
		atomic_store(&patch_after, 0);
		return;
	}
	mw_arch_patch_init(mw_pagemap_base(), soft);
	mw_arch_patch_fine(neighbours && mw_finemap_init() == 0 ? mw_finemap_root() : NULL);
	atomic_store(&patch_after, after);
}

static void report(const struct mw_fault *f)
{
	struct mw_msg m;

	mw_msg_init(&m);
	mw_msg_str(&m, "declined access to ");
	mw_msg_hex(&m, f->addr);
	mw_msg_str(&m, " by the instruction at ");
	mw_msg_hex(&m, f->pc);
	if (f->insn_len) {
		mw_msg_str(&m, " (");
		mw_msg_bytes(&m, f->insn, f->insn_len);
		mw_msg_str(&m, ")");
	}
	mw_msg_str(&m, ": ");
	mw_msg_str(&m, f->why ? f->why : "unknown reason");
	mw_msg_str(&m, "; delivering the SIGSEGV as if memwatch were not there");
	mw_msg_flush(&m);
}

static void handler(int sig, siginfo_t *si, void *ctx)
{
	int saved_errno = errno;
	struct mw_fault f;
	enum mw_perform r = MW_GENUINE;
	uint64_t seq = 0;
	unsigned slot;
	uintptr_t site = 0;
	const void *insn = NULL;
	int where = MW_PATCH_IN_NONE;

	mw_arch_handler_entry();
	/* A SIGSEGV or SIGSYS another thread of the program's sent this one
	 * (perthread.h): its own signal, the carrier, may have been merged
	 * with this one. */
	{
		siginfo_t p;

		if (mw_thread_take_posted(sig, &p) && !mw_thread_hold_posted(sig, &p))
			decline(sig, &p, ctx);
		mw_thread_posted_sys(ctx);
		if (si->si_code <= 0 && mw_thread_carrier(si))
			goto out;
	}
	/* A SIGSEGV sent by kill(2) or tgkill (si_code <= 0) while a probe
	 * or a stub runs is not theirs: it was taken for their fault, and
	 * lost (or the stub's access made twice). */
	if (si->si_code > 0 && mw_arch_probe_fixup(ctx))
		goto out;
	/* In a patched site's stub: its copy of the instruction faulting is
	 * the site's own fault (the context moves there); its own pushes are
	 * not the program's accesses. */
	if (si->si_code > 0)
		where = mw_arch_patch_where(ctx, &site, &insn);
	/* Only protection faults of real accesses can be ours: not kill(2),
	 * not unmapped addresses. */
	if (si->si_code != SEGV_ACCERR) {
		/* Genuine at a stub's copy: the site's own bytes back first,
		 * so that the program (its handler, a core) sees its own
		 * instruction. */
		if (where == MW_PATCH_IN_COPY)
			mw_arch_patch_undo(site);
		/* Sent while the program's view blocks it: pending for it. */
		if (si->si_code <= 0 && mw_thread_hold_sent(sig, si))
			goto out;
		if (si->si_code <= 0 ||
		    !mw_gdb_before_crash((uintptr_t)si->si_addr, (uint64_t)mw_arch_pc(ctx)))
			decline(sig, si, ctx);
		goto out;
	}

	f.snap = mw_table_enter(&slot);
	start(&f, (uintptr_t)si->si_addr, ctx);
	f.arch_insn = insn;
	f.quiet |= where == MW_PATCH_IN_OWN;
	if (mw_table_span(f.snap, f.addr)) {
		r = mw_arch_perform(&f);
		if (r == MW_PERFORMED) {
			seq = mw_record_after(&f);     /* counts and records */
			consider(&f);
		}
	} else {
		/* Not watched now.  If pages were unwatched since this thread
		 * last looked, the fault may predate that: run the instruction
		 * once more before calling it genuine. */
		unsigned long gen = atomic_load(&mw_table_generation);

		if (gen != seen_generation) {
			seen_generation = gen;
			r = MW_RETRY;
		}
	}
	mw_table_exit(slot);

	/* A stub's copy that fails, or a stub on a watched stack: the site
	 * gets its own bytes back, and the program its own instruction. */
	if ((where == MW_PATCH_IN_COPY && (r == MW_GENUINE || r == MW_DECLINED)) ||
	    (where == MW_PATCH_IN_OWN && site))
		mw_arch_patch_undo(site);

	switch (r) {
	case MW_PERFORMED:
		/* After the epoch: the debugger may keep us here a long time. */
		mw_gdb_after_access_at(seq, f.under_break, f.pc, ctx);
		break;
	case MW_RETRY:
		sched_yield();
		break;
	case MW_DECLINED:
		report(&f);
		/* fall through */
	case MW_GENUINE:
		if (si->si_code > 0 && mw_gdb_before_crash(f.addr, (uint64_t)mw_arch_pc(ctx)))
			break;          /* the debugger stops at the re-fault */
		if (f.genuine_addr && f.genuine_addr != f.addr) {
			/* The access straddles into memory the program cannot
			 * touch: that is the fault the processor would report. */
			siginfo_t moved = *si;
			unsigned char v;

			moved.si_addr = (void *)f.genuine_addr;
			moved.si_code = mincore((void *)(f.genuine_addr & ~(uintptr_t)4095), 1, &v) < 0 ?
					SEGV_MAPERR : SEGV_ACCERR;
			decline(sig, &moved, ctx);
			break;
		}
		decline(sig, si, ctx);
		break;
	}
out:
	errno = saved_errno;
}

int mw_fault_sigaction(const struct sigaction *act, struct sigaction *old)
{
	if (!installed)
		return -1;
	mw_sigview_swap(&previous, &have_previous, act, old);
	return 0;
}

int mw_fault_install(void)
{
	struct sigaction cur, sa;

	if (sigaction(SIGSEGV, NULL, &cur) < 0)
		return -errno;
	if ((cur.sa_flags & SA_SIGINFO) &&
	    (void *)cur.sa_sigaction == mw_arch_gate_handler(handler)) {
		installed = 1;
		return 0;
	}
	previous = cur;
	have_previous = 1;

	/* NODEFER: a fault inside a handler (ours probing, or the program's
	 * touching watched memory) must be deliverable, never blocked.
	 * ONSTACK: use the thread's alternate stack where it has one.
	 * The program's asynchronous signals held while it runs (record.h).
	 * Installed with the gate's return (arch.h), so that returning costs
	 * no SIGSYS while system calls dispatch (sys/dispatch.h). */
	(void)sa;
	if (mw_arch_gate_sigaction(SIGSEGV, handler, SA_NODEFER | SA_ONSTACK | SA_RESTART,
				   MW_RECORD_HELD) < 0)
		return -errno;
	installed = 1;
	return 0;
}

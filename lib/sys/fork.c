/* SPDX-License-Identifier: MIT */
/*
 * fork.c - a forked child gets its own copy of the watched pages.  [thread]
 *
 * Watched pages are MAP_SHARED views of a memfd, so after fork(2) parent
 * and child would share them: the child's stores (its malloc's too) would
 * land in the parent.  The atfork child handler moves every span into a
 * fresh memfd of the child's own, while the parent waits in its atfork
 * handler for the child to say it is done, so the forking thread cannot
 * change the pages under the copy.
 *
 * Other threads of the parent may go on writing watched memory meanwhile:
 * from the fork's system call until the child is done, the spans are
 * frozen (a write waits in the fault path, as while unwatching), so the
 * child copies the pages as they were at the fork.  Not earlier: a thread
 * waiting to write may hold a lock fork(3) takes after our prepare handler
 * (malloc's); at the system call, fork(3) holds them all.  The system call
 * reaches the library by syscall user dispatch (dispatch.h), and the
 * child then copies first thing, from the gate, before glibc's own child
 * code (which writes its locks and the loader's data: maybe watched pages)
 * runs; the atfork child handler copies only when that did not happen.
 *
 * The forking thread itself must not write a frozen page: it would wait for
 * itself.  So for a fork whose child copies early, the whole freeze lies
 * inside the dispatch of the fork's system call (mw_fork_at_syscall ..
 * mw_fork_after_syscall), with the thread's asynchronous signals blocked:
 * no handler of the program (a SIGCHLD handler counting children, as
 * shells have) runs in it.  The parent waits there for the child's early
 * copy and thaws the spans before glibc's parent code or the program runs
 * again.  The child restores the signal mask first thing.
 *
 * A clone(2) or clone3(2) without CLONE_VM that is not fork(3)'s (a raw
 * clone, syscall(SYS_fork)) runs no atfork handlers: its dispatch does
 * their work, the library lock taken and the pipe made in the handler,
 * and the child, early, copies the pages and does what the child handler
 * would (mw_fork_child_early).  Not covered: vfork(2), whose child shares
 * all memory anyway.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/tid.h"
#include "watch/alias.h"
#include "watch/finemap.h"
#include "threads/lock.h"
#include "watch/protect.h"
#include "arch/arch.h"
#include "sys/fork.h"
#include "sys/dispatch.h"
#include "log/record.h"
#include "watch/table.h"

static int done_pipe[2] = { -1, -1 };
/* Between prepare() and parent(), in the forking thread: */
static _Atomic pid_t forking;   /* the thread inside fork(3), after prepare */
static int frozen;              /* the spans are frozen */
static uint64_t fork_mask;      /* the signal mask at the fork (for the child) */
static int masked;              /* signals blocked from the fork's system call */
static int raw;                 /* a clone without fork(3) around it: no
				 * atfork handlers, the dispatch does their work */

static long sys(long nr, long a, long b, long c)
{
	return mw_arch_gate_syscall(nr, a, b, c, 0, 0, 0);
}

/* rt_sigprocmask(HOW, SET, OLD) of the calling thread, 64 signals. */
static long set_mask(int how, const uint64_t *set, uint64_t *old)
{
	return mw_arch_gate_syscall(SYS_rt_sigprocmask, how, (long)set, (long)old, 8, 0, 0);
}

bool mw_fork_at_syscall(bool early)
{
	/* Synchronous signals stay deliverable: our own faults. */
	uint64_t all = ~((1ull << (SIGSEGV - 1)) | (1ull << (SIGSYS - 1)) |
			 (1ull << (SIGBUS - 1)) | (1ull << (SIGILL - 1)) |
			 (1ull << (SIGFPE - 1)) | (1ull << (SIGTRAP - 1)));

	if (atomic_load(&forking) != mw_tid() || frozen) {
		/* Not fork(3)'s call: a copying child (EARLY) of a raw clone.
		 * Take what prepare() would, the lock first (whoever froze
		 * the pages holds it). */
		if (!early || atomic_load(&forking) == mw_tid())
			return false;
		mw_lock_nohold();
		raw = 1;
		if (sys(SYS_pipe2, (long)done_pipe, O_CLOEXEC, 0) < 0)
			done_pipe[0] = done_pipe[1] = -1;
		atomic_store(&forking, mw_tid());
	}
	if (early && done_pipe[0] >= 0 &&
	    set_mask(SIG_BLOCK, &all, &fork_mask) == 0)
		masked = 1;
	mw_protect_freeze(1);
	frozen = 1;
	return true;
}

static void close_pipe(void)
{
	for (int i = 0; i < 2; i++)
		if (done_pipe[i] >= 0)
			sys(SYS_close, done_pipe[i], 0, 0);
	done_pipe[0] = done_pipe[1] = -1;
}

void mw_fork_after_syscall(long pid)
{
	char c;

	if (!masked && !raw)
		return;         /* the atfork parent handler waits and thaws */
	if (masked && pid > 0) {
		/* EOF too if the child died before saying so. */
		sys(SYS_close, done_pipe[1], 0, 0);
		done_pipe[1] = -1;
		while (sys(SYS_read, done_pipe[0], (long)&c, 1) == -EINTR)
			;
		close_pipe();
	}
	if (raw) {
		/* What parent() does for fork(3). */
		close_pipe();
		atomic_store(&forking, 0);
	}
	frozen = 0;
	mw_protect_freeze(0);
	/* The signal frame's mask comes back when the dispatch returns. */
	masked = 0;
	if (raw) {
		raw = 0;
		mw_unlock_nohold();
	}
}

static void prepare(void)
{
	mw_lock_nohold();
	if (pipe2(done_pipe, O_CLOEXEC) < 0)
		done_pipe[0] = done_pipe[1] = -1;
	atomic_store(&forking, mw_tid());
}

static void parent(void)
{
	if (done_pipe[0] >= 0) {
		char c;

		close(done_pipe[1]);
		/* EOF too if the child died before saying so. */
		while (read(done_pipe[0], &c, 1) < 0 && errno == EINTR)
			;
		close(done_pipe[0]);
	}
	atomic_store(&forking, 0);
	if (frozen) {
		frozen = 0;
		mw_protect_freeze(0);
	}
	mw_unlock_nohold();
}

/* The child's own copies of the watched pages (its only thread). */
static int copied;              /* in this child, by mw_fork_child_early */

static void copy_spans(void)
{
	const struct mw_snapshot *s = mw_snap_current();

	/* Only this thread exists: the snapshot (a private copy now) can be
	 * updated in place. */
	for (struct mw_span *sp = (struct mw_span *)mw_table_span_after(s, 0); sp;
	     sp = (struct mw_span *)mw_table_span_after(s, sp->end)) {
		uintptr_t shared = sp->alias;

		sp->state = MW_SPAN_ACTIVE;     /* frozen by the parent */
		if (sp->shared)
			continue;       /* MAP_SHARED: shared with the child anyway */
		if (mw_alias_convert_from(sp->start, sp->end, shared, &sp->alias) == 0) {
			munmap((void *)shared, sp->end - sp->start);
			/* MADV_WIPEONFORK by the program: the child's pages
			 * are zeros, as the kernel would give it. */
			if (sp->wipe)
				madvise((void *)sp->alias, sp->end - sp->start, MADV_REMOVE);
		}
	}
	/* Patched sites' view of them: the new aliases. */
	mw_finemap_rebuild(s);
	if (s->nspans)
		mw_protect_all(s);
}

void mw_fork_child_early(void)
{
	mw_arch_forked();
	/* Before glibc's own child code, which may write watched pages (its
	 * locks, the loader's data): they are frozen until copied. */
	if (atomic_load(&forking) && frozen) {
		copy_spans();
		copied = 1;
	}
	if (masked) {
		/* The parent waits in mw_fork_after_syscall. */
		sys(SYS_write, done_pipe[1], (long)"", 1);
		sys(SYS_close, done_pipe[1], 0, 0);
		sys(SYS_close, done_pipe[0], 0, 0);
		done_pipe[0] = done_pipe[1] = -1;
		masked = 0;
		set_mask(SIG_SETMASK, &fork_mask, NULL);
	}
	if (raw) {
		/* No atfork child handler will run: its work, now. */
		close_pipe();
		raw = 0;
		atomic_store(&forking, 0);
		frozen = 0;
		copied = 0;
		mw_tid_forked();
		mw_sys_forked();
		mw_unlock_nohold();
	}
}

static void child(void)
{
	if (done_pipe[0] >= 0)
		close(done_pipe[0]);
	atomic_store(&forking, 0);
	frozen = 0;
	mw_arch_forked();       /* if the child did not already, early */
	mw_tid_forked();
	mw_sys_forked();
	if (!copied)
		copy_spans();
	copied = 0;
	if (done_pipe[1] >= 0) {
		while (write(done_pipe[1], "", 1) < 0 && errno == EINTR)
			;
		close(done_pipe[1]);
	}
	mw_unlock_nohold();
}

int mw_fork_init(void)
{
	return -pthread_atfork(prepare, parent, child);
}

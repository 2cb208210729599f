/* SPDX-License-Identifier: MIT */
/*
 * api.c - mw_watch, mw_unwatch, mw_count, mw_strerror, and the end of the
 * watches over memory the program unmaps (initialization: init.c).
 *
 * Watch and unwatch run in thread context under one lock; they build new
 * table snapshots, move pages into and out of their memfd (alias.c) and set
 * page protections.  mw_count and mw_total_count are async-signal-safe.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <link.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/rseq.h>
#include <unistd.h>

#include "arch/arch.h"
#include "base/epoch.h"
#include "base/maps.h"
#include "base/say.h"
#include "base/selfread.h"
#include "fault/fault.h"
#include "front/api.h"
#include "front/init.h"
#include "log/record.h"
#include "memwatch.h"
#include "sys/dispatch.h"
#include "threads/lock.h"
#include "threads/perthread.h"
#include "watch/alias.h"
#include "watch/pagemap.h"
#include "watch/protect.h"
#include "watch/table.h"

static int next_id = 1;
static uintptr_t ps;            /* page size */

/* A run of pages: new pieces to convert, or runs to give back. */
struct piece {
	uintptr_t start, end;
	uintptr_t alias;
	int prot;
	int anon;               /* anonymous memory: absent pages are zeros */
	int shared;             /* a MAP_SHARED mapping (alias.h) */
};
static struct piece *pieces;
static size_t npieces, maxpieces;

static uintptr_t page_down(uintptr_t a) { return a & ~(ps - 1); }
static uintptr_t page_up(uintptr_t a) { return (a + ps - 1) & ~(ps - 1); }

int mw_api_setup(void)
{
	ps = (uintptr_t)sysconf(_SC_PAGESIZE);
	maxpieces = 65536;
	pieces = mmap(NULL, maxpieces * sizeof(*pieces), PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	return pieces == MAP_FAILED ? -ENOMEM : 0;
}

static int add_piece(uintptr_t start, uintptr_t end, int prot, int anon, int shared)
{
	if (npieces == maxpieces)
		return -ENOMEM;
	pieces[npieces++] = (struct piece){ start, end, 0, prot, anon, shared };
	return 0;
}

/* ------------------------------------------------------------------ mw_watch */

static int overlaps(uintptr_t a, uintptr_t b, uintptr_t c, uintptr_t d)
{
	return a < d && c < b;
}

/* Pages no thread can live without being accessible: its thread control
 * block, rseq area (the kernel writes those at every signal delivery) and
 * static TLS (perthread.h).  Stacks can be watched: each thread has an
 * alternate signal stack while watches exist. */
static int thread_areas(uintptr_t lo, uintptr_t hi)
{
	return mw_threads_refuse(lo, hi) ? -ENOTSUP : 0;
}

struct scan {
	const struct mw_snapshot *cur;
};

/* For each mapping over the watch's pages: refuse what cannot be watched,
 * and note the parts not yet in a span as new pieces. */
static int scan_map(const struct mw_map *m, void *arg)
{
	const struct mw_snapshot *cur = ((struct scan *)arg)->cur;
	uintptr_t pos = m->start;

	while (pos < m->end) {
		const struct mw_span *sp = mw_table_span(cur, pos);
		uintptr_t stop = m->end;
		int r;

		if (sp) {       /* already ours: a memfd mapping of a span */
			pos = sp->end < m->end ? sp->end : m->end;
			continue;
		}
		for (size_t i = 0; i < cur->nspans; i++)
			if (cur->spans[i].start > pos && cur->spans[i].start < stop)
				stop = cur->spans[i].start;
		/* Executable first: an execute-only mapping is code, not a
		 * hole (refused, not EFAULT). */
		if (m->prot & PROT_EXEC)
			return -ENOTSUP;
		if (!(m->prot & (PROT_READ | PROT_WRITE)))
			return -EFAULT;
		if (m->name[0] == '[' && strcmp(m->name, "[heap]") != 0 &&
		    strcmp(m->name, "[stack]") != 0 && strncmp(m->name, "[anon:", 6) != 0)
			return -ENOTSUP;        /* [vdso], [vvar], ... */
		/* The main stack grows from its lowest page: that page must
		 * stay the kernel's growing mapping. */
		if (strcmp(m->name, "[stack]") == 0 && pos == m->vstart)
			return -ENOTSUP;
		if (strncmp(m->name, "/memfd:memwatch", 15) == 0)
			return -ENOTSUP;
		r = add_piece(pos, stop, m->prot,
			      !m->shared && (m->name[0] == 0 || strcmp(m->name, "[heap]") == 0 ||
					     strncmp(m->name, "[anon:", 6) == 0),
			      m->shared);
		if (r)
			return r;
		pos = stop;
	}
	return 0;
}

static int no_access(const struct mw_map *m, void *arg)
{
	(void)arg;
	return m->prot & (PROT_READ | PROT_WRITE | PROT_EXEC) ? 0 : -EFAULT;
}

/* A refusal (-ENOTSUP) of [P0, P1): -EFAULT instead if part of the range
 * is unmapped or PROT_NONE (also a range beyond the end of the address
 * space): that error comes first, whatever else the range holds. */
static int refusal(uintptr_t P0, uintptr_t P1)
{
	return mw_maps_walk(P0, P1, -EFAULT, no_access, NULL) == -EFAULT ? -EFAULT : -ENOTSUP;
}

/* The next watch id: counts up from 1; after INT_MAX it starts again at 1,
 * skipping the ids of watches that exist (ids never go negative). */
static int new_id(const struct mw_snapshot *cur)
{
	for (;;) {
		int id = next_id, used = 0;

		next_id = next_id == INT_MAX ? 1 : next_id + 1;
		for (size_t i = 0; i < cur->nwatches && !used; i++)
			used = cur->watches[i]->id == id;
		if (!used)
			return id;
	}
}

static int do_unwatch(int id);

/* [library lock] The last watch is gone: no system call dispatch, and no
 * writable view of code (the stubs') once no handler runs any more. */
long mw_patch_info(int i, const char **what)
{
	if (i < 0 || i >= MW_PATCH_NREASONS)
		return -1;
	if (what)
		*what = mw_arch_patch_reason(i);
	return (long)mw_arch_patch_count(i);
}

static void no_watch_left(void)
{
	mw_sys_deactivate();
	/* The program's code as it was: every patched site restored. */
	mw_arch_patch_restore_all(1);
	mw_pagemap_clear();
	mw_epoch_synchronize();
	mw_arch_code_seal(1);
}

static int do_watch(uintptr_t lo, uintptr_t hi, unsigned flags)
{
	uintptr_t P0 = page_down(lo), P1 = page_up(hi);
	const struct mw_snapshot *cur = mw_snap_current();
	struct scan sc = { cur };
	struct mw_snapshot *s;
	struct mw_watch_obj *w;
	size_t i, done;
	int r;

	if (mw_init_owns(P0, P1) || mw_selfread_refused(P0, P1, flags) || thread_areas(P0, P1))
		return refusal(P0, P1);
	npieces = 0;
	r = mw_maps_walk(P0, P1, -EFAULT, scan_map, &sc);
	if (r == -ENOTSUP)
		return refusal(P0, P1);
	if (r)
		return r;
	r = mw_fault_install();
	if (r)
		return r;
	w = mw_watch_obj_alloc();
	if (!w)
		return -ENOMEM;

	if (npieces) {
		/* The new pieces enter the table as pending: a write that faults
		 * on them while they are frozen retries until they are ready. */
		s = mw_snap_alloc(cur->nspans + npieces, cur->nwatches + 1);
		if (!s)
			goto nomem;
		mw_snap_copy(s, cur);
		for (i = 0; i < npieces; i++)
			s->spans[s->nspans++] = (struct mw_span){
				pieces[i].start, pieces[i].end, 0, pieces[i].prot, MW_SPAN_PENDING,
				pieces[i].shared != 0, false, pieces[i].anon != 0, 0 };
		mw_snap_publish(s);
		cur = s;
		/* Frozen read-only for the copy: a write-only page (PROT_WRITE
		 * alone) too, which the copy reads (mw_prot_allowed); without
		 * PROT_READ it would fault on the pending span forever. */
		for (i = 0; i < npieces; i++)
			if ((pieces[i].prot & PROT_WRITE) &&
			    mprotect((void *)pieces[i].start, pieces[i].end - pieces[i].start,
				     mw_prot_allowed(pieces[i].prot) & ~PROT_WRITE) < 0)
				break;
		for (done = 0; done < i; done++) {
			struct mw_span *sp = (struct mw_span *)mw_table_span(cur, pieces[done].start);

			if (pieces[done].shared)
				r = mw_alias_share(pieces[done].start, pieces[done].end,
						   mw_prot_allowed(pieces[done].prot) & ~PROT_WRITE, &sp->alias);
			else
				r = mw_alias_convert(pieces[done].start, pieces[done].end,
						     mw_prot_allowed(pieces[done].prot) & ~PROT_WRITE, pieces[done].anon,
						     &sp->alias, &sp->stash);
			if (r)
				break;
		}
		if (done < npieces) {
			/* Roll back: converted pieces return to private memory,
			 * frozen ones get their protection back. */
			for (size_t k = 0; k < npieces; k++) {
				const struct mw_span *sp = mw_table_span(cur, pieces[k].start);

				if (k < done && sp->shared) {
					mw_alias_unshare(sp->start, sp->end, sp->orig_prot);
					mw_alias_drop(sp->alias, sp->end - sp->start);
				}
				else if (k < done && mw_alias_restore(sp->start, sp->end, sp->alias,
								      sp->orig_prot, sp->stash, sp->anon) == 0)
					mw_alias_release(sp->alias, sp->end - sp->start);
				else if (k < done)
					mw_alias_unstash(sp->stash, sp->end - sp->start);
				else if (k >= done && k < i)
					mprotect((void *)sp->start, sp->end - sp->start, sp->orig_prot);
			}
			s = mw_snap_alloc(cur->nspans, cur->nwatches);
			if (s) {
				mw_snap_copy(s, cur);
				s->nspans = 0;
				for (size_t k = 0; k < cur->nspans; k++)
					if (cur->spans[k].state != MW_SPAN_PENDING)
						s->spans[s->nspans++] = cur->spans[k];
				atomic_fetch_add(&mw_table_generation, 1);
				mw_snap_publish(s);
			}
			mw_watch_obj_free(w);
			return r ? r : -ENOMEM;
		}
	}

	w->id = new_id(cur);
	w->flags = flags;
	w->start = lo;
	w->end = hi;
	s = mw_snap_alloc(cur->nspans, cur->nwatches + 1);
	if (!s)
		goto nomem;
	mw_snap_copy(s, cur);
	for (i = 0; i < s->nspans; i++)
		s->spans[i].state = MW_SPAN_ACTIVE;   /* no draining outside unwatch */
	s->watches[s->nwatches++] = w;
	mw_snap_publish(s);
	r = mw_protect_range(s, P0, P1);
	if (r) {
		/* Out of mappings for the protections: a watch that would not
		 * catch everything must not exist; undo it. */
		do_unwatch(w->id);
		return r;
	}
	return w->id;

nomem:
	mw_watch_obj_free(w);
	return -ENOMEM;
}

/* mw_watch and mw_unwatch work on a stack of the library's (one: they hold
 * the lock): the pages they freeze may hold the caller's stack, a watched
 * local variable, where frames of theirs would wait for themselves. */
#define WORK_STACK (256 * 1024)
static char *work_top;

struct watch_args {
	uintptr_t lo, hi;
	unsigned flags;
};

static long watch_thunk(void *p)
{
	struct watch_args a = *(struct watch_args *)p;

	return do_watch(a.lo, a.hi, a.flags);
}

static long unwatch_thunk(void *p)
{
	return do_unwatch(*(int *)p);
}

static int on_work_stack(long (*fn)(void *), void *arg)
{
	stack_t ss;

	/* Called from a signal handler on the alternate stack (the program
	 * unmapped watched memory, sys/bounce.c): that stack is never watched,
	 * and leaving it would let a nested signal start over at its top,
	 * over our frames. */
	if (sigaltstack(NULL, &ss) == 0 && (ss.ss_flags & SS_ONSTACK))
		return (int)fn(arg);
	if (!work_top) {
		char *s = mmap(NULL, WORK_STACK + 4096, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

		if (s == MAP_FAILED)
			return (int)fn(arg);    /* on the caller's, then */
		mprotect(s, 4096, PROT_NONE);
		work_top = s + 4096 + WORK_STACK;
	}
	return (int)mw_arch_on_stack(work_top, fn, arg);
}

/* mw_syscalls(0): no dispatch, for the watches that exist and to come. */
static int syscalls_off;

/* The first watch: system calls start to dispatch (sys/dispatch.h). */
static void sys_activate(void)
{
	static int told;
	int r;

	if (syscalls_off)
		return;
	r = mw_sys_activate();

	if (r < 0 && !told) {
		struct mw_msg m;

		told = 1;
		mw_msg_init(&m);
		mw_msg_str(&m, r == -EPERM ?
			   "system call dispatch is off (MEMWATCH_SYSCALLS=0, or under valgrind): "
			   "system calls that touch watched pages fail with EFAULT" :
			   "this kernel has no syscall user dispatch (Linux 5.11+): system "
			   "calls that touch watched pages fail with EFAULT");
		mw_msg_flush(&m);
	}
}

int mw_watch(const void *addr, size_t len, unsigned flags)
{
	uintptr_t lo = (uintptr_t)addr;
	uint64_t unblocked;
	int r;

	if (!addr || !len || (flags & ~MW_ACCESS))
		return -EINVAL;
	if (lo + len < lo || lo + len > UINTPTR_MAX - 65536)
		return -EOVERFLOW;
	r = mw_init();
	if (r)
		return r;
	mw_lock();
	mw_init_watched();
	/* A caller that blocks SIGSEGV or SIGSYS (all signals blocked before
	 * the first watch) would die at its first watched access: unblocked,
	 * the program still sees them blocked (perthread.h's view). */
	unblocked = mw_thread_unblock_own();
	/* System calls dispatch before the first page is protected: one in
	 * progress meanwhile restarts through the handler. */
	if (!mw_snap_current()->nwatches) {
		mw_arch_code_seal(0);
		mw_arch_patch_enable(1);
		sys_activate();
	}
	r = on_work_stack(watch_thunk, &(struct watch_args){ lo, lo + len, flags ? flags : MW_WRITE });
	if (r <= 0 && !mw_snap_current()->nwatches) {
		no_watch_left();
		mw_thread_reblock_own(unblocked);
	}
	mw_unlock();
	return r;
}

int mw_syscalls(int on)
{
	int was, r = mw_init();

	if (r)
		return r;
	mw_lock();
	was = !syscalls_off;
	syscalls_off = !on;
	if (mw_snap_current()->nwatches && on != was) {
		if (on)
			sys_activate();
		else
			mw_sys_deactivate();
	}
	mw_unlock();
	return was;
}

/* ---------------------------------------------------------------- mw_unwatch */

/* Copy the spans of FROM to TO, splitting off the runs in pieces[]: with
 * STATE, or dropped when STATE < 0. */
static void carve(struct mw_snapshot *to, const struct mw_snapshot *from, int state)
{
	size_t r = 0;

	to->nspans = 0;
	for (size_t i = 0; i < from->nspans; i++) {
		struct mw_span sp = from->spans[i];
		uintptr_t pos = sp.start;

#define EMIT(a, b, st) do { \
		to->spans[to->nspans++] = (struct mw_span){ (a), (b), \
			sp.alias + ((a) - sp.start), sp.orig_prot, (st), sp.shared, sp.wipe, sp.anon, \
			sp.stash ? sp.stash + ((a) - sp.start) : 0 }; } while (0)
		while (r < npieces && pieces[r].start < sp.end) {
			if (pieces[r].start > pos)
				EMIT(pos, pieces[r].start, sp.state);
			if (state >= 0)
				EMIT(pieces[r].start, pieces[r].end, state);
			pos = pieces[r].end;
			r++;
		}
		if (pos < sp.end)
			EMIT(pos, sp.end, sp.state);
#undef EMIT
	}
}

static int cmp_piece(const void *a, const void *b)
{
	const struct piece *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

static int do_unwatch(int id)
{
	const struct mw_snapshot *cur = mw_snap_current();
	struct mw_watch_obj *w = NULL;
	struct mw_snapshot *s1, *s2;
	uintptr_t P0, P1;
	size_t i;
	int r;

	for (i = 0; i < cur->nwatches && !w; i++)
		if (cur->watches[i]->id == id)
			w = cur->watches[i];
	if (!w)
		return -ENOENT;
	P0 = page_down(w->start);
	P1 = page_up(w->end);

	/* s1: the table without the watch. */
	s1 = mw_snap_alloc(cur->nspans, cur->nwatches);
	if (!s1)
		return -ENOMEM;
	mw_snap_copy(s1, cur);
	s1->nwatches = 0;
	for (i = 0; i < cur->nwatches; i++)
		if (cur->watches[i] != w)
			s1->watches[s1->nwatches++] = cur->watches[i];
	mw_snap_finish(s1);

	/* Pages no other watch needs go back to private memory, in runs that
	 * stay within one span. */
	npieces = 0;
	for (uintptr_t p = P0; p < P1; p += ps) {
		const struct mw_span *sp = mw_table_span(s1, p);

		if (mw_snap_kinds(s1, p, p + ps))
			continue;
		if (npieces && pieces[npieces - 1].end == p && p != sp->start)
			pieces[npieces - 1].end = p + ps;
		else if (add_piece(p, p + ps, sp->orig_prot, 0, sp->shared) < 0)
			break;   /* out of room: the rest stays converted, unwatched */
	}
	/* Spans left converted without a watch, when the process was out of
	 * mappings at the end of their watches (or of room above): give them
	 * back now. */
	for (i = 0; i < s1->nspans; i++) {
		const struct mw_span *sp = &s1->spans[i];

		if (!(sp->end <= P0 || sp->start >= P1) || mw_snap_kinds(s1, sp->start, sp->end))
			continue;
		if (add_piece(sp->start, sp->end, sp->orig_prot, 0, sp->shared) < 0)
			break;
	}
	qsort(pieces, npieces, sizeof(*pieces), cmp_piece);

	mw_snap_publish(s1);
	cur = s1;
	if (npieces) {
		/* Draining: writes wait, so nothing written to the alias after
		 * the copy is lost.  The grace period of the publish ensures no
		 * write that began before is still running. */
		s2 = mw_snap_alloc(cur->nspans + 2 * npieces, cur->nwatches);
		if (!s2)
			goto keep;
		mw_snap_copy(s2, cur);
		carve(s2, cur, MW_SPAN_DRAINING);
		mw_snap_publish(s2);
		cur = s2;
		for (i = 0; i < npieces; i++) {
			const struct mw_span *sp = mw_table_span(cur, pieces[i].start);

			/* Unmapped or replaced by the program: nothing to give
			 * back, and nothing of the new mapping to touch. */
			r = mw_protect_intact(sp, sp->start, sp->end);
			if (r < 0) {
				/* Cannot tell (the mappings cannot be read, out of
				 * mappings): touch nothing; it stays a span without a
				 * watch, its accesses performed and not counted,
				 * until a later mw_unwatch gives it back (orphans,
				 * above). */
				memmove(&pieces[i], &pieces[i + 1], (npieces - i - 1) * sizeof(*pieces));
				npieces--;
				i--;
				continue;
			}
			if (!r) {
				mw_alias_unstash(sp->stash, sp->end - sp->start);
				continue;
			}
			if (sp->shared) {
				/* Its pages stay where they are: only the
				 * protection comes back (the alias goes below). */
				mw_alias_unshare(sp->start, sp->end, sp->orig_prot);
				continue;
			}
			r = mw_alias_restore(sp->start, sp->end, sp->alias, sp->orig_prot,
					     sp->stash, sp->anon);
			if (r < 0) {
				/* Leave it converted but open; drop it from the list.
				 * Its stash stays only when out of mappings: the next
				 * mw_unwatch tries again (orphans, below). */
				if (r != -ENOMEM)
					((struct mw_span *)sp)->stash = 0;
				mprotect((void *)sp->start, sp->end - sp->start, sp->orig_prot);
				memmove(&pieces[i], &pieces[i + 1], (npieces - i - 1) * sizeof(*pieces));
				npieces--;
				i--;
			} else if (sp->wipe) {
				/* The program's advice, kept while watched. */
				madvise((void *)sp->start, sp->end - sp->start, MADV_WIPEONFORK);
			}
		}
		s2 = mw_snap_alloc(cur->nspans, cur->nwatches);
		if (!s2)
			goto keep;
		mw_snap_copy(s2, cur);
		carve(s2, cur, -1);
		for (i = 0; i < s2->nspans; i++)
			s2->spans[i].state = MW_SPAN_ACTIVE;
		/* Before the spans disappear: a thread whose fault predates the
		 * restore must retry, not be called genuine (fault.c). */
		atomic_fetch_add(&mw_table_generation, 1);
		for (i = 0; i < npieces; i++)
			pieces[i].alias = mw_table_span(cur, pieces[i].start)->alias;
		mw_snap_publish(s2);
		for (i = 0; i < npieces; i++) {
			mw_sys_unwatched(pieces[i].start, pieces[i].end, pieces[i].alias);
			if (pieces[i].shared)
				mw_alias_drop(pieces[i].alias, pieces[i].end - pieces[i].start);
			else
				mw_alias_release(pieces[i].alias, pieces[i].end - pieces[i].start);
		}
		cur = s2;
	}
keep:
	mw_protect_range(cur, P0, P1);
	mw_watch_obj_free(w);
	if (!cur->nwatches)
		no_watch_left();
	return 0;
}

int mw_unwatch(int id)
{
	int r;

	if (id <= 0)
		return -ENOENT;
	mw_lock();
	r = on_work_stack(unwatch_thunk, &id);
	/* The last watch gone: the caller's mask is again what it set. */
	if (r == 0 && !mw_snap_current()->nwatches)
		mw_thread_reblock_own(MW_THREAD_NEEDED);
	mw_unlock();
	return r;
}

/* ------------------------------------------ the program changes its memory */

void mw_api_gone(uintptr_t lo, uintptr_t hi, uintptr_t pc)
{
	mw_lock();
	for (;;) {
		const struct mw_snapshot *cur = mw_snap_current();
		const struct mw_watch_obj *w = NULL;
		int id;

		for (size_t i = 0; i < cur->nwatches && !w; i++)
			if (overlaps(lo, hi, page_down(cur->watches[i]->start),
				     page_up(cur->watches[i]->end)))
				w = cur->watches[i];
		if (!w)
			break;
		mw_record_gone(w, pc);
		id = w->id;
		on_work_stack(unwatch_thunk, &id);
	}
	mw_unlock();
}

/* ------------------------------------------------------------------- reading */

int mw_count(int id, uint64_t *count)
{
	unsigned slot;
	const struct mw_snapshot *s = mw_table_enter(&slot);
	int r = -ENOENT;

	for (size_t i = 0; i < s->nwatches; i++)
		if (s->watches[i]->id == id) {
			if (count)
				*count = atomic_load_explicit(&s->watches[i]->count,
							      memory_order_relaxed);
			r = 0;
			break;
		}
	mw_table_exit(slot);
	return r;
}

uint64_t mw_total_count(void)
{
	return atomic_load_explicit(&mw_table_total, memory_order_relaxed);
}

int mw_id_at(uintptr_t start)
{
	unsigned slot;
	const struct mw_snapshot *s = mw_table_enter(&slot);
	int id = -ENOENT;

	for (size_t i = 0; i < s->nwatches; i++)
		if (s->watches[i]->start == start && s->watches[i]->id > id)
			id = s->watches[i]->id;
	mw_table_exit(slot);
	return id;
}

const char *mw_strerror(int err)
{
	switch (err < 0 ? -err : err) {
	case 0:
		return "success";
	case EINVAL:
		return "invalid argument: the address is NULL, the length is 0, or the flags "
		       "have bits other than MW_READ and MW_WRITE";
	case EOVERFLOW:
		return "the address range wraps around the end of the address space";
	case EFAULT:
		return "the address range is not entirely mapped, or part of it has no access "
		       "at all (PROT_NONE)";
	case ENOTSUP:
		return "this memory cannot be watched (yet): it is a thread's control block or "
		       "static TLS, the lowest page of the main stack, an executable mapping, a "
		       "kernel special mapping, memwatch's own data, its decoder's or its "
		       "unwinder's, or a page of libc or the loader that memwatch's fault "
		       "handling reads itself";
	case ENOENT:
		return "no such watch: the id was never returned by mw_watch or is already "
		       "unwatched";
	case ENOMEM:
		return "out of memory, or out of mappings (see /proc/sys/vm/max_map_count)";
	case EBUSY:
		return "the log's ring size can only be changed before the first watch";
	case EBADF:
		return "not an open file descriptor";
	default:
		return "unknown memwatch error";
	}
}

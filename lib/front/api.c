/* SPDX-License-Identifier: MIT */
/*
 * api.c - mw_watch, mw_unwatch, and the end of the watches over memory
 * the program unmaps (initialization: init.c; mw_count, mw_strerror and
 * the other reading calls: query.c).
 *
 * Watch and unwatch run in thread context under one lock; they build new
 * table snapshots, move pages into and out of their memfd (alias.c) and set
 * page protections.
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
#include "watch/pool.h"
#include "watch/protect.h"
#include "watch/table.h"

static int next_id = 1;
/* Spans may be left converted without a watch (out of mappings or memory
 * when their watches ended): the next mw_unwatch looks for them. */
static int orphans;
static uintptr_t ps;            /* page size */

/* A run of pages: new pieces to convert, or runs to give back. */
struct piece {
	uintptr_t start, end;
	uintptr_t alias;
	int prot;
	int anon;               /* anonymous memory: absent pages are zeros */
	int shared;             /* a MAP_SHARED mapping (alias.h) */
	uintptr_t vlo, vhi;     /* the program's mapping it is in (stash.h) */
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
	pieces[npieces++] = (struct piece){ start, end, 0, prot, anon, shared, 0, 0 };
	return 0;
}

/* ------------------------------------------------- vm.max_map_count */

/* A region of N mappings of one page each (alternately inaccessible and
 * readable, never touched: no memory), or NULL if the process has not N
 * mappings to spare. */
static char *spare_region(int n)
{
	char *p = mmap(NULL, (size_t)n * ps, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		       -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	/* Every odd page readable: each page a mapping of its own. */
	for (int k = 1; k < n; k += 2)
		if (mprotect(p + (size_t)k * ps, ps, PROT_READ) < 0) {
			munmap(p, (size_t)n * ps);
			return NULL;
		}
	return p;
}

/* Whether the process has N mappings to spare: made and unmapped again. */
static bool mappings_spare(int n)
{
	char *p = spare_region(n);

	if (p)
		munmap(p, (size_t)n * ps);
	return p != NULL;
}

/*
 * Mappings held back for mw_unwatch.  Giving a page back moves a mapping
 * (mremap), which the kernel does only with 4 mappings to spare; a process
 * that reached vm.max_map_count (its own mmaps, or watches) could then
 * unwatch nothing, and every page it watched would stay converted.  The
 * reserve is made before a watch converts pages (the watch fails first
 * when the mappings run out) and kept; an unwatch out of mappings unmaps
 * it, then gives pages back, each one mappings fewer, and makes it again.
 */
#define RESERVE 8
static char *reserve;

static void reserve_make(void)
{
	if (!reserve)
		reserve = spare_region(RESERVE);
}

/* 1 if there was a reserve to give up. */
static int reserve_use(void)
{
	if (!reserve)
		return 0;
	munmap(reserve, (size_t)RESERVE * ps);
	reserve = NULL;
	return 1;
}

/* ------------------------------------------------------------------ mw_watch */

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
		sp = mw_table_span_after(cur, pos);     /* the next span */
		if (sp && sp->start < stop)
			stop = sp->start;
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
		pieces[npieces - 1].vlo = m->vstart;
		pieces[npieces - 1].vhi = m->vend;
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
static int new_id(void)
{
	for (;;) {
		int id = next_id;

		next_id = next_id == INT_MAX ? 1 : next_id + 1;
		if (!mw_table_by_id(id))
			return id;
	}
}

static int do_unwatch(int id);

/* Whether every page of [P0, P1) is in a span of S. */
static bool in_spans(const struct mw_snapshot *s, uintptr_t P0, uintptr_t P1)
{
	const struct mw_span *sp = mw_table_span(s, P0);

	while (sp && sp->end < P1) {
		const struct mw_span *next = mw_table_span_after(s, sp->end);

		if (!next || next->start != sp->end)
			return false;
		sp = next;
	}
	return sp != NULL;
}

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

/* The end of the alias of the span of S that ends at P, if it has one
 * of memfd space (not shared memory): the new span at P takes the memfd
 * space after it if it can, and the two mappings merge (alias.h). */
static uintptr_t alias_after(const struct mw_snapshot *s, uintptr_t p)
{
	const struct mw_span *sp = mw_table_span(s, p - 1);

	return sp && sp->end == p && sp->alias && !sp->shared ? sp->alias + (sp->end - sp->start) : 0;
}

/* The alias of the span of S that starts at P, likewise. */
static uintptr_t alias_before(const struct mw_snapshot *s, uintptr_t p)
{
	const struct mw_span *sp = mw_table_span(s, p);

	return sp && sp->start == p && sp->alias && !sp->shared ? sp->alias : 0;
}

/* Every thread dispatches its system calls (sys_activate): the program's
 * sigaction(SIGSEGV) reaches the library, whose handler then stays. */
static int dispatching;

static void no_watch_left(void)
{
	dispatching = 0;
	mw_sys_deactivate();
	/* The program's code as it was: every patched site restored. */
	mw_arch_patch_restore_all(1);
	mw_pagemap_clear();
	mw_epoch_synchronize();
	mw_arch_code_seal(1);
	/* No memfd space left mapped (watch/pool.h). */
	mw_pool_idle();
}

static int do_watch(uintptr_t lo, uintptr_t hi, unsigned flags)
{
	uintptr_t P0 = page_down(lo), P1 = page_up(hi);
	const struct mw_snapshot *cur = mw_snap_current();
	struct scan sc = { cur };
	struct mw_snapshot *s;
	struct mw_watch_obj *w;
	size_t i, done;
	bool same_prot = false, covered;
	int r;

	/* Pages already watched passed the checks below when they were first
	 * watched, and are the library's mappings (the program's munmap or
	 * mmap over them ends their watches): no new pieces there, and no
	 * read of the mappings. */
	covered = in_spans(cur, P0, P1);
	if (mw_init_owns(P0, P1) || mw_selfread_refused(P0, P1, flags) ||
	    (!covered && thread_areas(P0, P1)))
		return refusal(P0, P1);
	npieces = 0;
	r = covered ? 0 : mw_maps_walk(P0, P1, -EFAULT, scan_map, &sc);
	if (r == -ENOTSUP)
		return refusal(P0, P1);
	if (r)
		return r;
	/* Ours, unless the program replaced it while nothing dispatched: a
	 * look at SIGSEGV's action (a system call) only then. */
	r = dispatching && cur->nwatches ? 0 : mw_fault_install();
	if (r)
		return r;
	w = mw_watch_obj_alloc();
	if (!w)
		return -ENOMEM;

	if (npieces) {
		/* Mappings for the unwatches first. */
		reserve_make();
		if (!reserve) {
			mw_watch_obj_free(w);
			return -ENOMEM;
		}
		/* The new pieces enter the table as pending: a write that faults
		 * on them while they are frozen retries until they are ready. */
		s = mw_snap_begin();
		if (!s)
			goto nomem;
		for (i = 0; i < npieces; i++)
			if (mw_snap_span_add(s, &(struct mw_span){
				pieces[i].start, pieces[i].end, 0, pieces[i].prot, MW_SPAN_PENDING,
				pieces[i].shared != 0, false, pieces[i].anon != 0, 0 }) < 0) {
				mw_snap_discard(s);
				goto nomem;
			}
		mw_snap_publish(s);
		cur = s;
		/* Frozen read-only for the copy: a write-only page (PROT_WRITE
		 * alone) too, which the copy reads (mw_prot_allowed); without
		 * PROT_READ it would fault on the pending span forever.  Small
		 * read-write anonymous pieces freeze in the conversion, one
		 * mprotect fewer (mw_alias_freezes). */
		for (i = 0; i < npieces; i++)
			if ((pieces[i].prot & PROT_WRITE) &&
			    !mw_alias_freezes(pieces[i].prot, pieces[i].anon, pieces[i].shared,
					      pieces[i].end - pieces[i].start) &&
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
						     mw_prot_allowed(pieces[done].prot) & ~PROT_WRITE,
						     pieces[done].prot, pieces[done].anon,
						     alias_after(cur, pieces[done].start),
						     alias_before(cur, pieces[done].end), pieces[done].vlo,
						     pieces[done].vhi, &sp->alias, &sp->stash);
			if (r)
				break;
		}
		if (done < npieces) {
			/* Roll back: converted pieces return to private memory,
			 * frozen ones get their protection back - with the
			 * reserve's mappings if out of them. */
			reserve_use();
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
			s = mw_snap_begin();
			for (size_t k = 0; s && k < npieces; k++)
				if (mw_snap_span_del(s, pieces[k].start) < 0) {
					mw_snap_discard(s);
					s = NULL;
				}
			if (s) {
				atomic_fetch_add(&mw_table_generation, 1);
				mw_snap_publish(s);
			}
			mw_watch_obj_free(w);
			reserve_make();
			return r ? r : -ENOMEM;
		}
	} else {
		/* Pages watched already for these kinds keep their protection. */
		same_prot = true;
		for (uintptr_t p = P0; p < P1 && same_prot; p += ps)
			same_prot = mw_snap_has(cur, p, p + ps, flags);
	}
	if (npieces && !(flags & MW_READ)) {
		/* The new pieces were mapped with the protection a write watch
		 * gives them; if the pages between them have a write watch
		 * already, no mprotect (and no read of the mappings) is left. */
		uintptr_t p = P0;
		size_t k = 0;

		same_prot = true;
		while (p < P1 && same_prot) {
			if (k < npieces && p >= pieces[k].start) {
				p = pieces[k++].end;
				continue;
			}
			same_prot = mw_snap_has(cur, p, p + ps, MW_WRITE);
			p += ps;
		}
	}

	w->id = new_id();
	w->flags = flags;
	w->start = lo;
	w->end = hi;
	s = mw_snap_begin();
	if (!s || mw_table_set_id(w->id, w) < 0) {
		if (s)
			mw_snap_discard(s);
		goto nomem_pieces;
	}
	for (i = 0; i < npieces; i++) {
		struct mw_span *sp = mw_snap_span_edit(s, pieces[i].start);

		if (!sp)
			break;
		sp->state = MW_SPAN_ACTIVE;
	}
	if (i < npieces || mw_snap_watch_add(s, w) < 0) {
		mw_table_set_id(w->id, NULL);
		mw_snap_discard(s);
		goto nomem_pieces;
	}
	mw_snap_publish(s);
	/* Protected so already: the page map must say so too (pagemap.h; a
	 * patched system-call site trusts a clear bit for a futex). */
	if (same_prot)
		mw_pagemap_set(P0, P1, 1, (flags & MW_READ) != 0);
	r = same_prot ? 0 : mw_protect_range(s, P0, P1);
	if (r) {
		/* Out of mappings for the protections: a watch that would not
		 * catch everything must not exist; undo it. */
		do_unwatch(w->id);
		return r;
	}
	return w->id;

nomem_pieces:
	/* The converted pieces stay, pending: activate them without the
	 * watch, the next mw_unwatch gives them back (orphans). */
	if (npieces) {
		s = mw_snap_begin();
		for (i = 0; s && i < npieces; i++) {
			struct mw_span *sp = mw_snap_span_edit(s, pieces[i].start);

			if (sp)
				sp->state = MW_SPAN_ACTIVE;
		}
		if (s)
			mw_snap_publish(s);
		orphans = 1;
		mw_protect_range(mw_snap_current(), P0, P1);
	}
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
	int on = mw_thread_on_altstack();

	/* Called from a signal handler on the alternate stack (the program
	 * unmapped watched memory, sys/bounce.c): that stack is never watched,
	 * and leaving it would let a nested signal start over at its top,
	 * over our frames. */
	if (on > 0 || (on < 0 && sigaltstack(NULL, &ss) == 0 && (ss.ss_flags & SS_ONSTACK)))
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
	dispatching = r == 0;

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
		if (on) {
			sys_activate();
		} else {
			dispatching = 0;
			mw_sys_deactivate();
		}
	}
	mw_unlock();
	return was;
}

/* ---------------------------------------------------------------- mw_unwatch */

static int cmp_piece(const void *a, const void *b)
{
	const struct piece *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* A snapshot where each piece is a span of its own, with STATE. */
static struct mw_snapshot *carve(int state)
{
	struct mw_snapshot *s = mw_snap_begin();

	for (size_t i = 0; s && i < npieces; i++) {
		struct mw_span *sp;

		if (mw_snap_span_cut(s, pieces[i].start) < 0 ||
		    mw_snap_span_cut(s, pieces[i].end) < 0 ||
		    !(sp = mw_snap_span_edit(s, pieces[i].start))) {
			mw_snap_discard(s);
			return NULL;
		}
		sp->state = state;
	}
	return s;
}

/* Whether every page of [P0, P1) still has watches of the kinds FLAGS in
 * S: then removing a watch of FLAGS leaves their kinds, and their
 * protections, as they were. */
static int kinds_stay(const struct mw_snapshot *s, uintptr_t P0, uintptr_t P1, unsigned flags)
{
	for (uintptr_t p = P0; p < P1; p += ps)
		if (!mw_snap_has(s, p, p + ps, flags))
			return 0;
	return 1;
}

/* The pages of [P0, P1) no watch of S needs: found by going through the
 * watches over the range in order of start, not page by page. */
struct uncovered {
	const struct mw_snapshot *s;
	uintptr_t pos, P1;      /* pages before pos are decided */
	int full;               /* out of room for pieces */
};

/* [x, y) has no watch: its parts in spans become pieces, one per span. */
static void give_back(struct uncovered *u, uintptr_t x, uintptr_t y)
{
	for (const struct mw_span *sp = mw_table_span_after(u->s, x); sp && sp->start < y && !u->full;
	     sp = mw_table_span_after(u->s, sp->end))
		if (add_piece(sp->start > x ? sp->start : x, sp->end < y ? sp->end : y,
			      sp->orig_prot, 0, sp->shared) < 0) {
			orphans = 1;
			u->full = 1;    /* the rest stays converted, unwatched */
		}
}

static void cover(struct mw_watch_obj *w, void *arg)
{
	struct uncovered *u = arg;
	uintptr_t a = page_down(w->start), b = page_up(w->end);

	if (a > u->pos)
		give_back(u, u->pos, a < u->P1 ? a : u->P1);
	if (b > u->pos)
		u->pos = b;
}

static int do_unwatch(int id)
{
	const struct mw_snapshot *cur = mw_snap_current();
	struct mw_watch_obj *w = mw_table_by_id(id);
	int same;
	bool stuck = false;
	struct mw_snapshot *s1, *s2;
	uintptr_t P0, P1;
	size_t i;
	int r;

	if (!w)
		return -ENOENT;
	P0 = page_down(w->start);
	P1 = page_up(w->end);

	/* s1: the table without the watch. */
	s1 = mw_snap_begin();
	if (!s1)
		return -ENOMEM;
	if (mw_snap_watch_del(s1, w) < 0) {
		mw_snap_discard(s1);
		return -ENOMEM;
	}

	/* Pages no other watch needs go back to private memory, in runs that
	 * stay within one span. */
	npieces = 0;
	{
		struct uncovered u = { s1, P0, P1, 0 };

		/* A few pages: a look at each for a watch (the first found
		 * ends it), not at every watch on them - a page may have a
		 * hundred. */
		if (P1 - P0 <= 4 * (uintptr_t)ps) {
			uintptr_t run = P0;

			for (uintptr_t p = P0; p <= P1; p += ps)
				if (p == P1 || mw_snap_has(s1, p, p + ps, 0)) {
					if (run < p)
						give_back(&u, run, p);
					run = p + ps;
				}
		} else {
			mw_table_each(s1, P0, P1, cover, &u);
			if (u.pos < P1)
				give_back(&u, u.pos, P1);
		}
	}
	/* Spans left converted without a watch, when the process was out of
	 * mappings at the end of their watches (or of room above): give them
	 * back now - if the mappings to move them are there: at the limit,
	 * looking through every span at each mw_unwatch to fail again made n
	 * unwatches cost n^2. */
	if (orphans && mappings_spare(4)) {
		orphans = 0;
		for (const struct mw_span *sp = mw_table_span_after(s1, 0); sp;
		     sp = mw_table_span_after(s1, sp->end)) {
			if (!(sp->end <= P0 || sp->start >= P1) || mw_snap_has(s1, sp->start, sp->end, 0))
				continue;
			if (add_piece(sp->start, sp->end, sp->orig_prot, 0, sp->shared) < 0) {
				orphans = 1;
				break;
			}
		}
	}
	qsort(pieces, npieces, sizeof(*pieces), cmp_piece);
	same = !npieces && kinds_stay(s1, P0, P1, w->flags);

	mw_table_set_id(id, NULL);
	mw_snap_publish(s1);
	cur = s1;
	if (npieces) {
		/* Draining: writes wait, so nothing written to the alias after
		 * the copy is lost.  The grace period of the publish ensures no
		 * write that began before is still running. */
		s2 = carve(MW_SPAN_DRAINING);
		if (!s2) {
			orphans = 1;
			goto keep;
		}
		mw_snap_publish(s2);
		cur = s2;
		for (i = 0; i < npieces; i++) {
			struct mw_span *sp = (struct mw_span *)mw_table_span(cur, pieces[i].start);

			pieces[i].alias = sp->alias;
			pieces[i].prot = 1;     /* here: given back */
			/* Unmapped or replaced by the program: nothing to give
			 * back, and nothing of the new mapping to touch. */
			r = mw_protect_intact(sp, sp->start, sp->end);
			if (r < 0) {
				/* Cannot tell (the mappings cannot be read, out of
				 * mappings): touch nothing; it stays a span without a
				 * watch, its accesses performed and not counted,
				 * until a later mw_unwatch gives it back (orphans,
				 * above). */
				pieces[i].prot = 0;
				orphans = 1;
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
			/* Out of mappings for one: so for the rest (they stay
			 * converted, tried again later, as below). */
			r = stuck ? -ENOMEM :
				    mw_alias_restore(sp->start, sp->end, sp->alias, sp->orig_prot,
						     sp->stash, sp->anon);
			if (r == -ENOMEM && !stuck && reserve_use())
				r = mw_alias_restore(sp->start, sp->end, sp->alias, sp->orig_prot,
						     sp->stash, sp->anon);
			if (r == -ENOMEM)
				stuck = true;
			if (r < 0) {
				/* Leave it converted but open.  Its stash stays
				 * only when out of mappings: the next mw_unwatch
				 * tries again (orphans, above). */
				if (r != -ENOMEM)
					sp->stash = 0;
				mprotect((void *)sp->start, sp->end - sp->start, sp->orig_prot);
				pieces[i].prot = 0;
				orphans = 1;
			} else if (sp->wipe) {
				/* The program's advice, kept while watched. */
				madvise((void *)sp->start, sp->end - sp->start, MADV_WIPEONFORK);
			}
		}
		/* The pieces given back leave the table, the others are
		 * active again. */
		s2 = mw_snap_begin();
		for (i = 0; s2 && i < npieces; i++) {
			struct mw_span *sp;

			if (pieces[i].prot)
				r = mw_snap_span_del(s2, pieces[i].start);
			else if ((sp = mw_snap_span_edit(s2, pieces[i].start)) != NULL)
				sp->state = MW_SPAN_ACTIVE, r = 0;
			else
				r = -ENOMEM;
			if (r < 0) {
				mw_snap_discard(s2);
				s2 = NULL;
			}
		}
		if (!s2)
			goto keep;      /* no memory: they wait, draining */
		/* Before the spans disappear: a thread whose fault predates the
		 * restore must retry, not be called genuine (fault.c). */
		atomic_fetch_add(&mw_table_generation, 1);
		mw_snap_publish(s2);
		for (i = 0; i < npieces; i++) {
			if (!pieces[i].prot)
				continue;
			mw_sys_unwatched(pieces[i].start, pieces[i].end, pieces[i].alias);
			if (pieces[i].shared)
				mw_alias_drop(pieces[i].alias, pieces[i].end - pieces[i].start);
			else
				mw_alias_release(pieces[i].alias, pieces[i].end - pieces[i].start);
		}
		cur = s2;
	}
keep:
	if (!same)
		mw_protect_range(cur, P0, P1);
	reserve_make();
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

static void first_fn(struct mw_watch_obj *w, void *arg)
{
	if (!*(struct mw_watch_obj **)arg)
		*(struct mw_watch_obj **)arg = w;
}

void mw_api_gone(uintptr_t lo, uintptr_t hi, uintptr_t pc)
{
	mw_lock();
	for (;;) {
		struct mw_watch_obj *w = NULL;
		int id;

		/* A watch with a byte on the pages of [lo, hi). */
		mw_table_each(mw_snap_current(), page_down(lo), page_up(hi), first_fn, &w);
		if (!w)
			break;
		mw_record_gone(w, pc);
		id = w->id;
		on_work_stack(unwatch_thunk, &id);
	}
	mw_unlock();
}

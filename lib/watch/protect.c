/* SPDX-License-Identifier: MIT */
/*
 * protect.c - the protection of watched pages (see protect.h): from the
 * watches over them, frozen for a fork, and as the program's mprotect asks.
 * [thread, library lock held]: mw_snap_*, mw_maps_walk, mprotect.
 */
#include <errno.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "base/maps.h"
#include "memwatch.h"
#include "watch/pagemap.h"
#include "watch/pool.h"
#include "watch/protect.h"
#include "watch/table.h"

static uintptr_t page_size(void)
{
	static uintptr_t ps;

	if (!ps)
		ps = (uintptr_t)sysconf(_SC_PAGESIZE);
	return ps;
}

void mw_protect_freeze(int frozen)
{
	const struct mw_snapshot *cur = mw_snap_current();
	struct mw_snapshot *s;

	if (!cur || !cur->nspans)
		return;
	s = mw_snap_begin();
	if (!s)
		return;         /* no memory: the fork goes on unfrozen */
	for (const struct mw_span *sp = mw_table_span_after(s, 0); sp;
	     sp = mw_table_span_after(s, sp->end)) {
		struct mw_span *e = mw_snap_span_edit(s, sp->start);

		if (!e) {
			mw_snap_discard(s);
			return;
		}
		e->state = frozen ? MW_SPAN_FROZEN : MW_SPAN_ACTIVE;
		sp = e;
	}
	mw_snap_publish(s);
}

/* ------------------------------------------------- is a span still ours? */

/* The program may unmap watched memory (free() of a large block) and map
 * something else there.  Before the library touches a span's range again
 * (protections, restoring), it checks that the range is still its memfd
 * mapping: the same file as the alias, at the same offsets. */
struct intact {
	unsigned long inode;
	uintptr_t offset;       /* expected file offset at the range's start */
	uintptr_t start;
	int ok, seen;
	bool shared;            /* the span's own mapping: any file's name */
};

static int check_alias(const struct mw_map *m, void *arg)
{
	struct intact *x = arg;

	x->inode = m->inode;
	x->offset = m->offset;
	x->seen = 1;
	return 1;
}

static int check_range(const struct mw_map *m, void *arg)
{
	struct intact *x = arg;

	if (!m->shared || m->inode != x->inode ||
	    m->offset != x->offset + (m->start - x->start) ||
	    (!x->shared && strncmp(m->name, "/memfd:memwatch", 15) != 0))
		x->ok = 0;
	return x->ok ? 0 : 1;
}

int mw_protect_intact(const struct mw_span *sp, uintptr_t lo, uintptr_t hi)
{
	struct intact x = { 0, 0, lo, 1, 0, sp->shared };
	uintptr_t a = sp->alias + (lo - sp->start);
	uint64_t off;
	int r;

	/* The pool's memfd (pool.h): its file and offset are known. */
	if (!sp->shared && mw_pool_file(a, &x.inode, &off)) {
		x.offset = (uintptr_t)off;
	} else {
		r = mw_maps_walk(a, a + 1, 0, check_alias, &x);
		if (r < 0)
			return -1;      /* the mappings cannot be read */
		if (r != 1 || !x.seen)
			return 0;
	}
	r = mw_maps_walk(lo, hi, 2, check_range, &x);   /* 2: a gap */
	if (r < 0)
		return -1;
	return r == 0 && x.ok;
}

/* The protection a page of span SP gets from the watches over it. */
static int page_prot(const struct mw_snapshot *s, const struct mw_span *sp, uintptr_t page)
{
	unsigned k = mw_snap_kinds(s, page, page + page_size());

	if (k & MW_READ)
		return PROT_NONE;
	if (k & MW_WRITE)       /* a write-only page stays readable */
		return mw_prot_allowed(sp->orig_prot) & ~PROT_WRITE;
	return sp->orig_prot;
}

/* Set the protections of the pages of [lo, hi) that are in spans of S and
 * still the library's mappings. */
int mw_protect_range(const struct mw_snapshot *s, uintptr_t lo, uintptr_t hi)
{
	uintptr_t run = lo;
	int run_prot = -1;
	const struct mw_span *checked = NULL;
	int intact = 0;

	for (uintptr_t p = lo; p <= hi; p += page_size()) {
		const struct mw_span *sp = p < hi ? mw_table_span(s, p) : NULL;
		int prot;

		if (sp && sp != checked) {
			checked = sp;
			intact = mw_protect_intact(sp, sp->start, sp->end) > 0;
		}
		prot = sp && intact ? page_prot(s, sp, p) : -1;   /* -1: not ours (any more) */

		if (prot != run_prot) {
			/* For patched code sites (pagemap.h): what faults now,
			 * said before it does. */
			if (p > run)
				mw_pagemap_set(run, p, run_prot >= 0 && !(run_prot & PROT_WRITE),
					       run_prot >= 0 && !(run_prot & PROT_READ));
			if (run_prot >= 0 && p > run && mprotect((void *)run, p - run, run_prot) < 0)
				return -errno;
			run = p;
			run_prot = prot;
		}
	}
	return 0;
}

int mw_protect_all(const struct mw_snapshot *s)
{
	for (const struct mw_span *sp = mw_table_span_after(s, 0); sp;
	     sp = mw_table_span_after(s, sp->end)) {
		int r = mw_protect_range(s, sp->start, sp->end);

		if (r)
			return r;
	}
	return 0;
}

/* A copy of the current table with its spans split at LO and HI, not yet
 * published; each part of a span inside [lo, hi) passes through SET. */
static struct mw_snapshot *split(uintptr_t lo, uintptr_t hi, void (*set)(struct mw_span *, int),
				 int arg)
{
	struct mw_snapshot *s = mw_snap_begin();

	if (!s)
		return NULL;
	if (mw_snap_span_cut(s, lo) < 0 || mw_snap_span_cut(s, hi) < 0)
		goto fail;
	for (const struct mw_span *sp = mw_table_span_after(s, lo); sp && sp->start < hi;
	     sp = mw_table_span_after(s, sp->end)) {
		struct mw_span *e = mw_snap_span_edit(s, sp->start);

		if (!e)
			goto fail;
		set(e, arg);
		sp = e;
	}
	return s;
fail:
	mw_snap_discard(s);
	return NULL;
}

/* Applies FN(p, len, arg) to the gaps between the spans of S in [lo, hi):
 * the program's memory there is its own.  0 or the first -errno. */
static long gaps(const struct mw_snapshot *s, uintptr_t lo, uintptr_t hi,
		 int (*fn)(void *, size_t, int), int arg)
{
	long r = 0;

	for (uintptr_t p = lo; p < hi;) {
		const struct mw_span *sp = mw_table_span(s, p);
		uintptr_t q = p;

		if (sp) {
			p = sp->end;
			continue;
		}
		while (q < hi && !mw_table_span(s, q))
			q += page_size();
		if (fn((void *)p, q - p, arg) < 0 && !r)
			r = -errno;
		p = q;
	}
	return r;
}

static void set_prot(struct mw_span *sp, int prot)
{
	sp->orig_prot = prot;
}

long mw_protect_change(uintptr_t lo, uintptr_t hi, int prot)
{
	/* Spans split at lo and hi; the part inside gets the program's
	 * protection, which the watches then restrict (page_prot). */
	struct mw_snapshot *s = split(lo, hi, set_prot, prot);
	long r;

	if (!s)
		return -ENOMEM;
	mw_snap_publish(s);
	/* The rest of the range as the program asked, gap by gap. */
	r = gaps(s, lo, hi, mprotect, prot);
	mw_protect_range(s, lo, hi);
	return r;
}

static void set_wipe(struct mw_span *sp, int wipe)
{
	sp->wipe = wipe;
}

long mw_protect_advise(uintptr_t lo, uintptr_t hi, int advice)
{
	const struct mw_snapshot *cur = mw_snap_current();
	struct mw_snapshot *s;

	/* As the kernel: MADV_WIPEONFORK is for private memory only. */
	for (const struct mw_span *sp = mw_table_span_after(cur, lo);
	     advice == MADV_WIPEONFORK && sp && sp->start < hi; sp = mw_table_span_after(cur, sp->end))
		if (sp->shared)
			return -EINVAL;
	s = split(lo, hi, set_wipe, advice == MADV_WIPEONFORK);
	if (!s)
		return -ENOMEM;
	mw_snap_publish(s);
	return gaps(s, lo, hi, madvise, advice);
}

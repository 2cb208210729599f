/* SPDX-License-Identifier: MIT */
/*
 * finemap.c - the watched pages as patched sites' stubs read them (see
 * finemap.h).  [thread, library lock held]: mmap, madvise, membarrier,
 * the table's readers, release stores.
 */
#include <errno.h>
#include <linux/membarrier.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/rseq.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "memwatch.h"
#include "watch/finemap.h"
#include "watch/table.h"

#define PAGE            4096ull
#define LEAF_PAGES      (1ull << MW_FINE_LEAF_SHIFT)
#define TOP_ENTRIES     ((1ull << 47) / PAGE / LEAF_PAGES)
#define SLAB            65536

/* glibc's restartable sequence area (2.35 and later); weak: absent in an
 * older one, which leaves the map off. */
extern const unsigned int __rseq_size __attribute__((weak));

typedef struct mw_fine_page *_Atomic slot_t;

static slot_t **top;            /* TOP_ENTRIES leaves of LEAF_PAGES slots */
static struct mw_fine_page *free_list, *retired;
static unsigned nretired;
static bool urgent;             /* an alias was taken away since the barrier */

static long membarrier(int cmd)
{
	return syscall(SYS_membarrier, cmd, 0, 0);
}

int mw_finemap_init(void)
{
	void *p;

	if (top)
		return 0;
	if (!&__rseq_size || __rseq_size == 0)
		return -ENOSYS;
	if (membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_RSEQ) < 0)
		return -errno;
	p = mmap(NULL, TOP_ENTRIES * sizeof(void *), PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return -errno;
	madvise(p, TOP_ENTRIES * sizeof(void *), MADV_DONTDUMP);
	top = p;
	return 0;
}

void *const *mw_finemap_root(void)
{
	return (void *const *)top;
}

static slot_t *slot(uintptr_t page_addr, bool make)
{
	uint64_t pg = page_addr / PAGE;
	slot_t **t = &top[pg >> MW_FINE_LEAF_SHIFT];
	slot_t *leaf = atomic_load_explicit((slot_t *_Atomic *)t, memory_order_relaxed);

	if (!leaf && make) {
		void *p = mmap(NULL, LEAF_PAGES * sizeof(slot_t), PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

		if (p == MAP_FAILED)
			return NULL;
		madvise(p, LEAF_PAGES * sizeof(slot_t), MADV_DONTDUMP);
		leaf = p;
		/* release: a stub that finds the leaf finds it zeroed. */
		atomic_store_explicit((slot_t *_Atomic *)t, leaf, memory_order_release);
	}
	return leaf ? &leaf[pg & (LEAF_PAGES - 1)] : NULL;
}

static struct mw_fine_page *alloc(void)
{
	struct mw_fine_page *r = free_list;

	if (!r) {
		void *p = mmap(NULL, SLAB, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED)
			return NULL;
		madvise(p, SLAB, MADV_DONTDUMP);
		for (size_t i = 0; i + sizeof(*r) <= SLAB; i += sizeof(*r)) {
			struct mw_fine_page *e = (struct mw_fine_page *)((char *)p + i);

			e->next = free_list;
			free_list = e;
		}
		r = free_list;
	}
	free_list = r->next;
	return r;
}

static void set_granules(uint64_t *bits, uintptr_t from, uintptr_t to)
{
	for (uintptr_t g = from; g <= to; g++)
		bits[g / 64] |= 1ull << (g % 64);
}

struct fill {
	struct mw_fine_page *r;
	uintptr_t page;
	uintptr_t lo, hi;       /* the bytes of the page recomputed */
};

static void each_watch(struct mw_watch_obj *w, void *arg)
{
	struct fill *f = arg;
	uintptr_t a = w->start > f->lo ? w->start : f->lo;
	uintptr_t b = w->end < f->hi ? w->end : f->hi;

	if (a >= b)
		return;
	if (w->flags & MW_WRITE)
		set_granules(f->r->w, (a - f->page) / 8, (b - 1 - f->page) / 8);
	if (w->flags & MW_READ)
		set_granules(f->r->r, (a - f->page) / 8, (b - 1 - f->page) / 8);
}

static bool all_ones(const uint64_t *g)
{
	for (int i = 0; i < 8; i++)
		if (g[i] != ~0ull)
			return false;
	return true;
}

static bool none(const uint64_t *g)
{
	for (int i = 0; i < 8; i++)
		if (g[i])
			return false;
	return true;
}

static void clear_granules(uint64_t *bits, uintptr_t from, uintptr_t to)
{
	for (uintptr_t g = from; g <= to; g++)
		bits[g / 64] &= ~(1ull << (g % 64));
}

/*
 * The record page P should have in NOW, into *R: false if none, or if no
 * access that reaches the stub's look could run there (every granule
 * marked for writes, and for reads too where reads fault at all): a page
 * wholly watched needs none.  Nor does a page with no watch left: it is
 * about to drain and go back (mw_unwatch publishes the watch's removal
 * first) - a record made for that moment would cost a barrier when it
 * goes - or a page that could not go back, open to the program's
 * accesses without any fault.
 *
 * Only the granules of [LO, HI) (the part of the page the snapshot
 * changed) are looked up when OLD, the page's record before, has the same
 * alias: the others are OLD's.  A granule is marked by a watch on it, so
 * a page has a watch of writes exactly where W has a bit (reads: R), but
 * where its protection marks them all; with 100 watches on a page, one
 * more or one less costs a look at its own granules, not at the 100.
 */
static bool compute(const struct mw_snapshot *now, uintptr_t p, uintptr_t lo, uintptr_t hi,
		    const struct mw_fine_page *old, struct mw_fine_page *r)
{
	const struct mw_span *sp = mw_table_span(now, p);
	struct fill f = { r, p, p, p + PAGE };
	bool wforced, rforced;
	uintptr_t alias;
	int allowed;

	if (!sp || sp->state != MW_SPAN_ACTIVE || !sp->alias)
		return false;
	alias = sp->alias + (p - sp->start);
	/* A kind the page's own protection forbids is the fault path's: it
	 * delivers the fault the program would get. */
	allowed = mw_prot_allowed(sp->orig_prot);
	wforced = !(allowed & PROT_WRITE);
	rforced = !(allowed & PROT_READ);
	lo = lo > p ? lo & ~(uintptr_t)7 : p;
	hi = hi < p + PAGE ? (hi + 7) & ~(uintptr_t)7 : p + PAGE;
	/* Pages that fault on writes alone: a read watch there would leave
	 * no bit to tell it by. */
	if (old && old->alias == alias && lo < hi && (wforced || !rforced)) {
		*r = *old;
		f.lo = lo;
		f.hi = hi;
		clear_granules(r->w, (lo - p) / 8, (hi - 1 - p) / 8);
		clear_granules(r->r, (lo - p) / 8, (hi - 1 - p) / 8);
	} else {
		memset(r, 0, sizeof(*r));
	}
	r->alias = alias;
	r->next = NULL;
	mw_table_each(now, f.lo, f.hi, each_watch, &f);
	if (wforced && rforced)
		return false;
	if (wforced)
		return !none(r->r) && (memset(r->w, 0xff, sizeof(r->w)), !all_ones(r->r));
	if (rforced) {
		/* Reads fault there whatever is watched: a watch of reads
		 * has no granule of its own to be seen by. */
		struct fill any = { r, p, p, p + PAGE };
		bool some = !none(r->w);

		if (!some)
			mw_table_each(now, p, p + PAGE, each_watch, &any);
		some = some || !none(r->r);
		memset(r->r, 0xff, sizeof(r->r));
		return some && !all_ones(r->w);
	}
	if (none(r->w) && none(r->r))
		return false;
	return !all_ones(r->w) || (!none(r->r) && !all_ones(r->r));
}

static void retire(struct mw_fine_page *old)
{
	old->next = retired;
	retired = old;
	nretired++;
}

/* The record of slot S goes (its alias with it: the barrier is due). */
static void drop(slot_t *s)
{
	struct mw_fine_page *old = s ? atomic_load_explicit(s, memory_order_relaxed) : NULL;

	if (old) {
		atomic_store_explicit(s, NULL, memory_order_relaxed);
		retire(old);
		urgent = true;
	}
}

static void page_update(const struct mw_snapshot *now, uintptr_t p, uintptr_t lo, uintptr_t hi)
{
	struct mw_fine_page tmp, *old, *rec;
	slot_t *s = slot(p, false);
	bool have;

	old = s ? atomic_load_explicit(s, memory_order_relaxed) : NULL;
	have = compute(now, p, lo, hi, old, &tmp);
	if (have && !s)
		s = slot(p, true);
	if (!have || !s) {
		drop(s);        /* none (or no memory for the leaf: the fault path's) */
		return;
	}
	if (old && old->alias == tmp.alias && !memcmp(old->w, tmp.w, sizeof(tmp.w)) &&
	    !memcmp(old->r, tmp.r, sizeof(tmp.r)))
		return;
	rec = alloc();
	if (!rec) {
		drop(s);
		return;
	}
	*rec = tmp;
	rec->next = NULL;
	/* release: a stub that finds the record finds it filled. */
	atomic_store_explicit(s, rec, memory_order_release);
	if (old) {
		retire(old);
		if (old->alias != rec->alias)
			urgent = true;
	}
}

struct cover {
	uintptr_t a, b;
	bool wcover, rcover, rany;
};

static void each_cover(struct mw_watch_obj *w, void *arg)
{
	struct cover *c = arg;
	bool all = w->start <= c->a && w->end >= c->b;

	c->wcover |= all && (w->flags & MW_WRITE);
	c->rcover |= all && (w->flags & MW_READ);
	c->rany |= (w->flags & MW_READ) != 0;
}

/* Whether no page of [A, B) (in one span of NOW) needs a record, by
 * compute's rule without a look at each page: a watch of writes covers it
 * all, and reads are watched there only if one watch of reads does too. */
static bool covered(const struct mw_snapshot *now, uintptr_t a, uintptr_t b)
{
	struct cover c = { a, b, false, false, false };

	mw_table_each(now, a, b, each_cover, &c);
	return c.wcover && (!c.rany || c.rcover);
}

/* The records in [A, B) go: by leaf, skipping those never made. */
static void drop_all(uintptr_t a, uintptr_t b)
{
	uint64_t pg = a / PAGE, end = b / PAGE;

	while (pg < end) {
		slot_t *leaf = top[pg >> MW_FINE_LEAF_SHIFT];
		uint64_t stop = ((pg >> MW_FINE_LEAF_SHIFT) + 1) << MW_FINE_LEAF_SHIFT;

		if (stop > end)
			stop = end;
		for (; leaf && pg < stop; pg++)
			drop(&leaf[pg & (LEAF_PAGES - 1)]);
		pg = stop;
	}
}

/* The records of the pages of PREV's spans within [lo, hi) that no span
 * of NOW holds go (those it holds: spans_in). */
static void gone_in(const struct mw_snapshot *prev, const struct mw_snapshot *now,
		    uintptr_t lo, uintptr_t hi)
{
	for (const struct mw_span *sp = mw_table_span_after(prev, lo); sp && sp->start < hi;
	     sp = mw_table_span_after(prev, sp->end)) {
		uintptr_t a = sp->start > lo ? sp->start : lo & ~(PAGE - 1);
		uintptr_t b = sp->end < hi ? sp->end : hi;
		const struct mw_span *ns = mw_table_span_after(now, a);

		if (!ns || ns->start >= b) {
			drop_all(a, b);
			continue;
		}
		for (uintptr_t p = a; p < b; p += PAGE)
			if (!mw_table_span(now, p))
				drop(slot(p, false));
	}
}

/* Calls page_update for each page of NOW's spans within [lo, hi); a run
 * of pages one watch covers wholly (a large watch) at once. */
static void spans_in(const struct mw_snapshot *now, uintptr_t lo, uintptr_t hi)
{
	for (const struct mw_span *sp = mw_table_span_after(now, lo); sp && sp->start < hi;
	     sp = mw_table_span_after(now, sp->end)) {
		uintptr_t a = sp->start > lo ? sp->start : lo & ~(PAGE - 1);
		uintptr_t b = sp->end < hi ? sp->end : hi;
		/* A large run with no record to have: only old ones to drop. */
		if (b - a > 16 * PAGE && (sp->state != MW_SPAN_ACTIVE || !sp->alias ||
					  covered(now, a, b))) {
			drop_all(a, b);
			continue;
		}
		for (uintptr_t p = a & ~(PAGE - 1); p < b; p += PAGE)
			page_update(now, p, lo, hi);
	}
}

void mw_finemap_update(const struct mw_snapshot *now, const struct mw_snapshot *prev,
		       uintptr_t lo, uintptr_t hi)
{
	if (!top || lo >= hi)
		return;
	if (hi > (1ull << 47))
		hi = 1ull << 47;
	/* Pages that left (their records go) and pages that are (theirs are
	 * made anew where they changed). */
	if (prev && prev != now)
		gone_in(prev, now, lo, hi);
	spans_in(now, lo, hi);
}

void mw_finemap_rebuild(const struct mw_snapshot *now)
{
	if (top)
		spans_in(now, 0, 1ull << 47);
}

void mw_finemap_settle(void)
{
	if (!top || (!urgent && nretired < 256))
		return;
	/* Every running sequence restarts; preempted ones already did. */
	if (membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ) < 0)
		return;         /* registered in mw_finemap_init: cannot fail */
	urgent = false;
	while (retired) {
		struct mw_fine_page *r = retired;

		retired = r->next;
		r->next = free_list;
		free_list = r;
	}
	nretired = 0;
}

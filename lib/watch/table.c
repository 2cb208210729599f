/* SPDX-License-Identifier: MIT */
/*
 * table.c - reading the watch table (see table.h): the span of an
 * address, the watches over a range.  Building snapshots: snap.c; ids and
 * watch objects: ids.c; their memory: arena.c.
 * Fault path (mw_table_*, mw_snap_kinds, mw_snap_has): reads the published
 * snapshot, atomics, memcpy; no other calls.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "base/epoch.h"
#include "memwatch.h"
#include "watch/chunk.h"
#include "watch/table.h"
#include "base/sigsafe.h"

_Atomic uint64_t mw_table_total;
_Atomic unsigned long mw_table_generation;
__thread int mw_table_writer __attribute__((tls_model("initial-exec")));
static struct mw_snapshot empty_snapshot;
uintptr_t mw_table_page = 4096;         /* set from sysconf by the first writer */
static _Atomic(const struct mw_snapshot *) current = &empty_snapshot;

/* ---------------------------------------------------------------- fault path */

/* Enters not yet exited, by this thread. */
static __thread unsigned inside __attribute__((tls_model("initial-exec")));

const struct mw_snapshot *mw_table_enter(unsigned *slot)
{
	inside++;
	*slot = mw_epoch_enter();
	/* acquire: pairs with the release store in mw_snap_publish; the
	 * snapshot's contents are complete before it is visible. */
	return atomic_load_explicit(&current, memory_order_acquire);
}

void mw_table_exit(unsigned slot)
{
	mw_epoch_exit(slot);
	inside--;
}

bool mw_table_inside(void)
{
	return inside != 0;
}

/* The first of the N directory entries at D whose last end passes ADDR
 * (N if none). */
static size_t first_ending_after(const struct mw_dirent *d, size_t n, uintptr_t addr)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (d[mid].last_end <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

const struct mw_span *mw_table_span_after(const struct mw_snapshot *s, uintptr_t addr)
{
	const struct mw_seq *q = &s->spans;
	size_t t = first_ending_after(q->dir, q->nc, addr), lo = 0, hi;
	const struct mw_chunk *pg, *c;
	const struct mw_span *e;

	if (t == q->nc)
		return NULL;
	pg = q->dir[t].c;
	c = c_dirents(pg)[first_ending_after(c_dirents(pg), pg->n, addr)].c;
	e = c_spans(c);
	hi = c->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (e[mid].end <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return &e[lo];
}

const struct mw_span *mw_table_span(const struct mw_snapshot *s, uintptr_t addr)
{
	const struct mw_span *sp = mw_table_span_after(s, addr);

	return sp && sp->start <= addr ? sp : NULL;
}

static const struct mw_span *span_after(const struct mw_snapshot *s, uintptr_t addr)
{
	return mw_table_span_after(s, addr);
}

enum mw_xlate mw_table_xlate(const struct mw_snapshot *s, uintptr_t addr,
			     size_t len, unsigned kind, uintptr_t *out)
{
	const struct mw_span *sp = span_after(s, addr);
	uintptr_t end = addr + len;

	if (!sp || sp->start >= end) {
		*out = addr;
		return MW_XL_NATIVE;
	}
	if (sp->start > addr || end > sp->end)
		return MW_XL_SPLIT;
	/* Draining: reads retry too.  Once the pages are restored, the
	 * program writes them natively, and the alias is stale.  Not for the
	 * thread that unwatches (it holds the library lock): it faults on
	 * them only before it restores them (reading libc's data, say), and
	 * would wait for itself. */
	if (sp->state == MW_SPAN_PENDING ||
	    (sp->state == MW_SPAN_DRAINING && ((kind & MW_WRITE) || !mw_table_writer)) ||
	    (sp->state == MW_SPAN_FROZEN && (kind & MW_WRITE)))
		return MW_XL_BUSY;
	if (((kind & MW_WRITE) && !(sp->orig_prot & PROT_WRITE)) ||
	    ((kind & MW_READ) && !(mw_prot_allowed(sp->orig_prot) & PROT_READ)))
		return MW_XL_DENIED;
	*out = sp->alias + (addr - sp->start);
	return MW_XL_ALIAS;
}

/* A place in the watches: page T, chunk C of it, entry J. */
struct wpos {
	size_t t, c, j;
};

/* How many of the N directory entries at D start before END. */
static size_t starting_before(const struct mw_dirent *d, size_t n, uintptr_t end)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (d[mid].first < end)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* One past the last watch that starts before END: false if none does. */
static bool watches_before(const struct mw_snapshot *s, uintptr_t end, struct wpos *p)
{
	const struct mw_seq *q = &s->watches;
	size_t n = starting_before(q->dir, q->nc, end), lo, hi;
	const struct mw_chunk *pg, *c;
	struct mw_watch_obj *const *e;

	if (!n)
		return false;
	p->t = n - 1;
	pg = q->dir[p->t].c;
	p->c = starting_before(c_dirents(pg), pg->n, end) - 1;  /* its first does */
	c = c_dirents(pg)[p->c].c;
	e = c_watches(c);
	lo = 1;                 /* entry 0 starts before end */
	hi = c->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (e[mid]->start < end)
			lo = mid + 1;
		else
			hi = mid;
	}
	p->j = lo;
	return true;
}

/* The first entry of chunk C whose running largest end passes LO (its
 * n if none): the entries before it end at or before LO. */
static size_t first_reaching(const struct mw_chunk *c, uintptr_t lo)
{
	const uintptr_t *mx = c_maxend(c);
	size_t l = 0, h = c->n;

	while (l < h) {
		size_t mid = l + (h - l) / 2;

		if (mx[mid] <= lo)
			l = mid + 1;
		else
			h = mid;
	}
	return l;
}

/* The first of the N directory entries at D whose running largest end
 * passes LO. */
static size_t first_dir_reaching(const struct mw_dirent *d, size_t n, uintptr_t lo)
{
	size_t l = 0, h = n;

	while (l < h) {
		size_t mid = l + (h - l) / 2;

		if (d[mid].maxend <= lo)
			l = mid + 1;
		else
			h = mid;
	}
	return l;
}

/*
 * The watches with a byte in [lo, hi), from the last that starts before
 * HI backwards, as long as one before may still reach LO (the running
 * largest end, of the pages in the top directory, of the chunks in a
 * page, of the watches in a chunk); pages and chunks whose watches all end
 * at or before LO are skipped whole, so a long watch under many short ones
 * costs a look at each chunk, not at each watch.  Calls FN for each; a
 * non-zero return stops.
 */
static int stab(const struct mw_snapshot *s, uintptr_t lo, uintptr_t hi,
		int (*fn)(struct mw_watch_obj *w, void *arg), void *arg)
{
	const struct mw_seq *q = &s->watches;
	struct wpos p;

	if (!watches_before(s, hi, &p))
		return 0;
	for (size_t t = p.t + 1; t-- > 0;) {
		const struct mw_chunk *pg = q->dir[t].c;
		const struct mw_dirent *d = c_dirents(pg);

		for (size_t i = t == p.t ? p.c + 1 : pg->n; q->dir[t].last_end > lo && i-- > 0;) {
			const struct mw_chunk *ch = d[i].c;
			struct mw_watch_obj *const *e = c_watches(ch);
			size_t j = t == p.t && i == p.c ? p.j : ch->n;

			if (d[i].last_end > lo) {
				size_t j0 = first_reaching(ch, lo);

				while (j-- > j0) {
					int r;

					if (e[j]->end > lo && (r = fn(e[j], arg)) != 0)
						return r;
				}
			}
			if (!i || d[i - 1].maxend <= lo)
				break;
		}
		if (!t || q->dir[t - 1].maxend <= lo)
			return 0;
	}
	return 0;
}

struct wanted {
	unsigned kind;
};

static int wanted_fn(struct mw_watch_obj *w, void *arg)
{
	return (w->flags & ((struct wanted *)arg)->kind) != 0;
}

bool mw_table_wanted(const struct mw_snapshot *s, const struct mw_access *acc, int n)
{
	for (int k = 0; k < n; k++) {
		struct wanted x = { acc[k].kind };

		if (stab(s, acc[k].addr, acc[k].addr + acc[k].len, wanted_fn, &x))
			return true;
	}
	return false;
}

void mw_table_each(const struct mw_snapshot *s, uintptr_t lo, uintptr_t hi,
		   void (*fn)(struct mw_watch_obj *w, void *arg), void *arg)
{
	/* In order of start address, then id: from the earliest page that
	 * may reach LO forward to the last watch that starts before HI. */
	const struct mw_seq *q = &s->watches;
	struct wpos last;
	size_t t0;

	if (!watches_before(s, hi, &last))
		return;
	for (t0 = last.t; t0 > 0 && q->dir[t0 - 1].maxend > lo; t0--)
		;
	for (size_t t = t0; t <= last.t; t++) {
		const struct mw_chunk *pg = q->dir[t].c;
		const struct mw_dirent *d = c_dirents(pg);
		size_t i1 = t == last.t ? last.c + 1 : pg->n;

		if (q->dir[t].last_end <= lo)
			continue;
		for (size_t i = first_dir_reaching(d, pg->n, lo); i < i1; i++) {
			const struct mw_chunk *ch = d[i].c;
			size_t j1 = t == last.t && i == last.c ? last.j : ch->n;

			if (d[i].last_end <= lo)
				continue;
			for (size_t j = first_reaching(ch, lo); j < j1; j++)
				if (c_watches(ch)[j]->end > lo)
					fn(c_watches(ch)[j], arg);
		}
	}
}

size_t mw_table_peek(const struct mw_snapshot *s, uintptr_t addr, void *buf, size_t len)
{
	size_t done = 0;

	while (len) {
		const struct mw_span *sp = span_after(s, addr);
		size_t chunk;

		if (!sp || sp->start >= addr + len)
			break;
		if (sp->start > addr) {         /* unwatched bytes: skip them */
			chunk = sp->start - addr;
		} else {
			chunk = sp->end - addr < len ? sp->end - addr : len;
			if (sp->alias) {
				memcpy(buf, (const void *)(sp->alias + (addr - sp->start)), chunk);
				done += chunk;
			}
		}
		addr += chunk;
		buf = (char *)buf + chunk;
		len -= chunk;
	}
	return done;
}

bool mw_table_read_watched(const struct mw_snapshot *s, uintptr_t lo, uintptr_t hi)
{
	/* Read-watched pages are PROT_NONE: any watch with MW_READ on any
	 * byte of the page. */
	uintptr_t page = mw_table_page;
	uintptr_t plo = lo & ~(page - 1), phi = (hi + page - 1) & ~(page - 1);

	return mw_table_span(s, lo) || mw_table_span(s, hi - 1) ?
	       mw_snap_has(s, plo, phi, MW_READ) : false;
}

/* -------------------------------------------------------------------- writer */

const struct mw_snapshot *mw_snap_current(void)
{
	return atomic_load_explicit(&current, memory_order_relaxed);
}

const struct mw_snapshot *mw_table_swap(const struct mw_snapshot *s)
{
	const struct mw_snapshot *old = mw_snap_current();

	/* release: the contents of S are visible to any handler that loads
	 * the pointer (acquire in mw_table_enter). */
	atomic_store_explicit(&current, s, memory_order_release);
	return old == &empty_snapshot ? NULL : old;
}

struct kinds {
	unsigned kinds;
};

static int kinds_fn(struct mw_watch_obj *w, void *arg)
{
	((struct kinds *)arg)->kinds |= w->flags;
	return 0;
}

struct has {
	unsigned kinds, want;
};

static int has_fn(struct mw_watch_obj *w, void *arg)
{
	struct has *x = arg;

	x->kinds |= w->flags;
	return (x->kinds & x->want) == x->want;
}

bool mw_snap_has(const struct mw_snapshot *s, uintptr_t lo, uintptr_t hi, unsigned kinds)
{
	struct has x = { 0, kinds };

	return stab(s, lo, hi, has_fn, &x) != 0;
}

unsigned mw_snap_kinds(const struct mw_snapshot *s, uintptr_t lo, uintptr_t hi)
{
	struct kinds x = { 0 };

	stab(s, lo, hi, kinds_fn, &x);
	return x.kinds;
}

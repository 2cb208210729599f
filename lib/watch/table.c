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

const struct mw_snapshot *mw_table_enter(unsigned *slot)
{
	*slot = mw_epoch_enter();
	/* acquire: pairs with the release store in mw_snap_publish; the
	 * snapshot's contents are complete before it is visible. */
	return atomic_load_explicit(&current, memory_order_acquire);
}

void mw_table_exit(unsigned slot)
{
	mw_epoch_exit(slot);
}

const struct mw_span *mw_table_span_after(const struct mw_snapshot *s, uintptr_t addr)
{
	const struct mw_seq *q = &s->spans;
	size_t lo = 0, hi = q->nc;
	const struct mw_span *e;

	while (lo < hi) {       /* the first chunk whose last span ends after addr */
		size_t mid = lo + (hi - lo) / 2;

		if (q->dir[mid].last_end <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == q->nc)
		return NULL;
	e = c_spans(q->dir[lo].c);
	hi = q->dir[lo].c->n;
	lo = 0;
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

/* A place in the watches: chunk C, entry J. */
struct wpos {
	size_t c, j;
};

/* One past the last watch that starts before END: false if none does. */
static bool watches_before(const struct mw_snapshot *s, uintptr_t end, struct wpos *p)
{
	const struct mw_seq *q = &s->watches;
	size_t lo = 0, hi = q->nc;
	struct mw_watch_obj *const *e;

	while (lo < hi) {       /* chunks whose first watch starts before end */
		size_t mid = lo + (hi - lo) / 2;

		if (q->dir[mid].first < end)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return false;
	p->c = lo - 1;
	e = c_watches(q->dir[p->c].c);
	lo = 1;                 /* entry 0 starts before end */
	hi = q->dir[p->c].c->n;
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

/*
 * The watches with a byte in [lo, hi), from the last that starts before
 * HI backwards, as long as one before may still reach LO (the running
 * largest end); chunks whose watches all end at or before LO are skipped
 * whole, so a long watch under many short ones costs a look at each chunk,
 * not at each watch.  Calls FN for each; a non-zero return stops.
 */
static int stab(const struct mw_snapshot *s, uintptr_t lo, uintptr_t hi,
		int (*fn)(struct mw_watch_obj *w, void *arg), void *arg)
{
	const struct mw_seq *q = &s->watches;
	struct wpos p;

	if (!watches_before(s, hi, &p))
		return 0;
	for (size_t c = p.c + 1; c-- > 0;) {
		const struct mw_chunk *ch = q->dir[c].c;
		struct mw_watch_obj *const *e = c_watches(ch);
		size_t j = c == p.c ? p.j : ch->n;

		if (q->dir[c].last_end > lo) {
			size_t j0 = first_reaching(ch, lo);

			while (j-- > j0) {
				int r;

				if (e[j]->end > lo && (r = fn(e[j], arg)) != 0)
					return r;
			}
		}
		if (!c || q->dir[c - 1].maxend <= lo)
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
	/* In order of start address, then id: from the earliest chunk that
	 * may reach LO forward to the last watch that starts before HI. */
	const struct mw_seq *q = &s->watches;
	struct wpos last;
	size_t c0;

	if (!watches_before(s, hi, &last))
		return;
	for (c0 = last.c; c0 > 0 && q->dir[c0 - 1].maxend > lo; c0--)
		;
	for (size_t c = c0; c <= last.c; c++) {
		const struct mw_chunk *ch = q->dir[c].c;
		size_t j1 = c == last.c ? last.j : ch->n;

		if (q->dir[c].last_end <= lo)
			continue;
		for (size_t j = first_reaching(ch, lo); j < j1; j++)
			if (c_watches(ch)[j]->end > lo)
				fn(c_watches(ch)[j], arg);
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

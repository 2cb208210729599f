/* SPDX-License-Identifier: MIT */
/*
 * snap.c - building, publishing and discarding snapshots of the watch
 * table (see table.h): chunks are copied when first changed, and freed
 * after the grace period of the publish that replaced them.
 * [thread, library lock held]: the arena, mw_epoch_synchronize.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "base/epoch.h"
#include "watch/arena.h"
#include "watch/chunk.h"
#include "watch/finemap.h"
#include "watch/table.h"

static const uintptr_t page = MW_CHUNK_BYTES;    /* chunks are blocks of this size */
static bool (*unwind_check)(const struct mw_snapshot *s, bool before,
			     const struct mw_table_range *changed, unsigned n);

void mw_table_set_unwind_check(bool (*check)(const struct mw_snapshot *s, bool before,
					     const struct mw_table_range *changed, unsigned n))
{
	unwind_check = check;
}

/* ------------------------------------------------------ building snapshots */

enum { SPANS, WATCHES };

static unsigned long last_ver;
/* The address ranges the snapshot being built changed (spans and watches
 * added, edited, cut or removed): the fine map's pages to redo when it is
 * published (finemap.h).  Full: a range grows to take in the next. */
#define NDIRTY 16
static struct mw_table_range dirty[NDIRTY];
static unsigned ndirty;

static void mark_dirty(uintptr_t lo, uintptr_t hi)
{
	unsigned k;

	for (k = 0; k < ndirty; k++)
		if (lo <= dirty[k].hi && dirty[k].lo <= hi)
			break;
	if (k == ndirty) {
		if (ndirty < NDIRTY) {
			dirty[ndirty].lo = lo;
			dirty[ndirty++].hi = hi;
			return;
		}
		k = NDIRTY - 1;
	}
	if (lo < dirty[k].lo)
		dirty[k].lo = lo;
	if (hi > dirty[k].hi)
		dirty[k].hi = hi;
}

static void *deferred;          /* blocks of a page to free after the next
				 * grace period (id index leaves) */

static size_t cap_of(int k)
{
	return k == SPANS ? SPAN_CAP : WATCH_CAP;
}

static size_t esize(int k)
{
	return k == SPANS ? sizeof(struct mw_span) : sizeof(struct mw_watch_obj *);
}

static struct mw_seq *seq(struct mw_snapshot *s, int k)
{
	return k == SPANS ? &s->spans : &s->watches;
}

static void *entry(const struct mw_chunk *c, int k, size_t i)
{
	return (char *)(c + 1) + i * esize(k);
}

/* The directory entry D of chunk or page C from its contents (LEVEL 0: a
 * chunk of entries, 1: a page of directory entries). */
static void describe(struct mw_dirent *d, int k, int level)
{
	const struct mw_chunk *c = d->c;

	if (level) {
		const struct mw_dirent *e = c_dirents(c);

		d->first = e[0].first;
		d->first_id = e[0].first_id;
		d->last_end = k == SPANS ? e[c->n - 1].last_end : e[c->n - 1].maxend;
	} else if (k == SPANS) {
		d->first = c_spans(c)[0].start;
		d->last_end = c_spans(c)[c->n - 1].end;
	} else {
		d->first = c_watches(c)[0]->start;
		d->first_id = c_watches(c)[0]->id;
		d->last_end = c_maxend(c)[c->n - 1];
	}
}

/* Entries FROM..TO of the N directory entries at D after their chunks or
 * pages changed, and the running largest ends after them (until they stay
 * as they were). */
static void refresh_dir(struct mw_dirent *d, size_t n, int k, int level, size_t from, size_t to)
{
	for (size_t i = from; i < n; i++) {
		uintptr_t m;

		if (i <= to)
			describe(&d[i], k, level);
		m = i && d[i - 1].maxend > d[i].last_end ? d[i - 1].maxend : d[i].last_end;
		if (i > to && d[i].maxend == m)
			return;
		d[i].maxend = m;
	}
}

/* Page T's chunks FROM..TO changed (the page is S's own): its entries,
 * then the top's. */
static void refresh(struct mw_snapshot *s, int k, size_t t, size_t from, size_t to)
{
	struct mw_seq *q = seq(s, k);
	struct mw_chunk *pg = q->dir[t].c;

	refresh_dir(c_dirents(pg), pg->n, k, 0, from, to);
	refresh_dir(q->dir, q->nc, k, 1, t, t);
}

static void chunk_maxend(struct mw_chunk *c, size_t from)
{
	for (size_t i = from; i < c->n; i++) {
		uintptr_t e = c_watches(c)[i]->end;

		c_maxend(c)[i] = i && c_maxend(c)[i - 1] > e ? c_maxend(c)[i - 1] : e;
	}
}

/* Watch J came into chunk C (its n counts it): the running largest ends
 * after it take its end, up to the first that passes it - no look at the
 * watches themselves (each a pointer to follow), only at their maxend. */
static void maxend_inserted(struct mw_chunk *c, size_t j)
{
	uintptr_t *mx = c_maxend(c), e = c_watches(c)[j]->end;

	memmove(&mx[j + 1], &mx[j], (c->n - 1 - j) * sizeof(*mx));
	mx[j] = j && mx[j - 1] > e ? mx[j - 1] : e;
	for (size_t i = j + 1; i < c->n && mx[i] < e; i++)
		mx[i] = e;
}

/* Watch J of chunk C, whose end was GONE, left it (n no longer counts it):
 * where a running largest end was GONE's alone, it is counted again. */
static void maxend_removed(struct mw_chunk *c, size_t j, uintptr_t gone)
{
	uintptr_t *mx = c_maxend(c), before = j ? mx[j - 1] : 0;
	size_t i = j;

	if (before < gone)
		for (; i < c->n && mx[i + 1] <= gone; i++) {
			uintptr_t e = c_watches(c)[i]->end, m = i ? mx[i - 1] : 0;

			mx[i] = m > e ? m : e;
		}
	memmove(&mx[i], &mx[i + 1], (c->n - i) * sizeof(*mx));
}

static struct mw_chunk *chunk_new(struct mw_snapshot *s)
{
	struct mw_chunk *c = mw_arena_get(page, false);

	if (c) {
		c->n = 0;
		c->ver = s->ver;
	}
	return c;
}

/* The block at *SLOT (a chunk, or a page of directory entries with
 * DIRS), which S may change: copied if it is shared, the old one retired. */
static struct mw_chunk *own_block(struct mw_snapshot *s, struct mw_chunk **slot, int k, int dirs)
{
	struct mw_chunk *old = *slot, *c;

	if (old->ver == s->ver)
		return old;
	c = mw_arena_get(page, false);
	if (!c)
		return NULL;
	/* What is used: the header, the entries (their running ends). */
	memcpy(c, old, sizeof(*c) + old->n * (dirs ? sizeof(struct mw_dirent) : esize(k)));
	if (!dirs && k == WATCHES)
		memcpy(c_maxend(c), c_maxend(old), old->n * sizeof(uintptr_t));
	c->ver = s->ver;
	old->retired = s->retired;      /* freed after the publish */
	s->retired = old;
	*slot = c;
	return c;
}

/* Chunk I of page T, which S may change (and its page). */
static struct mw_chunk *own(struct mw_snapshot *s, int k, size_t t, size_t i)
{
	struct mw_chunk *pg = own_block(s, &seq(s, k)->dir[t].c, k, 1);

	return pg ? own_block(s, &c_dirents(pg)[i].c, k, 0) : NULL;
}

/* Room for one more page in the top directory. */
static int dir_room(struct mw_seq *q)
{
	struct mw_dirent *d;
	size_t cap;

	if (q->nc < q->cap)
		return 0;
	cap = q->cap ? 2 * q->cap : 8;
	d = mw_arena_get(cap * sizeof(*d), false);
	if (!d)
		return -ENOMEM;
	if (q->nc)
		memcpy(d, q->dir, q->nc * sizeof(*d));
	mw_arena_free(q->dir, q->cap * sizeof(*d));    /* the snapshot's own copy */
	q->dir = d;
	q->cap = cap;
	return 0;
}

/* Whether entry E of kind K sorts before START, ID. */
static bool before_key(int k, const void *e, uintptr_t start, int id)
{
	if (k == SPANS)
		return ((const struct mw_span *)e)->start < start;
	const struct mw_watch_obj *w = *(struct mw_watch_obj *const *)e;
	return w->start < start || (w->start == start && w->id < id);
}

/* How many of the N directory entries at D start at or before START, ID,
 * less one (0 if none). */
static size_t last_not_after(const struct mw_dirent *d, size_t n, int k, uintptr_t start, int id)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (d[mid].first < start || (d[mid].first == start && (k == SPANS || d[mid].first_id <= id)))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo ? lo - 1 : 0;
}

/* The first entry not before START, ID: page *T, chunk *C of it (the last
 * whose first entry is not after it, or 0), entry *J (maybe its n).  S has
 * entries. */
static void lower_bound(struct mw_snapshot *s, int k, uintptr_t start, int id, size_t *t,
			size_t *c, size_t *j)
{
	struct mw_seq *q = seq(s, k);
	const struct mw_chunk *pg, *ch;
	size_t lo = 0, hi;

	*t = last_not_after(q->dir, q->nc, k, start, id);
	pg = q->dir[*t].c;
	*c = last_not_after(c_dirents(pg), pg->n, k, start, id);
	ch = c_dirents(pg)[*c].c;
	hi = ch->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (before_key(k, entry(ch, k, mid), start, id))
			lo = mid + 1;
		else
			hi = mid;
	}
	*j = lo;
}

/* Page T is full: its upper half moves into a new page after it. */
static int split_page(struct mw_snapshot *s, int k, size_t t)
{
	struct mw_seq *q = seq(s, k);
	struct mw_chunk *pg = q->dir[t].c, *p2;
	size_t half = pg->n / 2;

	if (dir_room(q) || !(p2 = chunk_new(s)))
		return -ENOMEM;
	memcpy(c_dirents(p2), c_dirents(pg) + half, (pg->n - half) * sizeof(struct mw_dirent));
	p2->n = pg->n - (unsigned)half;
	pg->n = (unsigned)half;
	memmove(&q->dir[t + 2], &q->dir[t + 1], (q->nc - t - 1) * sizeof(*q->dir));
	q->dir[t + 1].c = p2;
	q->nc++;
	refresh_dir(c_dirents(p2), p2->n, k, 0, 0, p2->n - 1);
	refresh_dir(q->dir, q->nc, k, 1, t, t + 1);
	return 0;
}

static int insert(struct mw_snapshot *s, int k, const void *e, uintptr_t start, int id)
{
	struct mw_seq *q = seq(s, k);
	size_t t, ci, j, sz = esize(k), cap = cap_of(k);
	struct mw_chunk *c, *pg;

	if (!q->nc) {
		if (dir_room(q) || !(pg = chunk_new(s)))
			return -ENOMEM;
		if (!(c = chunk_new(s))) {
			mw_arena_free(pg, page);
			return -ENOMEM;
		}
		c_dirents(pg)[0].c = c;
		pg->n = 1;
		q->dir[0].c = pg;
		q->nc = 1;
		t = ci = j = 0;
	} else {
		lower_bound(s, k, start, id, &t, &ci, &j);
		c = own(s, k, t, ci);
		if (!c)
			return -ENOMEM;
	}
	pg = q->dir[t].c;
	if (c->n == cap) {
		/* Full: the upper half moves into a new chunk after it, in
		 * the same page (split first if that is full). */
		struct mw_chunk *n2;
		size_t half = cap / 2;

		if (pg->n == DIR_CAP) {
			if (split_page(s, k, t))
				return -ENOMEM;
			if (ci >= pg->n) {
				ci -= pg->n;
				t++;
				pg = q->dir[t].c;
			}
		}
		if (!(n2 = chunk_new(s)))
			return -ENOMEM;
		memcpy(entry(n2, k, 0), entry(c, k, half), (cap - half) * sz);
		n2->n = (unsigned)(cap - half);
		c->n = (unsigned)half;
		memmove(&c_dirents(pg)[ci + 2], &c_dirents(pg)[ci + 1],
			(pg->n - ci - 1) * sizeof(struct mw_dirent));
		c_dirents(pg)[ci + 1].c = n2;
		pg->n++;
		if (k == WATCHES)
			chunk_maxend(n2, 0);
		if (j > half) {
			ci++;
			j -= half;
			c = n2;
		}
	}
	memmove(entry(c, k, j + 1), entry(c, k, j), (c->n - j) * sz);
	memcpy(entry(c, k, j), e, sz);
	c->n++;
	if (k == WATCHES)
		maxend_inserted(c, j);
	/* The chunk and the one split off it (before or after it). */
	refresh(s, k, t, ci ? ci - 1 : 0, ci + 1 < pg->n ? ci + 1 : ci);
	if (k == SPANS)
		s->nspans++;
	else
		s->nwatches++;
	return 0;
}

/* Entry J of chunk CI of page T leaves. */
static int remove_at(struct mw_snapshot *s, int k, size_t t, size_t ci, size_t j)
{
	struct mw_seq *q = seq(s, k);
	struct mw_chunk *c = own(s, k, t, ci), *pg;
	uintptr_t gone;

	if (!c)
		return -ENOMEM;
	pg = q->dir[t].c;
	gone = k == WATCHES ? c_watches(c)[j]->end : 0;
	memmove(entry(c, k, j), entry(c, k, j + 1), (c->n - j - 1) * esize(k));
	c->n--;
	if (k == SPANS)
		s->nspans--;
	else
		s->nwatches--;
	if (c->n) {
		if (k == WATCHES)
			maxend_removed(c, j, gone);
		refresh(s, k, t, ci, ci);
		return 0;
	}
	mw_arena_free(c, page);         /* owned: nobody else has seen it */
	memmove(&c_dirents(pg)[ci], &c_dirents(pg)[ci + 1], (pg->n - ci - 1) * sizeof(struct mw_dirent));
	pg->n--;
	if (pg->n) {
		refresh(s, k, t, ci ? ci - 1 : 0, ci < pg->n ? ci : ci - 1);
		return 0;
	}
	mw_arena_free(pg, page);
	memmove(&q->dir[t], &q->dir[t + 1], (q->nc - t - 1) * sizeof(*q->dir));
	q->nc--;
	if (q->nc)
		refresh_dir(q->dir, q->nc, k, 1, t ? t - 1 : 0, t ? t - 1 : 0);
	return 0;
}

void mw_snap_defer(void *block)
{
	*(void **)block = deferred;
	deferred = block;
}

struct mw_snapshot *mw_snap_begin(void)
{
	const struct mw_snapshot *cur = mw_snap_current();
	struct mw_snapshot *s = mw_arena_get(sizeof(*s), false);

	if (!s)
		return NULL;
	mw_table_page = (uintptr_t)sysconf(_SC_PAGESIZE);
	*s = *cur;
	s->mapsize = sizeof(*s);
	s->ver = ++last_ver;
	s->base = cur;
	ndirty = 0;
	s->retired = NULL;
	for (int k = SPANS; k <= WATCHES; k++) {
		struct mw_seq *q = seq(s, k);

		q->cap = q->nc + 8;
		q->dir = mw_arena_get(q->cap * sizeof(*q->dir), false);
		if (!q->dir) {
			if (k == WATCHES)
				mw_arena_free(s->spans.dir, s->spans.cap * sizeof(*q->dir));
			mw_arena_free(s, sizeof(*s));
			return NULL;
		}
		if (q->nc)
			memcpy(q->dir, seq((struct mw_snapshot *)cur, k)->dir, q->nc * sizeof(*q->dir));
	}
	return s;
}

int mw_snap_span_add(struct mw_snapshot *s, const struct mw_span *sp)
{
	mark_dirty(sp->start, sp->end);
	return insert(s, SPANS, sp, sp->start, 0);
}

struct mw_span *mw_snap_span_edit(struct mw_snapshot *s, uintptr_t addr)
{
	const struct mw_span *sp = mw_table_span(s, addr);
	size_t t, ci, j;
	struct mw_chunk *c;

	if (!sp)
		return NULL;
	mark_dirty(sp->start, sp->end);
	lower_bound(s, SPANS, sp->start, 0, &t, &ci, &j);
	c = own(s, SPANS, t, ci);
	return c ? &c_spans(c)[j] : NULL;
}

int mw_snap_span_cut(struct mw_snapshot *s, uintptr_t at)
{
	const struct mw_span *sp = mw_table_span(s, at);
	struct mw_span part;
	struct mw_span *e;
	size_t t, ci, j;

	if (!sp || sp->start == at)
		return 0;
	mark_dirty(sp->start, sp->end);
	part = *sp;
	part.start = at;
	part.alias = sp->alias ? sp->alias + (at - sp->start) : 0;
	part.stash = sp->stash ? sp->stash + (at - sp->start) : 0;
	/* First shorten (its chunk is S's own then), then add the rest: the
	 * insert may split that chunk. */
	e = mw_snap_span_edit(s, at);
	if (!e)
		return -ENOMEM;
	e->end = at;
	lower_bound(s, SPANS, e->start, 0, &t, &ci, &j);
	refresh(s, SPANS, t, ci, ci);
	return mw_snap_span_add(s, &part);
}

int mw_snap_span_del(struct mw_snapshot *s, uintptr_t start)
{
	size_t t, ci, j;
	const struct mw_chunk *c;

	if (!s->spans.nc)
		return 0;
	lower_bound(s, SPANS, start, 0, &t, &ci, &j);
	c = c_dirents(s->spans.dir[t].c)[ci].c;
	if (j >= c->n || c_spans(c)[j].start != start)
		return 0;
	mark_dirty(start, c_spans(c)[j].end);
	return remove_at(s, SPANS, t, ci, j);
}

int mw_snap_watch_add(struct mw_snapshot *s, struct mw_watch_obj *w)
{
	mark_dirty(w->start, w->end);
	return insert(s, WATCHES, &w, w->start, w->id);
}

int mw_snap_watch_del(struct mw_snapshot *s, struct mw_watch_obj *w)
{
	size_t t, ci, j;
	const struct mw_chunk *c;

	if (!s->watches.nc)
		return 0;
	lower_bound(s, WATCHES, w->start, w->id, &t, &ci, &j);
	c = c_dirents(s->watches.dir[t].c)[ci].c;
	if (j >= c->n || c_watches(c)[j] != w)
		return 0;
	mark_dirty(w->start, w->end);
	return remove_at(s, WATCHES, t, ci, j);
}

void mw_snap_finish(struct mw_snapshot *s)
{
	/* What the snapshot it was made from says, where nothing changed. */
	s->unwind_unsafe = unwind_check &&
			   unwind_check(s, s->base && s->base->unwind_unsafe, s->base ? dirty : NULL,
					ndirty);
}

/* A snapshot's own blocks: header and directories (not the chunks). */
static void free_own(struct mw_snapshot *s)
{
	mw_arena_free(s->spans.dir, s->spans.cap * sizeof(struct mw_dirent));
	mw_arena_free(s->watches.dir, s->watches.cap * sizeof(struct mw_dirent));
	mw_arena_free(s, sizeof(*s));
}

void mw_snap_publish(struct mw_snapshot *s)
{
	const struct mw_snapshot *old;
	struct mw_chunk *dead = s->retired;
	void *later = deferred;

	mw_snap_finish(s);
	s->retired = NULL;
	deferred = NULL;
	old = mw_table_swap(s);
	/* Patched sites' view of the pages changed (finemap.h); no stub
	 * reaches an alias taken away once settled. */
	for (unsigned k = 0; k < ndirty; k++)
		mw_finemap_update(s, old, dirty[k].lo, dirty[k].hi);
	ndirty = 0;
	mw_finemap_settle();
	mw_epoch_synchronize();
	/* No handler reads OLD any more, nor the chunks S replaced. */
	while (dead) {
		struct mw_chunk *next = dead->retired;

		mw_arena_free(dead, page);
		dead = next;
	}
	while (later) {
		void *next = *(void **)later;

		mw_arena_free(later, page);
		later = next;
	}
	if (old)
		free_own((struct mw_snapshot *)old);
}

void mw_snap_discard(struct mw_snapshot *s)
{
	/* Pages and chunks S made are its own (a chunk of S's is in a page
	 * of S's); the ones it replaced stay (the current snapshot has
	 * them). */
	for (int k = SPANS; k <= WATCHES; k++)
		for (size_t t = 0; t < seq(s, k)->nc; t++) {
			struct mw_chunk *pg = seq(s, k)->dir[t].c;

			if (pg->ver != s->ver)
				continue;
			for (size_t i = 0; i < pg->n; i++)
				if (c_dirents(pg)[i].c->ver == s->ver)
					mw_arena_free(c_dirents(pg)[i].c, page);
			mw_arena_free(pg, page);
		}
	free_own(s);
}

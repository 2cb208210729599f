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
#include "watch/table.h"

static uintptr_t page = 4096;   /* chunks are blocks of this size */
static bool (*unwind_check)(const struct mw_snapshot *s);

void mw_table_set_unwind_check(bool (*check)(const struct mw_snapshot *s))
{
	unwind_check = check;
}

/* ------------------------------------------------------ building snapshots */

enum { SPANS, WATCHES };

static unsigned long last_ver;
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

/* The directory entries of chunks FROM..TO after their contents changed,
 * and the running largest ends of the watches after them (until they
 * stay as they were). */
static void refresh(struct mw_snapshot *s, int k, size_t from, size_t to)
{
	struct mw_seq *q = seq(s, k);

	for (size_t i = from; i < q->nc; i++) {
		struct mw_dirent *d = &q->dir[i];
		const struct mw_chunk *c = d->c;
		uintptr_t m;

		if (k == SPANS) {
			if (i > to)
				return;
			d->first = c_spans(c)[0].start;
			d->last_end = c_spans(c)[c->n - 1].end;
			continue;
		}
		if (i <= to) {
			d->first = c_watches(c)[0]->start;
			d->first_id = c_watches(c)[0]->id;
			d->last_end = c_maxend(c)[c->n - 1];
		}
		m = i && q->dir[i - 1].maxend > d->last_end ? q->dir[i - 1].maxend : d->last_end;
		if (i > to && d->maxend == m)
			return;         /* the same from here on */
		d->maxend = m;
	}
}

/* The running largest ends of chunk C from entry FROM on. */
static void chunk_maxend(struct mw_chunk *c, size_t from)
{
	for (size_t i = from; i < c->n; i++) {
		uintptr_t e = c_watches(c)[i]->end;

		c_maxend(c)[i] = i && c_maxend(c)[i - 1] > e ? c_maxend(c)[i - 1] : e;
	}
}

static struct mw_chunk *chunk_new(struct mw_snapshot *s)
{
	struct mw_chunk *c = mw_arena_alloc(page);

	if (c)
		c->ver = s->ver;
	return c;
}

/* Chunk I of S, which S may change: copied if it is shared. */
static struct mw_chunk *own(struct mw_snapshot *s, int k, size_t i)
{
	struct mw_dirent *d = &seq(s, k)->dir[i];
	struct mw_chunk *c;

	if (d->c->ver == s->ver)
		return d->c;
	c = mw_arena_get(page, false);
	if (!c)
		return NULL;
	/* What is used: the header, the entries, their running ends. */
	memcpy(c, d->c, sizeof(*c) + d->c->n * esize(k));
	if (k == WATCHES)
		memcpy(c_maxend(c), c_maxend(d->c), d->c->n * sizeof(uintptr_t));
	c->ver = s->ver;
	d->c->retired = s->retired;     /* the old one: freed after the publish */
	s->retired = d->c;
	d->c = c;
	return c;
}

/* Room for one more chunk in the directory. */
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
	mw_arena_free(q->dir, q->cap * sizeof(*d));  /* the snapshot's own copy */
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

/* The first entry not before START, ID: chunk *C (the last whose first
 * entry is not after it, or 0), entry *J (maybe its n). */
static void lower_bound(struct mw_snapshot *s, int k, uintptr_t start, int id, size_t *c, size_t *j)
{
	struct mw_seq *q = seq(s, k);
	size_t lo = 0, hi = q->nc;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct mw_dirent *d = &q->dir[mid];

		if (d->first < start || (d->first == start && (k == SPANS || d->first_id <= id)))
			lo = mid + 1;
		else
			hi = mid;
	}
	*c = lo ? lo - 1 : 0;
	lo = 0;
	hi = q->nc ? q->dir[*c].c->n : 0;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (before_key(k, entry(q->dir[*c].c, k, mid), start, id))
			lo = mid + 1;
		else
			hi = mid;
	}
	*j = lo;
}

static int insert(struct mw_snapshot *s, int k, const void *e, uintptr_t start, int id)
{
	struct mw_seq *q = seq(s, k);
	size_t ci, j, sz = esize(k), cap = cap_of(k);
	struct mw_chunk *c;

	if (!q->nc) {
		if (dir_room(q) || !(c = chunk_new(s)))
			return -ENOMEM;
		q->dir[0].c = c;
		q->nc = 1;
		ci = j = 0;
	} else {
		lower_bound(s, k, start, id, &ci, &j);
		c = own(s, k, ci);
		if (!c)
			return -ENOMEM;
	}
	if (c->n == cap) {
		/* Full: the upper half moves into a new chunk after it. */
		struct mw_chunk *n2;
		size_t half = cap / 2;

		if (dir_room(q) || !(n2 = chunk_new(s)))
			return -ENOMEM;
		memcpy(entry(n2, k, 0), entry(c, k, half), (cap - half) * sz);
		n2->n = (unsigned)(cap - half);
		c->n = (unsigned)half;
		memmove(&q->dir[ci + 2], &q->dir[ci + 1], (q->nc - ci - 1) * sizeof(*q->dir));
		q->dir[ci + 1].c = n2;
		q->nc++;
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
		chunk_maxend(c, j);
	/* The chunk and the one split off it (before or after it). */
	refresh(s, k, ci ? ci - 1 : 0, ci + 1 < q->nc ? ci + 1 : ci);
	if (k == SPANS)
		s->nspans++;
	else
		s->nwatches++;
	return 0;
}

/* Entry J of chunk CI leaves. */
static int remove_at(struct mw_snapshot *s, int k, size_t ci, size_t j)
{
	struct mw_seq *q = seq(s, k);
	struct mw_chunk *c = own(s, k, ci);

	if (!c)
		return -ENOMEM;
	memmove(entry(c, k, j), entry(c, k, j + 1), (c->n - j - 1) * esize(k));
	c->n--;
	if (!c->n) {
		mw_arena_free(c, page);      /* owned: nobody else has seen it */
		memmove(&q->dir[ci], &q->dir[ci + 1], (q->nc - ci - 1) * sizeof(*q->dir));
		q->nc--;
	} else if (k == WATCHES) {
		chunk_maxend(c, j);
	}
	refresh(s, k, ci ? ci - 1 : 0, ci);
	if (k == SPANS)
		s->nspans--;
	else
		s->nwatches--;
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
	page = mw_table_page = (uintptr_t)sysconf(_SC_PAGESIZE);
	*s = *cur;
	s->mapsize = sizeof(*s);
	s->ver = ++last_ver;
	s->base = cur;
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
	return insert(s, SPANS, sp, sp->start, 0);
}

struct mw_span *mw_snap_span_edit(struct mw_snapshot *s, uintptr_t addr)
{
	size_t ci, j;
	struct mw_chunk *c;

	const struct mw_span *sp = mw_table_span(s, addr);

	if (!sp)
		return NULL;
	lower_bound(s, SPANS, sp->start, 0, &ci, &j);
	c = own(s, SPANS, ci);
	return c ? &c_spans(c)[j] : NULL;
}

int mw_snap_span_cut(struct mw_snapshot *s, uintptr_t at)
{
	const struct mw_span *sp = mw_table_span(s, at);
	struct mw_span part;
	struct mw_span *e;

	if (!sp || sp->start == at)
		return 0;
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
	{
		size_t ci, j;

		lower_bound(s, SPANS, e->start, 0, &ci, &j);
		refresh(s, SPANS, ci, ci);
	}
	return mw_snap_span_add(s, &part);
}

int mw_snap_span_del(struct mw_snapshot *s, uintptr_t start)
{
	size_t ci, j;

	lower_bound(s, SPANS, start, 0, &ci, &j);
	if (!s->spans.nc || j >= s->spans.dir[ci].c->n || c_spans(s->spans.dir[ci].c)[j].start != start)
		return 0;
	return remove_at(s, SPANS, ci, j);
}

int mw_snap_watch_add(struct mw_snapshot *s, struct mw_watch_obj *w)
{
	return insert(s, WATCHES, &w, w->start, w->id);
}

int mw_snap_watch_del(struct mw_snapshot *s, struct mw_watch_obj *w)
{
	size_t ci, j;

	lower_bound(s, WATCHES, w->start, w->id, &ci, &j);
	if (!s->watches.nc || j >= s->watches.dir[ci].c->n || c_watches(s->watches.dir[ci].c)[j] != w)
		return 0;
	return remove_at(s, WATCHES, ci, j);
}

void mw_snap_finish(struct mw_snapshot *s)
{
	s->unwind_unsafe = unwind_check && unwind_check(s);
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
	/* Chunks S made are its own; the ones it replaced stay (the
	 * current snapshot has them). */
	for (int k = SPANS; k <= WATCHES; k++)
		for (size_t i = 0; i < seq(s, k)->nc; i++)
			if (seq(s, k)->dir[i].c->ver == s->ver)
				mw_arena_free(seq(s, k)->dir[i].c, page);
	free_own(s);
}

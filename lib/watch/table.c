/* SPDX-License-Identifier: MIT */
/*
 * table.c - snapshots of watched spans and watches (see table.h).
 * Fault path (mw_table_*): reads the published snapshot, atomics; no calls.
 * Writer (mw_snap_*, mw_watch_obj_*): mmap/munmap, under the library lock;
 * snapshots live in one reserved range and are reused (see snap_release).
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "base/epoch.h"
#include "memwatch.h"
#include "watch/table.h"
#include "base/sigsafe.h"

_Atomic uint64_t mw_table_total;
_Atomic unsigned long mw_table_generation;
__thread int mw_table_writer __attribute__((tls_model("initial-exec")));
static bool (*unwind_check)(const struct mw_snapshot *s);

void mw_table_set_unwind_check(bool (*check)(const struct mw_snapshot *s))
{
	unwind_check = check;
}

static struct mw_snapshot empty_snapshot;
static uintptr_t page = 4096;   /* set from sysconf by the first writer */
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

/* Chunk contents. */
#define SPAN_CAP ((4096 - sizeof(struct mw_chunk)) / sizeof(struct mw_span))
#define WATCH_CAP ((4096 - sizeof(struct mw_chunk)) / (2 * sizeof(uintptr_t)))

static inline struct mw_span *c_spans(const struct mw_chunk *c)
{
	return (struct mw_span *)(c + 1);
}

static inline struct mw_watch_obj **c_watches(const struct mw_chunk *c)
{
	return (struct mw_watch_obj **)(c + 1);
}

/* maxend[i]: the largest end of the chunk's watches 0..i. */
static inline uintptr_t *c_maxend(const struct mw_chunk *c)
{
	return (uintptr_t *)(c_watches(c) + WATCH_CAP);
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
	uintptr_t plo = lo & ~(page - 1), phi = (hi + page - 1) & ~(page - 1);

	return mw_table_span(s, lo) || mw_table_span(s, hi - 1) ?
	       mw_snap_has(s, plo, phi, MW_READ) : false;
}

/* -------------------------------------------------------------------- writer */

const struct mw_snapshot *mw_snap_current(void)
{
	return atomic_load_explicit(&current, memory_order_relaxed);
}

/*
 * The table's memory comes from one reserved range, mapped once (address
 * space; no memory until used): a snapshot never needs a mapping of its
 * own, so that mw_unwatch works also at vm.max_map_count, where every
 * mmap fails.  Blocks are powers of two pages, with a list of free blocks
 * per size; a retired block is reused at once (only the writer touches
 * them, under the library lock, and only after the grace period of their
 * publish: no handler can still read them).  A free block of more than
 * SMALL pages gives its memory back (MADV_DONTNEED, which keeps the one
 * mapping whole).  A block larger than what is left of the range, or
 * without the range, is mapped by itself.
 */
#define ARENA_SIZE ((size_t)1 << 30)
#define SMALL 64
#define NCLASS 64
static char *arena;             /* NULL: not yet; MAP_FAILED: none */
static size_t arena_used;
static void *free_blocks[NCLASS];

static int in_arena(const void *p)
{
	return arena && arena != MAP_FAILED && (const char *)p >= arena &&
	       (const char *)p < arena + ARENA_SIZE;
}

static unsigned size_class(size_t size)
{
	unsigned k = 0;

	while ((page << k) < size)
		k++;
	return k;
}

/* SIZE as given to blk_alloc. */
static void blk_free(void *p, size_t size)
{
	unsigned k = size_class(size);

	if (!p)
		return;
	if (!in_arena(p)) {
		munmap(p, page << k);
		return;
	}
	if ((page << k) > SMALL * page)
		madvise(p, page << k, MADV_DONTNEED);      /* reads as zeros again */
	*(void **)p = free_blocks[k];
	free_blocks[k] = p;
}

/* SIZE bytes (of zeros with ZERO), or NULL. */
static void *blk_get(size_t size, bool zero)
{
	unsigned k = size_class(size);
	void *p = free_blocks[k];

	if (k >= NCLASS)
		return NULL;
	if (p) {
		free_blocks[k] = *(void **)p;
		if ((page << k) > SMALL * page)
			*(void **)p = NULL;     /* the rest: zeros since freed */
		else if (zero)
			memset(p, 0, size);
		return p;
	}
	if (!arena) {
		page = (uintptr_t)sysconf(_SC_PAGESIZE);
		k = size_class(size);
		arena = mmap(NULL, ARENA_SIZE, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	}
	if (arena != MAP_FAILED && (page << k) <= ARENA_SIZE - arena_used) {
		p = arena + arena_used;
		arena_used += page << k;
		return p;
	}
	p = mmap(NULL, page << k, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

static void *blk_alloc(size_t size)
{
	return blk_get(size, true);
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
	struct mw_chunk *c = blk_alloc(page);

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
	c = blk_get(page, false);
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
	d = blk_get(cap * sizeof(*d), false);
	if (!d)
		return -ENOMEM;
	if (q->nc)
		memcpy(d, q->dir, q->nc * sizeof(*d));
	blk_free(q->dir, q->cap * sizeof(*d));  /* the snapshot's own copy */
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
		blk_free(c, page);      /* owned: nobody else has seen it */
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

struct mw_snapshot *mw_snap_begin(void)
{
	const struct mw_snapshot *cur = mw_snap_current();
	struct mw_snapshot *s = blk_get(sizeof(*s), false);

	if (!s)
		return NULL;
	*s = *cur;
	s->mapsize = sizeof(*s);
	s->ver = ++last_ver;
	s->base = cur;
	s->retired = NULL;
	for (int k = SPANS; k <= WATCHES; k++) {
		struct mw_seq *q = seq(s, k);

		q->cap = q->nc + 8;
		q->dir = blk_get(q->cap * sizeof(*q->dir), false);
		if (!q->dir) {
			if (k == WATCHES)
				blk_free(s->spans.dir, s->spans.cap * sizeof(*q->dir));
			blk_free(s, sizeof(*s));
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
	blk_free(s->spans.dir, s->spans.cap * sizeof(struct mw_dirent));
	blk_free(s->watches.dir, s->watches.cap * sizeof(struct mw_dirent));
	blk_free(s, sizeof(*s));
}

void mw_snap_publish(struct mw_snapshot *s)
{
	const struct mw_snapshot *old = mw_snap_current();
	struct mw_chunk *dead = s->retired;
	void *later = deferred;

	mw_snap_finish(s);
	s->retired = NULL;
	deferred = NULL;
	/* release: the contents written above are visible to any handler
	 * that loads the pointer (acquire in mw_table_enter). */
	atomic_store_explicit(&current, s, memory_order_release);
	mw_epoch_synchronize();
	/* No handler reads OLD any more, nor the chunks S replaced. */
	while (dead) {
		struct mw_chunk *next = dead->retired;

		blk_free(dead, page);
		dead = next;
	}
	while (later) {
		void *next = *(void **)later;

		blk_free(later, page);
		later = next;
	}
	if (old != &empty_snapshot)
		free_own((struct mw_snapshot *)old);
}

void mw_snap_discard(struct mw_snapshot *s)
{
	/* Chunks S made are its own; the ones it replaced stay (the
	 * current snapshot has them). */
	for (int k = SPANS; k <= WATCHES; k++)
		for (size_t i = 0; i < seq(s, k)->nc; i++)
			if (seq(s, k)->dir[i].c->ver == s->ver)
				blk_free(seq(s, k)->dir[i].c, page);
	free_own(s);
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

/* ------------------------------------------------------------ the id index */

/*
 * Watch ids (1..INT_MAX) to watches: a top array of ID_TOP leaves of
 * ID_LEAF pointers each, reserved once (address space, no memory until
 * used).  A leaf is a page, made at its first id and freed (after a grace
 * period) when its last one goes: the memory follows the live watches.
 * Readers (mw_count, the debugger) load with acquire; the writer stores
 * with release.
 */
#define ID_LEAF 512
#define ID_TOP (((size_t)INT_MAX + 1) / ID_LEAF)
struct id_leaf {
	_Atomic(struct mw_watch_obj *) w[ID_LEAF];
};
static _Atomic(struct id_leaf *) *id_top;
static unsigned short *id_used;         /* ids in use per leaf */

struct mw_watch_obj *mw_table_by_id(int id)
{
	struct id_leaf *l;
	struct mw_watch_obj *w;

	if (id <= 0 || !id_top)
		return NULL;
	l = atomic_load_explicit(&id_top[(unsigned)id / ID_LEAF], memory_order_acquire);
	if (!l)
		return NULL;
	w = atomic_load_explicit(&l->w[(unsigned)id % ID_LEAF], memory_order_acquire);
	return w && w->id == id ? w : NULL;
}

int mw_table_next_id(int after)
{
	if (!id_top || after < 0 || after == INT_MAX)
		return 0;
	for (size_t t = ((unsigned)after + 1) / ID_LEAF; t < ID_TOP; t++) {
		struct id_leaf *l = atomic_load_explicit(&id_top[t], memory_order_acquire);

		if (!l)
			continue;
		for (size_t i = t == ((unsigned)after + 1) / ID_LEAF ? ((unsigned)after + 1) % ID_LEAF : 0;
		     i < ID_LEAF; i++)
			if (atomic_load_explicit(&l->w[i], memory_order_acquire))
				return (int)(t * ID_LEAF + i);
	}
	return 0;
}

int mw_table_set_id(int id, struct mw_watch_obj *w)
{
	size_t t = (unsigned)id / ID_LEAF;
	struct id_leaf *l;

	if (!id_top) {
		size_t len = ID_TOP * (sizeof(*id_top) + sizeof(*id_used));
		void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

		if (p == MAP_FAILED)
			return -ENOMEM;
		id_used = (unsigned short *)((char *)p + ID_TOP * sizeof(*id_top));
		id_top = p;
	}
	l = atomic_load_explicit(&id_top[t], memory_order_relaxed);
	if (!w) {
		if (!l || !atomic_load_explicit(&l->w[(unsigned)id % ID_LEAF], memory_order_relaxed))
			return 0;
		atomic_store_explicit(&l->w[(unsigned)id % ID_LEAF], NULL, memory_order_release);
		if (--id_used[t] == 0) {
			atomic_store_explicit(&id_top[t], NULL, memory_order_release);
			*(void **)l = deferred;
			deferred = l;
		}
		return 0;
	}
	if (!l) {
		l = blk_alloc(page);
		if (!l)
			return -ENOMEM;
		atomic_store_explicit(&id_top[t], l, memory_order_release);
	}
	if (!atomic_load_explicit(&l->w[(unsigned)id % ID_LEAF], memory_order_relaxed))
		id_used[t]++;
	atomic_store_explicit(&l->w[(unsigned)id % ID_LEAF], w, memory_order_release);
	return 0;
}

/* Watch objects: fixed-size slots in mmap'ed chunks, with a free list. */
static struct mw_watch_obj *free_list;

struct mw_watch_obj *mw_watch_obj_alloc(void)
{
	struct mw_watch_obj *w;

	if (!free_list) {
		size_t size = 64 * 1024, n = size / sizeof(*w);
		struct mw_watch_obj *chunk = mmap(NULL, size, PROT_READ | PROT_WRITE,
						  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (chunk == MAP_FAILED)
			return NULL;
		for (size_t i = 0; i < n; i++) {
			*(struct mw_watch_obj **)&chunk[i] = free_list;
			free_list = &chunk[i];
		}
	}
	w = free_list;
	free_list = *(struct mw_watch_obj **)w;
	memset(w, 0, sizeof(*w));
	return w;
}

void mw_watch_obj_free(struct mw_watch_obj *w)
{
	*(struct mw_watch_obj **)w = free_list;
	free_list = w;
}

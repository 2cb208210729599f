/* SPDX-License-Identifier: MIT */
/*
 * table.c - snapshots of watched spans and watches (see table.h).
 * Fault path (mw_table_*): reads the published snapshot, atomics; no calls.
 * Writer (mw_snap_*, mw_watch_obj_*): mmap/munmap, under the library lock;
 * snapshots live in one reserved range and are reused (see snap_release).
 */
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

const struct mw_span *mw_table_span(const struct mw_snapshot *s, uintptr_t addr)
{
	size_t lo = 0, hi = s->nspans;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct mw_span *sp = &s->spans[mid];

		if (addr < sp->start)
			hi = mid;
		else if (addr >= sp->end)
			lo = mid + 1;
		else
			return sp;
	}
	return NULL;
}

/* The first span that ends after ADDR, or NULL. */
static const struct mw_span *span_after(const struct mw_snapshot *s, uintptr_t addr)
{
	size_t lo = 0, hi = s->nspans;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->spans[mid].end <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < s->nspans ? &s->spans[lo] : NULL;
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

/* Index one past the last watch that starts before END. */
static size_t watches_before(const struct mw_snapshot *s, uintptr_t end)
{
	size_t lo = 0, hi = s->nwatches;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->watches[mid]->start < end)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

bool mw_table_wanted(const struct mw_snapshot *s, const struct mw_access *acc, int n)
{
	for (int k = 0; k < n; k++) {
		uintptr_t lo = acc[k].addr, hi = acc[k].addr + acc[k].len;

		for (size_t i = watches_before(s, hi); i-- > 0 && s->maxend[i] > lo;)
			if (s->watches[i]->end > lo && (s->watches[i]->flags & acc[k].kind))
				return true;
	}
	return false;
}

void mw_table_each(const struct mw_snapshot *s, uintptr_t lo, uintptr_t hi,
		   void (*fn)(struct mw_watch_obj *w, void *arg), void *arg)
{
	/* In order of start address, then id. */
	size_t i = watches_before(s, hi), first = i;

	while (first > 0 && s->maxend[first - 1] > lo)
		first--;
	for (; first < i; first++)
		if (s->watches[first]->end > lo)
			fn(s->watches[first], arg);
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
	       (mw_snap_kinds(s, plo, phi) & MW_READ) != 0 : false;
}

/* -------------------------------------------------------------------- writer */

const struct mw_snapshot *mw_snap_current(void)
{
	return atomic_load_explicit(&current, memory_order_relaxed);
}

/*
 * Snapshot memory comes from one reserved range, mapped once (address
 * space; no memory until used): a snapshot never needs a mapping of its
 * own, so that mw_unwatch works also at vm.max_map_count, where every
 * mmap fails.  Blocks are powers of two pages, with a list of free blocks
 * per size; each watch publishes two snapshots and each unwatch three, and
 * a retired block is reused at once (only the writer touches them, under
 * the library lock, and only after the grace period of their publish: no
 * handler can still read them).  A free block of more than SMALL pages
 * gives its memory back (MADV_DONTNEED, which keeps the one mapping
 * whole).  A snapshot larger than what is left of the range, or without
 * the range, is mapped by itself.
 */
#define ARENA_SIZE ((size_t)1 << 30)
#define SMALL 4
#define NCLASS 64
static char *arena;             /* NULL: not yet; MAP_FAILED: none */
static size_t arena_used;
static struct mw_snapshot *free_blocks[NCLASS];

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

static void snap_release(struct mw_snapshot *s)
{
	unsigned k;

	if (!in_arena(s)) {
		munmap(s, s->mapsize);
		return;
	}
	k = size_class(s->mapsize);
	if (s->mapsize > SMALL * page)
		madvise(s, s->mapsize, MADV_DONTNEED);      /* reads as zeros again */
	*(struct mw_snapshot **)s = free_blocks[k];
	free_blocks[k] = s;
}

static struct mw_snapshot *block_alloc(size_t size)
{
	unsigned k = size_class(size);
	struct mw_snapshot *s = free_blocks[k];

	if (s) {
		free_blocks[k] = *(struct mw_snapshot **)s;
		if ((page << k) <= SMALL * page)
			memset(s, 0, page << k);        /* as fresh from mmap */
		else
			*(struct mw_snapshot **)s = NULL;
		s->mapsize = page << k;
		return s;
	}
	if (!arena)
		arena = mmap(NULL, ARENA_SIZE, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (arena == MAP_FAILED || k >= NCLASS || (page << k) > ARENA_SIZE - arena_used)
		return NULL;
	s = (struct mw_snapshot *)(arena + arena_used);
	arena_used += page << k;
	s->mapsize = page << k;
	return s;
}

struct mw_snapshot *mw_snap_alloc(size_t nspans, size_t nwatches)
{
	size_t size = sizeof(struct mw_snapshot) + nspans * sizeof(struct mw_span) +
		      nwatches * (sizeof(struct mw_watch_obj *) + sizeof(uintptr_t));
	struct mw_snapshot *s;

	page = (uintptr_t)sysconf(_SC_PAGESIZE);
	s = block_alloc(size);
	if (!s) {
		size = (size + page - 1) & ~(page - 1);
		s = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (s == MAP_FAILED)
			return NULL;
		s->mapsize = size;
	}
	s->spans = (struct mw_span *)(s + 1);
	s->watches = (struct mw_watch_obj **)(s->spans + nspans);
	s->maxend = (uintptr_t *)(s->watches + nwatches);
	return s;
}

static int cmp_span(const void *a, const void *b)
{
	const struct mw_span *x = a, *y = b;
	return x->start < y->start ? -1 : x->start > y->start;
}

static int cmp_watch(const void *a, const void *b)
{
	const struct mw_watch_obj *x = *(struct mw_watch_obj *const *)a;
	const struct mw_watch_obj *y = *(struct mw_watch_obj *const *)b;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->id - y->id;
}

void mw_snap_finish(struct mw_snapshot *s)
{
	qsort(s->spans, s->nspans, sizeof(*s->spans), cmp_span);
	qsort(s->watches, s->nwatches, sizeof(*s->watches), cmp_watch);
	for (size_t i = 0; i < s->nwatches; i++) {
		uintptr_t e = s->watches[i]->end;
		s->maxend[i] = i && s->maxend[i - 1] > e ? s->maxend[i - 1] : e;
	}
	s->unwind_unsafe = unwind_check && unwind_check(s);
}

void mw_snap_copy(struct mw_snapshot *to, const struct mw_snapshot *from)
{
	if (from->nspans)
		memcpy(to->spans, from->spans, from->nspans * sizeof(*from->spans));
	if (from->nwatches)
		memcpy(to->watches, from->watches, from->nwatches * sizeof(*from->watches));
	to->nspans = from->nspans;
	to->nwatches = from->nwatches;
}

void mw_snap_publish(struct mw_snapshot *s)
{
	const struct mw_snapshot *old = mw_snap_current();

	mw_snap_finish(s);
	/* release: the contents written above are visible to any handler
	 * that loads the pointer (acquire in mw_table_enter). */
	atomic_store_explicit(&current, s, memory_order_release);
	mw_epoch_synchronize();
	if (old != &empty_snapshot)
		snap_release((struct mw_snapshot *)old);
}

unsigned mw_snap_kinds(const struct mw_snapshot *s, uintptr_t lo, uintptr_t hi)
{
	unsigned kinds = 0;

	for (size_t i = watches_before(s, hi); i-- > 0 && s->maxend[i] > lo;)
		if (s->watches[i]->end > lo)
			kinds |= s->watches[i]->flags;
	return kinds;
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

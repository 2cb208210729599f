/* SPDX-License-Identifier: MIT */
/*
 * ids.c - watch ids to watches, and the watch objects (see table.h).
 * Fault path (mw_table_by_id): atomics.  Writer (mw_table_set_id,
 * mw_table_next_id, mw_watch_obj_*): mmap, the arena, under the library
 * lock.
 */
#include <errno.h>
#include <limits.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include "watch/arena.h"
#include "watch/table.h"
#include "base/sigsafe.h"

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
			mw_snap_defer(l);
		}
		return 0;
	}
	if (!l) {
		l = mw_arena_alloc(sizeof(*l));
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

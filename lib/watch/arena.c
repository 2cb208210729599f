/* SPDX-License-Identifier: MIT */
/*
 * arena.c - the watch table's memory (see arena.h).
 * [thread, library lock held]: mmap once, madvise.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "watch/arena.h"

static uintptr_t page = 4096;   /* set from sysconf at the first block */

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

void mw_arena_free(void *p, size_t size)
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

void *mw_arena_get(size_t size, bool zero)
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

void *mw_arena_alloc(size_t size)
{
	return mw_arena_get(size, true);
}

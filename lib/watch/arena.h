/* SPDX-License-Identifier: MIT */
/*
 * arena.h - memory for the watch table: blocks of powers of two pages in
 * one reserved range.                      [thread, library lock held]
 *
 * The range is mapped once (address space; no memory until used), so the
 * table never needs a mapping of its own: mw_unwatch works also at
 * vm.max_map_count.  Only the table's writer allocates and frees, and
 * frees a block only after the grace period of the publish that stopped
 * using it (table.h).
 */
#ifndef MW_ARENA_H
#define MW_ARENA_H

#include <stdbool.h>
#include <stddef.h>

/* SIZE bytes (zeros with ZERO), or NULL. */
void *mw_arena_get(size_t size, bool zero);
/* SIZE bytes of zeros, or NULL. */
void *mw_arena_alloc(size_t size);
/* A block of mw_arena_get(SIZE); nothing with P NULL. */
void mw_arena_free(void *p, size_t size);

#endif /* MW_ARENA_H */

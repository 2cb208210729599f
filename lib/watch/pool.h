/* SPDX-License-Identifier: MIT */
/*
 * pool.h - the memfd space that watched pages move into, made once and
 * reused.                                  [thread, library lock held]
 *
 * One memfd of MW_POOL_SIZE bytes (sparse: no memory until used) is mapped
 * once, read-write: the pool's mapping holds every alias (alias.h), at the
 * address of its memfd offset.  A watch takes a run of free pages of it
 * and maps those offsets at the watched range; the unwatch gives the run
 * back emptied (a hole again: it reads as zeros), after the grace period
 * of the snapshot that stopped using it (table.h), so no handler still
 * reads through it when the next watch takes it.  Nothing is created or
 * unmapped per watch, and the aliases of all watches are one mapping
 * (vm.max_map_count).  A watch asks for the run that follows the alias of
 * the span just before it, so adjacent watched pages map contiguous
 * offsets and merge into one mapping too.
 *
 * A forked child gets a pool of its own at its first call: the one it
 * inherited is the parent's memory.
 */
#ifndef MW_POOL_H
#define MW_POOL_H

#include <stddef.h>
#include <stdint.h>

/* Address space of the pool: a watch larger than what is free of it gets
 * a memfd of its own (alias.c). */
#define MW_POOL_SIZE ((size_t)32 << 30)

/* Runs of up to this many pages (1 MiB) are kept with their pages when
 * given back (mw_pool_put), for the next watch of that size. */
#define MW_POOL_KEEP_PAGES 256

/*
 * A run of LEN bytes (page multiple) of the pool: its alias address, or 0
 * (no pool, or no room).  If AFTER is the end of an alias of the pool and
 * the run there is free, that run; else if BEFORE is the start of one and
 * the run that ends there is free, that one.  *FD is the pool's memfd
 * (valid until the next mw_pool_* call) and *OFF the run's offset in it.
 * The run reads as zeros, unless *DIRTY is set: then it is a kept run (of
 * at most MW_POOL_KEEP_PAGES pages) that still holds the bytes of its last
 * watch, and the caller writes every page of it, zeros too.
 */
uintptr_t mw_pool_get(size_t len, uintptr_t after, uintptr_t before, int *fd, uint64_t *off,
		      int *dirty);

/* Gives back a run of mw_pool_get: emptied (a hole again), or, up to
 * MW_POOL_KEEP_PAGES pages and 4 MiB in all, kept with its
 * pages for a watch to come (no page freed and allocated again per watch
 * and unwatch; mw_pool_idle zeroes them).  Only after the grace period of
 * the publish that stopped using it.  Returns 0, or -1 if ALIAS is not the
 * pool's (then nothing was done). */
int mw_pool_put(uintptr_t alias, size_t len);

/* In a forked child: a pool of its own, with the same runs taken as the
 * inherited one (the parent's), reading as zeros.  Returns the alias of
 * the new pool for the run of ALIAS in the inherited one, with *FD and
 * *OFF as mw_pool_get's; 0 if ALIAS is not in the inherited pool (or
 * there is no new pool). */
uintptr_t mw_pool_forked(uintptr_t alias, int *fd, uint64_t *off);

/* 1 if [alias, alias+len) is in the mapping of a pool this process
 * inherited from its parent (not its own memory: unmap only). */
int mw_pool_inherited(uintptr_t alias, size_t len);

/* No run taken but kept ones (no watched page left): the kept runs are
 * zeroed, so that no byte of memory that was watched outlives the
 * watches; they keep their pages, and the memfd and its mapping stay, for
 * the next watch (which then makes no memfd and allocates no page for a
 * watch of a kept run's size).  Only after the grace period of the last
 * release. */
void mw_pool_idle(void);

/* Whether ALIAS is in this process's pool: then its memfd's inode number
 * and ALIAS's offset in it. */
int mw_pool_file(uintptr_t alias, unsigned long *inode, uint64_t *off);

/* The pool's memfd, or -1 (valid until the next mw_pool_* call but this
 * one). */
int mw_pool_fd(void);

#endif /* MW_POOL_H */

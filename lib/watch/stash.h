/* SPDX-License-Identifier: MIT */
/*
 * stash.h - where the program's own mapping of watched pages waits while
 * they are watched (alias.h).              [thread, library lock held]
 *
 * A watch moves the program's pages aside (mremap MREMAP_DONTUNMAP): the
 * stash keeps what their mapping was (flags, anon_vma, offset), so that the
 * unwatch moves them back and they merge with their neighbours again.  A
 * stash of its own is one mapping more per watched run (vm.max_map_count).
 *
 * So the stashes of pages of one read-write anonymous mapping, while two
 * or more are stashed, share one mapping: a region reserved as large as
 * that mapping (no memory, MAP_NORESERVE) where the stash of address X is
 * at the same offset as X, and the one mapping of stashes in it grows (in
 * place, mremap) over the pages between them - the kernel merges it with
 * each stash moved in, which has the same anon_vma and continuing offsets.
 * Their unwatch moves them out with MREMAP_DONTUNMAP: the mapping stays
 * one, empty there.  The region is unmapped with its last stash.  An
 * isolated watched page then costs two mappings (its own and the one the
 * program's mapping is split into) instead of three.
 */
#ifndef MW_STASH_H
#define MW_STASH_H

#include <stddef.h>
#include <stdint.h>

/*
 * Moves the pages of [start, start+len), whose protection is PROT now,
 * aside: START keeps an empty mapping of the same kind, inaccessible (a
 * thread touching it meanwhile retries, table.h).  ORIG_PROT and ANON:
 * the program's protection of them and whether they are anonymous memory;
 * [VLO, VHI): the program's mapping around them as it is now (0, 0: none
 * known).  READABLE: the stash gets ORIG_PROT (it is read from, then
 * written at the restore without an mprotect); else it is inaccessible,
 * unless it is in a region.  Returns the stash, or 0 with errno set (the
 * range as it was, but for the protection PROT).
 */
uintptr_t mw_stash_away(uintptr_t start, size_t len, int prot, int orig_prot, int anon,
			uintptr_t vlo, uintptr_t vhi, int readable);

/* Whether the stash ST already has the program's protection (READABLE,
 * or in a region: it can be written as it is). */
int mw_stash_ready(uintptr_t st);

/* Moves LEN bytes of stash ST back over START (over what is mapped there),
 * in one step.  0, or -errno (-ENOMEM: out of mappings; the stash stays). */
int mw_stash_back(uintptr_t st, size_t len, uintptr_t start);

/* After mw_stash_back of a stash whose protection the caller changed: the
 * part of a region it leaves gets the region's again (it merges). */
void mw_stash_emptied(uintptr_t st, size_t len);

/* A stash (or part of one) that will not go back: its pages are freed. */
void mw_stash_drop(uintptr_t st, size_t len);

#endif /* MW_STASH_H */

/* SPDX-License-Identifier: MIT */
/*
 * alias.h - moving pages into a memfd and back.                   [thread]
 *
 * A watched page must stay inaccessible while the fault path performs
 * accesses on the program's behalf.  So the page's contents move into a
 * memfd, mapped twice: at the original address (with the watch's
 * protection) and once more read-write elsewhere: the alias.  Both views are
 * the same physical memory, so atomic instructions performed on the alias
 * stay atomic with respect to everything else.
 */
#ifndef MW_ALIAS_H
#define MW_ALIAS_H

#include <stdint.h>

/*
 * Moves [start, end) (page aligned, private memory the caller has made
 * read-only or that is read-only, or that mw_alias_freezes) into the memfd
 * space of the pool
 * (pool.h; a new memfd of its own if the pool has no room), maps it back
 * at START with PROT and returns the alias in *ALIAS.  AFTER (the end of
 * the alias of the span that ends at START) and BEFORE (the alias of the
 * span that starts at END), 0 if none: the run next to theirs is taken if
 * free, and the mappings merge.  Contents are preserved; with
 * ANON (anonymous memory) only the pages that exist are copied.
 * Returns 0 or -errno; on error nothing changed.
 *
 * With STASH, the program's own mapping of the range is not destroyed but
 * moved aside (mremap MREMAP_DONTUNMAP), inaccessible and, for ANON of
 * more than 1 MiB, emptied (a smaller one keeps its pages: the watch and
 * the unwatch then free and allocate none):
 * *STASH is its address, 0 if the kernel cannot.  It keeps what the
 * program's mapping was (its flags, VM_GROWSDOWN of a stack, file and
 * offset, name, anon_vma), so that mw_alias_restore puts back the very
 * mapping, which merges again with its neighbours: after the watch the
 * address space is as it was (/proc/self/maps, mremap of the whole
 * mapping, pthread_getattr_np of the main stack).  A stash costs address
 * space (and, up to 1 MiB, the memory of its pages), and a mapping
 * (vm.max_map_count) unless it shares one with the other stashes of the
 * same mapping (stash.h): ORIG_PROT (the program's protection of the
 * range) and [VLO, VHI) (its mapping around the range, 0 0 if unknown)
 * say which.
 */
int mw_alias_convert(uintptr_t start, uintptr_t end, int prot, int orig_prot, int anon,
		     uintptr_t after, uintptr_t before, uintptr_t vlo, uintptr_t vhi,
		     uintptr_t *alias, uintptr_t *stash);

/*
 * Whether mw_alias_convert, with a stash, freezes a range of LEN bytes
 * with the program's protection ORIG_PROT itself: it moves the pages
 * aside first (inaccessible at START from then on: a thread touching them
 * retries) and copies them from there - read-write anonymous memory of up
 * to 1 MiB.  Otherwise the caller makes the range read-only first (writes
 * retry while it is copied; reads go on).
 */
int mw_alias_freezes(int orig_prot, int anon, int shared, size_t len);

/*
 * Like mw_alias_convert, but the contents come from FROM (another alias of
 * the same range) instead of the range itself.  The range is mapped
 * PROT_NONE: set its protections afterwards.  No stash.
 */
int mw_alias_convert_from(uintptr_t start, uintptr_t end, uintptr_t from, uintptr_t *alias);

/*
 * Puts back private memory at [start, end) with the contents of the alias
 * and protection ORIG_PROT, in one step (mremap): no moment in which the
 * range is unmapped or shows other contents.  With a STASH (the part of
 * mw_alias_convert's stash for this range; ANON as given there), that is
 * the program's own mapping again, else new anonymous memory.  The stash
 * is used up either way (moved into place or unmapped), except when the
 * process is out of mappings (-ENOMEM, vm.max_map_count: the kernel wants
 * a few free ones to move a mapping): then it stays for a later try, and
 * the range is still the memfd's.  The alias stays mapped; release it
 * with mw_alias_release() after a grace period.
 */
int mw_alias_restore(uintptr_t start, uintptr_t end, uintptr_t alias, int orig_prot,
		     uintptr_t stash, int anon);

/* Unmaps a stash (or part of one) that will not be restored: the program
 * unmapped or replaced the range.  Nothing with STASH 0. */
void mw_alias_unstash(uintptr_t stash, uintptr_t len);

/* Frees the memory behind an alias range: a run of the pool goes back to
 * it, empty (reads as zeros when taken again); an alias with a memfd of
 * its own is unmapped.  Only after the grace period of the publish that
 * stopped using the alias (table.h). */
void mw_alias_release(uintptr_t alias, uintptr_t len);

/*
 * Shared mappings (MAP_SHARED files, memfds, shared memory) already are
 * pages another view can show: the alias is a second mapping of the same
 * pages (mremap with old size 0), read-write where the file allows it.
 * Nothing is copied; the range keeps its pages, gets PROT.  Unsharing
 * gives the range ORIG_PROT back; after a grace period, mw_alias_drop()
 * unmaps the alias.  Neither touches the pages' contents.  0 or -errno.
 */
int mw_alias_share(uintptr_t start, uintptr_t end, int prot, uintptr_t *alias);
int mw_alias_unshare(uintptr_t start, uintptr_t end, int orig_prot);
void mw_alias_drop(uintptr_t alias, uintptr_t len);

#endif /* MW_ALIAS_H */

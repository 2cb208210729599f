/* SPDX-License-Identifier: MIT */
/*
 * loader.h - the dynamic loader's data that the unwinder reads.
 *
 * libunwind looks modules up with dl_iterate_phdr, with every signal
 * blocked.  dl_iterate_phdr reads each module's link_map and the calling
 * thread's DTV, which glibc allocates on the heap for threads and dlopen'ed
 * modules.  If one of those sits on a read-watched (PROT_NONE) page, the
 * SIGSEGV of that read is blocked, and the kernel kills the process.  So the
 * log takes no backtrace while that is the case.
 */
#ifndef MW_LOADER_H
#define MW_LOADER_H

#include <stdbool.h>
#include <stdint.h>

struct mw_snapshot;

struct mw_table_range;

/* [thread] Whether a read-watched page of S holds a module's link_map:
 * BEFORE (the snapshot before's answer) when none of the N ranges CHANGED
 * reaches one (CHANGED NULL: each is looked up in S). */
bool mw_loader_read_watched(const struct mw_snapshot *s, bool before,
			    const struct mw_table_range *changed, unsigned n);

/*
 * dl_iterate_phdr takes the loader's write lock, a recursive mutex in the
 * loader's own data.  glibc's mutex code runs a few instructions with the
 * lock word taken but no owner (after the atomic lock, before storing the
 * owner; after clearing the owner, before the atomic unlock), and reads
 * __libc_single_threaded or the mutex there.  A watched access in that
 * window, unwound with dl_iterate_phdr, waits for itself forever.
 *
 * mw_loader_init [thread]: finds the lock (in _rtld_global, by which of its
 * mutexes this thread owns inside a dl_iterate_phdr callback); without it,
 * mw_loader_lock_free always says yes, as before.
 * mw_loader_lock_free [fault path]: whether the calling thread may call
 * dl_iterate_phdr now: the lock is free, owned by another thread, or
 * properly owned by this one.
 */
void mw_loader_init(void);
bool mw_loader_lock_free(void);

/* [thread] The loaded segment holding ADDR: true and [*LO, *HI), or false. */
bool mw_loader_segment(const void *addr, uintptr_t *lo, uintptr_t *hi);

#endif /* MW_LOADER_H */

/* SPDX-License-Identifier: MIT */
/*
 * protect.h - the protection of watched pages.
 *
 * A watched page is PROT_NONE under a read watch, read-only under a write
 * watch, and otherwise as the program had it (the span's orig_prot).  The
 * program may unmap watched memory and map something else there: before
 * touching a span's range the library checks that it is still its mapping.
 * All: [thread], with the library lock held (threads/lock.h).
 */
#ifndef MW_PROTECT_H
#define MW_PROTECT_H

#include <stdint.h>

struct mw_snapshot;
struct mw_span;

/* Set the protections of the pages of [lo, hi) that are in spans of S and
 * still the library's mappings.  0 or -errno. */
int mw_protect_range(const struct mw_snapshot *s, uintptr_t lo, uintptr_t hi);
/* The same for every span of S. */
int mw_protect_all(const struct mw_snapshot *s);
/* Whether [lo, hi) of span SP is still the library's mapping of its alias:
 * 1 or 0; -1 when the mappings cannot be read (out of memory or of
 * mappings for the buffer of their text). */
int mw_protect_intact(const struct mw_span *sp, uintptr_t lo, uintptr_t hi);

/* FROZEN: watched pages stop taking writes (they wait; reads go on) so
 * that a fork's child copies a still picture of them; 0 lets them go on.
 * Returns after every write in flight ended. */
void mw_protect_freeze(int frozen);

/* mprotect(lo, hi - lo, PROT) by the program: watched pages take PROT as
 * theirs (kept when the watches end, restricted by them meanwhile), the
 * rest gets it now.  0 or -errno. */
long mw_protect_change(uintptr_t lo, uintptr_t hi, int prot);
/* madvise(lo, hi - lo, ADVICE) by the program, MADV_WIPEONFORK or
 * MADV_KEEPONFORK: watched pages keep it in their span (wipe), for the
 * copy a forked child makes and for when the watches end; the rest gets it
 * now.  -EINVAL for shared memory, as from the kernel.  0 or -errno. */
long mw_protect_advise(uintptr_t lo, uintptr_t hi, int advice);

#endif /* MW_PROTECT_H */

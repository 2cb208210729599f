/* SPDX-License-Identifier: MIT */
/*
 * pagemap.h - which pages fault, in a form code can test in a few
 * instructions: two bits per page of the 47-bit user address space, bit
 * 2*page set when a write to the page faults because of the library, bit
 * 2*page+1 when a read does.
 *
 * Patched access sites (lib/arch/x86_64/patch.c) take it as a hint: they
 * run an access natively when its bits are clear and through the fault path
 * when set.  A stale clear bit costs a signal (the native access faults and
 * the SIGSEGV handler takes it, as without patching); a stale set bit costs
 * a call that finds no watch and runs the access natively.  Patched system
 * calls (sys/quick.h) trust a clear bit more: a futex wake on a clear page
 * goes to the word itself, not to its alias, and a read into it to the
 * kernel unbounced.  So every page is marked before it is protected
 * (protect.c, and api.c where a watch's pages come protected already), and
 * bits are cleared only when the last watch goes or as protections are
 * lifted.
 *
 * Synchronization:
 *   mw_pagemap_set, mw_pagemap_clear  thread, library lock held
 *   mw_pagemap_base                   any
 */
#ifndef MW_PAGEMAP_H
#define MW_PAGEMAP_H

#include <stdint.h>

/* 0 or -errno: reserves the map (8 GiB of address space, MAP_NORESERVE;
 * only the pages that hold set bits cost memory). */
int mw_pagemap_init(void);

/* The pages of [lo, hi) (page aligned) fault on writes if WRITES, on
 * reads if READS. */
void mw_pagemap_set(uintptr_t lo, uintptr_t hi, int writes, int reads);

/* No page faults any more (the last watch went). */
void mw_pagemap_clear(void);

/* The map's first byte, or NULL without one. */
const uint8_t *mw_pagemap_base(void);

/* Bytes the map spans: addresses at or above 1 << 47 are not in it. */
#define MW_PAGEMAP_BYTES ((1ull << 47) / 4096 * 2 / 8 + 4096)

#endif /* MW_PAGEMAP_H */

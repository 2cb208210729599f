/* SPDX-License-Identifier: MIT */
/*
 * init.h - the library's initialization, once per process (at load).
 * All [thread].
 */
#ifndef MW_INIT_H
#define MW_INIT_H

#include <stdbool.h>
#include <stdint.h>

/* Initialize if not yet done; 0 or the -errno it failed with. */
int mw_init(void);
/* Whether [lo, hi) overlaps the library's own loaded segments, its
 * decoder's or its unwinder's: never watchable (the fault path reads them,
 * a fault there would fault again; the unwinder's lock is there). */
bool mw_init_owns(uintptr_t lo, uintptr_t hi);
/* Under the library lock: a watch was made, the ring's size is fixed. */
void mw_init_watched(void);

#endif /* MW_INIT_H */

/* SPDX-License-Identifier: MIT */
/* api.h - internal entry points shared by api.c and legacy.c. */
#ifndef MW_API_H
#define MW_API_H

#include <stddef.h>
#include <stdint.h>

/* [any] The newest watch whose first byte is START, or -ENOENT. */
int mw_id_at(uintptr_t start);

struct mw_snapshot;

/* [thread] Initialize if needed; then, unless RECORDS is 0, give the ring
 * that capacity (rounded up to a power of two): -EBUSY after a watch. */
int mw_api_log_setup(size_t records);

/* [thread] The library lock, for the fork handlers. */
void mw_api_lock(void);
void mw_api_unlock(void);

/* [thread, lock held] Set the protection of every watched page from the
 * watches over it.  0 or -errno. */
int mw_api_reprotect(const struct mw_snapshot *s);

/* [thread, lock held] FROZEN: watched pages stop taking writes (they wait,
 * as while draining) so that a fork's child copies a still picture of
 * them; 0 lets them go on.  Returns after every write in flight ended. */
void mw_api_freeze(int frozen);

#endif /* MW_API_H */

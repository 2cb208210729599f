/* SPDX-License-Identifier: MIT */
/* api.h - internal entry points shared by api.c and legacy.c. */
#ifndef MW_API_H
#define MW_API_H

#include <stdint.h>

/* [any] The newest watch whose first byte is START, or -ENOENT. */
int mw_id_at(uintptr_t start);

struct mw_snapshot;

/* [thread] The library lock, for the fork handlers. */
void mw_api_lock(void);
void mw_api_unlock(void);

/* [thread, lock held] Set the protection of every watched page from the
 * watches over it.  0 or -errno. */
int mw_api_reprotect(const struct mw_snapshot *s);

#endif /* MW_API_H */

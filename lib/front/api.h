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

/* [thread, lock held] FROZEN: watched pages stop taking writes (they wait;
 * reads go on) so that a fork's child copies a still picture of them; 0
 * lets them go on.  Returns after every write in flight ended. */
void mw_api_freeze(int frozen);

/* [any, not inside the library lock] The program unmaps or replaces
 * [lo, hi) (page aligned) by the system call at PC: the watches with a
 * byte there end, with a MW_KIND_GONE record each. */
void mw_api_gone(uintptr_t lo, uintptr_t hi, uintptr_t pc);
/* [any, not inside the library lock] mprotect(lo, hi - lo, PROT) by the
 * program: watched pages take PROT as theirs (kept when the watches end,
 * restricted by them meanwhile), the rest gets it now.  0 or -errno. */
long mw_api_protect(uintptr_t lo, uintptr_t hi, int prot);
/* [any] Whether the calling thread holds the library lock. */
int mw_api_held(void);

#endif /* MW_API_H */

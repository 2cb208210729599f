/* SPDX-License-Identifier: MIT */
/*
 * tid.h - the calling thread's id, cached per thread and renewed after fork.
 */
#ifndef MW_TID_H
#define MW_TID_H

#include <sys/types.h>

/* [fault path] The calling thread's id. */
pid_t mw_tid(void);
/* [thread] After fork, in the child: thread ids change. */
void mw_tid_forked(void);

/* [thread] The process's id, without a system call but the first in each
 * process: kept in a page the kernel empties in a forked child
 * (MADV_WIPEONFORK), so any fork is seen, raw clone(2) too. */
pid_t mw_pid(void);

#endif /* MW_TID_H */

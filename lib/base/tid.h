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

#endif /* MW_TID_H */

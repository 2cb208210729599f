/* SPDX-License-Identifier: MIT */
/*
 * epoch.h - grace periods between the fault path and the writers.
 *
 * The fault path reads the watch table without locks.  A writer that replaces
 * or frees something the fault path may still be reading first waits for a
 * grace period: until every handler that may have seen the old state has left.
 *
 * Synchronization:
 *   call                    may run concurrently with
 *   mw_epoch_enter/exit     everything (any thread, nested in signal handlers)
 *   mw_epoch_synchronize    enter/exit; never with itself (writer lock held)
 *
 * A handler must never wait for a writer while inside (enter..exit): the
 * writer may be waiting for it.  Handlers that find memory in transition
 * leave and retry the instruction instead.
 */
#ifndef MW_EPOCH_H
#define MW_EPOCH_H

/* [fault path] Returns the slot to pass to mw_epoch_exit(). */
unsigned mw_epoch_enter(void);
/* [fault path] */
void mw_epoch_exit(unsigned slot);
/* [thread, writer lock held] Returns when every handler that entered before
 * the call has left.  Blocks (sched_yield) while one is running. */
void mw_epoch_synchronize(void);
/* [any] Whether a handler is inside now (for a debugger's call with the
 * threads stopped: a grace period would wait for one it stopped). */
int mw_epoch_busy(void);

#endif /* MW_EPOCH_H */

/* SPDX-License-Identifier: MIT */
/*
 * lock.h - the library lock: watch and unwatch, the address-space calls and
 * the fork handlers change the watch table under it.
 *
 * While a thread holds it by mw_lock, its own system calls (a few dozen per
 * watch) are not dispatched (perthread.h's hold).  Not in the fork
 * handlers (mw_lock_nohold): fork(3)'s own call must reach the library.
 * Pairs: mw_lock with mw_unlock, mw_lock_nohold with mw_unlock_nohold
 * (a hold dropped that was never taken would leave the thread's hold count
 * below zero: its next mw_watch would dispatch its own calls).
 * All [thread] but mw_lock_held, [any].
 */
#ifndef MW_LOCK_H
#define MW_LOCK_H

void mw_lock(void);
void mw_lock_nohold(void);
void mw_unlock(void);
void mw_unlock_nohold(void);
/* Whether the calling thread holds the lock: the system calls it makes
 * then are the library's own (sys/bounce.c lets them be). */
int mw_lock_held(void);
/* mw_lock if no thread holds the lock now (1), else nothing (0): for a
 * debugger's call, which must not wait for a thread it stopped. */
int mw_lock_try(void);

#endif /* MW_LOCK_H */

/* SPDX-License-Identifier: MIT */
/*
 * lock.h - the library lock: watch and unwatch, the address-space calls and
 * the fork handlers change the watch table under it.
 *
 * While a thread holds it by mw_lock, its own system calls (a few dozen per
 * watch) are not dispatched (perthread.h's hold).  Not in the fork
 * handlers (mw_lock_nohold): fork(3)'s own call must reach the library.
 * All [thread] but mw_lock_held, [any].
 */
#ifndef MW_LOCK_H
#define MW_LOCK_H

void mw_lock(void);
void mw_lock_nohold(void);
void mw_unlock(void);
/* Whether the calling thread holds the lock: the system calls it makes
 * then are the library's own (sys/bounce.c lets them be). */
int mw_lock_held(void);

#endif /* MW_LOCK_H */

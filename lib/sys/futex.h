/* SPDX-License-Identifier: MIT */
/*
 * futex.h - futexes in watched memory.
 *
 * The kernel reads (and for PI locks writes) a futex word itself, and keys
 * a private futex by its address.  A word on a watched page is handed to
 * the kernel at its alias instead, as a shared futex: its key is then the
 * memfd's page, the same for every thread and view.  Waiters that went to
 * sleep before the watch began (private key, original address) are woken
 * too: every wake is also sent to the original address.  When the page
 * stops being watched, the waiters sleeping on the alias are woken (they
 * see a spurious wake-up, which every futex user handles) before the alias
 * goes away (mw_sys_unwatched).
 */
#ifndef MW_SYSFUTEX_H
#define MW_SYSFUTEX_H

#include <stdint.h>

/* [fault path] futex(2) with arguments A, for the context UC. */
long mw_sysfutex(void *uc, const long a[6]);

/* [thread] Wake all waiters on words of [lo, hi) at their alias ALIAS. */
void mw_sysfutex_release(uintptr_t lo, uintptr_t hi, uintptr_t alias);

#endif /* MW_SYSFUTEX_H */

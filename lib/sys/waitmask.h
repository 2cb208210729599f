/* SPDX-License-Identifier: MIT */
/*
 * waitmask.h - the calls that wait with a signal mask of their own
 * (rt_sigsuspend, ppoll, pselect6, epoll_pwait, epoll_pwait2) and the
 * reads of a signalfd, as the program's view of SIGSEGV and SIGSYS
 * (threads/perthread.h) wants them: the real mask never blocks those two,
 * and a SIGSEGV or SIGSYS sent while the view blocks it is kept by the
 * library, not pending in the kernel.
 *
 * While such a call waits, the view is the call's mask (its SIGSEGV and
 * SIGSYS bits): one sent meanwhile that the call's mask blocks is kept
 * (the library's handler having ended the wait, the call is made again),
 * one it lets through is delivered and ends the call with EINTR.  The kept
 * ones the call's mask lets through are made pending in the kernel,
 * blocked until the call lets them through itself: the kernel ends it as
 * with any pending signal (EINTR after the handler, on the library's
 * frames; a poll's ready descriptors, the signal still pending), but an
 * ignored one is dropped (epoll_pwait ends with EINTR, as it would), and
 * one whose action is the default ends rt_sigsuspend on the program's
 * context.
 * After the call the view is the program's again, and what it no longer
 * blocks of what was kept arrives.
 *
 * rt_sigtimedwait for SIGSEGV or SIGSYS takes one another thread posted
 * (threads/perthread.h) and, when the library's carrier ends the wait or
 * is what it takes, what the carrier carried.
 *
 * A read(2) of a signalfd whose mask holds a kept signal gets it: the kept
 * signals of its mask are made pending in the kernel, blocked, for the
 * duration of the read, and what the read did not take is kept again.  A
 * read that would wait, of a signalfd made while system calls dispatch,
 * waits in ppoll, which a signal kept meanwhile ends.
 * All: [fault path].
 */
#ifndef MW_WAITMASK_H
#define MW_WAITMASK_H

#include <stdbool.h>

/* Performs call NR (arguments A, context UC) if it is one of these and
 * needs it, its result set in UC: true; false: not such a call, or nothing
 * to do differently, it goes on as usual. */
bool mw_sys_waitmask(void *uc, long nr, long a[6]);

/* [patched site] Whether NR with arguments A is a read mw_sys_waitmask
 * would take (a signalfd's, or any while signals are kept): it needs the
 * signal frame, so a patched site leaves it to the SIGSYS.  General
 * registers only. */
bool mw_sys_waitmask_read(long nr, const long a[6]);

#endif /* MW_WAITMASK_H */

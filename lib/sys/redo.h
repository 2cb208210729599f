/* SPDX-License-Identifier: MIT */
/*
 * redo.h - system calls that the first watch's broadcast interrupted,
 * made again instead of failing with EINTR.
 *
 * At the first watch every other thread gets a SIGSYS to switch dispatch
 * on (dispatch.c).  A thread blocked in a system call the kernel does not
 * restart after a handler (nanosleep, poll, epoll_wait, a futex wait with a
 * timeout ... signal(7)) would return EINTR, which without memwatch it would
 * not.  Before asking a thread, the asker notes the call it is blocked in
 * (/proc/self/task/TID/syscall; a call a debugger stopped and continued
 * shows as restart_syscall there, and its number is read off the code
 * before it); the thread's handler, finding that very
 * call ended by EINTR and no other signal waiting to be handled, sets it up
 * to be made again - through dispatch now.
 *
 * Synchronization: mw_sysredo_note before the signal is sent, by the asking
 * thread under the library lock; mw_sysredo_apply in the asked thread's
 * handler, reading its own note.
 */
#ifndef MW_SYSREDO_H
#define MW_SYSREDO_H

#include <sys/types.h>

/* [thread] Start a new round of notes. */
void mw_sysredo_reset(void);
/* [thread] Note the system call thread TID is blocked in, if any. */
void mw_sysredo_note(pid_t tid);
/* [fault path] In thread TID's SIGSYS handler, context UC: redo its noted
 * call if our signal ended it with EINTR.  1 if it will be made again. */
int mw_sysredo_apply(pid_t tid, void *uc);

#endif /* MW_SYSREDO_H */

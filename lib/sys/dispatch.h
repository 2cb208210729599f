/* SPDX-License-Identifier: MIT */
/*
 * dispatch.h - system calls that touch watched memory.
 *
 * The kernel checks page protections itself: a read(2) into a watched
 * buffer, a futex on a mutex in a watched struct, a stat into a watched
 * struct fail with EFAULT, or make glibc abort.  So while watches exist,
 * syscall user dispatch (prctl PR_SET_SYSCALL_USER_DISPATCH) turns every
 * system call made outside the library's gate (lib/<arch>/gate-code.S) into a
 * SIGSYS.  The handler performs the call from the gate: unchanged when no
 * argument points to a watched page, otherwise with the watched buffers
 * copied through a bounce buffer (bounce.c) or, for futexes, with the
 * word's alias (futex.c), and records the kernel's accesses.
 *
 * With no watches, the switch (a byte the kernel reads at each system call)
 * lets every call through at the cost of that read.
 *
 * Synchronization:
 *   mw_sys_activate/deactivate   thread, under the library lock
 *   mw_sys_unwatched             thread, under the library lock
 *   mw_sys_forked                the child of fork, one thread
 */
#ifndef MW_SYSDISPATCH_H
#define MW_SYSDISPATCH_H

#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>

/* Watches exist now: make sure every thread dispatches, then block.
 * Returns the number of threads that could not be prepared (they block
 * SIGSYS), -EPERM when dispatch is off (MEMWATCH_SYSCALLS=0, or under
 * valgrind), -ENOSYS when the kernel has no syscall user dispatch. */
int mw_sys_activate(void);
/* Whether the environment lets dispatch be used (read while no watch
 * exists). */
int mw_sys_wanted(void);
/* [thread] Once, at initialization: system-call sites dispatched AFTER
 * times are patched (arch.h), their calls then performed without a
 * signal; 0: never. */
void mw_sys_patching(unsigned after);
/* No watches any more: let system calls through again. */
void mw_sys_deactivate(void);
/* Pages [lo, hi) whose alias is ALIAS stop being watched: wake the futex
 * waiters sleeping on the alias, before it goes away. */
void mw_sys_unwatched(uintptr_t lo, uintptr_t hi, uintptr_t alias);
/* In a forked child: the kernel does not inherit dispatch. */
void mw_sys_forked(void);

/* [fault path] sigaction(SIGSYS) by the program while our handler is
 * installed: ACT (if not NULL) becomes the handler of the SIGSYS that are
 * not dispatch's, OLD gets the one before.  -1 if ours is not installed
 * (then the call is the kernel's). */
int mw_sys_sigaction(const struct sigaction *act, struct sigaction *old);

/* Kernel accesses performed and recorded (for tests and statistics). */
extern _Atomic unsigned long mw_sys_translated;

#endif /* MW_SYSDISPATCH_H */

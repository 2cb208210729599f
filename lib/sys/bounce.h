/* SPDX-License-Identifier: MIT */
/*
 * bounce.h - performing a dispatched system call (see dispatch.h).
 *
 * Each call the library knows is described by the buffers it passes the
 * kernel: which argument, in which direction, how long.  A call none of
 * whose buffers lies on a watched page runs as it is, from the gate.  One
 * that has such buffers runs with private bounce buffers instead: watched
 * data is copied in (through the alias) before and out after, outside any
 * table epoch, so a call may block as long as it likes.  The kernel's
 * reads and writes of watched bytes are logged as MW_KIND_KERNEL accesses
 * at the call site.  A few calls are performed differently:
 *   rt_sigprocmask   on the signal frame's mask (the one the program gets
 *                    back), SIGSEGV and SIGSYS never blocked;
 *   rt_sigaction     SIGSEGV and SIGSYS removed from handler masks;
 *   rt_sigreturn     from the gate, SIGSEGV and SIGSYS removed;
 *   clone, fork ...  from the gate; the child resumes the program itself;
 *   futex            on the alias of a watched word (futex.c).
 * All: [fault path].
 */
#ifndef MW_SYSBOUNCE_H
#define MW_SYSBOUNCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Performs system call NR with arguments A for the context UC and sets its
 * result there. */
void mw_sysbounce_perform(void *uc, long nr, long a[6]);
/* Whether system call NR is one mw_sysbounce_perform makes for any context:
 * not one that acts on the signal frame (its mask, stack or return), starts
 * a task or a program, or sanitizes a signal mask.  A patched site's call
 * (arch.h) is performed without a signal only then. */
bool mw_sysbounce_plain(long nr);
/* Performs NR by its rule alone (none: as it is), sets its result in UC
 * and returns it. */
long mw_sysbounce_rule(void *uc, long nr, long a[6]);

#endif /* MW_SYSBOUNCE_H */

/* SPDX-License-Identifier: MIT */
/* fork.h - private copies of watched pages for forked children. */
#ifndef MW_FORK_H
#define MW_FORK_H

#include <stdbool.h>

/* [thread] Once, at initialization.  0 or -errno. */
int mw_fork_init(void);

/* [fault path of the forking thread] fork(3)'s own system call is about to
 * be made (dispatched, see dispatch.h): freeze the watched pages.  EARLY:
 * the child will call mw_fork_child_early; then the thread's asynchronous
 * signals are blocked too, until the dispatch returns.  With EARLY, a call
 * outside fork(3) (a raw clone without CLONE_VM) is one too: the library
 * lock is taken here, as fork(3)'s prepare handler would.  True if this is
 * such a call: then call mw_fork_after_syscall with its result. */
bool mw_fork_at_syscall(bool early);
/* [fault path of the forking thread, in the same dispatch] In the parent,
 * with the system call's result: wait for the child's early copy and thaw
 * the watched pages. */
void mw_fork_after_syscall(long pid);
/* [the child of such a fork, first thing, before any C library code] Make
 * the child's own copies of the watched pages right away. */
void mw_fork_child_early(void);

#endif /* MW_FORK_H */

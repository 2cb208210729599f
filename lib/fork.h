/* SPDX-License-Identifier: MIT */
/* fork.h - private copies of watched pages for forked children. */
#ifndef MW_FORK_H
#define MW_FORK_H

/* [thread] Once, at initialization.  0 or -errno. */
int mw_fork_init(void);

/* [fault path of the forking thread] fork(3)'s own system call is about to
 * be made (dispatched, see sysdispatch.h): freeze the watched pages. */
void mw_fork_at_syscall(void);
/* [the child of such a fork, first thing, before any C library code] Make
 * the child's own copies of the watched pages right away. */
void mw_fork_child_early(void);

#endif /* MW_FORK_H */

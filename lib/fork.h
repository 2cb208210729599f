/* SPDX-License-Identifier: MIT */
/* fork.h - private copies of watched pages for forked children. */
#ifndef MW_FORK_H
#define MW_FORK_H

/* [thread] Once, at initialization.  0 or -errno. */
int mw_fork_init(void);

#endif /* MW_FORK_H */

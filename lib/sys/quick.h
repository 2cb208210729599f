/* SPDX-License-Identifier: MIT */
/*
 * quick.h - the first look at a patched site's system call (arch.h): made
 * as it is when none of its buffers is on a page the library protects, and
 * it needs nothing more than a rule's buffers (no frame, no address-space
 * bookkeeping, no futex on a watched word).  The page map (watch/pagemap.h)
 * answers for the pages; a page watched meanwhile makes the kernel say
 * EFAULT, and the call is made again the whole way.
 */
#ifndef MW_SYSQUICK_H
#define MW_SYSQUICK_H

/* [thread] Once, after mw_sys_rules_init and mw_pagemap_init. */
void mw_sys_quick_init(void);
/* [patched site] 1 if system call NR with arguments A can go to the kernel
 * as it is; 0 if not.  General
 * registers only. */
int mw_sys_quick(long nr, const long a[6]);

#endif /* MW_SYSQUICK_H */

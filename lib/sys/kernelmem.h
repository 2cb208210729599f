/* SPDX-License-Identifier: MIT */
/*
 * kernelmem.h - the program's memory as a dispatched system call's kernel
 * side sees it: watched pages read and written through their alias, other
 * memory probed (a bad pointer is EFAULT, not a crash), and the kernel's
 * accesses of watched bytes logged as MW_KIND_KERNEL records at the call.
 * All: [fault path].
 */
#ifndef MW_KERNELMEM_H
#define MW_KERNELMEM_H

#include <stddef.h>
#include <stdint.h>

struct mw_fault;
struct mw_snapshot;

/* A page in transition (being watched or unwatched): yield, retry. */
#define MW_SYS_BUSY 1

/* System call NR with arguments A, from the gate. */
long mw_sys6(long nr, const long a[6]);
void mw_sys_yield(void);

/* Whether [lo, hi) has a byte on a page of a span of S. */
int mw_sys_touches(const struct mw_snapshot *s, uintptr_t lo, uintptr_t hi);
/* Copies N bytes at ADDR into DST: watched pages through their alias.
 * 0, -EFAULT, or MW_SYS_BUSY. */
int mw_sys_copy_in(const struct mw_snapshot *s, void *dst, uintptr_t addr, size_t n);
/* Whether a page of [addr, addr + n) is in transition. */
int mw_sys_busy_out(const struct mw_snapshot *s, uintptr_t addr, size_t n);
/* Copies N bytes of SRC to ADDR; 0 or -EFAULT. */
int mw_sys_copy_out(const struct mw_snapshot *s, uintptr_t addr, const void *src, size_t n);
/* mw_sys_copy_in under the table, waiting out transitions; 0 or -EFAULT. */
int mw_sys_bring_in(void *dst, uintptr_t addr, size_t n);

/* A kernel access to log: the fault record machinery, with the call site
 * (of the context UC) as the instruction. */
void mw_sys_record_setup(struct mw_fault *f, const struct mw_snapshot *s, void *uc,
			 uintptr_t addr, size_t n, unsigned kind);
void mw_sys_record_before(struct mw_fault *f);
/* Logs the kernel's read of [addr, addr + n). */
void mw_sys_log_read(void *uc, uintptr_t addr, size_t n);
/* Copies the kernel's result out and logs its write.  0 or -EFAULT. */
int mw_sys_give_out(void *uc, uintptr_t addr, const void *src, size_t n);

#endif /* MW_KERNELMEM_H */

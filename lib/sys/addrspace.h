/* SPDX-License-Identifier: MIT */
/*
 * addrspace.h - the program changes its address space under the watches:
 * munmap, mremap (of what moves or goes), MAP_FIXED mmap and brk over
 * watched memory end the watches there (logged) and then run as without
 * them, mprotect of watched pages is kept for when their watches end
 * (pkey_mprotect giving them a key ends them),
 * madvise(MADV_DONTNEED) clears watched pages as it would, and the advice
 * the kernel refuses on them (MADV_WIPEONFORK, MADV_FREE, MADV_POPULATE_*)
 * is given its meaning there.
 */
#ifndef MW_ADDRSPACE_H
#define MW_ADDRSPACE_H

#include <stdbool.h>
#include <stdint.h>

/* [thread] Once, at initialization: FN ends the watches over [lo, hi),
 * which the system call at PC unmaps or replaces. */
void mw_sys_set_gone(void (*fn)(uintptr_t lo, uintptr_t hi, uintptr_t pc));

/* [fault path] munmap, mremap, mmap, brk, mprotect or pkey_mprotect NR
 * with arguments A (pkey_mprotect with a key other than 0 and -1 ends the
 * watches over its pages, as mprotect(PROT_EXEC) does),
 * made by the program in context UC: *DONE and the result if performed
 * here, else !*DONE and the call goes to the kernel as it is. */
long mw_sys_address_space(void *uc, long nr, const long a[6], bool *done);
/* [fault path] madvise, performed; its result. */
long mw_sys_madvise(void *uc, const long a[6]);

#endif /* MW_ADDRSPACE_H */

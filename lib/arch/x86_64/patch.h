/* SPDX-License-Identifier: MIT */
/*
 * patch.h - between patch.c (the sites and their stubs) and hot.S (a stub's
 * way into the fault path).
 */
#ifndef MW_X86_PATCH_H
#define MW_X86_PATCH_H

#include <stdint.h>
#include <ucontext.h>

struct mw_x86_insn;

/* In each stub after its `call *slot(%rip)`: read by hot.S and
 * mw_x86_hot_enter, never executed. */
struct mw_x86_hot_desc {
	uint64_t site;          /* the instruction's address */
	uint64_t native;        /* the stub's copy of it */
	const struct mw_x86_insn *in;   /* NULL: a system-call site, SITE
					   where its SIGSYS leaves RIP */
};

/* hot.S */
void mw_x86_hot_slow(void);
extern const char mw_x86_hot_slow_end[];

/* For hot.S: the XSAVE feature mask (XCR0), the bytes hot.S takes on the
 * stack, and the calling thread's stack of the library's. */
extern uint64_t mw_x86_hot_xmask, mw_x86_hot_frame;
extern int mw_x86_hot_xmode;       /* hot.S: 0 XSAVEC, 1 ymm, 2 xmm */
extern __thread uintptr_t mw_x86_hot_stack_lo, mw_x86_hot_stack_hi;

/* [patched site] hot.S's jump, with the program's registers in UC (gregs
 * only), for the instruction of D: performs it, or not, and leaves by
 * mw_x86_hot_exit(UC, performed) - to after the instruction with UC's
 * registers, or to the stub's copy of it. */
__attribute__((noreturn)) void mw_x86_hot_enter(ucontext_t *uc, const struct mw_x86_hot_desc *d);
__attribute__((noreturn)) void mw_x86_hot_exit(ucontext_t *uc, int performed);
extern const char mw_x86_hot_sigtramp[];

/* [fault path] The analysis of the instruction patched at PC, or NULL: a
 * fault that happened there before the patch is handled after it. */
const struct mw_x86_insn *mw_x86_patch_insn(uintptr_t pc);

/* sysquick.S, and the system-call layer's look it calls. */
void mw_x86_sys_quick(void);
extern const char mw_x86_sys_quick_end[];
extern int (*mw_x86_sys_quick_fn)(long nr, const long a[6]);

/* [patched site] A system-call site's call, from mw_x86_hot_enter: 1 if
 * performed (UC's RAX the result), 0 to take the stub's own syscall
 * (syspatch.c). */
int mw_x86_sys_enter(ucontext_t *uc, const struct mw_x86_hot_desc *d);
/* Under the sites' lock, after every site was restored (syspatch.c). */
void mw_x86_syssites_restored(void);
/* [any] Whether sites are patched now (patch.c). */
int mw_x86_patch_enabled(void);

#endif /* MW_X86_PATCH_H */

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
	const struct mw_x86_insn *in;
};

/* hot.S */
void mw_x86_hot_slow(void);
extern const char mw_x86_hot_slow_end[];

/* For hot.S: the XSAVE feature mask (XCR0), the bytes hot.S takes on the
 * stack, and the calling thread's stack of the library's. */
extern uint64_t mw_x86_hot_xmask, mw_x86_hot_frame;
extern int mw_x86_hot_xmode;       /* hot.S: 0 XSAVEC, 1 ymm, 2 xmm */
extern __thread uintptr_t mw_x86_hot_stack_lo, mw_x86_hot_stack_hi;

/* [patched site] hot.S's call: the program's GREGS and XSAVE area (the
 * XSAVE layout of a signal frame), for the instruction of D.  1 if it was
 * performed (GREGS updated), 0 to run it natively. */
int mw_x86_hot_enter(greg_t *gregs, uint8_t *xsave, const struct mw_x86_hot_desc *d);

#endif /* MW_X86_PATCH_H */

/* SPDX-License-Identifier: MIT */
/*
 * access.h - the pieces that performing an access is made of, shared by the
 * generic path (perform.c), string instructions (string.c), implicit
 * and emulated operands (stackop.c) and gathers (gather.c).  All: [fault path].
 */
#ifndef MW_X86_ACCESS_H
#define MW_X86_ACCESS_H

#include <stddef.h>
#include <stdint.h>
#include <ucontext.h>

#include "arch/arch.h"
#include "arch/x86_64/insn.h"

#define MW_X86_PAGE 4096u

/* run.S: runs STUB (the instruction rewritten, then a jump back) with the
 * registers G and, if XSAVE, the vector state there for the components of
 * XMASK; 1 if it faulted (it resumed at mw_x86_run_fault), else 0. */
int mw_x86_run(greg_t *gregs, const void *stub, void *xsave, uint64_t xmask);
extern const char mw_x86_run_fault[];

#define MW_X86_WHY_AC "alignment checking (RFLAGS.AC) is on and the access is misaligned"

/* With RFLAGS.AC on, whether the access of N bytes at A is misaligned
 * (the stub would raise #AC inside the handler: declined). */
int mw_x86_misaligned_under_ac(const greg_t *g, uintptr_t a, size_t n);
/* The end of A's page. */
uintptr_t mw_x86_page_end(uintptr_t a);
/* The base of segment SEG (1 = fs, 2 = gs) of the calling thread. */
uint64_t mw_x86_seg_base(int seg);
/* The memory operand's address, from the registers G. */
uintptr_t mw_x86_effective_address(const struct mw_x86_insn *in, const greg_t *g);
/* Copies N bytes between BUF and the program's memory at A (TO_MEMORY:
 * into it), watched pages through their alias. */
enum mw_perform mw_x86_mem_copy(struct mw_fault *f, uintptr_t a, void *buf, size_t n,
				int to_memory);
/* Before a write through a bounce buffer: every page must take it. */
enum mw_perform mw_x86_check_writable(struct mw_fault *f, uintptr_t a, size_t n);
/* Whether X is in [A, A + N). */
int mw_x86_contains(uintptr_t a, size_t n, uintptr_t x);
/* The fault's before hook (arch.h), if it has one. */
void mw_x86_before(struct mw_fault *f);

/* The ways of performing, by instruction class. */
enum mw_perform mw_x86_string(struct mw_fault *f, const struct mw_x86_insn *in, greg_t *g);
enum mw_perform mw_x86_stack_op(struct mw_fault *f, const struct mw_x86_insn *in, greg_t *g);
enum mw_perform mw_x86_implicit(struct mw_fault *f, const struct mw_x86_insn *in, greg_t *g);
enum mw_perform mw_x86_gather(struct mw_fault *f, const struct mw_x86_insn *in, greg_t *g);
enum mw_perform mw_x86_xlat(struct mw_fault *f, const struct mw_x86_insn *in, greg_t *g);

#endif /* MW_X86_ACCESS_H */

/* SPDX-License-Identifier: MIT */
/*
 * run.S - run one instruction with the interrupted program's registers.
 *
 * int mw_x86_run(greg_t *gregs, const void *stub, void *xsave, uint64_t xmask)
 *
 * Loads every general register but RSP, and RFLAGS (without TF), from the
 * signal frame's gregs[], jumps to STUB - the instruction, rewritten to use
 * the alias, followed by `jmp *mw_x86_run_return` - then stores the
 * registers and flags back into gregs[].  RSP stays ours: instructions that
 * use RSP are never run here.  With XSAVE non-NULL, the vector and x87 state
 * of the frame (standard XSAVE format, 64-byte aligned, features XMASK) is
 * loaded before and saved after, for instructions that use it.  Returns 0.
 *
 * gregs[] offsets (sys/ucontext.h): R8 0 .. R15 56, RDI 64, RSI 72, RBP 80,
 * RBX 88, RDX 96, RAX 104, RCX 112, RSP 120, RIP 128, EFL 136.
 */

#include "arch/x86_64/cfi.h"
	.text
	.globl	mw_x86_run, mw_x86_run_return, mw_x86_run_fault
	.hidden	mw_x86_run, mw_x86_run_return, mw_x86_run_fault
	.type	mw_x86_run, @function
mw_x86_run:
	.cfi_startproc
	push_saved %rbx
	push_saved %rbp
	push_saved %r12
	push_saved %r13
	push_saved %r14
	push_saved %r15
	push	%rdi			/* 24(%rsp): gregs */
	push	%rdx			/* 16(%rsp): xsave area */
	push	%rcx			/*  8(%rsp): xsave mask */
	push	%rsi			/*  0(%rsp): stub */
	.cfi_adjust_cfa_offset 32	/* CFA = rsp + 88 from here to the stub and back */
	test	%rdx, %rdx
	jz	1f
	mov	%rdx, %r8
	mov	%rcx, %rax
	mov	%rcx, %rdx
	shr	$32, %rdx
	xrstor64 (%r8)
1:
	mov	136(%rdi), %rax
	and	$~0x100, %rax		/* never single-step our own code */
	push	%rax
	.cfi_adjust_cfa_offset 8
	popfq
	.cfi_adjust_cfa_offset -8
	mov	0(%rdi), %r8
	mov	8(%rdi), %r9
	mov	16(%rdi), %r10
	mov	24(%rdi), %r11
	mov	32(%rdi), %r12
	mov	40(%rdi), %r13
	mov	48(%rdi), %r14
	mov	56(%rdi), %r15
	mov	72(%rdi), %rsi
	mov	80(%rdi), %rbp
	mov	88(%rdi), %rbx
	mov	96(%rdi), %rdx
	mov	104(%rdi), %rax
	mov	112(%rdi), %rcx
	mov	64(%rdi), %rdi
	jmp	*(%rsp)

mw_x86_run_return:
	pushfq				/* stack: flags, stub, mask, xsave, gregs */
	.cfi_adjust_cfa_offset 8
	push	%rdi
	.cfi_adjust_cfa_offset 8
	mov	40(%rsp), %rdi		/* gregs (above rdi, flags, stub, mask, xsave) */
	mov	%r8, 0(%rdi)
	mov	%r9, 8(%rdi)
	mov	%r10, 16(%rdi)
	mov	%r11, 24(%rdi)
	mov	%r12, 32(%rdi)
	mov	%r13, 40(%rdi)
	mov	%r14, 48(%rdi)
	mov	%r15, 56(%rdi)
	mov	%rsi, 72(%rdi)
	mov	%rbp, 80(%rdi)
	mov	%rbx, 88(%rdi)
	mov	%rdx, 96(%rdi)
	mov	%rax, 104(%rdi)
	mov	%rcx, 112(%rdi)
	pop	%rax
	.cfi_adjust_cfa_offset -8
	mov	%rax, 64(%rdi)		/* the program's rdi */
	pop	%rax			/* the program's flags after the insn */
	.cfi_adjust_cfa_offset -8
	pushq	$0x202			/* C code runs with DF=0, AC=0 */
	.cfi_adjust_cfa_offset 8
	popfq
	.cfi_adjust_cfa_offset -8
	mov	136(%rdi), %rcx
	and	$0x100, %rcx		/* keep the program's own TF */
	and	$~0x100, %rax
	or	%rcx, %rax
	mov	%rax, 136(%rdi)
	add	$8, %rsp		/* stub */
	.cfi_adjust_cfa_offset -8
	pop	%rax			/* mask */
	.cfi_adjust_cfa_offset -8
	pop	%rcx			/* xsave area */
	.cfi_adjust_cfa_offset -8
	test	%rcx, %rcx
	jz	2f
	mov	%rax, %rdx
	shr	$32, %rdx
	xsave64	(%rcx)
2:
	pop	%rdi
	.cfi_adjust_cfa_offset -8
	pop_saved %r15
	pop_saved %r14
	pop_saved %r13
	pop_saved %r12
	pop_saved %rbp
	pop_saved %rbx
	xor	%eax, %eax
	ret
	.cfi_endproc
	.size	mw_x86_run, .-mw_x86_run

/* If the instruction itself faults in the stub (ldmxcsr or fxrstor of
 * invalid data: #GP), the handler resumes here (mw_arch_probe_fixup), by
 * sigreturn, with RSP as the stub had it: stub, mask, xsave area, gregs,
 * then the six saved registers and the return address.  mw_x86_run then
 * returns 1 with gregs[] and the XSAVE area untouched: the program's
 * instruction faults as it would have. */
	.type	mw_x86_run_fault, @function
mw_x86_run_fault:
	pushq	$0x202			/* C code runs with DF=0, AC=0 */
	popfq
	add	$32, %rsp
	pop	%r15
	pop	%r14
	pop	%r13
	pop	%r12
	pop	%rbp
	pop	%rbx
	mov	$1, %eax
	ret
	.size	mw_x86_run_fault, .-mw_x86_run_fault

	.section .note.GNU-stack,"",@progbits

/* SPDX-License-Identifier: MIT */
/*
 * hot.S - a patched site's access on a faulting page (patch.c): the
 * program's registers saved in a ucontext as a signal frame holds them,
 * the fault path called, the registers put back.
 *
 * mw_x86_hot_slow is reached by `call *slot(%rip)` from a site's stub,
 * with the program's stack 128 bytes (red zone) + 40 below where it was:
 *   0(%rsp) the site's descriptor (struct mw_x86_hot_desc; the "return
 *           address"), 8 rdx, 16 rcx, 24 rflags, 32 rax, 168 = its RSP.
 * It moves to the thread's alternate stack of the library's
 * (mw_x86_hot_stack_lo/hi; already on it: below, with a gap) and lays out,
 * from B (64-byte aligned):
 *   B+56    mw_x86_hot_sigtramp, as the return address of
 *   B+64    a ucontext_t (gregs at +40, regs.h order; RIP = the site)
 *   B+1088  the entry RSP, B+1096 the descriptor, B+1104 MXCSR
 *   B+1152  the vector registers (ymm0-15, xmm0-15, or XSAVEC)
 * and jumps to mw_x86_hot_enter(uc, desc) with RSP = B+56.  That C
 * function never returns: it ends in mw_x86_hot_exit(uc, performed).  So
 * an unwinder (libunwind's cached fast trace, GDB) finds a signal frame
 * there - the sigreturn instructions at the return address, the context
 * above it - and goes on at the program's site with its registers, no
 * expression and no guess; the sigreturn is never run.
 *
 * mw_x86_hot_exit puts the vector registers back and leaves through a
 * frame of 17 words built below the program's red zone: pop ..., popfq,
 * ret $128 - RSP ends as the program had it, RIP after the instruction
 * (performed) or at the stub's copy of it (not).
 * Without a stack of the library's (a thread it has not seen yet, or one
 * with an alternate stack of its own): the instruction runs natively, and
 * faults into the SIGSEGV handler if its page is protected.
 */

#define UC	64		/* the ucontext, from B */
#define G	(UC + 40)	/* its gregs */
#define SLOTS	(UC + 1024)	/* entry RSP, descriptor, MXCSR */
#define VEC	1152		/* the vector state, from B */

#include "arch/x86_64/hotstack.h"

	.text
	.globl	mw_x86_hot_slow, mw_x86_hot_slow_end, mw_x86_hot_exit, mw_x86_hot_sigtramp
	.hidden	mw_x86_hot_slow, mw_x86_hot_slow_end, mw_x86_hot_exit, mw_x86_hot_sigtramp
	.type	mw_x86_hot_slow, @function
	.p2align 4
mw_x86_hot_slow:
	mov	%rsp, %rax
	HOT_STACK_TOP .Lnative
	sub	mw_x86_hot_frame(%rip), %rdx
	and	$-64, %rdx
	mov	%rdx, %rsp
	mov	%r8, G+0(%rsp)
	mov	%r9, G+8(%rsp)
	mov	%r10, G+16(%rsp)
	mov	%r11, G+24(%rsp)
	mov	%r12, G+32(%rsp)
	mov	%r13, G+40(%rsp)
	mov	%r14, G+48(%rsp)
	mov	%r15, G+56(%rsp)
	mov	%rdi, G+64(%rsp)
	mov	%rsi, G+72(%rsp)
	mov	%rbp, G+80(%rsp)
	mov	%rbx, G+88(%rsp)
	mov	8(%rax), %rcx
	mov	%rcx, G+96(%rsp)	/* rdx */
	mov	32(%rax), %rcx
	mov	%rcx, G+104(%rsp)	/* rax */
	mov	16(%rax), %rcx
	mov	%rcx, G+112(%rsp)	/* rcx */
	lea	168(%rax), %rcx
	mov	%rcx, G+120(%rsp)	/* rsp */
	mov	0(%rax), %rcx		/* the descriptor */
	mov	0(%rcx), %rdx
	mov	%rdx, G+128(%rsp)	/* rip: the site */
	mov	24(%rax), %rdx
	mov	%rdx, G+136(%rsp)	/* rflags */
	mov	%rax, SLOTS(%rsp)
	mov	%rcx, SLOTS+8(%rsp)
	/* The vector registers the library's C code may change: ymm0-15
	 * with AVX (mw_x86_hot_xmode 1), xmm0-15 without (2), and MXCSR; with
	 * AVX-512, XSAVEC of that state (0).  Moves cost less than XSAVE
	 * here (tens of ns, against hundreds). */
	lea	VEC(%rsp), %rdi
	cmpl	$1, mw_x86_hot_xmode(%rip)
	jne	4f
	.irp r, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
	vmovdqa	%ymm\r, 32*\r(%rdi)
	.endr
	vzeroupper
	jmp	6f
4:
	cmpl	$2, mw_x86_hot_xmode(%rip)
	jne	5f
	.irp r, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
	movdqa	%xmm\r, 16*\r(%rdi)
	.endr
	jmp	6f
5:
	/* XSAVEC: its header zeroed first (XRSTOR checks bytes 16-63). */
	xor	%eax, %eax
	.irp o, 512,520,528,536,544,552,560,568
	mov	%rax, \o(%rdi)
	.endr
	mov	mw_x86_hot_xmask(%rip), %rax
	mov	%rax, %rdx
	shr	$32, %rdx
	xsavec64 (%rdi)
6:
	stmxcsr	SLOTS+16(%rsp)
	pushq	$0x202			/* C code runs with DF=0, AC=0 */
	popfq
	lea	UC(%rsp), %rdi
	mov	SLOTS+8(%rsp), %rsi
	lea	mw_x86_hot_sigtramp(%rip), %rax
	mov	%rax, UC-8(%rsp)
	lea	UC-8(%rsp), %rsp
	jmp	mw_x86_hot_enter

.Lnative:
	/* rax rcx rdx and the flags are the stub's to restore: the native
	 * copy's address in rax's place, then ret $128 to it. */
	mov	0(%rsp), %rcx
	mov	8(%rcx), %rcx
	mov	32(%rsp), %rax
	mov	%rcx, 32(%rsp)
	mov	8(%rsp), %rdx
	mov	16(%rsp), %rcx
	lea	24(%rsp), %rsp
	popfq
	ret	$128
mw_x86_hot_slow_end:
	.size	mw_x86_hot_slow, .-mw_x86_hot_slow

/* void mw_x86_hot_exit(ucontext_t *uc, int performed): never returns. */
	.type	mw_x86_hot_exit, @function
	.p2align 4
mw_x86_hot_exit:
	lea	-UC(%rdi), %rsp		/* B */
	test	%esi, %esi
	jnz	2f
	mov	SLOTS+8(%rsp), %rcx
	mov	8(%rcx), %rcx		/* not performed: the native copy */
	mov	%rcx, G+128(%rsp)
2:
	ldmxcsr	SLOTS+16(%rsp)
	lea	VEC(%rsp), %rdi
	cmpl	$1, mw_x86_hot_xmode(%rip)
	jne	4f
	.irp r, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
	vmovdqa	32*\r(%rdi), %ymm\r
	.endr
	jmp	6f
4:
	cmpl	$2, mw_x86_hot_xmode(%rip)
	jne	5f
	.irp r, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
	movdqa	16*\r(%rdi), %xmm\r
	.endr
	jmp	6f
5:
	mov	mw_x86_hot_xmask(%rip), %rax
	mov	%rax, %rdx
	shr	$32, %rdx
	xrstor64 (%rdi)
6:
	/* The frame for the pops, below the program's red zone. */
	mov	G+120(%rsp), %rdi
	sub	$(128 + 17 * 8), %rdi
	xor	%ecx, %ecx
3:
	mov	G(%rsp,%rcx,8), %rax
	mov	%rax, (%rdi,%rcx,8)
	inc	%ecx
	cmp	$15, %ecx
	jb	3b
	mov	G+136(%rsp), %rax
	mov	%rax, 120(%rdi)		/* rflags */
	mov	G+128(%rsp), %rax
	mov	%rax, 128(%rdi)		/* rip */
	mov	%rdi, %rsp
	pop	%r8
	pop	%r9
	pop	%r10
	pop	%r11
	pop	%r12
	pop	%r13
	pop	%r14
	pop	%r15
	pop	%rdi
	pop	%rsi
	pop	%rbp
	pop	%rbx
	pop	%rdx
	pop	%rax
	pop	%rcx
	popfq
	ret	$128
	.size	mw_x86_hot_exit, .-mw_x86_hot_exit

/* The return address mw_x86_hot_enter is given: the bytes of the C
 * library's signal return (mov $15, %rax; syscall), with the ucontext
 * right above, and call frame information of the form the C library gives
 * its own (a signal frame, 'S'; CFA and registers read from the ucontext):
 * libunwind's fast trace and GDB both take it for a signal frame and go on
 * at the program's site.  Never run: the C function leaves through
 * mw_x86_hot_exit.  The frame information starts one byte early, at the
 * nop, for unwinders that look up return address - 1. */
	.p2align 4
	.cfi_startproc
	.cfi_signal_frame
	.cfi_escape 0x0f, 4, 0x77, 0xa0, 0x01, 0x06	/* CFA = *(rsp + 160): gregs[RSP] */
	.cfi_escape 0x10, 8, 2, 0x77, 0x28	/* r8 at rsp + 40 */
	.cfi_escape 0x10, 9, 2, 0x77, 0x30	/* r9 at rsp + 48 */
	.cfi_escape 0x10, 10, 2, 0x77, 0x38	/* r10 at rsp + 56 */
	.cfi_escape 0x10, 11, 3, 0x77, 0xc0, 0x00	/* r11 at rsp + 64 */
	.cfi_escape 0x10, 12, 3, 0x77, 0xc8, 0x00	/* r12 at rsp + 72 */
	.cfi_escape 0x10, 13, 3, 0x77, 0xd0, 0x00	/* r13 at rsp + 80 */
	.cfi_escape 0x10, 14, 3, 0x77, 0xd8, 0x00	/* r14 at rsp + 88 */
	.cfi_escape 0x10, 15, 3, 0x77, 0xe0, 0x00	/* r15 at rsp + 96 */
	.cfi_escape 0x10, 5, 3, 0x77, 0xe8, 0x00	/* rdi at rsp + 104 */
	.cfi_escape 0x10, 4, 3, 0x77, 0xf0, 0x00	/* rsi at rsp + 112 */
	.cfi_escape 0x10, 6, 3, 0x77, 0xf8, 0x00	/* rbp at rsp + 120 */
	.cfi_escape 0x10, 3, 3, 0x77, 0x80, 0x01	/* rbx at rsp + 128 */
	.cfi_escape 0x10, 1, 3, 0x77, 0x88, 0x01	/* rdx at rsp + 136 */
	.cfi_escape 0x10, 0, 3, 0x77, 0x90, 0x01	/* rax at rsp + 144 */
	.cfi_escape 0x10, 2, 3, 0x77, 0x98, 0x01	/* rcx at rsp + 152 */
	.cfi_escape 0x10, 16, 3, 0x77, 0xa8, 0x01	/* rip at rsp + 168 */
	nop
mw_x86_hot_sigtramp:
	mov	$15, %rax
	syscall
	ud2
	.cfi_endproc

	.section .note.GNU-stack, "", @progbits

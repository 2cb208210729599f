/* SPDX-License-Identifier: MIT */
/*
 * hotstack.h - for hot.S and sysquick.S: where a patched site's code goes
 * on the calling thread's stack of the library's.
 *
 * HOT_STACK_TOP none: with RSP in RAX, RDX becomes the top to build below
 * (the stack's high end, or 256 bytes below RSP if already on it: a stub
 * run by a handler that interrupted one); jumps to NONE if the thread has
 * no such stack.  Clobbers RCX and the flags.
 */
#ifndef MW_X86_HOTSTACK_H
#define MW_X86_HOTSTACK_H

.macro HOT_STACK_TOP none
	movq	mw_x86_hot_stack_hi@gottpoff(%rip), %rcx
	mov	%fs:(%rcx), %rdx
	test	%rdx, %rdx
	jz	\none
	movq	mw_x86_hot_stack_lo@gottpoff(%rip), %rcx
	mov	%fs:(%rcx), %rcx
	cmp	%rcx, %rax
	jb	1f
	cmp	%rdx, %rax
	jae	1f
	lea	-256(%rax), %rdx
1:
.endm

#endif /* MW_X86_HOTSTACK_H */

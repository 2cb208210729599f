/* SPDX-License-Identifier: MIT */
/*
 * onstack.S - call a function on another stack.
 *
 * long mw_arch_on_stack(void *top, long (*fn)(void *), void *arg)
 *
 * Runs FN(ARG) with RSP = TOP (16-byte aligned) and returns its result.
 * mw_watch and mw_unwatch run their work this way: the pages they freeze
 * and convert may hold the caller's own stack (a local variable), where
 * their own frames must not be.  RBP holds the old stack pointer, so the
 * CFA rule unwinds back onto the caller's stack.
 */

#include "arch/x86_64/cfi.h"
	.text
	.globl	mw_arch_on_stack
	.hidden	mw_arch_on_stack
	.type	mw_arch_on_stack, @function
mw_arch_on_stack:
	.cfi_startproc
	push_saved %rbp
	mov	%rsp, %rbp
	.cfi_def_cfa_register %rbp
	mov	%rdi, %rsp
	and	$-16, %rsp
	mov	%rdx, %rdi
	call	*%rsi
	mov	%rbp, %rsp
	.cfi_def_cfa_register %rsp
	pop_saved %rbp
	ret
	.cfi_endproc
	.size	mw_arch_on_stack, .-mw_arch_on_stack

	.section .note.GNU-stack,"",@progbits

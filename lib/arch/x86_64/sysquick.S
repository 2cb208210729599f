/* SPDX-License-Identifier: MIT */
/*
 * sysquick.S - a patched system-call site's first way (syspatch.c): a
 * look at the call that needs no vector register, then the call itself
 * from the gate, or hot.S's whole way.
 *
 * mw_x86_sys_quick is reached by `call *slot(%rip)` from the site's stub,
 * whose frame is hot.S's: 0(%rsp) the descriptor, 8 rdx, 16 rcx, 24
 * rflags, 32 rax (the call's number); the program's stack 128 bytes (red
 * zone) + 40 above.  On the thread's stack of the library's it keeps the
 * arguments and the registers C may change, and asks mw_x86_sys_quick_fn
 * (the system-call layer's, compiled for general registers only: the
 * program's vector registers stay live) whether the call can go to the
 * kernel as it is.  Yes: it is made from the gate (syscall user dispatch
 * lets it through), and the program resumes after its syscall instruction
 * with RAX the result, RCX and R11 as the kernel leaves them.  No, or the
 * kernel said EFAULT (a page watched meanwhile): every register as it came,
 * on to mw_x86_hot_slow, which saves them all and performs the call as the
 * SIGSYS handler would.  Without a stack of the library's: hot.S at once.
 */

/* Call frame information: the frame of this code is the program's at its
 * site, as a debugger or unwinder of a thread blocked in the call should
 * see it: its RSP F + 168, its RIP the descriptor's first word (the site,
 * after its syscall instruction), RDX at F + 8 - where F, the stub's frame,
 * is RSP, or kept at 48(%rsp) on the library's stack. */
#define ON_F \
	.cfi_def_cfa rsp, 168; \
	.cfi_escape 0x16, 0x10, 0x04, 0x77, 0x00, 0x06, 0x06;	/* rip = **rsp */ \
	.cfi_escape 0x10, 0x01, 0x02, 0x77, 0x08		/* rdx at rsp + 8 */
#define F_IN_RAX \
	.cfi_def_cfa rax, 168; \
	.cfi_escape 0x16, 0x10, 0x04, 0x70, 0x00, 0x06, 0x06;	/* rip = **rax */ \
	.cfi_escape 0x10, 0x01, 0x02, 0x70, 0x08		/* rdx at rax + 8 */
#define F_AT_48 \
	.cfi_escape 0x0f, 0x06, 0x77, 0x30, 0x06, 0x23, 0xa8, 0x01;	/* CFA = *(rsp+48) + 168 */ \
	.cfi_escape 0x16, 0x10, 0x05, 0x77, 0x30, 0x06, 0x06, 0x06;	/* rip = ***(rsp+48) */ \
	.cfi_escape 0x10, 0x01, 0x05, 0x77, 0x30, 0x06, 0x23, 0x08	/* rdx at *(rsp+48) + 8 */

#include "arch/x86_64/hotstack.h"

	.text
	.globl	mw_x86_sys_quick, mw_x86_sys_quick_end
	.hidden	mw_x86_sys_quick, mw_x86_sys_quick_end
	.type	mw_x86_sys_quick, @function
	.p2align 4
mw_x86_sys_quick:
	.cfi_startproc simple
	ON_F
	mov	%rsp, %rax			/* F, the stub's frame */
	HOT_STACK_TOP .Lhot
	and	$-16, %rdx
	/* 0-40 the arguments (a[6]), 48 F, 56 r11, 64 the number. */
	lea	-96(%rdx), %rsp
	F_IN_RAX
	mov	%rax, 48(%rsp)
	F_AT_48
	mov	%rdi, 0(%rsp)
	mov	%rsi, 8(%rsp)
	mov	8(%rax), %rcx
	mov	%rcx, 16(%rsp)
	mov	%r10, 24(%rsp)
	mov	%r8, 32(%rsp)
	mov	%r9, 40(%rsp)
	mov	%r11, 56(%rsp)
	mov	32(%rax), %rdi
	mov	%rdi, 64(%rsp)
	mov	%rsp, %rsi
	cld
	call	*mw_x86_sys_quick_fn(%rip)
	test	%eax, %eax
	jz	.Lslow
	mov	64(%rsp), %rax
	mov	0(%rsp), %rdi
	mov	8(%rsp), %rsi
	mov	16(%rsp), %rdx
	mov	24(%rsp), %r10
	mov	32(%rsp), %r8
	mov	40(%rsp), %r9
	call	mw_gate_syscall_raw
	cmp	$-14, %rax			/* -EFAULT */
	je	.Lslow
	/* Back on the stub's frame: RDX and the flags from it, RCX the site
	 * (after its syscall), which is also where `ret $128` goes. */
	.cfi_remember_state
	mov	48(%rsp), %rsp
	ON_F
	mov	0(%rsp), %r11
	mov	0(%r11), %rcx
	mov	%rcx, 16(%rsp)
	mov	%rcx, 32(%rsp)
	mov	24(%rsp), %r11
	lea	8(%rsp), %rsp
	.cfi_def_cfa rsp, 160
	.cfi_offset rip, -136
	.cfi_offset rdx, -160
	pop	%rdx
	.cfi_def_cfa rsp, 152
	.cfi_same_value rdx
	pop	%rcx
	.cfi_def_cfa rsp, 144
	popfq
	.cfi_def_cfa rsp, 136
	ret	$128
.Lslow:
	.cfi_restore_state
	mov	0(%rsp), %rdi
	mov	8(%rsp), %rsi
	mov	24(%rsp), %r10
	mov	32(%rsp), %r8
	mov	40(%rsp), %r9
	mov	56(%rsp), %r11
	mov	48(%rsp), %rsp
	ON_F
.Lhot:
	jmp	mw_x86_hot_slow
	.cfi_endproc
mw_x86_sys_quick_end:
	.size	mw_x86_sys_quick, .-mw_x86_sys_quick

	.section .note.GNU-stack, "", @progbits

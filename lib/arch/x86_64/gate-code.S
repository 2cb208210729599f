/* SPDX-License-Identifier: MIT */
/*
 * gate-code.S - the only code whose system calls syscall user dispatch lets
 * through while watches are live (see sys/dispatch.h).
 *
 * Everything here sits in its own section, mw_gate, whose bounds the
 * linker provides (__start_mw_gate, __stop_mw_gate): the region given to
 * prctl(PR_SET_SYSCALL_USER_DISPATCH).  System calls made anywhere else,
 * by the program or by the rest of the library, raise SIGSYS.
 *
 *   long mw_gate_syscall(long nr, long a1, ..., long a6)
 *       One system call, as the kernel's ABI wants it.
 *   long mw_gate_clone(const long *nra, const greg_t *gregs, uintptr_t sp,
 *                      void (*early)(void), long how)
 *       clone/clone3/fork/vfork with NRA[0] the number and NRA[1..6] the
 *       arguments.  The parent returns the result.  The child never
 *       returns: if HOW & 1 (it shares the parent's memory), it leaves the
 *       alternate signal stack it shares with the parent; it turns syscall
 *       user dispatch on for itself (the kernel does not inherit it),
 *       calls EARLY if not NULL (on its stack below SP), then resumes the
 *       program right after its system call, with the registers of GREGS
 *       (the signal frame's, RAX 0, RCX and R11 as the kernel leaves them)
 *       and RSP = SP.  If HOW & 2, the caller blocked every signal for
 *       the clone and GREGS[NGREG] is the mask to put back: the child does
 *       so once RSP is below GREGS.
 *   __restore_rt
 *       The return from our signal handlers: rt_sigreturn from inside the
 *       region.  Named and written like glibc's (mov $15,%rax; syscall), so
 *       GDB and libunwind recognize the signal frame.
 *   mw_gate_sigreturn
 *       Where a program's own rt_sigreturn is resumed (RSP unchanged).
 */

#include "arch/x86_64/cfi.h"
	.section mw_gate, "ax", @progbits
	.globl	mw_gate_syscall, mw_gate_clone, mw_gate_sigreturn, mw_gate_prctl
	.hidden	mw_gate_syscall, mw_gate_clone, mw_gate_sigreturn, mw_gate_prctl

	.type	mw_gate_syscall, @function
mw_gate_syscall:
	.cfi_startproc
	mov	%rdi, %rax
	mov	%rsi, %rdi
	mov	%rdx, %rsi
	mov	%rcx, %rdx
	mov	%r8, %r10
	mov	%r9, %r8
	mov	8(%rsp), %r9
	syscall
	ret
	.cfi_endproc
	.size	mw_gate_syscall, .-mw_gate_syscall

/* mw_gate_syscall_raw: one system call with every register as the kernel's
 * ABI wants it already (sysquick.S). */
	.globl	mw_gate_syscall_raw
	.hidden	mw_gate_syscall_raw
	.type	mw_gate_syscall_raw, @function
mw_gate_syscall_raw:
	.cfi_startproc
	syscall
	ret
	.cfi_endproc
	.size	mw_gate_syscall_raw, .-mw_gate_syscall_raw

/* long mw_gate_syscall_sp(long nr, long a1, long a2, uintptr_t sp): a
 * system call of two arguments made with RSP = SP, for the kernel's look at
 * the user stack pointer (sigaltstack refuses to change the stack RSP is
 * on).  Nothing is written at SP; the caller holds signals meanwhile. */
	.globl	mw_gate_syscall_sp
	.hidden	mw_gate_syscall_sp
	.type	mw_gate_syscall_sp, @function
mw_gate_syscall_sp:
	.cfi_startproc
	mov	%rdi, %rax
	mov	%rsi, %rdi
	mov	%rdx, %rsi
	mov	%rsp, %r8
	mov	%rcx, %rsp
	syscall
	mov	%r8, %rsp
	ret
	.cfi_endproc
	.size	mw_gate_syscall_sp, .-mw_gate_syscall_sp

/* gregs[] offsets (sys/ucontext.h): R8 0, R9 8, R10 16, R11 24, R12 32,
 * R13 40, R14 48, R15 56, RDI 64, RSI 72, RBP 80, RBX 88, RDX 96, RAX 104,
 * RCX 112, RSP 120, RIP 128, EFL 136. */
	.type	mw_gate_clone, @function
mw_gate_clone:
	.cfi_startproc
	push_saved %r12
	push_saved %r13
	push_saved %r14
	push_saved %r15
	mov	%rsi, %r12		/* gregs */
	mov	%rdx, %r13		/* the child's stack pointer */
	mov	%rcx, %r14		/* early */
	mov	%r8, %r15		/* how */
	mov	0(%rdi), %rax
	mov	16(%rdi), %rsi
	mov	24(%rdi), %rdx
	mov	32(%rdi), %r10
	mov	40(%rdi), %r8
	mov	48(%rdi), %r9
	mov	8(%rdi), %rdi
	syscall
	test	%rax, %rax
	jz	1f
	pop_saved %r15
	pop_saved %r14
	pop_saved %r13
	pop_saved %r12
	ret
	.cfi_endproc
1:	/* The child, on its own stack (or a copy of ours).  Nothing below
	 * may depend on the parent's frames, which may be gone already.
	 * A vfork child shares the parent's alternate signal stack, where the
	 * parent waits in our handler: the child must not use it.  Off it
	 * first (below the program's red zone): the kernel refuses to
	 * disable the stack a thread is running on (EPERM), and the child's
	 * handlers would then overwrite the parent's frames there. */
	lea	-512(%r13), %rsp
	and	$-16, %rsp
	/* A forked child's alternate stack is its own copy: it keeps it. */
	test	$1, %r15b
	jz	3f
	mov	$131, %eax		/* sigaltstack(&disabled, NULL) */
	lea	altstack_off(%rip), %rdi
	xor	%esi, %esi
	syscall
	/* A thread: dispatch on its own switch, in its TLS (1 from the TLS
	 * image), which nobody else turns - the process-wide one turns on
	 * at a first watch while the thread may block SIGSYS (glibc blocks
	 * every signal before a thread's exit), and a dispatched call it
	 * blocks kills the process.  Its first SIGSYS gives it a slot's
	 * switch (perthread.c). */
	call	mw_gate_prctl_thread
	jmp	5f
3:	call	mw_gate_prctl
5:	test	%r14, %r14
	jz	2f
	call	*%r14
2:	/* The registers, read while RSP is still below the copy of them
	 * (mw_arch_sys_clone's, at about sp - 512): a signal taken here
	 * (the first watch's question to every thread, say) puts its frame
	 * below RSP, not over them.  The last four go above, at sp - 32:
	 * R13, R12, the flags, RIP - popped once RSP is there. */
	mov	128(%r12), %rcx		/* RIP: after the program's syscall */
	mov	%rcx, -8(%r13)
	mov	136(%r12), %r11		/* EFL */
	mov	%r11, -16(%r13)
	mov	32(%r12), %rcx
	mov	%rcx, -24(%r13)		/* r12 */
	mov	40(%r12), %rcx
	mov	%rcx, -32(%r13)		/* r13 */
	/* Signals as the program had them: blocked by the parent until here,
	 * where the frame of one taken at once goes below RSP (a signal
	 * pending at the clone - the first watch's question to every
	 * thread - would otherwise be delivered at the child's first
	 * instruction, with RSP = SP, its frame over GREGS). */
	test	$2, %r15b
	jz	4f
	mov	$14, %eax		/* rt_sigprocmask(SIG_SETMASK, &mask, NULL, 8) */
	mov	$2, %edi
	lea	184(%r12), %rsi
	xor	%edx, %edx
	mov	$8, %r10d
	syscall
4:
	mov	0(%r12), %r8
	mov	8(%r12), %r9
	mov	16(%r12), %r10
	mov	48(%r12), %r14
	mov	56(%r12), %r15
	mov	64(%r12), %rdi
	mov	72(%r12), %rsi
	mov	80(%r12), %rbp
	mov	88(%r12), %rbx
	mov	96(%r12), %rdx
	mov	128(%r12), %rcx		/* rcx and r11 as a syscall leaves them */
	lea	-32(%r13), %rsp
	pop	%r13
	pop	%r12
	xor	%eax, %eax
	popfq
	ret
	.size	mw_gate_clone, .-mw_gate_clone

/* void mw_gate_prctl(void): prctl(PR_SET_SYSCALL_USER_DISPATCH,
 * PR_SYS_DISPATCH_ON, region, size, selector) for the calling thread.
 * Clobbers rax, rcx, rdx, rsi, rdi, r8, r10, r11. */
	.type	mw_gate_prctl, @function
mw_gate_prctl:
	.cfi_startproc
	mov	$157, %eax		/* prctl */
	mov	$59, %edi		/* PR_SET_SYSCALL_USER_DISPATCH */
	mov	$1, %esi		/* PR_SYS_DISPATCH_ON */
	lea	__start_mw_gate(%rip), %rdx
	lea	__stop_mw_gate(%rip), %r10
	sub	%rdx, %r10
	lea	mw_arch_gate_selector(%rip), %r8
	syscall
	ret
	.cfi_endproc
	.size	mw_gate_prctl, .-mw_gate_prctl

/* void mw_gate_prctl_thread(void): the same with the calling thread's
 * own switch, mw_x86_thread_selector in its TLS. */
	.type	mw_gate_prctl_thread, @function
mw_gate_prctl_thread:
	.cfi_startproc
	mov	$157, %eax		/* prctl */
	mov	$59, %edi		/* PR_SET_SYSCALL_USER_DISPATCH */
	mov	$1, %esi		/* PR_SYS_DISPATCH_ON */
	lea	__start_mw_gate(%rip), %rdx
	lea	__stop_mw_gate(%rip), %r10
	sub	%rdx, %r10
	mov	mw_x86_thread_selector@gottpoff(%rip), %r8
	add	%fs:0, %r8
	syscall
	ret
	.cfi_endproc
	.size	mw_gate_prctl_thread, .-mw_gate_prctl_thread

	.balign	8
altstack_off:				/* stack_t { NULL, SS_DISABLE, 0 } */
	.quad	0
	.long	2, 0
	.quad	0

	.type	mw_gate_sigreturn, @function
mw_gate_sigreturn:
	mov	$15, %rax
	syscall
	hlt
	.size	mw_gate_sigreturn, .-mw_gate_sigreturn

	/* The return from our handlers.  Local, named and written like
	 * glibc's, with CFI that says where the signal frame keeps each
	 * register (at RSP: the ucontext; its gregs at offset 40), so that
	 * libunwind and GDB unwind through it.  The FDE starts one byte early,
	 * at the nop: unwinders look up a return address minus one. */
	.cfi_startproc simple
	.cfi_signal_frame
	.cfi_escape 0x0f, 4, 0x77, 0xa0, 0x01, 0x06	/* CFA = the saved rsp */
	.cfi_escape 0x10, 8, 2, 0x77, 0x28	/* r8 */
	.cfi_escape 0x10, 9, 2, 0x77, 0x30	/* r9 */
	.cfi_escape 0x10, 10, 2, 0x77, 0x38	/* r10 */
	.cfi_escape 0x10, 11, 3, 0x77, 0xc0, 0x00	/* r11 */
	.cfi_escape 0x10, 12, 3, 0x77, 0xc8, 0x00	/* r12 */
	.cfi_escape 0x10, 13, 3, 0x77, 0xd0, 0x00	/* r13 */
	.cfi_escape 0x10, 14, 3, 0x77, 0xd8, 0x00	/* r14 */
	.cfi_escape 0x10, 15, 3, 0x77, 0xe0, 0x00	/* r15 */
	.cfi_escape 0x10, 5, 3, 0x77, 0xe8, 0x00	/* rdi */
	.cfi_escape 0x10, 4, 3, 0x77, 0xf0, 0x00	/* rsi */
	.cfi_escape 0x10, 6, 3, 0x77, 0xf8, 0x00	/* rbp */
	.cfi_escape 0x10, 3, 3, 0x77, 0x80, 0x01	/* rbx */
	.cfi_escape 0x10, 1, 3, 0x77, 0x88, 0x01	/* rdx */
	.cfi_escape 0x10, 0, 3, 0x77, 0x90, 0x01	/* rax */
	.cfi_escape 0x10, 2, 3, 0x77, 0x98, 0x01	/* rcx */
	.cfi_escape 0x10, 16, 3, 0x77, 0xa8, 0x01	/* rip */
	nop
	.type	__restore_rt, @function
__restore_rt:
	mov	$15, %rax
	syscall
	hlt
	.cfi_endproc
	.size	__restore_rt, .-__restore_rt
	.globl	mw_gate_restorer
	.hidden	mw_gate_restorer
	.set	mw_gate_restorer, __restore_rt

	.section .note.GNU-stack,"",@progbits

/* SPDX-License-Identifier: MIT */
/*
 * probe.S - memory probes that may fault (see probe.h).
 * Leaf functions without stack frames: a fault inside one resumes at
 * mw_probe_fail, whose `ret` returns to the probe's caller.
 */
	.text
	.globl	mw_probe_begin, mw_probe_end, mw_probe_fail
	.hidden	mw_probe_begin, mw_probe_end, mw_probe_fail
	.globl	mw_probe_copy, mw_probe_writable
	.hidden	mw_probe_copy, mw_probe_writable

mw_probe_begin:

/* int mw_probe_copy(void *dst %rdi, const void *src %rsi, size_t n %rdx) */
	.type	mw_probe_copy, @function
mw_probe_copy:
	test	%rdx, %rdx
	jz	2f
1:	movb	(%rsi), %al
	movb	%al, (%rdi)
	inc	%rsi
	inc	%rdi
	dec	%rdx
	jnz	1b
2:	xor	%eax, %eax
	ret
	.size	mw_probe_copy, .-mw_probe_copy

/* int mw_probe_writable(void *p %rdi) */
	.type	mw_probe_writable, @function
mw_probe_writable:
	lock orb $0, (%rdi)
	xor	%eax, %eax
	ret
	.size	mw_probe_writable, .-mw_probe_writable

mw_probe_end:

mw_probe_fail:
	mov	$-1, %eax
	ret

	.section .note.GNU-stack,"",@progbits

/* SPDX-License-Identifier: MIT */
/*
 * sigframe.c - x86-64 signal frames moved from the library's alternate
 * stack to where the kernel would have built them (see arch.h,
 * mw_arch_sigframe_*).
 * Fault path: mw_probe_copy, memcpy.  Nothing else.
 *
 * The kernel's frame (arch/x86/kernel/signal_64.c, get_sigframe): below
 * the interrupted stack pointer, the 128-byte red zone; below that the
 * extended state (XSAVE or FXSAVE image), 64-byte aligned; below that the
 * struct rt_sigframe { restorer; kernel ucontext; siginfo }, placed so
 * that the stack pointer at the handler's entry (the restorer's slot) is
 * 8 past a 16-byte boundary, as after a call.
 */
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <ucontext.h>

#include "arch/arch.h"

/* The kernel's struct ucontext: flags, link, stack_t, sigcontext (the
 * same 256 bytes as glibc's mcontext_t), one 8-byte sigset. */
#define KUC_SIZE (8 + 8 + 24 + 256 + 8)
#define INFO_SIZE 128
#define REDZONE 128
#define FP_MAGIC1 0x46505853u
#define FXSAVE_SIZE 512

/* Bytes of the extended state image at FP: what its software-reserved
 * words say (XSAVE), or the legacy image. */
static size_t fp_size(const uint8_t *fp)
{
	uint32_t magic, extended;

	memcpy(&magic, fp + 464, 4);
	memcpy(&extended, fp + 468, 4);
	return magic == FP_MAGIC1 && extended >= FXSAVE_SIZE && extended <= 65536 ? extended :
										      FXSAVE_SIZE;
}

int mw_arch_sigframe_place(const void *uc, const void *si, uintptr_t sp, uintptr_t *lo)
{
	const ucontext_t *u = uc;
	const uint8_t *fp = (const uint8_t *)u->uc_mcontext.fpregs;
	uintptr_t fp_new, frame;

	/* The kernel's layout, or nothing: siginfo right after the kernel
	 * ucontext, the restorer's slot right before it. */
	if ((uintptr_t)si != (uintptr_t)uc + KUC_SIZE || !fp || (uintptr_t)fp % 64)
		return -1;
	fp_new = (sp - REDZONE - fp_size(fp)) & ~(uintptr_t)63;
	frame = ((fp_new - (8 + KUC_SIZE + INFO_SIZE)) & ~(uintptr_t)15) - 8;
	*lo = frame;
	return 0;
}

int mw_arch_sigframe_move(void *uc, const void *si, uintptr_t sp, void *handler, int sig)
{
	ucontext_t *u = uc;
	const uint8_t *fp = (const uint8_t *)u->uc_mcontext.fpregs;
	uintptr_t lo, fp_new;
	size_t fpn;

	if (mw_arch_sigframe_place(uc, si, sp, &lo) < 0)
		return -1;
	fpn = fp_size(fp);
	fp_new = (sp - REDZONE - fpn) & ~(uintptr_t)63;
	/* The state image, then restorer, ucontext and siginfo in one; the
	 * moved ucontext's pointer to its state image is the moved one's.
	 * A page that cannot be written (the stack's limit) leaves the
	 * frame where it is. */
	if (mw_probe_copy((void *)fp_new, fp, fpn) < 0 ||
	    mw_probe_copy((void *)lo, (const uint8_t *)uc - 8, 8 + KUC_SIZE + INFO_SIZE) < 0)
		return -1;
	((ucontext_t *)(lo + 8))->uc_mcontext.fpregs = (void *)fp_new;
	/* As the kernel enters a handler: RSP at the restorer's slot, RDI the
	 * signal, RSI and RDX the siginfo and ucontext, RAX 0 (no vector
	 * arguments), the direction flag clear. */
	__asm__ volatile("mov %0, %%rsp\n\t"
			 "cld\n\t"
			 "xor %%eax, %%eax\n\t"
			 "jmp *%1"
			 :
			 : "a"(lo), "c"(handler), "D"((long)sig), "S"(lo + 8 + KUC_SIZE),
			   "d"(lo + 8)
			 : "memory");
	__builtin_unreachable();
}

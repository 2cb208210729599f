/* SPDX-License-Identifier: MIT */
/*
 * regs.h - the interrupted context's registers, as the kernel's signal
 * frame holds them (mcontext_t.gregs).
 */
#ifndef MW_X86_REGS_H
#define MW_X86_REGS_H

#include <signal.h>
#include <stdint.h>
#include <ucontext.h>

#define MW_EFL_TF 0x100
#define MW_EFL_ZF 0x040
#define MW_EFL_DF 0x400
#define MW_EFL_AC 0x40000

/* The frame's XSAVE area and its feature mask, or NULL if the frame has
 * only the legacy FXSAVE layout.  [fault path] */
static inline void *mw_x86_xsave_area(ucontext_t *uc, uint64_t *mask)
{
	uint8_t *fp = (uint8_t *)uc->uc_mcontext.fpregs;
	uint32_t magic1;

	/* struct _fpx_sw_bytes sits in the FXSAVE area's software-reserved
	 * bytes (offset 464): magic1, extended_size, xfeatures. */
	if (!fp || ((uintptr_t)fp & 63))
		return NULL;
	__builtin_memcpy(&magic1, fp + 464, 4);
	if (magic1 != 0x46505853u)          /* FP_XSTATE_MAGIC1 */
		return NULL;
	__builtin_memcpy(mask, fp + 464 + 8, 8);
	return fp;
}

#endif /* MW_X86_REGS_H */

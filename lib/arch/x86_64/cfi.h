/* SPDX-License-Identifier: MIT */
/*
 * cfi.h - for the .S files: pushing and popping a register that the
 * unwinder must find (its call frame information follows each move), so
 * that backtraces and GDB see through the library's assembly.
 */
#ifndef MW_X86_CFI_H
#define MW_X86_CFI_H

.macro push_saved reg:req
	push	\reg
	.cfi_adjust_cfa_offset 8
	.cfi_rel_offset \reg, 0
.endm

.macro pop_saved reg:req
	pop	\reg
	.cfi_adjust_cfa_offset -8
	.cfi_restore \reg
.endm

#endif /* MW_X86_CFI_H */

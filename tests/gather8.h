/* SPDX-License-Identifier: MIT */
/*
 * gather8.h - t_gather8(base, idx, out): vpgatherdd ymm0, [base +
 * ymm1*4], all-ones mask: eight dword loads from base + 4 * idx[i] into
 * out[0..7] (header only: one asm definition per test program).
 */
#ifndef MW_TEST_GATHER8_H
#define MW_TEST_GATHER8_H

__asm__(
	".text\n"
	".globl t_gather8\n"
	".hidden t_gather8\n"
	".type t_gather8, @function\n"
	"t_gather8:\n"
	"	vmovdqu (%rsi), %ymm1\n"
	"	vpcmpeqd %ymm2, %ymm2, %ymm2\n"
	"	vpxor %ymm0, %ymm0, %ymm0\n"
	"	vpgatherdd %ymm2, (%rdi,%ymm1,4), %ymm0\n"
	"	vmovdqu %ymm0, (%rdx)\n"
	"	vzeroupper\n"
	"	ret\n"
	".size t_gather8, .-t_gather8\n");

void t_gather8(const int *base, const int *idx, int *out);

#endif /* MW_TEST_GATHER8_H */

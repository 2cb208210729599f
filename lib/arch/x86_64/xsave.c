/* SPDX-License-Identifier: MIT */
/*
 * xsave.c - the layout of the XSAVE area on this processor, from CPUID and
 * XCR0 (see insn.h): where the vector state's parts are, and how many bytes
 * an xsave-family instruction touches for its feature mask.
 * mw_x86_xsave_init: [thread], once.  mw_x86_xsave_extent: [fault path],
 * reads of the tables only.
 */
#include <cpuid.h>
#include <stddef.h>
#include <stdint.h>

#include "arch/x86_64/insn.h"
#include "base/sigsafe.h"

uint32_t mw_x86_xsave_ymmh, mw_x86_xsave_opmask, mw_x86_xsave_zmmh, mw_x86_xsave_hi16,
	 mw_x86_xsave_size;

/* The XSAVE components XCR0 enables, and for each from 2 on (the ones
 * after the 512-byte legacy region and the 64-byte header): its size, its
 * offset in the standard form, whether the compacted form aligns it to 64. */
#define XSAVE_COMPONENTS 64
#define XSAVE_LEGACY_AND_HEADER 576
static uint64_t xcr0;
static struct { uint32_t size, offset; uint8_t align64; } component[XSAVE_COMPONENTS];

static void xsave_components(void)
{
	unsigned a, b, c, d;

	__cpuid(1, a, b, c, d);
	if (!(c & (1u << 27)))  /* OSXSAVE: xgetbv is allowed */
		return;
	__asm__ volatile("xgetbv" : "=a"(a), "=d"(d) : "c"(0));
	xcr0 = ((uint64_t)d << 32) | a;
	for (unsigned i = 2; i < XSAVE_COMPONENTS; i++)
		if (xcr0 & (1ull << i)) {
			__cpuid_count(0xd, i, a, b, c, d);
			component[i].size = a;
			component[i].offset = b;
			component[i].align64 = (c & 2) != 0;
		}
}

uint32_t mw_x86_xsave_extent(unsigned form, uint64_t rfbm)
{
	uint32_t standard = XSAVE_LEGACY_AND_HEADER, compact = XSAVE_LEGACY_AND_HEADER;

	rfbm &= xcr0;
	for (unsigned i = 2; i < XSAVE_COMPONENTS; i++) {
		if (!(rfbm & (1ull << i)))
			continue;
		if (component[i].offset + component[i].size > standard)
			standard = component[i].offset + component[i].size;
		if (component[i].align64)
			compact = (compact + 63) & ~63u;
		compact += component[i].size;
	}
	switch (form) {
	case MW_XSAVE_STANDARD:
		return standard;
	case MW_XSAVE_COMPACT:
		return compact;
	default:                /* xrstor reads either form, as its header says */
		return standard > compact ? standard : compact;
	}
}

void mw_x86_xsave_init(void)
{
	unsigned a, b, c, d;

	if (__get_cpuid_max(0, NULL) < 0xd)
		return;
	__cpuid_count(0xd, 0, a, b, c, d);
	mw_x86_xsave_size = b;  /* the features XCR0 enables, standard form */
	__cpuid_count(0xd, 2, a, b, c, d);
	mw_x86_xsave_ymmh = a ? b : 0;
	__cpuid_count(0xd, 5, a, b, c, d);
	mw_x86_xsave_opmask = a ? b : 0;
	__cpuid_count(0xd, 6, a, b, c, d);
	mw_x86_xsave_zmmh = a ? b : 0;
	__cpuid_count(0xd, 7, a, b, c, d);
	mw_x86_xsave_hi16 = a ? b : 0;
	xsave_components();
}

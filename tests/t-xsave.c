/* SPDX-License-Identifier: MIT */
/*
 * t-xsave.c - the xsave family on watched memory touches, and records, only
 * the bytes its mask asks for.  The lazy binding trampoline saves vector
 * state with xsavec below the stack pointer; counting every component XCR0
 * enables (PKRU, AMX tiles) reached past the save area into the caller's
 * locals and logged accesses to them that never happened.
 */
#include <cpuid.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include "memwatch.h"
#include "tap.h"

#define AREA 576        /* legacy region + header: what a mask of SSE alone touches */

static uint64_t count_of(int id)
{
	uint64_t c = 0;

	return mw_count(id, &c) ? UINT64_MAX : c;
}

int main(void)
{
	unsigned a, b, c, d;
	uint8_t *p;
	int area, after;

	if (__get_cpuid_max(0, NULL) < 0xd)
		skip_all("no CPUID leaf 0xd");
	__cpuid(1, a, b, c, d);
	if (!(c & (1u << 27)))
		skip_all("xsave is not enabled by the kernel");
	__cpuid_count(0xd, 1, a, b, c, d);
	if (!(a & 2))
		skip_all("no xsavec on this CPU");
	plan(8);
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		bail("mmap");
	memset(p, 0, AREA);                 /* a valid header: its reserved bytes 0 */
	memset(p + AREA, 0x5a, 4096 - AREA);
	area = mw_watch(p, AREA, MW_ACCESS);
	after = mw_watch(p + AREA, 4096 - AREA, MW_ACCESS);
	ok(area > 0 && after > 0, "two watches: the save area and the bytes after it (%d, %d)",
	   area, after);

	/* xsavec of SSE state alone (edx:eax = 2): 576 bytes. */
	__asm__ volatile("xsavec (%0)" : : "r"(p), "a"(2), "d"(0) : "memory");
	is_u64(count_of(area), 1, "xsavec: one write to the area");
	is_u64(count_of(after), 0, "xsavec: none to the bytes after it");
	/* Bit 63 of XCOMP_BV (offset 520) says the compacted form (a read
	 * of the area: the second access). */
	ok((p[527] & 0x80) != 0, "the area is in the compacted form");

	/* xrstor of it, and xsave (standard form) of SSE: 576 bytes too. */
	__asm__ volatile("xrstor (%0)" : : "r"(p), "a"(2), "d"(0) : "memory");
	is_u64(count_of(area), 3, "xrstor: one read of the area");
	__asm__ volatile("xsave (%0)" : : "r"(p), "a"(2), "d"(0) : "memory");
	is_u64(count_of(area), 4, "xsave: one access to the area");
	is_u64(count_of(after), 0, "xrstor and xsave: none to the bytes after it");
	mw_unwatch(area);
	mw_unwatch(after);
	ok(p[AREA] == 0x5a && p[4095] == 0x5a, "the bytes after the area are as they were");
	return done();
}

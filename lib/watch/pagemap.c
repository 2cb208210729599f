/* SPDX-License-Identifier: MIT */
/*
 * pagemap.c - the faulting pages, two bits each (see pagemap.h).
 * [thread, library lock held]: mmap, madvise, relaxed atomics.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>
#include <sys/mman.h>

#include "watch/pagemap.h"

static uint8_t *map;
/* The bytes of the map that may hold set bits, [lo, hi). */
static uintptr_t used_lo = UINTPTR_MAX, used_hi;

int mw_pagemap_init(void)
{
	void *p;

	if (map)
		return 0;
	/* Far from the program's code (a hint): a short instruction's
	 * punned jump (x86-64) may need a page within 2 GiB of the code. */
	p = mmap((void *)(16ull << 40), MW_PAGEMAP_BYTES, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return -errno;
	/* Not in core dumps: 8 GiB of zeros would be the most of one. */
	madvise(p, MW_PAGEMAP_BYTES, MADV_DONTDUMP);
	map = p;
	return 0;
}

const uint8_t *mw_pagemap_base(void)
{
	return map;
}

static void set_bit(uint64_t bit, int on)
{
	_Atomic uint8_t *b = (_Atomic uint8_t *)&map[bit >> 3];
	uint8_t m = (uint8_t)(1u << (bit & 7));

	/* relaxed: a hint (pagemap.h); readers tolerate either value. */
	if (on)
		atomic_fetch_or_explicit(b, m, memory_order_relaxed);
	else
		atomic_fetch_and_explicit(b, (uint8_t)~m, memory_order_relaxed);
}

void mw_pagemap_set(uintptr_t lo, uintptr_t hi, int writes, int reads)
{
	if (!map || hi > (1ull << 47))
		return;
	for (uintptr_t p = lo; p < hi; p += 4096) {
		uint64_t page = p >> 12;

		set_bit(2 * page, writes);
		set_bit(2 * page + 1, reads);
	}
	if (lo < hi && (writes || reads)) {
		if ((lo >> 12) * 2 / 8 < used_lo)
			used_lo = (lo >> 12) * 2 / 8;
		if ((hi >> 12) * 2 / 8 + 1 > used_hi)
			used_hi = (hi >> 12) * 2 / 8 + 1;
	}
}

void mw_pagemap_clear(void)
{
	uintptr_t a, b;

	if (!map || used_lo >= used_hi)
		return;
	a = used_lo & ~(uintptr_t)4095;
	b = (used_hi + 4095) & ~(uintptr_t)4095;
	/* Private anonymous memory reads as zeros after MADV_DONTNEED. */
	madvise(map + a, b - a, MADV_DONTNEED);
	used_lo = UINTPTR_MAX;
	used_hi = 0;
}

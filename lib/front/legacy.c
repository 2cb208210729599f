/* SPDX-License-Identifier: MIT */
/*
 * legacy.c - the original MemWatcher API on top of mw_watch.  [thread]
 */
#include <stdio.h>
#include <sys/mman.h>

#include "front/api.h"
#include "memwatch.h"
#include "memwatcher.h"

void _watch_address(void *addr, size_t size, int prot)
{
	unsigned flags;
	int r;

	if (prot == PROT_NONE)
		flags = MW_ACCESS;
	else if (prot == PROT_READ)
		flags = MW_WRITE;
	else {
		fprintf(stderr, "memwatch: _watch_address(%p, %zu, %d): prot must be "
			"PROT_NONE (reads and writes) or PROT_READ (writes); not watched\n",
			addr, size, prot);
		return;
	}
	r = mw_watch(addr, size, flags);
	if (r < 0)
		fprintf(stderr, "memwatch: _watch_address(%p, %zu): %s; not watched\n",
			addr, size, mw_strerror(r));
}

void _unwatch_address(void *addr, int prot)
{
	int id = mw_id_at((uintptr_t)addr);

	(void)prot;
	if (id < 0 || mw_unwatch(id) < 0)
		fprintf(stderr, "memwatch: _unwatch_address(%p): no watch starts there\n", addr);
}

uint32_t _get_trap_count(void)
{
	return (uint32_t)mw_total_count();
}

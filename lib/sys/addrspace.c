/* SPDX-License-Identifier: MIT */
/*
 * addrspace.c - address-space calls over watched memory (see addrspace.h).
 * Fault path: kernelmem.h, mw_table_*, mw_record_after, mw_arch_gate_syscall,
 * mw_arch_sys_site; and, outside any table epoch, the gone callback and the
 * library lock with mw_protect_change (which take their time: watches
 * end, protections change).
 */
#include <stdbool.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "arch/arch.h"
#include "log/record.h"
#include "memwatch.h"
#include "sys/addrspace.h"
#include "sys/kernelmem.h"
#include "threads/lock.h"
#include "watch/protect.h"
#include "watch/table.h"

/* madvise(MADV_DONTNEED) on watched pages: their memory is a memfd now,
 * where the advice would keep the contents; punch them out of the memfd
 * instead, so that they read as zeros as before, and log the kernel's
 * write.  MADV_FREE may keep contents anyway: nothing more to do. */
long mw_sys_madvise(void *uc, const long a[6])
{
	uintptr_t lo = (uintptr_t)a[0], hi = lo + (uintptr_t)a[1];
	long r = mw_sys6(SYS_madvise, a);

	if (r < 0 || a[2] != MADV_DONTNEED || hi <= lo)
		return r;
	for (;;) {
		unsigned slot;
		const struct mw_snapshot *s = mw_table_enter(&slot);
		struct mw_fault f;

		if (!mw_sys_touches(s, lo, hi)) {
			mw_table_exit(slot);
			return r;
		}
		if (mw_sys_busy_out(s, lo, hi - lo)) {
			mw_table_exit(slot);
			mw_sys_yield();
			continue;
		}
		mw_sys_record_setup(&f, s, uc, lo, hi - lo, MW_WRITE);
		mw_sys_record_before(&f);
		for (size_t i = 0; i < s->nspans; i++) {
			const struct mw_span *sp = &s->spans[i];
			uintptr_t from = sp->start > lo ? sp->start : lo;
			uintptr_t to = sp->end < hi ? sp->end : hi;

			if (from < to && !sp->shared)
				mw_arch_gate_syscall(SYS_madvise, (long)(sp->alias + (from - sp->start)),
						     (long)(to - from), MADV_REMOVE, 0, 0, 0);
		}
		mw_record_after(&f);
		mw_table_exit(slot);
		return r;
	}
}

/* The front's end of the watches over memory that goes away (front/api.h). */
static void (*gone)(uintptr_t lo, uintptr_t hi, uintptr_t pc);

void mw_sys_set_gone(void (*fn)(uintptr_t lo, uintptr_t hi, uintptr_t pc))
{
	gone = fn;
}

/* The program unmaps, moves or replaces memory, or changes its protection:
 * watches over memory that goes away end (front/api.h), the program's protection
 * of watched pages is kept for when their watches end.  The library's own
 * calls, made under its lock, pass. */
long mw_sys_address_space(void *uc, long nr, const long a[6], bool *done)
{
	uintptr_t lo = 0, hi = 0, pg = 4096;
	unsigned slot;
	const struct mw_snapshot *s;
	bool touched;

	*done = false;
	if (mw_lock_held())
		return 0;
	switch (nr) {
	case SYS_munmap:
		lo = (uintptr_t)a[0];
		hi = lo + (uintptr_t)a[1];
		break;
	case SYS_mremap:
		/* The old range goes (old size 0 on shared memory: a copy stays),
		 * and a fixed destination is replaced.  Shrinking in place, only
		 * its end goes.  Ending the watches gives the range back as the
		 * program's own mapping, whole again (front/api.h), which the
		 * kernel moves or resizes as without them. */
		if (a[1]) {
			lo = (uintptr_t)a[0];
			hi = lo + (uintptr_t)a[1];
			if (!(a[3] & MREMAP_FIXED) && (uintptr_t)a[2] <= (uintptr_t)a[1] &&
			    !(lo & (pg - 1)))
				lo += ((uintptr_t)a[2] + pg - 1) & ~(pg - 1);
		}
		if (a[3] & MREMAP_FIXED) {
			s = mw_table_enter(&slot);
			touched = mw_sys_touches(s, (uintptr_t)a[4], (uintptr_t)a[4] + (uintptr_t)a[2]);
			mw_table_exit(slot);
			if (touched)
				gone((uintptr_t)a[4], (uintptr_t)a[4] + (uintptr_t)a[2],
					    mw_arch_sys_site(uc));
		}
		break;
	case SYS_mmap:
		if (!(a[3] & (MAP_FIXED | MAP_FIXED_NOREPLACE)) || (a[3] & MAP_FIXED_NOREPLACE))
			return 0;
		lo = (uintptr_t)a[0];
		hi = lo + (uintptr_t)a[1];
		break;
	case SYS_brk: {
		uintptr_t now = (uintptr_t)mw_arch_gate_syscall(SYS_brk, 0, 0, 0, 0, 0, 0);

		if (a[0] && (uintptr_t)a[0] < now) {
			lo = (uintptr_t)a[0];
			hi = now;
		}
		break;
	}
	case SYS_mprotect:
		lo = (uintptr_t)a[0];
		hi = lo + (uintptr_t)a[1];
		break;
	default:
		return 0;
	}
	if (lo & (pg - 1))
		return 0;       /* EINVAL from the kernel */
	hi = (hi + pg - 1) & ~(uintptr_t)(pg - 1);
	if (hi <= lo)
		return 0;
	s = mw_table_enter(&slot);
	touched = mw_sys_touches(s, lo, hi);
	mw_table_exit(slot);
	if (!touched)
		return 0;
	if (nr == SYS_mprotect) {
		*done = true;
		long r;

		mw_lock();
		r = mw_protect_change(lo, hi, (int)a[2]);
		mw_unlock();
		return r;
	}
	gone(lo, hi, mw_arch_sys_site(uc));
	return 0;
}

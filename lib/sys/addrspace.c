/* SPDX-License-Identifier: MIT */
/*
 * addrspace.c - address-space calls over watched memory (see addrspace.h).
 * Fault path: kernelmem.h, mw_table_*, mw_record_after, mw_arch_gate_syscall,
 * mw_arch_sys_site, mw_msg_*; and, outside any table epoch, the gone
 * callback and the library lock with mw_protect_change and
 * mw_protect_advise (which take their time: watches end, protections
 * change).
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "arch/arch.h"
#include "base/say.h"
#include "log/record.h"
#include "memwatch.h"
#include "sys/addrspace.h"
#include "sys/kernelmem.h"
#include "threads/lock.h"
#include "watch/protect.h"
#include "watch/table.h"

/* The advice the kernel refuses on watched pages, whose memory is a shared
 * mapping of a memfd now (or asks for access their protection denies),
 * given its meaning there instead:
 *   MADV_WIPEONFORK, MADV_KEEPONFORK   kept in the spans (protect.h): a
 *                        forked child gets zeros (fork.c), the pages get
 *                        the advice back when the watches end;
 *   MADV_FREE            the kernel may free the pages or keep them, until
 *                        they are written: they keep their contents;
 *   MADV_POPULATE_READ, MADV_POPULATE_WRITE   the memory is populated
 *                        through the alias, contents unchanged.
 * Memory around the watched pages gets the advice from the kernel.  Shared
 * memory (MAP_SHARED) refuses MADV_WIPEONFORK and MADV_FREE with EINVAL,
 * watched or not. */
static bool emulated(long advice)
{
	return advice == MADV_WIPEONFORK || advice == MADV_KEEPONFORK || advice == MADV_FREE ||
	       advice == MADV_POPULATE_READ || advice == MADV_POPULATE_WRITE;
}

static long madvise_emulated(uintptr_t lo, uintptr_t hi, long advice)
{
	long r = 0, rr;
	unsigned slot;
	const struct mw_snapshot *s;

	if (advice == MADV_WIPEONFORK || advice == MADV_KEEPONFORK) {
		mw_lock();
		r = mw_protect_advise(lo, hi, (int)advice);
		mw_unlock();
		return r;
	}
	/* Pages being watched or unwatched have no alias to advise yet. */
	for (;;) {
		s = mw_table_enter(&slot);
		if (!mw_sys_busy_out(s, lo, hi - lo))
			break;
		mw_table_exit(slot);
		mw_sys_yield();
	}
	/* What the kernel would refuse without the watch: MADV_FREE of shared
	 * memory, populating memory the program's protection forbids. */
	for (const struct mw_span *sp = mw_table_span_after(s, lo); sp && sp->start < hi && !r;
	     sp = mw_table_span_after(s, sp->end)) {
		int prot = mw_prot_allowed(sp->orig_prot);

		if ((advice == MADV_FREE && sp->shared) ||
		    (advice == MADV_POPULATE_READ && !(prot & PROT_READ)) ||
		    (advice == MADV_POPULATE_WRITE && !(prot & PROT_WRITE)))
			r = -EINVAL;
	}
	for (uintptr_t p = lo; p < hi && (!r || r == -ENOMEM);) {
		const struct mw_span *sp = mw_table_span(s, p);
		uintptr_t q = p;

		if (!sp) {
			while (q < hi && !mw_table_span(s, q))
				q += 4096;
			rr = mw_arch_gate_syscall(SYS_madvise, (long)p, (long)(q - p), advice, 0, 0, 0);
		} else {
			q = sp->end < hi ? sp->end : hi;
			rr = advice == MADV_FREE ? 0 :
			     mw_arch_gate_syscall(SYS_madvise, (long)(sp->alias + (p - sp->start)),
						  (long)(q - p), advice, 0, 0, 0);
		}
		/* Unmapped pieces: ENOMEM, after the rest is advised. */
		if (rr < 0 && (!r || r == -ENOMEM))
			r = rr;
		p = q;
	}
	mw_table_exit(slot);
	return r;
}

/* madvise(MADV_DONTNEED) on watched pages: their memory is a memfd now,
 * where the advice would keep the contents; punch them out of the memfd
 * instead, so that they read as zeros as before, and log the kernel's
 * write.  The advice the kernel refuses there: madvise_emulated. */
long mw_sys_madvise(void *uc, const long a[6])
{
	uintptr_t lo = (uintptr_t)a[0], hi = lo + (uintptr_t)a[1];
	long r;

	if (emulated(a[2]) && !(lo & 4095) && hi > lo) {
		unsigned slot;
		bool touched;

		hi = (hi + 4095) & ~(uintptr_t)4095;
		touched = mw_sys_touches(mw_table_enter(&slot), lo, hi);
		mw_table_exit(slot);
		if (touched)
			return madvise_emulated(lo, hi, a[2]);
	}
	r = mw_sys6(SYS_madvise, a);
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
		for (const struct mw_span *sp = mw_table_span_after(s, lo); sp && sp->start < hi;
		     sp = mw_table_span_after(s, sp->end)) {
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

/* mprotect(PROT_EXEC) or pkey_mprotect with a key of watched pages: each
 * watch over them is named on standard error before it ends, with WHY. */
static void say_one(struct mw_watch_obj *w, void *arg)
{
	const char *why = arg;
	struct mw_msg m;

	mw_msg_init(&m);
	mw_msg_str(&m, "watch ");
	mw_msg_dec(&m, w->id);
	mw_msg_str(&m, " at ");
	mw_msg_hex(&m, w->start);
	mw_msg_str(&m, why);
	mw_msg_flush(&m);
}

static void say_end(uintptr_t lo, uintptr_t hi, const char *why)
{
	unsigned slot;
	const struct mw_snapshot *s = mw_table_enter(&slot);

	/* As the gone callback finds them: by their pages. */
	mw_table_each(s, lo & ~(uintptr_t)4095, (hi + 4095) & ~(uintptr_t)4095, say_one,
		      (void *)why);
	mw_table_exit(slot);
}

/* The kernel's answer to pkey_mprotect(PROT, KEY) on a page of the
 * library's own, key 0 again after: 0, or the error (EINVAL: a key not
 * allocated, a bad protection), which the call gives without ending any
 * watch. */
static long key_refused(int prot, int key)
{
	static _Atomic long page;
	long p = atomic_load(&page), r;

	if (!p) {
		long q = mw_arch_gate_syscall(SYS_mmap, 0, 4096, PROT_NONE,
					      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		long none = 0;

		if (q < 0 && q > -4096)
			return 0;       /* unknown: the kernel says it later */
		if (!atomic_compare_exchange_strong(&page, &none, q))
			mw_arch_gate_syscall(SYS_munmap, q, 4096, 0, 0, 0, 0);
		p = atomic_load(&page);
	}
	r = mw_arch_gate_syscall(SYS_pkey_mprotect, p, 4096, prot, key, 0, 0);
	mw_arch_gate_syscall(SYS_pkey_mprotect, p, 4096, PROT_NONE, 0, 0, 0);
	return r < 0 ? r : 0;
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
	case SYS_pkey_mprotect:
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
	/* pkey_mprotect with key -1 is mprotect, with the default key 0 the
	 * same on watched pages (theirs is 0); a refused key or protection
	 * changes nothing. */
	if (nr == SYS_pkey_mprotect && ((int)a[3] == -1 || (int)a[3] == 0))
		nr = SYS_mprotect;
	if (nr == SYS_pkey_mprotect) {
		long r = key_refused((int)a[2], (int)a[3]);

		if (r) {
			*done = true;
			return r;
		}
	}
	if ((nr == SYS_mprotect || nr == SYS_pkey_mprotect) && (a[2] & PROT_EXEC)) {
		/* Code cannot be watched (mw_watch refuses it): under a read
		 * watch its page is inaccessible, and the instruction fetch
		 * would kill the program.  The watches over it end, said and
		 * logged as gone; the call then acts on plain memory. */
		say_end(lo, hi, " ends: mprotect(PROT_EXEC) makes its memory code, which memwatch "
				"cannot watch (the code could not run on a watched page)");
		gone(lo, hi, mw_arch_sys_site(uc));
		return 0;
	}
	if (nr == SYS_pkey_mprotect) {
		/* A protection key on watched pages: the library performs the
		 * program's accesses through its own view of them, which the
		 * key does not guard, and the pages it gives back at the end
		 * would not carry the key.  The watches end, said and logged as
		 * gone; the call then gives the program's own pages the key. */
		say_end(lo, hi, " ends: pkey_mprotect gives its memory a protection key, which "
				"memwatch cannot watch (its own accesses would not honour the key)");
		gone(lo, hi, mw_arch_sys_site(uc));
		return 0;
	}
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

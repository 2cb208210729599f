/* SPDX-License-Identifier: MIT */
/*
 * futex.c - futexes in watched memory (see futex.h).
 * Fault path: mw_table_*, mw_arch_gate_syscall, atomics.
 */
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/syscall.h>

#include "arch/arch.h"
#include "sys/dispatch.h"
#include "sys/futex.h"
#include "watch/table.h"
#include "base/sigsafe.h"

/* Words some thread waited on at their alias: woken when unwatched. */
#define WORDS_MAX 1024
static _Atomic uintptr_t words[WORDS_MAX];

static void remember(uintptr_t w)
{
	for (int i = 0; i < WORDS_MAX; i++) {
		uintptr_t cur = atomic_load_explicit(&words[i], memory_order_relaxed);

		if (cur == w)
			return;
		if (!cur) {
			uintptr_t zero = 0;

			if (atomic_compare_exchange_strong(&words[i], &zero, w) || zero == w)
				return;
		}
	}
	/* Full: such a waiter may sleep on after the unwatch until the
	 * program wakes the word again (no lost wake-up while watched). */
}

static long futex(long uaddr, long op, long val, long a3, long uaddr2, long val3)
{
	return mw_arch_gate_syscall(SYS_futex, uaddr, op, val, a3, uaddr2, val3);
}

/* The alias of the word at ADDR when it is watched; 0 when not; 1 when
 * its page is in transition. */
static uintptr_t alias_of(const struct mw_snapshot *s, uintptr_t addr)
{
	const struct mw_span *sp = mw_table_span(s, addr);

	if (!sp)
		return 0;
	if (sp->state != MW_SPAN_ACTIVE)
		return 1;       /* in transition: wait */
	return sp->alias + (addr - sp->start);
}

long mw_sysfutex(void *uc, const long a[6])
{
	long op = a[1], cmd = op & FUTEX_CMD_MASK;
	uintptr_t u1, u2 = 0;
	bool two = cmd == FUTEX_REQUEUE || cmd == FUTEX_CMP_REQUEUE || cmd == FUTEX_WAKE_OP ||
		   cmd == FUTEX_CMP_REQUEUE_PI || cmd == FUTEX_WAIT_REQUEUE_PI;
	unsigned long gen;

	for (;;) {
		unsigned slot;
		const struct mw_snapshot *s = mw_table_enter(&slot);

		u1 = alias_of(s, (uintptr_t)a[0]);
		if (two)
			u2 = alias_of(s, (uintptr_t)a[4]);
		gen = atomic_load(&mw_table_generation);
		if (u1 && u1 != 1 && cmd != FUTEX_WAKE && cmd != FUTEX_WAKE_BITSET)
			remember((uintptr_t)a[0]);
		mw_table_exit(slot);
		if (u1 != 1 && u2 != 1)
			break;
		mw_arch_gate_syscall(SYS_sched_yield, 0, 0, 0, 0, 0, 0);
	}
	if (!u1 && !u2)
		return futex(a[0], op, a[2], a[3], a[4], a[5]);

	/* Shared keys for the words at their alias. */
	long sop = op & ~FUTEX_PRIVATE_FLAG;
	long r = futex(u1 ? (long)u1 : a[0], u1 || u2 ? sop : op, a[2], a[3],
		       u2 ? (long)u2 : a[4], a[5]);

	if (r == -EFAULT && atomic_load(&mw_table_generation) != gen)
		return -EAGAIN;         /* unwatched meanwhile: look again */
	if ((cmd == FUTEX_WAKE || cmd == FUTEX_WAKE_BITSET) && u1 && r >= 0 && r < a[2]) {
		/* Waiters from before the watch sleep on the old key. */
		long more = futex(a[0], op, a[2] - r, a[3], a[4], a[5]);

		if (more > 0)
			r += more;
	}
	return r;
}

void mw_sysfutex_release(uintptr_t lo, uintptr_t hi, uintptr_t alias)
{
	for (int i = 0; i < WORDS_MAX; i++) {
		uintptr_t w = atomic_load(&words[i]);

		if (w < lo || w >= hi)
			continue;
		futex((long)(alias + (w - lo)), FUTEX_WAKE, INT_MAX, 0, 0, 0);
		atomic_store(&words[i], 0);
	}
}

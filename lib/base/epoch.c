/* SPDX-License-Identifier: MIT */
/*
 * epoch.c - grace periods (see epoch.h).
 * Fault path (enter/exit): C11 atomics only.
 *
 * Two counters of handlers inside, selected by the parity of a global epoch.
 * A writer flips the epoch, then waits for the counter of the old parity to
 * drain.  A handler increments the counter of the epoch it read, then checks
 * that the epoch did not move in between; if it did, the writer may already
 * have checked that counter, so the handler backs out and tries again.
 */
#include <sched.h>
#include <stdatomic.h>

#include "base/epoch.h"
#include "base/sigsafe.h"

static _Atomic unsigned long epoch;
static struct {
	_Atomic long inside;
	char pad[64 - sizeof(long)];
} counters[2] __attribute__((aligned(64)));

unsigned mw_epoch_enter(void)
{
	for (;;) {
		/* seq_cst: pairs with the epoch flip in mw_epoch_synchronize. */
		unsigned long e = atomic_load(&epoch);
		unsigned slot = (unsigned)(e & 1);

		atomic_fetch_add(&counters[slot].inside, 1);
		/* seq_cst: the increment is ordered before this re-read; if the
		 * epoch is unchanged, the writer's drain check will see us. */
		if (atomic_load(&epoch) == e)
			return slot;
		atomic_fetch_sub(&counters[slot].inside, 1);
	}
}

void mw_epoch_exit(unsigned slot)
{
	/* release (seq_cst): our reads of the table happen before the writer
	 * sees the counter drop and frees what we read. */
	atomic_fetch_sub(&counters[slot].inside, 1);
}

int mw_epoch_busy(void)
{
	return atomic_load(&counters[0].inside) != 0 || atomic_load(&counters[1].inside) != 0;
}

void mw_epoch_synchronize(void)
{
	/* seq_cst: the caller's publication of the new table is ordered before
	 * the flip; handlers entering after the flip see the new table. */
	unsigned long e = atomic_fetch_add(&epoch, 1);
	unsigned slot = (unsigned)(e & 1);

	while (atomic_load(&counters[slot].inside) != 0)
		sched_yield();
}

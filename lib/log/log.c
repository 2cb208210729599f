/* SPDX-License-Identifier: MIT */
/*
 * log.c - the log API's readers: cursors and counters, those of the log
 * and those of what watching costs (configuration: front/init.c).  Any context: lock-free reads of the ring.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "memwatch.h"
#include "log/cost.h"
#include "log/ring.h"

void mw_log_begin(struct mw_log_cursor *cur)
{
	if (cur)
		cur->next = mw_ring_oldest();
}

int mw_log_next(struct mw_log_cursor *cur, struct mw_record *rec)
{
	if (!cur || !rec)
		return -EINVAL;
	for (;;) {
		uint64_t head = mw_ring_head(), oldest = mw_ring_oldest();
		int r;

		if (cur->next < oldest)
			cur->next = oldest;     /* overwritten, or before a clear */
		if (cur->next > head)
			return 0;
		r = mw_ring_read(cur->next, rec);
		if (r == 1) {
			cur->next++;
			return 1;
		}
		/* Overwritten while we looked, or still being written (or
		 * dropped): move on rather than wait in what may be a handler. */
		if (r == 0 && cur->next == head)
			return 0;
		cur->next++;
	}
}

int mw_log_stats_sized(struct mw_log_stats *st, size_t size)
{
	struct mw_log_stats all;
	const struct mw_cost *c = mw_cost_area;
	uint64_t head, base, cap, best = 0;

	if (!st)
		return -EINVAL;
	memset(&all, 0, sizeof(all));
	mw_cost_fold();
	head = mw_ring_head();
	base = mw_ring_base();
	cap = mw_ring_capacity();
	all.records = head - base;
	all.overwritten = head > cap + base ? head - cap - base : 0;
	all.dropped = mw_ring_dropped();
	all.capacity = cap;
	all.depth = atomic_load(&mw_ring_depth);
	all.neighbour_faults = atomic_load_explicit(&c->faults, memory_order_relaxed);
	all.fault_ns = atomic_load_explicit(&c->fault_ns, memory_order_relaxed);
	all.neighbour_ns = atomic_load_explicit(&c->fault_sum, memory_order_relaxed);
	all.neighbour_stub = atomic_load_explicit(&c->stub_runs, memory_order_relaxed);
	for (int i = 0; i < MW_COST_PCS; i++) {
		uint64_t n = atomic_load_explicit(&c->pc[i].faults, memory_order_relaxed);

		if (n > all.hot_pc_faults) {
			all.hot_pc_faults = n;
			all.hot_pc = atomic_load_explicit(&c->pc[i].pc, memory_order_relaxed);
			all.hot_addr = atomic_load_explicit(&c->pc[i].addr, memory_order_relaxed);
		}
	}
	all.syscalls = atomic_load_explicit(&c->syscalls, memory_order_relaxed);
	all.syscall_ns = atomic_load_explicit(&c->syscall_ns, memory_order_relaxed);
	all.syscalls_ns = atomic_load_explicit(&c->syscall_sum, memory_order_relaxed);
	all.top_syscall = -1;
	for (int i = 0; i < MW_COST_SYS; i++) {
		uint64_t n = atomic_load_explicit(&c->sys[i], memory_order_relaxed);

		if (n > best) {
			best = n;
			all.top_syscall = i;
		}
	}
	all.top_syscall_calls = best;
	memcpy(st, &all, size < sizeof(all) ? size : sizeof(all));
	return 0;
}

/* The function a program built with an older memwatch.h calls: the fields
 * it knows, up to depth. */
int (mw_log_stats)(struct mw_log_stats *st)
{
	return mw_log_stats_sized(st, offsetof(struct mw_log_stats, neighbour_faults));
}

uint64_t mw_neighbour_faults(int id)
{
	return mw_cost_watch_faults(id);
}

/* SPDX-License-Identifier: MIT */
/*
 * log.c - the log API's readers: cursors and counters (configuration:
 * front/init.c).  Any context: lock-free reads of the ring.
 */
#include <errno.h>
#include <stdlib.h>

#include "memwatch.h"
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

int mw_log_stats(struct mw_log_stats *st)
{
	uint64_t head, base, cap;

	if (!st)
		return -EINVAL;
	head = mw_ring_head();
	base = mw_ring_base();
	cap = mw_ring_capacity();
	st->records = head - base;
	st->overwritten = head > cap + base ? head - cap - base : 0;
	st->dropped = mw_ring_dropped();
	st->capacity = cap;
	st->depth = atomic_load(&mw_ring_depth);
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * query.c - the API's reading calls: mw_count, mw_total_count, mw_id_at
 * (the table, inside its epoch: async-signal-safe) and mw_strerror.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>

#include "front/api.h"
#include "memwatch.h"
#include "watch/table.h"

int mw_count(int id, uint64_t *count)
{
	unsigned slot;
	const struct mw_watch_obj *w;
	int r = -ENOENT;

	mw_table_enter(&slot);
	w = mw_table_by_id(id);
	if (w) {
		if (count)
			*count = atomic_load_explicit(&w->count, memory_order_relaxed);
		r = 0;
	}
	mw_table_exit(slot);
	return r;
}

uint64_t mw_total_count(void)
{
	return atomic_load_explicit(&mw_table_total, memory_order_relaxed);
}

struct id_at {
	uintptr_t start;
	int id;
};

static void id_at_fn(struct mw_watch_obj *w, void *arg)
{
	struct id_at *x = arg;

	if (w->start == x->start && w->id > x->id)
		x->id = w->id;
}

int mw_id_at(uintptr_t start)
{
	unsigned slot;
	const struct mw_snapshot *s = mw_table_enter(&slot);
	struct id_at x = { start, -ENOENT };

	mw_table_each(s, start, start + 1, id_at_fn, &x);
	mw_table_exit(slot);
	return x.id;
}

const char *mw_strerror(int err)
{
	switch (err < 0 ? -err : err) {
	case 0:
		return "success";
	case EINVAL:
		return "invalid argument: the address is NULL, the length is 0, or the flags "
		       "have bits other than MW_READ and MW_WRITE";
	case EOVERFLOW:
		return "the address range wraps around the end of the address space";
	case EFAULT:
		return "the address range is not entirely mapped, or part of it has no access "
		       "at all (PROT_NONE)";
	case ENOTSUP:
		return "this memory cannot be watched (yet): it is a thread's control block or "
		       "static TLS, the lowest page of the main stack, an executable mapping, a "
		       "kernel special mapping, memwatch's own data, its decoder's or its "
		       "unwinder's, or a page of libc or the loader that memwatch's fault "
		       "handling reads itself";
	case ENOENT:
		return "no such watch: the id was never returned by mw_watch or is already "
		       "unwatched";
	case ENOMEM:
		return "out of memory, or out of mappings: the process has as many as "
		       "vm.max_map_count allows (/proc/sys/vm/max_map_count; a watched run of "
		       "pages takes up to three; raise it with sysctl -w vm.max_map_count=N)";
	case EBUSY:
		return "the log's ring size can only be changed before the first watch";
	case EBADF:
		return "not an open file descriptor";
	default:
		return "unknown memwatch error";
	}
}

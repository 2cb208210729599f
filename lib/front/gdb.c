/* SPDX-License-Identifier: MIT */
/*
 * gdb.c - the calls a debugger makes into the library (see gdb.h and
 * memwatch-gdb(7)); the variables it sets and the functions it puts
 * breakpoints on are the fault path's (fault/debugger.c).
 * mw_gdb_alias, mw_gdb_watch_at: debugger calls (all threads stopped):
 * table lookups only.  mw_gdb_unwatch_all: mw_unwatch.  mw_gdb_unwatch_now:
 * mw_unwatch when no stopped thread holds what it waits for.
 */
#include <stdatomic.h>
#include <stddef.h>

#include "base/epoch.h"
#include "fault/debugger.h"
#include "front/gdb.h"
#include "memwatch.h"
#include "threads/lock.h"
#include "watch/table.h"

#define MW_DEBUGGER __attribute__((visibility("default"), used))

/* The stack the GDB commands' calls into the library run on: the
 * program's own may be watched, and GDB cannot write the call's frame into
 * a page that is watched. */
MW_DEBUGGER char mw_gdb_call_stack[64 * 1024] __attribute__((aligned(64)));
/* Its end, for the debugger: the library has no debug information by
 * default (configure --enable-library-debug-info), so no sizeof there. */
MW_DEBUGGER char *const mw_gdb_call_stack_end = mw_gdb_call_stack + sizeof(mw_gdb_call_stack);
/* Debugger call: where to write ADDR's bytes so that they change without a
 * fault: the alias of a watched page, else ADDR itself. */
MW_DEBUGGER void *mw_gdb_alias(const void *addr)
{
	unsigned slot;
	const struct mw_snapshot *s = mw_table_enter(&slot);
	uintptr_t out = (uintptr_t)addr;
	const struct mw_span *sp = mw_table_span(s, (uintptr_t)addr);

	if (sp && sp->alias)
		out = sp->alias + ((uintptr_t)addr - sp->start);
	mw_table_exit(slot);
	return (void *)out;
}

/* Debugger call: watch number I (0, 1, ...) as words { id, flags, start,
 * length, hits }, or NULL past the last.  The words are static: one
 * debugger at a time. */
MW_DEBUGGER const uint64_t *mw_gdb_watch_at(int i)
{
	static uint64_t w[5];
	unsigned slot;
	const struct mw_snapshot *s = mw_table_enter(&slot);
	const uint64_t *r = NULL;

	/* The I-th by id, from the id index; going on from the last one
	 * asked for when I is the next (mwatch-list asks for 0, 1, ...). */
	static int last_i = -1, last_id;
	const struct mw_watch_obj *o = NULL;
	int k = 0, id = 0;

	(void)s;
	if (i >= 0 && i == last_i + 1 && last_id) {
		k = i;
		id = mw_table_next_id(last_id);
	} else if (i >= 0) {
		for (id = mw_table_next_id(0); id && k < i; k++)
			id = mw_table_next_id(id);
	}
	if (i >= 0 && id) {
		o = mw_table_by_id(id);
		last_i = i;
		last_id = id;
	} else {
		last_i = -1;
		last_id = 0;
	}
	if (o) {

		w[0] = (uint64_t)o->id;
		w[1] = o->flags;
		w[2] = o->start;
		w[3] = o->end - o->start;
		w[4] = atomic_load_explicit(&((struct mw_watch_obj *)o)->count, memory_order_relaxed);
		r = w;
	}
	mw_table_exit(slot);
	return r;
}

/* Debugger call (it takes the library lock): remove every watch.  Returns
 * how many. */
MW_DEBUGGER int mw_gdb_unwatch_all(void)
{
	int n = 0;
	const uint64_t *w;

	while ((w = mw_gdb_watch_at(0)) != NULL && mw_unwatch((int)w[0]) == 0)
		n++;
	return n;
}

/* The debugger's breakpoint at the process's exit: exit(3) and the return
 * from main run the library's destructor after the program's own and its
 * atexit(3) handlers, the log complete and still in memory.  The GDB file
 * stops there in record-only mode when the log holds records. */
MW_DEBUGGER __attribute__((noinline)) void mw_gdb_exit_hook(void)
{
	__asm__ volatile("" : : : "memory");
}

/* The debugger's breakpoint at the library's start in a process: the
 * program's own constructors have not run yet, its data is relocated.  The
 * GDB file sets the watches of the last run again there (the globals'),
 * and the ones made before `run`. */
MW_DEBUGGER __attribute__((noinline)) void mw_gdb_start_hook(void)
{
	__asm__ volatile("" : : : "memory");
}

__attribute__((constructor)) static void at_start(void)
{
	mw_gdb_start_hook();
}

__attribute__((destructor)) static void at_exit(void)
{
	if (mw_gdb_attached)
		mw_gdb_exit_hook();
}

/* Debugger call (the threads stopped, by the user's delete of a watch's
 * breakpoint): mw_unwatch(ID), unless a thread is inside the library's
 * lock or a fault handler, where GDB may have stopped it and the unwatch
 * would wait for it (1: not now).  0, or mw_unwatch's error. */
MW_DEBUGGER int mw_gdb_unwatch_now(int id)
{
	if (mw_epoch_busy() || !mw_lock_try())
		return 1;
	mw_unlock();
	return mw_unwatch(id);
}

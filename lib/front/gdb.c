/* SPDX-License-Identifier: MIT */
/*
 * gdb.c - the debugger interface (see gdb.h and memwatch-gdb(7)).
 * Fault path: mw_gdb_after_access, mw_gdb_before_crash: reads of the
 * variables below and calls of the empty hook functions only.
 * mw_gdb_alias: debugger call (all threads stopped): table lookup only.
 */
#include <stdatomic.h>
#include <stddef.h>

#include "front/api.h"
#include "front/gdb.h"
#include "memwatch.h"
#include "log/record.h"
#include "watch/table.h"
#include "base/sigsafe.h"

#define MW_DEBUGGER __attribute__((visibility("default"), used))

/* Set by the debugger: stop after every watched access (mwatch-stop on). */
MW_DEBUGGER volatile int mw_gdb_stop_mode;
/* The stack the GDB commands' calls into the library run on: the
 * program's own may be watched, and GDB cannot write the call's frame into
 * a page that is watched. */
MW_DEBUGGER char mw_gdb_call_stack[64 * 1024] __attribute__((aligned(64)));
/* Its end, for the debugger: the library has no debug information by
 * default (configure --enable-library-debug-info), so no sizeof there. */
MW_DEBUGGER char *const mw_gdb_call_stack_end = mw_gdb_call_stack + sizeof(mw_gdb_call_stack);
/* Set by the debugger: genuine faults go through mw_gdb_crash_hook. */
MW_DEBUGGER volatile int mw_gdb_attached;
/* Set by the debugger in the crash hook's breakpoint: re-execute. */
MW_DEBUGGER volatile int mw_gdb_refault;

/* The debugger's breakpoints.  noinline and an asm barrier: a call that
 * really happens, at an address GDB can find by name. */
MW_DEBUGGER __attribute__((noinline)) void mw_gdb_stop_hook(uint64_t seq, uint64_t resume_pc,
							     uint64_t tid, uint64_t why,
							     uint64_t pc)
{
	__asm__ volatile("" : : "r"(seq), "r"(resume_pc), "r"(tid), "r"(why), "r"(pc)
			 : "memory");
}

MW_DEBUGGER __attribute__((noinline)) void mw_gdb_crash_hook(uint64_t addr, uint64_t pc)
{
	__asm__ volatile("" : : "r"(addr), "r"(pc) : "memory");
}

void mw_gdb_after_access(uint64_t seq, int under_break, uint64_t pc, uint64_t resume_pc)
{
	uint64_t why = 0;

	if (seq && mw_gdb_stop_mode)
		why |= MW_GDB_REPORT;
	/* GDB's breakpoint on the instruction: GDB is stepping it, or stepping
	 * the thread off a breakpoint there, and passed the SIGSEGV expecting
	 * the handler to return to the instruction, onto its breakpoint.  The
	 * thread resumes after it instead and would run away from the step:
	 * GDB must take over there, whatever the access (also one that made
	 * no record: unwatched bytes of a watched page). */
	if (under_break && mw_gdb_attached)
		why |= MW_GDB_STEPPED;
	if (why)
		mw_gdb_stop_hook(seq, resume_pc, (uint64_t)mw_tid(), why, pc);
}

/* The thread (its last genuine fault) the debugger already saw once. */
static __thread uint64_t hooked_pc __attribute__((tls_model("initial-exec")));
static __thread uint64_t hooked_addr __attribute__((tls_model("initial-exec")));

int mw_gdb_before_crash(uint64_t addr, uint64_t pc)
{
	if (!mw_gdb_attached)
		return 0;
	if (hooked_pc == pc && hooked_addr == addr) {
		hooked_pc = hooked_addr = 0;    /* the re-fault: now for real */
		return 0;
	}
	mw_gdb_refault = 0;
	mw_gdb_crash_hook(addr, pc);
	if (!mw_gdb_refault)
		return 0;
	hooked_pc = pc;
	hooked_addr = addr;
	return 1;
}

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

	/* The I-th by id (the snapshot is sorted by address). */
	const struct mw_watch_obj *o = NULL;
	int prev = 0;

	for (int k = 0; k <= i && i >= 0; k++) {
		o = NULL;
		for (size_t j = 0; j < s->nwatches; j++)
			if (s->watches[j]->id > prev && (!o || s->watches[j]->id < o->id))
				o = s->watches[j];
		if (!o)
			break;
		prev = o->id;
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

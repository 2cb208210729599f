/* SPDX-License-Identifier: MIT */
/*
 * debugger.c - the fault path's side of the debugger interface (see
 * debugger.h and memwatch-gdb(7)): the variables a debugger sets and the
 * empty functions it puts breakpoints on.
 * Fault path: mw_gdb_after_access, mw_gdb_before_crash: reads of the
 * variables below, mw_tid and calls of the empty hook functions only.
 */
#include <stdint.h>

#include "base/tid.h"
#include "fault/debugger.h"

#define MW_DEBUGGER __attribute__((visibility("default"), used))

/* Set by the debugger: stop after every watched access (mwatch-stop on). */
MW_DEBUGGER volatile int mw_gdb_stop_mode;
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

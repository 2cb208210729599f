/* SPDX-License-Identifier: MIT */
/*
 * debugger.h - what the fault path offers a debugger (gdbsupport/memwatch.gdb).
 *
 * GDB drives the library through a few exported variables it sets and
 * functions it puts breakpoints on; the calls it makes are front/gdb.h's,
 * and the records themselves it reads from memory through
 * mw_log_descriptor.  Nothing here costs anything while no debugger sets
 * the variables.
 */
#ifndef MW_DEBUGGER_H
#define MW_DEBUGGER_H

#include <stdint.h>

/* [fault path] After the instruction at PC accessing a watched page was
 * performed (SEQ: the first of its records, 0 if it made none; UNDER_BREAK:
 * a debugger's breakpoint is on the instruction): stop in the debugger if
 * it asked for it, or if it must take over the thread at RESUME_PC. */
void mw_gdb_after_access(uint64_t seq, int under_break, uint64_t pc, uint64_t resume_pc);

/* Why mw_gdb_stop_hook is called (its last argument, bits). */
#define MW_GDB_REPORT 1         /* stop mode: report record SEQ and stop */
#define MW_GDB_STEPPED 2        /* GDB was stepping the instruction */

/* [fault path] Before a genuine fault is declined.  Returns 1 if the
 * debugger wants the instruction re-executed instead, so that it stops at
 * the re-fault with the real frame and $_siginfo. */
int mw_gdb_before_crash(uint64_t addr, uint64_t pc);

/* Exported for the debugger (memwatch-gdb(7)): variables it sets ... */
extern volatile int mw_gdb_stop_mode, mw_gdb_attached, mw_gdb_refault;
/* ... functions it puts breakpoints on ... */
void mw_gdb_stop_hook(uint64_t seq, uint64_t resume_pc, uint64_t tid, uint64_t why,
		      uint64_t pc);
void mw_gdb_crash_hook(uint64_t addr, uint64_t pc);

#endif /* MW_DEBUGGER_H */

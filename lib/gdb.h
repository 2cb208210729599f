/* SPDX-License-Identifier: MIT */
/*
 * gdb.h - what the library offers a debugger (gdbsupport/memwatch.gdb).
 *
 * GDB drives the library through a few exported variables it sets and
 * functions it puts breakpoints on; the records themselves it reads from
 * memory through mw_log_descriptor.  Nothing here costs anything while no
 * debugger sets the variables.
 */
#ifndef MW_GDB_H
#define MW_GDB_H

#include <stdint.h>

struct mw_fault;

/* [fault path] After a watched access was performed and recorded (SEQ, the
 * first of its records): stop in the debugger if it asked for it. */
void mw_gdb_after_access(uint64_t seq, uint64_t resume_pc);

/* [fault path] Before a genuine fault is declined.  Returns 1 if the
 * debugger wants the instruction re-executed instead, so that it stops at
 * the re-fault with the real frame and $_siginfo. */
int mw_gdb_before_crash(uint64_t addr, uint64_t pc);

/* Exported for the debugger (memwatch-gdb(7)): variables it sets ... */
extern volatile int mw_gdb_stop_mode, mw_gdb_stepping, mw_gdb_attached, mw_gdb_refault;
/* ... functions it puts breakpoints on ... */
void mw_gdb_stop_hook(uint64_t seq, uint64_t resume_pc, uint64_t tid);
void mw_gdb_crash_hook(uint64_t addr, uint64_t pc);
/* ... and calls. */
void *mw_gdb_alias(const void *addr);
const uint64_t *mw_gdb_watch_at(int i);
int mw_gdb_unwatch_all(void);

#endif /* MW_GDB_H */

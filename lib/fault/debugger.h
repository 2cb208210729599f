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
/* [fault path] The same, from a signal handler whose context UC resumes
 * after the instruction: a stop the debugger asked for leaves the handler
 * for the watch's stop code (below) instead of calling mw_gdb_stop_hook. */
void mw_gdb_after_access_at(uint64_t seq, int under_break, uint64_t pc, void *uc);

/* mw_gdb_stop_mode's values (0: record only). */
#define MW_GDB_STOP_CHANGES 1   /* reads caught, writes that change the value */
#define MW_GDB_STOP_EVERY 2     /* every access caught */

/* The watch stops: MW_GDB_SLOTS pieces of code of MW_GDB_STOP_SIZE bytes,
 * one per watch the debugger set up, each jumping to where the thread
 * resumes (kept at the thread pointer + mw_gdb_stop_tls, the record to
 * report 8 bytes further). */
#define MW_GDB_SLOTS 256
/* The last one is no watch's: a step GDB was making over an access that
 * does not stop goes on from there (the instruction's address is the
 * second word). */
#define MW_GDB_STEP_SLOT (MW_GDB_SLOTS - 1)
/* The reports of the last stops, by seq (mw_gdb_reports[seq & (N - 1)]:
 * { uint64 address; char text1[96]; char text2[152]; }). */
#define MW_GDB_REPORTS 64
#define MW_GDB_STOP_SIZE 16
/* Conditions on a watched value of 1, 2, 4 or 8 bytes, against a constant
 * (mw_gdb_watch_set's OP). */
enum { MW_GDB_COND_EQ = 1, MW_GDB_COND_NE, MW_GDB_COND_LT, MW_GDB_COND_LE, MW_GDB_COND_GT,
       MW_GDB_COND_GE };

/* Debugger calls (all threads stopped; front/gdb.c exports them).
 * mw_gdb_stops_setup: the stop code (once); its address, 0 if it could not
 * be made.  mw_gdb_watch_stop: a slot for watch ID of kinds FLAGS, value
 * at START of LEN bytes; its stop code's address, 0 if none is free (FLAGS
 * bits 8 and up: 1 + the slot wanted, when free: the one a debugger's
 * breakpoint kept from a last run is on).
 * mw_gdb_watch_set: the debugger's breakpoint BP there and a condition
 * (OP 0: none; -1: the debugger tests one of its own, and the stop's
 * report is left to it; -2: the same, and it stops in record-only mode
 * too); 0, or -1.  mw_gdb_watch_release: frees ID's slot, returns
 * its breakpoint (0: none).  mw_gdb_watch_conf: what was set for ID. */
uintptr_t mw_gdb_stops_setup(void);
uintptr_t mw_gdb_watch_stop(int id, unsigned flags, uint64_t start, uint64_t len);
int mw_gdb_watch_set(int id, int bp, int op, int is_signed, int64_t value);
int mw_gdb_watch_release(int id);
/* mw_gdb_watch_bits: watch ID (a slot's) is a bitfield, bits OFF to
 * OFF + LEN - 1 of its bytes (little-endian): its writes stop only when
 * they change those bits, reported as the field's value.  0, or -1. */
int mw_gdb_watch_bits(int id, int off, int len, int is_signed);
void mw_gdb_watch_conf(int id, int *bp, int *op, int64_t *value);
/* mw_gdb_watch_rebind: OLD_ID's slot, breakpoint and condition go to
 * NEW_ID, watching the same size at START (the debugger moved a watch
 * that follows a pointer).  0, or -1. */
int mw_gdb_watch_rebind(int old_id, int new_id, uint64_t start);

/* Why mw_gdb_stop_hook is called (its last argument, bits). */
#define MW_GDB_REPORT 1         /* stop mode: report record SEQ and stop */
#define MW_GDB_STEPPED 2        /* GDB was stepping the instruction */

/* [fault path] Before a genuine fault is declined.  Returns 1 if the
 * debugger wants the instruction re-executed instead, so that it stops at
 * the re-fault with the real frame and $_siginfo. */
int mw_gdb_before_crash(uint64_t addr, uint64_t pc);

/* Exported for the debugger (memwatch-gdb(7)): variables it sets ... */
extern volatile int mw_gdb_stop_mode, mw_gdb_attached, mw_gdb_refault;
/* ... where the stop code is, and the TLS words it reads ... */
extern uintptr_t mw_gdb_stops;
extern uint8_t mw_gdb_stop_area[MW_GDB_SLOTS * MW_GDB_STOP_SIZE];
extern long mw_gdb_stop_tls;
/* ... functions it puts breakpoints on ... */
void mw_gdb_stop_hook(uint64_t seq, uint64_t resume_pc, uint64_t tid, uint64_t why,
		      uint64_t pc);
void mw_gdb_crash_hook(uint64_t addr, uint64_t pc);

#endif /* MW_DEBUGGER_H */

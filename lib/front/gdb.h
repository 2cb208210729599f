/* SPDX-License-Identifier: MIT */
/*
 * gdb.h - the calls a debugger makes into the library
 * (gdbsupport/memwatch.gdb); its variables and breakpoint functions are
 * fault/debugger.h's.
 */
#ifndef MW_GDB_H
#define MW_GDB_H

#include <stdint.h>

/* The stack the GDB commands' calls run on, and its end. */
extern char mw_gdb_call_stack[];
extern char *const mw_gdb_call_stack_end;

/* Debugger calls (memwatch-gdb(7)). */
void *mw_gdb_alias(const void *addr);
const uint64_t *mw_gdb_watch_at(int i);
int mw_gdb_unwatch_all(void);
/* Its breakpoint at the process's exit (exit(3), the return from main). */
void mw_gdb_exit_hook(void);
/* ... and at its start (the library's constructor), before the program's
 * constructors. */
void mw_gdb_start_hook(void);
int mw_gdb_unwatch_now(int id);

#endif /* MW_GDB_H */

/* SPDX-License-Identifier: MIT */
/*
 * dump.h - the log as text.
 */
#ifndef MW_DUMP_H
#define MW_DUMP_H

#include "base/say.h"
#include "log/symbolize.h"

/* Writes the header and every record to M.  With SYM NULL: raw addresses
 * only, async-signal-safe (for a dying process); else names and lines,
 * [thread].  Returns the number of records written. */
int mw_dump_records(struct mw_msg *m, struct mw_symbolizer *sym);

/* [thread, at init] MEMWATCH_LOG=path: write the log there at exit, and on
 * fatal signals (SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGTRAP, SIGSYS whose
 * action is the default; SIGSEGV through the fault handler). */
void mw_logfile_init(const char *path);

/* [fault path] The process is about to die of SIG: write the raw log to
 * MEMWATCH_LOG, if set.  Once. */
void mw_logfile_fatal(int sig);

#endif /* MW_DUMP_H */

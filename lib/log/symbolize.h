/* SPDX-License-Identifier: MIT */
/*
 * symbolize.h - names for code and data addresses.                [thread]
 *
 * Uses elfutils' libdwfl over the process's own modules: ELF symbol tables
 * (static functions included), and file:line where debug info exists.  It
 * allocates and reads files: never on the fault path, never in a signal
 * handler.
 */
#ifndef MW_SYMBOLIZE_H
#define MW_SYMBOLIZE_H

#include <stddef.h>
#include <stdint.h>

struct mw_symbolizer;

/* NULL if the process's modules cannot be read. */
struct mw_symbolizer *mw_symbolizer_open(void);
void mw_symbolizer_close(struct mw_symbolizer *s);

/*
 * Writes "name+0xoff (module)" for ADDR into BUF ("(module)" alone when no
 * symbol covers it, "" outside every module), and " at file:line" after it
 * when LINE is set and debug info knows the line (RETURN: ADDR is a return
 * address, look up the call before it).
 */
void mw_symbolize(struct mw_symbolizer *s, uint64_t addr, int line, int ret,
		  char *buf, size_t len);

#endif /* MW_SYMBOLIZE_H */

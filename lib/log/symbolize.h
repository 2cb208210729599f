/* SPDX-License-Identifier: MIT */
/*
 * symbolize.h - names for code and data addresses.                [thread]
 *
 * Uses elfutils' libdwfl over the process's own modules, or over a list of
 * another's: ELF symbol tables (static functions included), and file:line
 * where debug info exists.  The library and the memwatch command (cli/,
 * which compiles this file in) name addresses with it alike.  It allocates
 * and reads files: never on the fault path, never in a signal handler.
 */
#ifndef MW_SYMBOLIZE_H
#define MW_SYMBOLIZE_H

#include <stddef.h>
#include <stdint.h>

struct mw_symbolizer;

/* Over this process's modules, as the loader lists them.  NULL if they
 * cannot be read. */
struct mw_symbolizer *mw_symbolizer_open(void);

/* Over modules named one by one (another process's: the memwatch command
 * names the program's): begin, add each module's file PATH loaded at BASE
 * (its load bias), end, which returns S.  Begin returns NULL when libdwfl
 * cannot start; add and end take that NULL. */
struct mw_symbolizer *mw_symbolizer_begin(void);
void mw_symbolizer_add(struct mw_symbolizer *s, const char *path, uint64_t base);
struct mw_symbolizer *mw_symbolizer_end(struct mw_symbolizer *s);

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

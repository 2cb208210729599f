/* SPDX-License-Identifier: MIT */
/*
 * selfread.h - pages of libc and the loader that the fault path itself
 * reads before it can tell its own accesses from the program's.
 *
 * The handler's first steps read libc's global offset table (errno's TLS
 * offset, the targets of libc's internal calls) and the first page of its
 * .data (the thresholds memset and memcpy consult, called by the
 * instruction decoder); the loader's lazy binding trampoline reads
 * _rtld_global_ro with an instruction on RSP (`sub rsp, [m]`) that cannot
 * be performed elsewhere.  A read watch on those pages would fault again
 * inside the handler, forever.  Write watches keep pages readable: fine on
 * _rtld_global_ro; not on libc's GOT pages, which a forked child makes
 * inaccessible for a moment while it copies them, calling libc.
 */
#ifndef MW_SELFREAD_H
#define MW_SELFREAD_H

#include <stdbool.h>
#include <stdint.h>

/* [thread] Once, before the first watch: finds the pages. */
void mw_selfread_init(void);

/* [thread] Whether a watch of FLAGS on the pages [LO, HI) must be refused. */
bool mw_selfread_refused(uintptr_t lo, uintptr_t hi, unsigned flags);

#endif /* MW_SELFREAD_H */

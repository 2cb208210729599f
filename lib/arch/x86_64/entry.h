/* SPDX-License-Identifier: MIT */
/*
 * entry.h - where the kernel enters the library's signal handlers: a jump
 * that GDB's `step` knows to run past (entry.c says why).
 */
#ifndef MW_X86_ENTRY_H
#define MW_X86_ENTRY_H

#include <signal.h>

typedef void mw_x86_handler(int, siginfo_t *, void *);

/* [any] The address to give the kernel for handler FN: a jump to FN, the
 * same for the same FN; FN itself if no entry could be made (no memory, or
 * more handlers than entries). */
void *mw_x86_entry(mw_x86_handler *fn);

#endif /* MW_X86_ENTRY_H */

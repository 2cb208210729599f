/* SPDX-License-Identifier: MIT */
/*
 * unwind.h - backtraces of the interrupted code, from the fault path.
 */
#ifndef MW_UNWIND_H
#define MW_UNWIND_H

#include <stdbool.h>
#include <stdint.h>

/*
 * [fault path] Up to DEPTH return addresses of the code interrupted at PC,
 * into FRAMES: frames[0] == PC, then its callers.  Must be called before
 * the signal frame's registers are changed.  Returns the number of frames.
 */
int mw_unwind(uintptr_t pc, uint64_t *frames, int depth);

/* [fault path] Whether this thread is inside mw_unwind's unwinder: the
 * system calls it makes are the library's, not the program's. */
bool mw_unwind_busy(void);

/* [any] A function of the unwinder's library.  Its pages cannot be
 * watched: a program that unwinds with libunwind itself holds libunwind's
 * cache lock (in that library's data) while it accesses them, and the
 * backtrace of such an access would wait for that lock forever. */
const void *mw_unwind_code(void);

/* [thread] Once, before the first watch: libunwind's code is [LO, HI). */
void mw_unwind_init(uintptr_t lo, uintptr_t hi);

/* [fault path] Whether the interrupted code (PC, stack pointer SP) looks
 * like libunwind's own, or a function it called: a program that unwinds
 * with libunwind itself holds libunwind's cache lock there (reading a
 * module's .eh_frame, say), and a backtrace would wait for that lock.  It
 * looks at PC and the first words of the stack, for a return address into
 * libunwind. */
bool mw_unwind_interrupted(uintptr_t pc, uintptr_t sp);

#endif /* MW_UNWIND_H */

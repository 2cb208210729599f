/* SPDX-License-Identifier: MIT */
/*
 * unwind.h - backtraces of the interrupted code, from the fault path.
 */
#ifndef MW_UNWIND_H
#define MW_UNWIND_H

#include <stdint.h>

/*
 * [fault path] Up to DEPTH return addresses of the code interrupted at PC,
 * into FRAMES: frames[0] == PC, then its callers.  Must be called before
 * the signal frame's registers are changed.  Returns the number of frames.
 */
int mw_unwind(uintptr_t pc, uint64_t *frames, int depth);

#endif /* MW_UNWIND_H */

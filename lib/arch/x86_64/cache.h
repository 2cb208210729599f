/* SPDX-License-Identifier: MIT */
/*
 * cache.h - analyzed instructions, by address, shared by all threads.
 *
 * Each faulting instruction is decoded and rewritten once; later faults at
 * the same address with the same bytes reuse the entry and its stub.
 * Entries are never changed or freed once published, so readers need no
 * lock; two threads analyzing the same new instruction at once both do the
 * work and one entry wins.
 *
 * Synchronization:
 *   mw_x86_cache_get   fault path, any thread, concurrent with itself
 *   mw_x86_cache_init  thread, once, before the handler is installed
 */
#ifndef MW_X86_CACHE_H
#define MW_X86_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "arch/x86_64/insn.h"

int mw_x86_cache_init(void);

/* The analysis of the instruction CODE[0..N) at PC, or NULL if the cache
 * is full. */
const struct mw_x86_insn *mw_x86_cache_get(uint64_t pc, const uint8_t *code, size_t n);

/* [fault path] Is PC in a stub? */
int mw_x86_cache_has_stub(uintptr_t pc);

#endif /* MW_X86_CACHE_H */

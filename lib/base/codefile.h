/* SPDX-License-Identifier: MIT */
/*
 * codefile.h - what the mapped file says about code: instruction bytes as
 * the file has them (under a debugger's breakpoint), and the bounds of the
 * function that holds an address.
 *
 * While GDB delivers a signal to a thread it is stepping, its breakpoints
 * are in memory: the faulting instruction may start with GDB's int3 (0xcc).
 * An int3 never accesses memory, so a fault there is a breakpoint over the
 * real instruction; its bytes come from the mapped file.
 */
#ifndef MW_CODEFILE_H
#define MW_CODEFILE_H

#include <stddef.h>
#include <stdint.h>

/* [fault path] Reads N bytes of the file mapped at PC into BUF (open, read,
 * pread and close of /proc/self/maps and the file; no allocation).
 * Returns the number of bytes read, 0 if PC is not in a file mapping. */
size_t mw_code_from_file(uintptr_t pc, uint8_t *buf, size_t n);

/* [fault path] The protection (PROT_*) of the mapping that holds PC, or -1
 * if none does (the same reads of /proc/self/maps). */
int mw_code_prot(uintptr_t pc);
/* [fault path] The same, and the bounds [*LO, *HI) of that mapping. */
int mw_code_mapping(uintptr_t pc, uintptr_t *lo, uintptr_t *hi);

/* [fault path] The bounds [*START, *END) of the function that holds PC, as
 * the mapped file's unwind table (.eh_frame_hdr) gives them: 0, or -1 if
 * PC is not in a file mapping or the file has no entry for it. */
int mw_code_function(uintptr_t pc, uintptr_t *start, uintptr_t *end);

/* [thread] Once: the system calls to make (the library's gate: no dispatch
 * and no C library code, which may touch watched data of its own). */
void mw_code_syscalls(long (*fn)(long nr, long a1, long a2, long a3, long a4, long a5, long a6));
/* [fault path] ON: the calling thread asks several questions about the same
 * code now (a patcher, under its lock): the mapping's line and the file are
 * kept between them; OFF: no longer (nothing kept). */
void mw_code_session(int on);

#endif /* MW_CODEFILE_H */

/* SPDX-License-Identifier: MIT */
/*
 * jit.h - telling debuggers about the generated stubs.
 */
#ifndef MW_X86_JIT_H
#define MW_X86_JIT_H

#include <stddef.h>
#include <stdint.h>

/*
 * [thread, once] Registers the stub area [code, code+size) through GDB's JIT
 * interface as one object: a symbol, memwatch_stub, and unwind information
 * (the stubs run inside mw_x86_run's frame), so that a backtrace of a thread
 * stopped inside a stub is unbroken.  A debugger attached later finds it in
 * __jit_debug_descriptor.  One registration: one stop of a debugger.
 */
void mw_x86_jit_register(uintptr_t code, size_t size);

/*
 * [fault path] Registers the patched system-call site's stub [STUB,
 * STUB+SIZE) the same way: its frame is the program's at the site, with
 * RIP RESUME (after the syscall instruction), CFA its RSP (once the stub's
 * PRE_LEN bytes of the instruction before and its lea and four pushes have
 * run, 128 + the pushes above it), and again its RSP at FALLBACK (the
 * stub's own syscall).  0, or -1 (no room).
 */
int mw_x86_jit_site(uintptr_t stub, size_t size, uintptr_t resume, unsigned pre_len,
		    unsigned fallback);

/* A row of an access stub's call frame information: from code offset AT
 * on, the program's RSP (the CFA) is RSP + CFA; a negative CFA: RSP + -CFA,
 * less 8 when the word at RSP is 0 (the stub's restartable sequence's
 * abort handler, entered with either). */
struct mw_x86_cfa_row {
	uint16_t at;
	int16_t cfa;
};

/*
 * [fault path] Registers a patched access site's stub [STUB, STUB+SIZE)
 * the same way: its frame is the program's at the site, resuming at RESUME
 * (after the instruction), CFA the program's RSP as the N ROWS say; RESUME
 * 0: the site is a jump through memory (a tail call, a PLT entry's), whose
 * return address is at the program's RSP.  0, or -1 (no room).
 */
int mw_x86_jit_access(uintptr_t stub, size_t size, uintptr_t resume, unsigned n,
		      const struct mw_x86_cfa_row *rows);
/* [fault path] Whether the stub at STUB was registered. */
int mw_x86_jit_told(uintptr_t stub);

#endif /* MW_X86_JIT_H */

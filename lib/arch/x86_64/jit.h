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

#endif /* MW_X86_JIT_H */

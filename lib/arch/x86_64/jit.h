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

#endif /* MW_X86_JIT_H */

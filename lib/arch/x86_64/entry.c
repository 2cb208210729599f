/* SPDX-License-Identifier: MIT */
/*
 * entry.c - the library's signal handlers are entered through a jump in an
 * anonymous page: code with no symbol, no line table and no unwind
 * information.                                            [any]
 * May call: mw_arch_gate_syscall (mmap, mprotect) once.  Nothing else.
 *
 * Why: GDB's `step` through code without line information (the dynamic
 * linker binding a lazy PLT entry, say) single-steps it.  A signal passed
 * to the program there is delivered by that single step, which stops at
 * the first instruction of the handler.  At a handler with line information
 * GDB ends the step ("stepped to a different line") and the user finds
 * himself in fault.c.  At an instruction GDB knows nothing about, it puts a
 * breakpoint where that code returns - [rsp], the signal's restorer - and
 * lets the handler run at full speed ("stepped into undebuggable function",
 * infrun.c), then steps through the restorer back to where it was.  The
 * jump leaves no frame: backtraces from inside a handler are unchanged.
 *
 * The page holds the jumps (read and execute, written once before it is
 * ever executed); their targets are words in the next page (read and
 * write), set before the kernel is given the entry.
 */
#include <stdatomic.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "arch/arch.h"
#include "arch/x86_64/entry.h"

enum { PAGE = 4096, ENTRY = 16, ENTRIES = 8 };

static _Atomic(uint8_t *) page;         /* code page; targets at page + PAGE */

static uint8_t *make_page(void)
{
	long r = mw_arch_gate_syscall(SYS_mmap, 0, 2 * PAGE, PROT_READ | PROT_WRITE,
				      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint8_t *p, *expected = NULL;

	if (r < 0 && r > -4096)
		return NULL;
	p = (uint8_t *)r;
	for (int i = 0; i < ENTRIES; i++) {
		/* jmp *rel32(%rip): the target word of entry i. */
		uint8_t *e = p + i * ENTRY;
		int32_t rel = (int32_t)((p + PAGE + i * 8) - (e + 6));

		e[0] = 0xff;
		e[1] = 0x25;
		__builtin_memcpy(e + 2, &rel, 4);
		for (int j = 6; j < ENTRY; j++)
			e[j] = 0xcc;    /* int3: never reached */
	}
	if (mw_arch_gate_syscall(SYS_mprotect, (long)p, PAGE, PROT_READ | PROT_EXEC, 0, 0, 0) < 0 ||
	    !atomic_compare_exchange_strong(&page, &expected, p)) {
		mw_arch_gate_syscall(SYS_munmap, (long)p, 2 * PAGE, 0, 0, 0, 0);
		return expected;        /* another thread's, or none */
	}
	return p;
}

void *mw_x86_entry(mw_x86_handler *fn)
{
	uint8_t *p = atomic_load(&page);

	if (!p && !(p = make_page()))
		return (void *)fn;
	_Atomic(uintptr_t) *target = (_Atomic(uintptr_t) *)(p + PAGE);
	for (int i = 0; i < ENTRIES; i++) {
		uintptr_t want = 0;

		if (atomic_load(&target[i]) == (uintptr_t)fn ||
		    atomic_compare_exchange_strong(&target[i], &want, (uintptr_t)fn))
			return p + i * ENTRY;
		if (want == (uintptr_t)fn)
			return p + i * ENTRY;
	}
	return (void *)fn;
}

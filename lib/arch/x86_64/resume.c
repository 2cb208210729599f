/* SPDX-License-Identifier: MIT */
/*
 * resume.c - code that sends a thread on to an address kept in its own
 * thread-local storage, and the signal context's program counter.
 *
 * The debugger's stops (fault/debugger.c) return from the SIGSEGV handler
 * to such code instead of to the instruction after the access: a debugger's
 * breakpoint on it stops the thread with every register as the program
 * has it, and when nothing stops it, the thread goes on where it would
 * have.
 * Fault path: mw_arch_set_pc (a store into the context).  mw_arch_tls_jump:
 * thread context (it only writes into a buffer).
 */
#include <string.h>
#include <ucontext.h>

#include "arch/arch.h"

size_t mw_arch_tls_jump(uint8_t *code, size_t room, long tp_offset)
{
	/* jmp *%fs:disp32 (64 ff 24 25 disp32): reads the target at the
	 * thread pointer plus disp32, no register touched, flags neither. */
	static const uint8_t op[4] = { 0x64, 0xff, 0x24, 0x25 };
	int32_t disp = (int32_t)tp_offset;

	if (room < 8 || (long)disp != tp_offset)
		return 0;
	memcpy(code, op, sizeof(op));
	memcpy(code + 4, &disp, sizeof(disp));
	/* Never run: the jump goes on.  int3 makes a stray entry stop. */
	memset(code + 8, 0xcc, room - 8);
	return 8;
}

void mw_arch_set_pc(void *uc, uintptr_t pc)
{
	((ucontext_t *)uc)->uc_mcontext.gregs[REG_RIP] = (greg_t)pc;
}

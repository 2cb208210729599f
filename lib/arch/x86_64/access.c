/* SPDX-License-Identifier: MIT */
/*
 * access.c - what every way of performing an access needs (see access.h):
 * the operand's address, copies between the program's memory (watched
 * pages through their alias) and a buffer, the checks before a write.
 * Fault path: mw_table_*, the probes, memcpy, the fault's before hook.
 */
#include <asm/prctl.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <ucontext.h>

#include "arch/arch.h"
#include "arch/x86_64/access.h"
#include "arch/x86_64/insn.h"
#include "arch/x86_64/probe.h"
#include "arch/x86_64/regs.h"
#include "base/sigsafe.h"
#include "memwatch.h"
#include "watch/table.h"

/* With RFLAGS.AC on, a misaligned access raises #AC (SIGBUS) in user mode,
 * before the page fault: an instruction with one memory operand that gets
 * here is one the processor does not check, and its stub, at the same
 * alignment, is not checked either.  But where an instruction makes a
 * second access after the faulting one (string instructions, the stack
 * side of push, pop and call), the stub would raise #AC inside the handler
 * and the emulation would not raise it at all: decline those.  Taken as
 * aligned: a multiple of the size rounded up to a power of two (at most
 * 64), never less strict than the processor. */
int mw_x86_misaligned_under_ac(const greg_t *g, uintptr_t a, size_t n)
{
	size_t align = 1;

	if (!(g[REG_EFL] & MW_EFL_AC) || n <= 1)
		return 0;
	while (align < n && align < 64)
		align *= 2;
	return (a & (align - 1)) != 0;
}

uintptr_t mw_x86_page_end(uintptr_t a)
{
	return (a & ~(uintptr_t)(MW_X86_PAGE - 1)) + MW_X86_PAGE;
}

uint64_t mw_x86_seg_base(int seg)
{
	unsigned long v = 0;

	syscall(SYS_arch_prctl, seg == 1 ? ARCH_GET_FS : ARCH_GET_GS, &v);
	return v;
}

uintptr_t mw_x86_effective_address(const struct mw_x86_insn *in, const greg_t *g)
{
	uint64_t a = (uint64_t)in->disp;

	if (in->base == MW_X86_RIPREG)
		a += (uint64_t)g[REG_RIP] + in->len;
	else if (in->base >= 0)
		a += (uint64_t)g[in->base];
	if (in->index >= 0)
		a += (uint64_t)g[in->index] * in->scale;
	if (in->flags & MW_X86_ADDR32)
		a &= 0xffffffffu;
	if (in->seg)
		a += mw_x86_seg_base(in->seg);
	return (uintptr_t)a;
}

/* Copies N bytes between BUF and the program's memory at A, page by page,
 * through the alias for watched pages and with probes for the others. */
enum mw_perform mw_x86_mem_copy(struct mw_fault *f, uintptr_t a, void *buf, size_t n,
				int to_memory)
{
	uint8_t *b = buf;

	while (n) {
		size_t chunk = mw_x86_page_end(a) - a;
		uintptr_t p;

		if (chunk > n)
			chunk = n;
		switch (mw_table_xlate(f->snap, a, chunk, to_memory ? MW_WRITE : MW_READ, &p)) {
		case MW_XL_ALIAS:
			if (to_memory)
				memcpy((void *)p, b, chunk);
			else
				memcpy(b, (const void *)p, chunk);
			break;
		case MW_XL_NATIVE:
			if (to_memory ? mw_probe_copy((void *)a, b, chunk)
				      : mw_probe_copy(b, (const void *)a, chunk)) {
				f->genuine_addr = a;
				return MW_GENUINE;
			}
			break;
		case MW_XL_BUSY:
			return MW_RETRY;
		default:
			f->genuine_addr = a;
			return MW_GENUINE;
		}
		a += chunk;
		b += chunk;
		n -= chunk;
	}
	return MW_PERFORMED;
}

/* Before a write through a bounce buffer: every page must take it. */
enum mw_perform mw_x86_check_writable(struct mw_fault *f, uintptr_t a, size_t n)
{
	while (n) {
		size_t chunk = mw_x86_page_end(a) - a;
		uintptr_t p;

		if (chunk > n)
			chunk = n;
		switch (mw_table_xlate(f->snap, a, chunk, MW_WRITE, &p)) {
		case MW_XL_ALIAS:
			break;
		case MW_XL_NATIVE:
			if (mw_probe_writable((void *)a))
				return MW_GENUINE;
			break;
		case MW_XL_BUSY:
			return MW_RETRY;
		default:
			return MW_GENUINE;
		}
		a += chunk;
		n -= chunk;
	}
	return MW_PERFORMED;
}

int mw_x86_contains(uintptr_t a, size_t n, uintptr_t x)
{
	return x >= a && x - a < n;
}

/* The caller's hook, before anything changes (arch.h). */
void mw_x86_before(struct mw_fault *f)
{
	if (f->before)
		f->before(f);
}

/* SPDX-License-Identifier: MIT */
/*
 * stackop.c - instructions whose memory operand is implicit or emulated:
 * push/pop/call/jmp through memory, push/pop/call/ret/leave/pushf/popf on a
 * watched stack page, xlat.
 * Fault path: access.h, mw_table_*, memcpy.
 */
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

/* push/pop/call/jmp with a memory operand: emulated; the fault may be at
 * the operand or at the stack slot (a watched stack page). */
enum mw_perform mw_x86_stack_op(struct mw_fault *f, const struct mw_x86_insn *in, greg_t *g)
{
	uintptr_t sp = (uintptr_t)g[REG_RSP], a;
	uint64_t v;
	enum mw_perform r;

	if (in->cls == MW_X86_POP) {
		/* pop m: the address is computed with RSP already incremented. */
		g[REG_RSP] = (greg_t)(sp + 8);
		a = mw_x86_effective_address(in, g);
		g[REG_RSP] = (greg_t)sp;
		if (!mw_x86_contains(a, 8, f->addr) && !mw_x86_contains(sp, 8, f->addr)) {
			f->why = "the fault is outside the memory operand of pop";
			return MW_DECLINED;
		}
		if (mw_x86_misaligned_under_ac(g, a | sp, 8)) {
			f->why = MW_X86_WHY_AC;
			return MW_DECLINED;
		}
		f->acc[0] = (struct mw_access){ sp, 8, MW_READ };
		f->acc[1] = (struct mw_access){ a, 8, MW_WRITE };
		f->nacc = 2;
		mw_x86_before(f);
		r = mw_x86_mem_copy(f, sp, &v, 8, 0);
		if (r != MW_PERFORMED)
			return r;
		g[REG_RSP] = (greg_t)(sp + 8);
		r = mw_x86_mem_copy(f, a, &v, 8, 1);
		if (r != MW_PERFORMED) {
			g[REG_RSP] = (greg_t)sp;
			return r;
		}
		g[REG_RIP] += in->len;
		return MW_PERFORMED;
	}
	a = mw_x86_effective_address(in, g);
	if (!mw_x86_contains(a, 8, f->addr) &&
	    (in->cls == MW_X86_JMP || !mw_x86_contains(sp - 8, 8, f->addr))) {
		f->why = "the fault is outside the memory operand of the stack or branch "
			 "instruction";
		return MW_DECLINED;
	}
	if (mw_x86_misaligned_under_ac(g, a | (in->cls == MW_X86_JMP ? 0 : sp), 8)) {
		f->why = MW_X86_WHY_AC;
		return MW_DECLINED;
	}
	f->acc[0] = (struct mw_access){ a, 8, MW_READ };
	f->nacc = 1;
	if (in->cls != MW_X86_JMP)
		f->acc[f->nacc++] = (struct mw_access){ sp - 8, 8, MW_WRITE };
	mw_x86_before(f);
	r = mw_x86_mem_copy(f, a, &v, 8, 0);
	if (r != MW_PERFORMED)
		return r;
	if (in->cls == MW_X86_CALL) {
		uint64_t ret = (uint64_t)g[REG_RIP] + in->len;

		r = mw_x86_mem_copy(f, sp - 8, &ret, 8, 1);
		if (r != MW_PERFORMED)
			return r;
		g[REG_RSP] = (greg_t)(sp - 8);
		g[REG_RIP] = (greg_t)v;
	} else if (in->cls == MW_X86_JMP) {
		g[REG_RIP] = (greg_t)v;
	} else {        /* push */
		r = mw_x86_mem_copy(f, sp - 8, &v, 8, 1);
		if (r != MW_PERFORMED)
			return r;
		g[REG_RSP] = (greg_t)(sp - 8);
		g[REG_RIP] += in->len;
	}
	return MW_PERFORMED;
}

/* push, pop, call, ret, leave on a watched stack page.  User-mode popfq
 * changes these flags only: CF PF AF ZF SF TF DF OF NT AC ID. */
#define POPF_MASK 0x244dd5u

enum mw_perform mw_x86_implicit(struct mw_fault *f, const struct mw_x86_insn *in, greg_t *g)
{
	uintptr_t sp = (uintptr_t)g[REG_RSP], next = (uintptr_t)g[REG_RIP] + in->len;
	int push = in->stk == MW_STK_PUSH || in->stk == MW_STK_PUSHF || in->stk == MW_STK_CALL;
	uintptr_t a;
	uint64_t v;
	enum mw_perform r;

	if (in->stk == MW_STK_LEAVE)
		sp = (uintptr_t)g[REG_RBP];
	a = push ? sp - 8 : sp;
	if (!mw_x86_contains(a, 8, f->addr)) {
		f->why = "the fault is not at the stack slot the instruction uses";
		return MW_DECLINED;
	}
	if (mw_x86_misaligned_under_ac(g, a, 8)) {
		f->why = MW_X86_WHY_AC;
		return MW_DECLINED;
	}
	f->acc[0] = (struct mw_access){ a, 8, push ? MW_WRITE : MW_READ };
	f->nacc = 1;
	mw_x86_before(f);
	if (push) {
		switch (in->stk) {
		case MW_STK_PUSH:
			v = in->stkreg >= 0 ? (uint64_t)g[in->stkreg] : (uint64_t)in->disp;
			break;
		case MW_STK_PUSHF:
			v = (uint64_t)g[REG_EFL] & ~(uint64_t)0x30000;      /* RF, VM read 0 */
			break;
		default:        /* call */
			v = next;
			break;
		}
		r = mw_x86_mem_copy(f, a, &v, 8, 1);
		if (r != MW_PERFORMED)
			return r;
		g[REG_RSP] = (greg_t)a;
		if (in->stk == MW_STK_CALL)
			g[REG_RIP] = in->stkreg >= 0 ? g[in->stkreg] == (greg_t)a ?
				     (greg_t)sp : g[in->stkreg] : (greg_t)(next + (uint64_t)in->disp);
		else
			g[REG_RIP] = (greg_t)next;
		return MW_PERFORMED;
	}
	r = mw_x86_mem_copy(f, a, &v, 8, 0);
	if (r != MW_PERFORMED)
		return r;
	g[REG_RSP] = (greg_t)(a + 8);
	g[REG_RIP] = (greg_t)next;
	switch (in->stk) {
	case MW_STK_POP:
		g[in->stkreg] = (greg_t)v;      /* pop rsp: the value read */
		break;
	case MW_STK_POPF:
		g[REG_EFL] = (greg_t)(((uint64_t)g[REG_EFL] & ~(uint64_t)POPF_MASK) |
				      (v & POPF_MASK));
		break;
	case MW_STK_RET:
		g[REG_RSP] = (greg_t)(a + 8 + (uint64_t)in->disp);
		g[REG_RIP] = (greg_t)v;
		break;
	case MW_STK_LEAVE:
		g[REG_RBP] = (greg_t)v;
		break;
	}
	return MW_PERFORMED;
}

/* xlat: al = [rbx + al] */
enum mw_perform mw_x86_xlat(struct mw_fault *f, const struct mw_x86_insn *in, greg_t *g)
{
	uint64_t a = (uint64_t)g[REG_RBX] + (uint8_t)g[REG_RAX];
	uint8_t v;
	enum mw_perform r;

	if (in->flags & MW_X86_ADDR32)
		a &= 0xffffffffu;
	if (in->seg)
		a += mw_x86_seg_base(in->seg);
	if (a != f->addr) {
		f->why = "the fault is not at the byte xlat reads";
		return MW_DECLINED;
	}
	f->acc[0] = (struct mw_access){ (uintptr_t)a, 1, MW_READ };
	f->nacc = 1;
	mw_x86_before(f);
	r = mw_x86_mem_copy(f, (uintptr_t)a, &v, 1, 0);
	if (r != MW_PERFORMED)
		return r;
	g[REG_RAX] = (greg_t)(((uint64_t)g[REG_RAX] & ~(uint64_t)0xff) | v);
	g[REG_RIP] += in->len;
	return MW_PERFORMED;
}

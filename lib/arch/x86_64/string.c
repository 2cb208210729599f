/* SPDX-License-Identifier: MIT */
/*
 * string.c - movs, stos, lods, cmps, scas (with rep) on watched memory:
 * performed in runs of elements that stay on one page's view.
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

/* Elements of size E from P on (downwards when BACK) that stay in P's page;
 * 0 when the element at P itself crosses into the next page. */
static uint64_t room(uintptr_t p, size_t e, int back)
{
	uintptr_t end = mw_x86_page_end(p);

	if (p + e > end)
		return 0;
	return back ? (p - (end - MW_X86_PAGE)) / e + 1 : (end - p) / e;
}

/* Where the string instruction's K elements at P run: the alias, the memory
 * itself, or (K == 1 crossing pages) a bounce buffer. */
static enum mw_perform place(struct mw_fault *f, uintptr_t p, size_t e, uint64_t k,
			     int back, unsigned kind, int straddle, uint8_t *bounce,
			     uintptr_t *out)
{
	uintptr_t lo = back ? p - (k - 1) * e : p, q;
	enum mw_perform r;

	if (straddle) {
		r = mw_x86_mem_copy(f, p, bounce, e, 0);
		if (r == MW_PERFORMED && (kind & MW_WRITE))
			r = mw_x86_check_writable(f, p, e);
		*out = (uintptr_t)bounce;
		return r;
	}
	switch (mw_table_xlate(f->snap, lo, k * e, kind, &q)) {
	case MW_XL_ALIAS:
		*out = q + (p - lo);
		return MW_PERFORMED;
	case MW_XL_NATIVE: {
		uint8_t byte;

		if ((kind & MW_WRITE) ? mw_probe_writable((void *)lo)
				      : mw_probe_copy(&byte, (const void *)lo, 1))
			return MW_GENUINE;
		*out = p;
		return MW_PERFORMED;
	}
	case MW_XL_BUSY:
		return MW_RETRY;
	default:
		return MW_GENUINE;
	}
}

enum mw_perform mw_x86_string(struct mw_fault *f, const struct mw_x86_insn *in, greg_t *g)
{
	const size_t e = in->elem;
	const int back = (g[REG_EFL] & MW_EFL_DF) != 0;
	const int src = in->strop == MW_STR_MOVS || in->strop == MW_STR_LODS ||
			in->strop == MW_STR_CMPS;
	const int dst = in->strop != MW_STR_LODS;
	const unsigned dkind = in->strop == MW_STR_MOVS || in->strop == MW_STR_STOS ?
			       MW_WRITE : MW_READ;
	const uint64_t amask = in->flags & MW_X86_ADDR32 ? 0xffffffffu : ~(uint64_t)0;
	const uintptr_t s0 = (uintptr_t)g[REG_RSI] & amask, d0 = (uintptr_t)g[REG_RDI] & amask;
	const greg_t s_orig = g[REG_RSI], d_orig = g[REG_RDI], c_orig = g[REG_RCX];
	const uintptr_t sbase = in->seg && src ? (uintptr_t)mw_x86_seg_base(in->seg) : 0;
	uint64_t count = in->rep ? (uint64_t)g[REG_RCX] & amask : 1, total = 0;
	enum mw_perform r = MW_PERFORMED;
	int stop = 0;
	/* The most it may touch, for the log's old values and backtrace. */
	uint64_t most = (count < (1ull << 32) ? count : (1ull << 32)) * e;

	if (mw_x86_misaligned_under_ac(g, (src ? s0 + sbase : 0) | (dst ? d0 : 0), e)) {
		f->why = MW_X86_WHY_AC;
		return MW_DECLINED;
	}
	f->nacc = 0;
	if (src)
		f->acc[f->nacc++] = (struct mw_access){
			(back ? s0 + e - most : s0) + sbase, most, MW_READ };
	if (dst)
		f->acc[f->nacc++] = (struct mw_access){ back ? d0 + e - most : d0, most, dkind };
	mw_x86_before(f);

	while (count && !stop) {
		uintptr_t s = (uintptr_t)g[REG_RSI] & amask, d = (uintptr_t)g[REG_RDI] & amask;
		uintptr_t sp = s, dp = d;
		uint64_t k = count, rs = src ? room(s + sbase, e, back) : count,
			 rd = dst ? room(d, e, back) : count, done;
		uint8_t sb[64 + 8] __attribute__((aligned(8))), db[64 + 8] __attribute__((aligned(8)));

		if (rs < k)
			k = rs;
		if (rd < k)
			k = rd;
		if (k == 0)
			k = 1;          /* an element crosses pages: bounce it */
		if (src)
			r = place(f, s + sbase, e, k, back, MW_READ, rs == 0, sb, &sp);
		if (dst && r == MW_PERFORMED)
			r = place(f, d, e, k, back, dkind, rd == 0, db, &dp);
		if (r != MW_PERFORMED)
			break;
		g[REG_RSI] = (greg_t)sp;
		g[REG_RDI] = (greg_t)dp;
		if (in->rep)
			g[REG_RCX] = (greg_t)k;
		if (mw_x86_run(g, in->stub, NULL, 0)) {
			/* Cannot happen (string instructions fault only on
			 * memory, which place() checked); never loop on it. */
			g[REG_RSI] = total ? (greg_t)s : s_orig;
			g[REG_RDI] = total ? (greg_t)d : d_orig;
			r = MW_GENUINE;
			break;
		}
		done = in->rep ? k - (uint64_t)g[REG_RCX] : 1;
		if (dst && rd == 0 && dkind == MW_WRITE)
			mw_x86_mem_copy(f, d, db, e, 1);
		/* With 32-bit addressing the CPU writes ESI/EDI/ECX, which
		 * zero-extends them; only the registers it uses change. */
		g[REG_RSI] = src ? (greg_t)((back ? s - done * e : s + done * e) & amask) : (greg_t)s_orig;
		g[REG_RDI] = dst ? (greg_t)((back ? d - done * e : d + done * e) & amask) : (greg_t)d_orig;
		count -= done;
		total += done;
		if (in->rep && (in->strop == MW_STR_CMPS || in->strop == MW_STR_SCAS)) {
			int zf = (g[REG_EFL] & MW_EFL_ZF) != 0;

			stop = in->rep == MW_REP_REP ? !zf : zf;
		}
	}
	if (in->rep)
		g[REG_RCX] = (greg_t)count;
	else if (r != MW_PERFORMED)
		g[REG_RSI] = s_orig, g[REG_RDI] = d_orig;
	if (!total) {
		/* Nothing done: the registers as they were (with 32-bit
		 * addresses, count is ECX: RCX's upper half must stay). */
		g[REG_RSI] = s_orig;
		g[REG_RDI] = d_orig;
		g[REG_RCX] = c_orig;
		return r == MW_PERFORMED ? MW_GENUINE : r;
	}
	/* Unfinished (memory in transition, or a fault ahead): the CPU resumes
	 * the instruction where it stopped, as after an interrupt. */
	if (!in->rep || count == 0 || stop)
		g[REG_RIP] += in->len;
	f->nacc = 0;
	if (src)
		f->acc[f->nacc++] = (struct mw_access){
			(back ? s0 - (total - 1) * e : s0) + sbase, total * e, MW_READ };
	if (dst)
		f->acc[f->nacc++] = (struct mw_access){
			back ? d0 - (total - 1) * e : d0, total * e, dkind };
	return MW_PERFORMED;
}

/* SPDX-License-Identifier: MIT */
/*
 * gather.c - AVX2 gathers (vpgatherdd/dq/qd/qq, vgatherdps/dpd/qps/qpd) on
 * watched memory, lane by lane.
 *
 * Lane j, enabled by the sign bit of the mask register's element j, reads
 * the element at base + index[j] * scale + disp (index elements signed).
 * Every enabled lane is read - watched pages through their alias, the
 * others with probes - into a bounce buffer, lane j at slot j * stride.
 * Then the instruction itself runs (its stub: [scratch + vindex*scale]),
 * with scratch at the buffer and, for that moment only, the index register
 * pointing lane j at its slot: the processor merges the lanes into the
 * destination, clears the mask and zeroes the bits above the lanes exactly
 * as it does for the program.  The index register is put back after (the
 * instruction never writes it).  The mask comes from the frame as the
 * processor left it: a gather interrupted by a fault has already done (and
 * cleared) the lanes before the faulting one.
 *
 * A lane that faults genuinely (its page unmapped or forbidden to the
 * program): the lanes before it are done as the processor would have done
 * them (destination element loaded, mask element cleared), the rest left
 * as they were, and the fault is the program's, at that lane's address.
 *
 * Records: the lanes that touch watched bytes, coalesced where they are
 * adjacent or overlap, at most MW_FAULT_MAX_ACCESS accesses (see
 * lane_accesses).
 *
 * Fault path: access.h, mw_table_wanted, mw_x86_run, memcpy/memset.
 */
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <ucontext.h>

#include "arch/arch.h"
#include "arch/x86_64/access.h"
#include "arch/x86_64/insn.h"
#include "arch/x86_64/regs.h"
#include "base/sigsafe.h"
#include "memwatch.h"
#include "watch/table.h"

#define LANES_MAX 8             /* vpgatherdd ymm: eight dwords */
#define XS_XMM 160              /* legacy region: xmm0..15, 16 bytes each */
#define XS_BV 512               /* XSTATE_BV in the header */
#define XS_SSE 2u               /* component 1 */
#define XS_YMM 4u               /* component 2: upper halves of ymm0..15 */

/* ymm REG (0..15) from the XSAVE area XS: a component in its initial
 * state (XSTATE_BV bit clear) reads as zeros, as xrstor would load it. */
static void ymm_get(const uint8_t *xs, unsigned reg, uint8_t out[32])
{
	uint64_t bv;

	memcpy(&bv, xs + XS_BV, 8);
	memset(out, 0, 32);
	if (bv & XS_SSE)
		memcpy(out, xs + XS_XMM + 16 * reg, 16);
	if (bv & XS_YMM)
		memcpy(out + 16, xs + mw_x86_xsave_ymmh + 16 * reg, 16);
}

/* Sets ymm REG in XS.  A component that was in its initial state gets its
 * zeros written out first and its XSTATE_BV bit set: xrstor then loads it
 * from memory. */
static void ymm_put(uint8_t *xs, unsigned reg, const uint8_t in[32])
{
	uint64_t bv;

	memcpy(&bv, xs + XS_BV, 8);
	if (!(bv & XS_SSE)) {
		memset(xs + XS_XMM, 0, 16 * 16);
		bv |= XS_SSE;
	}
	if (!(bv & XS_YMM)) {
		memset(xs + mw_x86_xsave_ymmh, 0, 16 * 16);
		bv |= XS_YMM;
	}
	memcpy(xs + XS_XMM + 16 * reg, in, 16);
	memcpy(xs + mw_x86_xsave_ymmh + 16 * reg, in + 16, 16);
	memcpy(xs + XS_BV, &bv, 8);
}

/* Coalesces the N lane accesses LANE[] (sorted in place) into at most
 * MW_FAULT_MAX_ACCESS in F->acc.  Lanes that overlap or touch become one
 * access.  Beyond that, neighbours are joined: first across gaps that hold
 * no watched byte of the kind (the records, cut to each watch, stay those
 * of the lanes), then across the smallest gap (a record may then cover
 * bytes between two lanes of one watch, and a watch lying wholly between
 * two lanes would count).  Why not raise MW_FAULT_MAX_ACCESS to the 8
 * lanes: every fault's struct mw_fault, on the program's signal stack,
 * would grow by 6 old-value buffers of MW_PRE_MAX bytes that only writes
 * use - and gathers only read - for a case (more than two separate runs
 * of lanes touching watched bytes) that is rare. */
static void lane_accesses(struct mw_fault *f, struct mw_access *lane, int n)
{
	int m = 0;

	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && lane[j - 1].addr > lane[j].addr; j--) {
			struct mw_access t = lane[j];

			lane[j] = lane[j - 1];
			lane[j - 1] = t;
		}
	for (int i = 0; i < n; i++) {
		if (m && lane[i].addr <= lane[m - 1].addr + lane[m - 1].len) {
			uintptr_t end = lane[i].addr + lane[i].len;

			if (end > lane[m - 1].addr + lane[m - 1].len)
				lane[m - 1].len = end - lane[m - 1].addr;
		} else {
			lane[m++] = lane[i];
		}
	}
	while (m > MW_FAULT_MAX_ACCESS) {
		int best = 0, best_clear = 0;
		uintptr_t best_gap = UINTPTR_MAX;

		for (int i = 0; i + 1 < m; i++) {
			uintptr_t lo = lane[i].addr + lane[i].len, gap = lane[i + 1].addr - lo;
			struct mw_access between = { lo, gap, lane[i].kind };
			int clear = !mw_table_wanted(f->snap, &between, 1);

			if ((clear && !best_clear) || (clear == best_clear && gap < best_gap)) {
				best = i;
				best_clear = clear;
				best_gap = gap;
			}
		}
		lane[best].len = lane[best + 1].addr + lane[best + 1].len - lane[best].addr;
		for (int i = best + 1; i + 1 < m; i++)
			lane[i] = lane[i + 1];
		m--;
	}
	for (int i = 0; i < m; i++)
		f->acc[i] = lane[i];
	f->nacc = m;
}

enum mw_perform mw_x86_gather(struct mw_fault *f, const struct mw_x86_insn *in, greg_t *g)
{
	const unsigned e = in->elem, ie = in->ielem;
	const unsigned stride = e > in->scale ? e : in->scale;
	uint8_t bounce[LANES_MAX * 8] __attribute__((aligned(64)));
	uint8_t idx[32], mask[32], fake[32];
	uintptr_t addr[LANES_MAX];
	struct mw_access lane[LANES_MAX];
	unsigned on = 0, lanes = in->lanes, bad = LANES_MAX, nlane = 0;
	uint64_t xmask, segbase = in->seg ? mw_x86_seg_base(in->seg) : 0;
	uint8_t *xs = mw_x86_xsave_area(f->uc, &xmask);
	int hit = 0, faulted;
	greg_t saved;

	if (!xs || (xmask & (XS_SSE | XS_YMM)) != (XS_SSE | XS_YMM) || !mw_x86_xsave_ymmh ||
	    lanes > LANES_MAX) {
		f->why = "the signal frame has no XSAVE area with the AVX state";
		return MW_DECLINED;
	}
	ymm_get(xs, in->vindex, idx);
	ymm_get(xs, in->maskreg, mask);
	for (unsigned j = 0; j < lanes; j++) {
		uint64_t a = (uint64_t)in->disp;
		int64_t ix;

		if (!(mask[(j + 1) * e - 1] & 0x80))
			continue;
		if (ie == 4) {
			int32_t v;

			memcpy(&v, idx + 4 * j, 4);
			ix = v;
		} else {
			memcpy(&ix, idx + 8 * j, 8);
		}
		if (in->base >= 0)
			a += (uint64_t)g[in->base];
		a += (uint64_t)ix * in->scale;
		if (in->flags & MW_X86_ADDR32)
			a &= 0xffffffffu;
		addr[j] = (uintptr_t)(a + segbase);
		on |= 1u << j;
		hit |= mw_x86_contains(addr[j], e, f->addr);
		if (mw_x86_misaligned_under_ac(g, addr[j], e)) {
			f->why = MW_X86_WHY_AC;
			return MW_DECLINED;
		}
	}
	if (!hit) {
		f->why = "the fault is outside the lanes the gather was decoded to read";
		return MW_DECLINED;
	}
	for (unsigned j = 0; j < lanes; j++) {
		enum mw_perform r;

		if (!(on & (1u << j)))
			continue;
		r = mw_x86_mem_copy(f, addr[j], bounce + j * stride, e, 0);
		if (r == MW_RETRY)
			return r;       /* nothing changed yet */
		if (r != MW_PERFORMED) {
			bad = j;
			break;
		}
		lane[nlane] = (struct mw_access){ addr[j], e, MW_READ };
		if (mw_table_wanted(f->snap, &lane[nlane], 1))
			nlane++;
	}
	if (bad != LANES_MAX) {
		/* As the processor leaves a gather that faults at lane BAD:
		 * the lanes before it done, their mask elements cleared (the
		 * SDM: elements closer to the LSB than the faulting one are
		 * completed; those after it, here, are not). */
		uint8_t data[32];

		ymm_get(xs, in->datareg, data);
		for (unsigned j = 0; j < bad; j++) {
			if (on & (1u << j))
				memcpy(data + j * e, bounce + j * stride, e);
			memset(mask + j * e, 0, e);
		}
		ymm_put(xs, in->datareg, data);
		ymm_put(xs, in->maskreg, mask);
		return MW_GENUINE;      /* f->genuine_addr: set by mw_x86_mem_copy */
	}
	lane_accesses(f, lane, (int)nlane);
	mw_x86_before(f);

	/* Lane j of the stub reads scratch + fake[j] * scale = slot j. */
	memcpy(fake, idx, sizeof(fake));
	for (unsigned j = 0; j < lanes; j++) {
		uint64_t v = (uint64_t)j * stride / in->scale;

		memcpy(fake + j * ie, &v, ie);
	}
	ymm_put(xs, in->vindex, fake);
	saved = g[in->scratch];
	g[in->scratch] = (greg_t)(uintptr_t)bounce;
	faulted = mw_x86_run(g, in->stub, xs, xmask);
	g[in->scratch] = saved;
	{
		/* As generic: the handler goes on with the default x87/SSE
		 * control state; the program's is in the frame. */
		static const uint32_t mxcsr_default = 0x1f80;

		__asm__ volatile("fninit; ldmxcsr %0" : : "m"(mxcsr_default));
	}
	ymm_put(xs, in->vindex, idx);
	if (faulted)
		return MW_GENUINE;
	g[REG_RIP] += in->len;
	return MW_PERFORMED;
}

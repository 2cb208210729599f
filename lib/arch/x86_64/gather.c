/* SPDX-License-Identifier: MIT */
/*
 * gather.c - gathers and scatters on watched memory, lane by lane: AVX2
 * gathers (vpgatherdd/dq/qd/qq, vgatherdps/dpd/qps/qpd, a vector mask)
 * and their AVX-512 forms (a k mask), and AVX-512 scatters
 * (vpscatterdd/dq/qd/qq, vscatterdps/dpd/qps/qpd).
 *
 * Lane j, enabled by the sign bit of the mask register's element j (AVX2)
 * or by bit j of the k register (AVX-512), accesses the element at base +
 * index[j] * scale + disp (index elements signed).
 *
 * Gathers: every enabled lane is read - watched pages through their alias,
 * the others with probes - into a bounce buffer, lane j at slot j * stride.
 * Then the instruction itself runs (its stub: [scratch + vindex*scale]),
 * with scratch at the buffer and, for that moment only, the index register
 * pointing lane j at its slot: the processor merges the lanes into the
 * destination, clears the mask and zeroes the bits above the lanes exactly
 * as it does for the program.  The index register is put back after (the
 * instruction never writes it).
 *
 * Scatters: every enabled lane is checked first (nothing is written before
 * it is known which lanes the processor would complete), then written in
 * lane order - watched pages through their alias, the others with probes -
 * so that of overlapping lanes the later one wins, as the SDM orders them;
 * the k register is then zeroed, as the processor leaves it.
 *
 * The mask comes from the frame as the processor left it: an instruction
 * interrupted by a fault has already done (and cleared) the lanes before
 * the faulting one.  A lane that faults genuinely (its page unmapped or
 * forbidden to the program): the lanes before it are done as the
 * processor does them (a gather's destination elements loaded, a
 * scatter's elements written, their mask elements or bits cleared) and
 * recorded, and the instruction is left to run again: with those lanes
 * off, the processor's own fault is the faulting lane's, with its address
 * and code.  When no enabled lane comes before it, the fault is declared
 * genuine at once.
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

#define LANES_MAX 16            /* vpgatherdd zmm: sixteen dwords */
#define XS_XMM 160              /* legacy region: xmm0..15, 16 bytes each */
#define XS_BV 512               /* XSTATE_BV in the header */
#define XS_SSE 0x02u            /* component 1 */
#define XS_YMM 0x04u            /* component 2: upper halves of ymm0..15 */
#define XS_OPMASK 0x20u         /* component 5: k0..k7 */
#define XS_ZMMH 0x40u           /* component 6: upper halves of zmm0..15 */
#define XS_HI16 0x80u           /* component 7: zmm16..31 */

static uint64_t bv_get(const uint8_t *xs)
{
	uint64_t bv;

	memcpy(&bv, xs + XS_BV, 8);
	return bv;
}

/* Component BIT (SIZE bytes at OFF) about to be written: one in its
 * initial state gets its zeros written out and its XSTATE_BV bit set,
 * so that xrstor loads it from memory. */
static void part_open(uint8_t *xs, uint64_t bit, uint32_t off, size_t size)
{
	uint64_t bv = bv_get(xs);

	if (!(bv & bit)) {
		memset(xs + off, 0, size);
		bv |= bit;
		memcpy(xs + XS_BV, &bv, 8);
	}
}

/* Vector register REG (0..31) from the XSAVE area XS, 64 bytes: a
 * component in its initial state (or absent) reads as zeros, as xrstor
 * would load it. */
static void vreg_get(const uint8_t *xs, unsigned reg, uint8_t out[64])
{
	uint64_t bv = bv_get(xs);

	memset(out, 0, 64);
	if (reg >= 16) {
		if (mw_x86_xsave_hi16 && (bv & XS_HI16))
			memcpy(out, xs + mw_x86_xsave_hi16 + 64 * (reg - 16), 64);
		return;
	}
	if (bv & XS_SSE)
		memcpy(out, xs + XS_XMM + 16 * reg, 16);
	if (bv & XS_YMM)
		memcpy(out + 16, xs + mw_x86_xsave_ymmh + 16 * reg, 16);
	if (mw_x86_xsave_zmmh && (bv & XS_ZMMH))
		memcpy(out + 32, xs + mw_x86_xsave_zmmh + 32 * reg, 32);
}

/* Sets vector register REG in XS, the parts the frame holds (XMASK). */
static void vreg_put(uint8_t *xs, uint64_t xmask, unsigned reg, const uint8_t in[64])
{
	if (reg >= 16) {
		part_open(xs, XS_HI16, mw_x86_xsave_hi16, 16 * 64);
		memcpy(xs + mw_x86_xsave_hi16 + 64 * (reg - 16), in, 64);
		return;
	}
	part_open(xs, XS_SSE, XS_XMM, 16 * 16);
	part_open(xs, XS_YMM, mw_x86_xsave_ymmh, 16 * 16);
	memcpy(xs + XS_XMM + 16 * reg, in, 16);
	memcpy(xs + mw_x86_xsave_ymmh + 16 * reg, in + 16, 16);
	if (mw_x86_xsave_zmmh && (xmask & XS_ZMMH)) {
		part_open(xs, XS_ZMMH, mw_x86_xsave_zmmh, 16 * 32);
		memcpy(xs + mw_x86_xsave_zmmh + 32 * reg, in + 32, 32);
	}
}

static uint64_t k_get(const uint8_t *xs, unsigned k)
{
	uint64_t v = 0;

	if (bv_get(xs) & XS_OPMASK)
		memcpy(&v, xs + mw_x86_xsave_opmask + 8 * k, 8);
	return v;
}

static void k_put(uint8_t *xs, unsigned k, uint64_t v)
{
	part_open(xs, XS_OPMASK, mw_x86_xsave_opmask, 8 * 8);
	memcpy(xs + mw_x86_xsave_opmask + 8 * k, &v, 8);
}

/* Whether the N bytes at A take a write; if not, F->genuine_addr is the
 * start of the first part (of at most two pages) that does not. */
static enum mw_perform lane_writable(struct mw_fault *f, uintptr_t a, size_t n)
{
	while (n) {
		size_t chunk = mw_x86_page_end(a) - a;
		enum mw_perform r;

		if (chunk > n)
			chunk = n;
		r = mw_x86_check_writable(f, a, chunk);
		if (r == MW_GENUINE)
			f->genuine_addr = a;
		if (r != MW_PERFORMED)
			return r;
		a += chunk;
		n -= chunk;
	}
	return MW_PERFORMED;
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
	const unsigned e = in->elem, ie = in->ielem, lanes = in->lanes;
	const unsigned stride = e > in->scale ? e : in->scale;
	const int kmask = in->maskkind == MW_MASK_K, scatter = (in->kind & MW_WRITE) != 0;
	const uint64_t need = XS_SSE | XS_YMM | (kmask ? XS_OPMASK | XS_ZMMH | XS_HI16 : 0);
	uint8_t bounce[LANES_MAX * 8] __attribute__((aligned(64)));
	uint8_t idx[64], mask[64], fake[64], data[64];
	uintptr_t addr[LANES_MAX];
	struct mw_access lane[LANES_MAX];
	unsigned on = 0, bad = LANES_MAX, nlane = 0;
	uint64_t kbits = 0, xmask, segbase = in->seg ? mw_x86_seg_base(in->seg) : 0;
	uint8_t *xs = mw_x86_xsave_area(f->uc, &xmask);
	int hit = 0, faulted;
	greg_t saved;

	if (!xs || (xmask & need) != need || !mw_x86_xsave_ymmh || lanes > LANES_MAX ||
	    (kmask && (!mw_x86_xsave_opmask || !mw_x86_xsave_zmmh || !mw_x86_xsave_hi16))) {
		f->why = kmask ? "the signal frame has no XSAVE area with the AVX-512 state"
			       : "the signal frame has no XSAVE area with the AVX state";
		return MW_DECLINED;
	}
	vreg_get(xs, in->vindex, idx);
	if (kmask)
		kbits = k_get(xs, in->maskreg);
	else
		vreg_get(xs, in->maskreg, mask);
	for (unsigned j = 0; j < lanes; j++) {
		uint64_t a = (uint64_t)in->disp;
		int64_t ix;

		if (kmask ? !((kbits >> j) & 1) : !(mask[(j + 1) * e - 1] & 0x80))
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
		f->why = "the fault is outside the lanes the gather or scatter was decoded to "
			 "access";
		return MW_DECLINED;
	}
	/* Each enabled lane in order: a gather's read, a scatter's check,
	 * until one that faults genuinely. */
	for (unsigned j = 0; j < lanes; j++) {
		enum mw_perform r;

		if (!(on & (1u << j)))
			continue;
		r = scatter ? lane_writable(f, addr[j], e)
			    : mw_x86_mem_copy(f, addr[j], bounce + j * stride, e, 0);
		if (r == MW_RETRY)
			return r;       /* nothing changed yet */
		if (r != MW_PERFORMED) {
			bad = j;
			break;
		}
		lane[nlane] = (struct mw_access){ addr[j], e, (uint8_t)in->kind };
		if (mw_table_wanted(f->snap, &lane[nlane], 1))
			nlane++;
	}
	if (bad != LANES_MAX) {
		on &= (1u << bad) - 1;
		if (!on)
			return MW_GENUINE;      /* f->genuine_addr: that lane's */
	}
	lane_accesses(f, lane, (int)nlane);
	mw_x86_before(f);

	if (scatter) {
		vreg_get(xs, in->datareg, data);
		for (unsigned j = 0; j < lanes; j++)
			if ((on & (1u << j)) &&
			    mw_x86_mem_copy(f, addr[j], data + j * e, e, 1) != MW_PERFORMED) {
				/* Checked above: only a page changed since. */
				k_put(xs, in->maskreg, kbits & ~(uint64_t)((1u << j) - 1));
				return MW_GENUINE;
			}
		if (bad != LANES_MAX) {
			/* The lanes before BAD written, their bits cleared; the
			 * instruction runs again and faults at BAD. */
			k_put(xs, in->maskreg, kbits & ~(uint64_t)((1u << bad) - 1));
			return MW_PERFORMED;
		}
		k_put(xs, in->maskreg, 0);
		g[REG_RIP] += in->len;
		return MW_PERFORMED;
	}
	if (bad != LANES_MAX) {
		/* As the processor leaves a gather that faults at lane BAD:
		 * the lanes before it done, their mask elements cleared (the
		 * SDM: elements closer to the LSB than the faulting one are
		 * completed; those after it, here, are not).  The instruction
		 * runs again and faults at BAD. */
		vreg_get(xs, in->datareg, data);
		for (unsigned j = 0; j < bad; j++) {
			if (on & (1u << j))
				memcpy(data + j * e, bounce + j * stride, e);
			if (!kmask)
				memset(mask + j * e, 0, e);
		}
		vreg_put(xs, xmask, in->datareg, data);
		if (kmask)
			k_put(xs, in->maskreg, kbits & ~(uint64_t)((1u << bad) - 1));
		else
			vreg_put(xs, xmask, in->maskreg, mask);
		return MW_PERFORMED;
	}

	/* Lane j of the stub reads scratch + fake[j] * scale = slot j. */
	memcpy(fake, idx, sizeof(fake));
	for (unsigned j = 0; j < lanes; j++) {
		uint64_t v = (uint64_t)j * stride / in->scale;

		memcpy(fake + j * ie, &v, ie);
	}
	vreg_put(xs, xmask, in->vindex, fake);
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
	vreg_put(xs, xmask, in->vindex, idx);
	if (faulted)
		return MW_GENUINE;
	g[REG_RIP] += in->len;
	return MW_PERFORMED;
}

/* SPDX-License-Identifier: MIT */
/*
 * perform.c - performing a faulting access on the program's behalf.
 *
 * Fault path: may call the table (mw_table_*), the instruction cache,
 * mw_x86_run, the probes, the fault's own f->before hook, memcpy, and the
 * arch_prctl, getpid, gettid and rt_tgsigqueueinfo system calls,
 * sigaction and pthread_sigmask.
 *
 * The watched page is never opened.  The access runs on the alias: the
 * instruction itself (rewritten to address the alias through a scratch
 * register) for most instructions, so its exact semantics - flags, atomicity,
 * vector state - come from the CPU, not from an emulation.  An access that
 * straddles a span boundary runs on a bounce buffer filled from (and written
 * back to) each page's own view; atomic ones are declined, since no single
 * view covers both pages.
 */
#include <asm/prctl.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "arch/arch.h"
#include "arch/x86_64/cache.h"
#include "base/codefile.h"
#include "arch/x86_64/insn.h"
#include "memwatch.h"
#include "arch/x86_64/probe.h"
#include "arch/x86_64/regs.h"
#include "base/sigsafe.h"

#define PAGE 4096u

int mw_x86_run(greg_t *gregs, const void *stub, void *xsave, uint64_t xmask);
extern const char mw_x86_run_fault[];

int mw_arch_init(void)
{
	int r = mw_x86_insn_init();

	return r ? r : mw_x86_cache_init();
}

/* The kernel delivers a signal with the program's RFLAGS.AC: with it on,
 * any misaligned access in the library (memcpy, libunwind) would raise #AC.
 * Off for the handler; sigreturn restores the program's. */
void mw_arch_handler_entry(void)
{
	__asm__ volatile("pushfq; andq $~0x40000, (%%rsp); popfq" ::: "cc", "memory");
}

/* With RFLAGS.AC on, a misaligned access raises #AC (SIGBUS) in user mode,
 * before the page fault: an instruction with one memory operand that gets
 * here is one the processor does not check, and its stub, at the same
 * alignment, is not checked either.  But where an instruction makes a
 * second access after the faulting one (string instructions, the stack
 * side of push, pop and call), the stub would raise #AC inside the handler
 * and the emulation would not raise it at all: decline those.  Taken as
 * aligned: a multiple of the size rounded up to a power of two (at most
 * 64), never less strict than the processor. */
static int misaligned_under_ac(const greg_t *g, uintptr_t a, size_t n)
{
	size_t align = 1;

	if (!(g[REG_EFL] & MW_EFL_AC) || n <= 1)
		return 0;
	while (align < n && align < 64)
		align *= 2;
	return (a & (align - 1)) != 0;
}
#define WHY_AC "alignment checking (RFLAGS.AC) is on and the access is misaligned"

uintptr_t mw_arch_pc(void *uc)
{
	return (uintptr_t)((ucontext_t *)uc)->uc_mcontext.gregs[REG_RIP];
}

uintptr_t mw_arch_sp(void *uc)
{
	return (uintptr_t)((ucontext_t *)uc)->uc_mcontext.gregs[REG_RSP];
}

uintptr_t mw_arch_thread_dtv(void)
{
	uintptr_t dtv;

	/* glibc's tcbhead_t on x86-64: { tcb, dtv, self, ... } at %fs:0. */
	__asm__("mov %%fs:8, %0" : "=r"(dtv));
	return dtv;
}

int mw_arch_probe_fixup(void *ctx)
{
	greg_t *g = ((ucontext_t *)ctx)->uc_mcontext.gregs;
	uintptr_t pc = (uintptr_t)g[REG_RIP];

	if (mw_x86_cache_has_stub(pc)) {
		/* The instruction faulted in its stub, not on memory: give up
		 * the run (run.S) and let the program's instruction fault. */
		g[REG_RIP] = (greg_t)(uintptr_t)mw_x86_run_fault;
		return 1;
	}
	if (pc < (uintptr_t)mw_probe_begin || pc >= (uintptr_t)mw_probe_end)
		return 0;
	g[REG_RIP] = (greg_t)(uintptr_t)mw_probe_fail;
	return 1;
}

static uintptr_t page_end(uintptr_t a)
{
	return (a & ~(uintptr_t)(PAGE - 1)) + PAGE;
}

/* Up to 15 instruction bytes at PC, fewer where the code ends. */
static size_t read_code(uintptr_t pc, uint8_t *buf)
{
	size_t first = page_end(pc) - pc;

	if (first >= 15)
		return mw_probe_copy(buf, (const void *)pc, 15) ? 0 : 15;
	if (mw_probe_copy(buf, (const void *)pc, first))
		return 0;
	return mw_probe_copy(buf + first, (const void *)(pc + first), 15 - first) ? first : 15;
}

static uint64_t seg_base(int seg)
{
	unsigned long v = 0;

	syscall(SYS_arch_prctl, seg == 1 ? ARCH_GET_FS : ARCH_GET_GS, &v);
	return v;
}

static uintptr_t effective_address(const struct mw_x86_insn *in, const greg_t *g)
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
		a += seg_base(in->seg);
	return (uintptr_t)a;
}

/* Copies N bytes between BUF and the program's memory at A, page by page,
 * through the alias for watched pages and with probes for the others. */
static enum mw_perform mem_copy(struct mw_fault *f, uintptr_t a, void *buf, size_t n,
				int to_memory)
{
	uint8_t *b = buf;

	while (n) {
		size_t chunk = page_end(a) - a;
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
static enum mw_perform check_writable(struct mw_fault *f, uintptr_t a, size_t n)
{
	while (n) {
		size_t chunk = page_end(a) - a;
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

static int contains(uintptr_t a, size_t n, uintptr_t x)
{
	return x >= a && x - a < n;
}

/* The caller's hook, before anything changes (arch.h). */
static void before(struct mw_fault *f)
{
	if (f->before)
		f->before(f);
}

#define BOUNCE_MAX 8192         /* an xsave area with AVX-512 and AMX */

/*
 * div/idiv m: would the CPU raise #DE (divisor 0, or a quotient too large)?
 * Then the fault must come from the program's instruction, not from our
 * stub.  N is the operand size; DIVISOR points at the operand's bytes.
 */
static int divide_error(const struct mw_x86_insn *in, const greg_t *g, const void *divisor)
{
	uint64_t d = 0, lo = (uint64_t)g[REG_RAX], hi = (uint64_t)g[REG_RDX];
	unsigned n = in->size, bits = n * 8;

	memcpy(&d, divisor, n);
	if (d == 0)
		return 1;
	if (!(in->flags & MW_X86_SIGNED)) {
		/* The quotient fits iff the high half is below the divisor. */
		if (n == 1)
			return ((lo >> 8) & 0xff) >= d;
		hi = n == 8 ? hi : hi & ((1ull << bits) - 1);
		return hi >= d;
	} else {
		/* The signed quotient of the 2n-byte dividend must fit n bytes. */
		const __int128 min128 = (__int128)((unsigned __int128)1 << 127);
		__int128 dividend, q, max = ((__int128)1 << (bits - 1)) - 1, min = -max - 1;
		int64_t sd = n == 1 ? (int8_t)d : n == 2 ? (int16_t)d :
			     n == 4 ? (int32_t)d : (int64_t)d;

		if (n == 1) {
			dividend = (int16_t)(lo & 0xffff);      /* ax */
		} else if (n == 8) {
			dividend = (__int128)(((unsigned __int128)hi << 64) | lo);
		} else {
			uint64_t mask = (1ull << bits) - 1;
			uint64_t raw = ((hi & mask) << bits) | (lo & mask);

			dividend = (int64_t)(raw << (64 - 2 * bits)) >> (64 - 2 * bits);
		}
		if (dividend == min128 && sd == -1)
			return 1;
		q = dividend / sd;
		return q > max || q < min;
	}
}

/* The SIGFPE the instruction raises without watches: queued to this thread
 * with the kernel's si_code and address, blocked until the handler returns
 * (sigreturn restores the program's mask), so that it arrives in the
 * unchanged context, at the div itself.  As the kernel does for a #DE, a
 * SIGFPE the program blocks is unblocked, and an ignored one is reset. */
static void raise_divide_error(ucontext_t *uc, uintptr_t pc)
{
	struct sigaction cur;
	sigset_t fpe;
	siginfo_t si;

	sigemptyset(&fpe);
	sigaddset(&fpe, SIGFPE);
	pthread_sigmask(SIG_BLOCK, &fpe, NULL);
	if (sigismember(&uc->uc_sigmask, SIGFPE) ||
	    (sigaction(SIGFPE, NULL, &cur) == 0 && cur.sa_handler == SIG_IGN)) {
		struct sigaction dfl;

		memset(&dfl, 0, sizeof(dfl));
		dfl.sa_handler = SIG_DFL;
		sigaction(SIGFPE, &dfl, NULL);
		sigdelset(&uc->uc_sigmask, SIGFPE);
	}
	memset(&si, 0, sizeof(si));
	si.si_signo = SIGFPE;
	si.si_code = FPE_INTDIV;
	si.si_addr = (void *)pc;
	syscall(SYS_rt_tgsigqueueinfo, getpid(), syscall(SYS_gettid), SIGFPE, &si);
}

/* A masked vector access touches only its enabled lanes: narrow [*a, *a+*n)
 * to the enabled ones (the first to the last; lanes between them that are
 * off still count as inside).  The masks come from the signal frame's
 * XSAVE area: a k register (AVX-512), or the sign bits of a vector
 * (vmaskmov).  Leaves the range as it is if the state cannot be read. */
static void masked_range(struct mw_fault *f, const struct mw_x86_insn *in, uintptr_t *a,
			 size_t *n)
{
	uint64_t xmask, bv, bits = 0;
	const uint8_t *xs = mw_x86_xsave_area(f->uc, &xmask);
	unsigned lanes = (unsigned)(*n / in->elem), lo, hi;

	if (!xs || !lanes)
		return;
	memcpy(&bv, xs + 512, 8);               /* XSTATE_BV: components not in init */
	if (in->maskkind == MW_MASK_K) {
		if (!mw_x86_xsave_opmask)
			return;
		if (bv & (1u << 5))
			memcpy(&bits, xs + mw_x86_xsave_opmask + 8u * in->maskreg, 8);
	} else {
		for (unsigned i = 0; i < lanes && i < 64; i++) {
			unsigned top = (i + 1) * in->elem - 1;  /* the element's sign byte */
			uint8_t v = 0;

			if (top < 16 && (bv & 2))
				v = xs[160 + 16u * in->maskreg + top];
			else if (top >= 16 && top < 32 && mw_x86_xsave_ymmh && (bv & 4))
				v = xs[mw_x86_xsave_ymmh + 16u * in->maskreg + top - 16];
			if (v & 0x80)
				bits |= 1ull << i;
		}
	}
	if (lanes < 64)
		bits &= (1ull << lanes) - 1;
	if (!bits)
		return;         /* it faulted, so some lane is on: state unreadable */
	lo = (unsigned)__builtin_ctzll(bits);
	hi = 63u - (unsigned)__builtin_clzll(bits);
	*a += (uintptr_t)lo * in->elem;
	*n = (size_t)(hi - lo + 1) * in->elem;
}

/* After an atomic RMW: its result registers hold the operand's old value. */
static void atomic_old(struct mw_fault *f, const struct mw_x86_insn *in, const greg_t *g)
{
	uint64_t lo = (uint64_t)g[in->oldlo], hi = in->oldhi >= 0 ? (uint64_t)g[in->oldhi] : 0;
	size_t n = in->size;

	if (in->flags & MW_X86_OLDHIGH)
		lo >>= 8;
	if (in->oldhi >= 0) {           /* cmpxchg8b/16b: edx:eax, rdx:rax */
		memcpy(f->atomic_old, &lo, n / 2);
		memcpy(f->atomic_old + n / 2, &hi, n / 2);
	} else {
		memcpy(f->atomic_old, &lo, n <= 8 ? n : 8);
	}
	f->atomic_len = (uint8_t)n;
}

/* SPACE: BOUNCE_MAX + 64 bytes, 64-byte aligned, for a straddling operand. */
static enum mw_perform generic_in(struct mw_fault *f, const struct mw_x86_insn *in, greg_t *g,
				  uint8_t *space)
{
	uintptr_t ea = effective_address(in, g), a = ea, target;
	size_t n = in->xform ? mw_x86_xsave_extent(in->xform, ((uint64_t)g[REG_RDX] << 32) |
						   (uint32_t)g[REG_RAX]) : in->size;
	uint8_t *bounce = NULL;
	void *xsave = NULL;
	uint64_t xmask = 0;
	greg_t saved, saved_sp = 0;
	enum mw_perform r;
	int faulted;

	if (in->flags & MW_X86_BTREG) {
		/* bt* m, reg: the bit offset is signed and selects the operand-
		 * sized word at ea + (offset >> log2(bits)) * bytes. */
		unsigned bits = (unsigned)n * 8, shift = bits == 16 ? 4 : bits == 32 ? 5 : 6;
		int64_t off = (int64_t)g[in->btreg];

		if (bits == 16)
			off = (int16_t)off;
		else if (bits == 32)
			off = (int32_t)off;
		a = ea + (uintptr_t)((off >> shift) * (int64_t)n);
	}
	if (!contains(a, n, f->addr)) {
		f->why = "the fault is outside the memory operand the instruction was decoded "
			 "to access";
		return MW_DECLINED;
	}
	switch (mw_table_xlate(f->snap, a, n, in->kind, &target)) {
	case MW_XL_ALIAS:
		break;
	case MW_XL_BUSY:
		return MW_RETRY;
	case MW_XL_SPLIT:
		if (in->flags & MW_X86_LOCKED) {
			f->why = "an atomic access that straddles the boundary of watched "
				 "memory cannot be performed atomically";
			return MW_DECLINED;
		}
		if (n > BOUNCE_MAX) {
			f->why = "an access larger than 8 KiB straddles the boundary of "
				 "watched memory";
			return MW_DECLINED;
		}
		/* Same alignment modulo 64 as the original: alignment checks
		 * (movdqa, #AC) behave the same. */
		bounce = space + (a & 63);
		r = mem_copy(f, a, bounce, n, 0);
		if (r == MW_PERFORMED && (in->kind & MW_WRITE))
			r = check_writable(f, a, n);
		if (r != MW_PERFORMED)
			return r;
		target = (uintptr_t)bounce;
		break;
	default:
		return MW_GENUINE;
	}
	f->acc[0] = (struct mw_access){ a, n, in->kind };
	f->nacc = 1;
	if (in->maskkind)
		masked_range(f, in, &f->acc[0].addr, &f->acc[0].len);
	before(f);
	if ((in->flags & MW_X86_DIVIDE) && divide_error(in, g, (const void *)target)) {
		/* The operand was read; the instruction then faults: RIP stays. */
		raise_divide_error(f->uc, f->pc);
		return MW_PERFORMED;
	}
	if (in->flags & MW_X86_VECTOR) {
		xsave = mw_x86_xsave_area(f->uc, &xmask);
		if (!xsave) {
			f->why = "the signal frame has no XSAVE area for the vector state";
			return MW_DECLINED;
		}
	}
	saved = g[in->scratch];
	g[in->scratch] = (greg_t)(target - (a - ea));
	if (in->rspreg >= 0) {
		/* Its stand-in for RSP: the program's value in, the result out. */
		saved_sp = g[in->rspreg];
		g[in->rspreg] = g[REG_RSP];
	}
	faulted = mw_x86_run(g, in->stub, xsave, xmask);
	g[in->scratch] = saved;
	if (in->rspreg >= 0) {
		if (!faulted)
			g[REG_RSP] = g[in->rspreg];
		g[in->rspreg] = saved_sp;
	}
	if (xsave) {
		/* The program's x87 and SSE control state (ldmxcsr, fldcw may
		 * have just unmasked exceptions) is saved in the frame; the
		 * rest of the handler runs with the defaults it started with. */
		static const uint32_t mxcsr_default = 0x1f80;

		__asm__ volatile("fninit; ldmxcsr %0" : : "m"(mxcsr_default));
	}
	if (faulted)
		return MW_GENUINE;      /* nothing written: the stub faulted first */
	if (bounce && (in->kind & MW_WRITE))
		mem_copy(f, a, bounce, n, 1);
	if (in->oldlo >= 0)
		atomic_old(f, in, g);
	g[REG_RIP] += in->len;
	return MW_PERFORMED;
}

/* The bounce buffer of a straddling operand is on the signal stack for the
 * usual sizes; an xsave area's (up to 8 KiB) is mapped for the occasion:
 * the program's alternate signal stack may be small. */
#define BOUNCE_STACK 256

static enum mw_perform generic(struct mw_fault *f, const struct mw_x86_insn *in, greg_t *g)
{
	uint8_t small[BOUNCE_STACK + 64] __attribute__((aligned(64)));
	enum mw_perform r;
	long p;

	if (in->size <= BOUNCE_STACK)
		return generic_in(f, in, g, small);
	p = mw_arch_gate_syscall(SYS_mmap, 0, BOUNCE_MAX + 64, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p < 0 && p > -4096) {
		f->why = "no memory for the bounce buffer of a large access";
		return MW_DECLINED;
	}
	r = generic_in(f, in, g, (uint8_t *)p);
	mw_arch_gate_syscall(SYS_munmap, p, BOUNCE_MAX + 64, 0, 0, 0, 0);
	return r;
}

/* Elements of size E from P on (downwards when BACK) that stay in P's page;
 * 0 when the element at P itself crosses into the next page. */
static uint64_t room(uintptr_t p, size_t e, int back)
{
	uintptr_t end = page_end(p);

	if (p + e > end)
		return 0;
	return back ? (p - (end - PAGE)) / e + 1 : (end - p) / e;
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
		r = mem_copy(f, p, bounce, e, 0);
		if (r == MW_PERFORMED && (kind & MW_WRITE))
			r = check_writable(f, p, e);
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

static enum mw_perform string(struct mw_fault *f, const struct mw_x86_insn *in, greg_t *g)
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
	const uintptr_t sbase = in->seg && src ? (uintptr_t)seg_base(in->seg) : 0;
	uint64_t count = in->rep ? (uint64_t)g[REG_RCX] & amask : 1, total = 0;
	enum mw_perform r = MW_PERFORMED;
	int stop = 0;
	/* The most it may touch, for the log's old values and backtrace. */
	uint64_t most = (count < (1ull << 32) ? count : (1ull << 32)) * e;

	if (misaligned_under_ac(g, (src ? s0 + sbase : 0) | (dst ? d0 : 0), e)) {
		f->why = WHY_AC;
		return MW_DECLINED;
	}
	f->nacc = 0;
	if (src)
		f->acc[f->nacc++] = (struct mw_access){
			(back ? s0 + e - most : s0) + sbase, most, MW_READ };
	if (dst)
		f->acc[f->nacc++] = (struct mw_access){ back ? d0 + e - most : d0, most, dkind };
	before(f);

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
			mem_copy(f, d, db, e, 1);
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

/* push/pop/call/jmp with a memory operand: emulated; the fault may be at
 * the operand or at the stack slot (a watched stack page). */
static enum mw_perform stack_op(struct mw_fault *f, const struct mw_x86_insn *in, greg_t *g)
{
	uintptr_t sp = (uintptr_t)g[REG_RSP], a;
	uint64_t v;
	enum mw_perform r;

	if (in->cls == MW_X86_POP) {
		/* pop m: the address is computed with RSP already incremented. */
		g[REG_RSP] = (greg_t)(sp + 8);
		a = effective_address(in, g);
		g[REG_RSP] = (greg_t)sp;
		if (!contains(a, 8, f->addr) && !contains(sp, 8, f->addr)) {
			f->why = "the fault is outside the memory operand of pop";
			return MW_DECLINED;
		}
		if (misaligned_under_ac(g, a | sp, 8)) {
			f->why = WHY_AC;
			return MW_DECLINED;
		}
		f->acc[0] = (struct mw_access){ sp, 8, MW_READ };
		f->acc[1] = (struct mw_access){ a, 8, MW_WRITE };
		f->nacc = 2;
		before(f);
		r = mem_copy(f, sp, &v, 8, 0);
		if (r != MW_PERFORMED)
			return r;
		g[REG_RSP] = (greg_t)(sp + 8);
		r = mem_copy(f, a, &v, 8, 1);
		if (r != MW_PERFORMED) {
			g[REG_RSP] = (greg_t)sp;
			return r;
		}
		g[REG_RIP] += in->len;
		return MW_PERFORMED;
	}
	a = effective_address(in, g);
	if (!contains(a, 8, f->addr) &&
	    (in->cls == MW_X86_JMP || !contains(sp - 8, 8, f->addr))) {
		f->why = "the fault is outside the memory operand of the stack or branch "
			 "instruction";
		return MW_DECLINED;
	}
	if (misaligned_under_ac(g, a | (in->cls == MW_X86_JMP ? 0 : sp), 8)) {
		f->why = WHY_AC;
		return MW_DECLINED;
	}
	f->acc[0] = (struct mw_access){ a, 8, MW_READ };
	f->nacc = 1;
	if (in->cls != MW_X86_JMP)
		f->acc[f->nacc++] = (struct mw_access){ sp - 8, 8, MW_WRITE };
	before(f);
	r = mem_copy(f, a, &v, 8, 0);
	if (r != MW_PERFORMED)
		return r;
	if (in->cls == MW_X86_CALL) {
		uint64_t ret = (uint64_t)g[REG_RIP] + in->len;

		r = mem_copy(f, sp - 8, &ret, 8, 1);
		if (r != MW_PERFORMED)
			return r;
		g[REG_RSP] = (greg_t)(sp - 8);
		g[REG_RIP] = (greg_t)v;
	} else if (in->cls == MW_X86_JMP) {
		g[REG_RIP] = (greg_t)v;
	} else {        /* push */
		r = mem_copy(f, sp - 8, &v, 8, 1);
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

static enum mw_perform implicit(struct mw_fault *f, const struct mw_x86_insn *in, greg_t *g)
{
	uintptr_t sp = (uintptr_t)g[REG_RSP], next = (uintptr_t)g[REG_RIP] + in->len;
	int push = in->stk == MW_STK_PUSH || in->stk == MW_STK_PUSHF || in->stk == MW_STK_CALL;
	uintptr_t a;
	uint64_t v;
	enum mw_perform r;

	if (in->stk == MW_STK_LEAVE)
		sp = (uintptr_t)g[REG_RBP];
	a = push ? sp - 8 : sp;
	if (!contains(a, 8, f->addr)) {
		f->why = "the fault is not at the stack slot the instruction uses";
		return MW_DECLINED;
	}
	if (misaligned_under_ac(g, a, 8)) {
		f->why = WHY_AC;
		return MW_DECLINED;
	}
	f->acc[0] = (struct mw_access){ a, 8, push ? MW_WRITE : MW_READ };
	f->nacc = 1;
	before(f);
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
		r = mem_copy(f, a, &v, 8, 1);
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
	r = mem_copy(f, a, &v, 8, 0);
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
static enum mw_perform xlat(struct mw_fault *f, const struct mw_x86_insn *in, greg_t *g)
{
	uint64_t a = (uint64_t)g[REG_RBX] + (uint8_t)g[REG_RAX];
	uint8_t v;
	enum mw_perform r;

	if (in->flags & MW_X86_ADDR32)
		a &= 0xffffffffu;
	if (in->seg)
		a += seg_base(in->seg);
	if (a != f->addr) {
		f->why = "the fault is not at the byte xlat reads";
		return MW_DECLINED;
	}
	f->acc[0] = (struct mw_access){ (uintptr_t)a, 1, MW_READ };
	f->nacc = 1;
	before(f);
	r = mem_copy(f, (uintptr_t)a, &v, 1, 0);
	if (r != MW_PERFORMED)
		return r;
	g[REG_RAX] = (greg_t)(((uint64_t)g[REG_RAX] & ~(uint64_t)0xff) | v);
	g[REG_RIP] += in->len;
	return MW_PERFORMED;
}

enum mw_perform mw_arch_perform(struct mw_fault *f)
{
	ucontext_t *uc = f->uc;
	greg_t *g = uc->uc_mcontext.gregs;
	uint8_t code[15];
	size_t n;
	const struct mw_x86_insn *in;
	enum mw_perform r;

	f->pc = (uintptr_t)g[REG_RIP];
	n = read_code(f->pc, code);
	/* int3 accesses no memory: this is a debugger's breakpoint over the
	 * instruction (codefile.h). */
	if (n && code[0] == 0xcc) {
		f->under_break = 1;
		n = mw_code_from_file(f->pc, code, sizeof(code));
	}
	if (!n) {
		f->why = "the instruction's bytes cannot be read";
		return MW_DECLINED;
	}
	in = mw_x86_cache_get(f->pc, code, n);
	if (!in) {
		f->why = "the instruction cache is full (65536 distinct instructions)";
		r = MW_DECLINED;
	} else {
		switch (in->cls) {
		case MW_X86_GENERIC:
			r = generic(f, in, g);
			break;
		case MW_X86_STRING:
			r = string(f, in, g);
			break;
		case MW_X86_PUSH: case MW_X86_POP: case MW_X86_CALL: case MW_X86_JMP:
			r = stack_op(f, in, g);
			break;
		case MW_X86_XLAT:
			r = xlat(f, in, g);
			break;
		case MW_X86_IMPLICIT:
			r = implicit(f, in, g);
			break;
		default:
			f->why = in->why;
			r = MW_DECLINED;
			break;
		}
	}
	if (r == MW_DECLINED) {
		f->insn_len = (uint8_t)(in ? in->len : n);
		memcpy(f->insn, code, f->insn_len);
	}
	return r;
}

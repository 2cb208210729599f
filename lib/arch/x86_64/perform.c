/* SPDX-License-Identifier: MIT */
/*
 * perform.c - performing a faulting access on the program's behalf: the
 * dispatch by instruction class and the generic way (string.c,
 * stackop.c and gather.c have the others, access.c what they share).
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
#include "arch/x86_64/access.h"
#include "arch/x86_64/cache.h"
#include "base/codefile.h"
#include "arch/x86_64/insn.h"
#include "arch/x86_64/patch.h"
#include "memwatch.h"
#include "arch/x86_64/probe.h"
#include "arch/x86_64/regs.h"
#include "base/sigsafe.h"


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

/* Up to 15 instruction bytes at PC, fewer where the code ends. */
static size_t read_code(uintptr_t pc, uint8_t *buf)
{
	size_t first = mw_x86_page_end(pc) - pc;

	if (first >= 15)
		return mw_probe_copy(buf, (const void *)pc, 15) ? 0 : 15;
	if (mw_probe_copy(buf, (const void *)pc, first))
		return 0;
	return mw_probe_copy(buf + first, (const void *)(pc + first), 15 - first) ? first : 15;
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
	uintptr_t ea = mw_x86_effective_address(in, g), a = ea, target;
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
	if (!mw_x86_contains(a, n, f->addr)) {
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
		r = mw_x86_mem_copy(f, a, bounce, n, 0);
		if (r == MW_PERFORMED && (in->kind & MW_WRITE))
			r = mw_x86_check_writable(f, a, n);
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
	mw_x86_before(f);
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
		mw_x86_mem_copy(f, a, bounce, n, 1);
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

/* The analysis of the instruction at F->pc, kept in F->arch_insn, its bytes
 * in CODE[0..*N): the one a patched site gave, or the patch's when the
 * bytes are a jump of ours (jmp rel32, or jmp . on its way in or out,
 * patch.c: written after this fault happened), or the cache's.  NULL with
 * F->why when there is none. */
static const struct mw_x86_insn *analysis(struct mw_fault *f, uint8_t code[15], size_t *n)
{
	const struct mw_x86_insn *in = f->arch_insn;

	if (!in) {
		*n = read_code(f->pc, code);
		if (*n && (code[0] == 0xe9 || code[0] == 0xeb))
			in = mw_x86_patch_insn(f->pc);
	}
	if (in) {
		*n = in->len;
		memcpy(code, in->bytes, *n);
		return f->arch_insn = in;
	}
	/* int3 accesses no memory: this is a debugger's breakpoint over the
	 * instruction (codefile.h). */
	if (*n && code[0] == 0xcc) {
		f->under_break = 1;
		*n = mw_code_from_file(f->pc, code, 15);
	}
	if (!*n) {
		f->why = "the instruction's bytes cannot be read";
		return NULL;
	}
	in = mw_x86_cache_get(f->pc, code, *n);
	if (!in)
		f->why = "the instruction cache is full (65536 distinct instructions)";
	return f->arch_insn = in;
}

enum mw_perform mw_arch_perform(struct mw_fault *f)
{
	ucontext_t *uc = f->uc;
	greg_t *g = uc->uc_mcontext.gregs;
	uint8_t code[15];
	size_t n = 0;
	const struct mw_x86_insn *in;
	enum mw_perform r;

	f->pc = (uintptr_t)g[REG_RIP];
	in = analysis(f, code, &n);
	if (!in) {
		r = MW_DECLINED;
	} else {
		switch (in->cls) {
		case MW_X86_GENERIC:
			r = generic(f, in, g);
			break;
		case MW_X86_STRING:
			r = mw_x86_string(f, in, g);
			break;
		case MW_X86_PUSH: case MW_X86_POP: case MW_X86_CALL: case MW_X86_JMP:
			r = mw_x86_stack_op(f, in, g);
			break;
		case MW_X86_XLAT:
			r = mw_x86_xlat(f, in, g);
			break;
		case MW_X86_IMPLICIT:
			r = mw_x86_implicit(f, in, g);
			break;
		case MW_X86_GATHER:
			r = mw_x86_gather(f, in, g);
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

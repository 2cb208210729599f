/* SPDX-License-Identifier: MIT */
/*
 * patch.c - hot access sites patched with a jump to a stub (arch.h).
 *
 * Fault path: mw_arch_gate_syscall (mmap, mprotect, membarrier, open,
 * pwrite, close), mw_code_from_file, mw_code_prot, mw_probe_copy,
 * mw_x86_jit_access, mw_x86_jit_told, atomics, memcpy.
 * [thread] mw_arch_patch_restore_all: the same.
 *
 * An instruction that keeps faulting on watched pages (a hot neighbour of
 * a watch, or a hot watched variable) gets its first five bytes replaced
 * by `jmp stub`.  The stub, in memory of ours within +-2 GiB of the site:
 *
 *     lea -128(%rsp),%rsp          ; the red zone stays the program's
 *     push %rax; pushfq; push %rcx; push %rdx
 *     lea  <operand>,%rax          ; its effective address (movabs for
 *                                  ; RIP-relative, + %fs:0 for fs:)
 *     ... the bits of its first and last byte's pages in the page map
 *     ;   (watch/pagemap.h: two bits per page, write and read) ...
 *     jc   fine (the first byte's), watched (the last byte's)
 *     pop %rdx; pop %rcx; popfq; pop %rax; lea 128(%rsp),%rsp
 *   native:
 *     <the instruction, relocated>
 *     jmp  site+len
 *   fine:                          ; see emit_fine
 *     ... a restartable sequence: the page's record in the fine map
 *     ;   (watch/finemap.h); no granule of the access marked for its
 *     ;   kind: the scratch register at the alias, the program's
 *     ;   registers back, and the instruction's [scratch] form last ...
 *     jmp  site+len
 *   watched:
 *     call *slow(%rip)             ; hot.S: never returns here
 *     <descriptor: site, native, the analysis>
 *
 * So an access beside the watched bytes (a hot neighbour on their page)
 * costs tens of nanoseconds and no C; the watched bytes, a page crossed,
 * a thread without a sequence area, an aborted sequence (the thread was
 * preempted or took a signal inside) go on to `watched`.
 *
 * hot.S moves to the thread's alternate stack, saves every register and
 * the vector state as a signal frame would, and calls what the fault path
 * gave mw_arch_patch_init; that performs the access on the alias exactly
 * as for a SIGSEGV (records, counts, debugger), or declines, and the stub
 * resumes after the instruction or at `native`.  A page the map has wrong
 * costs a signal: the native instruction faults, and the handler, seeing
 * the fault at `native` (mw_arch_patch_where), takes it as the site's.
 *
 * Only a plain instruction is patched: one explicit memory operand, no
 * vector state (or `jmp *disp(%rip)`, a PLT entry's: jump_through), in a file mapping, with the bytes the file has (never over
 * a debugger's breakpoint); one shorter than the jump is punned over the
 * next instruction's bytes (sites.c, E9Patch's T1).  The rest keep the
 * signal path; why, is counted by reason.
 *
 * Under a debugger (mw_arch_patch_consider's DEBUGGER) each stub is told
 * to it first (jit.h: its frame information, built with the stub, cfa());
 * nothing is punned, since its breakpoints on the next instruction (its
 * own step-resume breakpoint after the site, too) would be written into
 * the jump while other threads run it; and the stub leaves neighbours to
 * the fault path's code, which counts them where the debugger reads.
 */
#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <linux/membarrier.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "arch/arch.h"
#include "arch/x86_64/access.h"
#include "arch/x86_64/insn.h"
#include "arch/x86_64/jit.h"
#include "arch/x86_64/patch.h"
#include "arch/x86_64/regs.h"
#include "arch/x86_64/sites.h"
#include "base/codefile.h"
#include "watch/finemap.h"
#include "base/sigsafe.h"

#define SLOT    MW_X86_SLOT

/* enum of mw_x86_insn.patch */
enum { SITE_NONE, SITE_BUSY, SITE_PATCHED, SITE_NEVER };

static _Atomic int enabled;
static const uint8_t *pagemap;
/* The fine map (watch/finemap.h) and glibc's restartable sequence area:
 * neighbours in the stub; NULL: every access on a marked page calls. */
static void *const *fine_root;
static long rseq_off;
extern const ptrdiff_t __rseq_offset __attribute__((weak));
extern const unsigned int __rseq_size __attribute__((weak));

static int (*hot_fn)(void *uc, uintptr_t addr, size_t size, const void *insn);
uint64_t mw_x86_hot_xmask;
int mw_x86_hot_xmode;
uint64_t mw_x86_hot_frame;
__thread uintptr_t mw_x86_hot_stack_lo __attribute__((tls_model("initial-exec")));
__thread uintptr_t mw_x86_hot_stack_hi __attribute__((tls_model("initial-exec")));

void mw_arch_patch_init(const uint8_t *map,
			int (*fn)(void *uc, uintptr_t addr, size_t size, const void *insn))
{
	uint32_t lo, hi;

	pagemap = map;
	hot_fn = fn;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	/* What the library's C code may change: SSE, AVX and AVX-512 state
	 * (glibc's string functions), not x87, MPX or PKRU.  XSAVEC: only the
	 * components in use, compacted. */
	mw_x86_hot_xmask = (((uint64_t)hi << 32) | lo) & 0xe6;
	mw_x86_hot_xmode = mw_x86_hot_xmask & 0xe0 ? 0 : mw_x86_hot_xmask & 4 ? 1 : 2;
	/* hot.S: its ucontext and slots (1152), the vector state. */
	mw_x86_hot_frame = 1152 + ((mw_x86_xsave_size + 63) & ~63ull);
	/* On from the first watch (mw_arch_patch_enable). */
}

void mw_arch_patch_fine(void *const *root)
{
	/* The area's rseq_cs word at +8, cpu_id at +4 (negative: this thread
	 * has none registered). */
	if (root && &__rseq_offset && &__rseq_size && __rseq_size >= 16 &&
	    __rseq_offset + 8 == (int32_t)(__rseq_offset + 8)) {
		rseq_off = (long)__rseq_offset;
		fine_root = root;
	} else {
		fine_root = NULL;
	}
}

static int refuse(struct mw_x86_insn *in, int why)
{
	atomic_store(&in->patch, SITE_NEVER);
	mw_x86_sites_said(why);
	return why;
}

void mw_arch_hot_stack(uintptr_t lo, uintptr_t hi)
{
	mw_x86_hot_stack_lo = lo;
	mw_x86_hot_stack_hi = hi;
}

void mw_arch_hot_stack_swap(uintptr_t *lo, uintptr_t *hi)
{
	uintptr_t l = mw_x86_hot_stack_lo, h = mw_x86_hot_stack_hi;

	/* The high end first: 0 there is "none", whatever the low end. */
	mw_x86_hot_stack_hi = 0;
	mw_x86_hot_stack_lo = *lo;
	mw_x86_hot_stack_hi = *hi;
	*lo = l;
	*hi = h;
}

/* hot.S's layout assumes glibc's ucontext_t. */
_Static_assert(offsetof(ucontext_t, uc_mcontext.gregs) == 40, "gregs at 40");
_Static_assert(sizeof(ucontext_t) <= 1024, "a ucontext in 1024 bytes");

void mw_x86_hot_enter(ucontext_t *uc, const struct mw_x86_hot_desc *d)
{
	const greg_t *g = uc->uc_mcontext.gregs;

	/* A signal frame's context but for the vector state, which hot.S
	 * keeps in its own form: no fpregs (regs.h then finds no XSAVE area;
	 * vector instructions are never patched). */
	uc->uc_flags = 0;
	uc->uc_link = NULL;
	memset(&uc->uc_stack, 0, sizeof(uc->uc_stack));
	uc->uc_mcontext.fpregs = NULL;
	memset(&uc->uc_sigmask, 0, sizeof(uc->uc_sigmask));
	if (!d->in)
		mw_x86_hot_exit(uc, mw_x86_sys_enter(uc, d));
	mw_x86_hot_exit(uc, hot_fn(uc, mw_x86_effective_address(d->in, g), d->in->size, d->in));
}

/* ------------------------------------------------------------ the stub */

struct emit {
	uint8_t *p, *buf;
	/* The stub's call frame information, for debuggers (jit.h). */
	struct mw_x86_cfa_row rows[48];
	unsigned nrows;
	/* The fine path's restartable sequence: its rel32 to the descriptor,
	 * and the addresses the descriptor gives. */
	uint8_t *fine_cs;
	uint64_t fine_start, fine_post, fine_abort;
};

/* From here on, RSP is CFA bytes below the program's (see jit.h). */
static void cfa(struct emit *e, int cfa)
{
	if (e->nrows < sizeof(e->rows) / sizeof(e->rows[0])) {
		e->rows[e->nrows].at = (uint16_t)(e->p - e->buf);
		e->rows[e->nrows].cfa = (int16_t)cfa;
	}
	e->nrows++;
}

static void b1(struct emit *e, unsigned v)
{
	*e->p++ = (uint8_t)v;
}

static void bytes(struct emit *e, const void *s, size_t n)
{
	memcpy(e->p, s, n);
	e->p += n;
}

static void b4(struct emit *e, uint32_t v)
{
	bytes(e, &v, 4);
}

static void b8(struct emit *e, uint64_t v)
{
	bytes(e, &v, 8);
}

/* Hardware register numbers of the gregs indexes (regs.h). */
static int hw(int g)
{
	static const int8_t map[] = { 8, 9, 10, 11, 12, 13, 14, 15, 7, 6, 5, 3, 2, 0, 1, 4 };

	return g >= 0 && g < 16 ? map[g] : -1;
}

/* lea disp32(base, index, scale), %rax for the operand of IN, as it is with
 * the stack pointer SPDELTA bytes below the program's; DISP_AT: where the
 * stub's copy will run, for RIP-relative operands. */
static void emit_ea(struct emit *e, const struct mw_x86_insn *in, uintptr_t site, int spdelta)
{
	if (in->base == MW_X86_RIPREG) {
		b1(e, 0x48);
		b1(e, 0xb8);                    /* movabs $abs, %rax */
		b8(e, site + in->len + (uint64_t)in->disp);
	} else {
		int base = in->base >= 0 ? hw(in->base) : 5;
		int index = in->index >= 0 ? hw(in->index) : 4;
		int ss = in->scale == 8 ? 3 : in->scale == 4 ? 2 : in->scale == 2 ? 1 : 0;
		int64_t disp = in->disp + (in->base >= 0 && hw(in->base) == 4 ? spdelta : 0);

		b1(e, 0x48 | (index >= 8 ? 2 : 0) | (in->base >= 0 && base >= 8 ? 1 : 0));
		b1(e, 0x8d);
		b1(e, in->base >= 0 ? 0x84 : 0x04);     /* mod 10 (00: no base), rm SIB */
		b1(e, (unsigned)(ss << 6 | (index & 7) << 3 | (base & 7)));
		b4(e, (uint32_t)(int32_t)disp);
	}
	if (in->seg == 1) {                     /* add %fs:0, %rax (glibc's TCB) */
		static const uint8_t fs0[] = { 0x64, 0x48, 0x03, 0x04, 0x25, 0, 0, 0, 0 };

		bytes(e, fs0, sizeof(fs0));
	}
}

/* The bit of the page of the address in %R (0 rax, 1 rcx) for KIND:
 *   shr $12,%r; lea k(%r,%r),%r */
static void emit_bit(struct emit *e, int r, int k)
{
	b1(e, 0x48); b1(e, 0xc1); b1(e, 0xe8 | r); b1(e, 12);
	b1(e, 0x48); b1(e, 0x8d); b1(e, 0x44 | r << 3); b1(e, (unsigned)(r << 3 | r)); b1(e, (unsigned)k);
}

static uint8_t *jcc32(struct emit *e, unsigned cc)
{
	b1(e, 0x0f);
	b1(e, 0x80 | cc);
	b4(e, 0);
	return e->p - 4;
}

static void land(uint8_t *rel, const uint8_t *target)
{
	int32_t d = (int32_t)(target - (rel + 4));

	memcpy(rel, &d, 4);
}

/* ------------------------------------------------- neighbours in the stub */

/* `jmp *disp(%rip)`: a PLT entry's jump through the GOT, or a tail call
 * through a function pointer.  Like a call, it leaves nothing of its
 * function live below RSP (the callee's frame goes there): so its stub may
 * jump on through the word below the program's stack pointer. */
static int jump_through(const struct mw_x86_insn *in)
{
	return in->cls == MW_X86_JMP && in->base == MW_X86_RIPREG && in->index < 0 &&
	       in->seg == 0 && in->size == 8 && in->disp_off;
}

/* Whether IN's stub may run its neighbours' accesses itself: the fine map
 * is there, and the instruction's [scratch] form (insn.h) has a scratch
 * other than the three registers the stub works in. */
static int fine_ok(const struct mw_x86_insn *in)
{
	if (fine_root && jump_through(in))
		return 1;
	return fine_root && in->cls == MW_X86_GENERIC && in->stub && in->stub_len &&
	       in->scratch != REG_RAX && in->scratch != REG_RCX && in->scratch != REG_RDX &&
	       hw(in->scratch) >= 0 && in->size >= 1 && in->size <= 16 && in->rspreg < 0;
}

/* %fs:DISP32 addressing (no base, no index) for ModRM reg field REG. */
static void fs_abs(struct emit *e, unsigned reg, long disp)
{
	b1(e, (reg & 7) << 3 | 4);
	b1(e, 0x25);
	b4(e, (uint32_t)(int32_t)disp);
}

/* mov DISP8(%rsp), %sc: the scratch register back from the stub's frame. */
static void sc_from_stack(struct emit *e, int s, unsigned disp8)
{
	b1(e, 0x48 | (s >= 8 ? 4 : 0));
	b1(e, 0x8b);
	b1(e, 0x44 | (unsigned)(s & 7) << 3);
	b1(e, 0x24);
	b1(e, disp8);
}

/*
 * The fine path, entered with the effective address in rax when the first
 * byte's page is marked (the program's rax, flags, rcx, rdx pushed below
 * the red zone).  TO_SLOW: a jump to land on the stub's call of hot.S,
 * which follows.  In a restartable sequence (finemap.h), with the stack
 * from B:
 *   B+0 the program's flags again, B+8 0, B+16 scratch, B+24 rdx,
 *   B+32 rcx, B+40 flags, B+48 rax
 * it finds the page's record, checks the access's granules, points the
 * scratch at the alias and runs the instruction's [scratch] form last
 * (the sequence's commit), after a popfq: RSP is B+8 there, with the 0 on
 * top, and B before, with the flags (never 0: bit 1 is always set) on top;
 * the abort handler tells the two apart that way.
 */
static void emit_fine(struct emit *e, uint8_t *buf, uintptr_t at, const struct mw_x86_insn *in,
		      uintptr_t next, uint8_t *to_slow, volatile uint64_t *runs)
{
	int jump = jump_through(in);
	int s = jump ? 11 : hw(in->scratch);    /* a jump's: r11, its own */
	unsigned n = in->size, g[3], ng = 0;
	uint8_t *slow[4], *out[8];
	unsigned nslow = 0, nout = 0;

#define HERE (at + (uintptr_t)(e->p - buf))
	slow[nslow++] = to_slow;
	/* A thread without a sequence area registered: the fault path. */
	b1(e, 0x64); b1(e, 0x83); fs_abs(e, 7, rseq_off + 4); b1(e, 0);  /* cmpl $0,%fs:cpu_id */
	slow[nslow++] = jcc32(e, 0xc);                                   /* jl */
	/* Across a page boundary: the fault path. */
	b1(e, 0x48); b1(e, 0x8d); b1(e, 0x48); b1(e, n - 1);           /* lea n-1(%rax),%rcx */
	b1(e, 0x48); b1(e, 0x31); b1(e, 0xc1);                           /* xor %rax,%rcx */
	b1(e, 0x48); b1(e, 0xc1); b1(e, 0xe9); b1(e, 12);                /* shr $12,%rcx */
	slow[nslow++] = jcc32(e, 0x5);                                   /* jnz */
	if (s >= 8)
		b1(e, 0x41);
	b1(e, 0x50 + (s & 7));                                           /* push %sc */
	cfa(e, 168);
	b1(e, 0x6a); b1(e, 0);                                           /* pushq $0 */
	cfa(e, 176);
	b1(e, 0xff); b1(e, 0x74); b1(e, 0x24); b1(e, 0x20);              /* pushq 32(%rsp) */
	cfa(e, 184);
	b1(e, 0x48); b1(e, 0x8d); b1(e, 0x0d);                           /* lea cs(%rip),%rcx */
	b4(e, 0);
	e->fine_cs = e->p - 4;
	b1(e, 0x64); b1(e, 0x48); b1(e, 0x89); fs_abs(e, 1, rseq_off + 8); /* mov %rcx,%fs:rseq_cs */

	e->fine_start = HERE;
	b1(e, 0x48); b1(e, 0x89); b1(e, 0xc1);                           /* mov %rax,%rcx */
	b1(e, 0x48); b1(e, 0xc1); b1(e, 0xe9); b1(e, 12 + MW_FINE_LEAF_SHIFT); /* shr $30,%rcx */
	b1(e, 0x48); b1(e, 0xba); b8(e, (uint64_t)(uintptr_t)fine_root); /* movabs $top,%rdx */
	b1(e, 0x48); b1(e, 0x8b); b1(e, 0x14); b1(e, 0xca);              /* mov (%rdx,%rcx,8),%rdx */
	b1(e, 0x48); b1(e, 0x85); b1(e, 0xd2);                           /* test %rdx,%rdx */
	out[nout++] = jcc32(e, 0x4);                                     /* jz */
	b1(e, 0x48); b1(e, 0x89); b1(e, 0xc1);                           /* mov %rax,%rcx */
	b1(e, 0x48); b1(e, 0xc1); b1(e, 0xe9); b1(e, 12);                /* shr $12,%rcx */
	b1(e, 0x81); b1(e, 0xe1); b4(e, (1u << MW_FINE_LEAF_SHIFT) - 1); /* and $mask,%ecx */
	b1(e, 0x48); b1(e, 0x8b); b1(e, 0x14); b1(e, 0xca);              /* mov (%rdx,%rcx,8),%rdx */
	b1(e, 0x48); b1(e, 0x85); b1(e, 0xd2);                           /* test %rdx,%rdx */
	out[nout++] = jcc32(e, 0x4);                                     /* jz */
	/* The granules of the first byte, the middle (an access over 8 bytes
	 * spans up to three) and the last. */
	g[ng++] = 0;
	if (n > 8)
		g[ng++] = 8;
	if (n > 1)
		g[ng++] = n - 1;
	for (unsigned i = 0; i < ng; i++) {
		b1(e, 0x89); b1(e, 0xc1);                                /* mov %eax,%ecx */
		if (g[i]) {
			b1(e, 0x83); b1(e, 0xc1); b1(e, g[i]);           /* add $g,%ecx */
		}
		b1(e, 0x81); b1(e, 0xe1); b4(e, 0xfff);                  /* and $0xfff,%ecx */
		b1(e, 0xc1); b1(e, 0xe9); b1(e, 3);                      /* shr $3,%ecx */
		if (in->kind & MW_WRITE) {
			b1(e, 0x0f); b1(e, 0xa3); b1(e, 0x4a); b1(e, MW_FINE_W); /* bt %ecx,W(%rdx) */
			out[nout++] = jcc32(e, 0x2);                     /* jc */
		}
		if (in->kind & MW_READ) {
			b1(e, 0x0f); b1(e, 0xa3); b1(e, 0x4a); b1(e, MW_FINE_R); /* bt %ecx,R(%rdx) */
			out[nout++] = jcc32(e, 0x2);
		}
	}
	b1(e, 0x25); b4(e, 0xfff);                                       /* and $0xfff,%eax */
	b1(e, 0x48); b1(e, 0x03); b1(e, 0x02);                           /* add (%rdx),%rax */
	b1(e, 0x48 | (s >= 8 ? 1 : 0)); b1(e, 0x89); b1(e, 0xc0 | (s & 7)); /* mov %rax,%sc */
	b1(e, 0x48); b1(e, 0x8b); b1(e, 0x54); b1(e, 0x24); b1(e, 24);   /* mov 24(%rsp),%rdx */
	b1(e, 0x48); b1(e, 0x8b); b1(e, 0x4c); b1(e, 0x24); b1(e, 32);   /* mov 32(%rsp),%rcx */
	b1(e, 0x48); b1(e, 0x8b); b1(e, 0x44); b1(e, 0x24); b1(e, 48);   /* mov 48(%rsp),%rax */
	b1(e, 0x9d);                                                     /* popfq */
	cfa(e, 176);
	if (jump) {
		b1(e, 0x4d); b1(e, 0x8b); b1(e, 0x1b);                   /* mov (%r11),%r11: the commit */
	} else {
		bytes(e, in->stub, in->stub_len);                        /* the commit */
	}
	e->fine_post = HERE;
	/* Flags are the instruction's from here: moves and lea only. */
	b1(e, 0x64); b1(e, 0x48); b1(e, 0xc7); fs_abs(e, 0, rseq_off + 8); b4(e, 0); /* movq $0,%fs:rseq_cs */
	if (jump) {
		/* Its target, in the word below the program's RSP (see below):
		 * mov %r11,168(%rsp). */
		b1(e, 0x4c); b1(e, 0x89); b1(e, 0x9c); b1(e, 0x24); b4(e, 128 + 40);
	}
	/* One more access run here, in the site's count (the log's cost
	 * counters fold it in), with RAX kept in the marker's slot:
	 * mov %rax,(%rsp); movabs $runs,%rax; mov (%rax),%sc;
	 * lea 1(%sc),%sc; mov %sc,(%rax); mov (%rsp),%rax. */
	b1(e, 0x48); b1(e, 0x89); b1(e, 0x04); b1(e, 0x24);
	b1(e, 0x48); b1(e, 0xb8); b8(e, (uint64_t)runs);
	b1(e, 0x48 | (s >= 8 ? 4 : 0)); b1(e, 0x8b); b1(e, (unsigned)(s & 7) << 3);
	b1(e, 0x48 | (s >= 8 ? 5 : 0)); b1(e, 0x8d); b1(e, 0x40 | (unsigned)(s & 7) << 3 | (s & 7));
	if ((s & 7) == 4)
		b1(e, 0x24);
	b1(e, 1);
	b1(e, 0x48 | (s >= 8 ? 4 : 0)); b1(e, 0x89); b1(e, (unsigned)(s & 7) << 3);
	b1(e, 0x48); b1(e, 0x8b); b1(e, 0x04); b1(e, 0x24);
	if (jump) {
		/* r11 back; lea 176(%rsp),%rsp; jmp *-8(%rsp), through the
		 * target stored above.  A signal meanwhile puts its frame 128
		 * bytes below RSP, not over it. */
		sc_from_stack(e, s, 8);
		b1(e, 0x48); b1(e, 0x8d); b1(e, 0xa4); b1(e, 0x24); b4(e, 128 + 48);
		cfa(e, 0);
		b1(e, 0xff); b1(e, 0x64); b1(e, 0x24); b1(e, 0xf8);
	} else {
		sc_from_stack(e, s, 8);                                  /* mov 8(%rsp),%sc */
		b1(e, 0x48); b1(e, 0x8d); b1(e, 0xa4); b1(e, 0x24); b4(e, 128 + 48); /* lea 176(%rsp),%rsp */
		cfa(e, 0);
		b1(e, 0xe9);                                             /* jmp next */
		b4(e, (uint32_t)(int32_t)((int64_t)next - (int64_t)(HERE + 4)));
	}

	/* The abort handler, after the signature the kernel checks
	 * (RSEQ_SIG): RSP to B (below it is the red zone, which signal
	 * frames leave alone), then the fault path as below. */
	b4(e, 0x53053053);
	e->fine_abort = HERE;
	cfa(e, -184);                                                    /* B, or B + 8 */
	b1(e, 0x48); b1(e, 0x83); b1(e, 0x3c); b1(e, 0x24); b1(e, 0);    /* cmpq $0,(%rsp) */
	b1(e, 0x75); b1(e, 5);                                           /* jne +5 */
	cfa(e, 176);
	b1(e, 0x48); b1(e, 0x8d); b1(e, 0x64); b1(e, 0x24); b1(e, 0xf8); /* lea -8(%rsp),%rsp */
	cfa(e, 184);
	/* Out of the sequence, to the fault path: RSP is B.  (The kernel
	 * clears rseq_cs itself once RIP is outside.) */
	for (unsigned i = 0; i < nout; i++)
		land(out[i], e->p);
	sc_from_stack(e, s, 16);                                         /* mov 16(%rsp),%sc */
	b1(e, 0x48); b1(e, 0x8d); b1(e, 0x64); b1(e, 0x24); b1(e, 24);   /* lea 24(%rsp),%rsp */
	cfa(e, 160);
	for (unsigned i = 0; i < nslow; i++)
		land(slow[i], e->p);
#undef HERE
}

/* Writes the stub of IN at SITE into BUF (to run at AT); the address of its
 * relocated instruction into *NATIVE.  RUNS: where it counts the accesses
 * it runs on an alias itself.  0, or -1 if it cannot be relocated. */
static int build(struct emit *ep, uint8_t *buf, uintptr_t at, const struct mw_x86_insn *in,
		 uintptr_t site, uintptr_t *native, volatile uint64_t *runs, int debugger)
{
	static const uint8_t enter[] = {
		0x48, 0x8d, 0x64, 0x24, 0x80,   /* lea -128(%rsp),%rsp */
		0x50, 0x9c, 0x51, 0x52,         /* push %rax; pushfq; push %rcx; push %rdx */
	};
	static const uint8_t leave[] = {
		0x5a, 0x59, 0x9d, 0x58,         /* pop %rdx; pop %rcx; popfq; pop %rax */
		0x48, 0x8d, 0xa4, 0x24, 0x80, 0, 0, 0,  /* lea 128(%rsp),%rsp */
	};
	struct emit e;
	uint8_t *to_native, *to_watched[2];
	int k = in->kind & MW_WRITE ? 0 : 1;    /* the page map's bit */
	uintptr_t next = site + in->len;

	memset(&e, 0, sizeof(e));
	e.p = e.buf = buf;
	cfa(&e, 0);
	for (unsigned i = 0; i < sizeof(enter); i++) {
		b1(&e, enter[i]);
		if (i >= 4)     /* after the lea, and each push */
			cfa(&e, 128 + 8 * (int)(i - 4));
	}
	emit_ea(&e, in, site, 128 + 32);
	/* Beyond the user address space: natively (a genuine fault). */
	b1(&e, 0x48); b1(&e, 0x89); b1(&e, 0xc1);              /* mov %rax,%rcx */
	b1(&e, 0x48); b1(&e, 0xc1); b1(&e, 0xe9); b1(&e, 47);  /* shr $47,%rcx */
	to_native = jcc32(&e, 0x5);                             /* jnz */
	b1(&e, 0x48); b1(&e, 0xba); b8(&e, (uint64_t)(uintptr_t)pagemap); /* movabs $map,%rdx */
	/* The first byte's page (EA stays in rax), then the last byte's. */
	b1(&e, 0x48); b1(&e, 0x89); b1(&e, 0xc1);              /* mov %rax,%rcx */
	emit_bit(&e, 1, k);
	b1(&e, 0x48); b1(&e, 0x0f); b1(&e, 0xa3); b1(&e, 0x0a);  /* bt %rcx,(%rdx) */
	to_watched[0] = jcc32(&e, 0x2);                          /* jc */
	b1(&e, 0x48); b1(&e, 0x8d); b1(&e, 0x48); b1(&e, in->size - 1u); /* lea n-1(%rax),%rcx */
	emit_bit(&e, 1, k);
	b1(&e, 0x48); b1(&e, 0x0f); b1(&e, 0xa3); b1(&e, 0x0a);  /* bt %rcx,(%rdx) */
	to_watched[1] = jcc32(&e, 0x2);
	land(to_native, e.p);
	for (unsigned i = 0; i < sizeof(leave); i++) {
		b1(&e, leave[i]);
		if (i < 4)      /* after each pop, and the lea */
			cfa(&e, 152 - 8 * (int)i);
	}
	cfa(&e, 0);

	*native = at + (uintptr_t)(e.p - buf);
	bytes(&e, in->bytes, in->len);
	if (in->base == MW_X86_RIPREG) {
		int64_t d = (int64_t)(next + (uint64_t)in->disp) - (int64_t)(*native + in->len);

		if (d != (int32_t)d || !in->disp_off)
			return -1;
		int32_t d32 = (int32_t)d;

		memcpy(e.p - in->len + in->disp_off, &d32, 4);
	}
	b1(&e, 0xe9);                                            /* jmp next */
	b4(&e, (uint32_t)(int32_t)((int64_t)next - (int64_t)(at + (uintptr_t)(e.p - buf) + 4)));

	land(to_watched[0], e.p);
	cfa(&e, 160);
	/* Under a debugger, the library counts the accesses beside the watched
	 * bytes itself, in the counters the debugger reads (not folded). */
	if (fine_ok(in) && !debugger)
		emit_fine(&e, buf, at, in, next, to_watched[1], runs);
	else
		land(to_watched[1], e.p);
	/* call *slow(%rip): the slot after the descriptor. */
	b1(&e, 0xff); b1(&e, 0x15); b4(&e, sizeof(struct mw_x86_hot_desc));
	struct mw_x86_hot_desc d = { site, *native, in };

	bytes(&e, &d, sizeof(d));
	b8(&e, (uint64_t)(uintptr_t)mw_x86_hot_slow);
	if (e.fine_cs) {
		/* The sequence's descriptor (struct rseq_cs), 32-byte aligned. */
		uint64_t cs[4] = { 0, e.fine_start, e.fine_post - e.fine_start, e.fine_abort };

		while ((at + (uintptr_t)(e.p - buf)) % 32)
			b1(&e, 0xcc);
		land(e.fine_cs, e.p);
		bytes(&e, cs, sizeof(cs));
	}
	*ep = e;
	return e.p - buf <= SLOT && e.nrows <= sizeof(e.rows) / sizeof(e.rows[0]) ? 0 : -1;
}

/* ------------------------------------------------------------ patching */

static int plain(const struct mw_x86_insn *in)
{
	return in->seg != 2 && in->rspreg < 0 &&
	       !(in->flags & (MW_X86_VECTOR | MW_X86_DIVIDE | MW_X86_BTREG | MW_X86_ADDR32)) &&
	       !in->maskkind && !in->xform && in->size >= 1 && in->size <= 16;
}

static int patch(struct mw_x86_insn *in, uintptr_t addr, uintptr_t sp, int debugger)
{
	uintptr_t pc = in->pc, stub, native;
	uint8_t cur[15], file[15], buf[2 * SLOT];     /* room to find it too long */
	unsigned have = in->len < 5 ? 5 : in->len;     /* its bytes, and the jump's */
	int prot;
	struct mw_x86_site *s;
	struct emit e;

	if (in->cls != MW_X86_GENERIC && !jump_through(in))
		return refuse(in, MW_PATCH_CLASS);
	if (!plain(in))
		return refuse(in, MW_PATCH_VECTOR);
	if (in->len < 2)
		return refuse(in, MW_PATCH_SHORT);
	/* A debugger's breakpoint on the next instruction would be written
	 * into a punned jump's displacement. */
	if (in->len < 5 && debugger)
		return refuse(in, MW_PATCH_DEBUGGER);
	if (!mw_x86_jump_fits(pc))
		return refuse(in, MW_PATCH_BLOCK);      /* not even `jmp .` fits */
	if (addr - (sp - 65536) < 65536 + (1u << 20))
		return refuse(in, MW_PATCH_STACK);
	/* Only code as the file has it, and as we analyzed it; a shorter one's
	 * jump ends in the next instruction's bytes, as the file has them too. */
	prot = mw_code_prot(pc);
	if (prot < 0 || !(prot & PROT_EXEC) || (prot & PROT_WRITE) ||
	    mw_probe_copy(cur, (const void *)pc, have) || memcmp(cur, in->bytes, in->len) ||
	    mw_code_from_file(pc, file, have) != have || memcmp(file, cur, have))
		return refuse(in, MW_PATCH_FILE);
	s = mw_x86_site_at(pc);
	if (s && s->in == in && !atomic_load(&s->live) && !memcmp(s->orig, cur, 5)) {
		/* Patched before, restored at the last watch: its stub again
		 * (a debugger attached since must have been told of it). */
		if (debugger && !mw_x86_jit_told(s->stub))
			return refuse(in, MW_PATCH_ROOM);
		if (mw_x86_site_put(s, prot) < 0)
			return refuse(in, MW_PATCH_WRITE);
		atomic_store(&in->patch, SITE_PATCHED);
		mw_x86_sites_said(MW_PATCH_DONE);
		return MW_PATCH_DONE;
	}
	if (mw_x86_sites_overlap(pc))
		return refuse(in, MW_PATCH_OVERLAP);
	s = mw_x86_site_new();
	if (!s)
		return refuse(in, MW_PATCH_FULL);
	stub = mw_x86_slot_near(pc);
	if (!stub)
		return refuse(in, MW_PATCH_ROOM);
	memset(buf, 0xcc, SLOT);
	s->runs = 0;
	atomic_store(&s->folded, 0);
	if (build(&e, buf, stub, in, pc, &native, &s->runs, debugger) < 0 ||
	    mw_x86_write_stub(stub, buf, SLOT) < 0)
		return refuse(in, MW_PATCH_ROOM);
	/* Told to debuggers (GDB's JIT interface), whether one is there or
	 * comes later: a symbol, and a frame whose caller is the program at
	 * the site, resuming after it (a jump through memory: at its target,
	 * the program's RSP holding the return address).  So GDB's `next`
	 * over the site's line steps over the stub as over a call, and `bt`
	 * inside it reaches the program.  One that is there must know it
	 * before the jump is in. */
	if (mw_x86_jit_access(stub, SLOT, jump_through(in) ? 0 : pc + in->len, e.nrows, e.rows) < 0 &&
	    debugger)
		return refuse(in, MW_PATCH_ROOM);
	/* Shorter than the jump: punned over the next instruction's bytes. */
	if (in->len < 5 ? mw_x86_pun(pc, in->len, cur, stub, s->jump) < 0 :
	    mw_x86_jump(s->jump, pc, stub) < 0)
		return refuse(in, in->len < 5 ? MW_PATCH_SHORT : MW_PATCH_ROOM);
	s->pc = pc;
	s->stub = stub;
	s->native = native;
	s->len = in->len;
	s->in = in;
	memcpy(s->orig, cur, 5);
	mw_x86_site_publish(s);                 /* the stub is findable first */
	if (mw_x86_site_put(s, prot) < 0)
		return refuse(in, MW_PATCH_WRITE);
	atomic_store(&in->patch, SITE_PATCHED);
	mw_x86_sites_said(MW_PATCH_DONE);
	return MW_PATCH_DONE;
}

int mw_arch_patch_consider(struct mw_fault *f, unsigned after, int debugger)
{
	struct mw_x86_insn *in = (struct mw_x86_insn *)f->arch_insn;
	int r;

	if (!in || !atomic_load_explicit(&enabled, memory_order_relaxed) ||
	    atomic_load_explicit(&in->patch, memory_order_relaxed) != SITE_NONE ||
	    atomic_fetch_add_explicit(&in->hits, 1, memory_order_relaxed) + 1 < after)
		return -1;
	if (!mw_x86_sites_lock(0))
		return -1;      /* another thread patches: later */
	if (atomic_load(&in->patch) != SITE_NONE || !atomic_load(&enabled)) {
		mw_x86_sites_unlock();
		return -1;
	}
	atomic_store(&in->patch, SITE_BUSY);
	r = patch(in, f->addr, mw_arch_sp(f->uc), debugger);
	mw_x86_sites_unlock();
	return r;
}

int mw_arch_patch_where(void *uc, uintptr_t *site, const void **insn)
{
	greg_t *g = ((ucontext_t *)uc)->uc_mcontext.gregs;
	uintptr_t pc = (uintptr_t)g[REG_RIP];
	struct mw_x86_site *s;

	*site = 0;
	if ((pc >= (uintptr_t)mw_x86_hot_slow && pc < (uintptr_t)mw_x86_hot_slow_end) ||
	    (pc >= (uintptr_t)mw_x86_sys_quick && pc < (uintptr_t)mw_x86_sys_quick_end) ||
	    (pc >= (uintptr_t)mw_x86_hot_exit && pc < (uintptr_t)mw_x86_hot_sigtramp))
		return MW_PATCH_IN_OWN;
	if (!(s = mw_x86_site_of_stub(pc)))
		return MW_PATCH_IN_NONE;
	*site = s->pc;
	if (pc != s->native || !s->in)
		return MW_PATCH_IN_OWN;
	/* The instruction's copy: every register is the program's. */
	g[REG_RIP] = (greg_t)s->pc;
	*insn = s->in;
	return MW_PATCH_IN_COPY;
}

const struct mw_x86_insn *mw_x86_patch_insn(uintptr_t pc)
{
	/* Live or not: the jump may be on its way in or out. */
	struct mw_x86_site *s = mw_x86_site_at(pc);

	return s ? s->in : NULL;
}

void mw_arch_patch_undo(uintptr_t pc)
{
	unsigned k = mw_x86_sites_count();

	for (unsigned i = 0; i < k; i++) {
		struct mw_x86_site *s = mw_x86_site(i);

		if (s->pc == pc && s->in && atomic_load(&s->live)) {
			if (mw_x86_site_undo(s) == 0)
				atomic_store(&s->in->patch, SITE_NEVER);
			mw_x86_sites_said(MW_PATCH_UNDONE);
		}
	}
}

void mw_arch_patch_restore_all(int off)
{
	mw_x86_sites_lock(1);
	if (off)
		atomic_store(&enabled, 0);
	for (unsigned i = 0; i < mw_x86_sites_count(); i++) {
		struct mw_x86_site *s = mw_x86_site(i);

		if (atomic_load(&s->live) && mw_x86_site_undo(s) == 0 && s->in) {
			/* May be patched again by a later watch. */
			atomic_store(&s->in->patch, SITE_NONE);
			atomic_store(&s->in->hits, 0);
		}
	}
	mw_x86_syssites_restored();
	mw_x86_sites_unlock();
}

void mw_arch_patch_fold(void (*fn)(uintptr_t pc, uint64_t n, void *arg), void *arg)
{
	unsigned k = mw_x86_sites_count();

	for (unsigned i = 0; i < k; i++) {
		struct mw_x86_site *s = mw_x86_site(i);
		uint64_t now, was;

		if (!s->in)
			continue;       /* a system-call site */
		now = s->runs;
		was = atomic_load(&s->folded);
		/* Each access given once, whoever folds at the same time. */
		if (now > was && atomic_compare_exchange_strong(&s->folded, &was, now))
			fn(s->pc, now - was, arg);
	}
}

void mw_arch_patch_enable(int on)
{
	atomic_store(&enabled, on && pagemap && hot_fn && mw_x86_xsave_size);
}

int mw_x86_patch_enabled(void)
{
	return atomic_load_explicit(&enabled, memory_order_relaxed);
}

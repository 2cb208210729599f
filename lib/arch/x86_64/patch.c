/* SPDX-License-Identifier: MIT */
/*
 * patch.c - hot access sites patched with a jump to a stub (arch.h).
 *
 * Fault path: mw_arch_gate_syscall (mmap, mprotect, membarrier, open,
 * pwrite, close), mw_code_from_file, mw_code_prot, mw_probe_copy, atomics,
 * memcpy.  [thread] mw_arch_patch_restore_all: the same.
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
 *     jc   watched
 *     pop %rdx; pop %rcx; popfq; pop %rax; lea 128(%rsp),%rsp
 *   native:
 *     <the instruction, relocated>
 *     jmp  site+len
 *   watched:
 *     call *slow(%rip)             ; hot.S: never returns here
 *     <descriptor: site, native, the analysis>
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
 * vector state, five bytes or more, in a file mapping, with the bytes the file has (never over
 * a debugger's breakpoint).  The rest keep the signal path; why, is
 * counted by reason.  Shorter instructions need their neighbours moved
 * (E9Patch's punning and eviction): not done yet.
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
#include "arch/x86_64/patch.h"
#include "arch/x86_64/regs.h"
#include "base/codefile.h"
#include "base/sigsafe.h"

#define SLOT    256             /* bytes of stub per site */
#define CHUNK   (64 * 1024)
#define CHUNKS  64
#define SITES   (CHUNKS * CHUNK / SLOT)
#define REACH   ((1ll << 31) - CHUNK - 4096)

/* enum of mw_x86_insn.patch */
enum { SITE_NONE, SITE_BUSY, SITE_PATCHED, SITE_NEVER };

struct site {
	uintptr_t pc, block;    /* the instruction; the 16 (or 32) bytes written */
	uintptr_t stub, native; /* its stub; the relocated instruction there */
	uint8_t len;
	uint8_t two;            /* the jump crosses into the next 16 bytes */
	uint8_t orig[32], jump[32];
	_Atomic int live;       /* the jump is in place */
	struct mw_x86_insn *in;
};

static struct site sites[SITES];
static _Atomic unsigned nsites;
static uintptr_t chunk_base[CHUNKS];
static unsigned chunk_used[CHUNKS];
static _Atomic unsigned nchunks;
static _Atomic int busy;        /* one patcher at a time (try-lock) */
static _Atomic int enabled;
static const uint8_t *pagemap;
static int membarrier_ok;

static int (*hot_fn)(void *uc, uintptr_t addr, size_t size, const void *insn);
uint64_t mw_x86_hot_xmask;
int mw_x86_hot_xmode;
uint64_t mw_x86_hot_frame;
__thread uintptr_t mw_x86_hot_stack_lo __attribute__((tls_model("initial-exec")));
__thread uintptr_t mw_x86_hot_stack_hi __attribute__((tls_model("initial-exec")));

static _Atomic unsigned counts[MW_PATCH_NREASONS];

static const char *const reasons[MW_PATCH_NREASONS] = {
	[MW_PATCH_DONE] = "patched",
	[MW_PATCH_UNDONE] = "patched, then restored (a fault in its stub)",
	[MW_PATCH_CLASS] = "string, push/pop/call or gather instructions",
	[MW_PATCH_VECTOR] = "vector, x87, divide, bit-test, gs: or 32-bit address forms",
	[MW_PATCH_SHORT] = "shorter than the five bytes of a jump",
	[MW_PATCH_BLOCK] = "it starts at the last byte of a 16-byte block",
	[MW_PATCH_FILE] = "not in a file mapping, or its bytes differ from the file's "
			  "(a debugger's breakpoint)",
	[MW_PATCH_ROOM] = "no memory for a stub within 2 GiB",
	[MW_PATCH_WRITE] = "its code could not be written",
	[MW_PATCH_FULL] = "the table of patched sites is full",
	[MW_PATCH_STACK] = "it accesses the thread's stack, where its stub's own pushes "
			   "would fault too",
};

static long sys(long nr, long a, long b, long c, long d, long e, long f)
{
	return mw_arch_gate_syscall(nr, a, b, c, d, e, f);
}

static int failed(long r)
{
	return r < 0 && r > -4096;
}

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
	membarrier_ok = sys(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE,
			    0, 0, 0, 0, 0) == 0;
	/* On from the first watch (mw_arch_patch_enable). */
}

const char *mw_arch_patch_reason(int r)
{
	return r >= 0 && r < MW_PATCH_NREASONS ? reasons[r] : "";
}

unsigned mw_arch_patch_count(int r)
{
	return r >= 0 && r < MW_PATCH_NREASONS ? atomic_load(&counts[r]) : 0;
}

static int refuse(struct mw_x86_insn *in, int why)
{
	atomic_store(&in->patch, SITE_NEVER);
	atomic_fetch_add(&counts[why], 1);
	return why;
}

void mw_arch_hot_stack(uintptr_t lo, uintptr_t hi)
{
	mw_x86_hot_stack_lo = lo;
	mw_x86_hot_stack_hi = hi;
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
	mw_x86_hot_exit(uc, hot_fn(uc, mw_x86_effective_address(d->in, g), d->in->size, d->in));
}

/* ------------------------------------------------------------ the stub */

struct emit {
	uint8_t *p;
};

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

/* Writes the stub of IN at SITE into BUF (to run at AT); the offset of its
 * relocated instruction into *NATIVE.  0, or -1 if it cannot be relocated. */
static int build(uint8_t *buf, uintptr_t at, const struct mw_x86_insn *in, uintptr_t site,
		 uintptr_t *native)
{
	static const uint8_t enter[] = {
		0x48, 0x8d, 0x64, 0x24, 0x80,   /* lea -128(%rsp),%rsp */
		0x50, 0x9c, 0x51, 0x52,         /* push %rax; pushfq; push %rcx; push %rdx */
	};
	static const uint8_t leave[] = {
		0x5a, 0x59, 0x9d, 0x58,         /* pop %rdx; pop %rcx; popfq; pop %rax */
		0x48, 0x8d, 0xa4, 0x24, 0x80, 0, 0, 0,  /* lea 128(%rsp),%rsp */
	};
	struct emit e = { buf };
	uint8_t *to_native, *to_watched[2];
	int k = in->kind & MW_WRITE ? 0 : 1;    /* the page map's bit */
	uintptr_t next = site + in->len;

	bytes(&e, enter, sizeof(enter));
	emit_ea(&e, in, site, 128 + 32);
	/* Beyond the user address space: natively (a genuine fault). */
	b1(&e, 0x48); b1(&e, 0x89); b1(&e, 0xc1);              /* mov %rax,%rcx */
	b1(&e, 0x48); b1(&e, 0xc1); b1(&e, 0xe9); b1(&e, 47);  /* shr $47,%rcx */
	to_native = jcc32(&e, 0x5);                             /* jnz */
	b1(&e, 0x48); b1(&e, 0x89); b1(&e, 0xc1);              /* mov %rax,%rcx */
	emit_bit(&e, 1, k);
	b1(&e, 0x48); b1(&e, 0x8d); b1(&e, 0x40); b1(&e, in->size - 1u); /* lea n-1(%rax),%rax */
	emit_bit(&e, 0, k);
	b1(&e, 0x48); b1(&e, 0xba); b8(&e, (uint64_t)(uintptr_t)pagemap); /* movabs $map,%rdx */
	b1(&e, 0x48); b1(&e, 0x0f); b1(&e, 0xa3); b1(&e, 0x0a);  /* bt %rcx,(%rdx) */
	to_watched[0] = jcc32(&e, 0x2);                          /* jc */
	b1(&e, 0x48); b1(&e, 0x0f); b1(&e, 0xa3); b1(&e, 0x02);  /* bt %rax,(%rdx) */
	to_watched[1] = jcc32(&e, 0x2);
	land(to_native, e.p);
	bytes(&e, leave, sizeof(leave));

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
	land(to_watched[1], e.p);
	/* call *slow(%rip): the slot after the descriptor. */
	b1(&e, 0xff); b1(&e, 0x15); b4(&e, sizeof(struct mw_x86_hot_desc));
	struct mw_x86_hot_desc d = { site, *native, in };

	bytes(&e, &d, sizeof(d));
	b8(&e, (uint64_t)(uintptr_t)mw_x86_hot_slow);
	return e.p - buf <= SLOT ? 0 : -1;
}

/* ------------------------------------------------------------ memory */

static int reaches(uintptr_t a, uintptr_t b)
{
	int64_t d = (int64_t)(a - b);

	return d < REACH && d > -REACH;
}

/* A free stub slot within reach of PC, or 0. */
static uintptr_t slot_near(uintptr_t pc)
{
	unsigned n = atomic_load(&nchunks);

	for (unsigned i = 0; i < n; i++)
		if (chunk_used[i] + SLOT <= CHUNK && reaches(chunk_base[i], pc)) {
			chunk_used[i] += SLOT;
			return chunk_base[i] + chunk_used[i] - SLOT;
		}
	if (n == CHUNKS)
		return 0;
	for (long k = 1; k <= 64; k++)
		for (int sign = -1; sign <= 1; sign += 2) {
			uintptr_t hint = (pc & ~(uintptr_t)(CHUNK - 1)) + (uintptr_t)(sign * k * (32l << 20));
			long p = sys(SYS_mmap, (long)hint, CHUNK, PROT_READ | PROT_EXEC,
				     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);

			if (failed(p))
				continue;
			if (!reaches((uintptr_t)p, pc)) {
				sys(SYS_munmap, p, CHUNK, 0, 0, 0, 0);
				continue;
			}
			chunk_base[n] = (uintptr_t)p;
			chunk_used[n] = SLOT;
			atomic_store(&nchunks, n + 1);
			return (uintptr_t)p;
		}
	return 0;
}

/* Writes N bytes at A, in code of ours that no thread runs yet: through
 * /proc/self/mem, or else by making the page writable a moment. */
static int write_stub(uintptr_t a, const void *buf, size_t n)
{
	long fd = sys(SYS_openat, AT_FDCWD, (long)"/proc/self/mem", O_RDWR | O_CLOEXEC, 0, 0, 0);
	long r = -1;

	if (!failed(fd)) {
		r = sys(SYS_pwrite64, fd, (long)buf, (long)n, (long)a, 0, 0);
		sys(SYS_close, fd, 0, 0, 0, 0, 0);
	}
	if (r == (long)n)
		return 0;
	uintptr_t pg = a & ~(uintptr_t)4095, end = (a + n + 4095) & ~(uintptr_t)4095;

	if (failed(sys(SYS_mprotect, (long)pg, (long)(end - pg), PROT_READ | PROT_WRITE | PROT_EXEC,
		       0, 0, 0)))
		return -1;
	memcpy((void *)a, buf, n);
	sys(SYS_mprotect, (long)pg, (long)(end - pg), PROT_READ | PROT_EXEC, 0, 0, 0);
	return 0;
}

/* The 16 bytes at BLOCK become NEW if they are OLD; 0, or -1.  Atomic for
 * instruction fetch on other processors (one locked store), then every
 * thread serialized (membarrier SYNC_CORE) where the kernel can. */
static int swap_block(uintptr_t block, const uint8_t old[16], const uint8_t new[16], int prot)
{
	uintptr_t pg = block & ~(uintptr_t)4095;
	uint64_t lo, hi, nlo, nhi;
	unsigned char ok;

	if (failed(sys(SYS_mprotect, (long)pg, 4096, prot | PROT_WRITE, 0, 0, 0)))
		return -1;
	memcpy(&lo, old, 8);
	memcpy(&hi, old + 8, 8);
	memcpy(&nlo, new, 8);
	memcpy(&nhi, new + 8, 8);
	__asm__ volatile("lock cmpxchg16b %1; sete %0"
			 : "=q"(ok), "+m"(*(volatile unsigned __int128 *)block), "+a"(lo), "+d"(hi)
			 : "b"(nlo), "c"(nhi)
			 : "memory", "cc");
	sys(SYS_mprotect, (long)pg, 4096, prot, 0, 0, 0);
	if (ok && membarrier_ok)
		sys(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE, 0, 0, 0, 0, 0);
	return ok ? 0 : -1;
}

/* The jump's bytes at S go FROM -> TO (32 bytes from s->block).  Within one
 * 16-byte block: one exchange.  Across two: the first two bytes become a
 * jump to itself (`jmp .`, where a thread arriving meanwhile waits), then
 * the rest of the first block, the second block, and last the first two
 * bytes - each step one exchange, every thread serialized after it; no
 * thread is ever inside the five bytes but at S.  0, or -1 (undone). */
static int put(const struct site *s, const uint8_t from[32], const uint8_t to[32], int prot)
{
	unsigned off = (unsigned)(s->pc - s->block);
	uint8_t spin[16], rest[16];

	if (!s->two)
		return swap_block(s->block, from, to, prot);
	memcpy(spin, from, 16);
	spin[off] = 0xeb;
	spin[off + 1] = 0xfe;
	memcpy(rest, to, 16);
	rest[off] = 0xeb;
	rest[off + 1] = 0xfe;
	if (swap_block(s->block, from, spin, prot) < 0)
		return -1;
	if (swap_block(s->block, spin, rest, prot) < 0 ||
	    swap_block(s->block + 16, from + 16, to + 16, prot) < 0) {
		if (swap_block(s->block, rest, from, prot) < 0)
			swap_block(s->block, spin, from, prot);
		return -1;
	}
	return swap_block(s->block, rest, to, prot);
}

/* ------------------------------------------------------------ patching */

static int plain(const struct mw_x86_insn *in)
{
	return in->seg != 2 && in->rspreg < 0 &&
	       !(in->flags & (MW_X86_VECTOR | MW_X86_DIVIDE | MW_X86_BTREG | MW_X86_ADDR32)) &&
	       !in->maskkind && !in->xform && in->size >= 1 && in->size <= 16;
}

static int patch(struct mw_x86_insn *in, uintptr_t addr, uintptr_t sp)
{
	uintptr_t pc = in->pc, block = pc & ~(uintptr_t)15, stub, native;
	uint8_t cur[32] = { 0 }, file[15], buf[SLOT];
	int two = pc - block > 11;
	size_t have = (two ? 32 : 16) - (pc - block);   /* of its bytes in cur */
	unsigned idx;
	int prot;
	struct site *s;

	if (in->cls != MW_X86_GENERIC)
		return refuse(in, MW_PATCH_CLASS);
	if (!plain(in))
		return refuse(in, MW_PATCH_VECTOR);
	if (in->len < 5)
		return refuse(in, MW_PATCH_SHORT);
	if (pc - block == 15)
		return refuse(in, MW_PATCH_BLOCK);      /* not even `jmp .` fits */
	if (addr - (sp - 65536) < 65536 + (1u << 20))
		return refuse(in, MW_PATCH_STACK);
	/* Only code as the file has it, and as we analyzed it. */
	prot = mw_code_prot(pc);
	if (prot < 0 || !(prot & PROT_EXEC) || (prot & PROT_WRITE) ||
	    mw_probe_copy(cur, (const void *)block, two ? 32 : 16) ||
	    memcmp(cur + (pc - block), in->bytes, in->len < have ? in->len : have) ||
	    mw_code_from_file(pc, file, in->len) != in->len || memcmp(file, in->bytes, in->len))
		return refuse(in, MW_PATCH_FILE);
	idx = atomic_load(&nsites);
	if (idx >= SITES)
		return refuse(in, MW_PATCH_FULL);
	stub = slot_near(pc);
	if (!stub)
		return refuse(in, MW_PATCH_ROOM);
	memset(buf, 0xcc, sizeof(buf));
	if (build(buf, stub, in, pc, &native) < 0 || write_stub(stub, buf, SLOT) < 0)
		return refuse(in, MW_PATCH_ROOM);
	s = &sites[idx];
	s->pc = pc;
	s->block = block;
	s->stub = stub;
	s->native = native;
	s->len = in->len;
	s->in = in;
	s->two = (uint8_t)two;
	memcpy(s->orig, cur, 32);
	memcpy(s->jump, cur, 32);
	s->jump[pc - block] = 0xe9;
	int32_t rel = (int32_t)((int64_t)stub - (int64_t)(pc + 5));

	memcpy(s->jump + (pc - block) + 1, &rel, 4);
	atomic_store(&nsites, idx + 1);         /* the stub is findable first */
	if (put(s, s->orig, s->jump, prot) < 0)
		return refuse(in, MW_PATCH_WRITE);
	atomic_store(&s->live, 1);
	atomic_store(&in->patch, SITE_PATCHED);
	atomic_fetch_add(&counts[MW_PATCH_DONE], 1);
	return MW_PATCH_DONE;
}

int mw_arch_patch_consider(struct mw_fault *f, unsigned after)
{
	struct mw_x86_insn *in = (struct mw_x86_insn *)f->arch_insn;
	int expected = 0, r;

	if (!in || !atomic_load_explicit(&enabled, memory_order_relaxed) ||
	    atomic_load_explicit(&in->patch, memory_order_relaxed) != SITE_NONE ||
	    atomic_fetch_add_explicit(&in->hits, 1, memory_order_relaxed) + 1 < after)
		return -1;
	if (!atomic_compare_exchange_strong(&busy, &expected, 1))
		return -1;      /* another thread patches: later */
	if (atomic_load(&in->patch) != SITE_NONE || !atomic_load(&enabled)) {
		atomic_store(&busy, 0);
		return -1;
	}
	atomic_store(&in->patch, SITE_BUSY);
	r = patch(in, f->addr, mw_arch_sp(f->uc));
	atomic_store(&busy, 0);
	return r;
}

static struct site *site_of_stub(uintptr_t pc)
{
	unsigned n = atomic_load(&nsites);

	for (unsigned i = 0; i < n; i++)
		if (pc - sites[i].stub < SLOT)
			return &sites[i];
	return NULL;
}

static int in_chunks(uintptr_t pc)
{
	unsigned n = atomic_load(&nchunks);

	for (unsigned i = 0; i < n; i++)
		if (pc - chunk_base[i] < CHUNK)
			return 1;
	return 0;
}

int mw_arch_patch_where(void *uc, uintptr_t *site, const void **insn)
{
	greg_t *g = ((ucontext_t *)uc)->uc_mcontext.gregs;
	uintptr_t pc = (uintptr_t)g[REG_RIP];
	struct site *s;

	*site = 0;
	if ((pc >= (uintptr_t)mw_x86_hot_slow && pc < (uintptr_t)mw_x86_hot_slow_end) ||
	    (pc >= (uintptr_t)mw_x86_hot_exit && pc < (uintptr_t)mw_x86_hot_sigtramp))
		return MW_PATCH_IN_OWN;
	if (!in_chunks(pc) || !(s = site_of_stub(pc)))
		return MW_PATCH_IN_NONE;
	*site = s->pc;
	if (pc != s->native)
		return MW_PATCH_IN_OWN;
	/* The instruction's copy: every register is the program's. */
	g[REG_RIP] = (greg_t)s->pc;
	*insn = s->in;
	return MW_PATCH_IN_COPY;
}

const struct mw_x86_insn *mw_x86_patch_insn(uintptr_t pc)
{
	unsigned k = atomic_load(&nsites);

	/* Live or not: the jump may be on its way in or out. */
	for (unsigned i = 0; i < k; i++)
		if (sites[i].pc == pc)
			return sites[i].in;
	return NULL;
}

static void undo(struct site *s)
{
	int prot;

	if (!atomic_exchange(&s->live, 0))
		return;
	prot = mw_code_prot(s->pc);
	if (prot < 0 || put(s, s->jump, s->orig, prot & ~PROT_WRITE) < 0)
		return;         /* not ours any more (unmapped, or changed) */
	atomic_store(&s->in->patch, SITE_NEVER);
}

void mw_arch_patch_undo(uintptr_t pc)
{
	unsigned k = atomic_load(&nsites);

	for (unsigned i = 0; i < k; i++)
		if (sites[i].pc == pc && atomic_load(&sites[i].live)) {
			undo(&sites[i]);
			atomic_fetch_add(&counts[MW_PATCH_UNDONE], 1);
		}
}

void mw_arch_patch_restore_all(int off)
{
	int expected = 0;

	while (!atomic_compare_exchange_weak(&busy, &expected, 1))
		expected = 0;
	if (off)
		atomic_store(&enabled, 0);
	for (unsigned i = 0; i < atomic_load(&nsites); i++) {
		struct site *s = &sites[i];

		if (atomic_load(&s->live)) {
			undo(s);
			/* May be patched again by a later watch. */
			atomic_store(&s->in->patch, SITE_NONE);
			atomic_store(&s->in->hits, 0);
		}
	}
	atomic_store(&busy, 0);
}

void mw_arch_patch_enable(int on)
{
	atomic_store(&enabled, on && pagemap && hot_fn && mw_x86_xsave_size);
}

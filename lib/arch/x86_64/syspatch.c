/* SPDX-License-Identifier: MIT */
/*
 * syspatch.c - system-call sites patched with a jump to a stub (arch.h).
 *
 * Fault path (the SIGSYS handler's calls, and a stub's): sites.h, Zydis's
 * decoder (no allocation), mw_code_function, mw_code_from_file,
 * mw_code_prot, mw_probe_copy, atomics, memcpy.
 *
 * A `syscall` instruction is two bytes, too short for a jump.  Its site is
 * patched through the instruction before it, P, when that one is five
 * bytes or more and a stub can run it anywhere (registers and immediates
 * only, or a lea): the bytes of `mov $1,%eax; syscall` become
 * `jmp stub; syscall`, and the stub runs
 *
 *     <P, relocated>
 *     lea -128(%rsp),%rsp; push %rax; pushfq; push %rcx; push %rdx
 *     call *slow(%rip)             ; sysquick.S, then hot.S if need be
 *     <descriptor: A+2, fallback, no analysis>
 *   fallback:
 *     syscall                      ; dispatched: a SIGSYS, as before
 *     jmp  A+2
 *
 * where A is the syscall's address.  sysquick.S asks the system-call
 * layer whether the call can go to the kernel as it is (no buffer on a
 * watched page, nothing a signal frame is needed for), and makes it from
 * the gate if so.  Otherwise hot.S saves the program's registers
 * as a signal frame would (RIP A+2, where a SIGSYS leaves it) and calls
 * what the system-call layer gave mw_arch_sys_patch_init: it performs the
 * call as dispatch would, without a signal, and the stub resumes at A+2;
 * or it declines, and the stub's own `syscall` raises the SIGSYS, whose
 * handler finds the site (mw_arch_sys_patch_where) and works as for A.
 * The syscall instruction itself is not touched: a jump to A (a retry
 * loop) still dispatches through a signal, and so does the restart of an
 * interrupted call.  Only P's start changes, and P runs first in its stub.
 *
 * P's start must be an instruction's start: the instructions are decoded
 * from the start of the function that holds A, as the file's unwind table
 * bounds it, with the file's bytes (not memory's: other sites may be
 * patched there), and A must be reached exactly.
 */
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>

#include <Zydis/Zydis.h>

#include "arch/arch.h"
#include "arch/x86_64/access.h"
#include "arch/x86_64/jit.h"
#include "arch/x86_64/patch.h"
#include "arch/x86_64/sites.h"
#include "base/codefile.h"

#define HITS    4096            /* system-call sites counted */
#define PROBES  16
#define SWEEP   (1u << 20)      /* bytes decoded from a function's start, at most */

enum { SYS_COUNTING, SYS_PATCHED, SYS_NEVER };

static struct {
	_Atomic uintptr_t pc;
	_Atomic unsigned n;
	_Atomic int state;
} hits[HITS];

static int (*sys_fn)(void *uc);
int (*mw_x86_sys_quick_fn)(long nr, const long a[6]);
static ZydisDecoder decoder;
static int decoder_ok;

void mw_arch_sys_patch_init(int (*fn)(void *uc), int (*quick)(long nr, const long a[6]))
{
	sys_fn = fn;
	mw_x86_sys_quick_fn = quick;
	decoder_ok = ZYAN_SUCCESS(ZydisDecoderInit(&decoder, ZYDIS_MACHINE_MODE_LONG_64,
						   ZYDIS_STACK_WIDTH_64));
}

int mw_x86_sys_enter(ucontext_t *uc, const struct mw_x86_hot_desc *d)
{
	greg_t *g = uc->uc_mcontext.gregs;

	/* As the kernel leaves them after a system call. */
	g[REG_RCX] = (greg_t)d->site;
	g[REG_R11] = g[REG_EFL];
	return sys_fn ? sys_fn(uc) : 0;
}

/* ------------------------------------------------------------ decoding */

/* The start of the instruction that ends at A, decoding the file's bytes
 * from START, or 0 if decoding does not reach A exactly. */
static uintptr_t before(uintptr_t start, uintptr_t a)
{
	uint8_t win[4096];
	uintptr_t at = start, prev = 0, base = 0;
	size_t have = 0;

	if (a <= start || a - start > SWEEP)
		return 0;
	while (at < a) {
		ZydisDecoderContext ctx;
		ZydisDecodedInstruction ins;

		if (!have || at + 15 > base + have) {
			base = at;
			have = mw_code_from_file(base, win, sizeof(win));
			if (have < 15 && have < a - at)
				return 0;
		}
		if (!ZYAN_SUCCESS(ZydisDecoderDecodeInstruction(&decoder, &ctx, win + (at - base),
								  have - (at - base), &ins)))
			return 0;
		prev = at;
		at += ins.length;
	}
	return at == a ? prev : 0;
}

/* Whether the instruction of BYTES (LEN of them) runs the same anywhere, and
 * where its RIP-relative displacement is if it has one (*DISP_OFF, else 0). */
static int movable(const uint8_t *bytes, size_t len, unsigned *disp_off)
{
	ZydisDecodedInstruction ins;
	ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];

	*disp_off = 0;
	if (!ZYAN_SUCCESS(ZydisDecoderDecodeFull(&decoder, bytes, len, &ins, ops)) ||
	    ins.length != len)
		return 0;
	switch (ins.meta.category) {
	case ZYDIS_CATEGORY_COND_BR:
	case ZYDIS_CATEGORY_UNCOND_BR:
	case ZYDIS_CATEGORY_CALL:
	case ZYDIS_CATEGORY_RET:
	case ZYDIS_CATEGORY_SYSCALL:
	case ZYDIS_CATEGORY_SYSTEM:
	case ZYDIS_CATEGORY_INTERRUPT:
		return 0;
	default:
		break;
	}
	for (unsigned i = 0; i < ins.operand_count; i++) {
		const ZydisDecodedOperand *op = &ops[i];

		/* Not one that moves RSP: the stub's frame, for debuggers, is
		 * the program's at the site with the RSP it had before. */
		if (op->type == ZYDIS_OPERAND_TYPE_REGISTER &&
		    ZydisRegisterGetLargestEnclosing(ZYDIS_MACHINE_MODE_LONG_64, op->reg.value) ==
		    ZYDIS_REGISTER_RSP)
			return 0;
		if (op->type == ZYDIS_OPERAND_TYPE_IMMEDIATE && op->imm.is_relative)
			return 0;
		if (op->type == ZYDIS_OPERAND_TYPE_POINTER)
			return 0;
		if (op->type != ZYDIS_OPERAND_TYPE_MEMORY)
			continue;
		if (op->mem.type != ZYDIS_MEMOP_TYPE_AGEN)
			return 0;       /* an access: it might fault in the stub */
		if (op->mem.base == ZYDIS_REGISTER_RIP) {
			if (ins.raw.disp.size != 32)
				return 0;
			*disp_off = ins.raw.disp.offset;
		}
	}
	return 1;
}

/* ------------------------------------------------------------ the stub */

/* The stub of the site A (the syscall) with P's LEN bytes of BYTES before
 * it, into BUF (to run at AT); the fallback's address into *FALLBACK.
 * 0, or -1. */
static int build(uint8_t *buf, uintptr_t at, uintptr_t p, const uint8_t *bytes, unsigned len,
		 unsigned disp_off, uintptr_t a, uintptr_t *fallback)
{
	static const uint8_t enter[] = {
		0x48, 0x8d, 0x64, 0x24, 0x80,   /* lea -128(%rsp),%rsp */
		0x50, 0x9c, 0x51, 0x52,         /* push %rax; pushfq; push %rcx; push %rdx */
		0xff, 0x15,                     /* call *rel32(%rip) */
	};
	uint8_t *e = buf;
	struct mw_x86_hot_desc d;
	uint64_t slow = (uint64_t)(uintptr_t)(mw_x86_sys_quick_fn ? mw_x86_sys_quick :
					      mw_x86_hot_slow);
	int32_t skip = (int32_t)sizeof(d);

	memcpy(e, bytes, len);
	if (disp_off) {
		int32_t old;
		int64_t target, nd;

		memcpy(&old, e + disp_off, 4);
		target = (int64_t)(p + len) + old;
		nd = target - (int64_t)(at + len);
		if (nd != (int32_t)nd)
			return -1;
		int32_t d32 = (int32_t)nd;

		memcpy(e + disp_off, &d32, 4);
	}
	e += len;
	memcpy(e, enter, sizeof(enter));
	e += sizeof(enter);
	memcpy(e, &skip, 4);                    /* the slot after the descriptor */
	e += 4;
	*fallback = at + (uintptr_t)(e - buf) + sizeof(d) + 8;
	d.site = a + 2;
	d.native = *fallback;
	d.in = NULL;
	memcpy(e, &d, sizeof(d));
	e += sizeof(d);
	memcpy(e, &slow, 8);
	e += 8;
	*e++ = 0x0f;                            /* syscall */
	*e++ = 0x05;
	return mw_x86_jump(e, *fallback + 2, a + 2);    /* jmp A+2 */
}

/* ------------------------------------------------------------ patching */

static int said(int why)
{
	mw_x86_sites_said(why);
	return why;
}

/* P, the instruction before the syscall at A, if its site can be patched
 * (its LEN bytes from the file into BYTES, its RIP-relative displacement's
 * offset into *DISP_OFF); else 0. */
static uintptr_t predecessor(uintptr_t a, uint8_t bytes[15], unsigned *len, unsigned *disp_off)
{
	uintptr_t fs, fe, p;
	uint8_t mem[15];

	if (!decoder_ok || mw_code_function(a, &fs, &fe) < 0 || a < fs || a + 2 > fe ||
	    !(p = before(fs, a)))
		return 0;
	*len = (unsigned)(a - p);
	if (*len < 5 || *len > 15 || !mw_x86_jump_fits(p) || mw_x86_sites_overlap(p) ||
	    mw_code_from_file(p, bytes, *len) != *len || !movable(bytes, *len, disp_off) ||
	    mw_code_prot(p) != mw_code_prot(a) || mw_probe_copy(mem, (const void *)p, *len) ||
	    memcmp(mem, bytes, *len))
		return 0;
	return p;
}

static int patch(uintptr_t a, int debugger)
{
	static const uint8_t sc[2] = { 0x0f, 0x05 };
	uint8_t mem[15], file[15], buf[MW_X86_SLOT];
	uintptr_t p, stub, fallback;
	unsigned len = 0, disp_off = 0;
	int prot = mw_code_prot(a), punned = 0;
	struct mw_x86_site *s;

	if (prot < 0 || !(prot & PROT_EXEC) || (prot & PROT_WRITE) ||
	    mw_probe_copy(mem, (const void *)a, 2) || memcmp(mem, sc, 2) ||
	    mw_code_from_file(a, file, 2) != 2 || memcmp(file, sc, 2))
		return said(MW_PATCH_SYS_FILE);
	/* Through the instruction before, or else a jump punned over the
	 * syscall and the first three bytes after it. */
	p = predecessor(a, file, &len, &disp_off);
	if (!p) {
		p = a;
		len = 0;
		punned = 1;
		if (!mw_x86_jump_fits(a) || mw_x86_sites_overlap(a) ||
		    mw_code_from_file(a, file, 5) != 5)
			return said(MW_PATCH_SYS_PRED);
	}
	if (mw_probe_copy(mem, (const void *)p, 5) || memcmp(mem, file, 5))
		return said(MW_PATCH_SYS_FILE);
	s = mw_x86_site_at(p);
	if (s && s->sys == a && !atomic_load(&s->live) && !memcmp(s->orig, mem, 5))
		/* Patched before, restored at the last watch: its stub again. */
		return said(mw_x86_site_put(s, prot) < 0 ? MW_PATCH_WRITE : MW_PATCH_SYS_DONE);
	s = mw_x86_site_new();
	if (!s)
		return said(MW_PATCH_FULL);
	stub = mw_x86_slot_near(p);
	if (!stub)
		return said(MW_PATCH_ROOM);
	memset(buf, 0xcc, sizeof(buf));
	if (build(buf, stub, p, file, len, disp_off, a, &fallback) < 0 ||
	    mw_x86_write_stub(stub, buf, sizeof(buf)) < 0)
		return said(MW_PATCH_ROOM);
	/* Told to debuggers (GDB's JIT interface), whether one is there or
	 * comes later; one that is there must know it before the jump is in. */
	if (mw_x86_jit_site(stub, sizeof(buf), a + 2, len, (unsigned)(fallback - stub)) < 0 &&
	    debugger)
		return said(MW_PATCH_ROOM);
	if (punned ? mw_x86_pun(a, 2, mem, stub, s->jump) < 0 : mw_x86_jump(s->jump, p, stub) < 0)
		return said(punned ? MW_PATCH_SYS_PRED : MW_PATCH_ROOM);
	s->pc = p;
	s->stub = stub;
	s->native = fallback;
	s->sys = a;
	s->len = (uint8_t)(punned ? 2 : len);
	memcpy(s->orig, mem, 5);
	mw_x86_site_publish(s);
	if (mw_x86_site_put(s, prot) < 0)
		return said(MW_PATCH_WRITE);
	return said(MW_PATCH_SYS_DONE);
}

static unsigned hash(uintptr_t pc)
{
	return (unsigned)((pc * 0x9e3779b97f4a7c15ull) >> 52) % HITS;
}

int mw_arch_sys_patch_consider(void *uc, unsigned after, int debugger)
{
	uintptr_t a = (uintptr_t)((ucontext_t *)uc)->uc_mcontext.gregs[REG_RIP] - 2;
	unsigned h = hash(a);
	int r;

	if (!sys_fn || !mw_x86_patch_enabled())
		return -1;
	for (unsigned k = 0; k < PROBES; k++) {
		unsigned i = (h + k) % HITS;
		uintptr_t cur = atomic_load_explicit(&hits[i].pc, memory_order_relaxed);

		if (cur == 0 && atomic_compare_exchange_strong(&hits[i].pc, &cur, a))
			cur = a;
		if (cur != a)
			continue;
		if (atomic_load_explicit(&hits[i].state, memory_order_relaxed) != SYS_COUNTING ||
		    atomic_fetch_add_explicit(&hits[i].n, 1, memory_order_relaxed) + 1 < after ||
		    !mw_x86_sites_lock(0))
			return -1;
		if (atomic_load(&hits[i].state) != SYS_COUNTING || !mw_x86_patch_enabled()) {
			mw_x86_sites_unlock();
			return -1;
		}
		r = patch(a, debugger);
		atomic_store(&hits[i].state, r == MW_PATCH_SYS_DONE ? SYS_PATCHED : SYS_NEVER);
		mw_x86_sites_unlock();
		return r;
	}
	return -1;
}

int mw_arch_sys_patch_where(void *uc)
{
	greg_t *g = ((ucontext_t *)uc)->uc_mcontext.gregs;
	uintptr_t at = (uintptr_t)g[REG_RIP] - 2;
	struct mw_x86_site *s = mw_x86_site_of_stub(at);

	if (!s || !s->sys || at != s->native)
		return 0;
	g[REG_RIP] = (greg_t)(s->sys + 2);
	return 1;
}

void mw_x86_syssites_restored(void)
{
	/* Patched again, if they are hot again under a later watch. */
	for (unsigned i = 0; i < HITS; i++)
		if (atomic_load(&hits[i].state) == SYS_PATCHED) {
			atomic_store(&hits[i].n, 0);
			atomic_store(&hits[i].state, SYS_COUNTING);
		}
}

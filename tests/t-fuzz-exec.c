/* SPDX-License-Identifier: MIT */
/*
 * t-fuzz-exec.c - differential execution of random memory-operand
 * instructions.
 *
 * A case is a string instruction from a template (one in five: movs, stos,
 * lods, cmps, scas with random prefixes, direction, RSI, RDI and RCX), or
 * one random instruction: prefixes, an opcode from one of the
 * maps (one-byte, 0f, 0f 38, 0f 3a, VEX, EVEX), a ModRM byte with a memory
 * form, SIB, displacement and immediate bytes.  Zydis decodes it and keeps
 * it only if it has exactly one explicit memory operand and nothing the
 * harness cannot run in place: no control flow, no stack, no RSP, no
 * segment register writes, no hidden memory operands (xlat; strings come
 * from the template), no vector-indexed addressing, no system instructions.  The harness then sets
 * the registers the address is made of (and patches an absolute or
 * RIP-relative displacement) so that the operand lands on a chosen byte of
 * the data pages - inside a watched page, or straddling a boundary between
 * watched, unwatched and unmapped pages - with every other general,
 * vector, mask and x87 register and RFLAGS random.
 *
 * Data pages at DATA: 0 unwatched, 1-2 watched, 3 unwatched, 4 watched,
 * 5 unmapped; each watch's kind (read, write, both) is random.
 *
 * The instruction runs twice, each time in a fresh forked child: on
 * unwatched memory (the reference), and with the watches.  Each run ends
 * normally or with a signal (the child's own handler, which the library
 * chains to, records it).  The watched run must either:
 *   - be identical: the same signal or none, the same general registers,
 *     RFLAGS, x87/SSE state (and ymm/zmm/k when the run ended normally) and
 *     memory; or
 *   - be declined: the library said "declined" on stderr and the program got
 *     SIGSEGV at the instruction with registers and memory untouched (what
 *     the library does with an instruction it cannot perform).
 * A watched run that counts more than one access is wrong too.  Anything
 * else is a finding: the diagnostic gives the bytes, the case number and
 * the seed to replay it (FUZZ_SEED=S FUZZ_CASE=N).
 *
 * Environment: FUZZ_SEED (default 1), FUZZ_CASES (default 300) or
 * FUZZ_SECONDS (run as many cases as fit), FUZZ_CASE (only that case),
 * FUZZ_VERBOSE=1 (a line per case).
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <asm/prctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include <Zydis/Zydis.h>

#include "memwatch.h"
#include "tap.h"
#include "section.h"

#define PAGE		4096
#define DATA		0x20000000UL
#define DATA_PAGES	5		/* page 5 stays unmapped */
#define DATA_SIZE	(DATA_PAGES * PAGE)
#define CODE		0x30000000UL
#define INSN		(CODE + 0x100)
#define CHILD_TIMEOUT	2

enum { RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI,
       R8, R9, R10, R11, R12, R13, R14, R15 };
static const char *const reg_name[16] = {
	"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
	"r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
};
/* ucontext's gregs index of each hardware register. */
static const int hw_greg[16] = {
	REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP, REG_RSI, REG_RDI,
	REG_R8, REG_R9, REG_R10, REG_R11, REG_R12, REG_R13, REG_R14, REG_R15,
};

/* CF PF AF ZF SF DF OF, and AC: alignment checks must match too. */
#define FLAGS_COMPARED 0x40cd5ULL
#define FLAG_AC 0x40000ULL

/* What the harness loads before the instruction and stores after; the
 * offsets are hard-coded in the asm below. */
struct xctx {
	uint64_t r[16];		/*    0 */
	uint64_t flags;		/*  128 */
	uint64_t vec;		/*  136: 0 SSE, 1 AVX (ymm0-15), 2 AVX-512 */
	uint64_t kbw;		/*  144: kmovq (AVX512BW) rather than kmovw */
	uint64_t pad[5];
	uint8_t fx[512];	/*  192: FXSAVE image: x87, MXCSR, xmm0-15 */
	uint8_t z[32][64];	/*  704: zmm0-31 or ymm0-15 */
	uint64_t k[8];		/* 2752 */
} __attribute__((aligned(64)));

_Static_assert(offsetof(struct xctx, flags) == 128, "layout");
_Static_assert(offsetof(struct xctx, vec) == 136, "layout");
_Static_assert(offsetof(struct xctx, kbw) == 144, "layout");
_Static_assert(offsetof(struct xctx, fx) == 192, "layout");
_Static_assert(offsetof(struct xctx, z) == 704, "layout");
_Static_assert(offsetof(struct xctx, k) == 2752, "layout");

void fx_run(struct xctx *c);
extern const char fx_back[];
const void *fx_target = (const void *)INSN;
const uint32_t fx_mxcsr = 0x1f80;

/*
 * fx_run: save the callee-saved registers and the context pointer, load
 * x87/SSE (fxrstor), the wider vector and mask registers, RFLAGS and the
 * general registers but RSP, jump to the instruction at INSN, which jumps
 * back to fx_back; store everything, then reset the x87, SSE and AVX state
 * and RFLAGS for the C code after.
 */
__asm__(
	".pushsection .text\n"
	".intel_syntax noprefix\n"
	".globl fx_run, fx_back\n"
	".type fx_run, @function\n"
	"fx_run:\n"
	" push rbp; push rbx; push r12; push r13; push r14; push r15; push rdi\n"
	" fxrstor [rdi+192]\n"
	" cmp qword ptr [rdi+136], 1\n"
	" jb 2f\n"
	" je 1f\n"
	" .irp i,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31\n"
	"  vmovdqu64 zmm\\i, [rdi+704+64*\\i]\n"
	" .endr\n"
	" cmp qword ptr [rdi+144], 0\n"
	" je 3f\n"
	" .irp i,0,1,2,3,4,5,6,7\n"
	"  kmovq k\\i, [rdi+2752+8*\\i]\n"
	" .endr\n"
	" jmp 2f\n"
	"3:\n"
	" .irp i,0,1,2,3,4,5,6,7\n"
	"  kmovw k\\i, [rdi+2752+8*\\i]\n"
	" .endr\n"
	" jmp 2f\n"
	"1:\n"
	" .irp i,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n"
	"  vmovdqu ymm\\i, [rdi+704+64*\\i]\n"
	" .endr\n"
	"2:\n"
	" push qword ptr [rdi+128]; popfq\n"
	" mov rax, [rdi]; mov rcx, [rdi+8]; mov rdx, [rdi+16]; mov rbx, [rdi+24]\n"
	" mov rbp, [rdi+40]; mov rsi, [rdi+48]\n"
	" mov r8, [rdi+64]; mov r9, [rdi+72]; mov r10, [rdi+80]; mov r11, [rdi+88]\n"
	" mov r12, [rdi+96]; mov r13, [rdi+104]; mov r14, [rdi+112]; mov r15, [rdi+120]\n"
	" mov rdi, [rdi+56]\n"
	" jmp qword ptr [rip+fx_target]\n"
	"fx_back:\n"
	" push rdi; mov rdi, [rsp+8]\n"
	" mov [rdi], rax; mov [rdi+8], rcx; mov [rdi+16], rdx; mov [rdi+24], rbx\n"
	" mov [rdi+40], rbp; mov [rdi+48], rsi\n"
	" mov [rdi+64], r8; mov [rdi+72], r9; mov [rdi+80], r10; mov [rdi+88], r11\n"
	" mov [rdi+96], r12; mov [rdi+104], r13; mov [rdi+112], r14; mov [rdi+120], r15\n"
	" pop rax; mov [rdi+56], rax\n"
	" pushfq; pop rax; mov [rdi+128], rax\n"
	" push 0x202; popfq\n"
	" fxsave [rdi+192]\n"
	" cmp qword ptr [rdi+136], 1\n"
	" jb 2f\n"
	" je 1f\n"
	" .irp i,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31\n"
	"  vmovdqu64 [rdi+704+64*\\i], zmm\\i\n"
	" .endr\n"
	" cmp qword ptr [rdi+144], 0\n"
	" je 3f\n"
	" .irp i,0,1,2,3,4,5,6,7\n"
	"  kmovq [rdi+2752+8*\\i], k\\i\n"
	" .endr\n"
	" jmp 4f\n"
	"3:\n"
	" .irp i,0,1,2,3,4,5,6,7\n"
	"  kmovw [rdi+2752+8*\\i], k\\i\n"
	" .endr\n"
	" jmp 4f\n"
	"1:\n"
	" .irp i,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n"
	"  vmovdqu [rdi+704+64*\\i], ymm\\i\n"
	" .endr\n"
	"4:\n"
	" vzeroupper\n"
	"2:\n"
	" fninit; ldmxcsr [rip+fx_mxcsr]\n"
	" pop rdi; pop r15; pop r14; pop r13; pop r12; pop rbx; pop rbp\n"
	" ret\n"
	".size fx_run, .-fx_run\n"
	".att_syntax prefix\n"
	".popsection\n");

/* --- random numbers: splitmix64, one stream per case --- */

static uint64_t rng;

static uint64_t next(void)
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static unsigned below(unsigned n)
{
	return (unsigned)(next() % n);
}

/* --- one case --- */

struct watch { long off; size_t len; unsigned kind; };

struct tcase {
	uint8_t code[15];
	uint8_t len;
	char text[96];
	struct xctx ctx;
	struct watch w[2];
	uint64_t target;	/* the operand's address */
	uint16_t size;		/* its bytes */
	uint64_t seed;		/* of the data pages */
	long poke_off;		/* 4 bytes at DATA + poke_off (if non-zero) */
	uint32_t poke;
};

static ZydisDecoder dec;
static ZydisFormatter fmt;
static int vec_level, have_kbw;
static uint64_t fs_base, gs_base;

static int greg(ZydisRegister r)
{
	static const int hw[16] = { RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI,
				    R8, R9, R10, R11, R12, R13, R14, R15 };
	ZydisRegister big = ZydisRegisterGetLargestEnclosing(ZYDIS_MACHINE_MODE_LONG_64, r);

	if (big >= ZYDIS_REGISTER_RAX && big <= ZYDIS_REGISTER_R15)
		return hw[big - ZYDIS_REGISTER_RAX];
	return -1;
}

/* Random instruction bytes, biased towards memory forms. */
static void random_bytes(uint8_t *b)
{
	static const uint8_t legacy[] = { 0x66, 0x67, 0xf2, 0xf3, 0xf0, 0x64, 0x65, 0x2e };
	int n = 0, np = below(8) < 5 ? 0 : (int)below(3) + 1;

	for (int i = 0; i < np; i++)
		b[n++] = legacy[below(sizeof(legacy))];
	if (below(3) == 0)
		b[n++] = (uint8_t)(0x40 | below(16));
	switch (below(20)) {
	case 0: case 1: case 2: case 3: case 4: case 5: case 6: case 7: case 8:
		break;
	case 9: case 10: case 11: case 12: case 13:
		b[n++] = 0x0f;
		break;
	case 14: case 15:
		b[n++] = 0x0f;
		b[n++] = 0x38;
		break;
	case 16:
		b[n++] = 0x0f;
		b[n++] = 0x3a;
		break;
	case 17:		/* VEX2 */
		b[n++] = 0xc5;
		b[n++] = (uint8_t)(0x80 | next());
		break;
	case 18:		/* VEX3 */
		b[n++] = 0xc4;
		b[n++] = (uint8_t)(0xe0 | (below(3) + 1));
		b[n++] = (uint8_t)next();
		break;
	default:		/* EVEX */
		b[n++] = 0x62;
		b[n++] = (uint8_t)(0xf0 | (below(3) + 1));
		b[n++] = (uint8_t)(0x04 | (next() & 0xfb));
		b[n++] = (uint8_t)next();
		break;
	}
	b[n++] = (uint8_t)next();				/* opcode */
	b[n++] = (uint8_t)((below(3) << 6) | (next() & 0x3f));	/* ModRM, mod != 3 */
	while (n < 15)
		b[n++] = (uint8_t)next();
}

/* Can the harness run it in place, and is its one explicit memory
 * operand something the library is asked to handle?  Returns its index. */
static int acceptable(const ZydisDecodedInstruction *ins, const ZydisDecodedOperand *ops)
{
	int memop = -1;

	switch (ins->meta.category) {
	case ZYDIS_CATEGORY_CALL: case ZYDIS_CATEGORY_RET: case ZYDIS_CATEGORY_COND_BR:
	case ZYDIS_CATEGORY_UNCOND_BR: case ZYDIS_CATEGORY_SYSCALL: case ZYDIS_CATEGORY_SYSRET:
	case ZYDIS_CATEGORY_INTERRUPT: case ZYDIS_CATEGORY_SYSTEM: case ZYDIS_CATEGORY_PUSH:
	case ZYDIS_CATEGORY_POP: case ZYDIS_CATEGORY_STRINGOP: case ZYDIS_CATEGORY_SEGOP:
	case ZYDIS_CATEGORY_IO: case ZYDIS_CATEGORY_IOSTRINGOP: case ZYDIS_CATEGORY_SGX:
	case ZYDIS_CATEGORY_VTX: case ZYDIS_CATEGORY_UINTR:
		return -1;
	default:
		break;
	}
	for (int i = 0; i < ins->operand_count; i++) {
		const ZydisDecodedOperand *op = &ops[i];

		if (op->type == ZYDIS_OPERAND_TYPE_REGISTER) {
			ZydisRegisterClass c = ZydisRegisterGetClass(op->reg.value);

			if (greg(op->reg.value) == RSP || c == ZYDIS_REGCLASS_IP ||
			    (c == ZYDIS_REGCLASS_SEGMENT &&
			     (op->actions & ZYDIS_OPERAND_ACTION_MASK_WRITE)) ||
			    c == ZYDIS_REGCLASS_CONTROL || c == ZYDIS_REGCLASS_DEBUG ||
			    c == ZYDIS_REGCLASS_TABLE || c == ZYDIS_REGCLASS_TEST ||
			    c == ZYDIS_REGCLASS_BOUND)
				return -1;
		} else if (op->type == ZYDIS_OPERAND_TYPE_MEMORY) {
			if (op->mem.type == ZYDIS_MEMOP_TYPE_AGEN || op->mem.type == ZYDIS_MEMOP_TYPE_MIB)
				continue;
			if (op->mem.type != ZYDIS_MEMOP_TYPE_MEM ||
			    op->visibility == ZYDIS_OPERAND_VISIBILITY_HIDDEN || memop >= 0 ||
			    greg(op->mem.base) == RSP || greg(op->mem.index) == RSP ||
			    op->size == 0)
				return -1;
			memop = i;
		} else if (op->type == ZYDIS_OPERAND_TYPE_POINTER) {
			return -1;
		}
	}
	return memop;
}

static uint64_t random_reg(void)
{
	switch (below(4)) {
	case 0: return next() & 0xff;
	case 1: return (uint64_t)(int64_t)(int16_t)next();
	case 2: return DATA + below(DATA_SIZE);
	default: return next();
	}
}

static uint64_t random_target(void)
{
	switch (below(8)) {
	case 0: case 1: case 2:
		return DATA + 0x1000 + below(0x2000);
	case 3:
		return DATA + 0x1000 - 64 + below(128);
	case 4:
		return DATA + 0x2000 - 64 + below(128);
	case 5:
		return DATA + 0x3000 - 64 + below(128);
	case 6:
		return DATA + 0x4000 + below(0x1000);
	default:
		return DATA + 0x5000 - 64 + below(64);
	}
}

/* Random general registers, RFLAGS, vector, mask and x87 state. */
static void random_state(struct tcase *t)
{
	memset(&t->ctx, 0, sizeof(t->ctx));
	for (int i = 0; i < 16; i++)
		t->ctx.r[i] = random_reg();
	t->ctx.flags = 0x202 | (next() & 0x8d5) | (below(8) == 0 ? FLAG_AC : 0);
	t->ctx.vec = (uint64_t)vec_level;
	t->ctx.kbw = (uint64_t)have_kbw;
	for (int i = 0; i < 32; i++)
		for (int j = 0; j < 64; j += 8) {
			uint64_t v = below(4) ? next() : 0;

			memcpy(&t->ctx.z[i][j], &v, 8);
		}
	for (int i = 0; i < 8; i++)
		t->ctx.k[i] = below(3) ? next() : ~0ull;
	/* x87: empty stack, or a few random values; MXCSR default. */
	uint16_t fcw = 0x37f, fsw = (uint16_t)(below(2) ? 0 : 5u << 11);
	uint8_t ftw = (uint8_t)(below(2) ? 0 : 0xff);
	memcpy(t->ctx.fx, &fcw, 2);
	memcpy(t->ctx.fx + 2, &fsw, 2);
	t->ctx.fx[4] = ftw;
	uint32_t mxcsr = 0x1f80, mxmask = 0xffff;
	memcpy(t->ctx.fx + 24, &mxcsr, 4);
	memcpy(t->ctx.fx + 28, &mxmask, 4);
	for (int i = 0; i < 8; i++)
		for (int j = 0; j < 10; j++)
			t->ctx.fx[32 + 16 * i + j] = (uint8_t)next();
	for (int i = 0; i < 16; i++)
		memcpy(t->ctx.fx + 160 + 16 * i, t->ctx.z[i], 16);
}

static const unsigned kinds[4] = { MW_ACCESS, MW_ACCESS, MW_WRITE, MW_READ };

/* The end of making a case: two watches of random kinds on the data pages,
 * the seed of the random state, the instruction's text; 0. */
static int finish_case(struct tcase *t, const ZydisDecodedInstruction *ins,
		       const ZydisDecodedOperand *ops)
{
	t->w[0] = (struct watch){ 0x1000, 0x2000, kinds[below(4)] };
	t->w[1] = (struct watch){ 0x4000, 0x1000, kinds[below(4)] };
	t->seed = next();
	ZydisFormatterFormatInstruction(&fmt, ins, ops, ins->operand_count_visible,
					t->text, sizeof(t->text), INSN, NULL);
	return 0;
}

/*
 * A string instruction from a template: movs, stos, lods, cmps or scas of
 * any element size, with or without rep/repe/repne, 32-bit addresses, an
 * fs/gs source, either direction, RSI/RDI aimed anywhere on the data pages
 * (or off their ends) and RCX up to two pages of elements.
 */
static int make_string_case(struct tcase *t)
{
	static const uint8_t ops8[10] = { 0xa4, 0xa5, 0xaa, 0xab, 0xac, 0xad, 0xa6, 0xa7,
					  0xae, 0xaf };
	ZydisDecodedInstruction ins;
	ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
	uint8_t op = ops8[below(10)];
	int n = 0, a32 = below(4) == 0, seg = below(6), elem, src;
	uint64_t s, d, count;

	memset(t->code, 0x90, sizeof(t->code));
	if (a32)
		t->code[n++] = 0x67;
	if (seg == 0)
		t->code[n++] = 0x64;
	else if (seg == 1)
		t->code[n++] = 0x65;
	switch (below(3)) {
	case 0: t->code[n++] = 0xf3; break;
	case 1: t->code[n++] = 0xf2; break;
	default: break;
	}
	if (op & 1) {
		switch (below(3)) {
		case 0: t->code[n++] = 0x66; break;
		case 1: t->code[n++] = 0x48; break;
		default: break;
		}
	}
	t->code[n++] = op;
	if (!ZYAN_SUCCESS(ZydisDecoderDecodeFull(&dec, t->code, (ZyanUSize)n, &ins, ops)) ||
	    ins.meta.category != ZYDIS_CATEGORY_STRINGOP)
		return -1;
	t->len = ins.length;
	elem = 0;
	for (int i = 0; i < ins.operand_count; i++)
		if (ops[i].type == ZYDIS_OPERAND_TYPE_MEMORY)
			elem = ops[i].size / 8;
	t->size = (uint16_t)elem;
	random_state(t);
	if (below(2))
		t->ctx.flags |= 0x400;          /* DF: backwards */
	src = op <= 0xa7 || op == 0xac || op == 0xad;
	s = random_target() - (below(4) == 0 ? 0x1000 : 0);
	d = random_target() - (below(4) == 0 ? 0x1000 : 0);
	count = below(3) == 0 ? below(8) : below(2 * PAGE / (unsigned)elem);
	if (src && seg == 0)
		s -= fs_base;
	else if (src && seg == 1)
		s -= gs_base;
	if (a32) {
		s = (s & 0xffffffffu) | (next() << 32);
		d = (d & 0xffffffffu) | (next() << 32);
		count |= next() << 32;
	}
	t->ctx.r[RSI] = s;
	t->ctx.r[RDI] = d;
	t->ctx.r[RCX] = count;
	t->target = src ? (uint64_t)(uint32_t)s : d;
	return finish_case(t, &ins, ops);
}

/* Makes a case (a string instruction from the template if STRING): 0 on
 * success, -1 if the bytes are not a usable instruction (the caller tries
 * the next stream value). */
static int make_case(struct tcase *t, int string)
{
	ZydisDecodedInstruction ins;
	ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
	const ZydisDecodedOperand *m;
	int memop, b, x;
	uint64_t T, disp, base, idx = 0;

	if (string)
		return make_string_case(t);
	random_bytes(t->code);
	if (!ZYAN_SUCCESS(ZydisDecoderDecodeFull(&dec, t->code, 15, &ins, ops)))
		return -1;
	memop = acceptable(&ins, ops);
	if (memop < 0)
		return -1;
	m = &ops[memop];
	t->len = ins.length;
	t->size = (uint16_t)(m->size / 8);

	random_state(t);

	/* The address: base + index * scale + disp (+ segment base). */
	T = random_target();
	b = m->mem.base == ZYDIS_REGISTER_RIP || m->mem.base == ZYDIS_REGISTER_EIP ? -2 :
	    greg(m->mem.base);
	x = greg(m->mem.index);
	if (m->mem.segment == ZYDIS_REGISTER_FS)
		T -= fs_base;
	else if (m->mem.segment == ZYDIS_REGISTER_GS)
		T -= gs_base;
	disp = m->mem.disp.has_displacement ? (uint64_t)m->mem.disp.value : 0;
	if (b == -2 || (b < 0 && x < 0)) {
		/* RIP-relative or absolute: rewrite the displacement. */
		uint64_t want = b == -2 ? T - (INSN + t->len) : T;
		unsigned off = ins.raw.disp.offset, sz = ins.raw.disp.size / 8;

		if (!sz || (sz < 8 && (int64_t)want != (int64_t)(int32_t)want) || x >= 0)
			return -1;
		if (b < 0 && ins.address_width == 32 && (want >> 32))
			return -1;
		memcpy(t->code + off, &want, sz);
		if (!ZYAN_SUCCESS(ZydisDecoderDecodeFull(&dec, t->code, 15, &ins, ops)))
			return -1;
	} else if (b >= 0 && b == x) {
		unsigned k = m->mem.scale + 1u;
		int64_t v = (int64_t)(T - disp);
		int64_t r = ((v % k) + k) % k;

		t->ctx.r[b] = (uint64_t)((v - r) / k);
		T -= (uint64_t)r;
	} else {
		if (x >= 0) {
			idx = (uint64_t)(int64_t)((int)below(17) - 8);
			t->ctx.r[x] = idx;
		}
		if (b >= 0) {
			base = T - disp - idx * m->mem.scale;
			if (ins.address_width == 32)
				base = (base & 0xffffffffu) | (next() << 32);
			t->ctx.r[b] = base;
		} else {	/* index only: T - disp must divide by the scale */
			uint64_t v = T - disp;

			T -= v % m->mem.scale;
			t->ctx.r[x] = (T - disp) / m->mem.scale;
			if (ins.address_width == 32)
				t->ctx.r[x] |= next() << 32;
		}
	}
	if (m->mem.segment == ZYDIS_REGISTER_FS)
		T += fs_base;
	else if (m->mem.segment == ZYDIS_REGISTER_GS)
		T += gs_base;
	t->target = T;
	return finish_case(t, &ins, ops);
}

/* --- running it --- */

enum { ST_START, ST_WATCHED, ST_RAN, ST_SIGNAL, ST_DONE };

struct result {
	int stage, sig, si_code, watch_rc[2];
	uint64_t faddr, count;
	uint64_t g[16], rip, flags;	/* at the signal */
	uint8_t fx[512];		/* at the signal */
	struct xctx ctx;		/* after a normal end */
	uint8_t mem[DATA_SIZE];
};

static struct result *res;
static sigjmp_buf back;

static void on_signal(int sig, siginfo_t *si, void *uc_)
{
	ucontext_t *uc = uc_;

	/* The kernel leaves RFLAGS.AC as the instruction had it: clear it
	 * before C code makes a misaligned access. */
	__asm__ volatile("pushfq; andq $~0x40000, (%%rsp); popfq" ::: "memory", "cc");
	res->sig = sig;
	res->si_code = si->si_code;
	res->faddr = (uint64_t)(uintptr_t)si->si_addr;
	for (int i = 0; i < 16; i++)
		res->g[i] = (uint64_t)uc->uc_mcontext.gregs[hw_greg[i]];
	res->rip = (uint64_t)uc->uc_mcontext.gregs[REG_RIP];
	res->flags = (uint64_t)uc->uc_mcontext.gregs[REG_EFL];
	if (uc->uc_mcontext.fpregs)
		memcpy(res->fx, uc->uc_mcontext.fpregs, 512);
	res->stage = ST_SIGNAL;
	siglongjmp(back, 1);
}

static void fill(uint8_t *p, size_t n, uint64_t seed)
{
	uint64_t save = rng;

	rng = seed;
	for (size_t i = 0; i < n; i += 8) {
		uint64_t v = next();

		memcpy(p + i, &v, 8);
	}
	rng = save;
}

static void child(const struct tcase *t, int watched)
{
	static const int sigs[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP };
	static struct xctx c;
	struct sigaction sa;
	static int ids[2];

	ids[0] = ids[1] = 0;
	uint8_t *buf = mmap((void *)DATA, DATA_SIZE, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);

	if (buf != (uint8_t *)DATA)
		_exit(3);
	fill(buf, DATA_SIZE, t->seed);
	if (t->poke_off)
		memcpy(buf + t->poke_off, &t->poke, 4);
	c = t->ctx;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_signal;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	for (unsigned i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
	if (watched)
		for (int i = 0; i < 2; i++) {
			ids[i] = mw_watch(buf + t->w[i].off, t->w[i].len, t->w[i].kind);
			res->watch_rc[i] = ids[i];
			if (ids[i] <= 0)
				_exit(4);
		}
	res->stage = ST_WATCHED;
	uint64_t before = mw_total_count();
	if (sigsetjmp(back, 1) == 0) {
		fx_run(&c);
		res->stage = ST_RAN;
		res->ctx = c;
	}
	res->count = mw_total_count() - before;
	if (watched && getenv("FUZZ_DUMP"))
		mw_log_dump(2);
	for (int i = 0; i < 2; i++)
		if (ids[i] > 0)
			mw_unwatch(ids[i]);
	memcpy(res->mem, buf, DATA_SIZE);
	res->stage = res->stage == ST_SIGNAL ? ST_SIGNAL : ST_DONE;
	_exit(0);
}

struct run_args {
	const struct tcase *t;
	int watched;
	struct result *out;
};

static void run_case(void *arg)
{
	struct run_args *a = arg;

	res = a->out;
	child(a->t, a->watched);
}

static int run(const struct tcase *t, int watched, struct result *out, char *err, size_t errsz)
{
	struct child c = { .flags = CHILD_STDERR | CHILD_NO_CORE,
			   .alarm = CHILD_TIMEOUT, .out = err, .len = errsz };
	struct run_args a = { t, watched, out };

	memset(out, 0, sizeof(*out));
	return child_run(&c, run_case, &a);
}

/* The parts of an FXSAVE image that must match: FCW, FSW, FTW, MXCSR,
 * st0-7/mm0-7 and xmm0-15 (not FOP, FIP, FDP: where the last x87
 * instruction was, which is the library's stub in the watched run). */
static int fx_differs(const uint8_t *a, const uint8_t *b)
{
	return memcmp(a, b, 5) != 0 || memcmp(a + 24, b + 24, 4) != 0 ||
	       memcmp(a + 32, b + 32, 128 + 256) != 0;
}

/* What differs between the runs, as text; empty if nothing. */
static void differences(const struct tcase *t, const struct result *a, const struct result *b,
			char *out, size_t sz)
{
	size_t n = 0;

#define SAY(...) do { if (n < sz) n += (size_t)snprintf(out + n, sz - n, __VA_ARGS__); } while (0)
	out[0] = 0;
	if (a->stage != b->stage || a->sig != b->sig) {
		SAY(" ended differently (reference %s %d, watched %s %d);",
		    a->stage == ST_SIGNAL ? "signal" : "stage", a->stage == ST_SIGNAL ? a->sig : a->stage,
		    b->stage == ST_SIGNAL ? "signal" : "stage", b->stage == ST_SIGNAL ? b->sig : b->stage);
		return;
	}
	if (a->stage == ST_SIGNAL) {
		for (int i = 0; i < 16; i++)
			if (i != RSP && a->g[i] != b->g[i])
				SAY(" %s %#lx/%#lx;", reg_name[i], (unsigned long)a->g[i],
				    (unsigned long)b->g[i]);
		if (a->rip != b->rip)
			SAY(" rip %#lx/%#lx;", (unsigned long)a->rip, (unsigned long)b->rip);
		if ((a->flags ^ b->flags) & FLAGS_COMPARED)
			SAY(" rflags %#lx/%#lx;", (unsigned long)a->flags, (unsigned long)b->flags);
		if (fx_differs(a->fx, b->fx))
			SAY(" x87/SSE state;");
		if (a->sig != SIGSEGV && a->faddr != b->faddr)
			SAY(" faddr %#lx/%#lx;", (unsigned long)a->faddr,
			    (unsigned long)b->faddr);
	} else {
		const struct xctx *x = &a->ctx, *y = &b->ctx;
		size_t vb = vec_level == 2 ? 64 : vec_level == 1 ? 32 : 0;
		int nz = vec_level == 2 ? 32 : 16;

		for (int i = 0; i < 16; i++)
			if (i != RSP && x->r[i] != y->r[i])
				SAY(" %s %#lx/%#lx;", reg_name[i], (unsigned long)x->r[i],
				    (unsigned long)y->r[i]);
		if ((x->flags ^ y->flags) & FLAGS_COMPARED)
			SAY(" rflags %#lx/%#lx;", (unsigned long)x->flags, (unsigned long)y->flags);
		if (fx_differs(x->fx, y->fx))
			SAY(" x87/SSE state;");
		for (int i = 0; i < nz && vb; i++)
			if (memcmp(x->z[i], y->z[i], vb) != 0)
				SAY(" %cmm%d;", vb == 64 ? 'z' : 'y', i);
		for (int i = 0; i < 8 && vec_level == 2; i++)
			if (x->k[i] != y->k[i] && (have_kbw || (uint16_t)(x->k[i] ^ y->k[i])))
				SAY(" k%d;", i);
	}
	for (size_t i = 0; i < DATA_SIZE; i++)
		if (a->mem[i] != b->mem[i]) {
			SAY(" memory at %#lx;", (unsigned long)(DATA + i));
			break;
		}
	(void)t;
#undef SAY
}

/* A decline: SIGSEGV at the instruction, nothing changed, and said so. */
static int declined(const struct tcase *t, const struct result *w, const char *err)
{
	uint8_t mem[DATA_SIZE];

	if (w->stage != ST_SIGNAL || w->sig != SIGSEGV || w->rip != INSN ||
	    !strstr(err, "declined"))
		return 0;
	for (int i = 0; i < 16; i++)
		if (i != RSP && w->g[i] != t->ctx.r[i])
			return 0;
	fill(mem, DATA_SIZE, t->seed);
	if (t->poke_off)
		memcpy(mem + t->poke_off, &t->poke, 4);
	return memcmp(mem, w->mem, DATA_SIZE) == 0;
}

/* The library's reason, from "...: REASON; delivering the SIGSEGV...". */
static void reason(const char *err, char *out, size_t sz)
{
	const char *s = strstr(err, "declined"), *e;

	out[0] = 0;
	if (!s || !(s = strstr(s, "): ")))
		return;
	s += 3;
	e = strstr(s, "; delivering");
	snprintf(out, sz, "%.*s", (int)(e ? e - s : (long)strcspn(s, "\n")), s);
}

#define MAX_REASONS 32
static struct { char why[160]; unsigned n; } reasons[MAX_REASONS];

static void tally(const char *why)
{
	for (int i = 0; i < MAX_REASONS; i++) {
		if (!reasons[i].n) {
			snprintf(reasons[i].why, sizeof(reasons[i].why), "%s", why);
			reasons[i].n = 1;
			return;
		}
		if (!strcmp(reasons[i].why, why)) {
			reasons[i].n++;
			return;
		}
	}
}

static int setup_code(const struct tcase *t)
{
	/* jmp *SLOT(%rip), SLOT aligned: RFLAGS.AC may be on. */
	static const uint8_t jmp[2] = { 0xff, 0x25 };
	uint8_t *p = (uint8_t *)INSN, *slot = (uint8_t *)CODE + 0x80;
	uint64_t to = (uint64_t)(uintptr_t)fx_back;
	int32_t rel = (int32_t)((intptr_t)slot - (intptr_t)(p + t->len + 6));

	if (mprotect((void *)CODE, PAGE, PROT_READ | PROT_WRITE))
		return -1;
	memcpy(p, t->code, t->len);
	memcpy(p + t->len, jmp, 2);
	memcpy(p + t->len + 2, &rel, 4);
	memcpy(slot, &to, 8);
	return mprotect((void *)CODE, PAGE, PROT_READ | PROT_EXEC);
}

static uint64_t env_u64(const char *name, uint64_t dflt)
{
	const char *v = getenv(name);

	return v && *v ? strtoull(v, NULL, 0) : dflt;
}

/*
 * The findings, replayed before the random cases: each must now run on
 * watched memory exactly as on unwatched memory.  The rest of the state is
 * random, from a fixed stream.
 */
#define HI 0x5a5a5a5a00000000ULL
static const struct finding {
	const char *name;
	uint8_t code[15], len;
	uint64_t rsi, rdi, rcx, flags;
	long poke_off;
	uint32_t poke;
} findings[] = {
	{ "addr32 rep movsb, genuine fault on the destination: RCX's upper half kept",
	  { 0x67, 0xf3, 0xa4 }, 3, HI | (DATA + 0x1000), HI | (DATA + 0x5000), HI | 0x10,
	  0x202, 0, 0 },
	{ "clflush [rdi] 25 bytes before an unmapped page: flushes its line",
	  { 0x0f, 0xae, 0x3f }, 3, 0, DATA + 0x4fe7, 0, 0x202, 0, 0 },
	{ "ldmxcsr [rdi] of a value with reserved bits: #GP at the program's instruction",
	  { 0x0f, 0xae, 0x17 }, 3, 0, DATA + 0x1100, 0, 0x202, 0x1100, 0xffffffff },
	{ "mov [rdi], rax (aligned) with RFLAGS.AC set",
	  { 0x48, 0x89, 0x07 }, 3, 0, DATA + 0x1100, 0, 0x40202, 0, 0 },
	{ "mov [rdi], rax (misaligned) with RFLAGS.AC set: SIGBUS at the instruction",
	  { 0x48, 0x89, 0x07 }, 3, 0, DATA + 0x1101, 0, 0x40202, 0, 0 },
	{ "movups xmm0, [rdi] (misaligned) with RFLAGS.AC set: SIGBUS at the instruction",
	  { 0x0f, 0x10, 0x07 }, 3, 0, DATA + 0x1101, 0, 0x40202, 0, 0 },
	{ "rep movsw, destination misaligned, RFLAGS.AC set: declined",
	  { 0xf3, 0x66, 0xa5 }, 3, DATA + 0x1100, DATA + 0x3101, 4, 0x40202, 0, 0 },
};

static void make_finding(const struct finding *fd, struct tcase *t)
{
	ZydisDecodedInstruction ins;
	ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];

	rng = 0xf1d1;
	memset(t, 0, sizeof(*t));
	memset(t->code, 0x90, sizeof(t->code));
	memcpy(t->code, fd->code, fd->len);
	t->len = fd->len;
	random_state(t);
	t->ctx.r[RSI] = fd->rsi;
	t->ctx.r[RDI] = fd->rdi;
	t->ctx.r[RCX] = fd->rcx;
	t->ctx.flags = fd->flags;
	t->target = fd->rdi;
	t->w[0] = (struct watch){ 0x1000, 0x2000, MW_ACCESS };
	t->w[1] = (struct watch){ 0x4000, 0x1000, MW_ACCESS };
	t->seed = 0x5eed;
	t->poke_off = fd->poke_off;
	t->poke = fd->poke;
	if (ZYAN_SUCCESS(ZydisDecoderDecodeFull(&dec, t->code, t->len, &ins, ops)))
		ZydisFormatterFormatInstruction(&fmt, &ins, ops, ins.operand_count_visible,
						t->text, sizeof(t->text), INSN, NULL);
}

enum { CASE_SAME, CASE_DECLINED, CASE_DIFFERS, CASE_SKIPPED };

static struct result *ref, *wat;
static char err_ref[4096], err_wat[4096];
static unsigned same, decl, faults, performed, bad, skipped;
static int verbose;

/* Runs case I unwatched and watched and compares; counts and reports the
 * outcome. */
static int one_case(const struct tcase *t, unsigned long i)
{
	char diff[1024], why[160];
	int declined_ok, st;

	if (setup_code(t))
		bail("mprotect: %s", strerror(errno));
	st = run(t, 0, ref, err_ref, sizeof(err_ref));
	if (ref->stage < ST_SIGNAL) {
		skipped++;	/* the reference hung or died: not a test */
		if (verbose)
			printf("# %lu %s: reference run ended with status %#x at stage %d\n",
			       (unsigned long)i, t->text, st, ref->stage);
		return CASE_SKIPPED;
	}
	run(t, 1, wat, err_wat, sizeof(err_wat));
	differences(t, ref, wat, diff, sizeof(diff));
	declined_ok = diff[0] && declined(t, wat, err_wat);
	if (declined_ok) {
		reason(err_wat, why, sizeof(why));
		tally(why);
		decl++;
	} else if (!diff[0] && wat->count <= 1) {
		same++;
		faults += ref->stage == ST_SIGNAL;
		performed += wat->count == 1;
	} else {
		bad++;
		printf("# case %lu: %s (", (unsigned long)i, t->text);
		for (int j = 0; j < t->len; j++)
			printf("%s%02x", j ? " " : "", t->code[j]);
		printf(") at %#lx, %u bytes, watches %s/%s:%s%s%.0lu%s\n", (unsigned long)t->target,
		       t->size, t->w[0].kind == MW_ACCESS ? "rw" : t->w[0].kind == MW_WRITE ? "w" : "r",
		       t->w[1].kind == MW_ACCESS ? "rw" : t->w[1].kind == MW_WRITE ? "w" : "r",
		       diff, wat->count > 1 ? " counted more than once:" : "",
		       wat->count > 1 ? (unsigned long)wat->count : 0ul,
		       wat->stage < ST_SIGNAL ? " the watched child died or hung;" : "");
		if (err_wat[0])
			printf("#   watched stderr: %.*s\n", getenv("FUZZ_DUMP") ? (int)strlen(err_wat) :
			       (int)strcspn(err_wat, "\n"), err_wat);
	}
	if (verbose)
		printf("# %lu %s: flags %#lx, ref stage %d sig %d, watched stage %d sig %d "
		       "(rip %#lx addr %#lx code %d) count %lu: %s\n", (unsigned long)i, t->text,
		       (unsigned long)t->ctx.flags, ref->stage, ref->sig, wat->stage, wat->sig,
		       (unsigned long)wat->rip, (unsigned long)wat->faddr, wat->si_code,
		       (unsigned long)wat->count,
		       declined_ok ? "declined" : diff[0] ? "DIFFERS" : "same");
	return declined_ok ? CASE_DECLINED : diff[0] || wat->count > 1 ? CASE_DIFFERS : CASE_SAME;
}

int main(int argc, char **argv)
{
	uint64_t seed = env_u64("FUZZ_SEED", 1), ncases = env_u64("FUZZ_CASES", 300);
	uint64_t seconds = env_u64("FUZZ_SECONDS", 0), only = env_u64("FUZZ_CASE", 0);
	struct timespec t0, now;
	void *p;

	verbose = (int)env_u64("FUZZ_VERBOSE", 0);
	/* Backtraces off unless FUZZ_BACKTRACE=1: libunwind's frame-pointer
	 * walk, at a PC without unwind info as here, reads [rbp], which the
	 * random registers aim at the data pages (memwatch-instructions(7),
	 * BUGS).  That is not the instruction path.  The library reads the
	 * variable when it is loaded: run again with it. */
	(void)argc;
	if (!getenv("FUZZ_BACKTRACE") && !getenv("MEMWATCH_DEPTH")) {
		setenv("MEMWATCH_DEPTH", "0", 1);
		execv("/proc/self/exe", argv);
		bail("execv: %s", strerror(errno));
	}
	p = mmap((void *)DATA, DATA_SIZE + PAGE, PROT_NONE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (p != (void *)DATA)
		skip_all("cannot reserve the data pages at %#lx", DATA);
	munmap(p, DATA_SIZE + PAGE);
	p = mmap((void *)CODE, PAGE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (p != (void *)CODE)
		skip_all("cannot map the code page at %#lx", CODE);
	ref = mmap(NULL, sizeof(*ref), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	wat = mmap(NULL, sizeof(*wat), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (ref == MAP_FAILED || wat == MAP_FAILED)
		bail("mmap: %s", strerror(errno));
	if (!ZYAN_SUCCESS(ZydisDecoderInit(&dec, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64)) ||
	    !ZYAN_SUCCESS(ZydisFormatterInit(&fmt, ZYDIS_FORMATTER_STYLE_INTEL)))
		bail("Zydis");
	__builtin_cpu_init();
	vec_level = __builtin_cpu_supports("avx512f") ? 2 : __builtin_cpu_supports("avx") ? 1 : 0;
	have_kbw = __builtin_cpu_supports("avx512bw");
	syscall(SYS_arch_prctl, ARCH_GET_FS, &fs_base);
	syscall(SYS_arch_prctl, ARCH_GET_GS, &gs_base);

	plan(2 + (int)(sizeof(findings) / sizeof(findings[0])));
	for (unsigned k = 0; k < sizeof(findings) / sizeof(findings[0]); k++) {
		struct tcase t;
		int want = strstr(findings[k].name, "declined") ? CASE_DECLINED : CASE_SAME;

		make_finding(&findings[k], &t);
		ok(one_case(&t, 0) == want, "finding: %s", findings[k].name);
	}
	same = decl = faults = performed = bad = skipped = 0;
	memset(reasons, 0, sizeof(reasons));
	printf("# seed %lu, %s %lu (replay: FUZZ_SEED=%lu FUZZ_CASE=N %s)\n",
	       (unsigned long)seed, seconds ? "seconds" : "cases",
	       (unsigned long)(seconds ? seconds : ncases), (unsigned long)seed,
	       "tests/t-fuzz-exec");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (uint64_t i = 1;; i++) {
		struct tcase t;
		int string;

		if (only && i != only) {
			if (i > only)
				break;
			continue;
		}
		if (!only) {
			clock_gettime(CLOCK_MONOTONIC, &now);
			if (seconds ? (uint64_t)(now.tv_sec - t0.tv_sec) >= seconds : i > ncases)
				break;
		}
		/* Case I: the first usable instruction of stream (seed, i). */
		rng = seed * 0x100000001b3ULL ^ (i << 20);
		string = below(5) == 0;
		for (int tries = 0;; tries++) {
			if (make_case(&t, string) == 0)
				break;
			if (tries > 100000)
				bail("no usable instruction in 100000 tries");
		}
		if (one_case(&t, (unsigned long)i) == CASE_SKIPPED)
			continue;
	}
	clock_gettime(CLOCK_MONOTONIC, &now);
	printf("# %u identical (%u with an access performed and counted, %u raising the same "
	       "signal), %u declined, %u skipped (reference run died), %.1f s\n",
	       same, performed, faults, decl, skipped,
	       (double)(now.tv_sec - t0.tv_sec) + (double)(now.tv_nsec - t0.tv_nsec) / 1e9);
	for (int i = 0; i < MAX_REASONS && reasons[i].n; i++)
		printf("#   declined %u x: %s\n", reasons[i].n, reasons[i].why);
	ok(bad == 0, "every watched run behaves as the unwatched one, or is declined (%u differ)",
	   bad);
	ok(performed > 0 || only, "some accesses were performed on watched memory (%u)", performed);
	return done();
}

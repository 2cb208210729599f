/* SPDX-License-Identifier: MIT */
/*
 * fuzz-insn.c - a libFuzzer target over the instruction analysis of
 * lib/arch/x86_64/insn.c: decode, classify, rewrite, in process.
 *
 * Built with clang -fsanitize=fuzzer,address,undefined together with insn.c
 * (tests/fuzz.mk).  Arbitrary bytes go in; mw_x86_analyze must never crash
 * nor touch memory outside the input and the MW_X86_STUB_SIZE stub it is
 * given (both exactly sized heap blocks, so AddressSanitizer sees any
 * overrun), and what it returns must hold together:
 *
 *   - the bytes it keeps are the input's, as long as the instruction;
 *   - a refusal says why; anything else does not;
 *   - GENERIC: the stub decodes again to the same mnemonic, prefixes that
 *     matter (lock), vector attributes and operands - same registers, same
 *     immediates, same sizes and actions - except that the memory operand
 *     is now [scratch] with 64-bit addressing, no segment, no index, no
 *     displacement; the scratch register is neither RSP nor named by the
 *     instruction in any other way, explicitly or implicitly; the stub ends
 *     with `jmp *0(%rip)` to mw_x86_run_return; the base, index, scale,
 *     displacement, segment and size recorded for the operand are the
 *     decoder's; an instruction using x87/SSE/AVX state is marked VECTOR;
 *   - STRING: the stub is the instruction with only 0x67, fs and gs
 *     prefixes dropped, and it decodes to the same mnemonic.
 * A broken invariant aborts with a message naming the instruction's bytes.
 *
 * Coverage: Zydis itself is not instrumented, so the target adds its own
 * features through libFuzzer's extra counters: the mnemonic, the class and
 * flags of the analysis, and the refusal reason.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>

#include <Zydis/Zydis.h>

#include "arch/x86_64/insn.h"

/* The stub's jump target; never run here. */
const char mw_x86_run_return[1];

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PC 0x7f1234560000ull

static ZydisDecoder dec;

__attribute__((section("__libfuzzer_extra_counters")))
static volatile uint8_t features[4096];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (mw_x86_insn_init() != 0 ||
	    !ZYAN_SUCCESS(ZydisDecoderInit(&dec, ZYDIS_MACHINE_MODE_LONG_64,
					   ZYDIS_STACK_WIDTH_64))) {
		fprintf(stderr, "fuzz-insn: cannot set up the decoder\n");
		exit(99);
	}
	return 0;
}

static const uint8_t *cur;
static size_t cur_len;

__attribute__((noreturn, format(printf, 1, 2)))
static void broken(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "fuzz-insn: invariant broken for");
	for (size_t i = 0; i < cur_len && i < 15; i++)
		fprintf(stderr, " %02x", cur[i]);
	fprintf(stderr, ": ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	abort();
}

#define CHECK(cond, ...) do { if (!(cond)) broken(__VA_ARGS__); } while (0)

/* The gregs index of a general register of any width, or -1. */
static int greg(ZydisRegister r)
{
	static const int map[16] = {
		REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP, REG_RSI, REG_RDI,
		REG_R8, REG_R9, REG_R10, REG_R11, REG_R12, REG_R13, REG_R14, REG_R15,
	};
	ZydisRegister big = ZydisRegisterGetLargestEnclosing(ZYDIS_MACHINE_MODE_LONG_64, r);

	if (big >= ZYDIS_REGISTER_RAX && big <= ZYDIS_REGISTER_R15)
		return map[big - ZYDIS_REGISTER_RAX];
	return -1;
}

static int is_state_reg(ZydisRegister r)
{
	switch (ZydisRegisterGetClass(r)) {
	case ZYDIS_REGCLASS_X87: case ZYDIS_REGCLASS_MMX: case ZYDIS_REGCLASS_XMM:
	case ZYDIS_REGCLASS_YMM: case ZYDIS_REGCLASS_ZMM: case ZYDIS_REGCLASS_MASK:
		return 1;
	default:
		return r == ZYDIS_REGISTER_MXCSR || r == ZYDIS_REGISTER_X87CONTROL ||
		       r == ZYDIS_REGISTER_X87STATUS || r == ZYDIS_REGISTER_X87TAG;
	}
}

/* After the instruction's LEN bytes: jmp *SLOT(%rip), SLOT 8-aligned in the
 * stub and holding mw_x86_run_return. */
static void check_jump(const uint8_t *stub, unsigned len)
{
	int32_t rel;
	uint64_t back;

	CHECK(len + 6 <= MW_X86_STUB_SIZE && stub[len] == 0xff && stub[len + 1] == 0x25,
	      "no jmp *SLOT(%%rip) after the %u-byte instruction", len);
	memcpy(&rel, stub + len + 2, 4);
	CHECK(rel >= 0 && len + 6 + (unsigned)rel + 8 <= MW_X86_STUB_SIZE &&
	      (len + 6 + (unsigned)rel) % 8 == 0, "jump slot at %u", len + 6 + rel);
	memcpy(&back, stub + len + 6 + rel, 8);
	CHECK(back == (uint64_t)(uintptr_t)mw_x86_run_return, "the stub returns elsewhere");
}

static void check_generic(const struct mw_x86_insn *in, const uint8_t *stub,
			  const ZydisDecodedInstruction *ins, const ZydisDecodedOperand *ops)
{
	ZydisDecodedInstruction chk;
	ZydisDecodedOperand cops[ZYDIS_MAX_OPERAND_COUNT];
	int memop = -1, vector = ins->meta.isa_ext == ZYDIS_ISA_EXT_X87 ||
				 ins->meta.exception_class != ZYDIS_EXCEPTION_CLASS_NONE ||
				 ((ins->meta.isa_ext == ZYDIS_ISA_EXT_SSE ||
				   ins->meta.isa_ext == ZYDIS_ISA_EXT_MMX) &&
				  ins->meta.category != ZYDIS_CATEGORY_PREFETCH);
	ZydisRegister scratch = ZYDIS_REGISTER_NONE;

	CHECK(in->scratch >= 0 && in->scratch < 16 && in->scratch != REG_RSP,
	      "scratch register %d", in->scratch);
	CHECK(in->size > 0 && in->kind, "size %u, kind %u", in->size, in->kind);
	for (int i = 0; i < ins->operand_count; i++)
		if (ops[i].type == ZYDIS_OPERAND_TYPE_MEMORY &&
		    ops[i].mem.type == ZYDIS_MEMOP_TYPE_MEM && memop < 0)
			memop = i;
	CHECK(memop >= 0, "GENERIC without a memory operand");
	CHECK(in->size == ops[memop].size / 8 ||
	      ((ins->meta.category == ZYDIS_CATEGORY_XSAVE ||
		ins->meta.category == ZYDIS_CATEGORY_XSAVEOPT) && in->size == mw_x86_xsave_size) ||
	      (in->size == 1 && (ins->mnemonic == ZYDIS_MNEMONIC_CLFLUSH ||
				 ins->mnemonic == ZYDIS_MNEMONIC_CLFLUSHOPT ||
				 ins->mnemonic == ZYDIS_MNEMONIC_CLWB)),
	      "size %u, operand %u bits", in->size, ops[memop].size);
	CHECK(in->disp == (ops[memop].mem.disp.has_displacement ? ops[memop].mem.disp.value : 0),
	      "displacement %lld", (long long)in->disp);
	CHECK(in->base == (ops[memop].mem.base == ZYDIS_REGISTER_NONE ? MW_X86_NOREG :
			   ops[memop].mem.base == ZYDIS_REGISTER_RIP ||
			   ops[memop].mem.base == ZYDIS_REGISTER_EIP ? MW_X86_RIPREG :
			   greg(ops[memop].mem.base)), "base %d", in->base);
	CHECK(in->index == (ops[memop].mem.index == ZYDIS_REGISTER_NONE ? MW_X86_NOREG :
			    greg(ops[memop].mem.index)), "index %d", in->index);
	CHECK(in->index == MW_X86_NOREG || in->scale == ops[memop].mem.scale,
	      "scale %u", in->scale);
	CHECK(in->seg == (ops[memop].mem.segment == ZYDIS_REGISTER_FS ? 1 :
			  ops[memop].mem.segment == ZYDIS_REGISTER_GS ? 2 : 0), "segment %u", in->seg);
	CHECK(!(in->flags & MW_X86_ADDR32) == (ins->address_width == 64), "address size");
	CHECK(!!(in->flags & MW_X86_LOCKED) ==
	      (!!(ins->attributes & ZYDIS_ATTRIB_HAS_LOCK) || ins->mnemonic == ZYDIS_MNEMONIC_XCHG),
	      "LOCKED flag");

	CHECK(ZYAN_SUCCESS(ZydisDecoderDecodeFull(&dec, stub, MW_X86_STUB_SIZE, &chk, cops)),
	      "the stub does not decode");
	check_jump(stub, chk.length);

	CHECK(chk.mnemonic == ins->mnemonic, "rewritten as %s", ZydisMnemonicGetString(chk.mnemonic));
	CHECK(chk.operand_count == ins->operand_count &&
	      chk.operand_count_visible == ins->operand_count_visible, "operand count %u -> %u",
	      ins->operand_count, chk.operand_count);
	CHECK(chk.address_width == 64, "stub address width %u", chk.address_width);
	CHECK((chk.attributes & ZYDIS_ATTRIB_HAS_LOCK) == (ins->attributes & ZYDIS_ATTRIB_HAS_LOCK),
	      "lock prefix lost or added");
	/* The vector length may change where it is ignored (vminss with
	 * VEX.L=1): the operands' sizes are compared below. */
	CHECK(chk.avx.mask.mode == ins->avx.mask.mode && chk.avx.mask.reg == ins->avx.mask.reg &&
	      chk.avx.broadcast.mode == ins->avx.broadcast.mode &&
	      chk.avx.rounding.mode == ins->avx.rounding.mode &&
	      chk.avx.has_sae == ins->avx.has_sae, "vector attributes differ");

	scratch = cops[memop].mem.base;
	CHECK(cops[memop].type == ZYDIS_OPERAND_TYPE_MEMORY && greg(scratch) == in->scratch &&
	      ZydisRegisterGetWidth(ZYDIS_MACHINE_MODE_LONG_64, scratch) == 64 &&
	      cops[memop].mem.index == ZYDIS_REGISTER_NONE &&
	      (!cops[memop].mem.disp.has_displacement || cops[memop].mem.disp.value == 0) &&
	      (cops[memop].mem.segment == ZYDIS_REGISTER_DS ||
	       cops[memop].mem.segment == ZYDIS_REGISTER_SS),
	      "memory operand is not [scratch]");
	for (int i = 0; i < ins->operand_count; i++) {
		const ZydisDecodedOperand *a = &ops[i], *b = &cops[i];

		/* An immediate may shrink (imm32 -> imm8): its value is checked below. */
		int imm = a->type == ZYDIS_OPERAND_TYPE_IMMEDIATE;

		CHECK(a->type == b->type && (imm || a->size == b->size) && a->actions == b->actions &&
		      (a->visibility == ZYDIS_OPERAND_VISIBILITY_HIDDEN) ==
		      (b->visibility == ZYDIS_OPERAND_VISIBILITY_HIDDEN) &&
		      (imm || (a->element_size == b->element_size &&
			       a->element_count == b->element_count)),
		      "operand %d differs (type %d/%d, size %u/%u, actions %u/%u, visibility "
		      "%d/%d, elements %u*%u/%u*%u)", i, a->type, b->type, a->size, b->size,
		      a->actions, b->actions, a->visibility, b->visibility, a->element_count,
		      a->element_size, b->element_count, b->element_size);
		if (a->type == ZYDIS_OPERAND_TYPE_REGISTER && a->reg.value == ZYDIS_REGISTER_RSP &&
		    in->rspreg >= 0) {
			/* An explicit RSP runs as its stand-in, a free register. */
			CHECK(greg(b->reg.value) == in->rspreg && in->rspreg != REG_RSP &&
			      in->rspreg != in->scratch && b->reg.value != a->reg.value &&
			      ZydisRegisterGetWidth(ZYDIS_MACHINE_MODE_LONG_64, b->reg.value) == 64,
			      "operand %d: rsp -> %s, stand-in %d", i,
			      ZydisRegisterGetString(b->reg.value), in->rspreg);
			for (int j = 0; j < ins->operand_count; j++)
				CHECK(j == i || (ops[j].type == ZYDIS_OPERAND_TYPE_REGISTER ?
						 greg(ops[j].reg.value) != in->rspreg :
						 ops[j].type != ZYDIS_OPERAND_TYPE_MEMORY ||
						 (greg(ops[j].mem.base) != in->rspreg &&
						  greg(ops[j].mem.index) != in->rspreg)),
				      "operand %d names the RSP stand-in", j);
		} else if (a->type == ZYDIS_OPERAND_TYPE_REGISTER) {
			CHECK(a->reg.value == b->reg.value, "operand %d: %s -> %s", i,
			      ZydisRegisterGetString(a->reg.value),
			      ZydisRegisterGetString(b->reg.value));
			CHECK(greg(b->reg.value) != in->scratch, "operand %d names the scratch %s",
			      i, ZydisRegisterGetString(b->reg.value));
			vector |= is_state_reg(a->reg.value);
		} else if (a->type == ZYDIS_OPERAND_TYPE_IMMEDIATE) {
			CHECK(a->imm.value.u == b->imm.value.u, "operand %d: immediate differs", i);
		} else if (a->type == ZYDIS_OPERAND_TYPE_MEMORY && i != memop) {
			CHECK(greg(b->mem.base) != in->scratch && greg(b->mem.index) != in->scratch,
			      "operand %d addresses through the scratch", i);
			CHECK(a->mem.base == b->mem.base && a->mem.index == b->mem.index,
			      "operand %d: other memory operand changed", i);
		}
	}
	CHECK(!vector || (in->flags & MW_X86_VECTOR), "uses x87/SSE/AVX state, not VECTOR");
	if (in->flags & MW_X86_BTREG)
		CHECK(in->btreg >= 0 && in->btreg != in->scratch, "btreg %d", in->btreg);
}

static void check_string(const struct mw_x86_insn *in, const uint8_t *stub,
			 const ZydisDecodedInstruction *ins, const ZydisDecodedOperand *ops)
{
	ZydisDecodedInstruction chk;
	ZydisDecodedOperand cops[ZYDIS_MAX_OPERAND_COUNT];
	const ZyanU64 rep = ZYDIS_ATTRIB_HAS_REP | ZYDIS_ATTRIB_HAS_REPE | ZYDIS_ATTRIB_HAS_REPNE;

	CHECK(ZYAN_SUCCESS(ZydisDecoderDecodeFull(&dec, stub, MW_X86_STUB_SIZE, &chk, cops)),
	      "the string stub does not decode");
	CHECK(chk.length <= in->len, "string stub of %u bytes", chk.length);
	check_jump(stub, chk.length);
	CHECK(chk.mnemonic == ins->mnemonic && chk.address_width == 64 &&
	      chk.operand_count == ins->operand_count &&
	      (chk.attributes & rep) == (ins->attributes & rep),
	      "string stub decodes to %s", ZydisMnemonicGetString(chk.mnemonic));
	/* Same operands, but for the pointers and count that become 64-bit. */
	for (int i = 0; i < ins->operand_count; i++)
		CHECK(ops[i].size == cops[i].size ||
		      (ops[i].type == ZYDIS_OPERAND_TYPE_REGISTER &&
		       (greg(ops[i].reg.value) == REG_RSI || greg(ops[i].reg.value) == REG_RDI ||
			greg(ops[i].reg.value) == REG_RCX)),
		      "string stub operand %d: %u bits, not %u", i, cops[i].size, ops[i].size);
	CHECK(in->elem == 1 || in->elem == 2 || in->elem == 4 || in->elem == 8,
	      "element size %u", in->elem);
}

/* A gather's stub: the same instruction, its VSIB operand on the scratch
 * register with the same index and scale, no displacement; the lanes
 * within what gather.c's buffers hold. */
static void check_gather(const struct mw_x86_insn *in, const uint8_t *stub,
			 const ZydisDecodedInstruction *ins, const ZydisDecodedOperand *ops)
{
	ZydisDecodedInstruction chk;
	ZydisDecodedOperand cops[ZYDIS_MAX_OPERAND_COUNT];

	CHECK(ZYAN_SUCCESS(ZydisDecoderDecodeFull(&dec, stub, MW_X86_STUB_SIZE, &chk, cops)),
	      "the gather stub does not decode");
	check_jump(stub, chk.length);
	CHECK(chk.mnemonic == ins->mnemonic && cops[1].type == ZYDIS_OPERAND_TYPE_MEMORY &&
	      cops[1].mem.type == ZYDIS_MEMOP_TYPE_VSIB && greg(cops[1].mem.base) == in->scratch &&
	      cops[1].mem.index == ops[1].mem.index && cops[1].mem.scale == ops[1].mem.scale &&
	      cops[1].mem.disp.value == 0 && cops[0].reg.value == ops[0].reg.value &&
	      cops[2].reg.value == ops[2].reg.value, "the gather stub is another instruction");
	CHECK(in->scratch >= 0 && in->scratch != in->base, "scratch %d, base %d", in->scratch,
	      in->base);
	CHECK(in->lanes >= 1 && in->lanes <= 8 && (in->elem == 4 || in->elem == 8) &&
	      (in->ielem == 4 || in->ielem == 8) && in->vindex < 16 && in->maskreg < 16 &&
	      in->datareg < 16, "lanes %u of %u bytes", in->lanes, in->elem);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *stub = malloc(MW_X86_STUB_SIZE);
	struct mw_x86_insn in;
	ZydisDecodedInstruction ins;
	ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
	int decoded;
	unsigned h = 0;

	if (!stub)
		return 0;
	cur = data;
	cur_len = size;
	memset(stub, 0xa5, MW_X86_STUB_SIZE);
	mw_x86_analyze(data, size, PC, &in, stub, (const void *)0x1000);
	decoded = ZYAN_SUCCESS(ZydisDecoderDecodeFull(&dec, data, size < 15 ? size : 15, &ins, ops));

	CHECK(in.pc == PC, "pc");
	CHECK(in.len <= 15 && in.len <= size, "length %u of %zu bytes", in.len, size);
	CHECK(memcmp(in.bytes, data, in.len) == 0, "bytes not kept");
	CHECK(!decoded || in.len == ins.length, "length %u, decoder %u", in.len, ins.length);
	CHECK((in.cls == MW_X86_REFUSED) == (in.why != NULL), "class %u, why %s", in.cls,
	      in.why ? in.why : "(none)");
	CHECK(in.cls <= MW_X86_GATHER, "class %u", in.cls);
	CHECK(decoded || in.cls == MW_X86_REFUSED, "undecodable bytes accepted");
	CHECK(in.cls != MW_X86_GENERIC && in.cls != MW_X86_STRING && in.cls != MW_X86_GATHER ? 1 :
	      in.stub == (const void *)0x1000,
	      "stub address");

	features[ins.mnemonic & 2047] += decoded;
	features[2048 + ((in.cls * 128u + in.flags) & 1023)]++;
	for (const char *w = in.why ? in.why : ""; *w; w++)
		h = h * 31u + (uint8_t)*w;
	features[3072 + (h & 1023)]++;

	/* MVEX is Knights Corner's encoding: #UD on the processors we run on,
	 * before any memory access, so never seen by the handler. */
	if (in.cls == MW_X86_GENERIC && ins.encoding != ZYDIS_INSTRUCTION_ENCODING_MVEX)
		check_generic(&in, stub, &ins, ops);
	else if (in.cls == MW_X86_STRING)
		check_string(&in, stub, &ins, ops);
	else if (in.cls == MW_X86_GATHER)
		check_gather(&in, stub, &ins, ops);
	else if (in.cls == MW_X86_IMPLICIT)
		CHECK(in.size == 8 && in.stk <= MW_STK_LEAVE && in.stkreg < 23 &&
		      (in.stk == MW_STK_PUSH || in.stk == MW_STK_POP || in.stk == MW_STK_CALL ||
		       in.stkreg < 0) && (in.stk != MW_STK_POP || in.stkreg >= 0),
		      "implicit stack operation %u, register %d", in.stk, in.stkreg);
	else if (in.cls >= MW_X86_PUSH && in.cls <= MW_X86_JMP)
		CHECK(in.size == 8 || in.cls == MW_X86_PUSH || in.cls == MW_X86_POP,
		      "branch through %u bytes", in.size);
	free(stub);
	return 0;
}

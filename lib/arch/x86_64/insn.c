/* SPDX-License-Identifier: MIT */
/*
 * insn.c - analysis and rewriting of faulting instructions (see insn.h).
 * Fault path: Zydis decoder and encoder (no allocation), memcpy/memset.
 * Gathers: analyze_gather; performed by gather.c.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <ucontext.h>

#include <Zydis/Zydis.h>

#include "arch/arch.h"
#include "arch/x86_64/insn.h"
#include "memwatch.h"
#include "base/sigsafe.h"

extern const char mw_x86_run_return[];

/* Set up once before the handler is installed, then only read. */
static ZydisDecoder decoder;

int mw_x86_insn_init(void)
{
	mw_x86_xsave_init();
	if (!ZYAN_SUCCESS(ZydisDecoderInit(&decoder, ZYDIS_MACHINE_MODE_LONG_64,
					   ZYDIS_STACK_WIDTH_64)))
		return -ENOSYS;
	return 0;
}

const void *mw_arch_decoder_code(void)
{
	return (const void *)(uintptr_t)ZydisDecoderDecodeFull;
}

static const struct {
	ZydisRegister reg;
	int greg;
} gpr[] = {
	{ ZYDIS_REGISTER_RAX, REG_RAX }, { ZYDIS_REGISTER_RCX, REG_RCX },
	{ ZYDIS_REGISTER_RDX, REG_RDX }, { ZYDIS_REGISTER_RBX, REG_RBX },
	{ ZYDIS_REGISTER_RSP, REG_RSP }, { ZYDIS_REGISTER_RBP, REG_RBP },
	{ ZYDIS_REGISTER_RSI, REG_RSI }, { ZYDIS_REGISTER_RDI, REG_RDI },
	{ ZYDIS_REGISTER_R8, REG_R8 },   { ZYDIS_REGISTER_R9, REG_R9 },
	{ ZYDIS_REGISTER_R10, REG_R10 }, { ZYDIS_REGISTER_R11, REG_R11 },
	{ ZYDIS_REGISTER_R12, REG_R12 }, { ZYDIS_REGISTER_R13, REG_R13 },
	{ ZYDIS_REGISTER_R14, REG_R14 }, { ZYDIS_REGISTER_R15, REG_R15 },
};

/* The gregs index of a general register of any width, or -1. */
static int greg_of(ZydisRegister r)
{
	ZydisRegister big = ZydisRegisterGetLargestEnclosing(ZYDIS_MACHINE_MODE_LONG_64, r);

	for (unsigned i = 0; i < sizeof(gpr) / sizeof(gpr[0]); i++)
		if (gpr[i].reg == big)
			return gpr[i].greg;
	return -1;
}

static ZydisRegister reg_of_greg(int greg)
{
	for (unsigned i = 0; i < sizeof(gpr) / sizeof(gpr[0]); i++)
		if (gpr[i].greg == greg)
			return gpr[i].reg;
	return ZYDIS_REGISTER_NONE;
}

static void refuse(struct mw_x86_insn *out, const char *why)
{
	out->cls = MW_X86_REFUSED;
	out->why = why;
}

/* The plain stack instructions, whose only memory is the stack (a watched
 * stack page: a local variable nearby).  1 if it is one of them. */
static int analyze_implicit(struct mw_x86_insn *out, const ZydisDecodedInstruction *ins,
			    const ZydisDecodedOperand *ops)
{
	const ZydisDecodedOperand *op = ins->operand_count_visible ? &ops[0] : NULL;

	out->stkreg = -1;
	out->disp = 0;
	if (ins->operand_width != 64 && ins->mnemonic != ZYDIS_MNEMONIC_RET &&
	    ins->mnemonic != ZYDIS_MNEMONIC_LEAVE)
		return 0;
	switch (ins->mnemonic) {
	case ZYDIS_MNEMONIC_PUSH:
	case ZYDIS_MNEMONIC_POP:
		out->stk = ins->mnemonic == ZYDIS_MNEMONIC_PUSH ? MW_STK_PUSH : MW_STK_POP;
		if (op && op->type == ZYDIS_OPERAND_TYPE_REGISTER && greg_of(op->reg.value) >= 0 &&
		    ZydisRegisterGetWidth(ZYDIS_MACHINE_MODE_LONG_64, op->reg.value) == 64)
			out->stkreg = (int8_t)greg_of(op->reg.value);
		else if (op && op->type == ZYDIS_OPERAND_TYPE_IMMEDIATE && out->stk == MW_STK_PUSH)
			out->disp = (int64_t)op->imm.value.s;
		else
			return 0;       /* segment registers */
		break;
	case ZYDIS_MNEMONIC_PUSHFQ:
		out->stk = MW_STK_PUSHF;
		break;
	case ZYDIS_MNEMONIC_POPFQ:
		out->stk = MW_STK_POPF;
		break;
	case ZYDIS_MNEMONIC_CALL:
		out->stk = MW_STK_CALL;
		if (op && op->type == ZYDIS_OPERAND_TYPE_IMMEDIATE && op->imm.is_relative)
			out->disp = (int64_t)op->imm.value.s;
		else if (op && op->type == ZYDIS_OPERAND_TYPE_REGISTER && greg_of(op->reg.value) >= 0)
			out->stkreg = (int8_t)greg_of(op->reg.value);
		else
			return 0;       /* far calls */
		break;
	case ZYDIS_MNEMONIC_RET:
		if (ins->meta.branch_type == ZYDIS_BRANCH_TYPE_FAR)
			return 0;
		out->stk = MW_STK_RET;
		if (op && op->type == ZYDIS_OPERAND_TYPE_IMMEDIATE)
			out->disp = (int64_t)op->imm.value.u;
		break;
	case ZYDIS_MNEMONIC_LEAVE:
		out->stk = MW_STK_LEAVE;
		break;
	default:
		return 0;
	}
	out->cls = MW_X86_IMPLICIT;
	out->size = 8;
	return 1;
}

static int is_gpr_class(ZydisRegisterClass c)
{
	return c == ZYDIS_REGCLASS_GPR8 || c == ZYDIS_REGCLASS_GPR16 ||
	       c == ZYDIS_REGCLASS_GPR32 || c == ZYDIS_REGCLASS_GPR64 ||
	       c == ZYDIS_REGCLASS_FLAGS || c == ZYDIS_REGCLASS_IP ||
	       c == ZYDIS_REGCLASS_SEGMENT;
}

/* Address of the memory operand: base, index, scale, displacement. */
static int set_mem(struct mw_x86_insn *out, const ZydisDecodedInstruction *ins,
		   const ZydisDecodedOperand *op)
{
	const ZydisRegister b = op->mem.base, x = op->mem.index;

	if ((b != ZYDIS_REGISTER_NONE && b != ZYDIS_REGISTER_RIP && b != ZYDIS_REGISTER_EIP &&
	     greg_of(b) < 0) || (x != ZYDIS_REGISTER_NONE && greg_of(x) < 0))
		return -1;
	out->base = b == ZYDIS_REGISTER_NONE ? MW_X86_NOREG :
		    b == ZYDIS_REGISTER_RIP || b == ZYDIS_REGISTER_EIP ? MW_X86_RIPREG :
		    (int8_t)greg_of(b);
	out->index = x == ZYDIS_REGISTER_NONE ? MW_X86_NOREG : (int8_t)greg_of(x);
	out->scale = op->mem.scale ? op->mem.scale : 1;
	out->disp = op->mem.disp.has_displacement ? op->mem.disp.value : 0;
	out->seg = op->mem.segment == ZYDIS_REGISTER_FS ? 1 :
		   op->mem.segment == ZYDIS_REGISTER_GS ? 2 : 0;
	if (out->base == MW_X86_RIPREG)
		out->disp_off = ins->raw.disp.offset;
	if (ins->address_width == 32)
		out->flags |= MW_X86_ADDR32;
	out->size = (uint16_t)(op->size / 8);
	if (op->actions & ZYDIS_OPERAND_ACTION_MASK_READ)
		out->kind |= MW_READ;
	if (op->actions & ZYDIS_OPERAND_ACTION_MASK_WRITE)
		out->kind |= MW_WRITE;
	return 0;
}

/* The stub: the instruction, then `jmp *SLOT(%rip)` to mw_x86_run_return,
 * SLOT the stub's last 8 bytes: aligned (stubs are), so that the jump cannot
 * raise #AC when the program runs with RFLAGS.AC set. */
#define STUB_SLOT (MW_X86_STUB_SIZE - 8)
static void emit_stub(struct mw_x86_insn *out, const uint8_t *code, size_t len,
		      uint8_t *rw, const void *rx)
{
	static const uint8_t jmp[2] = { 0xff, 0x25 };
	uint64_t back = (uint64_t)(uintptr_t)mw_x86_run_return;
	int32_t rel = (int32_t)(STUB_SLOT - (len + 6));

	memcpy(rw, code, len);
	memcpy(rw + len, jmp, sizeof(jmp));
	memcpy(rw + len + sizeof(jmp), &rel, sizeof(rel));
	memcpy(rw + STUB_SLOT, &back, sizeof(back));
	out->stub = rx;
	out->stub_len = (uint8_t)len;
}

static void analyze_string(struct mw_x86_insn *out, const ZydisDecodedInstruction *ins,
			   const ZydisDecodedOperand *ops, uint8_t *rw, const void *rx)
{
	switch (ins->mnemonic) {
	case ZYDIS_MNEMONIC_MOVSB: case ZYDIS_MNEMONIC_MOVSW:
	case ZYDIS_MNEMONIC_MOVSD: case ZYDIS_MNEMONIC_MOVSQ:
		out->strop = MW_STR_MOVS; break;
	case ZYDIS_MNEMONIC_STOSB: case ZYDIS_MNEMONIC_STOSW:
	case ZYDIS_MNEMONIC_STOSD: case ZYDIS_MNEMONIC_STOSQ:
		out->strop = MW_STR_STOS; break;
	case ZYDIS_MNEMONIC_LODSB: case ZYDIS_MNEMONIC_LODSW:
	case ZYDIS_MNEMONIC_LODSD: case ZYDIS_MNEMONIC_LODSQ:
		out->strop = MW_STR_LODS; break;
	case ZYDIS_MNEMONIC_CMPSB: case ZYDIS_MNEMONIC_CMPSW:
	case ZYDIS_MNEMONIC_CMPSD: case ZYDIS_MNEMONIC_CMPSQ:
		out->strop = MW_STR_CMPS; break;
	case ZYDIS_MNEMONIC_SCASB: case ZYDIS_MNEMONIC_SCASW:
	case ZYDIS_MNEMONIC_SCASD: case ZYDIS_MNEMONIC_SCASQ:
		out->strop = MW_STR_SCAS; break;
	default:
		refuse(out, "this string instruction (ins/outs) is not supported");
		return;
	}

	/* An fs:/gs: override applies to the [rsi] operand (movs, lods, cmps). */
	out->seg = ins->attributes & ZYDIS_ATTRIB_HAS_SEGMENT_FS ? 1 :
		   ins->attributes & ZYDIS_ATTRIB_HAS_SEGMENT_GS ? 2 : 0;
	for (int i = 0; i < ins->operand_count; i++)
		if (ops[i].type == ZYDIS_OPERAND_TYPE_MEMORY) {
			out->elem = (uint8_t)(ops[i].size / 8);
			break;
		}
	if (ins->attributes & ZYDIS_ATTRIB_HAS_REPNE)
		out->rep = MW_REP_REPNE;
	else if (ins->attributes & (ZYDIS_ATTRIB_HAS_REP | ZYDIS_ATTRIB_HAS_REPE))
		out->rep = MW_REP_REP;
	out->cls = MW_X86_STRING;
	if (ins->address_width == 32)
		out->flags |= MW_X86_ADDR32;
	if (ins->address_width == 32 || out->seg) {
		/* Drop the 0x67 and segment prefixes: the stub addresses the
		 * alias with plain 64-bit pointers; perform.c adds the segment
		 * base and wraps RSI/RDI/RCX to 32 bits between chunks.  A REX
		 * that another prefix follows is ignored by the CPU; dropped
		 * too, since without the prefixes after it it would count
		 * (48 67 ab is stosd, 48 ab would be stosq). */
		uint8_t code[15];
		size_t n = 0;

		for (size_t i = 0; i < out->len; i++) {
			uint8_t b = out->bytes[i];

			if (!(i < ins->raw.prefix_count &&
			      (b == 0x67 || b == 0x64 || b == 0x65 ||
			       ((b & 0xf0) == 0x40 && i + 1 < ins->raw.prefix_count))))
				code[n++] = b;
		}
		emit_stub(out, code, n, rw, rx);
		return;
	}
	emit_stub(out, out->bytes, out->len, rw, rx);
}

/* The encoder's request for the decoded instruction, without segment and
 * address-size prefixes (the stub addresses the alias with 64 bits); -1
 * after refusing the instruction. */
static int encoder_request(struct mw_x86_insn *out, const ZydisDecodedInstruction *ins,
			   const ZydisDecodedOperand *ops, ZydisEncoderRequest *req)
{
	if (!ZYAN_SUCCESS(ZydisEncoderDecodedInstructionToEncoderRequest(
		    ins, ops, ins->operand_count_visible, req))) {
		refuse(out, "the instruction cannot be re-encoded");
		return -1;
	}
	req->prefixes &= ~(ZYDIS_ATTRIB_HAS_SEGMENT | ZYDIS_ATTRIB_HAS_ADDRESSSIZE);
	req->address_size_hint = ZYDIS_ADDRESS_SIZE_HINT_NONE;
	return 0;
}

/* Encodes REQ into BUF (*LEN bytes) and decodes it back into CHK, CHKOPS,
 * for the caller to check; false if either fails. */
static bool reencode(const ZydisEncoderRequest *req, uint8_t *buf, ZyanUSize *len,
		     ZydisDecodedInstruction *chk, ZydisDecodedOperand *chkops)
{
	*len = ZYDIS_MAX_INSTRUCTION_LENGTH;
	return ZYAN_SUCCESS(ZydisEncoderEncodeInstruction(req, buf, len)) &&
	       ZYAN_SUCCESS(ZydisDecoderDecodeFull(&decoder, buf, *len, chk, chkops));
}

static const int scratch_order[] = {
	REG_R11, REG_R10, REG_R9, REG_R8, REG_RSI, REG_RDI, REG_RBX, REG_RDX,
	REG_RCX, REG_RAX, REG_RBP, REG_R12, REG_R13, REG_R14, REG_R15,
};

/* Re-encode with the memory operand MEMOP as [scratch]. */
static void analyze_generic(struct mw_x86_insn *out, const ZydisDecodedInstruction *ins,
			    const ZydisDecodedOperand *ops, int memop, uint8_t *rw,
			    const void *rx)
{
	unsigned used = 0;
	int rspop = -1;
	ZydisEncoderRequest req;

	for (int i = 0; i < ins->operand_count; i++) {
		const ZydisDecodedOperand *op = &ops[i];

		if (op->type == ZYDIS_OPERAND_TYPE_REGISTER) {
			int g = greg_of(op->reg.value);

			/* The stub runs on our stack: an explicit RSP operand
			 * (cc1 saves its stack pointer with mov [m], rsp)
			 * becomes another free register holding the program's
			 * RSP, copied back after. */
			if (g == REG_RSP && op->reg.value == ZYDIS_REGISTER_RSP &&
			    i < ins->operand_count_visible && rspop < 0) {
				rspop = i;
				continue;
			}
			if (g == REG_RSP) {
				refuse(out, "the instruction uses RSP as an operand");
				return;
			}
			if (g >= 0)
				used |= 1u << g;
			else if (!is_gpr_class(ZydisRegisterGetClass(op->reg.value)))
				out->flags |= MW_X86_VECTOR;
			/* mov fs, [m], lgs r, [m]: run in the handler, the load
			 * would change its own thread pointer. */
			if (ZydisRegisterGetClass(op->reg.value) == ZYDIS_REGCLASS_SEGMENT &&
			    (op->actions & ZYDIS_OPERAND_ACTION_MASK_WRITE)) {
				refuse(out, "loading a segment register from watched memory is "
					    "not supported");
				return;
			}
		} else if (op->type == ZYDIS_OPERAND_TYPE_MEMORY) {
			if (greg_of(op->mem.base) >= 0)
				used |= 1u << greg_of(op->mem.base);
			if (greg_of(op->mem.index) >= 0)
				used |= 1u << greg_of(op->mem.index);
		}
	}
	/* Vector state without a vector register operand: x87, SSE/AVX
	 * instructions that update MXCSR (cvttss2si eax, [m] has a SIMD
	 * exception class), fxsave/fxrstor. */
	if (ins->meta.isa_ext == ZYDIS_ISA_EXT_X87 ||
	    ins->meta.exception_class != ZYDIS_EXCEPTION_CLASS_NONE ||
	    ins->meta.isa_set == ZYDIS_ISA_SET_FXSAVE || ins->meta.isa_set == ZYDIS_ISA_SET_FXSAVE64)
		out->flags |= MW_X86_VECTOR;
	/* xsave/xrstor save and load the program's vector state (the lazy
	 * binding trampoline saves it on the stack: a watched stack page).  An
	 * xsave area is at most as large as CPUID says for the features XCR0
	 * enables; xsaves/xrstors are the kernel's. */
	if (ins->meta.category == ZYDIS_CATEGORY_XSAVE ||
	    ins->meta.category == ZYDIS_CATEGORY_XSAVEOPT) {
		if (ins->mnemonic == ZYDIS_MNEMONIC_XSAVES || ins->mnemonic == ZYDIS_MNEMONIC_XSAVES64 ||
		    ins->mnemonic == ZYDIS_MNEMONIC_XRSTORS || ins->mnemonic == ZYDIS_MNEMONIC_XRSTORS64 ||
		    !mw_x86_xsave_size) {
			refuse(out, "xsaves and xrstors are for the kernel");
			return;
		}
		out->flags |= MW_X86_VECTOR;
		/* The most any mask can make it touch; the bytes of one
		 * execution follow from its mask (mw_x86_xsave_extent). */
		out->size = (uint16_t)mw_x86_xsave_size;
		if (ins->mnemonic == ZYDIS_MNEMONIC_XSAVEC || ins->mnemonic == ZYDIS_MNEMONIC_XSAVEC64)
			out->xform = MW_XSAVE_COMPACT;
		else if (ins->mnemonic == ZYDIS_MNEMONIC_XRSTOR ||
			 ins->mnemonic == ZYDIS_MNEMONIC_XRSTOR64)
			out->xform = MW_XSAVE_RESTORE;
		else
			out->xform = MW_XSAVE_STANDARD;
	}
	/* Masked accesses: AVX-512 with a write mask (no embedded broadcast),
	 * and AVX's vmaskmov / vpmaskmov with a sign mask in a vector. */
	if ((ins->avx.mask.mode == ZYDIS_MASK_MODE_MERGING ||
	     ins->avx.mask.mode == ZYDIS_MASK_MODE_ZEROING) &&
	    ins->avx.mask.reg > ZYDIS_REGISTER_K0 && ins->avx.mask.reg <= ZYDIS_REGISTER_K7 &&
	    ops[memop].element_size >= 8 &&
	    ins->avx.broadcast.mode == ZYDIS_BROADCAST_MODE_INVALID) {
		out->maskkind = MW_MASK_K;
		out->maskreg = (uint8_t)(ins->avx.mask.reg - ZYDIS_REGISTER_K0);
		out->elem = (uint8_t)(ops[memop].element_size / 8);
	}
	switch (ins->mnemonic) {
	case ZYDIS_MNEMONIC_VMASKMOVPS: case ZYDIS_MNEMONIC_VPMASKMOVD:
	case ZYDIS_MNEMONIC_VMASKMOVPD: case ZYDIS_MNEMONIC_VPMASKMOVQ:
		if (ops[1].type == ZYDIS_OPERAND_TYPE_REGISTER) {
			ZydisRegister r = ops[1].reg.value;

			out->maskkind = MW_MASK_SIGN;
			out->maskreg = (uint8_t)(r >= ZYDIS_REGISTER_YMM0 && r <= ZYDIS_REGISTER_YMM15 ?
						 r - ZYDIS_REGISTER_YMM0 : r - ZYDIS_REGISTER_XMM0);
			out->elem = ins->mnemonic == ZYDIS_MNEMONIC_VMASKMOVPS ||
				    ins->mnemonic == ZYDIS_MNEMONIC_VPMASKMOVD ? 4 : 8;
		}
		break;
	default:
		break;
	}
	if (ins->mnemonic == ZYDIS_MNEMONIC_DIV || ins->mnemonic == ZYDIS_MNEMONIC_IDIV)
		out->flags |= MW_X86_DIVIDE |
			      (ins->mnemonic == ZYDIS_MNEMONIC_IDIV ? MW_X86_SIGNED : 0);
	if ((ins->attributes & ZYDIS_ATTRIB_HAS_LOCK) || ins->mnemonic == ZYDIS_MNEMONIC_XCHG)
		out->flags |= MW_X86_LOCKED;
	if ((ins->mnemonic == ZYDIS_MNEMONIC_BT || ins->mnemonic == ZYDIS_MNEMONIC_BTS ||
	     ins->mnemonic == ZYDIS_MNEMONIC_BTR || ins->mnemonic == ZYDIS_MNEMONIC_BTC) &&
	    ops[1].type == ZYDIS_OPERAND_TYPE_REGISTER) {
		out->flags |= MW_X86_BTREG;
		out->btreg = (int8_t)greg_of(ops[1].reg.value);
	}
	/* clflush, clflushopt, clwb [m]: decoded as the 64-byte line, but m
	 * need not be aligned; only the line holding the byte at m is
	 * touched, on m's page: one byte, not m .. m + 63. */
	if (ins->mnemonic == ZYDIS_MNEMONIC_CLFLUSH || ins->mnemonic == ZYDIS_MNEMONIC_CLFLUSHOPT ||
	    ins->mnemonic == ZYDIS_MNEMONIC_CLWB)
		out->size = 1;
	if (out->size == 0) {
		refuse(out, "the size of the memory operand is not known");
		return;
	}
	/* Where an atomic read-modify-write leaves the operand's old value. */
	switch (ins->mnemonic) {
	case ZYDIS_MNEMONIC_XCHG:
	case ZYDIS_MNEMONIC_XADD: {
		const ZydisDecodedOperand *r = &ops[ops[0].type == ZYDIS_OPERAND_TYPE_REGISTER ? 0 : 1];
		ZydisRegister v = r->reg.value;

		out->oldlo = (int8_t)greg_of(v);
		if (v == ZYDIS_REGISTER_AH || v == ZYDIS_REGISTER_BH ||
		    v == ZYDIS_REGISTER_CH || v == ZYDIS_REGISTER_DH)
			out->flags |= MW_X86_OLDHIGH;
		break;
	}
	case ZYDIS_MNEMONIC_CMPXCHG:
		out->oldlo = REG_RAX;
		break;
	case ZYDIS_MNEMONIC_CMPXCHG8B:
	case ZYDIS_MNEMONIC_CMPXCHG16B:
		out->oldlo = REG_RAX;
		out->oldhi = REG_RDX;
		break;
	default:
		break;
	}

	if (encoder_request(out, ins, ops, &req))
		return;
	for (unsigned k = 0; k < sizeof(scratch_order) / sizeof(scratch_order[0]); k++) {
		int g = scratch_order[k];
		uint8_t buf[ZYDIS_MAX_INSTRUCTION_LENGTH];
		ZyanUSize len;
		ZydisDecodedInstruction chk;
		ZydisDecodedOperand chkops[ZYDIS_MAX_OPERAND_COUNT];

		int sp = -1;

		if (used & (1u << g))
			continue;
		for (unsigned j = 0; rspop >= 0 && sp < 0 &&
		     j < sizeof(scratch_order) / sizeof(scratch_order[0]); j++)
			if (!(used & (1u << scratch_order[j])) && scratch_order[j] != g)
				sp = scratch_order[j];
		if (rspop >= 0) {
			if (sp < 0)
				break;
			req.operands[rspop].reg.value = reg_of_greg(sp);
		}
		req.operands[memop].mem.base = reg_of_greg(g);
		req.operands[memop].mem.index = ZYDIS_REGISTER_NONE;
		req.operands[memop].mem.scale = 0;
		req.operands[memop].mem.displacement = 0;
		/* Not encodable: e.g. %ah forbids REX, r8..r15 cannot be base.
		 * Check the rewrite: same instruction, same operand, on scratch. */
		if (!reencode(&req, buf, &len, &chk, chkops) || chk.mnemonic != ins->mnemonic ||
		    chkops[memop].type != ZYDIS_OPERAND_TYPE_MEMORY ||
		    chkops[memop].mem.base != reg_of_greg(g) ||
		    chkops[memop].size != ops[memop].size ||
		    chkops[memop].actions != ops[memop].actions ||
		    (rspop >= 0 && (chkops[rspop].type != ZYDIS_OPERAND_TYPE_REGISTER ||
				    chkops[rspop].reg.value != reg_of_greg(sp))))
			continue;
		out->scratch = (int8_t)g;
		out->rspreg = (int8_t)sp;
		out->cls = MW_X86_GENERIC;
		emit_stub(out, buf, len, rw, rx);
		return;
	}
	refuse(out, "the instruction cannot be re-encoded with a free scratch register");
}

/* The number of a vector register (xmm/ymm/zmm 0..31), or -1. */
static int vreg_num(ZydisRegister r)
{
	if (r >= ZYDIS_REGISTER_XMM0 && r <= ZYDIS_REGISTER_XMM31)
		return (int)(r - ZYDIS_REGISTER_XMM0);
	if (r >= ZYDIS_REGISTER_YMM0 && r <= ZYDIS_REGISTER_YMM31)
		return (int)(r - ZYDIS_REGISTER_YMM0);
	if (r >= ZYDIS_REGISTER_ZMM0 && r <= ZYDIS_REGISTER_ZMM31)
		return (int)(r - ZYDIS_REGISTER_ZMM0);
	return -1;
}

/* Gathers and scatters: VSIB operand MEMOP.  A gather's stub is the
 * instruction with the operand as [scratch + vindex*scale] (no
 * displacement, no segment or address-size prefix); gather.c points
 * scratch at a bounce buffer and the index at its slots.  A scatter has no
 * stub: gather.c writes its lanes.  AVX2 (VEX) gathers: destination, VSIB,
 * mask vector; AVX-512 (EVEX): a gather's destination, k mask, VSIB, a
 * scatter's VSIB, k mask, source. */
static void analyze_gather(struct mw_x86_insn *out, const ZydisDecodedInstruction *ins,
			   const ZydisDecodedOperand *ops, int memop, uint8_t *rw,
			   const void *rx)
{
	const ZydisDecodedOperand *m = &ops[memop];
	ZydisEncoderRequest req;
	unsigned ielem, dbytes, ibytes;
	int dreg, mreg, xreg, scatter = 0, evex = ins->encoding == ZYDIS_INSTRUCTION_ENCODING_EVEX;
	int dop;

	switch (ins->mnemonic) {
	case ZYDIS_MNEMONIC_VPSCATTERDD: case ZYDIS_MNEMONIC_VPSCATTERDQ:
	case ZYDIS_MNEMONIC_VSCATTERDPS: case ZYDIS_MNEMONIC_VSCATTERDPD:
		scatter = 1;
		/* fall through */
	case ZYDIS_MNEMONIC_VPGATHERDD: case ZYDIS_MNEMONIC_VPGATHERDQ:
	case ZYDIS_MNEMONIC_VGATHERDPS: case ZYDIS_MNEMONIC_VGATHERDPD:
		ielem = 4;
		break;
	case ZYDIS_MNEMONIC_VPSCATTERQD: case ZYDIS_MNEMONIC_VPSCATTERQQ:
	case ZYDIS_MNEMONIC_VSCATTERQPS: case ZYDIS_MNEMONIC_VSCATTERQPD:
		scatter = 1;
		/* fall through */
	case ZYDIS_MNEMONIC_VPGATHERQD: case ZYDIS_MNEMONIC_VPGATHERQQ:
	case ZYDIS_MNEMONIC_VGATHERQPS: case ZYDIS_MNEMONIC_VGATHERQPD:
		ielem = 8;
		break;
	default:
		refuse(out, "gather and scatter prefetches (AVX512PF) are not supported");
		return;
	}
	dop = scatter ? 2 : 0;
	if ((ins->encoding != ZYDIS_INSTRUCTION_ENCODING_VEX && !evex) ||
	    ins->operand_count_visible != 3 || memop != (scatter ? 0 : evex ? 2 : 1) ||
	    ops[dop].type != ZYDIS_OPERAND_TYPE_REGISTER ||
	    ops[1].type != (evex ? ZYDIS_OPERAND_TYPE_REGISTER : ZYDIS_OPERAND_TYPE_MEMORY) ||
	    (!evex && ops[2].type != ZYDIS_OPERAND_TYPE_REGISTER)) {
		refuse(out, "the gather's operands are not the usual ones");
		return;
	}
	dreg = vreg_num(ops[dop].reg.value);
	xreg = vreg_num(m->mem.index);
	if (evex) {
		mreg = ops[1].reg.value >= ZYDIS_REGISTER_K0 && ops[1].reg.value <= ZYDIS_REGISTER_K7
			       ? (int)(ops[1].reg.value - ZYDIS_REGISTER_K0) : -1;
		if (mreg == 0 || ins->avx.mask.mode == ZYDIS_MASK_MODE_ZEROING ||
		    (!scatter && dreg == xreg)) {
			refuse(out, "an AVX-512 gather or scatter with k0, zeroing-masking or the "
				    "destination as index raises #UD");
			return;
		}
	} else {
		mreg = vreg_num(ops[2].reg.value);
	}
	if (dreg < 0 || mreg < 0 || xreg < 0 || (!evex && (dreg > 15 || mreg > 15 || xreg > 15)) ||
	    (m->mem.base != ZYDIS_REGISTER_NONE && greg_of(m->mem.base) < 0) ||
	    (m->size != 32 && m->size != 64)) {
		refuse(out, "the gather's operands are not the usual ones");
		return;
	}
	if (!evex && (dreg == mreg || dreg == xreg || mreg == xreg)) {
		refuse(out, "a gather whose destination, index and mask are not three "
			    "different registers raises #UD");
		return;
	}
	out->base = m->mem.base == ZYDIS_REGISTER_NONE ? MW_X86_NOREG : (int8_t)greg_of(m->mem.base);
	out->scale = m->mem.scale ? m->mem.scale : 1;
	out->disp = m->mem.disp.has_displacement ? m->mem.disp.value : 0;
	out->seg = m->mem.segment == ZYDIS_REGISTER_FS ? 1 :
		   m->mem.segment == ZYDIS_REGISTER_GS ? 2 : 0;
	if (ins->address_width == 32)
		out->flags |= MW_X86_ADDR32;
	out->flags |= MW_X86_VECTOR;
	out->kind = scatter ? MW_WRITE : MW_READ;
	out->elem = (uint8_t)(m->size / 8);
	out->size = out->elem;
	out->ielem = (uint8_t)ielem;
	out->vindex = (uint8_t)xreg;
	out->datareg = (uint8_t)dreg;
	out->maskkind = evex ? MW_MASK_K : MW_MASK_SIGN;
	out->maskreg = (uint8_t)mreg;
	dbytes = ZydisRegisterGetWidth(ZYDIS_MACHINE_MODE_LONG_64, ops[dop].reg.value) / 8;
	ibytes = ZydisRegisterGetWidth(ZYDIS_MACHINE_MODE_LONG_64, m->mem.index) / 8;
	out->lanes = (uint8_t)(dbytes / out->elem < ibytes / ielem ? dbytes / out->elem
								     : ibytes / ielem);
	if (scatter) {
		out->cls = MW_X86_GATHER;       /* written lane by lane: no stub */
		return;
	}

	if (encoder_request(out, ins, ops, &req))
		return;
	for (unsigned k = 0; k < sizeof(scratch_order) / sizeof(scratch_order[0]); k++) {
		int g = scratch_order[k];
		uint8_t buf[ZYDIS_MAX_INSTRUCTION_LENGTH];
		ZyanUSize len;
		ZydisDecodedInstruction chk;
		ZydisDecodedOperand chkops[ZYDIS_MAX_OPERAND_COUNT];
		int same = 1;

		if (g == out->base)
			continue;
		req.operands[memop].mem.base = reg_of_greg(g);
		req.operands[memop].mem.displacement = 0;
		if (!reencode(&req, buf, &len, &chk, chkops) ||
		    chk.mnemonic != ins->mnemonic || chk.encoding != ins->encoding ||
		    chk.avx.mask.reg != ins->avx.mask.reg ||
		    chk.avx.mask.mode != ins->avx.mask.mode ||
		    chkops[memop].type != ZYDIS_OPERAND_TYPE_MEMORY ||
		    chkops[memop].mem.type != ZYDIS_MEMOP_TYPE_VSIB ||
		    chkops[memop].mem.base != reg_of_greg(g) ||
		    chkops[memop].mem.index != m->mem.index ||
		    chkops[memop].mem.scale != m->mem.scale ||
		    chkops[memop].mem.disp.value != 0 ||
		    chkops[memop].size != m->size)
			continue;
		for (int i = 0; i < 3; i++)
			if (i != memop && (chkops[i].type != ZYDIS_OPERAND_TYPE_REGISTER ||
					   chkops[i].reg.value != ops[i].reg.value))
				same = 0;
		if (!same)
			continue;
		out->scratch = (int8_t)g;
		out->cls = MW_X86_GATHER;
		emit_stub(out, buf, len, rw, rx);
		return;
	}
	refuse(out, "the gather cannot be re-encoded with a free scratch register");
}

void mw_x86_analyze(const uint8_t *code, size_t n, uint64_t pc,
		    struct mw_x86_insn *out, uint8_t *stub_rw, const void *stub_rx)
{
	ZydisDecodedInstruction ins;
	ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
	int memop = -1, nmem = 0, stackmem = 0;

	memset(out, 0, sizeof(*out));
	out->pc = pc;
	out->base = out->index = MW_X86_NOREG;
	out->scratch = out->rspreg = out->btreg = out->oldlo = out->oldhi = -1;
	if (n > sizeof(out->bytes))
		n = sizeof(out->bytes);
	if (!ZYAN_SUCCESS(ZydisDecoderDecodeFull(&decoder, code, n, &ins, ops))) {
		out->len = (uint8_t)n;
		memcpy(out->bytes, code, n);
		refuse(out, "the bytes do not decode as an x86-64 instruction");
		return;
	}
	out->len = ins.length;
	memcpy(out->bytes, code, ins.length);

	for (int i = 0; i < ins.operand_count; i++) {
		const ZydisDecodedOperand *op = &ops[i];

		if (op->type != ZYDIS_OPERAND_TYPE_MEMORY)
			continue;
		if (op->mem.type == ZYDIS_MEMOP_TYPE_VSIB) {
			analyze_gather(out, &ins, ops, i, stub_rw, stub_rx);
			return;
		}
		if (op->mem.type != ZYDIS_MEMOP_TYPE_MEM)
			continue;       /* lea, bndmk: no access */
		if (op->visibility == ZYDIS_OPERAND_VISIBILITY_HIDDEN &&
		    greg_of(op->mem.base) == REG_RSP) {
			stackmem++;
			continue;
		}
		nmem++;
		if (memop < 0)
			memop = i;
	}
	if (ins.mnemonic == ZYDIS_MNEMONIC_XLAT) {
		/* al = [rbx + al]: the index is a byte register, emulate. */
		out->cls = MW_X86_XLAT;
		out->size = 1;
		out->kind = MW_READ;
		out->seg = ins.attributes & ZYDIS_ATTRIB_HAS_SEGMENT_FS ? 1 :
			   ins.attributes & ZYDIS_ATTRIB_HAS_SEGMENT_GS ? 2 : 0;
		if (ins.address_width == 32)
			out->flags |= MW_X86_ADDR32;
		return;
	}
	if (ins.meta.category == ZYDIS_CATEGORY_STRINGOP) {
		analyze_string(out, &ins, ops, stub_rw, stub_rx);
		return;
	}
	if (nmem == 1 && ops[memop].visibility != ZYDIS_OPERAND_VISIBILITY_HIDDEN) {
		enum mw_x86_class cls = MW_X86_GENERIC;

		switch (ins.mnemonic) {
		case ZYDIS_MNEMONIC_PUSH: cls = MW_X86_PUSH; break;
		case ZYDIS_MNEMONIC_POP:  cls = MW_X86_POP; break;
		case ZYDIS_MNEMONIC_CALL: cls = MW_X86_CALL; break;
		case ZYDIS_MNEMONIC_JMP:  cls = MW_X86_JMP; break;
		default: break;
		}
		if (set_mem(out, &ins, &ops[memop]) < 0) {
			refuse(out, "the memory operand uses an unusual register");
			return;
		}
		if (cls != MW_X86_GENERIC) {
			if (ins.operand_width != 64 || (cls != MW_X86_PUSH && cls != MW_X86_POP &&
							out->size != 8)) {
				refuse(out, "16-bit or far stack and branch forms are not supported");
				return;
			}
			out->cls = (uint8_t)cls;
			return;
		}
		if (stackmem) {
			refuse(out, "the instruction also accesses the stack");
			return;
		}
		analyze_generic(out, &ins, ops, memop, stub_rw, stub_rx);
		return;
	}
	if (stackmem && nmem == 0 && analyze_implicit(out, &ins, ops))
		return;
	if (stackmem)
		refuse(out, "this stack instruction (enter, far call or return, push or pop of "
			    "a segment register, 16-bit forms) is not supported on a watched stack");
	else if (nmem == 1)
		refuse(out, "instructions whose only memory operand is implicit (maskmovdqu, "
			    "maskmovq) are not supported");
	else if (nmem == 0)
		refuse(out, "the instruction has no memory operand the library can perform");
	else
		refuse(out, "instructions with several memory operands are not supported");
}

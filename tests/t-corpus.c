/* SPDX-License-Identifier: MIT */
/*
 * t-corpus.c - a differential instruction corpus.
 *
 * Every form is one instruction (plus, for a few, a stack or control-flow
 * helper that touches no watched memory) wrapped in a common harness: load
 * all general registers but RSP, RFLAGS and the vector registers the form
 * uses from a context, run the instruction, store everything back.  Each form
 * runs twice, each time in a fresh forked child: once on unwatched memory
 * (the reference) and once with a watch on the bytes it accesses.  The two
 * runs must leave identical registers, flags, vector state and memory, the
 * watched run must count exactly the expected number of accesses (1, or 0
 * for an access kind the watch does not catch), and both children must exit
 * normally.
 *
 * Memory: CORPUS_PAGES pages at the fixed address CORPUS_BUF (below 2 GiB,
 * so that index-only operands with an absolute disp32 and 32-bit address
 * size can reach it), and corpus_global, a page-aligned .bss array for
 * RIP-relative forms.  By default the watch covers pages 1 and 2 of the
 * buffer with MW_READ|MW_WRITE.
 *
 * A form is one X() line in CORPUS below: a symbol, the register kind
 * (NONE, XMM, YMM, ZMM or an X87 variant), the instruction text, and
 * designated initializers for the registers it addresses through (R()),
 * flags (FL()), the watch (default, W_ONLY, R_ONLY, WATCH(), WG), the
 * expected count (EXP0), memory presets (POKE(), .prep) and a TAP name.
 *
 * To debug the library on one case: CORPUS_ONLY=12 ./tests/t-corpus runs
 * form 12 alone, CORPUS_ONLY=cmpxchg16b the forms whose text contains it.
 */
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "memwatch.h"
#include "tap.h"
#include "section.h"

#define PAGE		4096
#define CORPUS_BUF	0x10000000UL	/* the same in the asm below */
#define CORPUS_PAGES	8
#define BUF_SIZE	(CORPUS_PAGES * PAGE)
#define GLOBAL_SIZE	(2 * PAGE)
#define B(off)		(CORPUS_BUF + (uint64_t)(off))
#define CHILD_TIMEOUT	2		/* seconds; a run takes about 1 ms */

/* Hardware register numbers. */
enum { RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI,
       R8, R9, R10, R11, R12, R13, R14, R15 };
static const char *const reg_name[16] = {
	"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
	"r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
};

/* RFLAGS bits. */
#define CF 0x001
#define PF 0x004
#define AF 0x010
#define ZF 0x040
#define SF 0x080
#define DF 0x400
#define OF 0x800
#define FLAGS_COMPARED (CF | PF | AF | ZF | SF | DF | OF)

/* The context the asm harness reads and writes; offsets are hard-coded in
 * the asm below and checked by the static assertions. */
struct ctx {
	uint64_t r[16];			/*   0: by hardware number */
	uint64_t flags;			/* 128 */
	uint64_t x87sw;			/* 136: x87 status word after */
	uint8_t st0[16];		/* 144: 80-bit st0, in and/or out */
	uint64_t k1;			/* 160: k1 (16 bits used) */
	uint32_t mxcsr;			/* 168: MXCSR after */
	uint8_t pad[20];
	uint8_t v[4][64];		/* 192: xmm/ymm/zmm 0..3 */
} __attribute__((aligned(64)));

_Static_assert(offsetof(struct ctx, flags) == 128, "ctx layout");
_Static_assert(offsetof(struct ctx, x87sw) == 136, "ctx layout");
_Static_assert(offsetof(struct ctx, st0) == 144, "ctx layout");
_Static_assert(offsetof(struct ctx, k1) == 160, "ctx layout");
_Static_assert(offsetof(struct ctx, mxcsr) == 168, "ctx layout");
_Static_assert(offsetof(struct ctx, v) == 192, "ctx layout");

/* The array RIP-relative forms address.  Page-aligned and a whole number of
 * pages, so that watching it shares no page with the test's own data. */
uint8_t corpus_global[GLOBAL_SIZE] __attribute__((aligned(PAGE)));

extern const char corpus_call_target[], corpus_jmp_target[],
	corpus_jmp_target2[];

/*
 * The harness.  CF_PRO saves the callee-saved registers and the context
 * pointer on the stack, loads the vector state the kind asks for, RFLAGS
 * (popfq) and the general registers (RDI last).  CF_EPI stores them back,
 * then RFLAGS (the movs in between leave the flags alone) and MXCSR, then
 * clears DF and AC for the C caller.
 *
 * Kinds: NONE; XMM, YMM, ZMM (vector registers 0..3; ZMM also k1); X87
 * (fninit, status word out), X87I (st0 loaded first), X87O (st0 stored and
 * popped after), X87IO (both).
 */
__asm__(
	".pushsection .text\n"
	".intel_syntax noprefix\n"
	".macro CF_PRO kind\n"
	" push rbp; push rbx; push r12; push r13; push r14; push r15; push rdi\n"
	" .ifc \\kind,XMM\n"
	"  movdqu xmm0, [rdi+192]; movdqu xmm1, [rdi+256]\n"
	"  movdqu xmm2, [rdi+320]; movdqu xmm3, [rdi+384]\n"
	" .endif\n"
	" .ifc \\kind,YMM\n"
	"  vmovdqu ymm0, [rdi+192]; vmovdqu ymm1, [rdi+256]\n"
	"  vmovdqu ymm2, [rdi+320]; vmovdqu ymm3, [rdi+384]\n"
	" .endif\n"
	" .ifc \\kind,ZMM\n"
	"  vmovdqu64 zmm0, [rdi+192]; vmovdqu64 zmm1, [rdi+256]\n"
	"  vmovdqu64 zmm2, [rdi+320]; vmovdqu64 zmm3, [rdi+384]\n"
	"  kmovw k1, word ptr [rdi+160]\n"
	" .endif\n"
	" .ifc \\kind,X87\n"
	"  fninit\n"
	" .endif\n"
	" .ifc \\kind,X87O\n"
	"  fninit\n"
	" .endif\n"
	" .ifc \\kind,X87I\n"
	"  fninit; fld tbyte ptr [rdi+144]\n"
	" .endif\n"
	" .ifc \\kind,X87IO\n"
	"  fninit; fld tbyte ptr [rdi+144]\n"
	" .endif\n"
	" push qword ptr [rdi+128]; popfq\n"
	" mov rax, [rdi]; mov rcx, [rdi+8]; mov rdx, [rdi+16]; mov rbx, [rdi+24]\n"
	" mov rbp, [rdi+40]; mov rsi, [rdi+48]\n"
	" mov r8, [rdi+64]; mov r9, [rdi+72]; mov r10, [rdi+80]; mov r11, [rdi+88]\n"
	" mov r12, [rdi+96]; mov r13, [rdi+104]; mov r14, [rdi+112]; mov r15, [rdi+120]\n"
	" mov rdi, [rdi+56]\n"
	".endm\n"
	".macro CF_EPI kind\n"
	" push rdi; mov rdi, [rsp+8]\n"
	" mov [rdi], rax; mov [rdi+8], rcx; mov [rdi+16], rdx; mov [rdi+24], rbx\n"
	" mov [rdi+40], rbp; mov [rdi+48], rsi\n"
	" mov [rdi+64], r8; mov [rdi+72], r9; mov [rdi+80], r10; mov [rdi+88], r11\n"
	" mov [rdi+96], r12; mov [rdi+104], r13; mov [rdi+112], r14; mov [rdi+120], r15\n"
	" pop rax; mov [rdi+56], rax\n"
	" pushfq; pop rax; mov [rdi+128], rax\n"
	" push 0x202; popfq\n"		/* DF and AC off for C */
	" stmxcsr [rdi+168]\n"
	" .ifc \\kind,XMM\n"
	"  movdqu [rdi+192], xmm0; movdqu [rdi+256], xmm1\n"
	"  movdqu [rdi+320], xmm2; movdqu [rdi+384], xmm3\n"
	" .endif\n"
	" .ifc \\kind,YMM\n"
	"  vmovdqu [rdi+192], ymm0; vmovdqu [rdi+256], ymm1\n"
	"  vmovdqu [rdi+320], ymm2; vmovdqu [rdi+384], ymm3\n"
	"  vzeroupper\n"
	" .endif\n"
	" .ifc \\kind,ZMM\n"
	"  vmovdqu64 [rdi+192], zmm0; vmovdqu64 [rdi+256], zmm1\n"
	"  vmovdqu64 [rdi+320], zmm2; vmovdqu64 [rdi+384], zmm3\n"
	"  kmovw word ptr [rdi+160], k1\n"
	"  vzeroupper\n"
	" .endif\n"
	" .ifc \\kind,X87\n"
	"  fnstsw ax; mov [rdi+136], ax\n"
	" .endif\n"
	" .ifc \\kind,X87I\n"
	"  fnstsw ax; mov [rdi+136], ax\n"
	" .endif\n"
	" .ifc \\kind,X87O\n"
	"  fnstsw ax; mov [rdi+136], ax; fstp tbyte ptr [rdi+144]\n"
	" .endif\n"
	" .ifc \\kind,X87IO\n"
	"  fnstsw ax; mov [rdi+136], ax; fstp tbyte ptr [rdi+144]\n"
	" .endif\n"
	" pop rdi; pop r15; pop r14; pop r13; pop r12; pop rbx; pop rbp\n"
	" ret\n"
	".endm\n"
	/* What call qword ptr [m] lands on: records its return address in r10
	 * and leaves a mark in r11, without touching the flags. */
	".globl corpus_call_target, corpus_jmp_target, corpus_jmp_target2\n"
	".type corpus_call_target, @function\n"
	"corpus_call_target:\n"
	" mov r10, [rsp]; lea r11, [r11+0x1111]; ret\n"
	".size corpus_call_target, .-corpus_call_target\n"
	".att_syntax prefix\n"
	".popsection\n");

enum kind { K_NONE, K_XMM, K_YMM, K_ZMM, K_X87, K_X87I, K_X87O, K_X87IO };
enum need { N_AVX = 1, N_AVX2 = 2, N_AVX512F = 4, N_SSE41 = 8, N_SSE42 = 16,
	    N_POPCNT = 32, N_BMI = 64, N_BMI2 = 128 };

struct prep_args;
struct form {
	const char *insn, *label;
	void (*fn)(struct ctx *);
	enum kind kind;
	struct { int set; uint64_t v; } reg[16];
	uint64_t flags;			/* 0: derived from the index */
	struct { long off; size_t len; unsigned flags; int global; } w;
	int exp0;			/* the watch must not count it */
	int need;
	struct { long off; int len; uint64_t v; } poke[3];	/* into CORPUS_BUF */
	void (*prep)(struct ctx *c);
	uint64_t k1;
	int k1set;
	const char *todo;		/* a known gap: reported as TAP TODO */
};

/* Designated-initializer shorthands for the list. */
#define R(r, val)	.reg[r] = { 1, (uint64_t)(val) }
#define FL(f)		.flags = (0x202 | (f))
#define W_ONLY		.w = { 0x1000, 0x2000, MW_WRITE, 0 }
#define R_ONLY		.w = { 0x1000, 0x2000, MW_READ, 0 }
#define WATCH(o, l, f)	.w = { (o), (l), (f), 0 }
#define WG		.w = { 0, GLOBAL_SIZE, MW_ACCESS, 1 }
#define EXP0		.exp0 = 1
/* Known gaps of the library, each with the issue that closes it: the case
 * still runs and reports, but as "# TODO", so it does not fail the suite. */
#define TODO(why)	.todo = (why)
#define POKE(i, o, l, val) .poke[i] = { (o), (l), (uint64_t)(val) }
#define LABEL(s)	.label = (s)
#define K1(m)		.k1 = (m), .k1set = 1

/*
 * The corpus: X(symbol, kind, "instruction text", extras...).  The text is
 * assembled as it stands (';' separates statements) and names the TAP line
 * unless LABEL() gives a name.
 */
#define CORPUS(X) \
	/* --- mov loads and stores, 1/2/4/8 bytes, various bases --- */ \
	X(ld8, NONE, "mov rax, qword ptr [rbx]", R(RBX, B(0x1100))) \
	X(ld4, NONE, "mov eax, dword ptr [rbx+0x7c]", R(RBX, B(0x1100))) \
	X(ld2, NONE, "mov dx, word ptr [rbx+1]", R(RBX, B(0x1100))) \
	X(ld1, NONE, "mov sil, byte ptr [rbx-0x80]", R(RBX, B(0x1180))) \
	X(ld8d32, NONE, "mov r9, qword ptr [rbx+0x1234]", R(RBX, B(0x1000))) \
	X(ld8nd32, NONE, "mov r10, qword ptr [rbx-0x2000]", R(RBX, B(0x3100))) \
	X(st1, NONE, "mov byte ptr [rbx], cl", R(RBX, B(0x1100))) \
	X(st2, NONE, "mov word ptr [rbx+3], cx", R(RBX, B(0x1100))) \
	X(st4, NONE, "mov dword ptr [rbx+0x40], ecx", R(RBX, B(0x1100))) \
	X(st8sib, NONE, "mov qword ptr [rbx+rcx*8+0x10], rdx", \
	  R(RBX, B(0x1100)), R(RCX, 5)) \
	X(st8sibneg, NONE, "mov qword ptr [rbx+rcx*2-0x10], rdx", \
	  R(RBX, B(0x1200)), R(RCX, -0x40)) \
	X(st_ah, NONE, "mov byte ptr [rsi], ah", R(RSI, B(0x1200))) \
	X(st_bh, NONE, "mov byte ptr [rbx+1], bh", R(RBX, B(0x1201))) \
	X(st_ch, NONE, "mov byte ptr [rdx+rax*1+2], ch", \
	  R(RDX, B(0x1000)), R(RAX, 0x250)) \
	X(st_dh, NONE, "mov byte ptr [rbp+3], dh", R(RBP, B(0x1300))) \
	X(ld_ah, NONE, "mov ah, byte ptr [rdi]", R(RDI, B(0x1400))) \
	X(ld_dh, NONE, "mov dh, byte ptr [rbx+rcx*4]", \
	  R(RBX, B(0x1400)), R(RCX, 3)) \
	X(st_rsp, NONE, "mov qword ptr [rbx], rsp", R(RBX, B(0x1100))) \
	X(cmp_rsp, NONE, "cmp qword ptr [rbx+8], rsp", R(RBX, B(0x1100))) \
	X(sti8, NONE, "mov byte ptr [rbx], 0x5a", R(RBX, B(0x1100))) \
	X(sti16, NONE, "mov word ptr [rbx+2], 0x1234", R(RBX, B(0x1100))) \
	X(sti32, NONE, "mov dword ptr [rbx+4], 0x89abcdef", R(RBX, B(0x1100))) \
	X(sti64, NONE, "mov qword ptr [rbx+8], -0x12345678", R(RBX, B(0x1100))) \
	X(movzxb, NONE, "movzx eax, byte ptr [rbx]", R(RBX, B(0x1100))) \
	X(movzxw, NONE, "movzx rcx, word ptr [rbx+2]", R(RBX, B(0x1100))) \
	X(movsxb, NONE, "movsx rax, byte ptr [rbx+5]", R(RBX, B(0x1100))) \
	X(movsxw, NONE, "movsx edx, word ptr [rbx+6]", R(RBX, B(0x1100))) \
	X(movsxd, NONE, "movsxd r8, dword ptr [rbx+8]", R(RBX, B(0x1100))) \
	X(movzxrex, NONE, "movzx r9d, byte ptr [r8+r10*2+5]", \
	  R(R8, B(0x1000)), R(R10, 0x80)) \
	X(ld_r12, NONE, "mov r14, qword ptr [r12]", R(R12, B(0x1500))) \
	X(st_r13, NONE, "mov qword ptr [r13], r15", R(R13, B(0x1508))) \
	/* --- index-only, RIP-relative, 32-bit address size --- */ \
	X(idx_ld, NONE, "mov rax, qword ptr [rcx*8+0x10001000]", R(RCX, 0x20)) \
	X(idx_st, NONE, "mov dword ptr [rcx*4+0x10001010], edx", R(RCX, 0x41)) \
	X(rip_ld, NONE, "mov rax, qword ptr [rip+corpus_global+0x10]", WG) \
	X(rip_add, NONE, "add dword ptr [rip+corpus_global+0x20], ecx", WG) \
	X(rip_sti, NONE, "mov dword ptr [rip+corpus_global+0x30], 0x12345678", WG) \
	X(rip_cmpi, NONE, "cmp byte ptr [rip+corpus_global+0x41], 0x7f", WG) \
	X(rip_btsi, NONE, "bts dword ptr [rip+corpus_global+0x44], 10", WG, FL(0)) \
	X(rip_vmov, YMM, "vmovdqu ymm0, ymmword ptr [rip+corpus_global+0x101]", \
	  WG) \
	X(a32_ld, NONE, "mov eax, dword ptr [ebx]", \
	  R(RBX, 0xdead000000000000ULL | B(0x1600))) \
	X(a32_st, NONE, "mov dword ptr [ebx+ecx*4+8], edx", \
	  R(RBX, 0xffffffff00000000ULL | B(0x1600)), \
	  R(RCX, 0x1234567800000002ULL)) \
	X(a32_stosb, NONE, "addr32 rep stosb", \
	  R(RDI, 0x5555000000000000ULL | B(0x1f80)), \
	  R(RCX, 0x7777000000000100ULL)) \
	/* --- watch kinds: write-only and read-only watches --- */ \
	X(ld_wo, NONE, "mov rax, qword ptr [rbx]", R(RBX, B(0x1100)), W_ONLY, EXP0) \
	X(st_wo, NONE, "mov qword ptr [rbx], rax", R(RBX, B(0x1100)), W_ONLY) \
	X(add_wo, NONE, "add qword ptr [rbx], rax", R(RBX, B(0x1100)), W_ONLY) \
	X(cmp_wo, NONE, "cmp qword ptr [rbx], rax", R(RBX, B(0x1100)), W_ONLY, \
	  EXP0) \
	X(movsb_wo, NONE, "rep movsb", R(RSI, B(0x1100)), R(RDI, B(0x4100)), \
	  R(RCX, 0x300), W_ONLY, EXP0, \
	  LABEL("rep movsb from watched to unwatched")) \
	X(stosb_wo, NONE, "rep stosb", R(RDI, B(0x1f00)), R(RCX, 0x200), W_ONLY) \
	X(push_wo, NONE, "push qword ptr [rbx]; pop r10", R(RBX, B(0x1100)), \
	  W_ONLY, EXP0, LABEL("push qword ptr [rbx]")) \
	X(ld_ro, NONE, "mov rax, qword ptr [rbx]", R(RBX, B(0x1100)), R_ONLY) \
	X(st_ro, NONE, "mov qword ptr [rbx], rax", R(RBX, B(0x1100)), R_ONLY, \
	  EXP0) \
	X(add_ro, NONE, "add qword ptr [rbx], rax", R(RBX, B(0x1100)), R_ONLY) \
	X(movsb_ro, NONE, "rep movsb", R(RSI, B(0x4100)), R(RDI, B(0x1100)), \
	  R(RCX, 0x300), R_ONLY, EXP0, \
	  LABEL("rep movsb from unwatched to watched")) \
	/* --- byte-exact: bytes next to the watch on a watched page --- */ \
	X(ex_miss, NONE, "mov rax, qword ptr [rbx]", R(RBX, B(0x1100)), \
	  WATCH(0x1108, 4, MW_ACCESS), EXP0, \
	  LABEL("mov rax, qword ptr [rbx] just before a 4-byte watch")) \
	X(ex_hit, NONE, "mov rax, qword ptr [rbx]", R(RBX, B(0x1100)), \
	  WATCH(0x1107, 1, MW_ACCESS), \
	  LABEL("mov rax, qword ptr [rbx] touching a 1-byte watch")) \
	X(ex_miss_st, NONE, "mov dword ptr [rbx], ecx", R(RBX, B(0x1100)), \
	  WATCH(0x10fc, 4, MW_ACCESS), EXP0, \
	  LABEL("mov dword ptr [rbx], ecx just after a 4-byte watch")) \
	X(ex_bts_hit, NONE, "bts qword ptr [rbx], rcx", R(RBX, B(0x1100)), \
	  R(RCX, 64 * 40 + 13), WATCH(0x1241, 1, MW_ACCESS), \
	  LABEL("bts qword ptr [rbx], rcx (bit 2573; watch: the byte at rbx+0x141 " \
		"holding it)")) \
	X(ex_bts_miss, NONE, "bts qword ptr [rbx], rcx", R(RBX, B(0x1100)), \
	  R(RCX, 64 * 40 + 13), WATCH(0x1100, 8, MW_ACCESS), EXP0, \
	  LABEL("bts qword ptr [rbx], rcx (bit 2573, watch on [rbx] only)")) \
	/* --- arithmetic and logic --- */ \
	X(add_mr, NONE, "add qword ptr [rbx+rcx*8+0x10], rax", \
	  R(RBX, B(0x1100)), R(RCX, 3)) \
	X(add_rm, NONE, "add rax, qword ptr [rbx+8]", R(RBX, B(0x1100))) \
	X(adc_mr, NONE, "adc dword ptr [rbx], ecx", R(RBX, B(0x1100)), FL(CF)) \
	X(adc_rm, NONE, "adc rdx, qword ptr [rbx]", R(RBX, B(0x1100)), FL(CF)) \
	X(sub_mr, NONE, "sub word ptr [rbx], dx", R(RBX, B(0x1100))) \
	X(sbb_rm, NONE, "sbb al, byte ptr [rbx]", R(RBX, B(0x1100)), FL(CF)) \
	X(and_mr, NONE, "and qword ptr [rbx], rsi", R(RBX, B(0x1100))) \
	X(or_rm, NONE, "or ecx, dword ptr [rbx]", R(RBX, B(0x1100))) \
	X(xor_mr, NONE, "xor byte ptr [rbx+7], r9b", R(RBX, B(0x1100))) \
	X(xor_rm, NONE, "xor r10, qword ptr [rbx]", R(RBX, B(0x1100))) \
	X(cmp_mr, NONE, "cmp qword ptr [rbx], rax", R(RBX, B(0x1100))) \
	X(cmp_rm, NONE, "cmp eax, dword ptr [rbx]", R(RBX, B(0x1100))) \
	X(test_mr, NONE, "test dword ptr [rbx], ecx", R(RBX, B(0x1100))) \
	X(test_mi, NONE, "test byte ptr [rbx], 0x81", R(RBX, B(0x1100))) \
	X(add_mi32, NONE, "add dword ptr [rbx], 0x7fffffff", R(RBX, B(0x1100))) \
	X(sub_mi8, NONE, "sub qword ptr [rbx], 5", R(RBX, B(0x1100))) \
	X(and_mi16, NONE, "and word ptr [rbx], 0xff0f", R(RBX, B(0x1100))) \
	X(or_mi8, NONE, "or byte ptr [rbx], 0x80", R(RBX, B(0x1100))) \
	X(cmp_mi, NONE, "cmp qword ptr [rbx+rcx*8], -1", R(RBX, B(0x1100)), \
	  R(RCX, 7)) \
	X(inc_m, NONE, "inc qword ptr [rbx]", R(RBX, B(0x1100))) \
	X(dec_m, NONE, "dec byte ptr [rbx]", R(RBX, B(0x1100))) \
	X(neg_m, NONE, "neg dword ptr [rbx]", R(RBX, B(0x1100))) \
	X(not_m, NONE, "not word ptr [rbx]", R(RBX, B(0x1100))) \
	X(shl1, NONE, "shl qword ptr [rbx], 1", R(RBX, B(0x1100))) \
	X(sari, NONE, "sar dword ptr [rbx], 5", R(RBX, B(0x1100))) \
	X(rolcl, NONE, "rol word ptr [rbx], cl", R(RBX, B(0x1100)), R(RCX, 0x13)) \
	X(rcr1, NONE, "rcr byte ptr [rbx], 1", R(RBX, B(0x1100)), FL(CF)) \
	X(shrcl, NONE, "shr qword ptr [rbx], cl", R(RBX, B(0x1100)), R(RCX, 67)) \
	X(shld, NONE, "shld qword ptr [rbx], rax, 7", R(RBX, B(0x1100))) \
	X(shrdcl, NONE, "shrd dword ptr [rbx], edx, cl", R(RBX, B(0x1100)), \
	  R(RCX, 9)) \
	/* --- bit tests: far, negative, across pages, immediate --- */ \
	X(bt_far, NONE, "bt qword ptr [rbx], rax", R(RBX, B(0x1100)), \
	  R(RAX, 64 * 40 + 13), FL(CF), \
	  LABEL("bt qword ptr [rbx], rax (rax = 2573: qword at rbx+0x140)")) \
	X(bts_neg, NONE, "bts dword ptr [rbx], edx", R(RBX, B(0x2004)), \
	  R(RDX, 0x12345678ffffffdcULL), FL(CF), \
	  LABEL("bts dword ptr [rbx], edx (edx = -36: dword at rbx-8)")) \
	X(btr_neg16, NONE, "btr word ptr [rbx], si", R(RBX, B(0x1104)), \
	  R(RSI, 0xffffffffffffff00ULL), \
	  LABEL("btr word ptr [rbx], si (si = -256: word at rbx-32)")) \
	X(btc_negx, NONE, "btc qword ptr [rbx], rcx", R(RBX, B(0x3010)), \
	  R(RCX, -1000), \
	  LABEL("btc qword ptr [rbx], rcx (rbx unwatched page, rcx = -1000: " \
		"qword on the watched page before)")) \
	X(bt_posx, NONE, "bt qword ptr [rbx], rcx", R(RBX, B(0x0f00)), \
	  R(RCX, 64 * 100), FL(CF), \
	  LABEL("bt qword ptr [rbx], rcx (rbx unwatched page, rcx = 6400: " \
		"qword on the watched page after)")) \
	X(bt_imm, NONE, "bt dword ptr [rbx], 17", R(RBX, B(0x1100)), FL(0)) \
	X(bts_imm, NONE, "bts qword ptr [rbx], 63", R(RBX, B(0x1100))) \
	X(btr_imm, NONE, "btr word ptr [rbx], 3", R(RBX, B(0x1100))) \
	/* --- cmovcc, setcc, multiply, divide --- */ \
	X(cmovz_t, NONE, "cmovz rax, qword ptr [rbx]", R(RBX, B(0x1100)), FL(ZF), \
	  LABEL("cmovz rax, qword ptr [rbx] (taken)")) \
	X(cmovnz_f, NONE, "cmovnz eax, dword ptr [rbx]", R(RBX, B(0x1100)), \
	  FL(ZF), LABEL("cmovnz eax, dword ptr [rbx] (not taken)")) \
	X(cmovl_t, NONE, "cmovl rcx, qword ptr [rbx+8]", R(RBX, B(0x1100)), \
	  FL(SF), LABEL("cmovl rcx, qword ptr [rbx+8] (taken)")) \
	X(setz, NONE, "setz byte ptr [rbx]", R(RBX, B(0x1100)), FL(ZF)) \
	X(setc, NONE, "setc byte ptr [rbx+1]", R(RBX, B(0x1100)), FL(0)) \
	X(setg, NONE, "setg byte ptr [rbx+rcx]", R(RBX, B(0x1100)), R(RCX, 9)) \
	X(imul_rm, NONE, "imul rax, qword ptr [rbx]", R(RBX, B(0x1100))) \
	X(imul3, NONE, "imul ecx, dword ptr [rbx], 0x1234", R(RBX, B(0x1100))) \
	X(imul1w, NONE, "imul word ptr [rbx]", R(RBX, B(0x1100))) \
	X(mulq, NONE, "mul qword ptr [rbx]", R(RBX, B(0x1100))) \
	X(divd, NONE, "div dword ptr [rbx]", R(RBX, B(0x1100)), \
	  R(RDX, 0x1111111100000000ULL), POKE(0, 0x1100, 4, 0x12345)) \
	X(idivb, NONE, "idiv byte ptr [rbx]", R(RBX, B(0x1100)), \
	  R(RAX, 0x123456789abcfc18ULL), POKE(0, 0x1100, 1, 0x19)) \
	X(divq, NONE, "div qword ptr [rbx+8]", R(RBX, B(0x1100)), R(RDX, 5), \
	  POKE(0, 0x1108, 8, 0x123456789ULL)) \
	/* --- atomics --- */ \
	X(lock_add, NONE, "lock add qword ptr [rbx], rax", R(RBX, B(0x1100))) \
	X(lock_inc, NONE, "lock inc dword ptr [rbx+4]", R(RBX, B(0x1100))) \
	X(lock_or, NONE, "lock or byte ptr [rbx+3], cl", R(RBX, B(0x1100))) \
	X(lock_andi, NONE, "lock and dword ptr [rbx], 0xf0f0f0f", \
	  R(RBX, B(0x1100))) \
	X(lock_not, NONE, "lock not byte ptr [rbx+9]", R(RBX, B(0x1100))) \
	X(lock_bts, NONE, "lock bts qword ptr [rbx], rax", R(RBX, B(0x1100)), \
	  R(RAX, -3), LABEL("lock bts qword ptr [rbx], rax (rax = -3)")) \
	X(xchg, NONE, "xchg qword ptr [rbx], rcx", R(RBX, B(0x1100))) \
	X(xchgw, NONE, "xchg word ptr [rbx+2], ax", R(RBX, B(0x1100))) \
	X(lock_xadd, NONE, "lock xadd qword ptr [rbx], rdx", R(RBX, B(0x1100))) \
	X(cx_ok, NONE, "lock cmpxchg qword ptr [rbx], rcx", R(RBX, B(0x1100)), \
	  R(RAX, 0x0123456789abcdefULL), POKE(0, 0x1100, 8, 0x0123456789abcdefULL), \
	  LABEL("lock cmpxchg qword ptr [rbx], rcx (equal: stores)")) \
	X(cx_fail, NONE, "lock cmpxchg qword ptr [rbx], rcx", R(RBX, B(0x1100)), \
	  R(RAX, 0x0123456789abcdefULL), LABEL("lock cmpxchg qword ptr [rbx], " \
					      "rcx (different: loads rax)")) \
	X(cx_ok32, NONE, "lock cmpxchg dword ptr [rbx+4], edx", R(RBX, B(0x1100)), \
	  R(RAX, 0xfeedface89abcdefULL), POKE(0, 0x1104, 4, 0x89abcdef), \
	  LABEL("lock cmpxchg dword ptr [rbx+4], edx (equal)")) \
	X(cx_fail32, NONE, "lock cmpxchg dword ptr [rbx+4], edx", \
	  R(RBX, B(0x1100)), R(RAX, 0xfeedface89abcdefULL), \
	  LABEL("lock cmpxchg dword ptr [rbx+4], edx (different)")) \
	X(cx8_ok, NONE, "lock cmpxchg8b qword ptr [rsi]", R(RSI, B(0x1108)), \
	  R(RAX, 0xaaaaaaaa11223344ULL), R(RDX, 0xbbbbbbbb55667788ULL), \
	  POKE(0, 0x1108, 8, 0x5566778811223344ULL), \
	  LABEL("lock cmpxchg8b qword ptr [rsi] (equal)")) \
	X(cx8_fail, NONE, "lock cmpxchg8b qword ptr [rsi]", R(RSI, B(0x1108)), \
	  R(RAX, 0xaaaaaaaa11223344ULL), R(RDX, 0xbbbbbbbb55667788ULL), \
	  LABEL("lock cmpxchg8b qword ptr [rsi] (different)")) \
	X(cx16_ok, NONE, "lock cmpxchg16b xmmword ptr [rdi]", R(RDI, B(0x1110)), \
	  R(RAX, 0x1111222233334444ULL), R(RDX, 0x5555666677778888ULL), \
	  POKE(0, 0x1110, 8, 0x1111222233334444ULL), \
	  POKE(1, 0x1118, 8, 0x5555666677778888ULL), \
	  LABEL("lock cmpxchg16b xmmword ptr [rdi] (equal)")) \
	X(cx16_fail, NONE, "lock cmpxchg16b xmmword ptr [rdi]", R(RDI, B(0x1110)), \
	  R(RAX, 0x1111222233334444ULL), R(RDX, 0x5555666677778888ULL), \
	  POKE(0, 0x1110, 8, 0x1111222233334444ULL), \
	  LABEL("lock cmpxchg16b xmmword ptr [rdi] (different)")) \
	/* --- SSE --- */ \
	X(movups_ld, XMM, "movups xmm0, xmmword ptr [rbx+1]", R(RBX, B(0x1100))) \
	X(movups_st, XMM, "movups xmmword ptr [rbx+3], xmm1", R(RBX, B(0x1100))) \
	X(movaps_ld, XMM, "movaps xmm2, xmmword ptr [rbx]", R(RBX, B(0x1100))) \
	X(movaps_st, XMM, "movaps xmmword ptr [rbx+0x20], xmm3", R(RBX, B(0x1100))) \
	X(movdqu_ld, XMM, "movdqu xmm1, xmmword ptr [rbx+5]", R(RBX, B(0x1100))) \
	X(movdqa_st, XMM, "movdqa xmmword ptr [rbx+0x30], xmm0", R(RBX, B(0x1100))) \
	X(movq_ld, XMM, "movq xmm0, qword ptr [rbx]", R(RBX, B(0x1100))) \
	X(movq_st, XMM, "movq qword ptr [rbx+8], xmm1", R(RBX, B(0x1100))) \
	X(movd_ld, XMM, "movd xmm2, dword ptr [rbx]", R(RBX, B(0x1100))) \
	X(movd_st, XMM, "movd dword ptr [rbx+4], xmm3", R(RBX, B(0x1100))) \
	X(addps, XMM, "addps xmm0, xmmword ptr [rbx]", R(RBX, B(0x1100))) \
	X(comisd, XMM, "comisd xmm1, qword ptr [rbx]", R(RBX, B(0x1100))) \
	X(movhps_st, XMM, "movhps qword ptr [rbx+2], xmm2", R(RBX, B(0x1100))) \
	X(pinsrd, XMM, "pinsrd xmm3, dword ptr [rbx], 2", R(RBX, B(0x1100)), \
	  .need = N_SSE41) \
	X(pextrb, XMM, "pextrb byte ptr [rbx+5], xmm1, 7", R(RBX, B(0x1100)), \
	  .need = N_SSE41) \
	X(movntdq, XMM, "movntdq xmmword ptr [rbx], xmm0", R(RBX, B(0x1100))) \
	/* --- AVX --- */ \
	X(vmovdqu_ld, YMM, "vmovdqu ymm0, ymmword ptr [rbx+7]", R(RBX, B(0x1100))) \
	X(vmovdqu_st, YMM, "vmovdqu ymmword ptr [rbx+9], ymm1", R(RBX, B(0x1100))) \
	X(vmovaps_ld, YMM, "vmovaps ymm2, ymmword ptr [rbx]", R(RBX, B(0x1100))) \
	X(vmovaps_st, YMM, "vmovaps ymmword ptr [rbx+0x40], ymm3", \
	  R(RBX, B(0x1100))) \
	X(vpaddd, YMM, "vpaddd ymm0, ymm1, ymmword ptr [rbx+4]", \
	  R(RBX, B(0x1100)), .need = N_AVX2) \
	X(vmaskmov_st, YMM, "vmaskmovps ymmword ptr [rbx], ymm1, ymm2", \
	  R(RBX, B(0x1100))) \
	X(vmaskmov_ld, YMM, "vmaskmovps ymm0, ymm1, ymmword ptr [rbx+4]", \
	  R(RBX, B(0x1100))) \
	X(vbcastss, YMM, "vbroadcastss ymm3, dword ptr [rbx]", R(RBX, B(0x1100))) \
	X(vmovd_ld, YMM, "vmovd xmm1, dword ptr [rbx]", R(RBX, B(0x1100))) \
	X(vmovdqu_x, YMM, "vmovdqu xmmword ptr [rbx+1], xmm2", R(RBX, B(0x1100))) \
	/* --- AVX2 gathers: each width and element size, masks all on, \
	 * partial, none; lanes straddling pages; duplicate indices --- */ \
	X(vgather, YMM, "vpgatherdd ymm0, dword ptr [rbx+ymm1*4], ymm2", \
	  R(RBX, B(0x1800)), .need = N_AVX2, .prep = prep_gather) \
	X(g_dd_x, YMM, "vpgatherdd xmm0, dword ptr [rbx+xmm1*2+0x10], xmm2", \
	  R(RBX, B(0x1800)), .need = N_AVX2, .prep = prep_gather) \
	X(g_dq_x, YMM, "vpgatherdq xmm0, qword ptr [rbx+xmm1*8], xmm2", \
	  R(RBX, B(0x1800)), .need = N_AVX2, .prep = prep_gather) \
	X(g_dq_y, YMM, "vpgatherdq ymm0, qword ptr [rbx+xmm1*8-8], ymm2", \
	  R(RBX, B(0x1800)), .need = N_AVX2, .prep = prep_gather) \
	X(g_qd_x, YMM, "vpgatherqd xmm0, dword ptr [rbx+xmm1*4], xmm2", \
	  R(RBX, B(0x1800)), .need = N_AVX2, .prep = prep_gather_q) \
	X(g_qd_y, YMM, "vpgatherqd xmm0, dword ptr [rbx+ymm1*1], xmm2", \
	  R(RBX, B(0x1800)), .need = N_AVX2, .prep = prep_gather_q) \
	X(g_qq_x, YMM, "vpgatherqq xmm0, qword ptr [rbx+xmm1*8], xmm2", \
	  R(RBX, B(0x1800)), .need = N_AVX2, .prep = prep_gather_q) \
	X(g_qq_y, YMM, "vpgatherqq ymm0, qword ptr [rbx+ymm1*4+0x20], ymm2", \
	  R(RBX, B(0x1800)), .need = N_AVX2, .prep = prep_gather_q) \
	X(g_dps_x, YMM, "vgatherdps xmm0, dword ptr [rbx+xmm1*4], xmm2", \
	  R(RBX, B(0x1800)), .need = N_AVX2, .prep = prep_gather) \
	X(g_dps_y, YMM, "vgatherdps ymm0, dword ptr [rbx+ymm1*8], ymm2", \
	  R(RBX, B(0x1800)), .need = N_AVX2, .prep = prep_gather) \
	X(g_dpd_x, YMM, "vgatherdpd xmm0, qword ptr [rbx+xmm1*8], xmm2", \
	  R(RBX, B(0x1800)), .need = N_AVX2, .prep = prep_gather) \
	X(g_dpd_y, YMM, "vgatherdpd ymm0, qword ptr [rbx+xmm1*2], ymm2", \
	  R(RBX, B(0x1800)), .need = N_AVX2, .prep = prep_gather) \
	X(g_qps_x, YMM, "vgatherqps xmm0, dword ptr [rbx+xmm1*4], xmm2", \
	  R(RBX, B(0x1800)), .need = N_AVX2, .prep = prep_gather_q) \
	X(g_qps_y, YMM, "vgatherqps xmm0, dword ptr [rbx+ymm1*4], xmm2", \
	  R(RBX, B(0x1800)), .need = N_AVX2, .prep = prep_gather_q) \
	X(g_qpd_x, YMM, "vgatherqpd xmm0, qword ptr [rbx+xmm1*8], xmm2", \
	  R(RBX, B(0x1800)), .need = N_AVX2, .prep = prep_gather_q) \
	X(g_qpd_y, YMM, "vgatherqpd ymm0, qword ptr [rbx+ymm1*8], ymm2", \
	  R(RBX, B(0x1800)), .need = N_AVX2, .prep = prep_gather_q) \
	X(g_dd_part, YMM, "vpgatherdd ymm0, dword ptr [rbx+ymm1*4], ymm2", \
	  R(RBX, B(0x1800)), .need = N_AVX2, .prep = prep_gather_part, \
	  LABEL("vpgatherdd ymm0, dword ptr [rbx+ymm1*4], ymm2 (lanes 0, 3, 4, 6 "\
		"enabled)")) \
	X(g_qpd_part, YMM, "vgatherqpd ymm0, qword ptr [rbx+ymm1*8], ymm2", \
	  R(RBX, B(0x1800)), .need = N_AVX2, .prep = prep_gather_q_part, \
	  LABEL("vgatherqpd ymm0, qword ptr [rbx+ymm1*8], ymm2 (lanes 1, 2 "\
		"enabled)")) \
	X(g_dq_part, YMM, "vpgatherdq ymm0, qword ptr [rbx+xmm1*8], ymm2", \
	  R(RBX, B(0x1800)), .need = N_AVX2, .prep = prep_gather_q_part, \
	  LABEL("vpgatherdq ymm0, qword ptr [rbx+xmm1*8], ymm2 (lanes 1, 2 "\
		"enabled)")) \
	X(g_none, YMM, "vpgatherdd ymm0, dword ptr [rbx+ymm1*4], ymm2", \
	  R(RBX, B(0x1800)), .need = N_AVX2, .prep = prep_gather_none, EXP0, \
	  LABEL("vpgatherdd ymm0, dword ptr [rbx+ymm1*4], ymm2 (no lane enabled)")) \
	X(g_dd_x87, YMM, "vpgatherdd ymm0, dword ptr [rbx+ymm1*1], ymm2", \
	  R(RBX, B(0x1000)), .need = N_AVX2, .prep = prep_gather_x, \
	  LABEL("vpgatherdd ymm0, dword ptr [rbx+ymm1*1], ymm2 (lanes on unwatched "\
		"pages, on watched ones, and straddling the two)")) \
	X(g_qq_x87, YMM, "vpgatherqq ymm0, qword ptr [rbx+ymm1*1], ymm2", \
	  R(RBX, B(0x1000)), .need = N_AVX2, .prep = prep_gather_q_x, \
	  LABEL("vpgatherqq ymm0, qword ptr [rbx+ymm1*1], ymm2 (lanes straddling "\
		"watched and unwatched pages)")) \
	X(g_dd_xonly, YMM, "vpgatherdd ymm0, dword ptr [rbx+ymm1*1], ymm2", \
	  R(RBX, B(0x1000)), .need = N_AVX2, .prep = prep_gather_x_part, \
	  LABEL("vpgatherdd ymm0, dword ptr [rbx+ymm1*1], ymm2 (only lanes on "\
		"unwatched pages and a straddling one enabled)")) \
	X(g_dup, YMM, "vpgatherdd ymm0, dword ptr [rbx+ymm1*4], ymm2", \
	  R(RBX, B(0x1800)), .need = N_AVX2, .prep = prep_gather_dup, \
	  LABEL("vpgatherdd ymm0, dword ptr [rbx+ymm1*4], ymm2 (every lane the "\
		"same index)")) \
	X(g_ronly, YMM, "vgatherdps ymm0, dword ptr [rbx+ymm1*4], ymm2", \
	  R(RBX, B(0x1800)), .need = N_AVX2, .prep = prep_gather, R_ONLY, \
	  LABEL("vgatherdps ymm0, dword ptr [rbx+ymm1*4], ymm2 (read watch)")) \
	X(g_wonly, YMM, "vgatherdps ymm0, dword ptr [rbx+ymm1*4], ymm2", \
	  R(RBX, B(0x1800)), .need = N_AVX2, .prep = prep_gather, W_ONLY, EXP0, \
	  LABEL("vgatherdps ymm0, dword ptr [rbx+ymm1*4], ymm2 (write watch: "\
		"not counted)")) \
	X(g_lane4, YMM, "vpgatherdd ymm0, dword ptr [rbx+ymm1*4], ymm2", \
	  R(RBX, B(0x1800)), .need = N_AVX2, .prep = prep_gather, WATCH(0x1990, 4, MW_ACCESS), \
	  LABEL("vpgatherdd ymm0, dword ptr [rbx+ymm1*4], ymm2 (only lane 4's "\
		"4 bytes watched)")) \
	X(g_nolane, YMM, "vpgatherdd ymm0, dword ptr [rbx+ymm1*4], ymm2", \
	  R(RBX, B(0x1800)), .need = N_AVX2, .prep = prep_gather, WATCH(0x1f00, 8, MW_ACCESS), EXP0, \
	  LABEL("vpgatherdd ymm0, dword ptr [rbx+ymm1*4], ymm2 (the page watched, "\
		"no lane's bytes)")) \
	X(g_nobase, YMM, "vpgatherdd ymm0, dword ptr [ymm1*4+0x10001800], ymm2", \
	  .need = N_AVX2, .prep = prep_gather) \
	X(g_r11, YMM, "vpgatherqq ymm0, qword ptr [r11+ymm1*8], ymm2", \
	  R(R11, B(0x1800)), .need = N_AVX2, .prep = prep_gather_q) \
	X(g_a32, YMM, "vpgatherdd ymm0, dword ptr [ebx+ymm1*4], ymm2", \
	  R(RBX, 0x5555000000000000ULL | B(0x1800)), .need = N_AVX2, \
	  .prep = prep_gather, LABEL("vpgatherdd ymm0, dword ptr [ebx+ymm1*4], ymm2 "\
		"(32-bit addresses, garbage above ebx)")) \
	/* --- AVX-512 --- */ \
	X(z_ld, ZMM, "vmovdqu64 zmm0, zmmword ptr [rbx+8]", R(RBX, B(0x1100))) \
	X(z_st, ZMM, "vmovdqu64 zmmword ptr [rbx+0x48], zmm1", R(RBX, B(0x1100))) \
	X(z_ld_d8, ZMM, "vmovdqu64 zmm1, zmmword ptr [rbx+0x80]", \
	  R(RBX, B(0x1100))) \
	X(z_st_d8, ZMM, "vmovdqu64 zmmword ptr [rbx-0x40], zmm3", \
	  R(RBX, B(0x1100))) \
	X(z_mst, ZMM, "vmovdqu32 zmmword ptr [rbx]{k1}, zmm2", R(RBX, B(0x1100)), \
	  K1(0xa5c3)) \
	X(z_mld, ZMM, "vmovdqu32 zmm3{k1}{z}, zmmword ptr [rbx+4]", \
	  R(RBX, B(0x1100)), K1(0x3c5a)) \
	X(z_bcst, ZMM, "vpaddq zmm0, zmm1, qword bcst [rbx]", R(RBX, B(0x1100))) \
	X(z_mst_out, ZMM, "vmovdqu32 zmmword ptr [rbx]{k1}, zmm2", \
	  R(RBX, B(0x2fe0)), K1(0xff00), EXP0, \
	  LABEL("vmovdqu32 zmmword ptr [rbx]{k1}, zmm2 (only the lanes on the " \
		"unwatched page enabled)")) \
	X(z_mst_in, ZMM, "vmovdqu32 zmmword ptr [rbx]{k1}, zmm2", \
	  R(RBX, B(0x2fe0)), K1(0x00ff), \
	  LABEL("vmovdqu32 zmmword ptr [rbx]{k1}, zmm2 (only the lanes on the " \
		"watched page enabled)")) \
	X(z_st_x, ZMM, "vmovdqu64 zmmword ptr [rbx], zmm2", R(RBX, B(0x2fe0)), \
	  LABEL("vmovdqu64 zmmword ptr [rbx], zmm2 (straddling watched and " \
		"unwatched pages)")) \
	/* --- x87 --- */ \
	X(fld_t, X87O, "fld tbyte ptr [rbx]", R(RBX, B(0x1100)), .prep = prep_fld_t) \
	X(fstp_t, X87I, "fstp tbyte ptr [rbx+0x10]", R(RBX, B(0x1100))) \
	X(fild_q, X87O, "fild qword ptr [rbx]", R(RBX, B(0x1100))) \
	X(fistp_q, X87I, "fistp qword ptr [rbx+8]", R(RBX, B(0x1100))) \
	X(fld_d, X87O, "fld qword ptr [rbx]", R(RBX, B(0x1100)), \
	  POKE(0, 0x1100, 8, 0x400921fb54442d18ULL)) \
	X(fadd_d, X87IO, "fadd qword ptr [rbx]", R(RBX, B(0x1100)), \
	  POKE(0, 0x1100, 8, 0x4004000000000000ULL)) \
	X(fst_s, X87IO, "fst dword ptr [rbx+4]", R(RBX, B(0x1100))) \
	X(fnstcw, X87, "fnstcw word ptr [rbx+6]", R(RBX, B(0x1100))) \
	/* --- string instructions --- */ \
	X(movsb, NONE, "movsb", R(RSI, B(0x0100)), R(RDI, B(0x1100)), \
	  LABEL("movsb (unwatched to watched)")) \
	X(movsq, NONE, "movsq", R(RSI, B(0x1200)), R(RDI, B(0x0200)), \
	  LABEL("movsq (watched to unwatched)")) \
	X(rep_movsb, NONE, "rep movsb", R(RSI, B(0x1300)), R(RDI, B(0x2100)), \
	  R(RCX, 100)) \
	X(rep_movsq, NONE, "rep movsq", R(RSI, B(0x2200)), R(RDI, B(0x1400)), \
	  R(RCX, 20)) \
	X(rep_movsb_x, NONE, "rep movsb", R(RSI, B(0x4000)), R(RDI, B(0x0f00)), \
	  R(RCX, 0x2200), LABEL("rep movsb, destination unwatched -> watched " \
				"-> unwatched (0x2200 bytes)")) \
	X(rep_movsb_xs, NONE, "rep movsb", R(RSI, B(0x0800)), R(RDI, B(0x4800)), \
	  R(RCX, 0x3000), LABEL("rep movsb, source unwatched -> watched -> " \
				"unwatched (0x3000 bytes)")) \
	X(rep_movsq_b, NONE, "std; rep movsq", R(RSI, B(0x7000)), \
	  R(RDI, B(0x3100)), R(RCX, 0x440), \
	  LABEL("std; rep movsq backward, destination unwatched -> watched -> " \
		"unwatched")) \
	X(movsb_b, NONE, "std; movsb", R(RSI, B(0x1500)), R(RDI, B(0x0500))) \
	X(rep_movsb_0, NONE, "rep movsb", R(RSI, B(0x1300)), R(RDI, B(0x2100)), \
	  R(RCX, 0), EXP0, LABEL("rep movsb with rcx = 0")) \
	X(stosb, NONE, "stosb", R(RDI, B(0x1600))) \
	X(stosq, NONE, "stosq", R(RDI, B(0x1608))) \
	X(rep_stosb, NONE, "rep stosb", R(RDI, B(0x1700)), R(RCX, 77)) \
	X(rep_stosq_x, NONE, "rep stosq", R(RDI, B(0x0ff8)), R(RCX, 0x410), \
	  LABEL("rep stosq, unwatched -> watched -> unwatched")) \
	X(rep_stosb_b, NONE, "std; rep stosb", R(RDI, B(0x1050)), R(RCX, 0x60), \
	  LABEL("std; rep stosb backward, watched -> unwatched")) \
	X(lodsb, NONE, "lodsb", R(RSI, B(0x1700))) \
	X(rep_lodsq, NONE, "rep lodsq", R(RSI, B(0x1700)), R(RCX, 5)) \
	X(cmpsb, NONE, "cmpsb", R(RSI, B(0x1800)), R(RDI, B(0x0800))) \
	X(repe_cmpsb, NONE, "repe cmpsb", R(RSI, B(0x1900)), R(RDI, B(0x2900)), \
	  R(RCX, 200), .prep = prep_repe_cmpsb, \
	  LABEL("repe cmpsb (37 bytes equal)")) \
	X(repne_cmpsb, NONE, "repne cmpsb", R(RSI, B(0x1900)), R(RDI, B(0x5900)), \
	  R(RCX, 200), .prep = prep_repne_cmpsb, \
	  LABEL("repne cmpsb (equal at byte 50)")) \
	X(scasb, NONE, "scasb", R(RDI, B(0x1a00))) \
	X(repne_scasb, NONE, "repne scasb", R(RDI, B(0x1a00)), \
	  R(RAX, 0x12345678abcdefabULL), R(RCX, 300), .prep = prep_repne_scasb, \
	  LABEL("repne scasb (found at byte 60)")) \
	X(repe_scasb, NONE, "repe scasb", R(RDI, B(0x2a00)), \
	  R(RAX, 0x12345678abcdef3cULL), R(RCX, 300), .prep = prep_repe_scasb, \
	  LABEL("repe scasb (25 bytes equal)")) \
	/* --- stack and control flow through memory --- */ \
	X(push_m, NONE, "push qword ptr [rbx]; pop r10", R(RBX, B(0x1100)), \
	  LABEL("push qword ptr [rbx]")) \
	X(pop_m, NONE, "push r10; pop qword ptr [rbx+8]", R(RBX, B(0x1100)), \
	  LABEL("pop qword ptr [rbx+8]")) \
	X(call_m, NONE, "call qword ptr [rbx]", R(RBX, B(0x1100)), \
	  .prep = prep_call_ptr) \
	X(jmp_m, NONE, "jmp qword ptr [rbx]; ud2; corpus_jmp_target: lea r11, [r11+0x2222]", \
	  R(RBX, B(0x1100)), .prep = prep_jmp_ptr, LABEL("jmp qword ptr [rbx]")) \
	X(call_rip, NONE, "call qword ptr [rip+corpus_global+0x80]", WG, \
	  .prep = prep_call_rip) \
	X(jmp_rip, NONE, "jmp qword ptr [rip+corpus_global+0x88]; ud2; " \
	  "corpus_jmp_target2: lea r11, [r11+0x3333]", WG, .prep = prep_jmp_rip, \
	  LABEL("jmp qword ptr [rip+corpus_global+0x88]")) \
	/* --- operands that name the same register twice, implicit operands, \
	 *     unusual encodings --- */ \
	X(ld_self, NONE, "mov rax, qword ptr [rax]", R(RAX, B(0x1100))) \
	X(add_self, NONE, "add qword ptr [rcx+rcx*2], rcx", \
	  R(RCX, (CORPUS_BUF + 0x1100) / 3)) \
	X(xchg_self, NONE, "xchg qword ptr [rax], rax", R(RAX, B(0x1100))) \
	X(cx_base_rax, NONE, "lock cmpxchg qword ptr [rax], rcx", \
	  R(RAX, B(0x1100)), \
	  LABEL("lock cmpxchg qword ptr [rax], rcx (rax is base and " \
		"comparand; different)")) \
	X(cx_base_rax_ok, NONE, "lock cmpxchg qword ptr [rax], rcx", \
	  R(RAX, B(0x1100)), POKE(0, 0x1100, 8, B(0x1100)), \
	  LABEL("lock cmpxchg qword ptr [rax], rcx (rax is base and " \
		"comparand; equal)")) \
	X(cx_ah, NONE, "lock cmpxchg byte ptr [rbx], ah", R(RBX, B(0x1100)), \
	  R(RAX, 0x1111111111112200ULL), POKE(0, 0x1100, 1, 0x00)) \
	X(xadd_bh, NONE, "lock xadd byte ptr [rsi], bh", R(RSI, B(0x1100))) \
	X(cx8_rbx, NONE, "lock cmpxchg8b qword ptr [rbx+8]", R(RBX, B(0x1100)), \
	  R(RAX, 0x22222222eeeeffffULL), R(RDX, 0x33333333ccccddddULL), \
	  POKE(0, 0x1108, 8, 0xccccddddeeeeffffULL), \
	  LABEL("lock cmpxchg8b qword ptr [rbx+8] (rbx is base and new low " \
		"half; equal)")) \
	X(cx16_r8, NONE, "lock cmpxchg16b xmmword ptr [r8+rcx*8]", \
	  R(R8, B(0x1100)), R(RCX, 4), \
	  R(RAX, 0x1111222233334444ULL), R(RDX, 0x5555666677778888ULL), \
	  POKE(0, 0x1120, 8, 0x1111222233334444ULL), \
	  POKE(1, 0x1128, 8, 0x5555666677778888ULL), \
	  LABEL("lock cmpxchg16b xmmword ptr [r8+rcx*8] (equal)")) \
	X(st_many, NONE, "mov qword ptr [r14+r15*8+0x10], r13", \
	  R(R14, B(0x1100)), R(R15, 6)) \
	X(xlatb, NONE, "xlatb", R(RBX, B(0x1100)), R(RAX, 0x12345678abcdefc8ULL), \
	  LABEL("xlatb (reads [rbx+al], al = 0xc8)")) \
	X(movabs_ld, NONE, "movabs rax, qword ptr [0x10001100]") \
	X(movabs_st, NONE, "movabs byte ptr [0x10001107], al") \
	X(abs_ld, NONE, "mov ecx, dword ptr [0x10001104]", \
	  LABEL("mov ecx, dword ptr [0x10001104] (absolute disp32, no base)")) \
	X(movnti, NONE, "movnti qword ptr [rbx], rax", R(RBX, B(0x1100))) \
	X(popcnt, NONE, "popcnt rax, qword ptr [rbx]", R(RBX, B(0x1100)), \
	  .need = N_POPCNT) \
	X(crc32, NONE, "crc32 rax, qword ptr [rbx]", R(RBX, B(0x1100)), \
	  .need = N_SSE42) \
	X(andn, NONE, "andn rax, rcx, qword ptr [rbx]", R(RBX, B(0x1100)), \
	  .need = N_BMI) \
	X(shlx, NONE, "shlx rdx, qword ptr [rbx], rcx", R(RBX, B(0x1100)), \
	  .need = N_BMI2) \
	X(lock_xadd_rip, NONE, "lock xadd dword ptr [rip+corpus_global+0x60], esi", \
	  WG) \
	X(lock_add16, NONE, "lock add word ptr [r9], r10w", R(R9, B(0x1102)), \
	  LABEL("lock add word ptr [r9], r10w (66, lock and REX prefixes)")) \
	X(xchg_ah, NONE, "xchg byte ptr [rbx], ah", R(RBX, B(0x1100))) \
	X(bt16_far, NONE, "bt word ptr [rbx], cx", R(RBX, B(0x1010)), \
	  R(RCX, 0x7ff0), FL(0), \
	  LABEL("bt word ptr [rbx], cx (cx = 0x7ff0: word 0xffe bytes on, on " \
		"the next page)")) \
	X(fs_ld, NONE, "mov rax, qword ptr fs:[rbx]", .prep = prep_fs_rbx, \
	  LABEL("mov rax, qword ptr fs:[rbx] (rbx = buffer - FS base)")) \
	X(fs_st, NONE, "mov qword ptr fs:[rbx+8], rcx", .prep = prep_fs_rbx, \
	  LABEL("mov qword ptr fs:[rbx+8], rcx (rbx = buffer - FS base)")) \
	X(fs_movsb, NONE, "movs byte ptr es:[rdi], byte ptr fs:[rsi]", \
	  R(RDI, B(0x0300)), .prep = prep_fs_rsi, \
	  LABEL("movs byte ptr es:[rdi], byte ptr fs:[rsi] (rsi = buffer - " \
		"FS base)")) \
	X(fld_t_x, X87O, "fld tbyte ptr [rbx]", R(RBX, B(0x2ffb)), \
	  .prep = prep_fld_t, \
	  LABEL("fld tbyte ptr [rbx] (straddling watched, unwatched)")) \
	X(z_rip, ZMM, "vmovdqu64 zmm0, zmmword ptr [rip+corpus_global+0x40]", WG) \
	/* --- string instructions ending or overlapping around the watch --- */ \
	X(rep_movsb_ovl, NONE, "rep movsb", R(RSI, B(0x1100)), R(RDI, B(0x1101)), \
	  R(RCX, 0x200), LABEL("rep movsb, destination = source + 1 (byte " \
			       "replication)")) \
	X(repe_cmpsb_x, NONE, "repe cmpsb", R(RSI, B(0x2ff0)), R(RDI, B(0x5ff0)), \
	  R(RCX, 100), .prep = prep_repe_cmpsb, \
	  LABEL("repe cmpsb leaving the watched page, stops 21 bytes later")) \
	X(repne_scasb_x, NONE, "repne scasb", R(RDI, B(0x2fe0)), \
	  R(RAX, 0x12345678abcdefabULL), R(RCX, 300), .prep = prep_repne_scasb, \
	  LABEL("repne scasb leaving the watched page, found 28 bytes later")) \
	X(rep_lodsb_x, NONE, "rep lodsb", R(RSI, B(0x0ff0)), R(RCX, 0x40), \
	  LABEL("rep lodsb from an unwatched into a watched page")) \
	X(repe_cmpsq_ww, NONE, "repe cmpsq", R(RSI, B(0x1100)), \
	  R(RDI, B(0x2100)), R(RCX, 9), .prep = prep_cmpsq_equal, \
	  LABEL("repe cmpsq, both operands watched, all equal")) \
	/* --- AVX-512 masks and byte-exact watches --- */ \
	X(z_mst_miss, ZMM, "vmovdqu32 zmmword ptr [rbx]{k1}, zmm2", \
	  R(RBX, B(0x1100)), K1(0x00ff), WATCH(0x1120, 0x20, MW_ACCESS), EXP0, \
	  LABEL("vmovdqu32 zmmword ptr [rbx]{k1}, zmm2 (enabled lanes miss " \
		"the watched bytes)")) \
	X(z_mld_miss, ZMM, "vmovdqu32 zmm0{k1}{z}, zmmword ptr [rbx]", \
	  R(RBX, B(0x1100)), K1(0x00ff), WATCH(0x1120, 0x20, MW_ACCESS), EXP0, \
	  LABEL("vmovdqu32 zmm0{k1}{z}, zmmword ptr [rbx] (enabled lanes miss " \
		"the watched bytes)")) \
	X(z_mst_hit, ZMM, "vmovdqu32 zmmword ptr [rbx]{k1}, zmm2", \
	  R(RBX, B(0x1100)), K1(0x0100), WATCH(0x1120, 0x20, MW_ACCESS), \
	  LABEL("vmovdqu32 zmmword ptr [rbx]{k1}, zmm2 (one enabled lane on " \
		"the watched bytes)")) \
	X(vmask_miss, YMM, "vmaskmovps ymmword ptr [rbx], ymm1, ymm2", \
	  R(RBX, B(0x1100)), WATCH(0x1110, 0x10, MW_ACCESS), EXP0, \
	  .prep = prep_vmask_low, \
	  LABEL("vmaskmovps ymmword ptr [rbx], ymm1, ymm2 (enabled lanes miss " \
		"the watched bytes)")) \
	/* --- accesses straddling a page boundary --- */ \
	X(st_ww, NONE, "mov qword ptr [rbx], rax", R(RBX, B(0x1ffd)), \
	  LABEL("mov qword ptr [rbx], rax (3 bytes before the end of a watched " \
		"page, rest on the next watched page)")) \
	X(st_wu, NONE, "mov qword ptr [rbx], rax", R(RBX, B(0x2ffd)), \
	  LABEL("mov qword ptr [rbx], rax (3 bytes on a watched page, rest on " \
		"an unwatched one)")) \
	X(st_uw, NONE, "mov qword ptr [rbx], rax", R(RBX, B(0x0ffd)), \
	  LABEL("mov qword ptr [rbx], rax (3 bytes on an unwatched page, rest " \
		"on a watched one)")) \
	X(ld_ww, NONE, "mov rax, qword ptr [rbx]", R(RBX, B(0x1ffd)), \
	  LABEL("mov rax, qword ptr [rbx] (straddling two watched pages)")) \
	X(ld_wu, NONE, "mov rax, qword ptr [rbx]", R(RBX, B(0x2ffd)), \
	  LABEL("mov rax, qword ptr [rbx] (straddling watched, unwatched)")) \
	X(ld_uw, NONE, "mov rax, qword ptr [rbx]", R(RBX, B(0x0ffd)), \
	  LABEL("mov rax, qword ptr [rbx] (straddling unwatched, watched)")) \
	X(add_wu, NONE, "add qword ptr [rbx], rcx", R(RBX, B(0x2ffd)), \
	  LABEL("add qword ptr [rbx], rcx (straddling watched, unwatched)")) \
	X(cx_wu, NONE, "cmpxchg qword ptr [rbx], rcx", R(RBX, B(0x2ffc)), \
	  LABEL("cmpxchg qword ptr [rbx], rcx (no lock; straddling watched, " \
		"unwatched)")) \
	X(movdqu_wu, XMM, "movdqu xmm0, xmmword ptr [rbx]", R(RBX, B(0x2ff9)), \
	  LABEL("movdqu xmm0, xmmword ptr [rbx] (straddling watched, " \
		"unwatched)")) \
	X(vmovdqu_uw, YMM, "vmovdqu ymmword ptr [rbx], ymm1", R(RBX, B(0x0ff0)), \
	  LABEL("vmovdqu ymmword ptr [rbx], ymm1 (straddling unwatched, " \
		"watched)")) \
	X(st_wu_wo, NONE, "mov dword ptr [rbx], ecx", R(RBX, B(0x2ffe)), W_ONLY, \
	  LABEL("mov dword ptr [rbx], ecx (straddling write-watched, " \
		"unwatched)")) \
	X(ld_wu_wo, NONE, "mov ecx, dword ptr [rbx]", R(RBX, B(0x2ffe)), W_ONLY, \
	  EXP0, LABEL("mov ecx, dword ptr [rbx] (straddling write-watched, " \
		      "unwatched)")) \
	X(st_exact_x, NONE, "mov qword ptr [rbx], rax", R(RBX, B(0x2ffd)), \
	  WATCH(0x2ffe, 2, MW_ACCESS), \
	  LABEL("mov qword ptr [rbx], rax (straddling; only the last 2 bytes " \
		"of the page watched)")) \
	/* --- found by fuzzing (tests/fuzz-insn.c, tests/t-fuzz-exec.c) --- */ \
	X(fz_rex67, NONE, ".byte 0x48, 0x67, 0xab", \
	  R(RDI, 0x7777000000000000ULL | B(0x1100)), \
	  LABEL("48 67 ab: addr32 stosd (a REX before another prefix is " \
		"ignored; without the 67 it would make stosq)")) \
	X(fz_ac, NONE, "mov qword ptr [rbx], rax", R(RBX, B(0x1100)), FL(0x40000), \
	  LABEL("mov qword ptr [rbx], rax (aligned) with RFLAGS.AC set")) \
	X(fz_cvtnan, XMM, "cvttss2si ecx, dword ptr [rbx]", R(RBX, B(0x1100)), \
	  POKE(0, 0x1100, 4, 0x7fc00000), \
	  LABEL("cvttss2si ecx, dword ptr [rbx] (a NaN: sets MXCSR.IE, no vector " \
		"register operand)")) \
	X(fz_fxsave, XMM, "pxor xmm4, xmm4; pxor xmm5, xmm5; pxor xmm6, xmm6; " \
	  "pxor xmm7, xmm7; pxor xmm8, xmm8; pxor xmm9, xmm9; pxor xmm10, xmm10; " \
	  "pxor xmm11, xmm11; pxor xmm12, xmm12; pxor xmm13, xmm13; " \
	  "pxor xmm14, xmm14; pxor xmm15, xmm15; fxsave [rbx]", R(RBX, B(0x1200)), \
	  LABEL("fxsave [rbx] (xmm4-15 cleared first: the harness sets only " \
		"xmm0-3)")) \
	X(fz_fxrstor, XMM, "fxrstor [rbx]", R(RBX, B(0x1200)), .prep = prep_fxrstor) \
	X(fz_xsave, XMM, "pxor xmm4, xmm4; pxor xmm5, xmm5; pxor xmm6, xmm6; " \
	  "pxor xmm7, xmm7; pxor xmm8, xmm8; pxor xmm9, xmm9; pxor xmm10, xmm10; " \
	  "pxor xmm11, xmm11; pxor xmm12, xmm12; pxor xmm13, xmm13; " \
	  "pxor xmm14, xmm14; pxor xmm15, xmm15; xsave [rbx]", R(RBX, B(0x1200)), \
	  R(RAX, 3), R(RDX, 0), \
	  LABEL("xsave [rbx] of x87 and SSE (xmm4-15 cleared first)")) \
	X(fz_clflush, NONE, "clflush [rbx]", R(RBX, B(0x7fe7)), \
	  WATCH(0x7000, 0x1000, MW_ACCESS), \
	  LABEL("clflush [rbx] (rbx 25 bytes before the end of the buffer: " \
		"its line, not 64 bytes from rbx)"))

/* --- preparations that pokes cannot express --- */

/* A valid FXSAVE image: the current state, with xmm0 changed. */
static void prep_fxrstor(struct ctx *c)
{
	uint8_t *p = (uint8_t *)(uintptr_t)c->r[RBX];

	__asm__ volatile("fxsave %0" : "=m"(*(uint8_t (*)[512])p));
	memset(p + 160, 0x5a, 16);
}

/* Gathers: ymm1 holds the indices, ymm2 the mask (the sign bit of each
 * element of the data's size enables its lane); ymm0 is the destination. */
static void gather_mask(struct ctx *c, unsigned elem, unsigned lanes)
{
	/* Disabled lanes keep other bits set: the processor clears them all. */
	memset(c->v[2], 0x7f, 32);
	for (unsigned j = 0; j < 32 / elem; j++)
		if (lanes & (1u << j))
			memset(c->v[2] + j * elem, 0xff, elem);
}

static void prep_gather(struct ctx *c)
{
	static const int32_t idx[8] = { 0, 1, -2, 5, 100, -50, 7, 3 };
	memcpy(c->v[1], idx, sizeof(idx));
	gather_mask(c, 4, 0xff);
}

static void prep_gather_q(struct ctx *c)
{
	static const int64_t idx[4] = { 0, -3, 17, 5 };
	memcpy(c->v[1], idx, sizeof(idx));
	gather_mask(c, 4, 0xff);
}

static void prep_gather_part(struct ctx *c)
{
	prep_gather(c);
	gather_mask(c, 4, 0x59);
}

static void prep_gather_q_part(struct ctx *c)
{
	prep_gather_q(c);
	gather_mask(c, 8, 0x6);
}

static void prep_gather_none(struct ctx *c)
{
	prep_gather(c);
	gather_mask(c, 4, 0);
}

/* From rbx = page 1 (watched pages 1-2), scale 1: page 0, straddling
 * pages 0/1, page 1, page 2, straddling 2/3, page 3, page 0, page 2. */
static const int32_t gather_x_idx[8] = { -8, -2, 0, 0x1004, 0x1ffe, 0x2000, -0x1000, 0x1000 };

static void prep_gather_x(struct ctx *c)
{
	memcpy(c->v[1], gather_x_idx, sizeof(gather_x_idx));
	gather_mask(c, 4, 0xff);
}

/* Lanes 0 (page 0), 1 (straddling into page 1), 5 (page 3), 6 (page 0). */
static void prep_gather_x_part(struct ctx *c)
{
	prep_gather_x(c);
	gather_mask(c, 4, 0x63);
}

/* Straddling pages 0/1, straddling 2/3, page 0, page 3. */
static void prep_gather_q_x(struct ctx *c)
{
	static const int64_t idx[4] = { -4, 0x1ffc, -0x800, 0x2008 };
	memcpy(c->v[1], idx, sizeof(idx));
	gather_mask(c, 8, 0xf);
}

static void prep_gather_dup(struct ctx *c)
{
	for (int j = 0; j < 8; j++) {
		int32_t v = 9;
		memcpy(c->v[1] + 4 * j, &v, 4);
	}
	gather_mask(c, 4, 0xff);
}

static void prep_fld_t(struct ctx *c)
{
	long double v = 3.14159265358979323846264338327950288L;
	memcpy((void *)(uintptr_t)c->r[RBX], &v, 10);
}

/* Segment-relative forms: glibc keeps the thread pointer (= FS base) at
 * fs:0.  Forked children run on the same thread block as their parent. */
static uint64_t fs_base(void)
{
	uint64_t v;
	__asm__ volatile("mov %%fs:0, %0" : "=r"(v));
	return v;
}

static void prep_fs_rbx(struct ctx *c)
{
	c->r[RBX] = B(0x1100) - fs_base();
}

static void prep_fs_rsi(struct ctx *c)
{
	c->r[RSI] = B(0x1200) - fs_base();
}

static void put_ptr(uint64_t where, const void *p)
{
	uintptr_t v = (uintptr_t)p;
	memcpy((void *)(uintptr_t)where, &v, sizeof(v));
}

static void prep_call_ptr(struct ctx *c)
{
	put_ptr(c->r[RBX], corpus_call_target);
}

static void prep_jmp_ptr(struct ctx *c)
{
	put_ptr(c->r[RBX], corpus_jmp_target);
}

static void prep_call_rip(struct ctx *c)
{
	(void)c;
	put_ptr((uintptr_t)corpus_global + 0x80, corpus_call_target);
}

static void prep_jmp_rip(struct ctx *c)
{
	(void)c;
	put_ptr((uintptr_t)corpus_global + 0x88, corpus_jmp_target2);
}

static void prep_repe_cmpsb(struct ctx *c)
{
	uint8_t *s = (uint8_t *)(uintptr_t)c->r[RSI];
	uint8_t *d = (uint8_t *)(uintptr_t)c->r[RDI];
	memcpy(d, s, 37);
	d[37] = (uint8_t)(s[37] ^ 1);
}

static void prep_repne_cmpsb(struct ctx *c)
{
	uint8_t *s = (uint8_t *)(uintptr_t)c->r[RSI];
	uint8_t *d = (uint8_t *)(uintptr_t)c->r[RDI];
	for (int i = 0; i < 50; i++)
		d[i] = (uint8_t)(s[i] ^ 0x5a);
	d[50] = s[50];
}

static void prep_repne_scasb(struct ctx *c)
{
	uint8_t *d = (uint8_t *)(uintptr_t)c->r[RDI];
	uint8_t al = (uint8_t)c->r[RAX];
	for (int i = 0; i < 60; i++)
		if (d[i] == al)
			d[i] = (uint8_t)(al + 1);
	d[60] = al;
}

static void prep_cmpsq_equal(struct ctx *c)
{
	memcpy((void *)(uintptr_t)c->r[RDI], (void *)(uintptr_t)c->r[RSI],
	       8 * c->r[RCX]);
}

/* ymm1 (the mask) enables lanes 0-3 only, ymm2 gets stored. */
static void prep_vmask_low(struct ctx *c)
{
	memset(c->v[1], 0, 32);
	memset(c->v[1], 0x80, 16);
}

static void prep_repe_scasb(struct ctx *c)
{
	uint8_t *d = (uint8_t *)(uintptr_t)c->r[RDI];
	uint8_t al = (uint8_t)c->r[RAX];
	memset(d, al, 25);
	d[25] = (uint8_t)~al;
}

/* --- the forms: asm routines, declarations, table --- */

#define ASM_FORM(sym, kind, insn, ...) \
	__asm__(".pushsection .text\n" \
		".intel_syntax noprefix\n" \
		".globl cf_" #sym "\n" \
		".type cf_" #sym ", @function\n" \
		"cf_" #sym ":\n" \
		"CF_PRO " #kind "\n" \
		insn "\n" \
		"CF_EPI " #kind "\n" \
		".size cf_" #sym ", .-cf_" #sym "\n" \
		".att_syntax prefix\n" \
		".popsection\n");
CORPUS(ASM_FORM)

#define DECL_FORM(sym, kind, insn, ...) void cf_##sym(struct ctx *);
CORPUS(DECL_FORM)

#define TAB_FORM(sym, knd, text, ...) \
	{ .insn = text, .fn = cf_##sym, .kind = K_##knd, __VA_ARGS__ },
static const struct form forms[] = { CORPUS(TAB_FORM) };
#define NFORMS ((int)(sizeof(forms) / sizeof(forms[0])))

/* --- running one form in a child --- */

enum stage { ST_NONE, ST_MAPPED, ST_WATCHED, ST_RAN, ST_COUNTED,
	     ST_UNWATCHED, ST_DONE };
static const char *const stage_name[] = {
	"before mapping the buffer", "in mw_watch",
	"running the instruction (between mw_watch and its return)",
	"after the instruction, in mw_count/mw_total_count",
	"in mw_unwatch", "after mw_unwatch, copying the results", "done",
};

struct result {
	int stage;
	int watch_rc, count_rc0, count_rc1, unwatch_rc;
	uint64_t c0, c1, t0, t1;
	struct ctx ctx;
	uint8_t mem[BUF_SIZE];
	uint8_t glob[GLOBAL_SIZE];
};

static uint64_t mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static void fill_pattern(uint8_t *p, size_t n, uint64_t seed)
{
	for (size_t i = 0; i < n; i += 8) {
		uint64_t v = mix64(seed + i);
		memcpy(p + i, &v, n - i < 8 ? n - i : 8);
	}
}

static void init_ctx(const struct form *f, int idx, struct ctx *c)
{
	static const uint64_t flag_sets[4] = {
		0x202, 0x202 | CF, 0x202 | ZF | PF, 0x202 | SF | OF | AF | CF,
	};

	memset(c, 0, sizeof(*c));
	for (int i = 0; i < 16; i++)
		c->r[i] = f->reg[i].set ? f->reg[i].v
					: mix64((uint64_t)idx * 64 + (uint64_t)i);
	c->flags = f->flags ? f->flags : flag_sets[idx % 4];
	for (int i = 0; i < 4; i++)
		fill_pattern(c->v[i], 64, 0x1000 + (uint64_t)idx * 8 + (uint64_t)i);
	long double st0 = -1234.5625L;
	memcpy(c->st0, &st0, 10);
	c->k1 = f->k1set ? f->k1 : 0xa5c3;
}

static void child(const struct form *f, int idx, int watched,
		  struct result *res)
{
	struct ctx c;
	void *buf;
	int id = 0;

	buf = mmap((void *)CORPUS_BUF, BUF_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (buf != (void *)CORPUS_BUF) {
		fprintf(stderr, "mmap at %#lx: %s\n", CORPUS_BUF, strerror(errno));
		_exit(3);
	}
	fill_pattern(buf, BUF_SIZE, 0x5eed);
	fill_pattern(corpus_global, GLOBAL_SIZE, 0x610b);
	init_ctx(f, idx, &c);
	for (int i = 0; i < 3; i++)
		if (f->poke[i].len)
			memcpy((uint8_t *)buf + f->poke[i].off, &f->poke[i].v,
			       (size_t)f->poke[i].len);
	if (f->prep)
		f->prep(&c);
	res->stage = ST_MAPPED;

	if (watched) {
		const uint8_t *base = f->w.global ? corpus_global : buf;
		long off = f->w.len ? f->w.off : 0x1000;
		size_t len = f->w.len ? f->w.len : 0x2000;
		unsigned fl = f->w.len ? f->w.flags : MW_ACCESS;

		id = mw_watch(base + off, len, fl);
		res->watch_rc = id;
		if (id <= 0)
			_exit(4);
		res->t0 = mw_total_count();
		res->count_rc0 = mw_count(id, &res->c0);
	}
	res->stage = ST_WATCHED;
	f->fn(&c);
	res->stage = ST_RAN;
	if (watched) {
		res->count_rc1 = mw_count(id, &res->c1);
		res->t1 = mw_total_count();
		res->stage = ST_COUNTED;
		res->unwatch_rc = mw_unwatch(id);
	}
	res->stage = ST_UNWATCHED;
	memcpy(&res->ctx, &c, sizeof(c));
	memcpy(res->mem, buf, BUF_SIZE);
	memcpy(res->glob, corpus_global, GLOBAL_SIZE);
	res->stage = ST_DONE;
	_exit(0);
}

struct run_args {
	const struct form *f;
	int idx, watched;
	struct result *res;
};

static void run_form(void *arg)
{
	struct run_args *a = arg;

	child(a->f, a->idx, a->watched, a->res);
}

/* Runs the form in a child; returns its wait status and its stderr. */
static int run_child(const struct form *f, int idx, int watched,
		     struct result *res, char *err, size_t errsz)
{
	struct child c = { .flags = CHILD_STDERR | CHILD_NO_CORE,
			   .alarm = CHILD_TIMEOUT, .out = err, .len = errsz };
	struct run_args a = { f, idx, watched, res };

	memset(res, 0, sizeof(*res));
	return child_run(&c, run_form, &a);
}

static void diag_stderr(const char *err)
{
	int lines = 0;

	while (*err && lines < 8) {
		const char *nl = strchr(err, '\n');
		int len = nl ? (int)(nl - err) : (int)strlen(err);
		diag("  child stderr: %.*s", len, err);
		lines++;
		err += len + (nl ? 1 : 0);
	}
}

/* Describes how a child ended; returns 1 if it exited 0 with results. */
static int child_ok(const char *which, int status, const struct result *res,
		    char *why, size_t whysz)
{
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0 &&
	    res->stage == ST_DONE)
		return 1;
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM)
		snprintf(why, whysz, "%s run: child hung (no result within %d s) "
			 "%s", which, CHILD_TIMEOUT, stage_name[res->stage]);
	else if (WIFSIGNALED(status))
		snprintf(why, whysz, "%s run: child killed by signal %d (%s) %s",
			 which, WTERMSIG(status), strsignal(WTERMSIG(status)),
			 stage_name[res->stage]);
	else if (res->watch_rc < 0)
		snprintf(why, whysz, "%s run: mw_watch failed: %s", which,
			 mw_strerror(res->watch_rc));
	else
		snprintf(why, whysz, "%s run: child exited with status %d %s",
			 which, WEXITSTATUS(status), stage_name[res->stage]);
	return 0;
}

static size_t vec_bytes(enum kind k)
{
	switch (k) {
	case K_XMM: return 16;
	case K_YMM: return 32;
	case K_ZMM: return 64;
	default: return 0;
	}
}

static int x87_kind(enum kind k)
{
	return k == K_X87 || k == K_X87I || k == K_X87O || k == K_X87IO;
}

static void diag_mem(const char *what, const uint8_t *a, const uint8_t *b,
		     size_t n, uint64_t base)
{
	size_t first = n, last = 0, count = 0;

	for (size_t i = 0; i < n; i++)
		if (a[i] != b[i]) {
			if (first == n)
				first = i;
			last = i;
			count++;
		}
	diag("  %s differs in %zu bytes, first at %#" PRIx64 ", last at %#" PRIx64,
	     what, count, base + first, base + last);
	char ra[3 * 16 + 1] = "", wa[3 * 16 + 1] = "";
	for (size_t i = 0; i < 16 && first + i < n; i++) {
		snprintf(ra + 3 * i, 4, " %02x", a[first + i]);
		snprintf(wa + 3 * i, 4, " %02x", b[first + i]);
	}
	diag("    reference:%s", ra);
	diag("    watched:  %s", wa);
}

/* Compares the two runs; with LOUD, prints a diagnostic per difference. */
#define diag(...) do { if (loud) diag(__VA_ARGS__); } while (0)
#define diag_mem(...) do { if (loud) diag_mem(__VA_ARGS__); } while (0)
static int compare(const struct form *f, const struct result *ref,
		   const struct result *wat, int loud)
{
	const struct ctx *a = &ref->ctx, *b = &wat->ctx;
	int same = 1;

	for (int i = 0; i < 16; i++) {
		if (i == RSP || a->r[i] == b->r[i])
			continue;
		diag("  %s: reference %#018" PRIx64 ", watched %#018" PRIx64,
		     reg_name[i], a->r[i], b->r[i]);
		same = 0;
	}
	if ((a->flags ^ b->flags) & FLAGS_COMPARED) {
		diag("  rflags: reference %#" PRIx64 ", watched %#" PRIx64,
		     a->flags & FLAGS_COMPARED, b->flags & FLAGS_COMPARED);
		same = 0;
	}
	size_t vb = vec_bytes(f->kind);
	for (int i = 0; i < 4 && vb; i++)
		if (memcmp(a->v[i], b->v[i], vb) != 0) {
			diag("  %cmm%d differs", vb == 16 ? 'x' : vb == 32 ? 'y' : 'z', i);
			diag_mem("vector register", a->v[i], b->v[i], vb, 0);
			same = 0;
		}
	if (a->mxcsr != b->mxcsr) {
		diag("  mxcsr: reference %#x, watched %#x", a->mxcsr, b->mxcsr);
		same = 0;
	}
	if (f->kind == K_ZMM && (uint16_t)a->k1 != (uint16_t)b->k1) {
		diag("  k1: reference %#x, watched %#x", (unsigned)(uint16_t)a->k1,
		     (unsigned)(uint16_t)b->k1);
		same = 0;
	}
	if (x87_kind(f->kind)) {
		if ((uint16_t)a->x87sw != (uint16_t)b->x87sw) {
			diag("  x87 status word: reference %#x, watched %#x",
			     (unsigned)(uint16_t)a->x87sw,
			     (unsigned)(uint16_t)b->x87sw);
			same = 0;
		}
		if (memcmp(a->st0, b->st0, 10) != 0) {
			diag_mem("st0", a->st0, b->st0, 10, 0);
			same = 0;
		}
	}
	if (memcmp(ref->mem, wat->mem, BUF_SIZE) != 0) {
		diag_mem("buffer", ref->mem, wat->mem, BUF_SIZE, CORPUS_BUF);
		same = 0;
	}
	if (memcmp(ref->glob, wat->glob, GLOBAL_SIZE) != 0) {
		diag_mem("corpus_global", ref->glob, wat->glob, GLOBAL_SIZE,
			 (uintptr_t)corpus_global);
		same = 0;
	}
	return same;
}
#undef diag
#undef diag_mem

static const char *watch_desc(const struct form *f)
{
	unsigned fl = f->w.len ? f->w.flags : MW_ACCESS;
	if (fl == MW_ACCESS)
		return "rw";
	return fl == MW_WRITE ? "w" : "r";
}

static int need_ok(const struct form *f, const char **why)
{
	int need = f->need;

	if (f->kind == K_YMM)
		need |= N_AVX;
	if (f->kind == K_ZMM)
		need |= N_AVX512F;
	if ((need & N_AVX512F) && !__builtin_cpu_supports("avx512f"))
		return *why = "no AVX-512", 0;
	if ((need & N_AVX2) && !__builtin_cpu_supports("avx2"))
		return *why = "no AVX2", 0;
	if ((need & N_AVX) && !__builtin_cpu_supports("avx"))
		return *why = "no AVX", 0;
	if ((need & N_SSE41) && !__builtin_cpu_supports("sse4.1"))
		return *why = "no SSE4.1", 0;
	if ((need & N_SSE42) && !__builtin_cpu_supports("sse4.2"))
		return *why = "no SSE4.2", 0;
	if ((need & N_POPCNT) && !__builtin_cpu_supports("popcnt"))
		return *why = "no POPCNT", 0;
	if ((need & N_BMI) && !__builtin_cpu_supports("bmi"))
		return *why = "no BMI1", 0;
	if ((need & N_BMI2) && !__builtin_cpu_supports("bmi2"))
		return *why = "no BMI2", 0;
	return 1;
}

/* CORPUS_ONLY=N runs form N alone, CORPUS_ONLY=text the forms whose name
 * contains text: for debugging the library one form at a time. */
static int selected(const struct form *f, int idx, const char *only)
{
	const char *name = f->label ? f->label : f->insn;
	char *end;
	long n;

	if (!only || !*only)
		return 1;
	n = strtol(only, &end, 10);
	if (*end == 0)
		return n == idx + 1;
	return strstr(name, only) != NULL || strstr(f->insn, only) != NULL;
}

int main(void)
{
	const char *only = getenv("CORPUS_ONLY");
	int nsel = 0;
	static char err_ref[4096], err_wat[4096];
	struct result *ref, *wat;
	int failed_watched = 0;

	ref = mmap(NULL, sizeof(*ref), PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	wat = mmap(NULL, sizeof(*wat), PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (ref == MAP_FAILED || wat == MAP_FAILED)
		bail("mmap: %s", strerror(errno));
	void *probe = mmap((void *)CORPUS_BUF, BUF_SIZE, PROT_NONE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
			   -1, 0);
	if (probe != (void *)CORPUS_BUF)
		skip_all("cannot map the corpus buffer at %#lx", CORPUS_BUF);
	munmap(probe, BUF_SIZE);

	__builtin_cpu_init();
	for (int i = 0; i < NFORMS; i++)
		nsel += selected(&forms[i], i, only);
	plan(nsel);

	for (int i = 0; i < NFORMS; i++) {
		const struct form *f = &forms[i];
		if (!selected(f, i, only))
			continue;
		const char *name = f->label ? f->label : f->insn;
		const char *skip;
		char why[256];
		int st, expect = f->exp0 ? 0 : 1;

		if (!need_ok(f, &skip)) {
			ok(1, "%s # SKIP %s", name, skip);
			continue;
		}
		st = run_child(f, i, 0, ref, err_ref, sizeof(err_ref));
		if (!child_ok("reference", st, ref, why, sizeof(why))) {
			ok(0, "%s (watch %s): the reference run failed (a bug "
			   "in this test)", name, watch_desc(f));
			diag("  %s", why);
			diag_stderr(err_ref);
			continue;
		}
		char todo[160] = "";
		if (f->todo)
			snprintf(todo, sizeof(todo), " # TODO %s", f->todo);
		st = run_child(f, i, 1, wat, err_wat, sizeof(err_wat));
		if (!child_ok("watched", st, wat, why, sizeof(why))) {
			ok(0, "%s (watch %s): %s%s", name, watch_desc(f), why, todo);
			diag_stderr(err_wat);
			failed_watched += !f->todo;
			continue;
		}
		int same, counted = 1, rcs_ok;
		char cnt[160] = "";
		rcs_ok = wat->count_rc0 == 0 && wat->count_rc1 == 0 &&
			 wat->unwatch_rc == 0;
		uint64_t dc = wat->c1 - wat->c0, dt = wat->t1 - wat->t0;
		if (dc != (uint64_t)expect || dt != (uint64_t)expect) {
			snprintf(cnt, sizeof(cnt), " (mw_count went up by %" PRIu64
				 ", mw_total_count by %" PRIu64 ", want %d)",
				 dc, dt, expect);
			counted = 0;
		}
		same = compare(f, ref, wat, 0);
		if (!ok(same && counted && rcs_ok, "%s (watch %s): %s; %s%s%s",
			name, watch_desc(f),
			same ? "regs, flags, memory identical"
			     : "results DIFFER",
			counted ? (expect ? "counted 1" : "counted 0")
				: "WRONG COUNT", cnt, todo)) {
			failed_watched += !f->todo;
			compare(f, ref, wat, 1);
			if (!rcs_ok)
				diag("  mw_count returned %d and %d, mw_unwatch %d",
				     wat->count_rc0, wat->count_rc1,
				     wat->unwatch_rc);
		}
		diag_stderr(err_wat);
	}
	if (failed_watched)
		diag("%d of %d forms failed on the watched run", failed_watched,
		     nsel);
	return done();
}

/* SPDX-License-Identifier: MIT */
/*
 * insn.h - what a faulting x86-64 instruction does to memory, and how the
 * library performs it.
 *
 * An instruction is analyzed once (Zydis), then run through its class:
 *   GENERIC  one explicit memory operand: re-encoded as [scratch] where
 *            scratch is a register the instruction does not use; run by
 *            run.S with scratch pointing at the alias (or a bounce buffer).
 *            Example, `add %eax, 0x10(%rbx,%rcx,4)` (01 44 8b 10) becomes
 *            `add %eax, (%r11)` (41 01 03), r11 = alias of rbx+rcx*4+0x10.
 *            RIP-relative and fs:/gs: operands become plain [scratch] too.
 *   STRING   movs/stos/lods/cmps/scas (rep or not): run unchanged with
 *            RSI/RDI moved to the alias and RCX clamped to one page (a
 *            32-bit address-size prefix is dropped from the stub: the
 *            pointers are wrapped to 32 bits between chunks instead).
 *   PUSH, POP, CALL, JMP   with a memory operand: emulated; XLAT too.
 *   GATHER   gathers and scatters (vector-indexed addressing; AVX2's
 *            vector mask, AVX-512's k mask): a gather's enabled lanes
 *            read into a bounce buffer, then the instruction itself run
 *            on it, re-encoded as [scratch + vindex*scale] with the index
 *            register pointing lane j at the buffer's slot j; a scatter
 *            (kind MW_WRITE, no stub) written lane by lane (gather.c).
 *   REFUSED  with the reason in `why`.
 */
#ifndef MW_X86_INSN_H
#define MW_X86_INSN_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

enum mw_x86_class {
	MW_X86_REFUSED,
	MW_X86_GENERIC,
	MW_X86_STRING,
	MW_X86_PUSH,
	MW_X86_POP,
	MW_X86_CALL,
	MW_X86_JMP,
	MW_X86_XLAT,
	MW_X86_IMPLICIT,        /* push/pop/call/ret/leave on a watched stack */
	MW_X86_GATHER,          /* gathers and scatters */
};

/* MW_X86_IMPLICIT: what the instruction does with the stack. */
enum mw_x86_stk {
	MW_STK_PUSH,            /* push reg (stkreg) or imm (disp) */
	MW_STK_PUSHF,
	MW_STK_POP,             /* pop reg (stkreg) */
	MW_STK_POPF,
	MW_STK_CALL,            /* call rel (disp from the next insn) or reg */
	MW_STK_RET,             /* ret, ret imm16 (disp) */
	MW_STK_LEAVE,
};

/* Flags. */
#define MW_X86_VECTOR  0x01   /* uses x87/SSE/AVX state: run with xrstor/xsave */
#define MW_X86_LOCKED  0x02   /* atomic: must run on the real memory */
#define MW_X86_BTREG   0x04   /* bt* with a register bit offset */
#define MW_X86_ADDR32  0x08   /* 32-bit address size */
#define MW_X86_OLDHIGH 0x10   /* the old value is in ah/bh/ch/dh */
#define MW_X86_DIVIDE  0x20   /* div/idiv: #DE is checked before running */
#define MW_X86_SIGNED  0x40   /* idiv */

#define MW_X86_NOREG   (-1)
#define MW_X86_RIPREG  (-2)

/* Masked vector accesses: only enabled lanes touch memory (and fault). */
enum { MW_MASK_NONE, MW_MASK_K, MW_MASK_SIGN };

/* String operations. */
enum { MW_STR_MOVS = 1, MW_STR_STOS, MW_STR_LODS, MW_STR_CMPS, MW_STR_SCAS };
/* Repeat prefixes. */
enum { MW_REP_NONE, MW_REP_REP, MW_REP_REPNE };

struct mw_x86_insn {
	uint64_t pc;
	uint8_t bytes[15];
	uint8_t len;
	uint8_t cls;            /* enum mw_x86_class */
	uint8_t flags;
	uint8_t kind;           /* MW_READ | MW_WRITE on the memory operand */
	uint8_t seg;            /* 0, or 1 = fs, 2 = gs */
	int8_t base, index;     /* gregs index, MW_X86_NOREG or MW_X86_RIPREG */
	uint8_t scale;
	int8_t scratch;         /* gregs index */
	int8_t rspreg;          /* gregs index that stands in for an RSP
				   register operand (mov [m], rsp), or -1 */
	int8_t btreg;           /* gregs index of the bit offset */
	int8_t oldlo, oldhi;    /* atomic RMW: gregs holding the old value after
				   it (cmpxchg16b: rax, rdx), else -1 */
	uint16_t size;          /* bytes accessed at the operand */
	int64_t disp;
	uint8_t strop, rep, elem;       /* elem: string or masked element bytes */
	uint8_t maskkind;       /* MW_MASK_*: which lanes touch memory */
	uint8_t maskreg;        /* k1..k7, or the xmm/ymm register number */
	uint8_t stk;            /* MW_X86_IMPLICIT: enum mw_x86_stk */
	uint8_t xform;          /* xsave family: MW_XSAVE_*, else 0 */
	int8_t stkreg;          /* its register (gregs index), or -1 */
	/* MW_X86_GATHER: the index vector register, its elements' bytes (4
	 * or 8), the destination (a scatter's source) vector register, the
	 * lanes (elem is the data element's bytes, maskreg the mask vector
	 * register, or with maskkind MW_MASK_K the k register). */
	uint8_t vindex, ielem, datareg, lanes;
	const char *why;        /* MW_X86_REFUSED */
	const void *stub;       /* executable: the instruction + jump back */
	uint8_t disp_off;       /* RIP-relative: offset of its disp32 in bytes */
	uint8_t stub_len;       /* the instruction's bytes in stub (before the
				   jump back): MW_X86_GENERIC, its [scratch]
				   form, which patched sites' stubs copy */
	/* Patched sites (patch.c): faults performed here, and the state of
	 * the site (enum in patch.c), changed by atomics only. */
	_Atomic uint32_t hits;
	_Atomic uint8_t patch;
};

/*
 * Analyzes the instruction in CODE[0..N) at PC into *OUT, writing its stub
 * (at most MW_X86_STUB_SIZE bytes) to STUB_RW, which will be executable at
 * STUB_RX, aligned to MW_X86_STUB_SIZE.  [fault path]: the decoder and
 * encoder do not allocate.
 */
#define MW_X86_STUB_SIZE 32
void mw_x86_analyze(const uint8_t *code, size_t n, uint64_t pc,
		    struct mw_x86_insn *out, uint8_t *stub_rw, const void *stub_rx);

/* [thread] Sets up the shared decoder; 0 or -errno. */
int mw_x86_insn_init(void);

/* Offsets of XSAVE components in the standard format (CPUID leaf 0xd):
 * 2 = upper halves of ymm0..15, 5 = opmask k0..k7, 6 = upper halves of
 * zmm0..15, 7 = zmm16..31; 0 if absent. */
extern uint32_t mw_x86_xsave_ymmh, mw_x86_xsave_opmask, mw_x86_xsave_zmmh, mw_x86_xsave_hi16;

/* CPUID: the size of an xsave area for the features XCR0 enables. */
extern uint32_t mw_x86_xsave_size;

/* [thread] Once, before the handler is installed (xsave.c): the above, and
 * the components' layout for mw_x86_xsave_extent. */
void mw_x86_xsave_init(void);

/* The xsave family's forms of the area. */
enum { MW_XSAVE_STANDARD = 1, MW_XSAVE_COMPACT, MW_XSAVE_RESTORE };
/* [fault path] The bytes from the area's start that an instruction of FORM
 * touches with requested-feature bitmap RFBM (edx:eax): only the components
 * RFBM and XCR0 both name, not every component XCR0 enables (PKRU, AMX
 * tiles), which would reach past the area into the caller's frame. */
uint32_t mw_x86_xsave_extent(unsigned form, uint64_t rfbm);

#endif /* MW_X86_INSN_H */

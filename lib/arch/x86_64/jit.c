/* SPDX-License-Identifier: MIT */
/*
 * jit.c - GDB's JIT interface for the stub area and the patched sites'
 * stubs (see jit.h).  [thread]; mw_x86_jit_site, mw_x86_jit_access,
 * mw_x86_jit_told: [fault path] (memcpy, memset and the JIT hook only).
 *
 * GDB reads an in-memory ELF object for each registered entry.  Ours has no
 * code (the .text section is NOBITS at the stub area's address), a symbol
 * over the whole area, and a .debug_frame whose one FDE covers it: inside
 * a stub, RSP is mw_x86_run's after its ten pushes (run.S), so
 *   CFA = rsp + 88, return address at CFA-8, and rbx, rbp, r12..r15 at
 *   CFA-16 .. CFA-56, where mw_x86_run saved them.
 */
#include <elf.h>
#include <stddef.h>
#include <string.h>

#include "arch/x86_64/jit.h"

/* The interface GDB knows (GDB manual, "JIT Interface"): these names and
 * layouts are GDB's, hence no mw_ prefix. */
struct jit_code_entry {
	struct jit_code_entry *next_entry;
	struct jit_code_entry *prev_entry;
	const char *symfile_addr;
	uint64_t symfile_size;
};

struct jit_descriptor {
	uint32_t version;
	uint32_t action_flag;           /* 1: register relevant_entry */
	struct jit_code_entry *relevant_entry;
	struct jit_code_entry *first_entry;
};

__attribute__((visibility("default"), noinline, used)) void __jit_debug_register_code(void);
__attribute__((visibility("default"))) extern struct jit_descriptor __jit_debug_descriptor;

void __jit_debug_register_code(void)
{
	__asm__ volatile("" ::: "memory");
}

struct jit_descriptor __jit_debug_descriptor = { 1, 0, NULL, NULL };

enum { S_NULL, S_TEXT, S_FRAME, S_SYMTAB, S_STRTAB, S_SHSTRTAB, S_COUNT };

/* One in-memory ELF object for GDB: no code (.text is NOBITS at the code's
 * address), one symbol over it, a .debug_frame; then the entry that lists
 * it (not part of the object). */
struct jit_image {
	Elf64_Ehdr eh;
	Elf64_Shdr sh[S_COUNT];
	uint8_t frame[192];
	Elf64_Sym sym[2];
	char strtab[24];
	char shstrtab[48];
	struct jit_code_entry entry;
} __attribute__((aligned(16)));

/* Fills IM around its FRAME_LEN bytes of frame information, with NAME over
 * [CODE, CODE + SIZE), and tells GDB. */
static void announce(struct jit_image *im, const char *name, uint64_t code, uint64_t size,
		     size_t frame_len)
{
	static const char shnames[] = "\0.text\0.debug_frame\0.symtab\0.strtab\0.shstrtab";
	Elf64_Ehdr *eh = &im->eh;
	Elf64_Shdr *sh = im->sh;

	_Static_assert(sizeof(shnames) <= sizeof(im->shstrtab), "section names");
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = ET_EXEC;
	eh->e_machine = EM_X86_64;
	eh->e_version = EV_CURRENT;
	eh->e_ehsize = sizeof(Elf64_Ehdr);
	eh->e_shoff = offsetof(struct jit_image, sh);
	eh->e_shentsize = sizeof(Elf64_Shdr);
	eh->e_shnum = S_COUNT;
	eh->e_shstrndx = S_SHSTRTAB;

	memcpy(im->shstrtab, shnames, sizeof(shnames));
	memset(im->strtab, 0, sizeof(im->strtab));
	for (size_t i = 0; name[i] && i + 2 < sizeof(im->strtab); i++)
		im->strtab[i + 1] = name[i];
	im->sym[1].st_name = 1;
	im->sym[1].st_info = ELF64_ST_INFO(STB_GLOBAL, STT_FUNC);
	im->sym[1].st_shndx = S_TEXT;
	im->sym[1].st_value = code;
	im->sym[1].st_size = size;

	sh[S_TEXT] = (Elf64_Shdr){ .sh_name = 1, .sh_type = SHT_NOBITS,
		.sh_flags = SHF_ALLOC | SHF_EXECINSTR, .sh_addr = code, .sh_size = size,
		.sh_addralign = 16 };
	sh[S_FRAME] = (Elf64_Shdr){ .sh_name = 7, .sh_type = SHT_PROGBITS,
		.sh_offset = offsetof(struct jit_image, frame), .sh_size = frame_len,
		.sh_addralign = 8 };
	sh[S_SYMTAB] = (Elf64_Shdr){ .sh_name = 20, .sh_type = SHT_SYMTAB,
		.sh_offset = offsetof(struct jit_image, sym), .sh_size = sizeof(im->sym),
		.sh_link = S_STRTAB, .sh_info = 1, .sh_addralign = 8,
		.sh_entsize = sizeof(Elf64_Sym) };
	sh[S_STRTAB] = (Elf64_Shdr){ .sh_name = 28, .sh_type = SHT_STRTAB,
		.sh_offset = offsetof(struct jit_image, strtab), .sh_size = sizeof(im->strtab),
		.sh_addralign = 1 };
	sh[S_SHSTRTAB] = (Elf64_Shdr){ .sh_name = 36, .sh_type = SHT_STRTAB,
		.sh_offset = offsetof(struct jit_image, shstrtab), .sh_size = sizeof(shnames),
		.sh_addralign = 1 };

	im->entry.symfile_addr = (const char *)im;
	im->entry.symfile_size = offsetof(struct jit_image, entry);
	im->entry.prev_entry = NULL;
	im->entry.next_entry = __jit_debug_descriptor.first_entry;
	if (im->entry.next_entry)
		im->entry.next_entry->prev_entry = &im->entry;
	__jit_debug_descriptor.first_entry = &im->entry;
	__jit_debug_descriptor.relevant_entry = &im->entry;
	__jit_debug_descriptor.action_flag = 1;
	__jit_debug_register_code();
	__jit_debug_descriptor.action_flag = 0;
}

static struct jit_image image;  /* the stub area's */

/* The CIE and FDE, 32-bit DWARF .debug_frame, x86-64 register numbers:
 * rbx 3, rbp 6, rsp 7, r12..r15 12..15, return address 16. */
static size_t build_frame(uint8_t *f, uint64_t code, uint64_t size)
{
	static const uint8_t cie[] = {
		0x1c, 0, 0, 0,                  /* length: 28 */
		0xff, 0xff, 0xff, 0xff,         /* CIE id */
		1,                              /* version */
		0,                              /* augmentation "" */
		1,                              /* code alignment */
		0x78,                           /* data alignment: -8 */
		16,                             /* return address register */
		0x0c, 7, 88,                    /* DW_CFA_def_cfa rsp, 88 */
		0x90, 1,                        /* DW_CFA_offset rip, cfa-8 */
		0x83, 2,                        /* rbx, cfa-16 */
		0x86, 3,                        /* rbp, cfa-24 */
		0x8c, 4,                        /* r12, cfa-32 */
		0x8d, 5,                        /* r13, cfa-40 */
		0x8e, 6,                        /* r14, cfa-48 */
		0x8f, 7,                        /* r15, cfa-56 */
		0, 0,                           /* DW_CFA_nop: pad to 32 */
	};
	uint8_t *p = f + sizeof(cie);
	uint32_t fde_len = 4 + 8 + 8 + 4, cie_ptr = 0;

	memcpy(f, cie, sizeof(cie));
	memcpy(p, &fde_len, 4);
	memcpy(p + 4, &cie_ptr, 4);
	memcpy(p + 8, &code, 8);
	memcpy(p + 16, &size, 8);
	memset(p + 24, 0, 4);                   /* DW_CFA_nop x 4 */
	return sizeof(cie) + 4 + fde_len;
}

void mw_x86_jit_register(uintptr_t code, size_t size)
{
	announce(&image, "memwatch_stub", code, size, build_frame(image.frame, code, size));
}

/* ------------------------------------------------------------ site stubs */

/* One object per patched site's stub (access sites' below).  A system-call
 * site's (syspatch.c): a symbol
 * over the stub and a .debug_frame whose FDE says the stub's frame is the
 * program's at the site: CFA its RSP (128 + the pushes below it once they
 * are made), RIP the site after its syscall instruction.  So a debugger
 * stepping over the site's line into the stub sees a call it can step
 * over (a breakpoint where the stub returns), and bt inside it reaches the
 * program.  In the library's own data (no mapping of its own: none shows
 * up in /proc/self/maps when a site is patched). */
#define SITE_IMAGES 256

static struct jit_image site_images[SITE_IMAGES];
static unsigned n_site_images;

static size_t site_frame(uint8_t *f, uint64_t code, uint64_t size, uint64_t resume,
			 unsigned pre_len, unsigned fallback)
{
	static const uint8_t cie[] = {
		0x0c, 0, 0, 0,                  /* length: 12 */
		0xff, 0xff, 0xff, 0xff,         /* CIE id */
		1, 0, 1, 0x78, 16,              /* version, "", code 1, data -8, rip */
		0, 0, 0,                        /* DW_CFA_nop: pad to 16 */
	};
	uint8_t *p = f + sizeof(cie), *q = p + 24;
	uint32_t cie_ptr = 0, len;

	memcpy(f, cie, sizeof(cie));
	memcpy(p + 4, &cie_ptr, 4);
	memcpy(p + 8, &code, 8);
	memcpy(p + 16, &size, 8);
	*q++ = 0x0c; *q++ = 7; *q++ = 0;        /* DW_CFA_def_cfa rsp, 0 */
	*q++ = 0x16; *q++ = 16; *q++ = 9;       /* DW_CFA_val_expression rip, */
	*q++ = 0x0e;                            /*   DW_OP_const8u RESUME */
	memcpy(q, &resume, 8);
	q += 8;
	*q++ = (uint8_t)(0x40 | (pre_len + 5)); /* after the lea */
	*q++ = 0x0e; *q++ = 0x80; *q++ = 0x01;  /* DW_CFA_def_cfa_offset 128 */
	for (unsigned k = 1; k <= 4; k++) {     /* after each push */
		*q++ = 0x41;
		*q++ = 0x0e; *q++ = (uint8_t)(0x80 + 8 * k); *q++ = 0x01;
	}
	*q++ = 0x02;                            /* DW_CFA_advance_loc1 to the fallback */
	*q++ = (uint8_t)(fallback - (pre_len + 9));
	*q++ = 0x0e; *q++ = 0;                  /* DW_CFA_def_cfa_offset 0 */
	while ((q - p) % 8)
		*q++ = 0;                       /* DW_CFA_nop */
	len = (uint32_t)(q - p - 4);
	memcpy(p, &len, 4);
	return (size_t)(q - f);
}

int mw_x86_jit_site(uintptr_t stub, size_t size, uintptr_t resume, unsigned pre_len,
		    unsigned fallback)
{
	struct jit_image *im;

	if (pre_len + 9 > 63 || fallback < pre_len + 9 || fallback - (pre_len + 9) > 255)
		return -1;
	if (n_site_images == SITE_IMAGES)
		return -1;
	im = &site_images[n_site_images++];
	announce(im, "memwatch_syscall_stub", stub, size,
		 site_frame(im->frame, stub, size, resume, pre_len, fallback));
	return 0;
}

/* ---------------------------------------------------- access site stubs */

static uint8_t *uleb(uint8_t *q, unsigned v)
{
	do {
		uint8_t b = v & 0x7f;

		v >>= 7;
		*q++ = (uint8_t)(b | (v ? 0x80 : 0));
	} while (v);
	return q;
}

/* DW_CFA_advance_loc* by D. */
static uint8_t *advance(uint8_t *q, unsigned d)
{
	if (d < 64) {
		*q++ = (uint8_t)(0x40 | d);
	} else if (d < 256) {
		*q++ = 0x02;
		*q++ = (uint8_t)d;
	} else {
		*q++ = 0x03;
		*q++ = (uint8_t)d;
		*q++ = (uint8_t)(d >> 8);
	}
	return q;
}

int mw_x86_jit_access(uintptr_t stub, size_t size, uintptr_t resume, unsigned n,
		      const struct mw_x86_cfa_row *rows)
{
	static const uint8_t cie[] = {
		0x0c, 0, 0, 0, 0xff, 0xff, 0xff, 0xff,
		1, 0, 1, 0x78, 16,              /* version, "", code 1, data -8, rip */
		0, 0, 0,
	};
	struct jit_image *im;
	uint8_t *f, *p, *q, *end;
	unsigned extra = resume ? 0 : 8, last = 0;
	uint32_t cie_ptr = 0, len;
	uint64_t code = stub, sz = size;

	if (n_site_images == SITE_IMAGES)
		return -1;
	im = &site_images[n_site_images];
	f = im->frame;
	end = f + sizeof(im->frame) - 8;
	memcpy(f, cie, sizeof(cie));
	p = f + sizeof(cie);
	memcpy(p + 4, &cie_ptr, 4);
	memcpy(p + 8, &code, 8);
	memcpy(p + 16, &sz, 8);
	q = p + 24;
	if (resume) {
		/* The caller is the program at the site, resuming after it. */
		*q++ = 0x16; *q++ = 16; *q++ = 9;       /* DW_CFA_val_expression rip, */
		*q++ = 0x0e;                            /*   DW_OP_const8u RESUME */
		memcpy(q, &resume, 8);
		q += 8;
	} else {
		/* A jump through memory, a tail call: the program's RSP holds
		 * the return address, as at a function's entry. */
		*q++ = 0x90; *q++ = 1;                  /* DW_CFA_offset rip, cfa-8 */
	}
	for (unsigned i = 0; i < n; i++) {
		if (q + 24 > end || rows[i].at < last || rows[i].at >= size)
			return -1;
		if (rows[i].at > last)
			q = advance(q, rows[i].at - last);
		last = rows[i].at;
		if (rows[i].cfa >= 0 && i && rows[i - 1].cfa >= 0) {
			*q++ = 0x0e;                    /* DW_CFA_def_cfa_offset */
			q = uleb(q, (unsigned)rows[i].cfa + extra);
		} else if (rows[i].cfa >= 0) {
			*q++ = 0x0c; *q++ = 7;          /* DW_CFA_def_cfa rsp, */
			q = uleb(q, (unsigned)rows[i].cfa + extra);
		} else {
			/* RSP is B or B + 8 (patch.c's abort handler), told by
			 * the word on top, 0 at B + 8: CFA = rsp + -cfa + extra
			 * - 8 * (*rsp == 0). */
			uint8_t e[16], *x = e;

			*x++ = 0x77;                    /* DW_OP_breg7 */
			x = uleb(x, (unsigned)-rows[i].cfa + extra);    /* < 8192, > 63 */
			if (x - e != 3)
				return -1;
			*x++ = 0x77; *x++ = 0;          /* DW_OP_breg7 0 */
			*x++ = 0x06;                    /* DW_OP_deref */
			*x++ = 0x30;                    /* DW_OP_lit0 */
			*x++ = 0x29;                    /* DW_OP_eq */
			*x++ = 0x33;                    /* DW_OP_lit3 */
			*x++ = 0x24;                    /* DW_OP_shl */
			*x++ = 0x1c;                    /* DW_OP_minus */
			*q++ = 0x0f;                    /* DW_CFA_def_cfa_expression */
			*q++ = (uint8_t)(x - e);
			memcpy(q, e, (size_t)(x - e));
			q += x - e;
		}
	}
	while ((q - p) % 8)
		*q++ = 0;                               /* DW_CFA_nop */
	len = (uint32_t)(q - p - 4);
	memcpy(p, &len, 4);
	n_site_images++;
	announce(im, "memwatch_access_stub", stub, size, (size_t)(q - f));
	return 0;
}

int mw_x86_jit_told(uintptr_t stub)
{
	for (unsigned i = 0; i < n_site_images; i++)
		if (site_images[i].sym[1].st_value == stub)
			return 1;
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * jit.c - GDB's JIT interface for the stub area (see jit.h).     [thread]
 *
 * GDB reads an in-memory ELF object for each registered entry.  Ours has no
 * code (the .text section is NOBITS at the stub area's address), a symbol
 * over the whole area, and a .debug_frame whose one FDE covers it: inside
 * a stub, RSP is mw_x86_run's after its ten pushes (run.S), so
 *   CFA = rsp + 88, return address at CFA-8, and rbx, rbp, r12..r15 at
 *   CFA-16 .. CFA-56, where mw_x86_run saved them.
 */
#include <elf.h>
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

static struct {
	Elf64_Ehdr eh;
	Elf64_Shdr sh[S_COUNT];
	uint8_t frame[96];
	Elf64_Sym sym[2];
	char strtab[16];
	char shstrtab[64];
} image __attribute__((aligned(16)));

static struct jit_code_entry entry;

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
	static const char shnames[] = "\0.text\0.debug_frame\0.symtab\0.strtab\0.shstrtab";
	Elf64_Ehdr *eh = &image.eh;
	Elf64_Shdr *sh = image.sh;
	size_t frame_len = build_frame(image.frame, code, size);

	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = ET_EXEC;
	eh->e_machine = EM_X86_64;
	eh->e_version = EV_CURRENT;
	eh->e_ehsize = sizeof(Elf64_Ehdr);
	eh->e_shoff = offsetof(__typeof__(image), sh);
	eh->e_shentsize = sizeof(Elf64_Shdr);
	eh->e_shnum = S_COUNT;
	eh->e_shstrndx = S_SHSTRTAB;

	memcpy(image.shstrtab, shnames, sizeof(shnames));
	memcpy(image.strtab, "\0memwatch_stub", 15);
	image.sym[1].st_name = 1;
	image.sym[1].st_info = ELF64_ST_INFO(STB_GLOBAL, STT_FUNC);
	image.sym[1].st_shndx = S_TEXT;
	image.sym[1].st_value = code;
	image.sym[1].st_size = size;

	sh[S_TEXT] = (Elf64_Shdr){ .sh_name = 1, .sh_type = SHT_NOBITS,
		.sh_flags = SHF_ALLOC | SHF_EXECINSTR, .sh_addr = code, .sh_size = size,
		.sh_addralign = 16 };
	sh[S_FRAME] = (Elf64_Shdr){ .sh_name = 7, .sh_type = SHT_PROGBITS,
		.sh_offset = offsetof(__typeof__(image), frame), .sh_size = frame_len,
		.sh_addralign = 8 };
	sh[S_SYMTAB] = (Elf64_Shdr){ .sh_name = 20, .sh_type = SHT_SYMTAB,
		.sh_offset = offsetof(__typeof__(image), sym), .sh_size = sizeof(image.sym),
		.sh_link = S_STRTAB, .sh_info = 1, .sh_addralign = 8,
		.sh_entsize = sizeof(Elf64_Sym) };
	sh[S_STRTAB] = (Elf64_Shdr){ .sh_name = 28, .sh_type = SHT_STRTAB,
		.sh_offset = offsetof(__typeof__(image), strtab), .sh_size = sizeof(image.strtab),
		.sh_addralign = 1 };
	sh[S_SHSTRTAB] = (Elf64_Shdr){ .sh_name = 36, .sh_type = SHT_STRTAB,
		.sh_offset = offsetof(__typeof__(image), shstrtab), .sh_size = sizeof(shnames),
		.sh_addralign = 1 };

	entry.symfile_addr = (const char *)&image;
	entry.symfile_size = sizeof(image);
	entry.next_entry = __jit_debug_descriptor.first_entry;
	if (entry.next_entry)
		entry.next_entry->prev_entry = &entry;
	__jit_debug_descriptor.first_entry = &entry;
	__jit_debug_descriptor.relevant_entry = &entry;
	__jit_debug_descriptor.action_flag = 1;
	__jit_debug_register_code();
	__jit_debug_descriptor.action_flag = 0;
}

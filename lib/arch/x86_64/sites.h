/* SPDX-License-Identifier: MIT */
/*
 * sites.h - the program's patched sites and the memory of their stubs,
 * shared by the two kinds of site: hot access sites (patch.c) and system
 * call sites (syspatch.c).  Both replace five bytes of one instruction,
 * at the start of a whole instruction, by `jmp stub`; sites.c finds room
 * for the stubs within 2 GiB, writes the jumps safely for threads that may
 * be running there, and takes them out again.
 * All: [fault path] (gate system calls, atomics, memcpy), but
 * mw_x86_sites_lock(1) [thread].
 */
#ifndef MW_X86_SITES_H
#define MW_X86_SITES_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define MW_X86_SLOT 512         /* bytes of stub per site */

struct mw_x86_insn;

struct mw_x86_site {
	uintptr_t pc;           /* the instruction whose first 5 bytes jump */
	uintptr_t stub;         /* its stub (MW_X86_SLOT bytes) */
	uintptr_t native;       /* access sites: the stub's copy of the
				   instruction; system-call sites: the stub's
				   own `syscall` (the dispatched way) */
	uintptr_t sys;          /* system-call sites: the syscall instruction's
				   address (after the one at PC); else 0 */
	uint8_t len;            /* of the instruction at PC */
	uint8_t orig[5], jump[5];
	_Atomic int live;       /* the jump is in place */
	struct mw_x86_insn *in; /* access sites: the analysis */
	volatile uint64_t runs; /* access sites: the accesses its stub ran on
				   an alias itself (patch.c; not atomic) */
	_Atomic uint64_t folded;        /* of them, given to mw_arch_patch_fold */
};

/* The try-lock every patcher takes (WAIT: spin for it): 1 if taken. */
int mw_x86_sites_lock(int wait);
void mw_x86_sites_unlock(void);

/* A free stub slot within reach of a jump at PC, or 0. */
uintptr_t mw_x86_slot_near(uintptr_t pc);
/* Writes N bytes at A, in stub memory no thread runs yet.  0 or -1. */
int mw_x86_write_stub(uintptr_t a, const void *buf, size_t n);
/* The five bytes of `jmp TO` at PC; 0, or -1 if TO is out of reach. */
int mw_x86_jump(uint8_t out[5], uintptr_t pc, uintptr_t to);
/* Whether a jump can be written at PC at all (not at the last byte of a
 * 16-byte block, where not even the two-byte step fits). */
int mw_x86_jump_fits(uintptr_t pc);

/* A jump at PC whose last 5 - LEN bytes are the next instruction's, as in
 * CUR (E9Patch's instruction punning: LEN, 2 to 4, the instruction's own
 * bytes): JUMP gets `jmp T` for a T those bytes allow, where a page of ours
 * holds `jmp STUB`.  0, or -1 if no such page can be had. */
int mw_x86_pun(uintptr_t pc, unsigned len, const uint8_t cur[5], uintptr_t stub, uint8_t jump[5]);
/* Whether the five bytes at PC overlap another site's (which a punned
 * jump's last bytes may be). */
int mw_x86_sites_overlap(uintptr_t pc);

/* A new entry of the table (NULL: full), filled by the caller, then
 * published: findable from its stub before its jump is written. */
struct mw_x86_site *mw_x86_site_new(void);
void mw_x86_site_publish(struct mw_x86_site *s);
/* Writes S's jump (its code mapped PROT); 0, or -1 (nothing changed). */
int mw_x86_site_put(struct mw_x86_site *s, int prot);
/* S gets its original bytes back; 0, or -1 if its code is not what we
 * wrote any more (unmapped, or changed by someone else). */
int mw_x86_site_undo(struct mw_x86_site *s);

/* The site whose stub holds PC, or NULL. */
struct mw_x86_site *mw_x86_site_of_stub(uintptr_t pc);
/* The site at PC (live or not), or NULL. */
struct mw_x86_site *mw_x86_site_at(uintptr_t pc);
/* The number of entries, and entry I. */
unsigned mw_x86_sites_count(void);
struct mw_x86_site *mw_x86_site(unsigned i);

/* Per-reason counts (arch.h enum mw_patch_why). */
void mw_x86_sites_said(int why);

#endif /* MW_X86_SITES_H */

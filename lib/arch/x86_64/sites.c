/* SPDX-License-Identifier: MIT */
/*
 * sites.c - the patched sites' table, their stubs' memory, and writing
 * their jumps (see sites.h).
 *
 * Fault path: mw_arch_gate_syscall (mmap, munmap, mprotect, membarrier,
 * openat, pwrite64, close), mw_probe_copy, atomics, memcpy.
 *
 * A jump goes in while other threads may run the code around it.  Within
 * one 16-byte block: one `lock cmpxchg16b`, which instruction fetch on
 * other processors sees whole, then every thread serialized (membarrier
 * SYNC_CORE) where the kernel can.  Across two blocks: the first two bytes
 * become `jmp .` (a thread arriving meanwhile waits there), then the rest
 * of the first block, the second block, and last the first two bytes -
 * each step one exchange, every thread serialized after it; no thread is
 * ever inside the five bytes but at their start.  Each exchange replaces
 * only the site's own bytes of the block as it is now: another site in
 * the same block, patched or restored since, keeps its own.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/membarrier.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "arch/arch.h"
#include "arch/x86_64/access.h"
#include "arch/x86_64/sites.h"
#include "base/codefile.h"

#define CHUNK   (64 * 1024)
#define CHUNKS  64
#define SITES   (CHUNKS * CHUNK / MW_X86_SLOT)
#define REACH   ((1ll << 31) - CHUNK - 4096)

static struct mw_x86_site sites[SITES];
static _Atomic unsigned nsites;
static uintptr_t chunk_base[CHUNKS];
static unsigned chunk_used[CHUNKS];
static _Atomic unsigned nchunks;
static _Atomic int busy;
static int membarrier_ok = -1;  /* -1: not asked yet */

static _Atomic unsigned counts[MW_PATCH_NREASONS];

static const char *const reasons[MW_PATCH_NREASONS] = {
	[MW_PATCH_DONE] = "patched",
	[MW_PATCH_UNDONE] = "patched, then restored (a fault in its stub)",
	[MW_PATCH_CLASS] = "string, push/pop/call or gather instructions",
	[MW_PATCH_VECTOR] = "vector, x87, divide, bit-test, gs: or 32-bit address forms",
	[MW_PATCH_SHORT] = "shorter than the five bytes of a jump, with no free page where "
			   "a jump punned over the next instruction lands",
	[MW_PATCH_BLOCK] = "it starts at the last byte of a 16-byte block",
	[MW_PATCH_FILE] = "not in a file mapping, or its bytes differ from the file's "
			  "(a debugger's breakpoint)",
	[MW_PATCH_ROOM] = "no memory for a stub within 2 GiB",
	[MW_PATCH_WRITE] = "its code could not be written",
	[MW_PATCH_FULL] = "the table of patched sites is full",
	[MW_PATCH_STACK] = "it accesses the thread's stack, where its stub's own pushes "
			   "would fault too",
	[MW_PATCH_OVERLAP] = "its bytes are part of a neighbour's patched jump",
	[MW_PATCH_DEBUGGER] = "shorter than the five bytes of a jump, under a debugger (whose "
			      "breakpoint on the next instruction would land in a punned jump)",
	[MW_PATCH_SYS_DONE] = "system-call sites patched",
	[MW_PATCH_SYS_PRED] = "system-call sites with no movable five-byte instruction before "
			      "them and no free page for a punned jump",
	[MW_PATCH_SYS_FILE] = "system-call sites not in a file mapping, or whose bytes differ "
			      "from the file's",
};

static long sys(long nr, long a, long b, long c, long d, long e, long f)
{
	return mw_arch_gate_syscall(nr, a, b, c, d, e, f);
}

static int failed(long r)
{
	return r < 0 && r > -4096;
}

const char *mw_arch_patch_reason(int r)
{
	return r >= 0 && r < MW_PATCH_NREASONS ? reasons[r] : "";
}

unsigned mw_arch_patch_count(int r)
{
	return r >= 0 && r < MW_PATCH_NREASONS ? atomic_load(&counts[r]) : 0;
}

void mw_x86_sites_said(int why)
{
	if (why >= 0 && why < MW_PATCH_NREASONS)
		atomic_fetch_add(&counts[why], 1);
}

/* Set while this thread patches: the code it reads the files with (the C
 * library's open, read, pread) may touch watched memory of the C
 * library's, and those accesses are the library's own. */
static __thread int patching_now __attribute__((tls_model("initial-exec")));

int mw_x86_sites_lock(int wait)
{
	int expected = 0;

	while (!atomic_compare_exchange_weak(&busy, &expected, 1)) {
		if (!wait)
			return 0;
		expected = 0;
	}
	patching_now = 1;
	mw_code_session(1);
	return 1;
}

void mw_x86_sites_unlock(void)
{
	mw_code_session(0);
	patching_now = 0;
	atomic_store(&busy, 0);
}

int mw_arch_patching_now(void)
{
	return patching_now;
}

/* ------------------------------------------------------------ memory */

static int reaches(uintptr_t a, uintptr_t b)
{
	int64_t d = (int64_t)(a - b);

	return d < REACH && d > -REACH;
}

uintptr_t mw_x86_slot_near(uintptr_t pc)
{
	unsigned n = atomic_load(&nchunks);

	for (unsigned i = 0; i < n; i++)
		if (chunk_used[i] + MW_X86_SLOT <= CHUNK && reaches(chunk_base[i], pc)) {
			chunk_used[i] += MW_X86_SLOT;
			return chunk_base[i] + chunk_used[i] - MW_X86_SLOT;
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
			chunk_used[n] = MW_X86_SLOT;
			atomic_store(&nchunks, n + 1);
			return (uintptr_t)p;
		}
	return 0;
}

int mw_x86_write_stub(uintptr_t a, const void *buf, size_t n)
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

int mw_x86_jump(uint8_t out[5], uintptr_t pc, uintptr_t to)
{
	int64_t d = (int64_t)to - (int64_t)(pc + 5);
	int32_t rel = (int32_t)d;

	out[0] = 0xe9;
	memcpy(out + 1, &rel, 4);
	return d == rel ? 0 : -1;
}

int mw_x86_jump_fits(uintptr_t pc)
{
	return (pc & 15) != 15;
}

/* ------------------------------------------------------------ punning */

/* Pages of ours where punned jumps land: cells of 8 bytes, each a
 * `jmp stub`. */
#define TRAMPS  256
#define CELLS   (4096 / 8)

static struct {
	uintptr_t page;
	uint64_t used[CELLS / 64];
} tramps[TRAMPS];
static unsigned ntramps;

static int tramp_page(uintptr_t page)
{
	long p;

	for (unsigned i = 0; i < ntramps; i++)
		if (tramps[i].page == page)
			return (int)i;
	if (ntramps == TRAMPS || page < (1ul << 20) || page >= (1ul << 47) - 4096)
		return -1;
	p = sys(SYS_mmap, (long)page, 4096, PROT_READ | PROT_EXEC,
		MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (failed(p) || (uintptr_t)p != page) {
		if (!failed(p))
			sys(SYS_munmap, p, 4096, 0, 0, 0, 0);
		return -1;
	}
	tramps[ntramps].page = page;
	memset(tramps[ntramps].used, 0, sizeof(tramps[ntramps].used));
	return (int)ntramps++;
}

int mw_x86_pun(uintptr_t pc, unsigned len, const uint8_t cur[5], uintptr_t stub, uint8_t jump[5])
{
	uint8_t j[5];
	uint32_t fixed = 0;
	uint64_t span = 1ull << (8 * (len - 1));        /* the targets the free bytes give */
	int64_t low;

	if (len < 2 || len > 4)
		return -1;
	/* rel32's bytes from the instruction after: its high 5 - LEN bytes. */
	for (unsigned i = len; i < 5; i++)
		fixed |= (uint32_t)cur[i] << (8 * (i - 1));
	low = (int64_t)(int32_t)fixed;
	/* The targets: [lo, hi), page by page (a megabyte of them at most). */
	uintptr_t lo = pc + 5 + (uintptr_t)low, hi = lo + span, first = lo & ~(uintptr_t)4095;

	for (uintptr_t page = first; page < hi && page - first <= (1u << 20); page += 4096) {
		int i = tramp_page(page);

		if (i < 0)
			continue;
		for (unsigned c = 0; c < CELLS; c++) {
			uintptr_t t = page + 8 * c;
			uint64_t bit = 1ull << (c % 64);

			if (t < lo || t >= hi || (tramps[i].used[c / 64] & bit) ||
			    mw_x86_jump(j, t, stub) < 0 || mw_x86_write_stub(t, j, 5) < 0)
				continue;
			tramps[i].used[c / 64] |= bit;
			memcpy(jump, cur, 5);
			jump[0] = 0xe9;
			int32_t rel = (int32_t)(t - (pc + 5));

			memcpy(jump + 1, &rel, len - 1);
			return 0;
		}
	}
	return -1;
}

int mw_x86_sites_overlap(uintptr_t pc)
{
	unsigned n = atomic_load(&nsites);

	for (unsigned i = 0; i < n; i++)
		if (sites[i].pc < pc + 5 && pc < sites[i].pc + 5 && sites[i].pc != pc)
			return 1;
	return 0;
}

/* ------------------------------------------------------------ writing */

/* The 16 bytes at BLOCK become NEW if they are OLD; 0, or -1.  The whole
 * mapping is made writable a moment, not the page alone: a page changed
 * alone would stay a mapping of its own (/proc/self/maps would show the
 * code's mapping in three). */
static int swap_block(uintptr_t block, const uint8_t old[16], const uint8_t new[16], int prot)
{
	uintptr_t pg, end;
	uint64_t lo, hi, nlo, nhi;
	unsigned char ok;

	if (mw_code_mapping(block, &pg, &end) != prot || end < block + 16)
		return -1;
	if (membarrier_ok < 0)
		membarrier_ok = sys(SYS_membarrier,
				    MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE,
				    0, 0, 0, 0, 0) == 0;
	if (failed(sys(SYS_mprotect, (long)pg, (long)(end - pg), prot | PROT_WRITE, 0, 0, 0)))
		return -1;
	memcpy(&lo, old, 8);
	memcpy(&hi, old + 8, 8);
	memcpy(&nlo, new, 8);
	memcpy(&nhi, new + 8, 8);
	__asm__ volatile("lock cmpxchg16b %1; sete %0"
			 : "=q"(ok), "+m"(*(volatile unsigned __int128 *)block), "+a"(lo), "+d"(hi)
			 : "b"(nlo), "c"(nhi)
			 : "memory", "cc");
	sys(SYS_mprotect, (long)pg, (long)(end - pg), prot, 0, 0, 0);
	if (ok && membarrier_ok)
		sys(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE, 0, 0, 0, 0, 0);
	return ok ? 0 : -1;
}

/* The block at BLOCK as it is now, with N bytes of it from OFF replaced by
 * BY, into NEW (its present bytes into CUR).  0, or -1 if those bytes are
 * not WAS now. */
static int edit(uintptr_t block, unsigned off, const uint8_t *was, const uint8_t *by, unsigned n,
		uint8_t cur[16], uint8_t new[16])
{
	if (mw_probe_copy(cur, (const void *)block, 16) || (was && memcmp(cur + off, was, n)))
		return -1;
	memcpy(new, cur, 16);
	memcpy(new + off, by, n);
	return 0;
}

/* The five bytes at PC go FROM -> TO. */
static int put(uintptr_t pc, const uint8_t from[5], const uint8_t to[5], int prot)
{
	static const uint8_t spin[2] = { 0xeb, 0xfe };  /* jmp . */
	uintptr_t block = pc & ~(uintptr_t)15;
	unsigned off = (unsigned)(pc - block), first = off + 5 > 16 ? 16 - off : 5;
	uint8_t now[16], next[16], b2[16], b2new[16];

	if (off == 15)
		return -1;
	if (first == 5)
		return edit(block, off, from, to, 5, now, next) || swap_block(block, now, next, prot);
	/* Across two blocks: both checked before anything is written; NOW is
	 * what the first block holds. */
	if (edit(block, off, from, spin, 2, now, next) ||
	    edit(block + 16, 0, from + first, to + first, 5 - first, b2, b2new) ||
	    memcmp(now + off + 2, from + 2, first - 2) || swap_block(block, now, next, prot))
		return -1;
	memcpy(now, next, 16);
	memcpy(next + off + 2, to + 2, first - 2);
	if (swap_block(block, now, next, prot) == 0) {
		memcpy(now, next, 16);
		if (swap_block(block + 16, b2, b2new, prot) == 0) {
			memcpy(next + off, to, 2);
			return swap_block(block, now, next, prot);
		}
		memcpy(next + off + 2, from + 2, first - 2);
		if (swap_block(block, now, next, prot) == 0)
			memcpy(now, next, 16);
	}
	/* Back as it was, the two bytes last. */
	memcpy(next, now, 16);
	memcpy(next + off, from, 2);
	swap_block(block, now, next, prot);
	return -1;
}

/* ------------------------------------------------------------ the table */

struct mw_x86_site *mw_x86_site_new(void)
{
	unsigned i = atomic_load(&nsites);

	if (i >= SITES)
		return NULL;
	memset(&sites[i], 0, sizeof(sites[i]));
	return &sites[i];
}

void mw_x86_site_publish(struct mw_x86_site *s)
{
	atomic_store(&nsites, (unsigned)(s - sites) + 1);
}

int mw_x86_site_put(struct mw_x86_site *s, int prot)
{
	if (put(s->pc, s->orig, s->jump, prot) < 0)
		return -1;
	atomic_store(&s->live, 1);
	return 0;
}

int mw_x86_site_undo(struct mw_x86_site *s)
{
	int prot;

	if (!atomic_exchange(&s->live, 0))
		return 0;
	prot = mw_code_prot(s->pc);
	if (prot < 0 || put(s->pc, s->jump, s->orig, prot & ~PROT_WRITE) < 0)
		return -1;      /* not ours any more (unmapped, or changed) */
	return 0;
}

static int in_chunks(uintptr_t pc)
{
	unsigned n = atomic_load(&nchunks);

	for (unsigned i = 0; i < n; i++)
		if (pc - chunk_base[i] < CHUNK)
			return 1;
	return 0;
}

struct mw_x86_site *mw_x86_site_of_stub(uintptr_t pc)
{
	unsigned n = atomic_load(&nsites);

	if (!in_chunks(pc))
		return NULL;
	for (unsigned i = 0; i < n; i++)
		if (pc - sites[i].stub < MW_X86_SLOT)
			return &sites[i];
	return NULL;
}

struct mw_x86_site *mw_x86_site_at(uintptr_t pc)
{
	unsigned n = atomic_load(&nsites);

	for (unsigned i = 0; i < n; i++)
		if (sites[i].pc == pc)
			return &sites[i];
	return NULL;
}

unsigned mw_x86_sites_count(void)
{
	return atomic_load(&nsites);
}

struct mw_x86_site *mw_x86_site(unsigned i)
{
	return &sites[i];
}

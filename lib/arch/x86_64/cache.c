/* SPDX-License-Identifier: MIT */
/*
 * cache.c - the analyzed-instruction cache (see cache.h).
 * Fault path (mw_x86_cache_get): atomics, memcmp, mw_x86_analyze.
 *
 * Stubs live in a memfd mapped twice, read-write for writing them and
 * read-execute for running them: no page is ever writable and executable.
 * A forked child would share that memfd with its parent, but not the
 * count of stubs used: each would write its next new stub into the same
 * slot, and run the other's (dash, forking for a pipeline, ran its child's
 * `gotsigchld = 1` as its own `pathopt = NULL`).  mw_arch_forked gives the
 * child a memfd of its own, at the same addresses.
 * mw_arch_forked: mw_arch_gate_syscall, memcpy.
 *
 * The read-write view exists for writing stubs, which happens only while
 * a watch exists: otherwise it is read-only (mw_arch_code_seal), so that no
 * writable view of code stays in a process that is not watching anything
 * (issue 21: a stray write there would become code).  A miss while sealed
 * writes no stub and returns NULL (declined); none happens, since no page
 * is watched then.
 */
#include <errno.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "arch/arch.h"
#include "arch/x86_64/cache.h"
#include "arch/x86_64/jit.h"
#include "base/sigsafe.h"

#define ENTRIES  65536u
#define SLOTS    (2 * ENTRIES)          /* open addressing, load <= 1/2 */

static struct mw_x86_insn *entries;
static _Atomic uint32_t *slots;         /* entry index + 1, 0 = empty */
static _Atomic uint32_t used;
static uint8_t *stubs_rw;
static const uint8_t *stubs_rx;
static pid_t stubs_pid;                 /* the process the memfd is for */
static _Atomic int sealed;              /* stubs_rw read-only: no watch */

#define STUBS_BYTES ((size_t)ENTRIES * MW_X86_STUB_SIZE)

void mw_arch_code_seal(int seal)
{
	if (!stubs_rw || atomic_load(&sealed) == !!seal)
		return;
	if (!seal && mprotect(stubs_rw, STUBS_BYTES, PROT_READ | PROT_WRITE) < 0)
		return;         /* stays sealed: misses are declined */
	atomic_store(&sealed, !!seal);
	if (seal)
		mprotect(stubs_rw, STUBS_BYTES, PROT_READ);
}

int mw_x86_cache_init(void)
{
	size_t stubs = (size_t)ENTRIES * MW_X86_STUB_SIZE;
	int fd;

	entries = mmap(NULL, ENTRIES * sizeof(*entries), PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	slots = mmap(NULL, SLOTS * sizeof(*slots), PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (entries == MAP_FAILED || slots == MAP_FAILED)
		return -ENOMEM;
	fd = memfd_create("memwatch-code", MFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)stubs) < 0) {
		close(fd);
		return -errno;
	}
	stubs_rw = mmap(NULL, stubs, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	stubs_rx = mmap(NULL, stubs, PROT_READ | PROT_EXEC, MAP_SHARED, fd, 0);
	close(fd);
	if (stubs_rw == MAP_FAILED || stubs_rx == MAP_FAILED)
		return -ENOMEM;
	stubs_pid = getpid();
	mw_x86_jit_register((uintptr_t)stubs_rx, stubs);
	mw_arch_code_seal(1);   /* until the first watch */
	return 0;
}

static long sys(long nr, long a, long b, long c, long d, long e, long f)
{
	return mw_arch_gate_syscall(nr, a, b, c, d, e, f);
}

void mw_arch_forked(void)
{
	size_t size = (size_t)ENTRIES * MW_X86_STUB_SIZE;
	uint32_t n = atomic_load_explicit(&used, memory_order_relaxed);
	pid_t pid = (pid_t)sys(SYS_getpid, 0, 0, 0, 0, 0, 0);
	long fd, tmp;

	if (!stubs_rw || pid == stubs_pid)
		return;
	stubs_pid = pid;
	if (n > ENTRIES)
		n = ENTRIES;
	fd = sys(SYS_memfd_create, (long)"memwatch-code", MFD_CLOEXEC, 0, 0, 0, 0);
	if (fd < 0)
		return;
	if (sys(SYS_ftruncate, fd, (long)size, 0, 0, 0, 0) < 0) {
		sys(SYS_close, fd, 0, 0, 0, 0, 0);
		return;
	}
	tmp = sys(SYS_mmap, 0, (long)size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (tmp < 0 && tmp > -4096) {
		sys(SYS_close, fd, 0, 0, 0, 0, 0);
		return;
	}
	/* The stubs of the entries the child has (a parent's thread may be
	 * writing one past them: never published here, never run). */
	memcpy((void *)tmp, stubs_rw, (size_t)n * MW_X86_STUB_SIZE);
	sys(SYS_mmap, (long)stubs_rw, (long)size,
	    atomic_load(&sealed) ? PROT_READ : PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0);
	sys(SYS_mmap, (long)stubs_rx, (long)size, PROT_READ | PROT_EXEC, MAP_SHARED | MAP_FIXED,
	    fd, 0);
	sys(SYS_munmap, tmp, (long)size, 0, 0, 0, 0);
	sys(SYS_close, fd, 0, 0, 0, 0, 0);
}

int mw_x86_cache_has_stub(uintptr_t pc)
{
	return stubs_rx && pc - (uintptr_t)stubs_rx < (size_t)ENTRIES * MW_X86_STUB_SIZE;
}

static uint32_t hash(uint64_t pc)
{
	pc ^= pc >> 29;
	pc *= 0xbf58476d1ce4e5b9ull;
	pc ^= pc >> 32;
	return (uint32_t)pc & (SLOTS - 1);
}

static int same(const struct mw_x86_insn *e, uint64_t pc, const uint8_t *code, size_t n)
{
	return e->pc == pc && e->len <= n && memcmp(e->bytes, code, e->len) == 0;
}

const struct mw_x86_insn *mw_x86_cache_get(uint64_t pc, const uint8_t *code, size_t n)
{
	uint32_t h = hash(pc), idx;
	struct mw_x86_insn *e;

	for (;;) {
		/* acquire: pairs with the release CAS below; the entry's
		 * contents and stub are complete when its index is seen. */
		uint32_t v = atomic_load_explicit(&slots[h], memory_order_acquire);

		if (!v)
			break;
		if (same(&entries[v - 1], pc, code, n))
			return &entries[v - 1];
		h = (h + 1) & (SLOTS - 1);
	}

	if (atomic_load_explicit(&sealed, memory_order_relaxed))
		return NULL;
	idx = atomic_fetch_add_explicit(&used, 1, memory_order_relaxed);
	if (idx >= ENTRIES)
		return NULL;
	e = &entries[idx];
	mw_x86_analyze(code, n, pc, e, stubs_rw + (size_t)idx * MW_X86_STUB_SIZE,
		       stubs_rx + (size_t)idx * MW_X86_STUB_SIZE);

	for (;;) {
		uint32_t expected = 0;

		/* release: publishes the entry written above (see the load). */
		if (atomic_compare_exchange_strong_explicit(&slots[h], &expected, idx + 1,
							    memory_order_release,
							    memory_order_acquire))
			return e;
		if (same(&entries[expected - 1], pc, code, n))
			return &entries[expected - 1];   /* another thread won */
		h = (h + 1) & (SLOTS - 1);
	}
}

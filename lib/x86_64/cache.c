/* SPDX-License-Identifier: MIT */
/*
 * cache.c - the analyzed-instruction cache (see cache.h).
 * Fault path (mw_x86_cache_get): atomics, memcmp, mw_x86_analyze.
 *
 * Stubs live in a memfd mapped twice, read-write for writing them and
 * read-execute for running them: no page is ever writable and executable.
 */
#include <errno.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cache.h"
#include "jit.h"
#include "sigsafe.h"

#define ENTRIES  65536u
#define SLOTS    (2 * ENTRIES)          /* open addressing, load <= 1/2 */

static struct mw_x86_insn *entries;
static _Atomic uint32_t *slots;         /* entry index + 1, 0 = empty */
static _Atomic uint32_t used;
static uint8_t *stubs_rw;
static const uint8_t *stubs_rx;

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
	mw_x86_jit_register((uintptr_t)stubs_rx, stubs);
	return 0;
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

/* SPDX-License-Identifier: MIT */
/*
 * t-scale.c - many watches at once: exact counts and values with 100 000
 * watches (adjacent 16-byte ones, overlapping ones and one over all of
 * them) while two threads store into them; 2 000 watches on pages of their
 * own; 20 000 watches of random places and sizes, half of them unwatched,
 * counted against a plain list.  What they cost is `make bench`'s
 * (bench/bench-scale.c).
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* A 4-byte access at any address (x86 allows it; the compiler is told). */
typedef uint32_t u32_any __attribute__((aligned(1)));

#include "memwatch.h"
#include "tap.h"
#include "sanitizer.h"
#include "section.h"
#include "watch.h"

/* ------------------------------------------- 100 000 watches, two threads */

#define SLOTS 100000            /* 16-byte watches, one after the other */
#define OVER_STEP 50            /* an overlapping 48-byte watch every 50 slots */
#define NOVER (SLOTS / OVER_STEP)

static unsigned char *buf;

/* The permissions of ADDR's mapping ("rw-p"). */
static const char *perm(const void *addr)
{
	static char out[2][5];
	static int k;

	k ^= 1;
	perms_of(addr, out[k]);
	return out[k];
}
static int slot_id[SLOTS], over_id[NOVER], all_id;

static uint64_t value_of(size_t slot)
{
	return 0x5a00000000000000ull | (slot * 2654435761u);
}

static void *store_every_other(void *arg)
{
	size_t first = (size_t)(uintptr_t)arg;

	for (size_t i = first; i < SLOTS; i += 2)
		*(volatile uint64_t *)(buf + 16 * i) = value_of(i);
	return NULL;
}

/* How many 8-byte stores at the start of each slot touch [a, a + len). */
static uint64_t stores_into(size_t a, size_t len)
{
	uint64_t n = 0;

	for (size_t s = a / 16 > 0 ? a / 16 - 1 : 0; s < SLOTS && 16 * s < a + len; s++)
		if (16 * s + 8 > a)
			n++;
	return n;
}

static void sec_hundred_thousand(void)
{
	size_t len = (size_t)SLOTS * 16;
	uint64_t total0 = mw_total_count(), want_total = 0;
	pthread_t t[2];
	int bad = 0, distinct = 1;

	buf = map_pages(len / 4096 + 1);
	for (size_t i = 0; i < SLOTS; i++)
		memset(buf + 16 * i, (int)(i % 251), 16);
	all_id = watch(buf, len, MW_WRITE);
	for (size_t i = 0; i < SLOTS; i++)
		slot_id[i] = watch(buf + 16 * i, 16, MW_WRITE);
	for (size_t k = 0; k < NOVER; k++)
		over_id[k] = watch(buf + 16 * OVER_STEP * k + 8, 48, MW_WRITE);
	for (size_t i = 1; i < SLOTS && distinct; i++)
		distinct = slot_id[i] > slot_id[i - 1];
	ok(distinct && slot_id[0] > all_id, "%d watches, ids distinct and rising",
	   1 + SLOTS + NOVER);

	for (long k = 0; k < 2; k++)
		pthread_create(&t[k], NULL, store_every_other, (void *)k);
	for (int k = 0; k < 2; k++)
		pthread_join(t[k], NULL);

	for (size_t i = 0; i < SLOTS && bad < 5; i++) {
		uint64_t c = ~0ull;

		if (mw_count(slot_id[i], &c) != 0 || c != 1) {
			diag("slot %zu: watch %d counts %" PRIu64 ", want 1", i, slot_id[i], c);
			bad++;
		}
	}
	ok(!bad, "each of the %d adjacent watches counted its one store", SLOTS);
	bad = 0;
	for (size_t k = 0; k < NOVER && bad < 5; k++) {
		uint64_t c = ~0ull, want = stores_into(16 * OVER_STEP * k + 8, 48);

		if (mw_count(over_id[k], &c) != 0 || c != want) {
			diag("overlapping watch %zu counts %" PRIu64 ", want %" PRIu64, k, c, want);
			bad++;
		}
	}
	ok(!bad, "each of the %d overlapping watches counted the stores into it (3 each)", NOVER);
	is_count(all_id, SLOTS, "the watch over all of them");
	want_total = SLOTS;     /* accesses, each counted once */
	ok(mw_total_count() - total0 == want_total, "total count +%" PRIu64, want_total);

	bad = 0;
	for (size_t i = 0; i < SLOTS; i++) {
		unsigned char rest[8];

		memset(rest, (int)(i % 251), 8);
		if (*(uint64_t *)(buf + 16 * i) != value_of(i) || memcmp(buf + 16 * i + 8, rest, 8))
			bad++;
	}
	ok(!bad, "every slot holds its stored value and its old second half (%d wrong)", bad);

	/* Unwatch in an order unlike the one they were made in. */
	bad = 0;
	for (size_t k = 0; k < NOVER; k++)
		bad += mw_unwatch(over_id[NOVER - 1 - k]) != 0;
	for (size_t i = 0; i < SLOTS; i += 2)
		bad += mw_unwatch(slot_id[i]) != 0;
	for (size_t i = SLOTS - 1; i < SLOTS; i -= 2)
		bad += mw_unwatch(slot_id[i]) != 0;
	bad += mw_unwatch(all_id) != 0;
	ok(!bad, "all of them unwatch (%d failed)", bad);
	ok(mw_count(slot_id[SLOTS / 2], NULL) == -ENOENT && mw_count(all_id, NULL) == -ENOENT,
	   "their ids are gone");
	*(volatile uint64_t *)buf = 7;
	bad = 0;
	for (size_t i = 1; i < SLOTS; i++)
		bad += *(uint64_t *)(buf + 16 * i) != value_of(i);
	ok(!bad && *(uint64_t *)buf == 7 && mw_total_count() - total0 == want_total,
	   "after: values kept, stores not counted");
	ok(strcmp(perm(buf), "rw-p") == 0 && strcmp(perm(buf + len - 1), "rw-p") == 0,
	   "the buffer is its own read-write memory again");
}

/* ------------------------------------------------ pages of their own */

#define NPAGES 2000

static void sec_pages(void)
{
	unsigned char *p = map_pages(2 * NPAGES);
	static int id[NPAGES];
	int bad = 0;

	for (int i = 0; i < NPAGES; i++)
		p[8192 * (size_t)i + 100] = (unsigned char)i;
	for (int i = 0; i < NPAGES; i++)
		id[i] = watch(p + 8192 * (size_t)i + 96, 8, MW_READ | MW_WRITE);
	for (int i = NPAGES - 1; i >= 0; i--)
		p[8192 * (size_t)i + 101] = (unsigned char)(p[8192 * (size_t)i + 100] + 1);
	for (int i = 0; i < NPAGES; i++) {
		uint64_t c = ~0ull;

		if (mw_count(id[i], &c) != 0 || c != 2)
			bad++;
	}
	ok(!bad, "%d watches on every other page: each counted a read and a store", NPAGES);
	ok(strcmp(perm(p), "---p") != 0 && strcmp(perm(p + 4096), "rw-p") == 0,
	   "watched pages are protected, the pages between are not");
	bad = 0;
	for (int i = 0; i < NPAGES; i++)
		bad += mw_unwatch(id[i]) != 0;
	for (int i = 0; i < NPAGES; i++)
		bad += p[8192 * (size_t)i + 100] != (unsigned char)i ||
		       p[8192 * (size_t)i + 101] != (unsigned char)(i + 1);
	ok(!bad, "all unwatch, every page holds its values");
	ok(strcmp(perm(p), "rw-p") == 0, "and is read-write again");
}

/* ------------------------------- random watches against a plain list */

#define NRAND 20000
#define AREA (16 * 4096)

struct rw {
	int id;
	size_t off, len;
	unsigned flags;
	uint64_t want;
};

static void sec_random(void)
{
	unsigned char *a = map_pages(AREA / 4096);
	static struct rw w[NRAND];
	unsigned seed = 12345;
	int bad = 0, live = 0;

	for (int i = 0; i < NRAND; i++) {
		seed = seed * 1103515245 + 12345;
		w[i].off = (seed >> 8) % AREA;
		seed = seed * 1103515245 + 12345;
		w[i].len = 1 + ((seed >> 8) % 8 ? (seed >> 12) % 64 : (seed >> 12) % 8192);
		if (w[i].off + w[i].len > AREA)
			w[i].len = AREA - w[i].off;
		w[i].flags = (seed >> 4) % 2 ? MW_WRITE : MW_READ | MW_WRITE;
		w[i].id = watch(a + w[i].off, w[i].len, w[i].flags);
	}
	/* Half of them go, every other one. */
	for (int i = 0; i < NRAND; i += 2)
		bad += mw_unwatch(w[i].id) != 0;
	ok(!bad, "%d random watches on 64 KiB, every other one unwatched", NRAND);
	for (int k = 0; k < 3000; k++) {
		size_t off;
		int write;

		seed = seed * 1103515245 + 12345;
		off = (seed >> 8) % (AREA - 4);
		write = (seed >> 3) & 1;
		/* 4-byte accesses at any byte: unaligned on purpose. */
		if (write)
			*(volatile u32_any *)(a + off) = (uint32_t)k;
		else
			(void)*(volatile u32_any *)(a + off);
		for (int i = 1; i < NRAND; i += 2)
			if (w[i].off < off + 4 && off < w[i].off + w[i].len &&
			    (write || (w[i].flags & MW_READ)))
				w[i].want++;
	}
	bad = 0;
	for (int i = 1; i < NRAND; i += 2) {
		uint64_t c = ~0ull;

		live++;
		if (mw_count(w[i].id, &c) != 0 || c != w[i].want) {
			if (bad < 5)
				diag("watch %d (+%zu, %zu bytes) counts %" PRIu64 ", want %" PRIu64,
				     w[i].id, w[i].off, w[i].len, c, w[i].want);
			bad++;
		}
	}
	ok(!bad, "3000 random 4-byte reads and stores: each of the %d live watches counted exactly",
	   live);
	bad = 0;
	for (int i = 1; i < NRAND; i += 2)
		bad += mw_unwatch(w[i].id) != 0;
	ok(!bad, "the rest unwatch");
}

/* ------------------------------------------ at the limit of mappings */

/* Every mapping the process may have: a reserved range cut into pieces
 * by protecting every other page, then single pages until none is left.
 * How many were made. */
static long fill_mappings(void)
{
	size_t n = (size_t)1 << 18;
	char *big = mmap(NULL, n * 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
			 -1, 0);
	long made = 0;

	if (big == MAP_FAILED)
		bail("mmap: %s", strerror(errno));
	for (size_t i = 1; i + 1 < n && mprotect(big + i * 4096, 4096, PROT_NONE) == 0; i += 2)
		made += 2;
	for (int i = 0; i < 64 && mmap(NULL, 4096, i % 2 ? PROT_READ : PROT_NONE,
				       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) != MAP_FAILED; i++)
		made++;
	return made;
}

static void sec_limit(void)
{
	unsigned char *p = map_pages(8), *fresh = map_pages(3);
	int id[3], r, w, bad = 0;
	long made;

	if (MW_ASAN) {
		for (int i = 0; i < 5; i++)
			ok(1, "# SKIP AddressSanitizer needs mappings at the limit too");
		return;
	}
	fresh[4096] = 9;
	id[0] = watch(p + 4096, 16, MW_WRITE);
	id[1] = watch(p + 4 * 4096, 3 * 4096, MW_WRITE);
	made = fill_mappings();
	ok(made > 1000 && mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED,
	   "at vm.max_map_count (%ld mappings more)", made);
	r = mw_watch(fresh + 4096, 8, MW_WRITE);
	ok(r == -ENOMEM && strstr(mw_strerror(r), "vm.max_map_count") != NULL,
	   "a watch of a page of its own fails with ENOMEM, its message names vm.max_map_count");
	if (r != -ENOMEM)
		diag("  mw_watch = %d (%s)", r, mw_strerror(r));
	ok(fresh[4096] == 9 && (fresh[4096] = 10, fresh[4096] == 10), "the page is as it was");
	/* Watches of pages watched already need no mapping. */
	for (int i = 0; i < 1000; i++) {
		w = mw_watch(p + 4 * 4096 + 8 * (size_t)i, 8, MW_WRITE);
		bad += w <= 0 || mw_unwatch(w) != 0;
	}
	id[2] = mw_watch(p + 4096 + 16, 8, MW_WRITE);
	p[4096 + 16] = 1;
	ok(!bad && id[2] > 0 && mw_count(id[2], NULL) == 0,
	   "1 000 watches and unwatches on watched pages work there");
	bad = 0;
	for (int i = 0; i < 3; i++)
		bad += mw_unwatch(id[i]) != 0;
	ok(!bad && p[4096 + 16] == 1, "and every watch unwatches");
}

int main(void)
{
	plan(26);
	run_section("100 000 watches", 10, sec_hundred_thousand);
	run_section("pages of their own", 4, sec_pages);
	run_section("random watches", 3, sec_random);
	run_section("at the limit of mappings", 5, sec_limit);
	return done();
}

/* SPDX-License-Identifier: MIT */
/*
 * t-overlap.c - watches that overlap, touch or share a page; accesses that
 * touch only part of a watch; kinds of access.  Exact counts per watch and in
 * mw_total_count(), and the values.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "memwatch.h"
#include "tap.h"
#include "section.h"

static uint64_t total0;
static unsigned char *pg;	/* two fresh pages per section */

static void fresh_pages(void)
{
	pg = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (pg == MAP_FAILED)
		bail("mmap: %s", strerror(errno));
	total0 = mw_total_count();
}

static int watch(size_t off, size_t len, unsigned flags)
{
	int id = mw_watch(pg + off, len, flags);

	if (id <= 0)
		bail("mw_watch(page + %zu, %zu, 0x%x) = %d (%s)", off, len, flags,
		     id, mw_strerror(id));
	return id;
}

/* The counts of N watches (ids in IDS) are WANT, and the total grew by DT. */
static void counts(int n, const int *ids, const uint64_t *want, uint64_t dt,
		   const char *what)
{
	char got_s[512] = "", want_s[512] = "";
	size_t gl = 0, wl = 0;
	int good = 1;
	uint64_t t = mw_total_count() - total0;

	for (int i = 0; i < n; i++) {
		uint64_t c = ~0ull;
		int r = mw_count(ids[i], &c);

		if (r != 0 || c != want[i])
			good = 0;
		if (gl < sizeof(got_s) - 40)
			gl += (size_t)snprintf(got_s + gl, sizeof(got_s) - gl, " %s%" PRIu64,
					       r ? "ERR" : "", r ? (uint64_t)-r : c);
		if (wl < sizeof(want_s) - 40)
			wl += (size_t)snprintf(want_s + wl, sizeof(want_s) - wl, " %" PRIu64,
					       want[i]);
	}
	if (!ok(good && t == dt, "%s: counts%s, total +%" PRIu64, what, want_s, dt))
		diag("  got counts%s, total +%" PRIu64, got_s, t);
}

#define COUNTS(what, dt, ...) do { \
	const uint64_t w_[] = { __VA_ARGS__ }; \
	counts((int)(sizeof(w_) / sizeof(w_[0])), ids, w_, dt, what); \
} while (0)

typedef uint64_t u64u __attribute__((aligned(1), may_alias));
typedef uint16_t u16u __attribute__((aligned(1), may_alias));

#define ST8(off, val) (*(volatile unsigned char *)(pg + (off)) = (unsigned char)(val))
#define LD8(off) (*(volatile unsigned char *)(pg + (off)))
#define ST64(off, val) (*(volatile u64u *)(pg + (off)) = (uint64_t)(val))
#define LD64(off) (*(volatile u64u *)(pg + (off)))

/* ------------------------------------------------------------------ */

static void sec_overlapping(void)
{
	int ids[2];

	fresh_pages();
	ids[0] = watch(100, 100, MW_WRITE);	/* A: 100..199 */
	ids[1] = watch(150, 100, MW_WRITE);	/* B: 150..249 */
	ST8(175, 1);
	COUNTS("a store into the overlap", 1, 1, 1);
	ST8(120, 2);
	COUNTS("a store into A only", 2, 2, 1);
	ST8(220, 3);
	COUNTS("a store into B only", 3, 2, 2);
	ST8(300, 4);
	COUNTS("a store after both", 3, 2, 2);
	ST64(196, 0x0102030405060708ull);
	COUNTS("an 8-byte store at 196 (A's end and B)", 4, 3, 3);
	ok(LD8(175) == 1 && LD8(120) == 2 && LD8(220) == 3 && LD8(300) == 4 &&
	   LD64(196) == 0x0102030405060708ull && LD8(195) == 0 && LD8(204) == 0,
	   "the values stored");
	COUNTS("reads of write watches", 4, 3, 3);
}
#define N_OVERLAPPING 7

static void sec_adjacent(void)
{
	int ids[2];

	fresh_pages();
	ids[0] = watch(100, 100, MW_ACCESS);	/* 100..199 */
	ids[1] = watch(200, 100, MW_ACCESS);	/* 200..299 */
	ST8(199, 1);
	COUNTS("a store to the last byte of the first", 1, 1, 0);
	ST8(200, 2);
	COUNTS("a store to the first byte of the second", 2, 1, 1);
	*(volatile u16u *)(pg + 199) = 0x0403;
	COUNTS("a 2-byte store across the border", 3, 2, 2);
	ST8(99, 5);
	ST8(300, 6);
	COUNTS("stores just outside both", 3, 2, 2);
	ok(LD8(199) == 3 && LD8(200) == 4, "the values across the border");
	COUNTS("reading them back", 5, 3, 3);
	ok(LD8(99) == 5 && LD8(300) == 6, "the values outside");
	COUNTS("reading those", 5, 3, 3);
}
#define N_ADJACENT 8

static void sec_three_on_a_page(void)
{
	int ids[3];

	fresh_pages();
	ids[0] = watch(0, 8, MW_WRITE);
	ids[1] = watch(1000, 8, MW_WRITE);
	ids[2] = watch(4088, 8, MW_WRITE);
	ST64(0, 1);
	COUNTS("a store to the first", 1, 1, 0, 0);
	ST64(1000, 2);
	ST64(1000, 3);
	COUNTS("two stores to the second", 3, 1, 2, 0);
	ST64(4088, 4);
	COUNTS("a store to the third", 4, 1, 2, 1);
	ok(LD64(0) == 1 && LD64(1000) == 3 && LD64(4088) == 4, "the values");
}
#define N_THREE 4

static void sec_unwatched_byte(void)
{
	int ids[3];

	fresh_pages();
	ids[0] = watch(100, 8, MW_ACCESS);
	ids[1] = watch(200, 8, MW_WRITE);
	ids[2] = watch(300, 8, MW_READ);
	ST8(2000, 0x77);
	ST64(2008, 0x1122334455667788ull);
	ST8(4095, 0x99);
	COUNTS("stores to unwatched bytes of the watched page", 0, 0, 0, 0);
	ok(LD8(2000) == 0x77 && LD64(2008) == 0x1122334455667788ull && LD8(4095) == 0x99,
	   "the stores were performed");
	COUNTS("and the reads of them", 0, 0, 0, 0);
}
#define N_UNWATCHED_BYTE 3

static void sec_partial(void)
{
	int ids[1];

	fresh_pages();
	ids[0] = watch(512 + 6, 2, MW_ACCESS);
	ST8(511, 0xaa);
	ST8(520, 0xbb);
	ST64(512, 0x8877665544332211ull);
	COUNTS("an 8-byte store covering 2 watched and 6 unwatched bytes", 1, 1);
	ok(LD8(511) == 0xaa && LD8(520) == 0xbb, "the neighbours are untouched");
	ok(LD8(512) == 0x11 && LD8(517) == 0x66, "unwatched bytes of the store");
	COUNTS("reads of unwatched bytes", 1, 1);
	ok(LD8(518) == 0x77 && LD8(519) == 0x88, "watched bytes of the store");
	COUNTS("reads of the two watched bytes", 3, 3);
	is_u64(LD64(512), 0x8877665544332211ull, "an 8-byte load of the same bytes");
	COUNTS("the 8-byte load", 4, 4);
}
#define N_PARTIAL 8

static void sec_kinds(void)
{
	int ids[3];
	unsigned sum = 0;

	fresh_pages();
	for (int i = 0; i < 48; i++)
		pg[i] = (unsigned char)(i + 1);
	ids[0] = watch(0, 16, MW_WRITE);
	ids[1] = watch(16, 16, MW_READ);
	ids[2] = watch(32, 16, 0);
	for (int i = 0; i < 10; i++)
		sum += LD8(i) + LD8(32 + i);
	is_int(sum, 55 + 10 * 32 + 55, "10 reads of the MW_WRITE and of the 0 watch");
	COUNTS("reads of write watches", 0, 0, 0, 0);
	sum = 0;
	for (int i = 0; i < 10; i++)
		sum += LD8(16 + i);
	is_int(sum, 10 * 16 + 55, "10 reads of the MW_READ watch");
	COUNTS("reads of the MW_READ watch", 10, 0, 10, 0);
	for (int i = 0; i < 5; i++)
		ST8(16 + i, 0xc0 + i);
	COUNTS("5 stores into the MW_READ watch", 10, 0, 10, 0);
	is_int(LD8(16) + LD8(20), 0xc0 + 0xc4, "the stores were performed");
	COUNTS("2 reads", 12, 0, 12, 0);
	ST8(5, 1);
	ST8(40, 2);
	COUNTS("a store into each write watch", 14, 1, 12, 1);
}
#define N_KINDS 8

static void sec_rmw(void)
{
	int ids[3];
	uint64_t sum_old = 0;
	volatile uint64_t *a, *w, *r;

	fresh_pages();
	a = (volatile uint64_t *)(pg + 0);
	w = (volatile uint64_t *)(pg + 64);
	r = (volatile uint64_t *)(pg + 128);
	*a = 100;
	*w = 200;
	*r = 300;
	ids[0] = watch(0, 8, MW_ACCESS);
	ids[1] = watch(64, 8, MW_WRITE);
	ids[2] = watch(128, 8, MW_READ);
	for (int i = 0; i < 10; i++)
		sum_old += __atomic_fetch_add(a, 1, __ATOMIC_SEQ_CST);
	is_u64(sum_old, 100 * 10 + 45, "fetch_add returned the old values");
	COUNTS("10 fetch_add on the MW_ACCESS watch", 10, 10, 0, 0);
	for (int i = 0; i < 10; i++)
		__atomic_fetch_add(w, 3, __ATOMIC_SEQ_CST);
	COUNTS("10 fetch_add on the MW_WRITE watch", 20, 10, 10, 0);
	for (int i = 0; i < 10; i++)
		__atomic_fetch_sub(r, 2, __ATOMIC_SEQ_CST);
	COUNTS("10 fetch_sub on the MW_READ watch", 30, 10, 10, 10);
	ok(*w == 230, "the MW_WRITE watched value");
	COUNTS("a read", 30, 10, 10, 10);
	ok(*a == 110 && *r == 280, "the other two values");
	COUNTS("two reads", 32, 11, 10, 11);
}
#define N_RMW 8

static void sec_unwatch_one(void)
{
	int ids[2], gone;
	uint64_t c;

	fresh_pages();
	ids[0] = watch(100, 100, MW_WRITE);	/* A: 100..199 */
	ids[1] = watch(150, 100, MW_WRITE);	/* B: 150..249 */
	ST8(160, 1);
	COUNTS("a store into the overlap", 1, 1, 1);
	is_int(mw_unwatch(ids[0]), 0, "mw_unwatch(A)");
	gone = ids[0];
	ids[0] = ids[1];
	ST8(160, 2);
	COUNTS("a store into the former overlap counts for B", 2, 2);
	ST8(110, 3);
	COUNTS("a store into the former A", 2, 2);
	ST8(249, 4);
	COUNTS("a store to B's last byte", 3, 3);
	is_int(mw_count(gone, &c), -ENOENT, "mw_count(A) after its mw_unwatch");
	ok(LD8(160) == 2 && LD8(110) == 3 && LD8(249) == 4, "the values");
	is_int(mw_unwatch(ids[1]), 0, "mw_unwatch(B)");
	ST8(160, 5);
	is_u64(mw_total_count() - total0, 3, "a store after both are gone: total +3");
	is_int(LD8(160), 5, "and it was performed");
}
#define N_UNWATCH_ONE 10

static void sec_hundred(void)
{
	enum { NW = 100 };
	int ids[NW], good;
	uint64_t c;

	fresh_pages();
	for (int i = 0; i < NW; i++)
		ids[i] = watch(1000 + (size_t)i, 1, MW_WRITE);
	for (int i = 0; i < NW; i++)
		ST8(1000 + i, i + 1);
	good = 1;
	for (int i = 0; i < NW; i++)
		if (mw_count(ids[i], &c) != 0 || c != 1) {
			good = 0;
			diag("  watch of byte %d: count %" PRIu64, 1000 + i, c);
		}
	ok(good, "100 1-byte stores: each of the 100 watches counts 1");
	is_u64(mw_total_count() - total0, 100, "total +100");
	for (int k = 0; k < 13; k++)
		ST64(1000 + 8 * k, 0x0101010101010101ull * (uint64_t)(k + 1));
	good = 1;
	for (int i = 0; i < NW; i++)
		if (mw_count(ids[i], &c) != 0 || c != 2) {
			good = 0;
			diag("  watch of byte %d: count %" PRIu64, 1000 + i, c);
		}
	ok(good, "13 8-byte stores over them: each watch counts 2");
	is_u64(mw_total_count() - total0, 113, "total +113");
	good = 1;
	for (int i = 0; i < 104; i++)
		if (LD8(1000 + i) != i / 8 + 1)
			good = 0;
	ok(good && LD8(999) == 0 && LD8(1104) == 0, "the values");
	good = 1;
	for (int i = 0; i < NW; i += 2)
		if (mw_unwatch(ids[i]) != 0)
			good = 0;
	ok(good, "mw_unwatch of every other watch");
	ST64(1000, ~0ull);
	good = 1;
	for (int i = 1; i < 8; i += 2)
		if (mw_count(ids[i], &c) != 0 || c != 3)
			good = 0;
	ok(good, "an 8-byte store counts for the 4 remaining watches under it");
	is_u64(mw_total_count() - total0, 114, "total +114");
}
#define N_HUNDRED 8

int main(void)
{
	plan(N_OVERLAPPING + N_ADJACENT + N_THREE + N_UNWATCHED_BYTE + N_PARTIAL +
	     N_KINDS + N_RMW + N_UNWATCH_ONE + N_HUNDRED + 9);
	run_section("overlapping watches", N_OVERLAPPING, sec_overlapping);
	run_section("adjacent watches", N_ADJACENT, sec_adjacent);
	run_section("3 watches on a page", N_THREE, sec_three_on_a_page);
	run_section("unwatched bytes of a watched page", N_UNWATCHED_BYTE, sec_unwatched_byte);
	run_section("a store partly on watched bytes", N_PARTIAL, sec_partial);
	run_section("kinds of access", N_KINDS, sec_kinds);
	run_section("read-modify-write", N_RMW, sec_rmw);
	run_section("unwatching one of two overlapping", N_UNWATCH_ONE, sec_unwatch_one);
	run_section("100 one-byte watches", N_HUNDRED, sec_hundred);
	return done();
}

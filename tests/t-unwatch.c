/* SPDX-License-Identifier: MIT */
/*
 * t-unwatch.c - mw_unwatch gives each page back exactly the protection it
 * had (as /proc/self/maps shows it), read-only memory stays read-only while
 * watched, and counting stops with all the values kept.  After the last
 * watch on them the mappings are those of before (the same lines of
 * /proc/self/maps for the range and its neighbours: merged again, same
 * file, flags and protection), so that mremap of the whole mapping works;
 * mw_unwatch succeeds also at the limit of mappings (vm.max_map_count).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "memwatch.h"
#include "tap.h"
#include "maplimit.h"
#include "watch.h"
#include "section.h"
#include "sanitizer.h"

static void is_perms(const void *addr, const char *want, const char *what)
{
	char got[5];

	perms_of(addr, got);
	is_str(got, want, "%s: %s", what, want);
}

/* The protection starts with PREFIX ("---", "r--"). */
static void perms_start(const void *addr, const char *prefix, const char *what)
{
	char got[5];

	perms_of(addr, got);
	if (!ok(strncmp(got, prefix, strlen(prefix)) == 0, "%s: %s.", what, prefix))
		diag("  got %s", got);
}

/* --- A child that stores one byte; its wait status (no core file for the
 * expected crash). */
struct store {
	volatile unsigned char *addr;
	unsigned char val;
};

static void store(void *arg)
{
	struct store *s = arg;

	*s->addr = s->val;
}

static int store_in_child(volatile unsigned char *addr, unsigned char val)
{
	struct child c = { .flags = CHILD_NO_CORE };
	struct store s = { addr, val };

	return child_run(&c, store, &s);
}

static void dies_by_segv(int st, const char *what)
{
	char how[128];

	describe_status(st, how, sizeof(how));
	if (!ok(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV && !WCOREDUMP(st),
		"%s: the process dies by SIGSEGV", what))
		diag("  it %s", how);
}

/* ------------------------------------------------------------------ */

static void sec_rw_pages(void)
{
	unsigned char *p = map_pages(3);
	int id;

	memset(p, 0x11, 3 * 4096);
	is_perms(p, "rw-p", "page 0 before the watch");
	id = watch(p + 4000, 200, MW_ACCESS);
	perms_start(p, "---", "page 0 under an MW_ACCESS watch");
	perms_start(p + 4096, "---", "page 1 under an MW_ACCESS watch");
	is_perms(p + 8192, "rw-p", "page 2, not watched");
	is_int(mw_unwatch(id), 0, "mw_unwatch");
	is_perms(p, "rw-p", "page 0 after mw_unwatch");
	is_perms(p + 4096, "rw-p", "page 1 after mw_unwatch");
	is_perms(p + 8192, "rw-p", "page 2 after mw_unwatch");

	id = watch(p + 4000, 200, MW_WRITE);
	perms_start(p, "r--", "page 0 under an MW_WRITE watch");
	perms_start(p + 4096, "r--", "page 1 under an MW_WRITE watch");
	is_int(mw_unwatch(id), 0, "mw_unwatch");
	is_perms(p, "rw-p", "page 0 after mw_unwatch");
	is_perms(p + 4096, "rw-p", "page 1 after mw_unwatch");
	p[0] = 1;
	p[4096 + 4095] = 2;
	ok(p[0] == 1 && p[8191] == 2 && p[4000] == 0x11 && p[8192] == 0x11,
	   "the pages are writable and hold their values");
}
#define N_RW_PAGES 14

static void sec_readonly_page(void)
{
	volatile unsigned char *p = map_pages(2);
	int id, st;

	for (int i = 0; i < 8192; i++)
		p[i] = (unsigned char)i;
	if (mprotect((void *)(p + 4096), 4096, PROT_READ))
		bail("mprotect: %s", strerror(errno));
	is_perms((void *)(p + 4096), "r--p", "page 1 made read-only");

	/* Without a watch, for comparison. */
	st = store_in_child(p + 4096 + 50, 1);
	dies_by_segv(st, "a store to the read-only page, no watch");

	id = watch((void *)(p + 4000), 200, 0);
	is_int(p[4096 + 50] + p[4096 + 2000], 50 + (2000 & 0xff),
	       "reads of the read-only page while watched");
	is_count(id, 0, "reads are not counted by a write watch");
	p[4010] = 0xee;
	is_count(id, 1, "a store to the rw page");
	st = store_in_child(p + 4096 + 50, 1);
	dies_by_segv(st, "a store to a watched byte of the read-only page");
	st = store_in_child(p + 4096 + 2000, 1);
	dies_by_segv(st, "a store to an unwatched byte of the read-only page");
	is_count(id, 1, "in the parent, after the children");
	is_int(mw_unwatch(id), 0, "mw_unwatch");
	is_perms((void *)p, "rw-p", "page 0 after mw_unwatch");
	is_perms((void *)(p + 4096), "r--p", "page 1 after mw_unwatch");
	st = store_in_child(p + 4096 + 50, 1);
	dies_by_segv(st, "a store to the read-only page after mw_unwatch");
	ok(p[4010] == 0xee && p[4096 + 50] == 50 && p[4199] == (4199 & 0xff),
	   "the values");

	/* The same under an MW_ACCESS watch: reads are counted and right. */
	id = watch((void *)(p + 4000), 200, MW_ACCESS);
	is_int(p[4096 + 50], 50, "a read of a watched byte of the read-only page");
	is_count(id, 1, "the read is counted");
	st = store_in_child(p + 4096 + 60, 1);
	dies_by_segv(st, "a store to the read-only page under an MW_ACCESS watch");
	is_int(mw_unwatch(id), 0, "mw_unwatch");
	is_perms((void *)(p + 4096), "r--p", "page 1 after the second mw_unwatch");
}
#define N_READONLY 18

static void sec_stops_counting(void)
{
	volatile uint64_t *p = map_pages(1);
	uint64_t t, c, sum = 0;
	int id, good = 1;

	id = watch((void *)p, 64, MW_ACCESS);
	for (int i = 0; i < 5; i++)
		p[i] = 100 + (uint64_t)i;
	is_count(id, 5, "5 stores while watched");
	t = mw_total_count();
	is_int(mw_unwatch(id), 0, "mw_unwatch");
	for (int i = 5; i < 10; i++)
		p[i - 2] = 200 + (uint64_t)i;	/* p[3..7] */
	for (int i = 0; i < 8; i++)
		sum += p[i];
	is_u64(mw_total_count(), t, "stores and reads after mw_unwatch: the total stays");
	is_int(mw_count(id, &c), -ENOENT, "mw_count of the unwatched id");
	for (int i = 0; i < 3; i++)
		if (p[i] != 100 + (uint64_t)i)
			good = 0;
	for (int i = 3; i < 8; i++)
		if (p[i] != 200 + (uint64_t)i + 2)
			good = 0;
	ok(good && sum == 100 + 101 + 102 + 205 + 206 + 207 + 208 + 209,
	   "the memory has the values written while watched and after");
}
#define N_STOPS 5

static void sec_two_on_a_page(void)
{
	unsigned char *p = map_pages(1);
	volatile unsigned char *v = p;
	int w, a;
	char got[5];

	w = watch(p + 10, 10, MW_WRITE);
	a = watch(p + 100, 10, MW_ACCESS);
	perms_start(p, "---", "a page under a write and an access watch");
	is_int(mw_unwatch(a), 0, "mw_unwatch of the access watch");
	perms_of(p, got);
	if (!ok(got[1] == '-', "the page is still not writable"))
		diag("  got %s", got);
	v[15] = 1;
	is_count(w, 1, "the write watch still counts");
	is_int(mw_unwatch(w), 0, "mw_unwatch of the write watch");
	is_perms(p, "rw-p", "the page after both");
	ok(v[15] == 1, "the value");
}
#define N_TWO 7

static uint64_t bss_arr[1024];
static const struct {
	uint64_t v[8];
	unsigned char pad[4096 - 64];
} ro __attribute__((aligned(4096))) = { { 1, 2, 3, 4, 5, 6, 7, 8 }, { 0 } };

static void sec_kinds_of_memory(void)
{
	unsigned char *heap = malloc(1000);
	volatile const uint64_t *r = ro.v;
	int id, st;

	if (!heap)
		bail("malloc failed");
	is_perms(heap + 500, "rw-p", "a heap page before");
	id = watch(heap + 500, 8, MW_ACCESS);
	is_int(mw_unwatch(id), 0, "mw_unwatch");
	is_perms(heap + 500, "rw-p", "the heap page after");
	is_perms(&bss_arr[512], "rw-p", "a .bss page before");
	id = watch(&bss_arr[512], 8, MW_WRITE);
	is_int(mw_unwatch(id), 0, "mw_unwatch");
	is_perms(&bss_arr[512], "rw-p", "the .bss page after");
	is_perms(ro.v, "r--p", "the .rodata page before");
	id = watch(ro.v, 64, MW_READ);
	is_u64(r[2], 3, "a read of .rodata while watched");
	is_int(mw_unwatch(id), 0, "mw_unwatch");
	is_perms(ro.v, "r--p", "the .rodata page after");
	st = store_in_child((volatile unsigned char *)ro.v, 1);
	dies_by_segv(st, "a store to .rodata after mw_unwatch");
	heap[500] = 1;
	bss_arr[512] = 2;
	ok(heap[500] == 1 && bss_arr[512] == 2 && r[7] == 8, "the values");
	free(heap);
}
#define N_KINDS_OF_MEMORY 12

/* ------------------------------------------ the address space as it was */

static char before[8192], after[8192];

/* Watch [P, P+N) with FLAGS, write one byte of it, unwatch: the lines of
 * /proc/self/maps over the range and its neighbours are those of before. */
static void same_maps(const volatile void *p, size_t n, unsigned flags, int store, const char *what)
{
	int id;

	maps_around(p, (const volatile char *)p + n, before, sizeof(before));
	id = watch((const void *)p, n, flags);
	if (store)
		*(volatile char *)(uintptr_t)p = *(const volatile char *)p;
	is_int(mw_unwatch(id), 0, "%s: mw_unwatch", what);
	maps_around(p, (const volatile char *)p + n, after, sizeof(after));
	if (!ok(strcmp(after, before) == 0, "%s: /proc/self/maps as before the watch", what))
		diag("  before:\n%s  after:\n%s", before, after);
}

static int data_var[2048] = { 1 };

/* N read-write pages between two PROT_NONE pages of shared memory, which
 * no mapping of the library's can merge with. */
static unsigned char *fenced_pages(size_t n)
{
	unsigned char *f = mmap(NULL, (n + 2) * 4096, PROT_NONE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (f == MAP_FAILED || mmap(f + 4096, n * 4096, PROT_READ | PROT_WRITE,
				    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED)
		bail("mmap: %s", strerror(errno));
	return f + 4096;
}

static void sec_as_it_was(void)
{
	unsigned char *p, *q;
	unsigned char *heap = malloc(100);
	int a, b;

	if (!heap)
		bail("malloc failed");
	memset(heap, 0, 100);
	/* The first watch maps the library's lasting memory. */
	mw_unwatch(watch(heap, 1, MW_WRITE));
	p = fenced_pages(8);
	memset(p, 0x22, 8 * 4096);
	same_maps(p + 2 * 4096 + 8, 16, MW_WRITE, 1, "a page in the middle of a mapping");
	same_maps(p + 3 * 4096 - 8, 4096, MW_ACCESS, 1, "two pages, read watch");
	a = mw_watch(p + 4096, 8, MW_WRITE);
	b = mw_watch(p + 5 * 4096, 8, MW_READ);
	p[4096] = 1;
	ok(a > 0 && b > 0 && mw_unwatch(b) == 0 && mw_unwatch(a) == 0, "two watches, unwatched");
	maps_around(p, p + 8 * 4096, after, sizeof(after));
	maps_around(p + 7 * 4096, p + 8 * 4096, before, sizeof(before));
	is_str(after, before, "the mapping is one again");
	q = mremap(p, 8 * 4096, 16 * 4096, MREMAP_MAYMOVE);
	ok(q != MAP_FAILED && q[4096] == 1 && q[2 * 4096 + 8] == 0x22 && q[5 * 4096] == 0x22,
	   "mremap growing it works, the values moved along");
	same_maps(heap + 10, 8, MW_WRITE, 1, "the heap");
	same_maps(&data_var[1000], 4, MW_WRITE, 1, ".data");
	same_maps(&ro.v[1], 8, MW_READ, 0, ".rodata");
	q = fenced_pages(4);
	q[2 * 4096] = 5;
	mprotect(q, 4 * 4096, PROT_READ);
	same_maps(q + 2 * 4096, 8, MW_READ, 0, "read-only anonymous memory");
	ok(q[2 * 4096] == 5, "its value");
	free(heap);
}
#define N_AS_IT_WAS 16

/* ------------------------------------------ at the limit of mappings */

#define N_MAP_LIMIT 10


/* Many watches (a table larger than a few pages), then no mapping left;
 * AT_LIMIT of them unwatched there (each mw_unwatch reads the mappings,
 * slowly as text without PROCMAP_QUERY: t-maps-text.sh). */
#define MANY 2000
#define AT_LIMIT 20

static void sec_map_limit(void)
{
	unsigned char *p, *q;
	static int many[MANY];
	int ids[4], r[4], bad = 0;
	uint64_t total;
	long made;

	if (MW_ASAN) {
		/* ASan maps memory of its own as it goes: at the limit it
		 * aborts before the library is asked anything. */
		for (int i = 0; i < N_MAP_LIMIT; i++)
			ok(1, "# SKIP AddressSanitizer needs mappings at the limit too");
		return;
	}
	p = fenced_pages(8);
	q = fenced_pages(2);
	memset(p, 0x33, 8 * 4096);
	memset(q, 0x44, 2 * 4096);
	maps_around(p, p + 8 * 4096, before, sizeof(before));
	ids[0] = watch(p + 2 * 4096, 8, MW_WRITE);
	ids[1] = watch(p + 5 * 4096, 4096, MW_ACCESS);
	ids[2] = watch(q, 2 * 4096, MW_WRITE);
	ids[3] = watch(q + 100, 4, MW_READ);
	for (int i = 0; i < MANY; i++)
		many[i] = watch(p + 7 * 4096 + i % 4096, 1, MW_WRITE);
	p[2 * 4096] = 1;
	q[100] = 2;
	made = fill_map_count();
	ok(made > 1000 && mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED,
	   "at vm.max_map_count (%ld mappings more)", made);
	for (int i = 3; i >= 0; i--)
		r[i] = mw_unwatch(ids[i]);
	is_int(r[3], 0, "mw_unwatch of a read watch");
	is_int(r[2], 0, "mw_unwatch of a write watch on the same pages");
	is_int(r[1], 0, "mw_unwatch of a two-page read watch");
	is_int(r[0], 0, "mw_unwatch of a write watch");
	for (int i = 0; i < AT_LIMIT; i++) {
		int e = mw_unwatch(many[i]);

		if (e && !bad++)
			diag("  mw_unwatch of watch %d of %d: %d", i, MANY, e);
	}
	is_int(bad, 0, "mw_unwatch of %d of %d watches on one page: none fails", AT_LIMIT, MANY);
	total = mw_total_count();
	p[2 * 4096] = 3;
	p[5 * 4096] = 4;
	q[100] = 5;
	q[4096] = 6;
	ok(mw_total_count() == total && mw_count(ids[0], NULL) == -ENOENT &&
	   mw_count(ids[3], NULL) == -ENOENT && mw_count(many[0], NULL) == -ENOENT,
	   "the watches are gone: nothing counted");
	ok(p[2 * 4096] == 3 && p[2 * 4096 + 1] == 0x33 && p[5 * 4096 + 1] == 0x33 &&
	   q[100] == 5 && q[101] == 0x44 && q[4096] == 6, "the values");
	/* Mappings free again: the next mw_unwatch gives back the pages the
	 * ones at the limit could not. */
	unfill_map_count();
	for (int i = AT_LIMIT; i < MANY; i++)
		mw_unwatch(many[i]);
	maps_around(p, p + 8 * 4096, after, sizeof(after));
	if (!ok(strcmp(after, before) == 0, "then the next mw_unwatch gives the mapping back as it was"))
		diag("  before:\n%s  after:\n%s", before, after);
	p[7 * 4096] = 7;
	ok(p[2 * 4096] == 3 && p[5 * 4096] == 4 && p[7 * 4096] == 7 && p[8 * 4096 - 1] == 0x33 &&
	   mw_total_count() == total, "with its values, nothing counted");
}

int main(void)
{
	plan(N_RW_PAGES + N_READONLY + N_STOPS + N_TWO + N_KINDS_OF_MEMORY + N_AS_IT_WAS +
	     N_MAP_LIMIT + 7);
	run_section("read-write pages", N_RW_PAGES, sec_rw_pages);
	run_section("a read-only page", N_READONLY, sec_readonly_page);
	run_section("counting stops", N_STOPS, sec_stops_counting);
	run_section("two watches on a page", N_TWO, sec_two_on_a_page);
	run_section("heap, .bss, .rodata", N_KINDS_OF_MEMORY, sec_kinds_of_memory);
	run_section("the address space as it was", N_AS_IT_WAS, sec_as_it_was);
	run_section("at the limit of mappings", N_MAP_LIMIT, sec_map_limit);
	return done();
}

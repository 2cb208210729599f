/* SPDX-License-Identifier: MIT */
/*
 * t-memory.c - watch each kind of memory a program has (heap, large malloc,
 * .data, .bss, .rodata, anonymous and private file mappings) and check the
 * exact counts and the values, while watched and after mw_unwatch.
 */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "memwatch.h"
#include "tap.h"
#include "watch.h"
#include "section.h"
#include "sanitizer.h"

static uint64_t total0;

static int watch_or_bail(const void *addr, size_t len, unsigned flags)
{
	int id = mw_watch(addr, len, flags);

	if (!ok(id > 0, "mw_watch(%p, %zu, 0x%x) returns an id > 0", addr, len, flags))
		diag("  it returned %d (%s)", id, id < 0 ? mw_strerror(id) : "");
	return id;
}

static void is_total(uint64_t delta, const char *what)
{
	is_u64(mw_total_count() - total0, delta, "%s: total count +%" PRIu64, what, delta);
}

static void same_bytes(const void *got, const void *want, size_t n, const char *what)
{
	const unsigned char *g = got, *w = want;
	size_t i;

	for (i = 0; i < n && g[i] == w[i]; i++)
		;
	if (!ok(i == n, "%s: all %zu bytes as expected", what, n))
		diag("  first difference at offset %zu: got 0x%02x, want 0x%02x",
		     i, g[i], w[i]);
}

/* Blocks allocated right after the watched block, so that the allocator's
 * own writes (tcache links, chunk headers) land on the watched page. */
enum { NNEAR = 8 };
static unsigned char *near_blk[NNEAR];

static void alloc_neighbours(void)
{
	for (int i = 0; i < NNEAR; i++)
		if (!(near_blk[i] = malloc(48)))
			bail("malloc failed");
}

/* Free and reallocate the neighbours; allocate, fill, check and free blocks
 * of many sizes. */
static int malloc_churn(uintptr_t watched)
{
	enum { NB = 200 };
	unsigned char *b[NB];
	int good = 1, same = 0;

	for (int i = 0; i < NNEAR; i++) {
		if ((uintptr_t)near_blk[i] / 4096 == watched / 4096)
			same++;
		free(near_blk[i]);
	}
	diag("  %d of %d neighbour blocks are on the watched page", same, NNEAR);
	for (int i = 0; i < NNEAR; i++) {
		if (!(near_blk[i] = malloc(48)))
			return 0;
		memset(near_blk[i], 0x30 + i, 48);
	}
	for (int i = 0; i < NNEAR; i++)
		for (int k = 0; k < 48; k++)
			if (near_blk[i][k] != 0x30 + i)
				good = 0;

	for (int i = 0; i < NB; i++) {
		size_t sz = 16 + (size_t)i * 24;

		b[i] = malloc(sz);
		if (!b[i])
			return 0;
		memset(b[i], i & 0xff, sz);
	}
	for (int i = 0; i < NB; i += 2) {
		unsigned char *r = realloc(b[i], 40 + (size_t)i * 30);

		if (!r)
			return 0;
		b[i] = r;
	}
	for (int i = 0; i < NB; i++) {
		size_t sz = 16 + (size_t)i * 24;

		for (size_t k = 0; k < sz; k++)
			if (b[i][k] != (i & 0xff))
				good = 0;
		free(b[i]);
	}
	return good;
}

/* ------------------------------------------------------------------ */

static void sec_malloc_write(void)
{
	unsigned char *blk = malloc(256), want[256];
	volatile unsigned char *v = blk;
	uintptr_t page;
	int id;

	if (!blk)
		bail("malloc failed");
	for (int i = 0; i < 256; i++)
		want[i] = blk[i] = (unsigned char)(i ^ 0x5a);
	alloc_neighbours();
	total0 = mw_total_count();
	id = watch_or_bail(blk + 78, 100, 0);
	same_bytes(blk, want, 256, "malloc'ed block after mw_watch");
	v[78] = want[78] = 1;
	v[177] = want[177] = 2;
	v[120] = want[120] = 3;
	is_count(id, 3, "3 stores to watched bytes 78, 177, 120");
	v[77] = want[77] = 4;
	v[178] = want[178] = 5;
	v[0] = want[0] = 6;
	v[255] = want[255] = 7;
	is_count(id, 3, "stores to bytes 77, 178, 0, 255 of the block");
	(void)v[100];
	(void)v[78];
	is_count(id, 3, "reads of a write watch");
	same_bytes(blk, want, 256, "the block after the stores");
	ok(malloc_churn((uintptr_t)blk + 128), "malloc, realloc and free of 200 other blocks work");
	is_count(id, 3, "after the malloc churn");
	is_total(3, "malloc'ed block");
	is_int(mw_unwatch(id), 0, "mw_unwatch");
	same_bytes(blk, want, 256, "the block after mw_unwatch");
	v[100] = 9;
	is_total(3, "a store after mw_unwatch");
	page = (uintptr_t)blk + 128;
	free(blk);
	ok(malloc_churn(page), "malloc still works after the unwatch");
}
#define N_MALLOC_WRITE 13

static void sec_malloc_access(void)
{
	unsigned char *blk = malloc(256), want[256], got[256];
	volatile unsigned char *v = blk;
	unsigned char x;
	int id;

	if (!blk)
		bail("malloc failed");
	for (int i = 0; i < 256; i++)
		want[i] = blk[i] = (unsigned char)(i * 3 + 1);
	alloc_neighbours();
	total0 = mw_total_count();
	id = watch_or_bail(blk + 78, 100, MW_ACCESS);
	x = v[78];
	is_int(x, want[78], "read of watched byte 78");
	is_count(id, 1, "one read");
	x = v[77];
	x = (unsigned char)(x + v[178]);
	x = (unsigned char)(x + v[0]);
	is_int(x, (unsigned char)(want[77] + want[178] + want[0]), "reads of unwatched bytes of the block");
	is_count(id, 1, "reads of unwatched bytes");
	v[100] = want[100] = 0xee;
	v[79] = want[79] = 0xdd;
	is_count(id, 3, "two stores");
	v[10] = want[10] = 0x11;
	is_count(id, 3, "a store to an unwatched byte");
	ok(malloc_churn((uintptr_t)blk + 128), "malloc, realloc and free of 200 other blocks work");
	is_count(id, 3, "after the malloc churn");
	for (int i = 0; i < 256; i++)
		got[i] = v[i];
	is_count(id, 103, "reading the whole block byte by byte");
	same_bytes(got, want, 256, "the block read while watched");
	is_total(103, "malloc'ed block, MW_ACCESS");
	is_int(mw_unwatch(id), 0, "mw_unwatch");
	same_bytes(blk, want, 256, "the block after mw_unwatch");
	free(blk);
}
#define N_MALLOC_ACCESS 14

extern char __data_start[], _edata[], __bss_start[], _end[];
static int data_arr[16] = { 1, 12, 23, 34, 45, 56, 67, 78, 89, 90, 101, 112,
			    123, 134, 145, 156 };
static uint64_t bss_arr[600];

static void sec_data(void)
{
	volatile int *v = data_arr;
	int want[16], got[16], id;

	if ((char *)data_arr < __data_start || (char *)(data_arr + 16) > _edata)
		bail("data_arr is not in .data");
	memcpy(want, data_arr, sizeof(want));
	total0 = mw_total_count();
	id = watch_or_bail(&data_arr[4], 8 * sizeof(int), MW_ACCESS);
	is_int(v[4], 45, "read of data_arr[4] (watched)");
	is_count(id, 1, "one read");
	is_int(v[3], 34, "read of data_arr[3] (unwatched)");
	is_count(id, 1, "a read of an unwatched neighbour");
	v[11] = want[11] = -5;
	v[12] = want[12] = 99;
	is_count(id, 2, "a store to data_arr[11] and one to data_arr[12]");
	for (int i = 0; i < 16; i++)
		got[i] = v[i];
	is_count(id, 10, "reading all 16 elements");
	same_bytes(got, want, sizeof(want), ".data array read while watched");
	is_total(10, ".data");
	is_int(mw_unwatch(id), 0, "mw_unwatch");
	same_bytes(data_arr, want, sizeof(want), ".data array after mw_unwatch");
}
#define N_DATA 11

static void sec_bss(void)
{
	volatile uint64_t *v = bss_arr;
	uint64_t x = 0;
	int id, zero = 1;

	if ((char *)bss_arr < __bss_start || (char *)(bss_arr + 600) > _end)
		bail("bss_arr is not in .bss");
	total0 = mw_total_count();
	id = watch_or_bail(&bss_arr[100], 4 * sizeof(uint64_t), 0);
	for (int i = 0; i < 600; i++)
		if (bss_arr[i])
			zero = 0;
	ok(zero, ".bss array is all zero after mw_watch");
	for (int i = 100; i < 104; i++)
		v[i] = 0x1111111111111111ull * (uint64_t)(i - 99);
	is_count(id, 4, "4 stores to watched elements");
	v[99] = 7;
	v[104] = 8;
	is_count(id, 4, "stores to the neighbours");
	for (int i = 98; i < 106; i++)
		x += v[i];
	is_count(id, 4, "reads of a write watch");
	is_u64(x, 0x1111111111111111ull * 10 + 15, "sum of the values read");
	is_total(4, ".bss");
	is_int(mw_unwatch(id), 0, "mw_unwatch");
	ok(bss_arr[99] == 7 && bss_arr[100] == 0x1111111111111111ull &&
	   bss_arr[103] == 0x4444444444444444ull && bss_arr[104] == 8 &&
	   bss_arr[105] == 0, ".bss values after mw_unwatch");
}
#define N_BSS 9

/* A page of its own, so that string functions reading neighbouring
 * literals never touch the watched bytes. */
static const struct {
	int v[16];
	unsigned char pad[4096 - 64];
} ro __attribute__((aligned(4096))) = {
	{ 3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 3 }, { 0 }
};

static void sec_rodata(void)
{
	static const int want[16] = { 3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 3 };
	volatile const int *v = ro.v;
	volatile const unsigned char *pad = ro.pad;
	int got[16], id;

	total0 = mw_total_count();
	id = watch_or_bail(ro.v, sizeof(ro.v), MW_READ);
	for (int i = 0; i < 16; i++)
		got[i] = v[i];
	is_count(id, 16, "16 reads of the const array");
	same_bytes(got, want, sizeof(want), "the const array read while watched");
	is_int(pad[100] + pad[4095 - 64], 0, "reads of the rest of the page");
	is_count(id, 16, "reads of unwatched bytes");
	is_total(16, ".rodata");
	is_int(mw_unwatch(id), 0, "mw_unwatch");
	for (int i = 0; i < 16; i++)
		got[i] = v[i];
	same_bytes(got, want, sizeof(want), "the const array read after mw_unwatch");
	is_total(16, "reads after mw_unwatch");
}
#define N_RODATA 9

static void sec_large_malloc(void)
{
	const size_t sz = 300000;
	size_t hblks = mallinfo2().hblks;
	unsigned char *p = malloc(sz), *want;
	volatile unsigned char *v = p;
	size_t k, n = 0;
	int id;

	/* The sanitizers' allocators serve large blocks from their own
	 * mappings, and mallinfo2() knows nothing of them. */
	if (!MW_ASAN && !MW_TSAN && mallinfo2().hblks != hblks + 1)
		bail("glibc did not mmap a block of %zu bytes", sz);
	want = malloc(sz);
	if (!p || !want)
		bail("malloc failed");
	for (size_t i = 0; i < sz; i++)
		want[i] = p[i] = (unsigned char)(i * 7);
	total0 = mw_total_count();
	id = watch_or_bail(p + 1000, 290000, 0);
	same_bytes(p, want, sz, "large block after mw_watch");
	for (k = 1000; k < 291000; k += 4096, n++)
		v[k] = want[k] = (unsigned char)~want[k];
	is_count(id, n, "one store per page");
	v[999] = want[999] = 1;
	v[291000] = want[291000] = 2;
	is_count(id, n, "stores just outside the watch");
	same_bytes(p, want, sz, "large block after the stores");
	is_total(n, "large malloc");
	is_int(mw_unwatch(id), 0, "mw_unwatch");
	same_bytes(p, want, sz, "large block after mw_unwatch");
	free(p);
	free(want);
	ok(1, "free() of the large block after mw_unwatch returned");
}
#define N_LARGE_MALLOC 9

static void sec_mmap5(void)
{
	unsigned char *p = map_pages(5), want[5 * 4096];
	volatile unsigned char *v = p;
	int id;

	for (int i = 0; i < 5 * 4096; i++)
		want[i] = p[i] = (unsigned char)(i / 4096 + i * 5);
	total0 = mw_total_count();
	id = watch_or_bail(p + 100, 4 * 4096 + 100, MW_ACCESS);
	for (int k = 0; k < 5; k++)
		v[k * 4096 + 150] = want[k * 4096 + 150] = (unsigned char)(0xa0 + k);
	is_count(id, 5, "one store in each of the 5 pages");
	v[50] = want[50] = 0x42;
	v[4 * 4096 + 300] = want[4 * 4096 + 300] = 0x43;
	is_count(id, 5, "stores to unwatched bytes of the first and last page");
	is_int(v[4 * 4096 + 150] + v[2 * 4096], 0xa4 + want[2 * 4096],
	       "two reads of watched bytes");
	is_count(id, 7, "two reads");
	is_total(7, "anonymous mmap");
	is_int(mw_unwatch(id), 0, "mw_unwatch");
	same_bytes(p, want, sizeof(want), "the 5 pages after mw_unwatch");
}
#define N_MMAP5 8

typedef uint64_t u64_unaligned __attribute__((aligned(1), may_alias));

static void sec_straddle(void)
{
	unsigned char *p = map_pages(2);
	volatile u64_unaligned *v = (volatile u64_unaligned *)(p + 4092);
	uint64_t x;
	int id, id2;

	total0 = mw_total_count();
	id = watch_or_bail(p + 4090, 12, MW_ACCESS);
	*v = 0x0807060504030201ull;
	is_count(id, 1, "an 8-byte store across the page boundary");
	x = *v;
	is_u64(x, 0x0807060504030201ull, "an 8-byte load across the boundary");
	is_count(id, 2, "and the load");
	is_int(mw_unwatch(id), 0, "mw_unwatch");
	ok(p[4091] == 0 && p[4092] == 1 && p[4095] == 4 && p[4096] == 5 &&
	   p[4099] == 8 && p[4100] == 0, "the bytes on both pages");

	/* Only the second page watched: the access faults on it, its first half
	 * is on a page of plain memory. */
	id2 = watch_or_bail(p + 4096, 4, MW_ACCESS);
	*v = 0x1112131415161718ull;
	is_count(id2, 1, "a straddling store, only its second page watched");
	x = *v;
	is_u64(x, 0x1112131415161718ull, "a straddling load");
	is_count(id2, 2, "and the load");
	is_int(mw_unwatch(id2), 0, "mw_unwatch");
	ok(p[4092] == 0x18 && p[4095] == 0x15 && p[4096] == 0x14 && p[4099] == 0x11,
	   "the bytes on both pages");
	is_total(4, "straddling accesses");
}
#define N_STRADDLE 13

static void sec_file_private(void)
{
	char path[] = "/tmp/t-memory-XXXXXX";
	enum { SZ = 3 * 4096 };
	unsigned char orig[SZ], want[SZ], back[SZ];
	unsigned char *m;
	volatile unsigned char *v;
	int fd, id;

	for (int i = 0; i < SZ; i++)
		orig[i] = (unsigned char)(i * 13 + 7);
	fd = mkstemp(path);
	if (fd < 0)
		bail("mkstemp: %s", strerror(errno));
	unlink(path);
	if (pwrite(fd, orig, SZ, 0) != SZ)
		bail("pwrite: %s", strerror(errno));
	m = mmap(NULL, SZ, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	if (m == MAP_FAILED)
		bail("mmap: %s", strerror(errno));
	v = m;
	memcpy(want, orig, SZ);
	/* Page 0 becomes a private copy before the watch; pages 1 and 2 are
	 * still the file's page cache. */
	v[10] = want[10] = 0xfe;
	total0 = mw_total_count();
	id = watch_or_bail(m + 5, SZ - 10, 0);
	same_bytes(m, want, SZ, "private file mapping after mw_watch");
	v[20] = want[20] = 1;
	v[4096 + 20] = want[4096 + 20] = 2;
	v[2 * 4096 + 20] = want[2 * 4096 + 20] = 3;
	is_count(id, 3, "a store to each page");
	v[2] = want[2] = 4;
	is_count(id, 3, "a store to an unwatched byte");
	same_bytes(m, want, SZ, "the mapping while watched");
	is_total(3, "private file mapping");
	is_int(mw_unwatch(id), 0, "mw_unwatch");
	same_bytes(m, want, SZ, "the mapping after mw_unwatch");
	if (pread(fd, back, SZ, 0) != SZ)
		bail("pread: %s", strerror(errno));
	same_bytes(back, orig, SZ, "the file itself");
	munmap(m, SZ);
	m = mmap(NULL, SZ, PROT_READ, MAP_PRIVATE, fd, 0);
	if (m == MAP_FAILED)
		bail("mmap: %s", strerror(errno));
	same_bytes(m, orig, SZ, "a new mapping of the file");
	close(fd);
}
#define N_FILE_PRIVATE 10

static void sec_preserve(void)
{
	enum { SZ = 3 * 4096 };
	unsigned char *p = map_pages(3), want[SZ], got[SZ];
	volatile unsigned char *v = p;
	uint64_t nw = 0;
	int id;

	for (int i = 0; i < SZ; i++)
		want[i] = p[i] = (unsigned char)(i * 7 + 3 + i / 251);
	total0 = mw_total_count();
	id = watch_or_bail(p + 1000, 8000, MW_ACCESS);
	for (int i = 0; i < SZ; i++)
		got[i] = v[i];
	same_bytes(got, want, SZ, "the pattern read byte by byte after mw_watch");
	is_count(id, 8000, "8000 reads of watched bytes");
	for (int i = 1000; i < 9000; i += 97, nw++)
		v[i] = want[i] = (unsigned char)(i * 3);
	is_count(id, 8000 + nw, "the stores");
	is_int(mw_unwatch(id), 0, "mw_unwatch");
	same_bytes(p, want, SZ, "the pattern with the stores after mw_unwatch");

	/* The same with a write watch, checked with memcmp while watched. */
	id = watch_or_bail(p + 1, SZ - 2, MW_WRITE);
	same_bytes(p, want, SZ, "the pattern right after a write watch");
	for (int i = 0; i < SZ; i += 1000)
		v[i] = want[i] = (unsigned char)(i + 1);
	same_bytes(p, want, SZ, "the pattern with stores while watched");
	is_int(mw_unwatch(id), 0, "mw_unwatch");
	same_bytes(p, want, SZ, "the pattern after the second mw_unwatch");
}
#define N_PRESERVE 11

/* fork() with an active watch: the child's memory is a copy, as without
 * the library; what it writes never shows in the parent. */
static void sec_fork(void)
{
	unsigned char *blk = malloc(256);
	unsigned char *pg = map_pages(1);
	volatile unsigned char *v = blk, *vp = pg;
	unsigned char a, b;
	int id, id2, st;
	pid_t pid;

	if (!blk)
		bail("malloc failed");
	memset(blk, 0x11, 256);
	memset(pg, 0x22, 4096);
	total0 = mw_total_count();
	id = watch_or_bail(blk + 64, 64, MW_WRITE);
	id2 = watch_or_bail(pg + 100, 100, MW_ACCESS);
	v[70] = 0x33;
	vp[150] = 0x44;
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		bail("fork: %s", strerror(errno));
	if (pid == 0) {
		/* Watched and unwatched bytes of both watched pages. */
		v[70] = 0x55;
		v[10] = 0x56;
		vp[150] = 0x57;
		vp[3000] = 0x58;
		_exit(v[70] == 0x55 && v[10] == 0x56 && vp[150] == 0x57 &&
		      vp[3000] == 0x58 && v[71] == 0x11 && vp[151] == 0x22 ? 0 : 1);
	}
	if (waitpid(pid, &st, 0) != pid)
		bail("waitpid: %s", strerror(errno));
	if (!ok(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		"the child writes into watched pages and reads its values back")) {
		char how[128];

		describe_status(st, how, sizeof(how));
		diag("  the child %s", how);
	}
	a = v[70];
	b = v[10];
	if (!ok(a == 0x33 && b == 0x11, "the parent's heap block does not see the child's stores"))
		diag("  watched byte 0x%02x (want 0x33), unwatched byte 0x%02x (want 0x11)", a, b);
	a = vp[150];
	b = vp[3000];
	if (!ok(a == 0x44 && b == 0x22, "the parent's page does not see the child's stores"))
		diag("  watched byte 0x%02x (want 0x44), unwatched byte 0x%02x (want 0x22)", a, b);
	is_count(id, 1, "the parent's heap watch");
	is_count(id2, 2, "the parent's page watch (1 store, 1 read)");
	v[80] = 0x66;
	is_count(id, 2, "the parent's heap watch still counts");
	is_total(4, "fork");
	is_int(mw_unwatch(id), 0, "mw_unwatch");
	is_int(mw_unwatch(id2), 0, "mw_unwatch");
	if (!ok(blk[70] == 0x33 && blk[80] == 0x66 && blk[10] == 0x11 && pg[150] == 0x44 &&
		pg[3000] == 0x22, "the parent's values after mw_unwatch"))
		diag("  heap 0x%02x 0x%02x 0x%02x (want 0x33 0x66 0x11), page 0x%02x 0x%02x"
		     " (want 0x44 0x22)", blk[70], blk[80], blk[10], pg[150], pg[3000]);
	free(blk);
}
#define N_FORK 12

/* Instructions first run (analyzed, given a stub) after the fork below. */
__attribute__((noipa)) static void store_reg(volatile long *p, long v)
{
	*p = v;
}

__attribute__((noipa)) static void store_seven(volatile long *p)
{
	*p = 7;
}

/* After a fork, parent and child each analyze a new instruction.  Their
 * stubs must not share memory: the child's next stub went into the slot of
 * the parent's, which then ran the child's instruction as its own (dash's
 * parent took its child's `gotsigchld = 1` for `pathopt = NULL`). */
static void sec_fork_stubs(void)
{
	volatile long *pg = map_pages(1);
	int go[2], st, id;
	pid_t pid;

	if (pipe(go) < 0)
		bail("pipe: %s", strerror(errno));
	id = watch_or_bail((const void *)pg, 16, MW_WRITE);
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		bail("fork: %s", strerror(errno));
	if (pid == 0) {
		char c;

		/* After the parent's first store_reg. */
		close(go[1]);
		if (read(go[0], &c, 1) != 1)
			_exit(2);
		store_seven(&pg[1]);
		_exit(pg[1] == 7 && pg[0] == 0 ? 0 : 1);
	}
	close(go[0]);
	store_reg(&pg[0], 0x1234);
	if (write(go[1], "", 1) != 1)
		bail("write: %s", strerror(errno));
	if (waitpid(pid, &st, 0) != pid)
		bail("waitpid: %s", strerror(errno));
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the child's new store is its own");
	store_reg(&pg[0], 0x5678);
	is_int((int)pg[0], 0x5678, "the parent's store, again after the child's new one");
	is_int((int)pg[1], 0, "the child's store is not the parent's");
	is_count(id, 2, "the parent's two stores");
	is_int(mw_unwatch(id), 0, "mw_unwatch");
}
#define N_FORK_STUBS 6

static volatile long *chld_page;

static void on_chld(int sig)
{
	(void)sig;
	chld_page[2]++;                 /* a watched page, during a fork maybe */
}

/* A signal handler that writes watched memory, run in the thread that
 * forks while the watched pages are frozen for the child's copy: it waited
 * for the thaw, which that thread itself was to do after the child's copy -
 * a hang (shells count their children in SIGCHLD handlers, and fork at
 * once again: each fork's SIGCHLD lands in the next one). */
static void sec_fork_signal(void)
{
	struct sigaction sa;
	long reaped = 0;
	int id, bad = 0;

	chld_page = map_pages(1);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_chld;
	sigaction(SIGCHLD, &sa, NULL);
	id = watch_or_bail((const void *)chld_page, 24, MW_WRITE);
	fflush(stdout);
	for (int i = 0; i < 300; i++) {
		pid_t a, b;

		chld_page[0] = i;
		a = fork();
		if (a == 0)
			_exit(chld_page[0] == i ? 0 : 1);
		b = fork();
		if (b == 0)
			_exit(chld_page[0] == i ? 0 : 1);
		for (int k = 0; k < 2; k++) {
			int st;
			pid_t p;

			while ((p = waitpid(k ? b : a, &st, 0)) < 0 && errno == EINTR)
				;
			if (p < 0 || !WIFEXITED(st) || WEXITSTATUS(st))
				bad++;
			else
				reaped++;
		}
	}
	is_int(bad, 0, "600 children forked while a SIGCHLD handler writes a watched page");
	ok(chld_page[2] > 0 && chld_page[2] <= reaped, "the handler ran (%ld times)", chld_page[2]);
	signal(SIGCHLD, SIG_DFL);
	is_int(mw_unwatch(id), 0, "mw_unwatch");
}
#define N_FORK_SIGNAL 4

int main(void)
{
	plan(N_MALLOC_WRITE + N_MALLOC_ACCESS + N_DATA + N_BSS + N_RODATA +
	     N_LARGE_MALLOC + N_MMAP5 + N_STRADDLE + N_FILE_PRIVATE + N_PRESERVE + N_FORK + N_FORK_STUBS + N_FORK_SIGNAL + 13);
	run_section("malloc'ed block, write watch", N_MALLOC_WRITE, sec_malloc_write);
	run_section("malloc'ed block, MW_ACCESS", N_MALLOC_ACCESS, sec_malloc_access);
	run_section(".data", N_DATA, sec_data);
	run_section(".bss", N_BSS, sec_bss);
	run_section(".rodata", N_RODATA, sec_rodata);
	run_section("large malloc", N_LARGE_MALLOC, sec_large_malloc);
	run_section("anonymous mmap of 5 pages", N_MMAP5, sec_mmap5);
	run_section("page-straddling accesses", N_STRADDLE, sec_straddle);
	run_section("MAP_PRIVATE file mapping", N_FILE_PRIVATE, sec_file_private);
	run_section("contents preserved", N_PRESERVE, sec_preserve);
	run_section("fork while watched", N_FORK, sec_fork);
	run_section("fork: new instructions in parent and child", N_FORK_STUBS, sec_fork_stubs);
	run_section("fork with a signal handler on watched memory", N_FORK_SIGNAL, sec_fork_signal);
	return done();
}

/* SPDX-License-Identifier: MIT */
/*
 * t-api.c - bad input to the public API: the exact error codes, and that a
 * failing call changes nothing (/proc/self/maps byte-identical, the watches
 * that exist keep counting).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <link.h>
#include <signal.h>
#include <stdint.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "memwatch.h"
#include "tap.h"
#include "section.h"

/* --- /proc/self/maps, read with plain read(2) into buffers of .bss, so that
 * reading it creates no mapping of its own. */
#define MAPS_MAX (1 << 20)
static char maps_before[MAPS_MAX], maps_after[MAPS_MAX];

/* Drops the anonymous executable mappings from the text BUF (N bytes):
 * the library's stubs for patched sites, which the test's own system calls
 * may create at any time (memwatch(3), "Patched sites").  The new length. */
static size_t drop_stubs(char *buf, size_t n)
{
	char *in = buf, *out = buf;

	while (in < buf + n) {
		char *e = memchr(in, '\n', (size_t)(buf + n - in));
		size_t len = e ? (size_t)(e - in) + 1 : (size_t)(buf + n - in);
		char perms[8];
		unsigned long inode = 1;
		int at = 0;
		size_t k;

		if (sscanf(in, "%*x-%*x %7s %*x %*s %lu%n", perms, &inode, &at) == 2)
			for (k = (size_t)at; k < len && (in[k] == ' ' || in[k] == '\n'); k++)
				;
		else
			k = 0;
		if (!(k == len && strcmp(perms, "r-xp") == 0 && inode == 0)) {
			memmove(out, in, len);
			out += len;
		}
		in += len;
	}
	*out = 0;
	return (size_t)(out - buf);
}

static size_t read_maps(char *buf)
{
	size_t n = 0;
	ssize_t r;
	int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		bail("open /proc/self/maps: %s", strerror(errno));
	while ((r = read(fd, buf + n, MAPS_MAX - 1 - n)) > 0)
		n += (size_t)r;
	if (r < 0)
		bail("read /proc/self/maps: %s", strerror(errno));
	if (n >= MAPS_MAX - 1)
		bail("/proc/self/maps is larger than %d bytes", MAPS_MAX);
	buf[n] = 0;
	close(fd);
	return drop_stubs(buf, n);
}

/* Print the lines of A that are not in B, prefixed by TAG. */
static void diag_missing_lines(const char *a, const char *b, const char *tag)
{
	const char *p = a;

	while (*p) {
		const char *e = strchr(p, '\n');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		const char *q = b;
		int found = 0;

		while (*q && !found) {
			const char *f = strchr(q, '\n');
			size_t flen = f ? (size_t)(f - q) : strlen(q);

			found = flen == len && memcmp(p, q, len) == 0;
			q = f ? f + 1 : q + flen;
		}
		if (!found)
			diag("  %s %.*s", tag, (int)len, p);
		p = e ? e + 1 : p + len;
	}
}

static void same_maps(size_t nb, size_t na, const char *what)
{
	if (!ok(nb == na && memcmp(maps_before, maps_after, nb) == 0,
		"%s: /proc/self/maps is unchanged", what)) {
		diag_missing_lines(maps_before, maps_after, "-");
		diag_missing_lines(maps_after, maps_before, "+");
	}
}

/* --- A watch that exists during the failing calls and must keep working. */
static unsigned char *live_page;
static int live_id;
static uint64_t live_expect;

static void live_setup(void)
{
	live_page = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (live_page == MAP_FAILED)
		bail("mmap: %s", strerror(errno));
	live_id = mw_watch(live_page + 104, 8, MW_WRITE);
	if (live_id <= 0)
		bail("mw_watch of an anonymous page failed: %d (%s)", live_id,
		     mw_strerror(live_id));
	live_expect = 0;
}

/* One store into the live watch: its count and the total go up by one. */
static void live_still_works(const char *what)
{
	uint64_t c = ~0ull, t0 = mw_total_count(), t1;
	volatile uint64_t *p = (volatile uint64_t *)(live_page + 104);
	int r;

	*p = live_expect + 1000;
	live_expect++;
	r = mw_count(live_id, &c);
	t1 = mw_total_count();
	if (!ok(r == 0 && c == live_expect && t1 == t0 + 1 &&
		*p == live_expect + 999,
		"%s: an existing watch still counts", what))
		diag("  mw_count=%d count=%" PRIu64 " (want %" PRIu64
		     ") total %" PRIu64 " -> %" PRIu64 " value %" PRIu64,
		     r, c, live_expect, t0, t1, *p);
}

/* A failing call: exact error, nothing changed, the live watch works. */
#define EXPECT_ERR(expr, want, what) do { \
	size_t nb_ = read_maps(maps_before); \
	int r_ = (expr); \
	size_t na_ = read_maps(maps_after); \
	is_int(r_, want, "%s -> %s", what, #want); \
	same_maps(nb_, na_, what); \
	live_still_works(what); \
} while (0)

static void *map_pages(size_t n, int prot, int flags)
{
	void *p = mmap(NULL, n * 4096, prot, flags | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		bail("mmap: %s", strerror(errno));
	return p;
}

/* Grow the main stack's mapping in advance so that a deeper call than
 * before does not change the [stack] line between two snapshots. */
static void __attribute__((noinline)) pregrow_stack(void)
{
	volatile char big[256 * 1024];

	big[0] = 1;
	big[sizeof(big) - 1] = 1;
	(void)big[0];
}

/* ------------------------------------------------------------------ */

static const int codes[] = { EINVAL, EOVERFLOW, EFAULT, ENOTSUP, ENOMEM, ENOENT };
static const char *const code_names[] = {
	"EINVAL", "EOVERFLOW", "EFAULT", "ENOTSUP", "ENOMEM", "ENOENT"
};
#define NCODES 6

static void sec_strerror(void)
{
	for (int i = 0; i < NCODES; i++) {
		const char *s = mw_strerror(-codes[i]);
		const char *s2 = mw_strerror(codes[i]);
		int distinct = 1;

		ok(s && s[0], "mw_strerror(-%s) is a non-empty string",
		   code_names[i]);
		if (!s)
			s = "";
		if (!s2)
			s2 = "";
		diag("  mw_strerror(-%s) = \"%s\"", code_names[i], s);
		ok(strncmp(s, "Unknown error", 13) != 0,
		   "mw_strerror(-%s) is not \"Unknown error\"", code_names[i]);
		is_str(s2, s, "mw_strerror(%s) == mw_strerror(-%s)",
		       code_names[i], code_names[i]);
		for (int j = 0; j < NCODES; j++) {
			const char *o = mw_strerror(-codes[j]);

			if (j != i && o && strcmp(o, s) == 0) {
				distinct = 0;
				diag("  same text as for -%s", code_names[j]);
			}
		}
		ok(distinct, "mw_strerror(-%s) differs from the other codes' texts",
		   code_names[i]);
	}
}
#define N_STRERROR (NCODES * 4)

static void sec_total_starts_at_zero(void)
{
	is_u64(mw_total_count(), 0, "mw_total_count() is 0 before any watch");
}
#define N_TOTAL0 1

static void sec_bad_args(void)
{
	unsigned char *good = map_pages(2, PROT_READ | PROT_WRITE, MAP_PRIVATE);

	pregrow_stack();
	live_setup();
	ok(live_id > 0, "a watch of 8 bytes of an anonymous page has id %d > 0",
	   live_id);

	EXPECT_ERR(mw_watch(NULL, 16, MW_WRITE), -EINVAL, "mw_watch(NULL, 16, MW_WRITE)");
	EXPECT_ERR(mw_watch(NULL, 0, 0), -EINVAL, "mw_watch(NULL, 0, 0)");
	EXPECT_ERR(mw_watch(good, 0, MW_WRITE), -EINVAL, "mw_watch(good, 0, MW_WRITE)");
	EXPECT_ERR(mw_watch(good, 0, MW_ACCESS), -EINVAL, "mw_watch(good, 0, MW_ACCESS)");
	EXPECT_ERR(mw_watch(good, 16, 0x4u), -EINVAL, "mw_watch(good, 16, 0x4)");
	EXPECT_ERR(mw_watch(good, 16, MW_ACCESS | 0x100u), -EINVAL,
		   "mw_watch(good, 16, MW_ACCESS | 0x100)");
	EXPECT_ERR(mw_watch(good, 16, 0x80000000u), -EINVAL,
		   "mw_watch(good, 16, 0x80000000)");
	EXPECT_ERR(mw_watch(good, 16, ~0u), -EINVAL, "mw_watch(good, 16, ~0u)");
	EXPECT_ERR(mw_watch((const void *)(UINTPTR_MAX - 15), 32, MW_WRITE), -EOVERFLOW,
		   "mw_watch(UINTPTR_MAX - 15, 32)");
	EXPECT_ERR(mw_watch((const void *)(UINTPTR_MAX - 4095), 8192, MW_ACCESS),
		   -EOVERFLOW, "mw_watch(UINTPTR_MAX - 4095, 8192)");
	EXPECT_ERR(mw_watch(good + 8, SIZE_MAX, MW_WRITE), -EOVERFLOW,
		   "mw_watch(good + 8, SIZE_MAX)");
	EXPECT_ERR(mw_watch(good, SIZE_MAX - 100, MW_READ), -EOVERFLOW,
		   "mw_watch(good, SIZE_MAX - 100)");
	good[0] = 5;
	is_int(good[0], 5, "the memory of the failed calls is still writable");
}
#define N_BAD_ARGS (1 + 12 * 3 + 1)

/* A 3-page mapping with the pages whose bit is set in HOLES unmapped and
 * those in NONE made PROT_NONE.  Made right before the call it is used for,
 * so that no other mapping fills the holes. */
static unsigned char *layout(unsigned holes, unsigned none)
{
	unsigned char *p = map_pages(3, PROT_READ | PROT_WRITE, MAP_PRIVATE);

	memset(p, 0x5a, 3 * 4096);
	for (int i = 0; i < 3; i++) {
		if ((holes >> i) & 1)
			munmap(p + i * 4096, 4096);
		else if (((none >> i) & 1) && mprotect(p + i * 4096, 4096, PROT_NONE))
			bail("mprotect: %s", strerror(errno));
	}
	return p;
}

static int beyond;

static void sec_bad_memory(void)
{
	unsigned char *p, *x;
	int intact = 1;

	pregrow_stack();
	live_setup();

	p = layout(7, 0);
	EXPECT_ERR(mw_watch(p, 8, MW_WRITE), -EFAULT, "mw_watch(unmapped page, 8)");
	p = layout(7, 0);
	EXPECT_ERR(mw_watch(p + 4000, 8, MW_ACCESS), -EFAULT,
		   "mw_watch(unmapped page + 4000, 8, MW_ACCESS)");
	p = layout(2 | 4, 0);
	EXPECT_ERR(mw_watch(p + 4000, 200, MW_WRITE), -EFAULT,
		   "mw_watch(mapped page + 4000, 200) into an unmapped page");
	intact &= p[4000] == 0x5a;
	p = layout(1, 0);
	EXPECT_ERR(mw_watch(p + 4000, 200, MW_ACCESS), -EFAULT,
		   "mw_watch(unmapped page + 4000, 200) into a mapped page");
	intact &= p[4096] == 0x5a;
	p = layout(2, 0);
	EXPECT_ERR(mw_watch(p + 100, 3 * 4096 - 200, MW_WRITE), -EFAULT,
		   "mw_watch() over mapped, unmapped and mapped pages");
	intact &= p[100] == 0x5a && p[8192] == 0x5a;
	p = layout(0, 7);
	EXPECT_ERR(mw_watch(p + 16, 16, MW_WRITE), -EFAULT,
		   "mw_watch(PROT_NONE page + 16, 16)");
	p = layout(0, 7);
	EXPECT_ERR(mw_watch(p, 4096, MW_READ), -EFAULT,
		   "mw_watch(PROT_NONE page, 4096, MW_READ)");
	p = layout(0, 2);
	EXPECT_ERR(mw_watch(p + 4090, 12, MW_WRITE), -EFAULT,
		   "mw_watch(rw page + 4090, 12) into a PROT_NONE page");
	intact &= p[4095] == 0x5a;

	/* Beyond the end of the address space: unmapped, whatever the range
	 * holds on the way (code, the library's own data). */
	EXPECT_ERR(mw_watch(&beyond, (size_t)1 << 47, MW_WRITE), -EFAULT,
		   "mw_watch(&global, 1 << 47)");
	EXPECT_ERR(mw_watch(&beyond, (size_t)1 << 47, MW_ACCESS), -EFAULT,
		   "mw_watch(&global, 1 << 47, MW_ACCESS)");
	x = map_pages(2, PROT_READ | PROT_EXEC, MAP_PRIVATE);
	munmap(x + 4096, 4096);
	EXPECT_ERR(mw_watch(x + 4000, 200, MW_WRITE), -EFAULT,
		   "mw_watch(executable page + 4000, 200) into an unmapped page");

	/* The mapped parts are untouched and still writable. */
	ok(intact, "the mapped parts kept their contents");
	p[4095] = 1;
	ok(p[4095] == 1, "and are still writable");
}
#define N_BAD_MEMORY (11 * 3 + 2)

static int __attribute__((noinline)) some_code(int x)
{
	return x * 3 + 1;
}

static uintptr_t find_maps_entry(const char *name)
{
	const char *p = maps_before;

	read_maps(maps_before);
	while (*p) {
		const char *e = strchr(p, '\n');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		size_t nl = strlen(name);

		if (len >= nl && memcmp(p + len - nl, name, nl) == 0)
			return (uintptr_t)strtoull(p, NULL, 16);
		p = e ? e + 1 : p + len;
	}
	return 0;
}

static void sec_unwatchable(void)
{
	volatile int local = 42;
	unsigned char *shared, *rx, *xo, *fshared;
	uintptr_t vdso, vvar;
	char path[] = "/tmp/t-api-XXXXXX";
	int fd;

	pregrow_stack();
	live_setup();
	shared = map_pages(1, PROT_READ | PROT_WRITE, MAP_SHARED);
	rx = map_pages(1, PROT_READ | PROT_EXEC, MAP_PRIVATE);
	xo = map_pages(1, PROT_EXEC, MAP_PRIVATE);
	fd = mkstemp(path);
	if (fd < 0)
		bail("mkstemp: %s", strerror(errno));
	unlink(path);
	if (ftruncate(fd, 4096))
		bail("ftruncate: %s", strerror(errno));
	fshared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (fshared == MAP_FAILED)
		bail("mmap: %s", strerror(errno));
	close(fd);
	vdso = (uintptr_t)getauxval(AT_SYSINFO_EHDR);
	vvar = find_maps_entry("[vvar]");
	shared[0] = 9;
	fshared[0] = 8;

	EXPECT_ERR(mw_watch((const void *)(uintptr_t)&some_code, 16, MW_WRITE), -ENOTSUP,
		   "mw_watch(a function's code)");
	EXPECT_ERR(mw_watch((const void *)(uintptr_t)&some_code, 16, MW_READ), -ENOTSUP,
		   "mw_watch(a function's code, MW_READ)");
	EXPECT_ERR(mw_watch(rx + 64, 16, MW_WRITE), -ENOTSUP,
		   "mw_watch(anonymous PROT_READ|PROT_EXEC mapping)");
	EXPECT_ERR(mw_watch(xo + 64, 16, MW_WRITE), -ENOTSUP,
		   "mw_watch(anonymous PROT_EXEC-only mapping)");
	EXPECT_ERR(mw_watch(xo, 4096, MW_READ), -ENOTSUP,
		   "mw_watch(anonymous PROT_EXEC-only mapping, MW_READ)");
	if (vdso)
		EXPECT_ERR(mw_watch((const void *)vdso, 16, MW_WRITE), -ENOTSUP,
			   "mw_watch([vdso])");
	else
		for (int i = 0; i < 3; i++)
			ok(1, "# SKIP no vDSO in this process");
	if (vvar)
		EXPECT_ERR(mw_watch((const void *)vvar, 16, MW_WRITE), -ENOTSUP,
			   "mw_watch([vvar])");
	else
		for (int i = 0; i < 3; i++)
			ok(1, "# SKIP no [vvar] in this process");

	is_int(local, 42, "the local variable is intact");
	local = 43;
	is_int(local, 43, "the local variable is still writable");
	ok(shared[0] == 9 && fshared[0] == 8, "the shared mappings are intact");
	is_int(some_code(4), 13, "the function still runs");
}
#define N_UNWATCHABLE (7 * 3 + 4)

static void sec_ids(void)
{
	enum { NW = 10 };
	static uint64_t globl[64];
	unsigned char *pages = map_pages(4, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	unsigned char *heap = malloc(64);
	int ids[NW], allpos = 1, distinct = 1, allgone = 1, allzero = 1;
	uint64_t c;

	if (!heap)
		bail("malloc failed");
	pregrow_stack();
	live_setup();

	EXPECT_ERR(mw_unwatch(0), -ENOENT, "mw_unwatch(0)");
	EXPECT_ERR(mw_unwatch(-1), -ENOENT, "mw_unwatch(-1)");
	EXPECT_ERR(mw_unwatch(12345), -ENOENT, "mw_unwatch(12345)");
	c = 77;
	EXPECT_ERR(mw_count(0, &c), -ENOENT, "mw_count(0)");
	EXPECT_ERR(mw_count(-1, &c), -ENOENT, "mw_count(-1)");
	EXPECT_ERR(mw_count(12345, &c), -ENOENT, "mw_count(12345)");

	ids[0] = mw_watch(pages, 1, MW_WRITE);
	ids[1] = mw_watch(pages + 4095, 2, MW_ACCESS);
	ids[2] = mw_watch(pages + 5000, 100, MW_READ);
	ids[3] = mw_watch(pages + 5000, 100, MW_READ);	/* same range again */
	ids[4] = mw_watch(pages + 3 * 4096, 4096, 0);
	ids[5] = mw_watch(heap + 8, 16, MW_WRITE);
	ids[6] = mw_watch(&globl[3], 8, MW_ACCESS);
	ids[7] = mw_watch(&globl[3], 16, MW_WRITE);
	ids[8] = mw_watch(pages + 100, 4096, MW_WRITE);
	ids[9] = mw_watch(pages + 1, 1, MW_ACCESS);
	for (int i = 0; i < NW; i++) {
		if (ids[i] <= 0) {
			allpos = 0;
			diag("  watch %d returned %d (%s)", i, ids[i], mw_strerror(ids[i]));
		}
		for (int j = 0; j < i; j++)
			if (ids[i] == ids[j]) {
				distinct = 0;
				diag("  watches %d and %d both got id %d", j, i, ids[i]);
			}
		if (ids[i] == live_id) {
			distinct = 0;
			diag("  watch %d got the live watch's id %d", i, ids[i]);
		}
	}
	ok(allpos, "10 more successful watches return ids > 0");
	ok(distinct, "all the ids are distinct");
	for (int i = 0; i < NW; i++) {
		c = 99;
		if (mw_count(ids[i], &c) != 0 || c != 0) {
			allzero = 0;
			diag("  mw_count(%d) = %d, count %" PRIu64, ids[i],
			     mw_count(ids[i], &c), c);
		}
	}
	ok(allzero, "each new watch has count 0");
	for (int i = 0; i < NW; i++) {
		int r = mw_unwatch(ids[i]);

		if (r != 0) {
			allgone = 0;
			diag("  mw_unwatch(%d) = %d", ids[i], r);
		}
	}
	ok(allgone, "mw_unwatch() of each returns 0");

	for (int i = 0; i < 3; i++) {
		char what[64];

		snprintf(what, sizeof(what), "second mw_unwatch(%d)", ids[i]);
		EXPECT_ERR(mw_unwatch(ids[i]), -ENOENT, what);
		snprintf(what, sizeof(what), "mw_count(%d) after mw_unwatch", ids[i]);
		EXPECT_ERR(mw_count(ids[i], &c), -ENOENT, what);
	}
	allgone = 1;
	for (int i = 3; i < NW; i++)
		if (mw_unwatch(ids[i]) != -ENOENT || mw_count(ids[i], &c) != -ENOENT)
			allgone = 0;
	ok(allgone, "the other 7 unwatched ids give -ENOENT too");

	/* A new watch does not reuse an unwatched id: the header promises
	 * -ENOENT for those, and a reused id would make a stale one count. */
	{
		int nid = mw_watch(pages + 200, 8, MW_WRITE);
		int reused = 0;

		for (int i = 0; i < NW; i++)
			if (nid == ids[i])
				reused = 1;
		ok(nid > 0 && !reused && nid != live_id,
		   "a watch after the unwatches gets a fresh id (%d)", nid);
		pages[200] = 1;
		ok(mw_count(nid, &c) == 0 && c == 1, "and counts its store");
		is_int(mw_unwatch(nid), 0, "and unwatches");
	}
	is_int(mw_unwatch(live_id), 0, "the live watch unwatches");
	is_int(mw_unwatch(live_id), -ENOENT, "and a second time gives -ENOENT");
	free(heap);
}
#define N_IDS (6 * 3 + 4 + 6 * 3 + 1 + 3 + 2)

/* Watch ids after INT_MAX watches: positive, and not one in use.  Two
 * billion watches take too long, so the library's counter is found in its
 * data (the one int that follows the ids mw_watch returns) and moved near
 * INT_MAX. */
struct seg {
	uintptr_t lo, hi;
};

static int find_rw(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct seg *sg = arg;

	(void)size;
	if (!strstr(info->dlpi_name, "libmemwatch.so"))
		return 0;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];

		if (ph->p_type == PT_LOAD && (ph->p_flags & PF_W)) {
			sg->lo = info->dlpi_addr + ph->p_vaddr;
			sg->hi = sg->lo + ph->p_memsz;
			return 1;
		}
	}
	return 0;
}

static int watch_or_bail(const void *addr)
{
	int id = mw_watch(addr, 8, MW_WRITE);

	if (id <= 0)
		bail("mw_watch: %d", id);
	return id;
}

/* It reads the library's data word by word, redzones between its globals
 * too: not for AddressSanitizer's eyes. */
__attribute__((no_sanitize("address"))) static void sec_ids_wrap(void)
{
	static int *cand[4096];
	static uint64_t wpage[3][512] __attribute__((aligned(4096)));
	struct seg sg = { 0, 0 };
	size_t n = 0;
	int id, w1, w2, w3, w4;
	uint64_t c = 0;

	pregrow_stack();
	live_setup();
	dl_iterate_phdr(find_rw, &sg);
	if (!sg.lo)
		bail("libmemwatch.so's writable segment not found");
	id = watch_or_bail(wpage[0]);
	mw_unwatch(id);
	for (int *p = (int *)((sg.lo + 3) & ~(uintptr_t)3); (uintptr_t)(p + 1) <= sg.hi; p++)
		if (*p == id + 1 && n < sizeof(cand) / sizeof(cand[0]))
			cand[n++] = p;
	for (int round = 0; round < 8 && n > 1; round++) {
		size_t k = 0;

		id = watch_or_bail(wpage[0]);
		mw_unwatch(id);
		for (size_t i = 0; i < n; i++)
			if (*cand[i] == id + 1)
				cand[k++] = cand[i];
		n = k;
	}
	if (n != 1)
		bail("the library's next watch id: %zu candidates", n);
	*cand[0] = INT_MAX - 1;
	w1 = mw_watch(wpage[0], 8, MW_WRITE);
	w2 = mw_watch(wpage[1], 8, MW_WRITE);
	w3 = mw_watch(wpage[2], 8, MW_WRITE);
	is_int(w1, INT_MAX - 1, "the watch before the last id");
	is_int(w2, INT_MAX, "the watch with the last id, INT_MAX");
	ok(w3 > 0 && w3 != live_id && w3 != w1 && w3 != w2,
	   "the next one gets a positive id not in use (%d; in use: %d, %d, %d)", w3, live_id, w1, w2);
	wpage[2][0] = 1;
	ok(mw_count(w3, &c) == 0 && c == 1, "it counts its store");
	ok(mw_count(w2, &c) == 0 && c == 0, "and the watch with id INT_MAX its own (none)");
	mw_unwatch(w3);
	w4 = mw_watch(wpage[2], 8, MW_WRITE);
	ok(w4 > 0 && w4 != live_id && w4 != w1 && w4 != w2 && w4 != w3,
	   "and the one after it another (%d)", w4);
	is_int(mw_unwatch(w1) | mw_unwatch(w2) | mw_unwatch(w4), 0, "all of them unwatch");
}
#define N_IDS_WRAP 7

int main(void)
{
	plan(N_TOTAL0 + 1 + N_STRERROR + 1 + N_BAD_ARGS + 1 + N_BAD_MEMORY + 1 +
	     N_UNWATCHABLE + 1 + N_IDS + 1 + N_IDS_WRAP + 1);
	run_section("total count", N_TOTAL0, sec_total_starts_at_zero);
	run_section("mw_strerror", N_STRERROR, sec_strerror);
	run_section("bad arguments", N_BAD_ARGS, sec_bad_args);
	run_section("bad memory", N_BAD_MEMORY, sec_bad_memory);
	run_section("unwatchable memory", N_UNWATCHABLE, sec_unwatchable);
	run_section("ids", N_IDS, sec_ids);
	run_section("ids after INT_MAX", N_IDS_WRAP, sec_ids_wrap);
	return done();
}

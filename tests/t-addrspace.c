/* SPDX-License-Identifier: MIT */
/*
 * t-addrspace.c - the program changes its address space under watches:
 * munmap, mmap MAP_FIXED over it, mremap, brk shrinking, free() of a large
 * block, dlclose of a library whose global is watched.  The watch ends,
 * with a MW_KIND_GONE record naming it; no protection of it is left on a
 * new mapping at the same address.  An mprotect of a watched page by the
 * program holds while watched and after; an mprotect(PROT_EXEC) of a page
 * under a read and a write watch, with code copied in, ends both watches
 * (gone records) and the code runs.  mremap of a watched part of a larger
 * mapping (a heap buffer that realloc grows) works as without the watch:
 * growing, moving, shrinking; the watches over memory that moves or goes
 * end, those over what stays in place go on.
 * Each section runs in a child of its own (section.h).
 */
#include <dlfcn.h>
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "memwatch.h"
#include "tap.h"
#include "dispatch.h"
#include "section.h"

#define PG 4096

/* The GONE records of the log: how many, and the last one's fields. */
static int gone_records(int id, uintptr_t *addr, uint32_t *size)
{
	struct mw_log_cursor cur;
	struct mw_record r;
	int n = 0;

	mw_log_begin(&cur);
	while (mw_log_next(&cur, &r) > 0)
		if (r.kind == MW_KIND_GONE && r.watch == id) {
			n++;
			*addr = r.addr;
			*size = r.size;
		}
	return n;
}

static int ended(int id)
{
	uint64_t c;

	return mw_count(id, &c) == -ENOENT;
}

static void check_gone(int id, const void *p, size_t n, const char *how)
{
	uintptr_t a = 0;
	uint32_t s = 0;

	ok(ended(id), "%s: the watch ended", how);
	ok(gone_records(id, &a, &s) == 1 && a == (uintptr_t)p && s == n,
	   "%s: one gone record with the watch's address and size", how);
}

static sigjmp_buf env;

static void on_segv(int sig)
{
	(void)sig;
	siglongjmp(env, 1);
}

/* Whether a one-byte store to P faults (with memwatch's handler chaining
 * genuine faults to ours). */
static int store_faults(volatile char *p)
{
	struct sigaction sa, old;
	int faulted;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_segv;
	sigaction(SIGSEGV, &sa, &old);
	faulted = sigsetjmp(env, 1);
	if (!faulted)
		*p = 1;
	sigaction(SIGSEGV, &old, NULL);
	return faulted;
}

static void sec_munmap(void)
{
	char *m = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int id = mw_watch(m + 100, 32, MW_ACCESS);

	m[100] = 1;
	ok(munmap(m, 2 * PG) == 0, "munmap of watched memory succeeds");
	check_gone(id, m + 100, 32, "munmap");
	char *again = mmap(m, 2 * PG, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	ok(again == m, "a new mapping at the same address");
	again[100] = 7;
	ok(again[100] == 7 && !store_faults(again + 101) && mw_total_count() == 1,
	   "it is plain memory: no fault, nothing counted");
	is_int(mw_unwatch(id), -ENOENT, "mw_unwatch of the ended watch: ENOENT");
}
#define N_MUNMAP 6

static void sec_fixed(void)
{
	char *m = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int id;

	memset(m, 0x5a, PG);
	id = mw_watch(m, 64, MW_WRITE);
	ok(mmap(m, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == m,
	   "mmap MAP_FIXED over watched memory");
	check_gone(id, m, 64, "MAP_FIXED");
	ok(m[0] == 0 && m[63] == 0 && !store_faults(m + 1), "the new mapping: zeros, writable");
}
#define N_FIXED 4

static void sec_mremap(void)
{
	char *m = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *to;
	int id;

	strcpy(m, "moving house");
	id = mw_watch(m, 16, MW_WRITE);
	to = mremap(m, PG, 2 * PG, MREMAP_MAYMOVE);
	ok(to != MAP_FAILED && strcmp(to, "moving house") == 0,
	   "mremap of watched memory: the data moves along");
	check_gone(id, m, 16, "mremap");
	ok(!store_faults(to), "the moved memory is plain");
}
#define N_MREMAP 4

/* Four pages, "page N" written in each; a watch on page 1. */
static char *four_pages(int *id)
{
	char *m = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (m == MAP_FAILED)
		bail("mmap");
	for (int i = 0; i < 4; i++)
		snprintf(m + i * PG, 16, "page %d", i);
	*id = mw_watch(m + PG + 100, 8, MW_WRITE);
	if (*id <= 0)
		bail("mw_watch: %d", *id);
	return m;
}

static int four_intact(const char *m)
{
	char want[16];

	for (int i = 0; i < 4; i++) {
		snprintf(want, sizeof(want), "page %d", i);
		if (strcmp(m + i * PG, want) != 0)
			return 0;
	}
	return 1;
}

static void sec_mremap_part(void)
{
	char *m, *to, *far;
	int id, id0;

	/* Growing, where it may move. */
	m = four_pages(&id);
	to = mremap(m, 4 * PG, 64 * PG, MREMAP_MAYMOVE);
	if (!ok(to != MAP_FAILED, "mremap growing a mapping with a watched page: performed"))
		diag("  %s", strerror(errno));
	if (to == MAP_FAILED)
		return;
	ok(four_intact(to), "its contents moved along");
	check_gone(id, m + PG + 100, 8, "mremap growing");
	to[63 * PG] = 1;
	ok(!store_faults(to + PG + 100), "the grown mapping is plain memory");
	munmap(to, 64 * PG);

	/* Growing in place (the pages above are free). */
	m = mmap(NULL, 8 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(m, 8 * PG);
	m = mmap(m, 4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	strcpy(m + PG, "page 1");
	id = mw_watch(m + PG, 8, MW_ACCESS);
	to = mremap(m, 4 * PG, 8 * PG, 0);
	ok(to == m && strcmp(m + PG, "page 1") == 0, "mremap growing in place: performed");
	ok(ended(id), "the watch over it ended");
	munmap(m, 8 * PG);

	/* Moving to a fixed address. */
	m = four_pages(&id);
	far = mmap(NULL, 4 * PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	to = mremap(m, 4 * PG, 4 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, far);
	ok(to == far && four_intact(far), "mremap moving it (MREMAP_FIXED): performed, contents there");
	check_gone(id, m + PG + 100, 8, "mremap moving");
	munmap(far, 4 * PG);

	/* Shrinking: the watch over the part that stays goes on. */
	m = four_pages(&id);
	id0 = mw_watch(m + 10, 4, MW_WRITE);
	to = mremap(m, 4 * PG, PG, 0);
	ok(to == m, "mremap shrinking it: performed");
	check_gone(id, m + PG + 100, 8, "mremap shrinking");
	m[10] = 'x';
	{
		uint64_t c = 0;

		ok(mw_count(id0, &c) == 0 && c == 1, "the watch over the page that stays still counts");
	}
	ok(mw_unwatch(id0) == 0 && strcmp(m, "page 0") == 0 && m[10] == 'x', "and unwatches");
}
#define N_MREMAP_PART 15

/* realloc of a buffer that malloc mapped on its own: mremap. */
static void sec_realloc(void)
{
	size_t n = 1 << 20;
	char *buf = malloc(n), *grown;
	int id;

	if (!buf)
		bail("malloc");
	memset(buf, 'a', n);
	id = mw_watch(buf + 300000, 64, MW_WRITE);
	buf[300000] = 'b';
	grown = realloc(buf, 8 * n);
	ok(grown != NULL, "realloc growing a watched 1 MiB buffer");
	if (!grown)
		return;
	ok(grown[0] == 'a' && grown[300000] == 'b' && grown[n - 1] == 'a', "the values moved along");
	ok(ended(id), "the watch ended");
	free(grown);
}
#define N_REALLOC 3

#define N_BRK_ASSERTS 3

static void sec_brk(void)
{
	char *top = sbrk(0);
	char *p;
	int id;

	if (sbrk(4 * PG) == (void *)-1) {
		for (int i = 0; i < N_BRK_ASSERTS; i++)
			ok(1, "# SKIP sbrk failed");
		return;
	}
	p = top + 2 * PG;
	p[0] = 3;
	id = mw_watch(p, 8, MW_ACCESS);
	ok(sbrk(-4 * PG) != (void *)-1, "sbrk shrinking over a watched page");
	check_gone(id, p, 8, "brk");
}
#define N_BRK N_BRK_ASSERTS

static void sec_free(void)
{
	/* Above the mmap threshold: free() gives it back with munmap. */
	char *big = malloc(1 << 20);
	uintptr_t at;
	int id;

	if (!big)
		bail("malloc");
	at = (uintptr_t)big + 5000;
	id = mw_watch((void *)at, 100, MW_WRITE);
	big[5000] = 1;
	free(big);
	check_gone(id, (void *)at, 100, "free of a large block");
	char *again = malloc(1 << 20);

	if (!again)
		bail("malloc");
	again[5000] = 2;
	is_int(again[5000], 2, "malloc again: works");
	free(again);
}
#define N_FREE 3

static void sec_dlclose(void)
{
	void *h = dlopen(MODULE, RTLD_NOW);
	int *arr;
	int (*sum)(void);
	int id;

	if (!h) {
		diag("dlopen(%s): %s", MODULE, dlerror());
		for (int i = 0; i < 3; i++)
			ok(0, "dlopen of the test module");
		return;
	}
	arr = dlsym(h, "addr_mod_array");
	sum = (int (*)(void))dlsym(h, "addr_mod_sum");
	id = mw_watch(arr, 16 * sizeof(int), MW_WRITE);
	arr[3] = 10;
	is_int(sum(), 10, "a watched global of a dlopened library");
	dlclose(h);
	check_gone(id, arr, 16 * sizeof(int), "dlclose");
}
#define N_DLCLOSE 3

static void sec_mprotect(void)
{
	char *m = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t c = 0;
	int id = mw_watch(m + 10, 4, MW_WRITE);

	ok(mprotect(m, 2 * PG, PROT_READ) == 0, "mprotect(PROT_READ) over a watched page");
	ok(store_faults(m + 10) && store_faults(m + PG), "writes fault now, watched or not");
	is_int(m[10] + m[PG], 0, "reads work");
	ok(mprotect(m, PG, PROT_READ | PROT_WRITE) == 0 && !store_faults(m + 10),
	   "PROT_READ|PROT_WRITE again: the watched write works");
	mw_count(id, &c);
	is_u64(c, 1, "and is counted");
	mprotect(m, PG, PROT_READ);
	mw_unwatch(id);
	ok(store_faults(m + 10) && m[10] == 1, "after mw_unwatch the program's PROT_READ holds");
}
#define N_MPROTECT 6

/* Code copied into a watched page, made executable and called: the program
 * must run as without the watches, which cannot go on (executable memory
 * cannot be watched: under a read watch the page could not even run). */
static void sec_exec(void)
{
	static const unsigned char code[] = { 0xb8, 0x2a, 0, 0, 0, 0xc3 };  /* mov $42,%eax; ret */
	unsigned char *m = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
				-1, 0);
	int rd, wr, other;
	int (*fn)(void) = (int (*)(void))(void *)m;

	memcpy(m, code, sizeof(code));
	rd = mw_watch(m + 64, 8, MW_READ);
	wr = mw_watch(m + 128, 8, MW_WRITE);
	other = mw_watch(m + PG + 8, 8, MW_READ);
	m[128] = 5;
	ok(mprotect(m, PG, PROT_READ | PROT_EXEC) == 0, "mprotect(PROT_READ|PROT_EXEC) of the page");
	is_int(fn(), 42, "the code on it runs");
	check_gone(rd, m + 64, 8, "read watch on code");
	check_gone(wr, m + 128, 8, "write watch on code");
	ok(m[128] == 5 && store_faults((char *)m + 200), "values kept, the program's PROT_READ|PROT_EXEC holds");
	is_int(m[PG + 8] + m[PG + 9], 0, "the watch on the next page goes on");
	uint64_t c = 0;

	mw_count(other, &c);
	is_u64(c, 2, "and counts its two reads");
}
#define N_EXEC 9

int main(void)
{
	need_dispatch();
	plan(N_MUNMAP + N_FIXED + N_MREMAP + N_MREMAP_PART + N_REALLOC + N_BRK + N_FREE +
	     N_DLCLOSE + N_MPROTECT + N_EXEC + 10);
	run_section("munmap", N_MUNMAP, sec_munmap);
	run_section("MAP_FIXED", N_FIXED, sec_fixed);
	run_section("mremap", N_MREMAP, sec_mremap);
	run_section("mremap of part of a mapping", N_MREMAP_PART, sec_mremap_part);
	run_section("realloc", N_REALLOC, sec_realloc);
	run_section("brk", N_BRK, sec_brk);
	run_section("free", N_FREE, sec_free);
	run_section("dlclose", N_DLCLOSE, sec_dlclose);
	run_section("mprotect", N_MPROTECT, sec_mprotect);
	run_section("mprotect(PROT_EXEC)", N_EXEC, sec_exec);
	return done();
}

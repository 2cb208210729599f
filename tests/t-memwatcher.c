/* SPDX-License-Identifier: MIT */
/*
 * t-memwatcher.c - the test programs of the original MemWatcher, written
 * anew, one section each: they map /dev/zero PROT_WRITE (write-only, which
 * x86 makes readable anyway), watch a page, part of a page, a range across
 * two pages or two ranges of one page with _watch_address(PROT_NONE),
 * store, and check _get_trap_count exactly; the fifth is a NULL store that
 * must still kill the process with SIGSEGV.  Then the same on the other
 * kinds of memory (PROT_READ|PROT_WRITE mappings, malloc), reads of watched
 * write-only memory (performed and counted, not taken for genuine faults),
 * and mprotect(PROT_WRITE) before and during a watch.  After
 * _unwatch_address /proc/self/maps shows the protection the program set.
 * Each section has a few seconds: a hang fails it instead of blocking.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "memwatcher.h"
#include "tap.h"
#include "memwatch.h"
#include "watch.h"
#include "dispatch.h"
#include "section.h"

#define PG 4096
/* Each section runs in well under a second; more means a hang. */
#define HANG_SECONDS 10

/* PAGES pages of /dev/zero mapped privately with PROT, as the original's
 * programs do (the file opened read-only: a private mapping may still be
 * written). */
static volatile char *map_zero(size_t pages, int prot)
{
	int fd = open("/dev/zero", O_RDONLY | O_CLOEXEC);
	void *m;

	if (fd < 0)
		bail("open /dev/zero: %s", strerror(errno));
	m = mmap(NULL, pages * PG, prot, MAP_PRIVATE, fd, 0);
	close(fd);
	if (m == MAP_FAILED)
		bail("mmap /dev/zero: %s", strerror(errno));
	return m;
}

static void is_perms(const volatile void *addr, const char *want, const char *what)
{
	char got[5];

	perms_of(addr, got);
	is_str(got, want, "%s: /proc/self/maps says %s", what, want);
}

static void start(void)
{
	alarm(HANG_SECONDS);    /* instead of section.h's 30 s */
}

/* --- The original's four programs, on memory M of their kind.  Each
 * store is followed by its check, so no two stores merge. */

static void page_access(volatile char *m, const char *perms, const char *what)
{
	uint32_t t0 = _get_trap_count();

	m[0] = 0;
	_watch_address((void *)m, PG, PROT_NONE);
	is_int(_get_trap_count() - t0, 0, "%s: watching counts nothing", what);
	m[1] = 1;
	is_int(_get_trap_count() - t0, 1, "%s: a store to the watched page: 1", what);
	m[2] = 2;
	is_int(_get_trap_count() - t0, 2, "%s: another: 2", what);
	_unwatch_address((void *)m, PROT_READ | PROT_WRITE);
	m[3] = 3;
	is_int(_get_trap_count() - t0, 2, "%s: after _unwatch_address: still 2", what);
	ok(m[0] == 0 && m[1] == 1 && m[2] == 2 && m[3] == 3, "%s: the values", what);
	is_perms(m, perms, what);
}
#define N_PAGE_ACCESS 6

static void sec_page_access(void)
{
	start();
	page_access(map_zero(1, PROT_WRITE), "-w-p", "/dev/zero PROT_WRITE");
}

static void sec_small_region(void)
{
	volatile char *m = map_zero(1, PROT_WRITE);
	uint32_t t0 = _get_trap_count();

	start();
	m[0] = 0;
	_watch_address((void *)(m + 0x100), 0x100, PROT_NONE);
	is_int(_get_trap_count() - t0, 0, "watching 0x100 bytes counts nothing");
	m[0x100] = 1;
	is_int(_get_trap_count() - t0, 1, "a store to the watched bytes: 1");
	m[2] = 1;
	is_int(_get_trap_count() - t0, 1, "a store elsewhere on the page: still 1");
	m[0x150] = 1;
	is_int(_get_trap_count() - t0, 2, "another to the watched bytes: 2");
	_unwatch_address((void *)(m + 0x100), PROT_READ | PROT_WRITE);
	m[3] = 1;
	m[0x111] = 1;
	is_int(_get_trap_count() - t0, 2, "after _unwatch_address: still 2");
	ok(m[0x100] == 1 && m[2] == 1 && m[0x150] == 1 && m[3] == 1 && m[0x111] == 1 &&
	   m[0x101] == 0, "the values");
	is_perms(m, "-w-p", "after _unwatch_address");
}
#define N_SMALL_REGION 7

static void sec_multipage_region(void)
{
	volatile char *m = map_zero(2, PROT_WRITE);
	uint32_t t0 = _get_trap_count();

	start();
	m[0] = 0;
	_watch_address((void *)(m + 0x800), 0x1000, PROT_NONE);
	is_int(_get_trap_count() - t0, 0, "watching across two pages counts nothing");
	m[0x800] = 1;
	is_int(_get_trap_count() - t0, 1, "a store on the first page: 1");
	m[2] = 1;
	is_int(_get_trap_count() - t0, 1, "an unwatched byte of that page: still 1");
	m[0x1100] = 1;
	is_int(_get_trap_count() - t0, 2, "a store on the second page: 2");
	_unwatch_address((void *)(m + 0x800), PROT_READ | PROT_WRITE);
	m[3] = 1;
	is_int(_get_trap_count() - t0, 2, "after _unwatch_address, first page: still 2");
	m[0x1100] = 2;
	is_int(_get_trap_count() - t0, 2, "second page: still 2");
	ok(m[0x800] == 1 && m[2] == 1 && m[3] == 1 && m[0x1100] == 2 && m[0x1801] == 0,
	   "the values");
	is_perms(m, "-w-p", "after _unwatch_address, first page");
	is_perms(m + PG, "-w-p", "second page");
}
#define N_MULTIPAGE_REGION 9

static void sec_multiregion_page(void)
{
	volatile char *m = map_zero(1, PROT_WRITE);
	uint32_t t0 = _get_trap_count();

	start();
	m[0] = 0;
	_watch_address((void *)(m + 0x100), 0x100, PROT_NONE);
	_watch_address((void *)(m + 0x400), 0x100, PROT_NONE);
	is_int(_get_trap_count() - t0, 0, "two watches on one page count nothing");
	m[0x100] = 1;
	is_int(_get_trap_count() - t0, 1, "a store to the first: 1");
	m[2] = 1;
	is_int(_get_trap_count() - t0, 1, "between none: still 1");
	m[0x401] = 1;
	is_int(_get_trap_count() - t0, 2, "a store to the second: 2");
	_unwatch_address((void *)(m + 0x100), PROT_READ | PROT_WRITE);
	m[3] = 1;
	is_int(_get_trap_count() - t0, 2, "first unwatched: a store outside both: 2");
	m[0x111] = 1;
	is_int(_get_trap_count() - t0, 2, "a store to the first: 2");
	m[0x402] = 1;
	is_int(_get_trap_count() - t0, 3, "a store to the second, still watched: 3");
	_unwatch_address((void *)(m + 0x400), PROT_READ | PROT_WRITE);
	m[0x403] = 1;
	is_int(_get_trap_count() - t0, 3, "both unwatched: 3");
	ok(m[0x100] == 1 && m[2] == 1 && m[0x401] == 1 && m[3] == 1 && m[0x111] == 1 &&
	   m[0x402] == 1 && m[0x403] == 1 && m[0x400] == 0, "the values");
	is_perms(m, "-w-p", "after both _unwatch_address");
}
#define N_MULTIREGION_PAGE 10

/* Through a pointer the compiler cannot see is NULL, and without UBSan's
 * null check (in a sanitizer build it would exit 1 first): the crash is
 * the point. */
static volatile int *volatile null_int;

__attribute__((no_sanitize("undefined"))) static void store_null(void)
{
	*null_int = 1;
}

static void sec_segfault(void)
{
	volatile char *m = map_zero(1, PROT_WRITE);
	int st;

	start();
	st = status_of(store_null);
	ok(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV, "a NULL store: SIGSEGV, no watch");
	_watch_address((void *)m, 16, PROT_NONE);
	st = status_of(store_null);
	ok(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV, "a NULL store: SIGSEGV, while watching");
	_unwatch_address((void *)m, PROT_READ | PROT_WRITE);
}
#define N_SEGFAULT 2

/* --- Beyond the original's programs. */

static void sec_other_memory(void)
{
	volatile char *anon = mmap(NULL, PG, PROT_READ | PROT_WRITE,
				   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	volatile char *heap;

	start();
	if (anon == MAP_FAILED || posix_memalign((void **)&heap, PG, PG))
		bail("no memory");
	page_access(anon, "rw-p", "anonymous PROT_READ|PROT_WRITE");
	page_access(map_zero(1, PROT_READ | PROT_WRITE), "rw-p", "/dev/zero PROT_READ|PROT_WRITE");
	page_access(heap, "rw-p", "malloc'ed");
	free((void *)heap);
}
#define N_OTHER_MEMORY (3 * N_PAGE_ACCESS)

/* Reads of write-only memory work (x86 has no write-only pages): while
 * watched they are performed, counted by a PROT_NONE watch and free under
 * a PROT_READ one, never taken for the program's own fault. */
static void sec_reads(void)
{
	volatile char *m = map_zero(2, PROT_WRITE);
	uint32_t t0 = _get_trap_count();
	int sum;

	start();
	m[10] = 10;
	m[PG + 20] = 20;
	_watch_address((void *)(m + 8), 8, PROT_NONE);
	_watch_address((void *)(m + PG + 16), 8, PROT_READ);
	is_int(m[10], 10, "PROT_NONE watch: a read gives the value");
	is_int(_get_trap_count() - t0, 1, "and is counted");
	is_int(m[20] + m[100], 0, "reads of other bytes of the page");
	is_int(_get_trap_count() - t0, 1, "are not counted");
	is_int(m[PG + 20], 20, "PROT_READ watch: a read gives the value");
	is_int(_get_trap_count() - t0, 1, "and is not counted");
	m[PG + 21] = 21;
	is_int(_get_trap_count() - t0, 2, "a store to it is");
	sum = 0;
	for (int i = 0; i < 24; i++)
		sum += m[i] + m[PG + i];
	is_int(sum, 10 + 20 + 21, "reading across both watches");
	is_int(_get_trap_count() - t0, 2 + 8, "counts the 8 bytes under the PROT_NONE watch");
	_unwatch_address((void *)(m + 8), PROT_READ | PROT_WRITE);
	_unwatch_address((void *)(m + PG + 16), PROT_READ | PROT_WRITE);
	is_int(m[10] + m[PG + 20] + m[PG + 21], 51, "after _unwatch_address: the values");
	is_perms(m, "-w-p", "after _unwatch_address, first page");
	is_perms(m + PG, "-w-p", "second page");
}
#define N_READS 12

/* mprotect(PROT_WRITE) by the program: before the watch, and of a watched
 * page (the library takes it as the page's own protection). */
static void sec_mprotect(void)
{
	volatile char *m = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint32_t t0 = _get_trap_count();

	start();
	if (m == MAP_FAILED)
		bail("mmap: %s", strerror(errno));
	m[1] = 1;
	m[PG + 1] = 2;
	ok(mprotect((void *)m, PG, PROT_WRITE) == 0, "mprotect(PROT_WRITE) before the watch");
	_watch_address((void *)m, 16, PROT_NONE);
	m[2] = 3;
	is_int(m[1] + m[2], 4, "watched: a store and two reads");
	is_int(_get_trap_count() - t0, 3, "all counted");
	_unwatch_address((void *)m, PROT_READ | PROT_WRITE);
	is_perms(m, "-w-p", "after _unwatch_address");

	_watch_address((void *)(m + PG), 16, PROT_NONE);
	if (dispatch_off()) {
		for (int i = 0; i < 4; i++)
			ok(1, "# SKIP MEMWATCH_SYSCALLS=0: the library does not see mprotect");
		_unwatch_address((void *)(m + PG), PROT_READ | PROT_WRITE);
		return;
	}
	ok(mprotect((void *)(m + PG), PG, PROT_WRITE) == 0, "mprotect(PROT_WRITE) of a watched page");
	m[PG + 2] = 4;
	is_int(m[PG + 1] + m[PG + 2], 6, "a store and two reads");
	is_int(_get_trap_count() - t0, 6, "all counted");
	_unwatch_address((void *)(m + PG), PROT_READ | PROT_WRITE);
	is_perms(m + PG, "-w-p", "after _unwatch_address");
}
#define N_MPROTECT 8

int main(void)
{
	plan(N_PAGE_ACCESS + N_SMALL_REGION + N_MULTIPAGE_REGION + N_MULTIREGION_PAGE +
	     N_SEGFAULT + N_OTHER_MEMORY + N_READS + N_MPROTECT + 8);
	run_section("page access", N_PAGE_ACCESS, sec_page_access);
	run_section("small region", N_SMALL_REGION, sec_small_region);
	run_section("multipage region", N_MULTIPAGE_REGION, sec_multipage_region);
	run_section("multiregion page", N_MULTIREGION_PAGE, sec_multiregion_page);
	run_section("segfault", N_SEGFAULT, sec_segfault);
	run_section("other memory", N_OTHER_MEMORY, sec_other_memory);
	run_section("reads of write-only memory", N_READS, sec_reads);
	run_section("mprotect(PROT_WRITE)", N_MPROTECT, sec_mprotect);
	return done();
}

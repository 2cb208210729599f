/* SPDX-License-Identifier: MIT */
/*
 * t-legacy.c - a program written for the original MemWatcher: its three
 * calls, exact trap counts, values, and errors reported on stderr.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "memwatcher.h"
#include "tap.h"
#include "section.h"

static void sec_prot_none(void)
{
	volatile int *p = malloc(16 * sizeof(int));
	volatile int *other = malloc(16 * sizeof(int));
	uint32_t t0;
	int sum = 0, good = 1;

	if (!p || !other)
		bail("malloc failed");
	for (int i = 0; i < 16; i++) {
		p[i] = i * 10;
		other[i] = -i;
	}
	t0 = _get_trap_count();
	_watch_address((void *)p, 16 * sizeof(int), PROT_NONE);
	is_int(_get_trap_count() - t0, 0, "_watch_address(PROT_NONE) itself counts nothing");
	for (int i = 0; i < 5; i++)
		p[i] = 100 + i;
	is_int(_get_trap_count() - t0, 5, "5 stores: trap count +5");
	for (int i = 5; i < 10; i++)
		sum += p[i];
	is_int(sum, 50 + 60 + 70 + 80 + 90, "5 loads give the values");
	is_int(_get_trap_count() - t0, 10, "5 loads: trap count +10");
	sum = 0;
	for (int i = 0; i < 16; i++)
		sum += other[i];
	other[3] = 33;
	is_int(sum, -120, "another heap block");
	is_int(_get_trap_count() - t0, 10, "accesses to another block are not counted");
	_unwatch_address((void *)p, PROT_READ | PROT_WRITE);
	for (int i = 10; i < 13; i++)
		p[i] = 200 + i;
	sum = p[0] + p[15];
	is_int(_get_trap_count() - t0, 10, "after _unwatch_address nothing is counted");
	for (int i = 0; i < 16; i++) {
		int want = i < 5 ? 100 + i : i >= 10 && i < 13 ? 200 + i : i * 10;

		if (p[i] != want) {
			good = 0;
			diag("  p[%d] = %d, want %d", i, p[i], want);
		}
	}
	ok(good && sum == 100 + 150, "the memory has all the values");
	free((void *)p);
	free((void *)other);
}
#define N_PROT_NONE 8

static long garr[32];

static void sec_prot_read(void)
{
	volatile long *g = garr;
	uint32_t t0 = _get_trap_count();
	long sum = 0;

	_watch_address(garr, sizeof(garr), PROT_READ);
	for (int i = 0; i < 4; i++)
		g[i * 8] = i + 1;
	is_int(_get_trap_count() - t0, 4, "PROT_READ: 4 stores counted");
	for (int i = 0; i < 32; i++)
		sum += g[i];
	is_int(sum, 10, "the loads give the values");
	is_int(_get_trap_count() - t0, 4, "PROT_READ: 32 loads not counted");
	_unwatch_address(garr, PROT_READ | PROT_WRITE);
	g[1] = 5;
	is_int(_get_trap_count() - t0, 4, "a store after _unwatch_address is not counted");
	ok(garr[0] == 1 && garr[8] == 2 && garr[16] == 3 && garr[24] == 4 && garr[1] == 5,
	   "the values");
}
#define N_PROT_READ 5

static volatile unsigned char *tpage;

static void *storer(void *arg)
{
	size_t base = (size_t)(uintptr_t)arg;

	for (int i = 0; i < 1000; i++)
		tpage[base + (size_t)(i % 64)] = (unsigned char)i;
	return NULL;
}

static void sec_threads(void)
{
	pthread_t th[2];
	uint32_t t0;

	tpage = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (tpage == MAP_FAILED)
		bail("mmap: %s", strerror(errno));
	t0 = _get_trap_count();
	_watch_address((void *)(tpage + 1000), 200, PROT_NONE);
	pthread_create(&th[0], NULL, storer, (void *)(uintptr_t)1000);
	pthread_create(&th[1], NULL, storer, (void *)(uintptr_t)1100);
	pthread_join(th[0], NULL);
	pthread_join(th[1], NULL);
	is_int(_get_trap_count() - t0, 2000, "2 threads x 1000 stores: trap count +2000");
	ok(tpage[1000 + 999 % 64] == (unsigned char)999 && tpage[1100] == (unsigned char)960 &&
	   tpage[1163] == (unsigned char)959,
	   "the last values");
	_unwatch_address((void *)(tpage + 1000), PROT_READ | PROT_WRITE);
}
#define N_THREADS 2

static void sec_two(void)
{
	volatile unsigned char *p = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE,
					 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint32_t t0;

	if (p == MAP_FAILED)
		bail("mmap: %s", strerror(errno));
	t0 = _get_trap_count();
	_watch_address((void *)p, 16, PROT_NONE);
	_watch_address((void *)(p + 5000), 16, PROT_READ);
	p[0] = 1;
	p[5000] = 2;
	is_int(_get_trap_count() - t0, 2, "a store to each of two watches");
	_unwatch_address((void *)p, PROT_READ | PROT_WRITE);
	p[1] = 3;
	p[5001] = 4;
	is_int(_get_trap_count() - t0, 3, "after unwatching the first, the second still counts");
	_unwatch_address((void *)(p + 5000), PROT_READ | PROT_WRITE);
	p[5002] = 5;
	is_int(_get_trap_count() - t0, 3, "after unwatching both, nothing counts");
	ok(p[0] == 1 && p[1] == 3 && p[5000] == 2 && p[5001] == 4 && p[5002] == 5, "the values");
}
#define N_TWO 4

static void watch_null(void)
{
	uint32_t t0 = _get_trap_count();

	_watch_address(NULL, 0, PROT_NONE);
	_exit(_get_trap_count() == t0 ? 0 : 5);
}

static void unwatch_unknown(void)
{
	static int x;

	_unwatch_address(&x, PROT_READ | PROT_WRITE);
}

/* A page below vm.mmap_min_addr: never mapped.  (A page the test unmaps
 * itself may be mapped again by the time the library looks: ASan's
 * allocator did so.) */
static void watch_unmapped(void)
{
	_watch_address((void *)(uintptr_t)4096, 16, PROT_NONE);
}

static void errors(const char *what, void (*fn)(void))
{
	char buf[4096], how[128];
	struct child c = { .flags = CHILD_STDERR, .out = buf, .len = sizeof(buf) };
	struct child_call call = { fn };
	int st;

	/* FN in a child whose stderr goes to BUF. */
	st = child_run(&c, child_call, &call);
	describe_status(st, how, sizeof(how));
	if (!ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s: the program goes on", what))
		diag("  it %s", how);
	if (ok(buf[0] != 0, "%s: an error on stderr", what))
		diag("  stderr: %s", strtok(buf, "\n"));
}

static void sec_errors(void)
{
	errors("_watch_address(NULL, 0, PROT_NONE)", watch_null);
	errors("_unwatch_address(never watched)", unwatch_unknown);
	errors("_watch_address(unmapped)", watch_unmapped);
}
#define N_ERRORS 6

int main(void)
{
	plan(N_PROT_NONE + N_PROT_READ + N_THREADS + N_TWO + N_ERRORS + 5);
	run_section("PROT_NONE watch", N_PROT_NONE, sec_prot_none);
	run_section("PROT_READ watch", N_PROT_READ, sec_prot_read);
	run_section("threads", N_THREADS, sec_threads);
	run_section("two watches", N_TWO, sec_two);
	run_section("errors", N_ERRORS, sec_errors);
	return done();
}

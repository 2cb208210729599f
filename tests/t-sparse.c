/* SPDX-License-Identifier: MIT */
/*
 * t-sparse.c - a large, sparsely used range: watching and unwatching it
 * keeps every value, and copies only the pages that exist (resident memory
 * does not grow by the size of the range).
 */
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include "memwatch.h"
#include "tap.h"

#define SIZE (256ul << 20)
#define N 100

/* The peak resident set so far, KiB. */
static long peak_kib(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

static long resident_kib(void)
{
	long pages = 0, rss = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (!f || fscanf(f, "%ld %ld", &pages, &rss) != 2)
		bail("cannot read /proc/self/statm");
	fclose(f);
	return rss * (sysconf(_SC_PAGESIZE) / 1024);
}

/* Scattered offsets, distinct pages, deterministic. */
static size_t offset(int i, int salt)
{
	return ((size_t)(i * 2654435761u + (unsigned)salt * 40503u) % (SIZE / 4096)) * 4096 +
	       (size_t)(i * 37 + salt) % 4000;
}

int main(void)
{
	volatile uint8_t *p = mmap(NULL, SIZE, PROT_READ | PROT_WRITE,
				   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	long before, during, after, peak0;
	int id, good = 1, zeros = 1;
	uint64_t c = 0;

	plan(8);
	if (p == MAP_FAILED)
		bail("mmap of 256 MiB failed");
	for (int i = 0; i < N; i++)
		p[offset(i, 1)] = (uint8_t)(i + 1);
	before = resident_kib();
	peak0 = peak_kib();
	id = mw_watch((const void *)p, SIZE, MW_WRITE);
	ok(id > 0, "a write watch on 256 MiB, %d pages of it in use", N);
	during = resident_kib();
	for (int i = 0; i < N; i++)
		p[offset(i, 2)] = (uint8_t)(0x80 + i);
	mw_count(id, &c);
	is_u64(c, N, "the %d scattered stores while watched are counted", N);
	is_int(mw_unwatch(id), 0, "mw_unwatch");
	after = resident_kib();
	for (int i = 0; i < N; i++) {
		uint8_t want1 = (uint8_t)(i + 1), want2 = (uint8_t)(0x80 + i);
		size_t o1 = offset(i, 1), o2 = offset(i, 2);

		if ((o1 != o2 && p[o1] != want1) || p[o2] != want2) {
			good = 0;
			diag("offset %zu: %u (want %u), offset %zu: %u (want %u)", o1, p[o1],
			     want1, o2, p[o2], want2);
		}
		if (p[o2 ^ 1] != 0 && (o2 ^ 1) != o1)
			zeros = 0;
	}
	ok(good, "every value written before and while watched is there after mw_unwatch");
	ok(zeros && p[SIZE - 1] == 0 && p[SIZE / 2] == 0, "untouched bytes still read 0");
	ok(during - before < 16 * 1024, "watching grew resident memory by %ld KiB (< 16 MiB)",
	   during - before);
	ok(after - before < 16 * 1024, "after mw_unwatch resident memory is %ld KiB above "
	   "before (< 16 MiB)", after - before);
	ok(peak_kib() - peak0 < 16 * 1024, "and at no moment more than 16 MiB above (peak "
	   "grew by %ld KiB): the holes were not copied", peak_kib() - peak0);
	return done();
}

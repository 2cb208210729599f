/* SPDX-License-Identifier: MIT */
/*
 * unwatched.c - code that never touches watched memory, for
 * bench/bench-callgrind.sh to count its instructions with and without a
 * large watch elsewhere in the process.
 *
 *   unwatched none    no watch
 *   unwatched watch   first a watch of 256 MiB of anonymous memory (every
 *                     64th page touched), which the workload never touches
 *
 * The workload (workload(): callgrind counts only it, --toggle-collect)
 * sorts an array, copies and compares strings, and mallocs and frees
 * blocks: ordinary code over unwatched heap, stack and .bss.  Built twice:
 * linked with libmemwatch (bench/unwatched), and without it
 * (bench/unwatched-plain, -DBENCH_PLAIN: `watch` is refused there).
 * Prints the workload's checksum, the same in every mode.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#ifndef BENCH_PLAIN
#include "memwatch.h"
#endif

#define N 20000

static uint32_t data[N];

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

uint64_t workload(void);

/* Not static, not inlined: callgrind finds it by name. */
__attribute__((noinline)) uint64_t workload(void)
{
	uint64_t sum = 0;
	uint32_t x = 12345;
	char a[256], b[256];

	for (int i = 0; i < N; i++) {
		x = x * 1103515245u + 12345u;
		data[i] = x >> 8;
	}
	qsort(data, N, sizeof data[0], cmp_u32);
	for (int i = 0; i < N; i += 97)
		sum += data[i];
	for (int i = 0; i < 2000; i++) {
		char *p = malloc((size_t)(16 + i % 512));

		snprintf(a, sizeof a, "record %d of %d", i, N);
		memcpy(b, a, sizeof a);
		sum += strlen(b) + (uint64_t)(strcmp(a, b) == 0);
		memset(p, i & 0xff, (size_t)(16 + i % 512));
		sum += (unsigned char)p[i % 16];
		free(p);
	}
	return sum;
}

int main(int argc, char **argv)
{
	int watch = argc == 2 && strcmp(argv[1], "watch") == 0;

	if (argc != 2 || (!watch && strcmp(argv[1], "none") != 0)) {
		fprintf(stderr, "usage: unwatched none|watch\n");
		return 2;
	}
	if (watch) {
#ifdef BENCH_PLAIN
		fprintf(stderr, "unwatched: built without memwatch: no watch\n");
		return 2;
#else
		size_t len = (size_t)256 << 20;
		char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		int id;

		if (p == MAP_FAILED) {
			perror("unwatched: mmap");
			return 1;
		}
		for (size_t off = 0; off < len; off += 64 * 4096)
			p[off] = 1;
		id = mw_watch(p, len, MW_ACCESS);
		if (id < 0) {
			fprintf(stderr, "unwatched: mw_watch: %s\n", mw_strerror(id));
			return 1;
		}
#endif
	}
	printf("unwatched: checksum %llu\n", (unsigned long long)workload());
	return 0;
}

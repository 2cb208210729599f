/* SPDX-License-Identifier: MIT */
/*
 * maplimit.h - for tests: the program takes every mapping left under
 * vm.max_map_count (fill_map_count: a large reserved range with every
 * other page made inaccessible, then single pages; how many it made) and
 * gives them back (unfill_map_count).
 */
#ifndef MW_TEST_MAPLIMIT_H
#define MW_TEST_MAPLIMIT_H

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

static char *filler[65];
static size_t nfiller;

__attribute__((unused))
static long fill_map_count(void)
{
	size_t n = 1 << 18;
	char *big = mmap(NULL, n * 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	long made = 0;

	if (big == MAP_FAILED)
		bail("mmap: %s", strerror(errno));
	for (size_t i = 1; i + 1 < n && mprotect(big + i * 4096, 4096, PROT_NONE) == 0; i += 2)
		made += 2;
	filler[nfiller++] = big;
	for (int i = 0; i < 64; i++) {
		char *one = mmap(NULL, 4096, i % 2 ? PROT_READ : PROT_NONE,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (one == MAP_FAILED)
			break;
		filler[nfiller++] = one;
		made++;
	}
	return made;
}

__attribute__((unused))
static void unfill_map_count(void)
{
	munmap(filler[0], (1 << 18) * 4096);
	for (size_t i = 1; i < nfiller; i++)
		munmap(filler[i], 4096);
	nfiller = 0;
}

#endif /* MW_TEST_MAPLIMIT_H */

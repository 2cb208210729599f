/* SPDX-License-Identifier: MIT */
/*
 * maps.h - what the kernel says about the process's mappings.   [thread]
 */
#ifndef MW_MAPS_H
#define MW_MAPS_H

#include <stdbool.h>
#include <stdint.h>

struct mw_map {
	uintptr_t start, end;
	uintptr_t vstart, vend; /* the whole mapping, unclipped */
	int prot;               /* PROT_READ | PROT_WRITE | PROT_EXEC */
	bool shared;
	uintptr_t offset;       /* file offset of START (of the clipped part) */
	unsigned long inode;
	const char *name;       /* "" for anonymous, "[heap]", a path, ... */
};

/*
 * Calls FN for each mapping that overlaps [lo, hi), in address order, with
 * the part outside [lo, hi) clipped off.  Stops at the first non-zero return
 * of FN and returns it.  A gap (unmapped bytes) in [lo, hi) makes it return
 * GAP_ERR.  Returns -errno if /proc/self/maps cannot be read.
 */
/* Once, at initialization: MEMWATCH_MAPS_TEXT=1 reads the text only. */
void mw_maps_init(void);

int mw_maps_walk(uintptr_t lo, uintptr_t hi, int gap_err,
		 int (*fn)(const struct mw_map *m, void *arg), void *arg);

/* [any] Parses lower-case hex digits at *P, advancing it. */
static inline uintptr_t mw_maps_hex(const char **p)
{
	uintptr_t v = 0;

	for (;; (*p)++) {
		char c = **p;

		if (c >= '0' && c <= '9')
			v = v * 16 + (uintptr_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v = v * 16 + (uintptr_t)(c - 'a' + 10);
		else
			return v;
	}
}

#endif /* MW_MAPS_H */

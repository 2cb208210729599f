/* SPDX-License-Identifier: MIT */
/*
 * stash.c - where the program's mapping of watched pages waits (see
 * stash.h).
 * [thread, library lock held]: mmap, munmap, mremap, mprotect, madvise.
 */
#include <errno.h>
#include <stdbool.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "watch/stash.h"

#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP 4
#endif
#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

/* mremap as a system call: glibc's wrapper passes NEW only with
 * MREMAP_FIXED (before 2.40, BZ #31968), and MREMAP_DONTUNMAP reads it. */
static long remap(uintptr_t old, size_t len, size_t new_len, int flags, uintptr_t new)
{
	return syscall(SYS_mremap, old, len, new_len, flags, new);
}

/*
 * A region of stashes: the program's mapping [lo, hi) as it was at the
 * first stash of it, mirrored at base (0: not reserved yet, one stash so
 * far); its one mapping of stashes is [base + s0, base + s1), the rest of
 * the reservation around it.  h0 < h1: offsets no longer ours (a mapping
 * of another thread's took them while the region grew: nothing moves into
 * the region any more, and they are not unmapped with it).  live: bytes of
 * the mapping's pages stashed, in the region or on their own.
 */
#define REGIONS 64
#define REGION_MAX ((uintptr_t)64 << 30)
static struct region {
	uintptr_t lo, hi, base;
	uintptr_t s0, s1, h0, h1;
	bool broken;
	size_t live;
} regions[REGIONS];

/* Stashes on their own whose bytes count in a region's live: [st, end)
 * is exactly what is left of one (st == end: a free slot).  A part given
 * back leaves the range at once - its addresses are free, and the kernel
 * puts the next mappings, other stashes among them, there. */
#define LONE 256
static struct lone {
	uintptr_t st, end;
	int region;
	bool ready;             /* it has the program's protection */
} lones[LONE];

/* The lone stash that holds [st, st + len), or NULL. */
static struct lone *lone_of(uintptr_t st, size_t len)
{
	for (int i = 0; i < LONE; i++)
		if (lones[i].st < lones[i].end && st >= lones[i].st && st + len <= lones[i].end)
			return &lones[i];
	return NULL;
}

/* [st, st + len) of lone stash L is gone: L keeps the rest.  A hole in its
 * middle makes the part above a lone of its own; with no slot for it, that
 * part is no longer known as one (its bytes stay counted: the region is
 * kept until the process ends, never released under a stash). */
static void lone_cut(struct lone *l, uintptr_t st, size_t len)
{
	uintptr_t end = st + len;

	if (end < l->end && st > l->st) {
		for (int i = 0; i < LONE; i++)
			if (lones[i].st == lones[i].end) {
				lones[i] = *l;
				lones[i].st = end;
				break;
			}
		l->end = st;
	} else if (st > l->st) {
		l->end = st;
	} else {
		l->st = end < l->end ? end : l->end;
	}
}

static struct region *region_for(uintptr_t start, size_t len, uintptr_t vlo, uintptr_t vhi)
{
	struct region *free_one = NULL;

	for (int i = 0; i < REGIONS; i++) {
		struct region *r = &regions[i];

		if (r->lo == r->hi) {
			if (!free_one)
				free_one = r;
			continue;
		}
		if (r->lo <= start && start + len <= r->hi)
			return r;
	}
	if (!free_one || vlo >= vhi || vhi - vlo > REGION_MAX || start < vlo || start + len > vhi)
		return NULL;
	*free_one = (struct region){ .lo = vlo, .hi = vhi };
	return free_one;
}

static struct region *region_of(uintptr_t st)
{
	for (int i = 0; i < REGIONS; i++) {
		struct region *r = &regions[i];

		if (r->base && st >= r->base && st < r->base + (r->hi - r->lo) &&
		    !(r->h0 < r->h1 && st >= r->base + r->h0 && st < r->base + r->h1))
			return r;
	}
	return NULL;
}

static void release(struct region *r)
{
	size_t size = r->hi - r->lo;

	if (r->base && r->h0 < r->h1) {
		munmap((void *)r->base, r->h0);
		munmap((void *)(r->base + r->h1), size - r->h1);
	} else if (r->base) {
		munmap((void *)r->base, size);
	}
	*r = (struct region){ 0 };
}

/* [a, b) of region R, just unmapped, could not be grown over: reserved
 * again, or noted as no longer ours. */
static void lost(struct region *r, uintptr_t a, uintptr_t b)
{
	r->broken = true;
	if (mmap((void *)(r->base + a), b - a, PROT_NONE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1,
		 0) == (void *)(r->base + a))
		return;
	r->h0 = a;
	r->h1 = b;
}

/* Grows the mapping at BASE + A of LEN bytes in place to end at BASE + B,
 * over the reservation there. */
static bool grow(struct region *r, uintptr_t a, size_t len, uintptr_t b)
{
	munmap((void *)(r->base + a + len), b - a - len);
	if (remap(r->base + a, len, b - a, 0, 0) != -1)
		return true;
	lost(r, a + len, b);
	return false;
}

/* [start, start + len), inaccessible now, into region R: its stash, or 0. */
static uintptr_t into_region(struct region *r, uintptr_t start, size_t len)
{
	uintptr_t o = start - r->lo, dst;
	bool some = r->s0 < r->s1;

	if (!r->base) {
		void *b = mmap(NULL, r->hi - r->lo, PROT_NONE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

		if (b == MAP_FAILED)
			return 0;
		r->base = (uintptr_t)b;
	}
	dst = r->base + o;
	/* Above the mapping of stashes: it grows over this one first, twice
	 * as large at least (pages watched in order of address then go into
	 * it one system call fewer each: an empty part costs no memory). */
	if (some && o >= r->s1) {
		uintptr_t to = r->s1 + (r->s1 - r->s0);

		to = to < o + len ? o + len : to;
		to = to > r->hi - r->lo ? r->hi - r->lo : to;
		if (grow(r, r->s0, r->s1 - r->s0, to))
			r->s1 = to;
		else
			some = false;
	}
	if (remap(start, len, len, MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP, dst) == -1)
		return 0;
	/* The program's protection (read-write): the kernel merges it with
	 * the stashes around it. */
	if (mprotect((void *)dst, len, PROT_READ | PROT_WRITE) < 0) {
		r->broken = true;
		return dst;
	}
	if (r->broken)
		return dst;
	if (!some) {
		r->s0 = o;
		r->s1 = o + len;
	} else if (o + len < r->s0) {
		/* Below it: grown up to it. */
		if (grow(r, o, len, r->s0))
			r->s0 = o;
	} else {
		r->s0 = o < r->s0 ? o : r->s0;
		r->s1 = o + len > r->s1 ? o + len : r->s1;
	}
	return dst;
}

uintptr_t mw_stash_away(uintptr_t start, size_t len, int prot, int orig_prot, int anon,
			uintptr_t vlo, uintptr_t vhi, int readable)
{
	struct region *r = NULL;
	bool ready = false;
	long st;

	if (mprotect((void *)start, len, PROT_NONE) < 0)
		return 0;
	if (anon && orig_prot == (PROT_READ | PROT_WRITE))
		r = region_for(start, len, vlo, vhi);
	/* A second stash of the mapping: into its region. */
	if (r && r->live && !r->broken) {
		st = (long)into_region(r, start, len);
		if (st) {
			r->live += len;
			return (uintptr_t)st;
		}
		if (errno == ENOMEM)
			goto fail;
	}
	st = remap(start, len, len, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, 0);
	if (st == -1)
		goto fail;
	if (readable) {
		if (mprotect((void *)st, len, orig_prot) < 0) {
			int e = errno;

			remap((uintptr_t)st, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, start);
			errno = e;
			goto fail;
		}
		ready = true;
	}
	if (r) {
		for (int i = 0; i < LONE; i++)
			if (lones[i].st == lones[i].end) {
				lones[i] = (struct lone){ (uintptr_t)st, (uintptr_t)st + len,
							  (int)(r - regions), ready };
				r->live += len;
				break;
			}
		if (!r->live)
			*r = (struct region){ 0 };      /* not counted: not kept */
	}
	return (uintptr_t)st;
fail:
	{
		int e = errno;

		mprotect((void *)start, len, prot);
		errno = e;
	}
	if (r && !r->live && !r->base)
		*r = (struct region){ 0 };
	return 0;
}

/* LEN bytes of stash ST are gone (moved back or dropped). */
static void account(uintptr_t st, size_t len, struct region *r)
{
	struct lone *l = r ? NULL : lone_of(st, len);

	if (l) {
		r = &regions[l->region];
		lone_cut(l, st, len);
	}
	if (!r)
		return;
	r->live = r->live > len ? r->live - len : 0;
	if (!r->live)
		release(r);
}

int mw_stash_ready(uintptr_t st)
{
	struct region *r = region_of(st);
	struct lone *l;

	if (r)
		return !r->broken;
	l = lone_of(st, 1);
	return l ? l->ready : 0;
}

int mw_stash_back(uintptr_t st, size_t len, uintptr_t start)
{
	struct region *r = region_of(st);

	/* From a region: its mapping stays, empty there (and ours). */
	if (remap(st, len, len, MREMAP_MAYMOVE | MREMAP_FIXED | (r ? MREMAP_DONTUNMAP : 0),
		  start) == -1)
		return -errno;
	account(st, len, r);
	return 0;
}

void mw_stash_emptied(uintptr_t st, size_t len)
{
	struct region *r = region_of(st);

	if (r && !r->broken)
		mprotect((void *)st, len, PROT_READ | PROT_WRITE);
}

void mw_stash_drop(uintptr_t st, size_t len)
{
	struct region *r = region_of(st);

	if (!st)
		return;
	if (r)
		madvise((void *)st, len, MADV_DONTNEED);
	else
		munmap((void *)st, len);
	account(st, len, r);
}

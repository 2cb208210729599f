/* SPDX-License-Identifier: MIT */
/*
 * pool.c - the memfd space aliases come from (see pool.h).
 * [thread, library lock held]: memfd_create, mmap, madvise, fstat, mw_pid.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/procfd.h"
#include "base/tid.h"
#include "watch/pool.h"

static uintptr_t ps = 4096;
static size_t npages;           /* of the pool */
static uintptr_t base;          /* the pool's mapping; 0: none yet */
static int made;                /* tried to make one (base 0: could not) */
static int pool_fd = -1;        /* its memfd, at MW_HIGH_FD or above */
static dev_t pool_dev;
static ino_t pool_ino;
static pid_t pool_pid;          /* the process it belongs to */
static uintptr_t inh_base;      /* a child: the parent's pool, still mapped */

/* One bit per page of the pool: taken.  Free runs are found from the end
 * of the last one taken (next fit), so a run just given back is reused
 * last: the runs of a watch and an unwatch repeated go round the pool. */
static uint64_t *bits;
static size_t cursor, ntaken;

/* Free pages left before a run taken without a neighbour: where the
 * pages before it, watched next, can go (adjacent pages are often
 * watched in order, both ways). */
#define GAP 16

/* Small runs given back are kept with their pages, still taken, for the
 * next small watch (pool.h): no hole punched at the unwatch, no page
 * allocated and zeroed at the watch.  At most KEEP_RUNS of them, of up to
 * MW_POOL_KEEP_PAGES pages each, KEEP_TOTAL pages in all. */
#define KEEP_RUNS 64
#define KEEP_TOTAL 1024
static struct kept {
	size_t at, n;
} kept[KEEP_RUNS];
static size_t nkept, kept_pages;

static int taken(size_t i)
{
	return (int)(bits[i / 64] >> (i % 64) & 1);
}

static void mark(size_t i, size_t n, int on)
{
	ntaken = on ? ntaken + n : ntaken - n;
	for (size_t end = i + n; i < end;) {
		if (i % 64 == 0 && end - i >= 64) {
			bits[i / 64] = on ? ~0ull : 0;
			i += 64;
			continue;
		}
		if (on)
			bits[i / 64] |= 1ull << (i % 64);
		else
			bits[i / 64] &= ~(1ull << (i % 64));
		i++;
	}
}

static int all_free(size_t i, size_t n)
{
	for (size_t end = i + n; i < end;) {
		if (i % 64 == 0 && end - i >= 64) {
			if (bits[i / 64])
				return 0;
			i += 64;
			continue;
		}
		if (taken(i))
			return 0;
		i++;
	}
	return 1;
}

/* The first run of N free pages that starts in [from, to), or npages. */
static size_t find(size_t from, size_t to, size_t n)
{
	size_t i = from;

	while (i < to && i + n <= npages) {
		size_t j;

		if (i % 64 == 0 && bits[i / 64] == ~0ull) {
			i += 64;
			continue;
		}
		if (taken(i)) {
			i++;
			continue;
		}
		for (j = i; j < i + n;) {
			if (j % 64 == 0 && i + n - j >= 64 && !bits[j / 64]) {
				j += 64;
				continue;
			}
			if (taken(j))
				break;
			j++;
		}
		if (j == i + n)
			return i;
		i = j + 1;
	}
	return npages;
}

/* Keeps FD at MW_HIGH_FD or above as the pool's memfd. */
static int keep_fd(int fd)
{
	struct stat st;
	int high = fcntl(fd, F_DUPFD_CLOEXEC, MW_HIGH_FD);

	close(fd);
	if (high < 0 || fstat(high, &st) != 0) {
		if (high >= 0)
			close(high);
		return -1;
	}
	pool_fd = high;
	pool_dev = st.st_dev;
	pool_ino = st.st_ino;
	return 0;
}

/* Whether pool_fd is still the pool's memfd: the program may have closed
 * it (closefrom), and the number may be another file now. */
static int fd_ours(void)
{
	struct stat st;

	return pool_fd >= 0 && fstat(pool_fd, &st) == 0 && st.st_dev == pool_dev &&
	       st.st_ino == pool_ino;
}

static int make(void)
{
	void *m;
	int fd;

	fd = memfd_create("memwatch", MFD_CLOEXEC);
	if (fd < 0)
		return -1;
	if (ftruncate(fd, (off_t)MW_POOL_SIZE) < 0) {
		close(fd);
		return -1;
	}
	m = mmap(NULL, MW_POOL_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, fd, 0);
	if (m == MAP_FAILED || keep_fd(fd) < 0) {
		if (m != MAP_FAILED)
			munmap(m, MW_POOL_SIZE);
		else
			close(fd);
		return -1;
	}
	/* The watched pages are in a core at their own addresses; the pool
	 * would add MW_POOL_SIZE of mostly holes. */
	madvise(m, MW_POOL_SIZE, MADV_DONTDUMP);
	base = (uintptr_t)m;
	pool_pid = mw_pid();
	return 0;
}

/* The pool of this process: made at the first use, and again in a forked
 * child, which keeps the parent's (inh_base) until its runs are copied
 * and never frees anything of it. */
static int own(void)
{
	if (!made) {
		made = 1;
		ps = (uintptr_t)sysconf(_SC_PAGESIZE);
		npages = MW_POOL_SIZE / ps;
		bits = mmap(NULL, npages / 8, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (bits == MAP_FAILED)
			bits = NULL;
	}
	if (!bits)
		return -1;
	if (!base)
		return make();
	if (pool_pid != mw_pid()) {
		/* The descriptor is this child's copy of the parent's: closed
		 * if it still is. */
		if (fd_ours())
			close(pool_fd);
		pool_fd = -1;
		inh_base = base;
		base = 0;
		if (make() < 0)
			return -1;
	}
	if (!fd_ours()) {
		char path[64];
		int fd;

		snprintf(path, sizeof(path), "/proc/self/map_files/%lx-%lx", (unsigned long)base,
			 (unsigned long)(base + MW_POOL_SIZE));
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0 || keep_fd(fd) < 0)
			return -1;
	}
	return 0;
}

/* Whether [p, p + n pages) is a free run of the pool. */
static int free_at(uintptr_t p, size_t n)
{
	size_t at = (p - base) / ps;

	return p >= base && p < base + MW_POOL_SIZE && !((p - base) % ps) && at + n <= npages &&
	       all_free(at, n);
}

/* Whether page I of the pool is in a run a watch uses (taken, not kept). */
static int used(size_t i)
{
	if (i >= npages || !taken(i))
		return 0;
	for (size_t k = 0; k < nkept; k++)
		if (i >= kept[k].at && i < kept[k].at + kept[k].n)
			return 0;
	return 1;
}

/* A kept run of N pages that starts at AT (npages: any, with no run in use
 * on either side, so that a neighbour watched next can still take the run
 * next to it): taken out of the list, still marked taken.  Its index or
 * npages. */
static size_t unkeep(size_t at, size_t n)
{
	for (size_t k = nkept; k-- > 0;) {
		size_t i = kept[k].at;

		if (kept[k].n != n || (at != npages && i != at) ||
		    (at == npages && ((i > 0 && used(i - 1)) || used(i + n))))
			continue;
		kept[k] = kept[--nkept];
		kept_pages -= n;
		return i;
	}
	return npages;
}

uintptr_t mw_pool_get(size_t len, uintptr_t after, uintptr_t before, int *fd, uint64_t *off,
		      int *dirty)
{
	size_t n, i = npages;

	*dirty = 0;
	if (own() < 0 || !len || len > MW_POOL_SIZE)
		return 0;
	n = len / ps;
	if (after && free_at(after, n))
		i = (after - base) / ps;
	else if (before > len && free_at(before - len, n))
		i = (before - len - base) / ps;
	else if (after && after >= base && after < base + MW_POOL_SIZE &&
		 (i = unkeep((after - base) / ps, n)) != npages)
		*dirty = 1;
	else if (before > len && before - len >= base && before - len < base + MW_POOL_SIZE &&
		 (i = unkeep((before - len - base) / ps, n)) != npages)
		*dirty = 1;
	else if (nkept && (i = unkeep(npages, n)) != npages)
		*dirty = 1;
	if (*dirty) {
		*fd = pool_fd;
		*off = (uint64_t)i * ps;
		return base + i * ps;
	}
	/* Room before a new run, for the page before it watched next. */
	if (i == npages && cursor + GAP < npages)
		i = find(cursor + GAP, npages, n);
	if (i == npages)
		i = find(0, cursor, n);
	if (i == npages)
		return 0;
	mark(i, n, 1);
	cursor = i + n < npages ? i + n : 0;
	*fd = pool_fd;
	*off = (uint64_t)i * ps;
	return base + i * ps;
}

int mw_pool_put(uintptr_t alias, size_t len)
{
	size_t n = len / ps;

	if (!base || alias < base || alias - base >= MW_POOL_SIZE || pool_pid != mw_pid())
		return -1;
	if (n <= MW_POOL_KEEP_PAGES && nkept < KEEP_RUNS && kept_pages + n <= KEEP_TOTAL) {
		kept[nkept++] = (struct kept){ (alias - base) / ps, n };
		kept_pages += n;
		return 0;
	}
	/* A hole again: the next watch that takes the run reads zeros where
	 * it copies nothing, never the bytes of this one. */
	madvise((void *)alias, len, MADV_REMOVE);
	mark((alias - base) / ps, len / ps, 0);
	return 0;
}

uintptr_t mw_pool_forked(uintptr_t alias, int *fd, uint64_t *off)
{
	if (own() < 0 || !inh_base || alias < inh_base || alias - inh_base >= MW_POOL_SIZE)
		return 0;
	*fd = pool_fd;
	*off = alias - inh_base;
	return base + (alias - inh_base);
}

int mw_pool_inherited(uintptr_t alias, size_t len)
{
	if (base && pool_pid != mw_pid())
		return alias >= base && alias + len <= base + MW_POOL_SIZE;
	return inh_base && alias >= inh_base && alias + len <= inh_base + MW_POOL_SIZE;
}

int mw_pool_file(uintptr_t alias, unsigned long *inode, uint64_t *off)
{
	if (!base || alias < base || alias - base >= MW_POOL_SIZE || pool_pid != mw_pid())
		return 0;
	*inode = (unsigned long)pool_ino;
	*off = alias - base;
	return 1;
}

int mw_pool_fd(void)
{
	return base && pool_pid == mw_pid() ? pool_fd : -1;
}

void mw_pool_idle(void)
{
	if (!base || ntaken != kept_pages || pool_pid != mw_pid())
		return;
	/* The kept runs keep their pages, zeroed: no byte of a watch is
	 * left, and the next watch of that size allocates none (the memfd
	 * and its mapping stay too). */
	for (size_t k = 0; k < nkept; k++)
		memset((void *)(base + kept[k].at * ps), 0, kept[k].n * ps);
}

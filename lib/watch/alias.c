/* SPDX-License-Identifier: MIT */
/*
 * alias.c - memfd conversion of watched pages (see alias.h). [thread]
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include "watch/alias.h"
#include "base/maps.h"
#include "base/procfd.h"
#include "watch/pool.h"
#include "watch/stash.h"

static size_t page_size(void)
{
	static size_t ps;

	if (!ps)
		ps = (size_t)sysconf(_SC_PAGESIZE);
	return ps;
}

/* Whole pages are copied, also the parts the program never allocated:
 * keep AddressSanitizer's redzone checks out of it. */
#define MW_RAW __attribute__((no_sanitize_address))

MW_RAW static int all_zero(const void *p, size_t n)
{
	const uint64_t *q = p;

	for (size_t i = 0; i < n / 8; i++)
		if (q[i])
			return 0;
	return 1;
}

/* Copies page by page, skipping pages of zeros: the destination already
 * reads as zeros, and a sparse range stays sparse. */
MW_RAW static void copy_pages(void *dst, const void *src, size_t len)
{
	size_t ps = page_size();

	for (size_t off = 0; off < len; off += ps) {
		const uint64_t *s = (const uint64_t *)((const char *)src + off);
		uint64_t *d = (uint64_t *)((char *)dst + off);

		if (all_zero(s, ps))
			continue;
		for (size_t i = 0; i < ps / 8; i++)   /* not memcpy: ASan intercepts it */
			d[i] = s[i];
	}
}

/* Set while a stash that kept its pages (KEEP_MAX) is filled, or a kept
 * run of the pool (pool.h) is: pages of zeros are written too, the
 * destination may hold other bytes there. */
static int zeros_too;

static void copy_data(void *dst, const void *src, size_t len);

/* pread64 or pwrite64 (NR) of N bytes at BUF and file offset OFF until
 * done, an error or the end: how many were moved.  The system calls, not
 * the C library's: a sanitizer's pread/pwrite check BUF, which may hold
 * its redzones (see MW_RAW). */
static size_t file_io(long nr, int fd, void *buf, size_t n, off_t off)
{
	size_t done = 0;

	while (done < n) {
		long r = syscall(nr, fd, (char *)buf + done, n - done, off + (off_t)done);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		done += (size_t)r;
	}
	return done;
}

/* Writes the N bytes at SRC + OFF into the memfd FD at FOFF + OFF; copies
 * through the mapping DST if the write fails.  A write fills new memfd pages without
 * first clearing them and without a page fault per page: a populated 1 GiB
 * watch takes 0.45 s of CPU instead of 0.78 s through the mapping. */
static void write_run(int fd, uint64_t foff, void *dst, uintptr_t src, size_t off, size_t n)
{
	size_t done = fd < 0 ? 0 : file_io(SYS_pwrite64, fd, (void *)(src + off), n,
					   (off_t)(foff + off));

	if (done < n)
		copy_data((char *)dst + off + done, (const void *)(src + off + done), n - done);
}

/* Anonymous memory: copy only the pages that exist (present or swapped,
 * per /proc/self/pagemap) and hold something else than zeros; the others
 * read as zeros anyway, and touching them would map a zero page per page of
 * a sparse range.  Runs of such pages go into the memfd FD in one write. */
#define RESIDENT_PAGES_MAX 16


static void copy_present(int fd, uint64_t foff, void *dst, uintptr_t src, size_t len)
{
	size_t ps = page_size(), n = len / ps, run = 0, nrun = 0;
	uint64_t ent[512];
	int pm;

	/* A few pages: reading an absent one maps the zero page, no memory;
	 * no need to ask pagemap (three system calls). */
	if (n <= RESIDENT_PAGES_MAX) {
		copy_data(dst, (const void *)src, len);
		return;
	}
	/* Every page written (a kept run of the pool): in one write, absent
	 * pages read as zeros. */
	if (zeros_too) {
		write_run(fd, foff, dst, src, 0, len);
		return;
	}
	pm = mw_procfd_get(MW_PROC_PAGEMAP);

	for (size_t i = 0; i < n;) {
		size_t k = n - i < 512 ? n - i : 512;
		ssize_t r = pm < 0 ? -1 : pread(pm, ent, k * 8, (off_t)((src / ps + i) * 8));

		if (r != (ssize_t)(k * 8)) {    /* no pagemap: copy the rest */
			if (nrun)
				write_run(fd, foff, dst, src, run * ps, nrun * ps);
			nrun = 0;
			copy_pages((char *)dst + i * ps, (const void *)(src + i * ps), (n - i) * ps);
			break;
		}
		for (size_t j = 0; j < k; j++) {
			size_t pg = i + j;

			if ((ent[j] & (3ull << 62)) &&  /* present | swapped */
			    !all_zero((const void *)(src + pg * ps), ps)) {
				if (!nrun)
					run = pg;
				nrun++;
				continue;
			}
			if (nrun)
				write_run(fd, foff, dst, src, run * ps, nrun * ps);
			nrun = 0;
		}
		i += k;
	}
	if (nrun)
		write_run(fd, foff, dst, src, run * ps, nrun * ps);
	mw_procfd_put(MW_PROC_PAGEMAP, pm);
}

/* The alias side: copy only the memfd's data extents (SEEK_DATA/HOLE
 * through /proc/self/map_files, swapped-out pages included): reading its
 * holes would allocate them. */
struct extents {
	void *dst;
	uintptr_t alias;
	int ok;
};

/* N bytes of the memfd FD at OFF, also mapped at SRC, into DST: read
 * from the file, into pages populated in one go (MADV_POPULATE_WRITE,
 * where the kernel has it), not a page fault per page on both sides (the
 * alias has no page tables where write_run filled the memfd): a populated
 * 1 GiB unwatch takes 0.60 s of CPU, 0.75 s through the mapping.  Copies
 * through the mapping if the read fails. */
static void read_extent(int fd, char *dst, uintptr_t src, off_t off, size_t n)
{
	size_t done;

	madvise(dst, n, MADV_POPULATE_WRITE);
	done = file_io(SYS_pread64, fd, dst, n, off);
	if (done < n)
		copy_data(dst + done, (const void *)(src + done), n - done);
}

static int copy_vma_extents(const struct mw_map *m, void *arg)
{
	struct extents *x = arg;
	char path[64];
	off_t pos = (off_t)m->offset, end = (off_t)(m->offset + (m->end - m->start));
	int fd;

	/* Named by the mapping's whole range. */
	snprintf(path, sizeof(path), "/proc/self/map_files/%lx-%lx",
		 (unsigned long)m->vstart, (unsigned long)m->vend);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		x->ok = 0;
		return 0;
	}
	while (pos < end) {
		off_t data = lseek(fd, pos, SEEK_DATA), hole;

		if (data < 0 || data >= end)
			break;
		hole = lseek(fd, data, SEEK_HOLE);
		if (hole < 0 || hole > end)
			hole = end;
		read_extent(fd, (char *)x->dst + (m->start - x->alias) + (size_t)(data - (off_t)m->offset),
			    m->start + (size_t)(data - (off_t)m->offset), data, (size_t)(hole - data));
		pos = hole;
	}
	close(fd);
	return 0;
}

/*
 * A few pages, on a system without swap: the memfd's pages are the ones in
 * its page cache, which mincore() reports for the alias - no read of
 * /proc/self/maps (~57 us in a process of 74 mappings: 1/7 of a 4 KiB
 * watch + unwatch).  With swap, a swapped-out page would look like a hole:
 * then, and if swap appeared while we looked, the caller goes by the
 * memfd's extents.  Returns 0 when the copy is done.
 */
static int copy_resident(void *dst, uintptr_t alias, size_t len)
{
	size_t ps = page_size(), n = len / ps;
	unsigned char vec[RESIDENT_PAGES_MAX];
	struct sysinfo si;

	if (n > RESIDENT_PAGES_MAX || sysinfo(&si) != 0 || si.totalswap != 0 ||
	    mincore((void *)alias, len, vec) != 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (vec[i] & 1)
			copy_data((char *)dst + i * ps, (const void *)(alias + i * ps), ps);
	return sysinfo(&si) == 0 && si.totalswap == 0 ? 0 : -1;
}

static void copy_from_alias(void *dst, uintptr_t alias, size_t len)
{
	struct extents x = { dst, alias, 1 };
	unsigned long ino;
	uint64_t off;

	/* A few pages of this process's pool: read through the alias.  A
	 * hole read is a page allocated, at most RESIDENT_PAGES_MAX of them,
	 * and the release punches them again (pool.h) - three system calls
	 * fewer than asking mincore (and sysinfo twice) which pages exist. */
	if (len / page_size() <= RESIDENT_PAGES_MAX && mw_pool_file(alias, &ino, &off)) {
		copy_data(dst, (const void *)alias, len);
		return;
	}
	/* Every page to be written, from the pool: one read of its memfd,
	 * whose holes read as zeros without being allocated. */
	if (zeros_too && mw_pool_file(alias, &ino, &off) && mw_pool_fd() >= 0 &&
	    file_io(SYS_pread64, mw_pool_fd(), dst, len, (off_t)off) == len)
		return;
	if (copy_resident(dst, alias, len) == 0)
		return;
	if (mw_maps_walk(alias, alias + len, -1, copy_vma_extents, &x) != 0 || !x.ok)
		copy_data(dst, (const void *)alias, len);
}

/* The memfd space of a new alias of LEN bytes: a run of the pool (pool.h)
 * near AFTER or BEFORE, else a memfd of its own.  *FD, *OFF: where the
 * alias is in which memfd; *OWN: the memfd is the alias's own (closed by
 * the caller once mapped).  The alias, or 0 with errno set. */
static void *space(size_t len, uintptr_t after, uintptr_t before, int *fd, uint64_t *off,
		   int *own, int *dirty)
{
	uintptr_t p = mw_pool_get(len, after, before, fd, off, dirty);
	void *a;

	*own = !p;
	if (p)
		return (void *)p;
	*off = 0;
	*fd = memfd_create("memwatch", MFD_CLOEXEC);
	if (*fd < 0)
		return NULL;
	if (ftruncate(*fd, (off_t)len) < 0)
		goto fail;
	a = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, *fd, 0);
	if (a != MAP_FAILED)
		return a;
fail:
	{
		int e = errno;

		close(*fd);
		errno = e;
	}
	return NULL;
}

/* Gives back an alias that was never published: no grace period to wait. */
static void unspace(void *a, size_t len, int fd, int own)
{
	if (own) {
		munmap(a, len);
		close(fd);
	} else {
		mw_pool_put((uintptr_t)a, len);
	}
}

/* The largest stash that keeps its pages while watched: memory counted
 * twice for a watch up to this size, no page freed and allocated again
 * per watch and unwatch. */
#define KEEP_MAX ((size_t)1 << 20)

static int convert(uintptr_t start, uintptr_t end, const void *from, int prot, int orig_prot,
		   int anon, uintptr_t after, uintptr_t before, uintptr_t vlo, uintptr_t vhi,
		   uintptr_t *alias, uintptr_t *stash)
{
	size_t len = end - start;
	uintptr_t st = 0;
	uint64_t off = 0;
	void *a = NULL, *m;
	int fd = -1, own = 1, dirty = 0, err, local = (uintptr_t)from == start;
	/* The stash first, copied from (mw_alias_freezes). */
	int early = stash && local && mw_alias_freezes(orig_prot, anon, 0, len);

	if ((uintptr_t)from != start) {
		/* A forked child: the same run of a pool of its own. */
		uintptr_t b = mw_pool_forked((uintptr_t)from, &fd, &off);

		if (b) {
			a = (void *)b;
			own = 0;
		}
	}
	if (!a)
		a = space(len, after, before, &fd, &off, &own, &dirty);
	if (!a)
		return -errno;
	/* A kept run of the pool holds the bytes of its last watch: every
	 * page is written (pool.h; it is small), or, from another alias
	 * whose holes are not read, emptied first. */
	if (dirty && !local)
		madvise(a, len, MADV_REMOVE);
	if (early) {
		st = mw_stash_away(start, len, orig_prot, orig_prot, anon, vlo, vhi, 1);
		if (!st && errno == ENOMEM) {
			unspace(a, len, fd, own);
			return -ENOMEM;
		}
		/* No stash where the kernel cannot keep one: frozen
		 * read-only for the copy, as the caller does otherwise. */
		if (!st && mprotect((void *)start, len, prot) < 0) {
			err = -errno;
			unspace(a, len, fd, own);
			return err;
		}
		if (st)
			from = (const void *)st;
	}
	zeros_too = dirty && local;
	if (anon)
		copy_present(fd, off, a, (uintptr_t)from, len);
	else if (!local)
		copy_from_alias(a, (uintptr_t)from, len);
	else
		copy_data(a, from, len);
	zeros_too = 0;
	if (stash && !early) {
		st = mw_stash_away(start, len, prot, orig_prot, anon, vlo, vhi, 0);
		/* Out of mappings (vm.max_map_count): no watch without its
		 * stash, whose unwatch could not give the program's mapping
		 * back (elsewhere the kernel cannot keep one: go on without). */
		if (!st && errno == ENOMEM) {
			unspace(a, len, fd, own);
			return -ENOMEM;
		}
	}
	m = mmap((void *)start, len, prot, MAP_SHARED | MAP_FIXED, fd, (off_t)off);
	if (m == MAP_FAILED) {
		err = -errno;
		if (st && mw_stash_back(st, len, start) == 0)
			mprotect((void *)start, len, prot);
		unspace(a, len, fd, own);
		return err;
	}
	/* The stash's pages are in the memfd now: anonymous ones read as
	 * zeros when freed, and are filled from the alias at the restore.
	 * A small stash keeps its pages (KEEP_MAX): the restore then writes
	 * into pages that exist, and neither side frees or allocates - the
	 * memfd's holes are pages that were zeros or absent in the stash
	 * too, and stay so (the program cannot write the stash). */
	if (st && anon && len > KEEP_MAX)
		madvise((void *)st, len, MADV_DONTNEED);
	/* Both mappings keep the memfd alive; the program never sees the fd. */
	if (own)
		close(fd);
	*alias = (uintptr_t)a;
	if (stash)
		*stash = st;
	return 0;
}

int mw_alias_freezes(int orig_prot, int anon, int shared, size_t len)
{
	return anon && !shared && orig_prot == (PROT_READ | PROT_WRITE) && len <= KEEP_MAX;
}

int mw_alias_convert(uintptr_t start, uintptr_t end, int prot, int orig_prot, int anon,
		     uintptr_t after, uintptr_t before, uintptr_t vlo, uintptr_t vhi,
		     uintptr_t *alias, uintptr_t *stash)
{
	return convert(start, end, (const void *)start, prot, orig_prot, anon, after, before, vlo,
		       vhi, alias, stash);
}

int mw_alias_convert_from(uintptr_t start, uintptr_t end, uintptr_t from, uintptr_t *alias)
{
	return convert(start, end, (const void *)from, PROT_NONE, PROT_NONE, 0, 0, 0, 0, 0, alias,
		       NULL);
}

/* Every page, zeros too: a stash that was not emptied holds the contents
 * of the watch's start, which the watch may have changed. */
MW_RAW static void copy_all(void *dst, const void *src, size_t len)
{
	const uint64_t *s = src;
	uint64_t *d = dst;

	for (size_t i = 0; i < len / 8; i++)
		d[i] = s[i];
}

/* Pages of zeros skipped (the destination reads as zeros), unless
 * zeros_too. */
static void copy_data(void *dst, const void *src, size_t len)
{
	if (zeros_too)
		copy_all(dst, src, len);
	else
		copy_pages(dst, src, len);
}

/* Into a stash: a kept one (anonymous, up to KEEP_MAX) gets zeros too. */
static void fill(uintptr_t dst, uintptr_t alias, size_t len, int anon)
{
	if (anon) {
		zeros_too = len <= KEEP_MAX;
		copy_from_alias((void *)dst, alias, len);
		zeros_too = 0;
	} else {
		copy_all((void *)dst, (const void *)alias, len);
	}
}

/* Writes the alias into a stash the program cannot write (read-only
 * memory) through /proc/self/mem, as a debugger does: its protection and
 * flags stay as they are (an mprotect to PROT_WRITE and back would mark a
 * private mapping accountable, and it would no longer merge).  0 or -1. */
static int fill_readonly(uintptr_t dst, uintptr_t alias, size_t len, int anon)
{
	size_t ps = page_size();
	int fd = open("/proc/self/mem", O_RDWR | O_CLOEXEC);
	int r = 0;

	if (fd < 0)
		return -1;
	for (size_t off = 0; off < len && !r; off += ps)
		if (!(anon && len > KEEP_MAX && all_zero((const void *)(alias + off), ps)) &&
		    file_io(SYS_pwrite64, fd, (void *)(alias + off), ps, (off_t)(dst + off)) != ps)
			r = -1;
	close(fd);
	return r;
}

static int restore_stash(uintptr_t start, size_t len, uintptr_t alias, int orig_prot,
			 uintptr_t st, int anon)
{
	/* A stash made read-write (mw_alias_freezes) is written as it is,
	 * unless the program changed the protection since (mprotect while
	 * watched): then it gets that one first, as any other. */
	int ready = mw_stash_ready(st) && orig_prot == (PROT_READ | PROT_WRITE), r;

	if (!ready && mprotect((void *)st, len, orig_prot) < 0)
		return -errno;
	if (orig_prot & PROT_WRITE)
		fill(st, alias, len, anon);
	else if (fill_readonly(st, alias, len, anon) < 0) {
		if (mprotect((void *)st, len, orig_prot | PROT_READ | PROT_WRITE) < 0)
			return -errno;
		fill(st, alias, len, anon);
		mprotect((void *)st, len, orig_prot);
	}
	/* Over the memfd at START in one step; the program's mapping merges
	 * with its neighbours again. */
	r = mw_stash_back(st, len, start);
	if (r == 0 && !ready)
		mw_stash_emptied(st, len);
	return r;
}

int mw_alias_restore(uintptr_t start, uintptr_t end, uintptr_t alias, int orig_prot,
		     uintptr_t stash, int anon)
{
	size_t len = end - start;
	void *t;

	if (stash) {
		int r = restore_stash(start, len, alias, orig_prot, stash, anon);

		/* Out of mappings (vm.max_map_count): so would the rest be; the
		 * stash waits for a later try. */
		if (r == 0 || r == -ENOMEM)
			return r;
		mw_stash_drop(stash, len);
	}
	t = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (t == MAP_FAILED)
		return -errno;
	copy_from_alias(t, alias, len);
	if ((orig_prot != (PROT_READ | PROT_WRITE) && mprotect(t, len, orig_prot) < 0) ||
	    mremap(t, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, (void *)start) == MAP_FAILED) {
		int err = -errno;
		munmap(t, len);
		return err;
	}
	return 0;
}

void mw_alias_unstash(uintptr_t stash, uintptr_t len)
{
	mw_stash_drop(stash, len);
}

void mw_alias_release(uintptr_t alias, uintptr_t len)
{
	if (mw_pool_put(alias, len) == 0)
		return;
	/* A forked child's run of its parent's pool: the parent's memory. */
	if (!mw_pool_inherited(alias, len))
		/* munmap alone would keep the memfd's pages while another
		 * part of the same memfd is still mapped. */
		madvise((void *)alias, len, MADV_REMOVE);
	munmap((void *)alias, len);
}

int mw_alias_share(uintptr_t start, uintptr_t end, int prot, uintptr_t *alias)
{
	size_t len = end - start;
	void *a = mremap((void *)start, 0, len, MREMAP_MAYMOVE);

	if (a == MAP_FAILED)
		return -errno;
	/* The new view has the range's current protection; a file opened
	 * read-only stays a read-only alias (writes there are genuine). */
	if (mprotect(a, len, PROT_READ | PROT_WRITE) < 0 && mprotect(a, len, PROT_READ) < 0) {
		int err = -errno;

		munmap(a, len);
		return err;
	}
	if (mprotect((void *)start, len, prot) < 0) {
		int err = -errno;

		munmap(a, len);
		return err;
	}
	*alias = (uintptr_t)a;
	return 0;
}

int mw_alias_unshare(uintptr_t start, uintptr_t end, int orig_prot)
{
	return mprotect((void *)start, end - start, orig_prot) < 0 ? -errno : 0;
}

void mw_alias_drop(uintptr_t alias, uintptr_t len)
{
	munmap((void *)alias, len);
}

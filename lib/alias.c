/* SPDX-License-Identifier: MIT */
/*
 * alias.c - memfd conversion of watched pages (see alias.h). [thread]
 */
#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>

#include "alias.h"

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

static int convert(uintptr_t start, uintptr_t end, const void *from, int prot,
		   uintptr_t *alias)
{
	size_t len = end - start;
	void *a, *m;
	int fd, err;

	fd = memfd_create("memwatch", MFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)len) < 0)
		goto fail_fd;
	a = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (a == MAP_FAILED)
		goto fail_fd;
	copy_pages(a, from, len);
	m = mmap((void *)start, len, prot, MAP_SHARED | MAP_FIXED, fd, 0);
	if (m == MAP_FAILED) {
		err = -errno;
		munmap(a, len);
		close(fd);
		return err;
	}
	/* Both mappings keep the memfd alive; the program never sees the fd. */
	close(fd);
	*alias = (uintptr_t)a;
	return 0;

fail_fd:
	err = -errno;
	close(fd);
	return err;
}

int mw_alias_convert(uintptr_t start, uintptr_t end, int prot, uintptr_t *alias)
{
	return convert(start, end, (const void *)start, prot, alias);
}

int mw_alias_convert_from(uintptr_t start, uintptr_t end, uintptr_t from, uintptr_t *alias)
{
	return convert(start, end, (const void *)from, PROT_NONE, alias);
}

int mw_alias_restore(uintptr_t start, uintptr_t end, uintptr_t alias, int orig_prot)
{
	size_t len = end - start;
	void *t = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (t == MAP_FAILED)
		return -errno;
	copy_pages(t, (const void *)alias, len);
	if ((orig_prot != (PROT_READ | PROT_WRITE) && mprotect(t, len, orig_prot) < 0) ||
	    mremap(t, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, (void *)start) == MAP_FAILED) {
		int err = -errno;
		munmap(t, len);
		return err;
	}
	return 0;
}

void mw_alias_release(uintptr_t alias, uintptr_t len)
{
	/* munmap alone would keep the memfd's pages while another part of the
	 * same memfd is still mapped. */
	madvise((void *)alias, len, MADV_REMOVE);
	munmap((void *)alias, len);
}

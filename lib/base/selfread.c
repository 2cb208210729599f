/* SPDX-License-Identifier: MIT */
/*
 * selfread.c - pages the fault path reads itself (see selfread.h).
 * [thread]: dl_iterate_phdr, dlsym, dladdr1.
 */
#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <unistd.h>

#include "memwatch.h"
#include "base/selfread.h"

#define RANGES 4

static struct { uintptr_t lo, hi; unsigned kinds; } ranges[RANGES];
static int nranges;

static void add(uintptr_t lo, uintptr_t hi, unsigned kinds)
{
	uintptr_t ps = (uintptr_t)sysconf(_SC_PAGESIZE);

	if (nranges < RANGES && lo < hi) {
		ranges[nranges].lo = lo & ~(ps - 1);
		ranges[nranges].hi = (hi + ps - 1) & ~(ps - 1);
		ranges[nranges].kinds = kinds;
		nranges++;
	}
}

/* libc: the last page of its RELRO part (where .got is) through the end
 * of .got.plt, whose page also starts .data.  Any watch: a forked child
 * copying its watched pages makes them inaccessible for a moment, and
 * calls libc meanwhile. */
static int libc_got(struct dl_phdr_info *info, size_t size, void *arg)
{
	uintptr_t me = (uintptr_t)arg, relro_end = 0, pltgot = 0, pltrelsz = 0;
	const ElfW(Dyn) *dyn = NULL;
	int mine = 0;

	(void)size;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t lo = info->dlpi_addr + ph->p_vaddr;

		if (ph->p_type == PT_LOAD && me >= lo && me < lo + ph->p_memsz)
			mine = 1;
		else if (ph->p_type == PT_GNU_RELRO)
			relro_end = lo + ph->p_memsz;
		else if (ph->p_type == PT_DYNAMIC)
			dyn = (const ElfW(Dyn) *)lo;
	}
	if (!mine)
		return 0;
	for (; dyn && dyn->d_tag != DT_NULL; dyn++) {
		if (dyn->d_tag == DT_PLTGOT)
			pltgot = dyn->d_un.d_ptr;
		else if (dyn->d_tag == DT_PLTRELSZ)
			pltrelsz = dyn->d_un.d_val;
	}
	if (pltgot && pltgot < info->dlpi_addr)
		pltgot += info->dlpi_addr;      /* not relocated in place */
	if (relro_end && pltgot)
		add(relro_end - 1, pltgot + (3 + pltrelsz / sizeof(ElfW(Rela))) * sizeof(void *),
		    MW_READ | MW_WRITE);
	else if (relro_end)
		add(relro_end - 1, relro_end, MW_READ | MW_WRITE);
	return 1;
}

void mw_selfread_init(void)
{
	void *ro = dlsym(RTLD_DEFAULT, "_rtld_global_ro");
	const ElfW(Sym) *sym = NULL;
	Dl_info info;

	dl_iterate_phdr(libc_got, (void *)(uintptr_t)__errno_location);
	if (ro && dladdr1(ro, &info, (void **)&sym, RTLD_DL_SYMENT) && sym)
		add((uintptr_t)ro, (uintptr_t)ro + sym->st_size, MW_READ);
}

bool mw_selfread_refused(uintptr_t lo, uintptr_t hi, unsigned flags)
{
	for (int i = 0; i < nranges; i++)
		if ((flags & ranges[i].kinds) && lo < ranges[i].hi && ranges[i].lo < hi)
			return true;
	return false;
}

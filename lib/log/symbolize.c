/* SPDX-License-Identifier: MIT */
/*
 * symbolize.c - addresses to names with libdwfl (see symbolize.h). [thread]
 */
#include <elfutils/libdwfl.h>
#include <link.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log/symbolize.h"

struct mw_symbolizer {
	Dwfl *dwfl;
};

static char *debuginfo_path;
static const Dwfl_Callbacks callbacks = {
	.find_elf = dwfl_build_id_find_elf,
	.find_debuginfo = dwfl_standard_find_debuginfo,
	.debuginfo_path = &debuginfo_path,
};

struct mw_symbolizer *mw_symbolizer_begin(void)
{
	struct mw_symbolizer *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->dwfl = dwfl_begin(&callbacks);
	if (!s->dwfl) {
		free(s);
		return NULL;
	}
	dwfl_report_begin(s->dwfl);
	return s;
}

void mw_symbolizer_add(struct mw_symbolizer *s, const char *path, uint64_t base)
{
	if (s)
		dwfl_report_elf(s->dwfl, path, path, -1, base, false);
}

struct mw_symbolizer *mw_symbolizer_end(struct mw_symbolizer *s)
{
	if (s)
		dwfl_report_end(s->dwfl, NULL, NULL);
	return s;
}

/* The modules come from the loader, not /proc/self/maps: watched pages of
 * a module's .data/.bss are memfd mappings there, which would hide the
 * module's symbols for them. */
static int report(struct dl_phdr_info *info, size_t size, void *arg)
{
	const char *path = info->dlpi_name;
	char exe[4096];

	(void)size;
	if (!path || !path[0]) {
		ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

		if (n <= 0)
			return 0;
		exe[n] = 0;
		path = exe;
	}
	if (path[0] != '/' && access(path, R_OK) != 0)
		return 0;       /* linux-vdso.so.1 */
	mw_symbolizer_add(arg, path, info->dlpi_addr);
	return 0;
}

struct mw_symbolizer *mw_symbolizer_open(void)
{
	struct mw_symbolizer *s = mw_symbolizer_begin();

	if (s)
		dl_iterate_phdr(report, s);
	return mw_symbolizer_end(s);
}

void mw_symbolizer_close(struct mw_symbolizer *s)
{
	if (!s)
		return;
	if (s->dwfl)
		dwfl_end(s->dwfl);
	free(s);
}

void mw_symbolize(struct mw_symbolizer *s, uint64_t addr, int line, int ret,
		  char *buf, size_t len)
{
	Dwfl_Module *m = s ? dwfl_addrmodule(s->dwfl, addr) : NULL;
	const char *mod = NULL, *name, *slash;
	GElf_Off off = 0;
	GElf_Sym sym;
	size_t n;

	buf[0] = 0;
	if (!m)
		return;
	dwfl_module_info(m, NULL, NULL, NULL, NULL, NULL, &mod, NULL);
	if (!mod)
		mod = dwfl_module_info(m, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
	slash = mod ? strrchr(mod, '/') : NULL;
	mod = slash ? slash + 1 : mod ? mod : "?";
	name = dwfl_module_addrinfo(m, addr, &off, &sym, NULL, NULL, NULL);
	if (name) {
		/* __libc_start_main@@GLIBC_2.34: the symbol version is noise. */
		int nlen = (int)strcspn(name, "@");

		snprintf(buf, len, "%.*s+0x%llx (%s)", nlen, name, (unsigned long long)off, mod);
	} else {
		snprintf(buf, len, "(%s)", mod);
	}
	if (line && name) {
		Dwfl_Line *l = dwfl_module_getsrc(m, ret ? addr - 1 : addr);
		const char *file;
		Dwarf_Addr laddr = 0;
		int lineno = 0;

		/* The nearest line-table entry may belong to another function
		 * when this one has no debug info (_start): only a line that
		 * starts inside this symbol counts. */
		if (l && (file = dwfl_lineinfo(l, &laddr, &lineno, NULL, NULL, NULL)) &&
		    lineno > 0 && laddr >= addr - off) {
			slash = strrchr(file, '/');
			n = strlen(buf);
			snprintf(buf + n, len - n, " at %s:%d", slash ? slash + 1 : file, lineno);
		}
	}
}

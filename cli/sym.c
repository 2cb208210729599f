/* SPDX-License-Identifier: MIT */
/*
 * sym.c - names and lines for the program's addresses, with elfutils'
 * libdwfl, in the memwatch process: the modules are the ones the program
 * had loaded (the header's list, with their load bases).
 */
#include <elfutils/libdwfl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

struct mwc_sym {
	Dwfl *dwfl;
};

static char *debuginfo_path;
static const Dwfl_Callbacks callbacks = {
	.find_elf = dwfl_build_id_find_elf,
	.find_debuginfo = dwfl_standard_find_debuginfo,
	.debuginfo_path = &debuginfo_path,
};

struct mwc_sym *mwc_sym_open(const struct mw_share_hdr *hdr)
{
	struct mwc_sym *s = calloc(1, sizeof(*s));
	uint64_t n = hdr->nmodules < MW_SHARE_MODULES ? hdr->nmodules : MW_SHARE_MODULES;

	if (!s || !(s->dwfl = dwfl_begin(&callbacks))) {
		free(s);
		return NULL;
	}
	dwfl_report_begin(s->dwfl);
	for (uint64_t i = 0; i < n; i++) {
		char path[MW_SHARE_PATH + 1];

		memcpy(path, hdr->module[i].path, MW_SHARE_PATH);
		path[MW_SHARE_PATH] = 0;
		dwfl_report_elf(s->dwfl, path, path, -1, hdr->module[i].base, false);
	}
	dwfl_report_end(s->dwfl, NULL, NULL);
	return s;
}

void mwc_sym_close(struct mwc_sym *s)
{
	if (s)
		dwfl_end(s->dwfl);
	free(s);
}

void mwc_sym_name(struct mwc_sym *s, uint64_t addr, int line, int ret, char *buf, size_t len)
{
	Dwfl_Module *m = s ? dwfl_addrmodule(s->dwfl, addr) : NULL;
	const char *mod, *name, *slash;
	GElf_Off off = 0;
	GElf_Sym sym;
	size_t n;

	buf[0] = 0;
	if (!m)
		return;
	mod = dwfl_module_info(m, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
	slash = mod ? strrchr(mod, '/') : NULL;
	mod = slash ? slash + 1 : mod ? mod : "?";
	name = dwfl_module_addrinfo(m, addr, &off, &sym, NULL, NULL, NULL);
	if (name)
		snprintf(buf, len, "%.*s+0x%llx (%s)", (int)strcspn(name, "@"), name,
			 (unsigned long long)off, mod);
	else
		snprintf(buf, len, "(%s)", mod);
	if (line && name) {
		Dwfl_Line *l = dwfl_module_getsrc(m, ret ? addr - 1 : addr);
		const char *file;
		Dwarf_Addr laddr = 0;
		int lineno = 0;

		/* Only a line that starts inside this symbol: the nearest
		 * entry may be another function's when this one has no debug
		 * info. */
		if (l && (file = dwfl_lineinfo(l, &laddr, &lineno, NULL, NULL, NULL)) &&
		    lineno > 0 && laddr >= addr - off) {
			slash = strrchr(file, '/');
			n = strlen(buf);
			snprintf(buf + n, len - n, " at %s:%d", slash ? slash + 1 : file, lineno);
		}
	}
}

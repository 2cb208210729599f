/* SPDX-License-Identifier: MIT */
/*
 * sym.c - names and lines for the program's addresses: the library's
 * symbolizer (lib/log/symbolize.c, compiled in) over the modules the
 * program had loaded (the header's list, with their load bases), in the
 * memwatch process.
 */
#include <string.h>

#include "cli.h"

struct mw_symbolizer *mwc_symbolizer(const struct mw_share_hdr *hdr)
{
	struct mw_symbolizer *s = mw_symbolizer_begin();
	uint64_t n = hdr->nmodules < MW_SHARE_MODULES ? hdr->nmodules : MW_SHARE_MODULES;

	for (uint64_t i = 0; s && i < n; i++) {
		char path[MW_SHARE_PATH + 1];

		memcpy(path, hdr->module[i].path, MW_SHARE_PATH);
		path[MW_SHARE_PATH] = 0;
		mw_symbolizer_add(s, path, hdr->module[i].base);
	}
	return mw_symbolizer_end(s);
}

/* SPDX-License-Identifier: MIT */
/*
 * sym.c - names and lines for the program's addresses: the library's
 * symbolizer (lib/log/symbolize.c, compiled in) over the modules the
 * program had loaded (the header's list, with their load bases), in the
 * memwatch process.
 */
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

/* Whether paths A and B name the same file. */
static int same_file(const char *a, const char *b)
{
	struct stat sa, sb;

	return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

struct mw_symbolizer *mwc_symbolizer(const struct mwc_log *log)
{
	const struct mw_share_hdr *hdr = log->hdr;
	struct mw_symbolizer *s = mw_symbolizer_begin();
	uint64_t n = hdr->nmodules < MW_SHARE_MODULES ? hdr->nmodules : MW_SHARE_MODULES;

	for (uint64_t i = 0; s && i < n; i++) {
		char path[MW_SHARE_PATH + 1];

		memcpy(path, hdr->module[i].path, MW_SHARE_PATH);
		path[MW_SHARE_PATH] = 0;
		/* The executable's path is /proc/self/exe's, symbolic links
		 * resolved: a program started as redis-server, a link to
		 * redis-check-rdb, would be (redis-check-rdb) in every frame.
		 * The module's name is its path's: name it as started. */
		if (i == 0 && log->prog && same_file(log->prog, path))
			mw_symbolizer_add(s, log->prog, hdr->module[i].base);
		else
			mw_symbolizer_add(s, path, hdr->module[i].base);
	}
	return mw_symbolizer_end(s);
}

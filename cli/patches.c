/* SPDX-License-Identifier: MIT */
/*
 * patches.c - the summary's line on patched sites (see cli.h).
 */
#include <stdio.h>

#include "cli/cli.h"
#include "log/logshare.h"

void mwc_patches(FILE *out, const struct mwc_log *log)
{
	const struct mw_share_hdr *h = log->hdr;
	uint64_t offered = 0;
	const char *sep = "";

	if (!h || h->npatch < 2 || h->npatch > sizeof(h->patch) / sizeof(h->patch[0]))
		return;
	/* 0 patched, 1 of those restored again, 2.. refused (memwatch.h). */
	for (uint64_t i = 0; i < h->npatch; i++)
		offered += i == 1 ? 0 : h->patch[i];
	if (!offered)
		return;
	fprintf(out, "patched sites: %llu of %llu hot instructions patched",
		(unsigned long long)h->patch[0], (unsigned long long)offered);
	if (h->patch[1])
		fprintf(out, " (%llu restored after a fault in its stub)",
			(unsigned long long)h->patch[1]);
	for (uint64_t i = 2; i < h->npatch; i++) {
		if (!h->patch[i])
			continue;
		fprintf(out, "%s %llu %.*s", *sep ? ";" : "; not:", (unsigned long long)h->patch[i],
			(int)sizeof(h->patch_what[i]), h->patch_what[i]);
		sep = ";";
	}
	fprintf(out, "\n");
}

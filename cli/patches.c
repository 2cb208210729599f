/* SPDX-License-Identifier: MIT */
/*
 * patches.c - the summary's lines on patched sites (see cli.h): access
 * sites, then system-call sites.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "log/logshare.h"

#define SYS "system-call sites "

/* Whether outcome I is about system-call sites (its words say so). */
static int is_sys(const struct mw_share_hdr *h, uint64_t i)
{
	return strncmp(h->patch_what[i], SYS, strlen(SYS)) == 0;
}

/* One line: the outcomes of one kind of site (SYS or not). */
static void line(FILE *out, const struct mw_share_hdr *h, int sys)
{
	uint64_t offered = 0, done = 0;
	const char *sep = "";

	/* Access sites: 0 patched, 1 of those restored again, 2.. refused
	 * (memwatch.h); system-call sites: "... patched", then refusals. */
	for (uint64_t i = 0; i < h->npatch; i++) {
		if (is_sys(h, i) != sys || i == 1)
			continue;
		offered += h->patch[i];
		if (i == 0 || !strcmp(h->patch_what[i], SYS "patched"))
			done = h->patch[i];
	}
	if (!offered)
		return;
	if (sys)
		fprintf(out, "patched system-call sites: %llu of %llu hot system-call sites patched",
			(unsigned long long)done, (unsigned long long)offered);
	else
		fprintf(out, "patched sites: %llu of %llu hot instructions patched",
			(unsigned long long)done, (unsigned long long)offered);
	if (!sys && h->patch[1])
		fprintf(out, " (%llu restored after a fault in its stub)",
			(unsigned long long)h->patch[1]);
	for (uint64_t i = 2; i < h->npatch; i++) {
		const char *what = h->patch_what[i];

		if (!h->patch[i] || is_sys(h, i) != sys || !strcmp(what, SYS "patched"))
			continue;
		fprintf(out, "%s %llu %.*s", *sep ? ";" : "; not:", (unsigned long long)h->patch[i],
			(int)(sizeof(h->patch_what[i]) - (sys ? strlen(SYS) : 0)),
			what + (sys ? strlen(SYS) : 0));
		sep = ";";
	}
	fprintf(out, "\n");
}

void mwc_patches(FILE *out, const struct mwc_log *log)
{
	const struct mw_share_hdr *h = log->hdr;

	if (!h || h->npatch < 2 || h->npatch > sizeof(h->patch) / sizeof(h->patch[0]))
		return;
	line(out, h, 0);
	line(out, h, 1);
}

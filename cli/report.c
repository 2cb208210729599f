/* SPDX-License-Identifier: MIT */
/*
 * report.c - the program's log as text, in the form of mw_log_dump(3)
 * (the records by log/text.c, compiled in), every frame named and placed
 * by file:line.
 */
#include <inttypes.h>

#include "log/text.h"
#include "cli.h"

static const char *kinds(uint64_t flags)
{
	return flags == MW_ACCESS ? "reads and writes" : flags == MW_READ ? "reads" : "writes";
}

void mwc_watches(FILE *out, const struct mwc_log *log, const struct mwc_watch *w, int nw)
{
	const struct mw_share_hdr *h = log->hdr;

	for (int i = 0; i < nw && (uint64_t)i < h->nwatches; i++) {
		uint64_t hits = 0;

		for (size_t k = 0; k < log->nrec; k++)
			hits += log->rec[k].watch == h->watch[i].id;
		fprintf(out, "memwatch: watch %" PRId64 ": %s, %" PRIu64 " bytes at 0x%" PRIx64
			", %s: %" PRIu64 " record%s\n", h->watch[i].id, w[i].spec, h->watch[i].size,
			h->watch[i].addr, kinds(h->watch[i].flags), hits, hits == 1 ? "" : "s");
	}
}

int mwc_report(FILE *out, const struct mwc_log *log, const struct mwc_watch *w, int nw)
{
	const struct mw_share_hdr *h = log->hdr;
	struct mw_symbolizer *sym = mwc_symbolizer(log);
	uint64_t overwritten = log->last_seq > log->capacity ? log->last_seq - log->capacity : 0;
	struct mw_msg m;

	fprintf(out, "memwatch log: %zu record%s (%" PRIu64 " overwritten, %" PRIu64
		" incomplete); ring %" PRIu64 " records\n", log->nrec,
		log->nrec == 1 ? "" : "s", overwritten, log->incomplete, log->capacity);
	/* The records go to OUT's file descriptor, after what OUT holds. */
	fflush(out);
	mw_msg_open(&m, fileno(out));
	for (size_t k = 0; k < log->nrec; k++)
		mw_text_record(&m, &log->rec[k], h->t0_ns, sym);
	mw_msg_write(&m);
	mw_symbolizer_close(sym);
	return m.err;
}

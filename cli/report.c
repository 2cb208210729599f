/* SPDX-License-Identifier: MIT */
/*
 * report.c - the program's log as text, in the form of mw_log_dump(3),
 * every frame named and placed by file:line.
 */
#include <inttypes.h>
#include <string.h>

#include "log/kindname.h"
#include "cli.h"

static void where(FILE *out, struct mw_symbolizer *sym, uint64_t addr, int line, int ret)
{
	char name[1024];

	fprintf(out, "0x%" PRIx64, addr);
	mw_symbolize(sym, addr, line, ret, name, sizeof(name));
	if (name[0])
		fprintf(out, " %s", name);
}

static void bytes(FILE *out, const uint8_t *b, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		fprintf(out, i ? " %02x" : "%02x", b[i]);
}

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

void mwc_report(FILE *out, const struct mwc_log *log, const struct mwc_watch *w, int nw)
{
	const struct mw_share_hdr *h = log->hdr;
	struct mw_symbolizer *sym = mwc_symbolizer(h);
	uint64_t overwritten = log->last_seq > log->capacity ? log->last_seq - log->capacity : 0;

	fprintf(out, "memwatch log: %zu record%s (%" PRIu64 " overwritten, %" PRIu64
		" incomplete); ring %" PRIu64 " records\n", log->nrec,
		log->nrec == 1 ? "" : "s", overwritten, log->incomplete, log->capacity);
	for (size_t k = 0; k < log->nrec; k++) {
		const struct mw_record *r = &log->rec[k];
		uint64_t t = r->time_ns > h->t0_ns ? r->time_ns - h->t0_ns : 0;

		fprintf(out, "#%" PRIu64 " %s watch %d thread %u +%" PRIu64 ".%06" PRIu64 "s\n",
			r->seq, mw_kind_name(r->kind), r->watch, r->tid, t / 1000000000u,
			(t / 1000) % 1000000);
		fprintf(out, "  %u byte%s at ", r->size, r->size == 1 ? "" : "s");
		where(out, sym, r->addr, 0, 0);
		if (r->flags & MW_REC_CUT)
			fprintf(out, " (values: the first %u bytes)", r->value_len);
		fprintf(out, "\n");
		if (r->kind == MW_KIND_GONE) {
			fprintf(out, "  the watch ended: its memory was unmapped or replaced");
		} else if (r->kind & MW_KIND_WRITE) {
			fprintf(out, "  old: ");
			if (r->flags & MW_REC_NOOLD)
				fprintf(out, "(not known)");
			else
				bytes(out, r->old_value, r->value_len);
			fprintf(out, "%s\n  new: ", r->flags & MW_REC_ATOMIC ? " (atomic)" : "");
		} else {
			fprintf(out, "  value: ");
		}
		if (r->kind != MW_KIND_GONE)
			bytes(out, r->new_value, r->value_len);
		fprintf(out, "\n");
		for (unsigned i = 0; i < r->nframes; i++) {
			fprintf(out, "  #%u ", i);
			where(out, sym, r->frames[i], 1, i > 0);
			fprintf(out, "\n");
		}
		if (!r->nframes) {
			fprintf(out, "  at ");
			where(out, sym, r->pc, 1, 0);
			fprintf(out, "\n");
		}
	}
	mw_symbolizer_close(sym);
}

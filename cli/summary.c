/* SPDX-License-Identifier: MIT */
/*
 * summary.c - who accessed each watch: the log's records grouped by
 * watch, kind and instruction, most frequent first, with the threads
 * that ran it.  "Everyone who wrote into this buffer" in a few lines.
 */
#include <inttypes.h>
#include <stdlib.h>

#include "log/kindname.h"
#include "cli.h"

struct group {
	uint64_t pc;
	unsigned kind;
	uint64_t count;
	uint32_t tid;           /* the first thread */
	unsigned threads;       /* distinct threads, counted up to a few */
	uint32_t seen[8];
};

static int by_count(const void *a, const void *b)
{
	const struct group *x = a, *y = b;

	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return x->pc < y->pc ? -1 : x->pc > y->pc;
}

static void add_thread(struct group *g, uint32_t tid)
{
	unsigned n = g->threads < 8 ? g->threads : 8;

	for (unsigned i = 0; i < n; i++)
		if (g->seen[i] == tid)
			return;
	if (g->threads < 8)
		g->seen[g->threads] = tid;
	g->threads++;           /* beyond 8: at least that many */
}

void mwc_summary(FILE *out, const struct mwc_log *log, const struct mwc_watch *w, int nw)
{
	const struct mw_share_hdr *h = log->hdr;
	struct mw_symbolizer *sym = mwc_symbolizer(log);
	struct group *g = calloc(log->nrec + 1, sizeof(*g));
	char name[1024];

	for (int i = 0; g && i < nw && (uint64_t)i < h->nwatches; i++) {
		size_t ng = 0;
		uint64_t total = 0;

		if (h->watch[i].id <= 0)
			continue;
		for (size_t k = 0; k < log->nrec; k++) {
			const struct mw_record *r = &log->rec[k];
			size_t j;

			if (r->watch != h->watch[i].id)
				continue;
			total++;
			for (j = 0; j < ng; j++)
				if (g[j].pc == r->pc && g[j].kind == r->kind)
					break;
			if (j == ng) {
				g[ng].pc = r->pc;
				g[ng].kind = r->kind;
				g[ng].count = 0;
				g[ng].threads = 0;
				g[ng].tid = r->tid;
				ng++;
			}
			g[j].count++;
			add_thread(&g[j], r->tid);
		}
		qsort(g, ng, sizeof(*g), by_count);
		fprintf(out, "memwatch: who accessed watch %" PRId64 " (%s): %" PRIu64
			" access%s by %zu instruction%s\n", h->watch[i].id, w[i].spec, total,
			total == 1 ? "" : "es", ng, ng == 1 ? "" : "s");
		if (ng)
			fprintf(out, "%8s  %-6s  %-13s  %s\n", "count", "kind", "thread", "where");
		for (size_t j = 0; j < ng; j++) {
			char thr[32];

			if (g[j].threads == 1)
				snprintf(thr, sizeof(thr), "%" PRIu32, g[j].tid);
			else
				snprintf(thr, sizeof(thr), "%s%u threads", g[j].threads > 8 ? ">" : "",
					 g[j].threads > 8 ? 8 : g[j].threads);
			mw_symbolize(sym, g[j].pc, 1, 0, name, sizeof(name));
			fprintf(out, "%8" PRIu64 "  %-6s  %-13s  0x%" PRIx64 " %s\n", g[j].count,
				mw_kind_name(g[j].kind), thr, g[j].pc, name);
		}
	}
	if (log->last_seq > log->capacity)
		fprintf(out, "note: the oldest %" PRIu64 " accesses were pushed out of the ring "
			"and are not counted (--ring)\n", log->last_seq - log->capacity);
	free(g);
	mw_symbolizer_close(sym);
}

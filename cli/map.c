/* SPDX-License-Identifier: MIT */
/*
 * map.c - the heat map of a watch: a hexdump-like picture, one row per 16
 * cells, each cell saying whether its bytes were read, written or both,
 * and how often.  A cell is one byte while the watch has at most
 * MAP_CELLS bytes; beyond that a cell stands for a power of two of bytes,
 * so the picture (and the memory it takes) is bounded for any size.
 *
 * The counts come from the log's records: accesses pushed out of the ring
 * are not in the picture (the header line says how many were).
 */
#include <inttypes.h>
#include <stdlib.h>

#include "cli.h"

#define MAP_CELLS 1024          /* 64 rows of 16 */
#define ROW 16

struct cell {
	uint64_t n;             /* accesses that touched the cell */
	unsigned kinds;         /* MW_KIND_READ | MW_KIND_WRITE seen */
};

/* 4 columns, right-aligned: "   .", "  w1", " b12", " r++". */
static void glyph(FILE *out, const struct cell *c)
{
	char k = c->kinds == MW_KIND_RMW ? 'b' : c->kinds & MW_KIND_WRITE ? 'w' : 'r';

	if (!c->n)
		fprintf(out, "   .");
	else if (c->n < 10)
		fprintf(out, "  %c%" PRIu64, k, c->n);
	else if (c->n < 100)
		fprintf(out, " %c%" PRIu64, k, c->n);
	else
		fprintf(out, " %c++", k);
}

static void map_one(FILE *out, const struct mwc_log *log, const struct mw_share_watch *sw,
		    const char *spec)
{
	uint64_t per = 1, ncell, first = UINT64_MAX, reads = 0, writes = 0, rmws = 0;
	struct cell *c;

	while (sw->size / per > MAP_CELLS)
		per <<= 1;
	ncell = (sw->size + per - 1) / per;
	c = calloc(ncell, sizeof(*c));
	if (!c)
		return;
	for (size_t k = 0; k < log->nrec; k++) {
		const struct mw_record *r = &log->rec[k];
		uint64_t lo, hi;

		if (r->kind == MW_KIND_GONE || r->watch != sw->id || r->addr < sw->addr || !r->size ||
		    r->addr + r->size > sw->addr + sw->size)
			continue;
		lo = (r->addr - sw->addr) / per;
		hi = (r->addr + r->size - 1 - sw->addr) / per;
		if (r->addr - sw->addr < first)
			first = r->addr - sw->addr;
		/* Each access once, by its kind: a read-modify-write is
		 * neither a read nor a write more. */
		reads += (r->kind & MW_KIND_RMW) == MW_KIND_READ;
		writes += (r->kind & MW_KIND_RMW) == MW_KIND_WRITE;
		rmws += (r->kind & MW_KIND_RMW) == MW_KIND_RMW;
		for (uint64_t i = lo; i <= hi; i++) {
			c[i].n++;
			c[i].kinds |= r->kind & MW_KIND_RMW;
		}
	}
	fprintf(out, "memwatch: map of watch %" PRId64 " (%s): %" PRIu64 " bytes at 0x%" PRIx64
		", %" PRIu64 " byte%s per cell; %" PRIu64 " read%s, %" PRIu64 " write%s",
		sw->id, spec, sw->size, sw->addr, per, per == 1 ? "" : "s", reads,
		reads == 1 ? "" : "s", writes, writes == 1 ? "" : "s");
	if (rmws)
		fprintf(out, ", %" PRIu64 " read-modify-write%s", rmws, rmws == 1 ? "" : "s");
	fprintf(out, "\n");
	fprintf(out, "%-8s", "offset");
	for (int i = 0; i < ROW; i++)
		fprintf(out, " %3" PRIx64, (uint64_t)i * per);
	fprintf(out, "\n");
	for (uint64_t row = 0; row < ncell; row += ROW) {
		fprintf(out, "+%-7" PRIx64, row * per);
		for (uint64_t i = row; i < row + ROW && i < ncell; i++)
			glyph(out, &c[i]);
		fprintf(out, "\n");
	}
	if (first != UINT64_MAX)
		fprintf(out, "first byte accessed: +0x%" PRIx64 " (0x%" PRIx64 ")\n", first,
			sw->addr + first);
	else
		fprintf(out, "no access recorded\n");
	free(c);
}

void mwc_map(FILE *out, const struct mwc_log *log, const struct mwc_watch *w, int nw)
{
	const struct mw_share_hdr *h = log->hdr;

	for (int i = 0; i < nw && (uint64_t)i < h->nwatches; i++)
		if (h->watch[i].id > 0)
			map_one(out, log, &h->watch[i], w[i].spec);
	fprintf(out, "legend: . not accessed; rN read N times; wN written N times; "
		"bN read and written, N accesses in all; ++ 100 or more; offsets in hex\n");
	if (log->last_seq > log->capacity)
		fprintf(out, "note: the oldest %" PRIu64 " accesses were pushed out of the ring "
			"and are not counted (--ring)\n", log->last_seq - log->capacity);
}

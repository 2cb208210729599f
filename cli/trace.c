/* SPDX-License-Identifier: MIT */
/*
 * trace.c - the program's log as a timeline: the trace-event JSON format
 * of Chrome's tracing and the Perfetto UI (`memwatch --trace FILE`).
 *
 * One JSON object: "traceEvents", an array of
 *   - metadata events ("ph":"M"): process_name (the program as started)
 *     and thread_name for every thread that has records (the main thread,
 *     whose tid is the pid, named after the program; the others
 *     "thread TID": their names are gone with the program);
 *   - one instant event ("ph":"i", "s":"t": on its thread's track) per
 *     record, oldest first, named "KIND WATCH" (the -w spec), at its time
 *     in microseconds since the start of main (the report's +S.UUUUUU),
 *     its fields in "args": seq, kind, watch, address and its name, size,
 *     values in hex as the report writes them, flags, and the frames named
 *     by the one symbolizer (log/symbolize.c) as in the report.
 * Every string is escaped: quotes, backslashes, control characters, and
 * bytes that are not UTF-8 (a file or symbol name is bytes) as \u00XX, so
 * that the file is valid JSON whatever the program and its records hold.
 * gdbsupport/log.gdb writes the same form from GDB (mwatch-log -trace).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "log/kindname.h"
#include "cli.h"

/* The length of the UTF-8 sequence at S (1 to 4), or 0 if it is not one
 * (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF). */
static int utf8_len(const unsigned char *s)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	int n;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4;
	else
		return 0;
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (int i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return n;
}

/* S as a JSON string, quotes included. */
static void json_str(FILE *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	putc('"', out);
	while (*p) {
		int n = utf8_len(p);

		if (*p == '"' || *p == '\\') {
			putc('\\', out);
			putc(*p++, out);
		} else if (*p < 0x20 || *p == 0x7f || n == 0) {
			fprintf(out, "\\u%04x", *p++);
		} else {
			fwrite(p, 1, (size_t)n, out);
			p += n;
		}
	}
	putc('"', out);
}

/*
 * Names of addresses, remembered: a log's records come from few
 * instructions and call chains, and each name costs a look-up in the
 * debug information (a ring of 16384 records with 5 frames: 24 s without,
 * well under one with).  Direct-mapped, so its memory stays bounded.
 */
#define NAMES 8192

struct names {
	struct mw_symbolizer *sym;
	struct name {
		uint64_t addr;
		int how;        /* 0 empty, else 1 + line + 2 * ret */
		char *text;
	} slot[NAMES];
};

static const char *name_of(struct names *nm, uint64_t addr, int line, int ret)
{
	int how = 1 + !!line + 2 * !!ret;
	struct name *e = &nm->slot[((addr * 0x9e3779b97f4a7c15ull) >> 51 ^ (uint64_t)how) % NAMES];
	char buf[1024] = "";

	if (e->how == how && e->addr == addr && e->text)
		return e->text;
	if (nm->sym)
		mw_symbolize(nm->sym, addr, line, ret, buf, sizeof(buf));
	free(e->text);
	e->text = strdup(buf);
	e->addr = addr;
	e->how = e->text ? how : 0;
	return e->text ? e->text : "";
}

/* "0xADDR NAME" as the report writes a place, as a JSON string. */
static void json_where(FILE *out, struct names *nm, uint64_t addr, int line, int ret)
{
	const char *name = name_of(nm, addr, line, ret);
	char buf[1100];

	snprintf(buf, sizeof(buf), "0x%" PRIx64 "%s%s", addr, name[0] ? " " : "", name);
	json_str(out, buf);
}

static void json_bytes(FILE *out, const uint8_t *p, unsigned n)
{
	putc('"', out);
	for (unsigned i = 0; i < n; i++)
		fprintf(out, "%s%02x", i ? " " : "", p[i]);
	putc('"', out);
}

/* The name of watch ID: its -w spec, or "watch ID". */
static void watch_name(char *buf, size_t len, const struct mwc_log *log,
		       const struct mwc_watch *w, int nw, int32_t id)
{
	for (int i = 0; i < nw && (uint64_t)i < log->hdr->nwatches; i++)
		if (log->hdr->watch[i].id == id) {
			snprintf(buf, len, "%s", w[i].spec);
			return;
		}
	snprintf(buf, len, "watch %" PRId32, id);
}

static void event(FILE *out, const struct mw_record *r, uint64_t t0, int pid,
		  const char *wname, struct names *nm)
{
	uint64_t t = r->time_ns > t0 ? r->time_ns - t0 : 0;
	const char *kind = mw_kind_name(r->kind);
	char name[320];

	snprintf(name, sizeof(name), "%s %s", kind, wname);
	fputs(",\n{\"ph\":\"i\",\"s\":\"t\",\"name\":", out);
	json_str(out, name);
	fputs(",\"cat\":", out);
	json_str(out, kind);
	fprintf(out, ",\"ts\":%" PRIu64 ".%03u,\"pid\":%d,\"tid\":%" PRIu32
		",\"args\":{\"seq\":%" PRIu64 ",\"kind\":", t / 1000, (unsigned)(t % 1000), pid,
		r->tid, r->seq);
	json_str(out, kind);
	fprintf(out, ",\"watch\":%" PRId32 ",\"watch_name\":", r->watch);
	json_str(out, wname);
	fprintf(out, ",\"address\":\"0x%" PRIx64 "\",\"address_name\":", r->addr);
	json_str(out, name_of(nm, r->addr, 0, 0));
	fprintf(out, ",\"size\":%" PRIu32, r->size);
	if (r->kind == MW_KIND_GONE) {
		fputs(",\"gone\":\"the watch ended: its memory was unmapped or replaced\"", out);
	} else if (r->kind & MW_KIND_WRITE) {
		fputs(",\"old\":", out);
		if (r->flags & MW_REC_NOOLD)
			fputs("\"not known\"", out);
		else
			json_bytes(out, r->old_value, r->value_len);
		fputs(",\"new\":", out);
		json_bytes(out, r->new_value, r->value_len);
	} else {
		fputs(",\"value\":", out);
		json_bytes(out, r->new_value, r->value_len);
	}
	if (r->flags & MW_REC_CUT)
		fprintf(out, ",\"cut\":\"the values are the first %u bytes\"", r->value_len);
	if (r->flags & MW_REC_ATOMIC)
		fputs(",\"atomic\":true", out);
	fputs(",\"pc\":", out);
	json_where(out, nm, r->pc, 1, 0);
	fputs(",\"frames\":[", out);
	for (unsigned i = 0; i < r->nframes && i < MW_FRAMES_MAX; i++) {
		if (i)
			putc(',', out);
		json_where(out, nm, r->frames[i], 1, i > 0);
	}
	fputs("]}}", out);
}

/* A thread_name event for each thread with records, when first seen. */
static void thread_names(FILE *out, const struct mwc_log *log, int pid)
{
	const char *base = log->prog ? strrchr(log->prog, '/') : NULL;
	char name[64];

	base = base ? base + 1 : log->prog ? log->prog : "?";
	for (size_t k = 0; k < log->nrec; k++) {
		uint32_t tid = log->rec[k].tid;
		size_t j;

		for (j = 0; j < k && log->rec[j].tid != tid; j++)
			;
		if (j < k)
			continue;
		fprintf(out, ",\n{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":%d,\"tid\":%" PRIu32
			",\"args\":{\"name\":", pid, tid);
		if ((int)tid == pid) {
			json_str(out, base);
		} else {
			snprintf(name, sizeof(name), "thread %" PRIu32, tid);
			json_str(out, name);
		}
		fputs("}}", out);
		/* The main thread first in the UI. */
		fprintf(out, ",\n{\"ph\":\"M\",\"name\":\"thread_sort_index\",\"pid\":%d,\"tid\":%"
			PRIu32 ",\"args\":{\"sort_index\":%d}}", pid, tid, (int)tid == pid ? 0 : 1);
	}
}

int mwc_trace(FILE *out, const struct mwc_log *log, const struct mwc_watch *w, int nw, int pid)
{
	struct names *nm = calloc(1, sizeof(*nm));
	uint64_t overwritten = log->last_seq > log->capacity ? log->last_seq - log->capacity : 0;
	char name[300];

	fputs("{\"displayTimeUnit\":\"ns\",\"otherData\":{\"producer\":\"memwatch "
	      PACKAGE_VERSION "\",\"program\":", out);
	json_str(out, log->prog ? log->prog : "?");
	fprintf(out, ",\"records\":%zu,\"overwritten\":%" PRIu64 ",\"incomplete\":%" PRIu64
		",\"time\":\"microseconds since the start of main\"},\n\"traceEvents\":[\n"
		"{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":%d,\"tid\":%d,\"args\":{\"name\":",
		log->nrec, overwritten, log->incomplete, pid, pid);
	json_str(out, log->prog ? log->prog : "?");
	fputs("}}", out);
	thread_names(out, log, pid);
	if (!nm)
		return -1;
	nm->sym = mwc_symbolizer(log);
	for (size_t k = 0; k < log->nrec; k++) {
		watch_name(name, sizeof(name), log, w, nw, log->rec[k].watch);
		event(out, &log->rec[k], log->hdr->t0_ns, pid, name, nm);
	}
	fputs("\n]}\n", out);
	mw_symbolizer_close(nm->sym);
	for (size_t i = 0; i < NAMES; i++)
		free(nm->slot[i].text);
	free(nm);
	return ferror(out) ? -1 : 0;
}

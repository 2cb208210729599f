/* SPDX-License-Identifier: MIT */
/*
 * cli.h - the memwatch command's parts: watch specs and symbols
 * (symbols.c), the program's log read back from the shared file (log.c),
 * its text (report.c), names for its addresses (sym.c), the summary
 * (summary.c), the heat map (map.c), the timeline (trace.c) and what watching
 * cost (cost.c).
 */
#ifndef MWC_CLI_H
#define MWC_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "log/logshare.h"
#include "log/symbolize.h"
#include "memwatch.h"

/* One -w SYMBOL[+OFFSET][:SIZE][:r|w|rw]. */
struct mwc_watch {
	const char *spec;       /* as given */
	char name[256];
	uint64_t offset;        /* +OFFSET */
	uint64_t size;          /* 0: the symbol's size minus OFFSET */
	unsigned flags;         /* MW_READ, MW_WRITE */
	/* resolved: */
	char module[4096];      /* "" for the executable */
	uint64_t value;         /* symbol value + OFFSET, in MODULE's file */
};

/* Parses W->spec.  0, or -1 with a message on stderr. */
int mwc_parse_watch(struct mwc_watch *w);

/* Finds W's symbol in PROG (the executable's path) or its libraries, sets
 * module, value and size.  0, or -1 with a message on stderr. */
int mwc_resolve(const char *prog, struct mwc_watch *w);

/* The program's log, read from the shared file after it ended. */
struct mwc_log {
	const struct mw_share_hdr *hdr;
	const unsigned char *slots;     /* the file's slots */
	uint64_t capacity, slot_size;
	struct mw_record *rec;          /* complete records, by seq */
	size_t nrec, nmax;
	uint64_t last_seq;              /* the largest seq seen, also incomplete */
	uint64_t incomplete;            /* being written when the program ended */
	uint64_t damaged;               /* slots left out: their commit word, seq or
					   fields out of range (a damaged file) */
	void *map;
	size_t map_len;
	const char *prog;               /* the program as started, for its frames */
};

/* Maps FD and collects the records, after checking every header word
 * against the file's size.  0; -1 with a message (no log); -2 with a
 * message "memwatch: the log is damaged: ..." (nothing read).  With 0,
 * log->damaged slots were left out as damaged. */
int mwc_log_read(int fd, struct mwc_log *log);
void mwc_log_free(struct mwc_log *log);

/* One line per watch: where it was set, its records. */
void mwc_watches(FILE *out, const struct mwc_log *log, const struct mwc_watch *w, int nw);

/* Writes the counters and every record (in the form of mw_log_dump,
 * log/text.h), frames named over the program's modules.  0, or -errno
 * when OUT's file could not be written. */
int mwc_report(FILE *out, const struct mwc_log *log, const struct mwc_watch *w, int nw);

/* Who accessed each watch: records grouped by instruction. */
void mwc_summary(FILE *out, const struct mwc_log *log, const struct mwc_watch *w, int nw);

/* patches.c: what became of the hot instructions (memwatch(3), "Patched
 * sites"), one line, from the counts the program's library left in the
 * log's header at exit; nothing if no instruction was offered. */
void mwc_patches(FILE *out, const struct mwc_log *log);
/* What watching cost beyond the records (lib/log/cost.h): faults on the
 * watches' neighbours, by watch and instruction, and, with ALL or when
 * they dominate, the system calls dispatched; a line of advice when
 * either dominates. */
void mwc_costs(FILE *out, const struct mwc_log *log, const struct mwc_watch *w, int nw,
	       int all);

/* The heat map of each watch. */
void mwc_map(FILE *out, const struct mwc_log *log, const struct mwc_watch *w, int nw);

/* The records as a timeline in the trace-event JSON format of Chrome and
 * Perfetto (trace.c), for the process PID.  0, or -1 when OUT failed. */
int mwc_trace(FILE *out, const struct mwc_log *log, const struct mwc_watch *w, int nw, int pid);

/* Names for addresses in the program (mw_symbolize), over the modules in
 * LOG's header, the executable named as LOG->prog.  NULL: no names.  Close
 * with mw_symbolizer_close. */
struct mw_symbolizer *mwc_symbolizer(const struct mwc_log *log);

#endif /* MWC_CLI_H */

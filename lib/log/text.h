/* SPDX-License-Identifier: MIT */
/*
 * text.h - a log record as text: the one form of every dump, used by
 * mw_log_dump and MEMWATCH_LOG (dump.c) and by the memwatch command's
 * report (cli/report.c), which compiles this file in.
 *
 * Without a symbolizer: [fault path] (async-signal-safe; mw_msg_* only).
 * With one: [thread], as mw_symbolize.
 */
#ifndef MW_TEXT_H
#define MW_TEXT_H

#include <stdint.h>

#include "base/say.h"
#include "log/symbolize.h"
#include "memwatch.h"

/*
 * Writes R to M:
 *   #SEQ KIND watch ID thread TID +S.UUUUUUs
 *     SIZE bytes at ADDR [name][ (values: the first N bytes)]
 *     old: .. / new: .., or value: .., or "the watch ended: ..."
 *     #I FRAME [name at file:line]   (or "at PC [name]" without frames)
 * Times are since T0 (CLOCK_MONOTONIC ns).  SYM NULL: raw addresses.
 */
void mw_text_record(struct mw_msg *m, const struct mw_record *r, uint64_t t0,
		    struct mw_symbolizer *sym);

#endif /* MW_TEXT_H */

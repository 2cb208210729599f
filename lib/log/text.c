/* SPDX-License-Identifier: MIT */
/*
 * text.c - a log record as text (see text.h).
 * Fault path without a symbolizer: calls mw_msg_* only.  With one, also
 * mw_symbolize [thread], in put_name, whose name buffer stays off the
 * fault path's stack.
 */
#include "log/kindname.h"
#include "log/text.h"
#include "base/sigsafe.h"

static void __attribute__((noinline))
put_name(struct mw_msg *m, struct mw_symbolizer *sym, uint64_t addr, int line, int ret)
{
	char name[1024];

	mw_symbolize(sym, addr, line, ret, name, sizeof(name));
	if (name[0]) {
		mw_msg_str(m, " ");
		mw_msg_str(m, name);
	}
}

static void put_where(struct mw_msg *m, struct mw_symbolizer *sym, uint64_t addr,
		      int line, int ret)
{
	mw_msg_hex(m, addr);
	if (sym)
		put_name(m, sym, addr, line, ret);
}

void mw_text_record(struct mw_msg *m, const struct mw_record *r, uint64_t t0,
		    struct mw_symbolizer *sym)
{
	uint64_t t = r->time_ns > t0 ? r->time_ns - t0 : 0;
	char frac[7];
	uint64_t us = (t / 1000) % 1000000;

	for (int i = 5; i >= 0; i--, us /= 10)
		frac[i] = (char)('0' + us % 10);
	frac[6] = 0;
	mw_msg_str(m, "#");
	mw_msg_dec(m, (int64_t)r->seq);
	mw_msg_str(m, " ");
	mw_msg_str(m, mw_kind_name(r->kind));
	mw_msg_str(m, " watch ");
	mw_msg_dec(m, r->watch);
	mw_msg_str(m, " thread ");
	mw_msg_dec(m, r->tid);
	mw_msg_str(m, " +");
	mw_msg_dec(m, (int64_t)(t / 1000000000u));
	mw_msg_str(m, ".");
	mw_msg_str(m, frac);
	mw_msg_str(m, "s\n  ");
	mw_msg_dec(m, r->size);
	mw_msg_str(m, r->size == 1 ? " byte at " : " bytes at ");
	put_where(m, sym, r->addr, 0, 0);
	if (r->flags & MW_REC_CUT) {
		mw_msg_str(m, " (values: the first ");
		mw_msg_dec(m, r->value_len);
		mw_msg_str(m, " bytes)");
	}
	mw_msg_str(m, "\n");
	if (r->kind == MW_KIND_GONE) {
		mw_msg_str(m, "  the watch ended: its memory was unmapped or replaced");
	} else if (r->kind & MW_KIND_WRITE) {
		mw_msg_str(m, "  old: ");
		if (r->flags & MW_REC_NOOLD)
			mw_msg_str(m, "(not known)");
		else
			mw_msg_bytes(m, r->old_value, r->value_len);
		if (r->flags & MW_REC_ATOMIC)
			mw_msg_str(m, " (atomic)");
		mw_msg_str(m, "\n  new: ");
	} else {
		mw_msg_str(m, "  value: ");
	}
	if (r->kind != MW_KIND_GONE)
		mw_msg_bytes(m, r->new_value, r->value_len);
	mw_msg_str(m, "\n");
	for (unsigned i = 0; i < r->nframes && i < MW_FRAMES_MAX; i++) {
		mw_msg_str(m, "  #");
		mw_msg_dec(m, i);
		mw_msg_str(m, " ");
		put_where(m, sym, r->frames[i], 1, i > 0);
		mw_msg_str(m, "\n");
	}
	if (!r->nframes) {
		mw_msg_str(m, "  at ");
		put_where(m, sym, r->pc, 1, 0);
		mw_msg_str(m, "\n");
	}
}

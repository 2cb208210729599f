/* SPDX-License-Identifier: MIT */
/*
 * t-log-desc.c - a debugger's view of the log: decode records from raw
 * memory with nothing but mw_log_descriptor's words, as GDB does from a
 * stopped process or a core file, and compare with the API's records.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "memwatch.h"
#include "tap.h"

extern uint64_t mw_log_descriptor[];

enum {  /* word indexes, as documented in lib/log/ring.h (version 1) */
	D_MAGIC, D_VERSION, D_WORDS, D_SLOTS, D_CAPACITY, D_SLOT_SIZE, D_HEAD,
	D_DROPPED, D_BASE, D_OFF_COMMIT, D_OFF_SEQ, D_OFF_TIME, D_OFF_ADDR, D_OFF_PC,
	D_OFF_TID, D_OFF_WATCH, D_OFF_SIZE, D_OFF_KIND, D_OFF_FLAGS, D_OFF_NFRAMES,
	D_OFF_VALUE_LEN, D_OFF_OLD, D_OFF_NEW, D_OFF_FRAMES, D_VALUE_MAX, D_FRAMES_MAX,
	D_DEPTH,
};

static uint64_t word(uintptr_t addr, int size)
{
	uint64_t v = 0;

	memcpy(&v, (const void *)addr, (size_t)size);
	return v;
}

static volatile uint32_t target[8];

int main(void)
{
	const uint64_t *d = mw_log_descriptor;
	struct mw_log_cursor cur;
	struct mw_record rec;
	uint64_t head, cap;
	int id, same = 1, n = 0;

	plan(9);
	id = mw_watch((const void *)target, sizeof(target), MW_WRITE);
	if (id < 0)
		bail("mw_watch: %s", mw_strerror(id));
	for (uint32_t i = 0; i < 5; i++)
		target[i] = 0xabcd0000u + i;

	is_u64(d[D_MAGIC], 0x31474f4c574d454dull, "descriptor magic is \"MEMWLOG1\"");
	is_u64(d[D_VERSION], 1, "descriptor version 1");
	ok(d[D_WORDS] >= D_DEPTH + 1, "descriptor has %llu words", (unsigned long long)d[D_WORDS]);
	cap = d[D_CAPACITY];
	ok(cap >= 2 && (cap & (cap - 1)) == 0, "capacity %llu is a power of two",
	   (unsigned long long)cap);
	head = word((uintptr_t)d[D_HEAD], 8);
	is_u64(head, 5, "head (records started) read from raw memory");

	mw_log_begin(&cur);
	while (mw_log_next(&cur, &rec) == 1) {
		uintptr_t slot = (uintptr_t)d[D_SLOTS] + ((rec.seq - 1) & (cap - 1)) * d[D_SLOT_SIZE];
		uint64_t commit = word(slot + d[D_OFF_COMMIT], 8);
		uint8_t newv[8];

		n++;
		memcpy(newv, (const void *)(slot + d[D_OFF_NEW]), 4);
		if (commit != 2 * rec.seq || word(slot + d[D_OFF_SEQ], 8) != rec.seq ||
		    word(slot + d[D_OFF_ADDR], 8) != rec.addr ||
		    word(slot + d[D_OFF_PC], 8) != rec.pc ||
		    word(slot + d[D_OFF_TID], 4) != rec.tid ||
		    (int32_t)word(slot + d[D_OFF_WATCH], 4) != rec.watch ||
		    word(slot + d[D_OFF_SIZE], 4) != rec.size ||
		    word(slot + d[D_OFF_KIND], 1) != rec.kind ||
		    word(slot + d[D_OFF_VALUE_LEN], 1) != rec.value_len ||
		    memcmp(newv, rec.new_value, 4) != 0 ||
		    word(slot + d[D_OFF_NFRAMES], 1) != rec.nframes ||
		    (rec.nframes && word(slot + d[D_OFF_FRAMES], 8) != rec.frames[0])) {
			same = 0;
			diag("record %llu differs when decoded raw", (unsigned long long)rec.seq);
		}
	}
	is_int(n, 5, "the API returns the 5 records");
	ok(same, "each record decoded from raw memory through the descriptor equals the API's");
	is_u64(word((uintptr_t)d[D_DROPPED], 8), 0, "dropped, read raw, is 0");
	is_u64(word((uintptr_t)d[D_DEPTH], 4), 16, "depth, read raw, is the default 16");
	return done();
}

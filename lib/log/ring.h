/* SPDX-License-Identifier: MIT */
/*
 * ring.h - the log of access records: a lock-free, many-producer flight
 * recorder.
 *
 * Fixed size, a power of two.  A producer takes the next sequence number
 * with one fetch-add on `head`, claims slot (seq - 1) & mask by CAS on the
 * slot's commit word, writes the record, then publishes it:
 *
 *   commit == 0            empty
 *   commit == 2*seq - 1    record seq is being written
 *   commit == 2*seq        record seq is complete
 *
 * A reader (the API, a dump, or a debugger reading raw memory of a stopped
 * process or a core file) takes record seq from its slot only while the
 * commit word reads 2*seq before and after copying it (a seqlock): a record
 * still being written, or overwritten meanwhile, is never returned torn.
 * The newest records are kept: a producer overwrites the oldest complete
 * one.  If the slot's older record is still being written (its producer was
 * preempted or interrupted mid-record for a whole turn of the ring), the new
 * record is dropped and counted: rare with rings much larger than the
 * number of threads, never with one thread.
 *
 * Synchronization:
 *   call               context                      concurrent with
 *   mw_ring_write      fault path, any thread       everything
 *   mw_ring_read       any (async-signal-safe)      everything
 *   mw_ring_setup      thread, library lock         nothing (before watches)
 *
 * The descriptor mw_log_descriptor[] (64-bit words, see MW_DESC_*) lets a
 * debugger decode the ring without calling into the process and without
 * debug info: word MW_DESC_MAGIC is MW_DESC_MAGIC_VALUE, word
 * MW_DESC_VERSION is 1; the others give the ring's address and sizes and
 * the offset of every record field.
 */
#ifndef MW_RING_H
#define MW_RING_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "memwatch.h"

struct mw_ring_slot {
	_Atomic uint64_t commit;
	uint64_t pad;
	struct mw_record rec;
} __attribute__((aligned(64)));

/* Descriptor words. */
enum {
	MW_DESC_MAGIC, MW_DESC_VERSION, MW_DESC_WORDS,
	MW_DESC_SLOTS,          /* address of slot 0 */
	MW_DESC_CAPACITY,       /* slots, a power of two */
	MW_DESC_SLOT_SIZE,
	MW_DESC_HEAD,           /* address of the uint64 head (records started) */
	MW_DESC_DROPPED,        /* address of the uint64 dropped counter */
	MW_DESC_BASE,           /* address of the uint64 seq of the last clear */
	MW_DESC_OFF_COMMIT,     /* offsets within a slot */
	MW_DESC_OFF_SEQ, MW_DESC_OFF_TIME, MW_DESC_OFF_ADDR, MW_DESC_OFF_PC,
	MW_DESC_OFF_TID, MW_DESC_OFF_WATCH, MW_DESC_OFF_SIZE, MW_DESC_OFF_KIND,
	MW_DESC_OFF_FLAGS, MW_DESC_OFF_NFRAMES, MW_DESC_OFF_VALUE_LEN,
	MW_DESC_OFF_OLD, MW_DESC_OFF_NEW, MW_DESC_OFF_FRAMES,
	MW_DESC_VALUE_MAX, MW_DESC_FRAMES_MAX,
	MW_DESC_DEPTH,          /* address of the unsigned current depth */
	MW_DESC_COST,           /* address of the cost counters (log/cost.h) */
	MW_DESC_COUNT
};
#define MW_DESC_MAGIC_VALUE 0x31474f4c574d454dull   /* "MEMWLOG1" little-endian */


/* Backtrace depth for new records (0..MW_FRAMES_MAX); read on the fault path. */
extern _Atomic unsigned mw_ring_depth;

/* [thread, library lock] Allocate (or re-allocate, before any watch) a ring
 * of CAPACITY records, a power of two.  0 or -errno. */
int mw_ring_setup(uint64_t capacity);

/* [fault path] Reserve the next record: returns the slot's record to fill
 * (its seq already set), or NULL if it had to be dropped.  Finish with
 * mw_ring_commit(). */
struct mw_record *mw_ring_reserve(void);
void mw_ring_commit(struct mw_record *rec);

/* [any] Copy record SEQ into *OUT: 1 done, 0 not complete (being written
 * or not started), -1 overwritten. */
int mw_ring_read(uint64_t seq, struct mw_record *out);

/* [any] Records started, the first seq still in the ring, dropped count,
 * capacity. */
uint64_t mw_ring_head(void);
uint64_t mw_ring_oldest(void);
uint64_t mw_ring_dropped(void);
uint64_t mw_ring_capacity(void);
uint64_t mw_ring_base(void);

/* [thread] Forget the records so far (they stay until overwritten, but
 * readers start after them). */
void mw_ring_clear(void);

#endif /* MW_RING_H */

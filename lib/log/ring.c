/* SPDX-License-Identifier: MIT */
/*
 * ring.c - the lock-free record ring (see ring.h).
 * Fault path (reserve, commit, read): C11 atomics and memcpy only.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "log/cost.h"
#include "log/logshare.h"
#include "log/ring.h"
#include "base/sigsafe.h"

uint64_t mw_log_descriptor[MW_DESC_COUNT];
_Atomic unsigned mw_ring_depth = 16;

static struct mw_ring_slot *slots;
static uint64_t mask;                           /* capacity - 1 */
/* Producers hammer head; keep it off the readers' lines. */
static _Atomic uint64_t head __attribute__((aligned(64)));
static _Atomic uint64_t dropped __attribute__((aligned(64)));
static _Atomic uint64_t base;                   /* last seq before a clear */

int mw_ring_setup(uint64_t capacity)
{
	size_t size = capacity * sizeof(struct mw_ring_slot);
	/* Run by the memwatch command: in its file (logshare.h). */
	struct mw_ring_slot *s = mw_logshare_map(size);
	uint64_t *d = mw_log_descriptor;

	if (!s)
		s = mmap(NULL, size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (s == MAP_FAILED)
		return -ENOMEM;
	if (slots)
		munmap(slots, (mask + 1) * sizeof(struct mw_ring_slot));
	slots = s;
	mask = capacity - 1;
	mw_cost_use(mw_logshare_cost());
	atomic_store(&head, 0);
	atomic_store(&dropped, 0);
	atomic_store(&base, 0);

#define OFF(f) (offsetof(struct mw_ring_slot, rec) + offsetof(struct mw_record, f))
	d[MW_DESC_VERSION] = 1;
	d[MW_DESC_WORDS] = MW_DESC_COUNT;
	d[MW_DESC_SLOTS] = (uint64_t)(uintptr_t)slots;
	d[MW_DESC_CAPACITY] = capacity;
	d[MW_DESC_SLOT_SIZE] = sizeof(struct mw_ring_slot);
	d[MW_DESC_HEAD] = (uint64_t)(uintptr_t)&head;
	d[MW_DESC_DROPPED] = (uint64_t)(uintptr_t)&dropped;
	d[MW_DESC_BASE] = (uint64_t)(uintptr_t)&base;
	d[MW_DESC_OFF_COMMIT] = offsetof(struct mw_ring_slot, commit);
	d[MW_DESC_OFF_SEQ] = OFF(seq);
	d[MW_DESC_OFF_TIME] = OFF(time_ns);
	d[MW_DESC_OFF_ADDR] = OFF(addr);
	d[MW_DESC_OFF_PC] = OFF(pc);
	d[MW_DESC_OFF_TID] = OFF(tid);
	d[MW_DESC_OFF_WATCH] = OFF(watch);
	d[MW_DESC_OFF_SIZE] = OFF(size);
	d[MW_DESC_OFF_KIND] = OFF(kind);
	d[MW_DESC_OFF_FLAGS] = OFF(flags);
	d[MW_DESC_OFF_NFRAMES] = OFF(nframes);
	d[MW_DESC_OFF_VALUE_LEN] = OFF(value_len);
	d[MW_DESC_OFF_OLD] = OFF(old_value);
	d[MW_DESC_OFF_NEW] = OFF(new_value);
	d[MW_DESC_OFF_FRAMES] = OFF(frames);
	d[MW_DESC_VALUE_MAX] = MW_VALUE_MAX;
	d[MW_DESC_FRAMES_MAX] = MW_FRAMES_MAX;
	d[MW_DESC_DEPTH] = (uint64_t)(uintptr_t)&mw_ring_depth;
	d[MW_DESC_COST] = (uint64_t)(uintptr_t)mw_cost_area;
#undef OFF
	/* The magic last: a debugger that sees it sees a complete descriptor. */
	atomic_thread_fence(memory_order_release);
	d[MW_DESC_MAGIC] = MW_DESC_MAGIC_VALUE;
	mw_logshare_publish(d, slots);
	return 0;
}

struct mw_record *mw_ring_reserve(void)
{
	/* relaxed: the slot's commit word orders everything else. */
	uint64_t seq = atomic_fetch_add_explicit(&head, 1, memory_order_relaxed) + 1;
	struct mw_ring_slot *s = &slots[(seq - 1) & mask];
	uint64_t c = atomic_load_explicit(&s->commit, memory_order_relaxed);

	do {
		/* Already holding (or getting) a newer record: we were preempted
		 * for a whole turn of the ring, and ours is older than every
		 * record in it - overwritten at once, and counted so (seq <=
		 * head - capacity).  Still being written by an older producer:
		 * ours cannot be written without tearing one of the two - drop
		 * it and count that. */
		if (c >= 2 * seq - 1)
			return NULL;
		if (c & 1) {
			atomic_fetch_add_explicit(&dropped, 1, memory_order_relaxed);
			return NULL;
		}
	} while (!atomic_compare_exchange_weak_explicit(&s->commit, &c, 2 * seq - 1,
							memory_order_acquire,
							memory_order_relaxed));
	/* release fence: "being written" is visible before any byte of the new
	 * record (pairs with the reader's acquire fence before its re-check). */
	atomic_thread_fence(memory_order_release);
	s->rec.seq = seq;
	/* The next record's slot, on its way into the cache while the kernel
	 * returns from this signal and delivers the next: a ring many times
	 * the cache is cold where it is written. */
	for (size_t off = 0; off < sizeof(*s); off += 64)
		__builtin_prefetch((const char *)&slots[seq & mask] + off, 1, 3);
	return &s->rec;
}

void mw_ring_commit(struct mw_record *rec)
{
	struct mw_ring_slot *s = (struct mw_ring_slot *)((char *)rec -
						       offsetof(struct mw_ring_slot, rec));

	/* release: the record's bytes before "complete" (pairs with the
	 * reader's acquire load of the commit word). */
	atomic_store_explicit(&s->commit, 2 * rec->seq, memory_order_release);
}

int mw_ring_read(uint64_t seq, struct mw_record *out)
{
	struct mw_ring_slot *s;
	uint64_t c1, c2;

	if (!slots || seq == 0)
		return 0;
	s = &slots[(seq - 1) & mask];
	c1 = atomic_load_explicit(&s->commit, memory_order_acquire);
	if (c1 > 2 * seq)
		return -1;
	if (c1 != 2 * seq)
		return 0;
	memcpy(out, (const void *)&s->rec, sizeof(*out));
	/* acquire fence: the copy above is done before the re-check. */
	atomic_thread_fence(memory_order_acquire);
	c2 = atomic_load_explicit(&s->commit, memory_order_relaxed);
	return c2 == c1 ? 1 : -1;
}

uint64_t mw_ring_head(void)
{
	return atomic_load_explicit(&head, memory_order_acquire);
}

uint64_t mw_ring_capacity(void)
{
	return slots ? mask + 1 : 0;
}

uint64_t mw_ring_base(void)
{
	return atomic_load_explicit(&base, memory_order_relaxed);
}

uint64_t mw_ring_oldest(void)
{
	uint64_t h = mw_ring_head(), b = mw_ring_base(), cap = mw_ring_capacity();
	uint64_t first = h > cap ? h - cap + 1 : 1;

	return first > b + 1 ? first : b + 1;
}

uint64_t mw_ring_dropped(void)
{
	return atomic_load_explicit(&dropped, memory_order_relaxed);
}

void mw_ring_clear(void)
{
	/* The dropped counter restarts (a debugger reads it raw, through the
	 * descriptor); records and overwritten count from `base`. */
	atomic_store(&dropped, 0);
	atomic_store(&base, mw_ring_head());
}

/* SPDX-License-Identifier: MIT */
/*
 * t-log.c - the access log, one thread: the exact record of each kind of
 * access (writes, reads, read-modify-writes, atomics, accesses that touch a
 * watch in part, overlapping watches, wide and `rep` accesses), sequence
 * numbers, times, thread ids, instruction addresses, the counters, clearing,
 * cursors and mw_log_configure().
 *
 * Each section runs in a fresh process (section.h), so its first record has
 * seq 1 and mw_log_configure() can still size the ring there.
 */
#include <errno.h>
#include <stdint.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "memwatch.h"
#include "tap.h"
#include "watch.h"
#include "section.h"

typedef uint64_t u64u __attribute__((aligned(1), may_alias));
typedef uint32_t u32u __attribute__((aligned(1), may_alias));
typedef uint16_t u16u __attribute__((aligned(1), may_alias));

#define MAXREC 64
static const uint8_t zeros[MW_VALUE_MAX];	/* reads: old_value is 0 */
static struct mw_record recs[MAXREC];

/* ------------------------------------------------------------ helpers */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static struct mw_log_stats stats(void)
{
	struct mw_log_stats st;
	int r;

	memset(&st, 0xff, sizeof(st));
	r = mw_log_stats(&st);
	if (r != 0)
		bail("mw_log_stats = %d (%s)", r, mw_strerror(r));
	return st;
}

static uint64_t last_seq(void)
{
	return stats().records;
}

static uint64_t count_of(int id)
{
	uint64_t c = ~0ull;

	if (mw_count(id, &c) != 0)
		return ~0ull;
	return c;
}

/* The records with seq > AFTER, oldest first, into recs[]; returns how many
 * there are (all of them, even beyond MAXREC). */
static int records_after(uint64_t after)
{
	struct mw_log_cursor cur;
	struct mw_record r;
	int n = 0, guard = 0;

	memset(recs, 0, sizeof(recs));
	mw_log_begin(&cur);
	while (mw_log_next(&cur, &r) == 1 && guard++ < 1000000)
		if (r.seq > after) {
			if (n < MAXREC)
				recs[n] = r;
			n++;
		}
	return n;
}

static const char *hex(const uint8_t *b, unsigned n)
{
	static char bufs[4][3 * MW_VALUE_MAX + 8];
	static int k;
	char *s = bufs[k++ & 3];
	size_t l = 0;

	s[0] = 0;
	for (unsigned i = 0; i < n && i < MW_VALUE_MAX; i++)
		l += (size_t)snprintf(s + l, sizeof(bufs[0]) - l, "%s%02x", i ? " " : "", b[i]);
	return s;
}

static void show(const struct mw_record *r)
{
	diag("  record: seq %" PRIu64 " time %" PRIu64 " tid %u watch %d kind %u flags 0x%x "
	     "addr 0x%" PRIx64 " size %u value_len %u pc 0x%" PRIx64 " nframes %u",
	     r->seq, r->time_ns, r->tid, r->watch, r->kind, r->flags, r->addr, r->size,
	     r->value_len, r->pc, r->nframes);
	diag("          old [%s] new [%s]", hex(r->old_value, r->value_len),
	     hex(r->new_value, r->value_len));
}

/* What a record must hold; 0 / NULL fields are not checked. */
struct want {
	uint64_t seq;
	int watch;
	unsigned kind, flags;
	const void *addr;
	uint32_t size;
	unsigned value_len;
	const void *old_v, *new_v;	/* value_len bytes */
	uint64_t pc;
	uint64_t pc_lo, pc_hi;		/* pc in [pc_lo, pc_hi) */
};

/* One assertion: the record R is W (and made by this thread, frames[0] ==
 * pc if it has frames).  Every field that differs is named. */
static int rec_is(const struct mw_record *r, const struct want *w, const char *what)
{
	char bad[512] = "";
	size_t l = 0;

#define BAD(...) (l += (size_t)snprintf(bad + l, l < sizeof(bad) ? sizeof(bad) - l : 0, __VA_ARGS__))
	if (w->seq && r->seq != w->seq)
		BAD(" seq %" PRIu64 "!=%" PRIu64, r->seq, w->seq);
	if (r->watch != w->watch)
		BAD(" watch %d!=%d", r->watch, w->watch);
	if (r->kind != w->kind)
		BAD(" kind %u!=%u", r->kind, w->kind);
	if (r->flags != w->flags)
		BAD(" flags 0x%x!=0x%x", r->flags, w->flags);
	if (r->addr != (uint64_t)(uintptr_t)w->addr)
		BAD(" addr %+" PRId64, (int64_t)(r->addr - (uint64_t)(uintptr_t)w->addr));
	if (r->size != w->size)
		BAD(" size %u!=%u", r->size, w->size);
	if (r->value_len != w->value_len)
		BAD(" value_len %u!=%u", r->value_len, w->value_len);
	if (w->old_v && memcmp(r->old_value, w->old_v, w->value_len))
		BAD(" old_value [%s]!=[%s]", hex(r->old_value, w->value_len),
		    hex(w->old_v, w->value_len));
	if (w->new_v && memcmp(r->new_value, w->new_v, w->value_len))
		BAD(" new_value [%s]!=[%s]", hex(r->new_value, w->value_len),
		    hex(w->new_v, w->value_len));
	if (r->tid != (uint32_t)gettid())
		BAD(" tid %u!=%d", r->tid, (int)gettid());
	if (w->pc && r->pc != w->pc)
		BAD(" pc %+" PRId64, (int64_t)(r->pc - w->pc));
	if (w->pc_hi && (r->pc < w->pc_lo || r->pc >= w->pc_hi))
		BAD(" pc outside [0x%" PRIx64 ", 0x%" PRIx64 ")", w->pc_lo, w->pc_hi);
	if (r->nframes > MW_FRAMES_MAX)
		BAD(" nframes %u", r->nframes);
	else if (r->nframes > 0 && r->frames[0] != r->pc)
		BAD(" frames[0] != pc");
#undef BAD
	if (!ok(bad[0] == 0, "%s", what)) {
		diag("  wrong:%s", bad);
		show(r);
	}
	return bad[0] == 0;
}

/* One assertion: exactly N records came after seq AFTER. */
static int n_records(uint64_t after, int n, const char *what)
{
	int got = records_after(after);

	if (!ok(got == n, "%s: %d record(s)", what, n)) {
		diag("  got %d record(s)", got);
		for (int i = 0; i < got && i < MAXREC && i < 8; i++)
			show(&recs[i]);
	}
	return got == n;
}

static void le64(uint8_t *b, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> (8 * i));
}

static void le32(uint8_t *b, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		b[i] = (uint8_t)(v >> (8 * i));
}

/* A block of LEN bytes, byte i == BASE + i. */
static unsigned char *block(size_t len, unsigned base)
{
	unsigned char *p = malloc(len);

	if (!p)
		bail("malloc(%zu) failed", len);
	for (size_t i = 0; i < len; i++)
		p[i] = (unsigned char)(base + i);
	return p;
}

/* -------------------------------------------------------- the stores */

static void *volatile ret_poke;

/* A plain C store, in a function of its own. */
__attribute__((noipa)) static void poke32(unsigned char *q, uint32_t v)
{
	ret_poke = __builtin_return_address(0);
	*(volatile uint32_t *)q = v;
}
#define POKE_MAX_SIZE 256	/* poke32's code is smaller than that */

/* A store whose address is known: returns the address of the movl. */
__attribute__((noipa)) static uint64_t poke32_at(unsigned char *q, uint32_t v)
{
	uint64_t at;

	__asm__ volatile("lea 1f(%%rip), %0\n1:\tmovl %2, (%1)"
			 : "=&r"(at) : "r"(q), "r"(v) : "memory");
	return at;
}

/* A load whose address is known. */
__attribute__((noipa)) static uint64_t peek32_at(const unsigned char *q, uint32_t *v)
{
	uint64_t at;
	uint32_t x;

	__asm__ volatile("lea 1f(%%rip), %0\n1:\tmovl (%2), %1"
			 : "=&r"(at), "=r"(x) : "r"(q) : "memory");
	*v = x;
	return at;
}

/* A 16-byte SSE store. */
static void store16(unsigned char *d, const unsigned char *s)
{
	__asm__ volatile("movdqu (%1), %%xmm0\n\tmovdqu %%xmm0, (%0)"
			 : : "r"(d), "r"(s) : "xmm0", "memory");
}

static void rep_stosb(void *d, int c, size_t n)
{
	__asm__ volatile("cld\n\trep stosb" : "+D"(d), "+c"(n) : "a"(c) : "memory");
}

static void rep_movsb(void *d, const void *s, size_t n)
{
	__asm__ volatile("cld\n\trep movsb" : "+D"(d), "+S"(s), "+c"(n) : : "memory");
}

/* --------------------------------------------------------- sections */

static void sec_defaults(void)
{
	struct mw_log_stats st;
	struct mw_log_cursor cur;
	struct mw_record r;

	is_int(mw_log_stats(NULL), -EINVAL, "mw_log_stats(NULL)");
	st = stats();
	ok(st.records == 0 && st.overwritten == 0 && st.dropped == 0,
	   "before any watch: records, overwritten, dropped are 0");
	if (getenv("MEMWATCH_RING") || getenv("MEMWATCH_DEPTH"))
		ok(1, "the default ring and depth # SKIP MEMWATCH_RING/MEMWATCH_DEPTH set");
	else if (!ok(st.capacity == 16384 && st.depth == 16,
		     "the default ring is 16384 records, the depth 16"))
		diag("  capacity %" PRIu64 ", depth %u", st.capacity, st.depth);
	mw_log_begin(&cur);
	is_int(mw_log_next(NULL, &r), -EINVAL, "mw_log_next(NULL, rec)");
	is_int(mw_log_next(&cur, NULL), -EINVAL, "mw_log_next(cur, NULL)");
	is_int(mw_log_next(&cur, &r), 0, "mw_log_next on the empty log");
	mw_log_clear();
	st = stats();
	ok(st.records == 0 && st.overwritten == 0 && st.dropped == 0,
	   "mw_log_clear on the empty log");
}
#define N_DEFAULTS 7

static void sec_configure(void)
{
	struct mw_log_stats st;
	unsigned char *p = block(64, 0);
	uint64_t s;
	int id;

	is_int(mw_log_configure(8, 4), 0, "before any watch: mw_log_configure(8, 4)");
	st = stats();
	if (!ok(st.capacity == 8 && st.depth == 4, "capacity 8, depth 4"))
		diag("  capacity %" PRIu64 ", depth %u", st.capacity, st.depth);
	mw_log_configure(5, 4);
	is_u64(stats().capacity, 8, "mw_log_configure(5, 4): 5 rounds up to 8");
	is_int(mw_log_configure(9, 2), 0, "mw_log_configure(9, 2)");
	st = stats();
	if (!ok(st.capacity == 16 && st.depth == 2, "capacity 16, depth 2"))
		diag("  capacity %" PRIu64 ", depth %u", st.capacity, st.depth);
	is_int(mw_log_configure(0, 7), 0, "mw_log_configure(0, 7)");
	st = stats();
	if (!ok(st.capacity == 16 && st.depth == 7, "0 keeps the capacity: 16, depth 7"))
		diag("  capacity %" PRIu64 ", depth %u", st.capacity, st.depth);
	is_int(mw_log_configure(16, MW_FRAMES_MAX + 1), -EINVAL,
	       "depth MW_FRAMES_MAX + 1: -EINVAL");
	is_int(mw_log_configure((1u << 24) + 1, 4), -EINVAL, "records 2^24 + 1: -EINVAL");
	st = stats();
	if (!ok(st.capacity == 16 && st.depth == 7, "after the errors nothing changed"))
		diag("  capacity %" PRIu64 ", depth %u", st.capacity, st.depth);
	is_int(mw_log_configure(0, MW_FRAMES_MAX), 0, "depth MW_FRAMES_MAX is allowed");
	mw_log_configure(0, 7);

	id = watch(p, 16, MW_WRITE);
	is_int(mw_log_configure(64, 4), -EBUSY, "after the first mw_watch: mw_log_configure(64, 4)");
	st = stats();
	if (!ok(st.capacity == 16 && st.depth == 7, "after -EBUSY nothing changed"))
		diag("  capacity %" PRIu64 ", depth %u", st.capacity, st.depth);
	is_int(mw_log_configure(13, 5), 0, "after it, a size that rounds to the current one: 0");
	st = stats();
	if (!ok(st.capacity == 16 && st.depth == 5, "and the depth changed with it"))
		diag("  capacity %" PRIu64 ", depth %u", st.capacity, st.depth);
	mw_log_configure(0, 7);
	st = stats();
	if (!ok(st.capacity == 16 && st.depth == 7, "depth back to 7"))
		diag("  capacity %" PRIu64 ", depth %u", st.capacity, st.depth);
	is_int(mw_log_configure(0, 3), 0, "the depth alone can change: mw_log_configure(0, 3)");
	is_int(stats().depth, 3, "depth 3");

	s = last_seq();
	poke32(p, 1);
	if (n_records(s, 1, "a store with depth 3"))
		is_int(recs[0].nframes, 3, "its record has 3 frames");
	else
		ok(0, "its record has 3 frames");
	mw_log_configure(0, 0);
	s = last_seq();
	poke32(p, 2);
	if (n_records(s, 1, "a store with depth 0")) {
		uint8_t nv[4];

		le32(nv, 2);
		is_int(recs[0].nframes, 0, "its record has no frames");
		rec_is(&recs[0], &(struct want){
			.seq = s + 1, .watch = id, .kind = MW_KIND_WRITE, .addr = p, .size = 4,
			.value_len = 4, .new_v = nv }, "and the rest of it is right");
	} else {
		ok(0, "its record has no frames");
		ok(0, "and the rest of it is right");
	}
	for (int i = 0; i < 20; i++)
		poke32(p, 3);
	st = stats();
	if (!ok(st.records == 22 && st.overwritten == 22 - 16 && st.dropped == 0 &&
		st.capacity == 16,
		"22 records in a ring of 16: records 22, overwritten 6, dropped 0"))
		diag("  records %" PRIu64 " overwritten %" PRIu64 " dropped %" PRIu64
		     " capacity %" PRIu64, st.records, st.overwritten, st.dropped, st.capacity);
}
#define N_CONFIGURE 24

static void sec_write(void)
{
	unsigned char *blk = block(64, 0x90), *p = blk + 16;	/* a 16-byte struct at p */
	uint8_t old[4] = { 0xa4, 0xa5, 0xa6, 0xa7 }, nv[4] = { 0x44, 0x33, 0x22, 0x11 };
	struct mw_log_stats st;
	uint64_t t0, t1, s, at, time1;
	int id;

	id = watch(p, 16, MW_WRITE);
	s = last_seq();
	is_u64(s, 0, "no record yet");
	t0 = now_ns();
	poke32(p + 4, 0x11223344);
	t1 = now_ns();
	n_records(s, 1, "*(uint32_t *)(p + 4) = 0x11223344");
	rec_is(&recs[0], &(struct want){
		.seq = s + 1, .watch = id, .kind = MW_KIND_WRITE, .flags = 0, .addr = p + 4,
		.size = 4, .value_len = 4, .old_v = old, .new_v = nv,
		.pc_lo = (uint64_t)(uintptr_t)poke32,
		.pc_hi = (uint64_t)(uintptr_t)poke32 + POKE_MAX_SIZE },
		"its record: seq, watch, kind, flags 0, addr p + 4, size 4, old a4 a5 a6 a7, "
		"new 44 33 22 11, tid, pc in the storing function");
	if (!ok(recs[0].time_ns >= t0 && recs[0].time_ns <= t1,
		"time_ns is CLOCK_MONOTONIC, between the times taken around the store"))
		diag("  time_ns %" PRIu64 ", window [%" PRIu64 ", %" PRIu64 "]",
		     recs[0].time_ns, t0, t1);
	if (!ok(recs[0].nframes >= 2 && recs[0].frames[0] == recs[0].pc &&
		recs[0].frames[1] == (uint64_t)(uintptr_t)ret_poke,
		"frames[0] is the pc, frames[1] the return address of the storing function")) {
		diag("  nframes %u, frames[1] 0x%" PRIx64 ", return address %p",
		     recs[0].nframes, recs[0].nframes > 1 ? recs[0].frames[1] : 0, ret_poke);
	}
	time1 = recs[0].time_ns;

	s = last_seq();
	at = poke32_at(p + 4, 0x11223344);
	if (n_records(s, 1, "storing the value already there makes a record too")) {
		rec_is(&recs[0], &(struct want){
			.seq = s + 1, .watch = id, .kind = MW_KIND_WRITE, .addr = p + 4,
			.size = 4, .value_len = 4, .old_v = nv, .new_v = nv, .pc = at },
			"its record: the next seq, old == new == 44 33 22 11, pc the movl exactly");
		ok(recs[0].time_ns >= time1, "time_ns does not go back");
	} else {
		ok(0, "its record");
		ok(0, "time_ns does not go back");
	}

	s = last_seq();
	*(volatile unsigned char *)(p + 15) = 0x5f;
	*(volatile u16u *)(p + 0) = 0xbeef;
	if (n_records(s, 2, "a 1-byte store to the last byte, a 2-byte store to the first")) {
		rec_is(&recs[0], &(struct want){
			.seq = s + 1, .watch = id, .kind = MW_KIND_WRITE, .addr = p + 15,
			.size = 1, .value_len = 1, .old_v = "\xaf", .new_v = "\x5f" },
			"1 byte: af -> 5f");
		rec_is(&recs[1], &(struct want){
			.seq = s + 2, .watch = id, .kind = MW_KIND_WRITE, .addr = p,
			.size = 2, .value_len = 2, .old_v = "\xa0\xa1", .new_v = "\xef\xbe" },
			"2 bytes: a0 a1 -> ef be");
	} else {
		ok(0, "1 byte");
		ok(0, "2 bytes");
	}
	s = last_seq();
	(void)*(volatile uint32_t *)(p + 4);
	*(volatile unsigned char *)(p + 16) = 1;
	*(volatile unsigned char *)(p - 1) = 1;
	n_records(s, 0, "a read of the write watch, stores just outside it");
	is_u64(count_of(id), 4, "mw_count of the watch: 4");
	st = stats();
	if (!ok(st.records == 4 && st.overwritten == 0 && st.dropped == 0,
		"mw_log_stats: records 4, overwritten 0, dropped 0"))
		diag("  records %" PRIu64 " overwritten %" PRIu64 " dropped %" PRIu64,
		     st.records, st.overwritten, st.dropped);
	ok(p[4] == 0x44 && p[7] == 0x11 && p[15] == 0x5f && p[0] == 0xef, "the stores landed");
}
#define N_WRITE 15

static void sec_clipped(void)
{
	unsigned char *p = block(64, 0);	/* watched: p[16..31] */
	unsigned char src[16];
	uint64_t s;
	int id;

	for (int i = 0; i < 16; i++)
		src[i] = (unsigned char)(0xc0 + i);
	id = watch(p + 16, 16, MW_WRITE);
	s = last_seq();
	*(volatile u64u *)(p + 30) = 0x8877665544332211ull;	/* 30..37 */
	*(volatile u64u *)(p + 10) = 0xffeeddccbbaa9988ull;	/* 10..17 */
	*(volatile u64u *)(p + 40) = 1;				/* outside */
	store16(p + 24, src);					/* 24..39 */
	n_records(s, 3, "8-byte stores over each end of a watch, one outside, "
		  "a 16-byte store over its end");
	rec_is(&recs[0], &(struct want){
		.seq = s + 1, .watch = id, .kind = MW_KIND_WRITE, .addr = p + 30, .size = 2,
		.value_len = 2, .old_v = "\x1e\x1f", .new_v = "\x11\x22" },
		"2 watched + 6 unwatched bytes: addr, size 2 and values of the 2 watched bytes");
	rec_is(&recs[1], &(struct want){
		.seq = s + 2, .watch = id, .kind = MW_KIND_WRITE, .addr = p + 16, .size = 2,
		.value_len = 2, .old_v = "\x10\x11", .new_v = "\xee\xff" },
		"6 unwatched + 2 watched bytes: clipped at the watch's start");
	rec_is(&recs[2], &(struct want){
		.seq = s + 3, .watch = id, .kind = MW_KIND_WRITE, .addr = p + 24, .size = 8,
		.value_len = 8, .old_v = "\x18\x19\x1a\x1b\x1c\x1d\x11\x22", .new_v = src },
		"16-byte store: the 8 watched bytes");
}
#define N_CLIPPED 4

static void sec_overlap(void)
{
	unsigned char *p = block(64, 0);
	uint64_t s, total0;
	int a, b, c;

	/* Made in this order so that the id order is not the address order. */
	b = watch(p + 8, 8, MW_WRITE);		/* 8..15 */
	a = watch(p, 12, MW_WRITE);		/* 0..11 */
	c = watch(p + 8, 8, MW_READ);		/* 8..15, reads only */
	total0 = mw_total_count();
	s = last_seq();
	*(volatile u64u *)(p + 4) = 0x0807060504030201ull;	/* 4..11 */
	if (n_records(s, 2, "one 8-byte store on two overlapping write watches "
		      "(and a read watch)")) {
		rec_is(&recs[0], &(struct want){
			.seq = s + 1, .watch = b, .kind = MW_KIND_WRITE, .addr = p + 8,
			.size = 4, .value_len = 4, .old_v = "\x08\x09\x0a\x0b",
			.new_v = "\x05\x06\x07\x08" },
			"first the record of the watch with the lower id, clipped to 8..11");
		rec_is(&recs[1], &(struct want){
			.seq = s + 2, .watch = a, .kind = MW_KIND_WRITE, .addr = p + 4,
			.size = 8, .value_len = 8, .old_v = "\x04\x05\x06\x07\x08\x09\x0a\x0b",
			.new_v = "\x01\x02\x03\x04\x05\x06\x07\x08" },
			"then the other's: 4..11");
		ok(recs[0].pc == recs[1].pc, "both have the same pc");
	} else {
		for (int i = 0; i < 3; i++)
			ok(0, "not checked");
	}
	is_u64(mw_total_count() - total0, 1, "mw_total_count counts the access once");
	s = last_seq();
	is_u64(*(volatile u64u *)(p + 6), 0x0d0c080706050403ull, "an 8-byte load at 6..13");
	if (n_records(s, 1, "the load"))
		rec_is(&recs[0], &(struct want){
			.seq = s + 1, .watch = c, .kind = MW_KIND_READ, .old_v = zeros, .addr = p + 8,
			.size = 6, .value_len = 6, .new_v = "\x05\x06\x07\x08\x0c\x0d" },
			"only the read watch's record, 8..13, with the value read");
	else
		ok(0, "only the read watch's record");
	ok(count_of(a) == 1 && count_of(b) == 1 && count_of(c) == 1,
	   "mw_count: 1 each");
}
#define N_OVERLAP 9

static void sec_read(void)
{
	unsigned char *p = block(64, 0x40);
	uint32_t v;
	uint64_t s, at;
	int r, a;

	r = watch(p + 8, 8, MW_READ);		/* 8..15 */
	a = watch(p + 32, 16, MW_ACCESS);	/* 32..47 */
	s = last_seq();
	at = peek32_at(p + 10, &v);
	is_int(v, 0x4d4c4b4a, "a 4-byte load from a read watch");
	if (n_records(s, 1, "the load"))
		rec_is(&recs[0], &(struct want){
			.seq = s + 1, .watch = r, .kind = MW_KIND_READ, .old_v = zeros, .flags = 0,
			.addr = p + 10, .size = 4, .value_len = 4, .new_v = "\x4a\x4b\x4c\x4d",
			.pc = at },
			"its record: kind READ, flags 0, the value read in new_value, pc the movl");
	else
		ok(0, "its record");
	s = last_seq();
	is_u64(*(volatile u64u *)(p + 4), 0x4b4a494847464544ull, "an 8-byte load at 4..11");
	if (n_records(s, 1, "the load"))
		rec_is(&recs[0], &(struct want){
			.seq = s + 1, .watch = r, .kind = MW_KIND_READ, .old_v = zeros, .addr = p + 8,
			.size = 4, .value_len = 4, .new_v = "\x48\x49\x4a\x4b" },
			"clipped to the 4 watched bytes 8..11");
	else
		ok(0, "clipped");
	s = last_seq();
	*(volatile unsigned char *)(p + 12) = 0;
	n_records(s, 0, "a store into the read watch");
	s = last_seq();
	*(volatile u16u *)(p + 40) = 0x1234;
	is_int(*(volatile u16u *)(p + 40), 0x1234, "a store and a load on an MW_ACCESS watch");
	if (n_records(s, 2, "store and load")) {
		rec_is(&recs[0], &(struct want){
			.seq = s + 1, .watch = a, .kind = MW_KIND_WRITE, .addr = p + 40,
			.size = 2, .value_len = 2, .old_v = "\x68\x69", .new_v = "\x34\x12" },
			"the store's record");
		rec_is(&recs[1], &(struct want){
			.seq = s + 2, .watch = a, .kind = MW_KIND_READ, .old_v = zeros, .addr = p + 40,
			.size = 2, .value_len = 2, .new_v = "\x34\x12" },
			"the load's record: the value stored");
	} else {
		ok(0, "the store's record");
		ok(0, "the load's record");
	}
	ok(count_of(r) == 2 && count_of(a) == 2, "mw_count: 2 and 2");
}
#define N_READ 12

static void sec_rmw(void)
{
	unsigned char *p = block(64, 0);
	volatile uint64_t *x = (volatile uint64_t *)(void *)p;		/* write watch */
	volatile uint32_t *y = (volatile uint32_t *)(void *)(p + 32);	/* read watch */
	uint8_t o[8], n[8];
	uint64_t s, e, got;
	int w, r, okc;

	*x = 100;
	*y = 7;
	w = watch(p, 8, MW_WRITE);
	r = watch(p + 32, 4, MW_READ);

#define RMW_REC(what, want_old, want_new, flg) do { \
	le64(o, want_old); le64(n, want_new); \
	if (n_records(s, 1, what)) \
		rec_is(&recs[0], &(struct want){ \
			.seq = s + 1, .watch = w, .kind = MW_KIND_RMW, .flags = (flg), \
			.addr = p, .size = 8, .value_len = 8, .old_v = o, .new_v = n }, \
			"its record: kind RMW, old and new values"); \
	else \
		ok(0, "its record"); \
} while (0)

	s = last_seq();
	got = __atomic_fetch_add(x, 5, __ATOMIC_SEQ_CST);
	is_u64(got, 100, "lock xadd (fetch_add 5) returns 100");
	RMW_REC("lock xadd", 100, 105, MW_REC_ATOMIC);

	s = last_seq();
	got = __atomic_exchange_n(x, 7, __ATOMIC_SEQ_CST);
	is_u64(got, 105, "xchg (exchange 7) returns 105");
	RMW_REC("xchg", 105, 7, MW_REC_ATOMIC);

	s = last_seq();
	e = 999;
	okc = __atomic_compare_exchange_n(x, &e, 1, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
	ok(!okc && e == 7, "a failing lock cmpxchg (999 -> 1) sees 7");
	RMW_REC("the failing cmpxchg", 7, 7, MW_REC_ATOMIC);

	s = last_seq();
	e = 7;
	okc = __atomic_compare_exchange_n(x, &e, 9, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
	ok(okc && *x == 9, "a succeeding lock cmpxchg (7 -> 9)");
	RMW_REC("the succeeding cmpxchg", 7, 9, MW_REC_ATOMIC);

	s = last_seq();
	__asm__ volatile("addq $3, (%0)" : : "r"(p) : "memory", "cc");
	is_u64(*x, 12, "a plain addq $3 to memory");
	RMW_REC("addq (not atomic: no MW_REC_ATOMIC)", 9, 12, 0);
#undef RMW_REC

	s = last_seq();
	got = __atomic_fetch_add(y, 0x100, __ATOMIC_SEQ_CST);
	is_u64(got, 7, "lock xadd on a 4-byte read watch");
	if (n_records(s, 1, "lock xadd on the read watch"))
		rec_is(&recs[0], &(struct want){
			.seq = s + 1, .watch = r, .kind = MW_KIND_RMW, .flags = MW_REC_ATOMIC,
			.addr = p + 32, .size = 4, .value_len = 4, .old_v = "\x07\0\0\0",
			.new_v = "\x07\x01\0\0" },
			"its record: an RMW on a read watch too");
	else
		ok(0, "its record");
	ok(count_of(w) == 5 && count_of(r) == 1, "mw_count: 5 and 1");
}
#define N_RMW 19

static void sec_wide(void)
{
	void *(*volatile memset_p)(void *, int, size_t) = memset;
	unsigned char *pg = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	unsigned char *b, src[40], want_old[64], nv[64], covered[100];
	uint64_t s, c0;
	int id, n, good;

	if (pg == MAP_FAILED)
		bail("mmap: %s", strerror(errno));
	b = pg + 64;
	for (int i = 0; i < 200; i++)
		pg[i] = (unsigned char)i;
	id = watch(b, 100, MW_WRITE);

	s = last_seq();
	c0 = count_of(id);
	memset_p(b, 0x5a, 100);
	n = records_after(s);
	ok(n >= 1 && n <= MAXREC && (uint64_t)n == count_of(id) - c0,
	   "memset of the 100 watched bytes: as many records (%d) as mw_count counted", n);
	good = n >= 1 && n <= MAXREC;
	memset(covered, 0, sizeof(covered));
	for (int i = 0; i < n && i < MAXREC; i++) {
		const struct mw_record *r = &recs[i];
		unsigned vl = r->size < MW_VALUE_MAX ? r->size : MW_VALUE_MAX;
		int bad = r->watch != id || r->kind != MW_KIND_WRITE ||
			r->addr < (uint64_t)(uintptr_t)b || r->size == 0 ||
			r->addr + r->size > (uint64_t)(uintptr_t)b + 100 ||
			r->value_len != vl ||
			r->flags != (r->size > MW_VALUE_MAX ? MW_REC_CUT : 0);

		for (unsigned k = 0; !bad && k < vl; k++) {
			unsigned off = (unsigned)(r->addr - (uint64_t)(uintptr_t)b) + k;

			if (r->new_value[k] != 0x5a ||
			    (r->old_value[k] != 0x5a && r->old_value[k] != (unsigned char)(64 + off)))
				bad = 1;
		}
		for (unsigned k = 0; !bad && k < r->size; k++)
			covered[r->addr - (uint64_t)(uintptr_t)b + k] = 1;
		if (bad) {
			good = 0;
			show(r);
		}
	}
	ok(good, "each: a write within the watch, value_len min(size, 64), MW_REC_CUT iff "
	   "size > 64, new bytes 5a, old bytes the original or 5a");
	good = 1;
	for (int i = 0; i < 100; i++)
		good &= covered[i];
	ok(good && n >= 1, "together they cover the 100 bytes");

	s = last_seq();
	rep_stosb(b, 0xa5, 100);
	memset(want_old, 0x5a, 64);
	if (n_records(s, 1, "rep stosb of 100 bytes onto the watch"))
		rec_is(&recs[0], &(struct want){
			.seq = s + 1, .watch = id, .kind = MW_KIND_WRITE, .flags = MW_REC_CUT,
			.addr = b, .size = 100, .value_len = 64, .old_v = want_old,
			.new_v = memset(nv, 0xa5, sizeof(nv)) },
			"its record: size 100, value_len 64, MW_REC_CUT, the first 64 bytes");
	else
		ok(0, "its record");

	s = last_seq();
	rep_stosb(b - 10, 0x3c, 100);	/* b - 10 .. b + 89 */
	memset(want_old, 0xa5, 64);
	memset(nv, 0x3c, sizeof(nv));
	if (n_records(s, 1, "rep stosb of 100 bytes from 10 before the watch")) {
		rec_is(&recs[0], &(struct want){
			.seq = s + 1, .watch = id, .kind = MW_KIND_WRITE, .flags = MW_REC_CUT,
			.addr = b, .size = 90, .value_len = 64, .old_v = want_old,
			.new_v = nv },
			"its record: clipped to the 90 watched bytes, cut to 64");
	} else {
		ok(0, "its record");
	}

	for (int i = 0; i < 40; i++)
		src[i] = (unsigned char)(0xd0 + i);
	s = last_seq();
	rep_movsb(b + 80, src, 40);	/* b + 80 .. b + 119 */
	memset(want_old, 0xa5, 64);
	memset(want_old, 0x3c, 10);
	if (n_records(s, 1, "rep movsb of 40 bytes over the watch's end"))
		rec_is(&recs[0], &(struct want){
			.seq = s + 1, .watch = id, .kind = MW_KIND_WRITE, .flags = 0,
			.addr = b + 80, .size = 20, .value_len = 20, .old_v = want_old,
			.new_v = src },
			"its record: 20 bytes, not cut, old 3c x 10 + a5 x 10");
	else
		ok(0, "its record");
}
#define N_WIDE 9

static void sec_clear(void)
{
	unsigned char *p = block(16, 0);
	struct mw_log_stats st, st0;
	struct mw_log_cursor cur;
	struct mw_record r;
	int id;

	id = watch(p, 16, MW_WRITE);
	for (int i = 0; i < 5; i++)
		poke32(p, (uint32_t)i);
	st0 = stats();
	is_u64(st0.records, 5, "5 stores: records 5");
	mw_log_clear();
	st = stats();
	if (!ok(st.records == 0 && st.overwritten == 0 && st.dropped == 0 &&
		st.capacity == st0.capacity && st.depth == st0.depth,
		"mw_log_clear: records, overwritten, dropped 0; capacity, depth kept"))
		diag("  records %" PRIu64 " overwritten %" PRIu64 " dropped %" PRIu64
		     " capacity %" PRIu64 " depth %u", st.records, st.overwritten,
		     st.dropped, st.capacity, st.depth);
	mw_log_begin(&cur);
	is_int(mw_log_next(&cur, &r), 0, "mw_log_next from mw_log_begin: nothing");
	poke32(p + 8, 0xaabbccdd);
	/* memwatch.h: "the sequence numbers go on". */
	if (n_records(0, 1, "a store after the clear: the log has that one only"))
		rec_is(&recs[0], &(struct want){
			.seq = 6, .watch = id, .kind = MW_KIND_WRITE, .addr = p + 8, .size = 4,
			.value_len = 4, .old_v = "\x08\x09\x0a\x0b", .new_v = "\xdd\xcc\xbb\xaa" },
			"its record has seq 6: the sequence numbers go on");
	else
		ok(0, "its record has seq 6");
	is_u64(stats().records, 1, "records 1");
	is_u64(count_of(id), 6, "mw_count is not the log's: still counts 6");
}
#define N_CLEAR 7

static void sec_cursor(void)
{
	unsigned char *p = block(16, 0);
	struct mw_log_cursor cur, copy;
	struct mw_record r;
	int id, ret;

	id = watch(p, 16, MW_WRITE);
	mw_log_begin(&cur);
	is_int(mw_log_next(&cur, &r), 0, "a cursor placed on the empty log: nothing yet");
	poke32(p, 1);
	ret = mw_log_next(&cur, &r);
	ok(ret == 1 && r.seq == 1 && r.watch == id, "after a store, the same cursor returns seq 1");
	is_int(mw_log_next(&cur, &r), 0, "then nothing");
	poke32(p, 2);
	poke32(p, 3);
	copy = cur;
	ret = mw_log_next(&cur, &r);
	ok(ret == 1 && r.seq == 2 && r.new_value[0] == 2, "two more stores: seq 2");
	ret = mw_log_next(&cur, &r);
	ok(ret == 1 && r.seq == 3 && r.new_value[0] == 3, "seq 3");
	is_int(mw_log_next(&cur, &r), 0, "then nothing");
	ret = mw_log_next(&copy, &r);
	ok(ret == 1 && r.seq == 2, "a copy of the cursor reads on its own: seq 2");
	mw_log_begin(&cur);
	ret = mw_log_next(&cur, &r);
	ok(ret == 1 && r.seq == 1 && r.old_value[0] == 0 && r.new_value[0] == 1,
	   "reading consumes nothing: mw_log_begin again gives seq 1");
}
#define N_CURSOR 8

static void sec_dump(void)
{
	unsigned char *p = block(16, 0);
	char text[8192];
	int fds[2], n, r;
	ssize_t got;

	is_int(mw_log_dump(-1), -EBADF, "mw_log_dump(-1): -EBADF");
	watch(p, 16, MW_WRITE);
	poke32(p, 1);
	poke32(p + 4, 2);
	if (pipe(fds))
		bail("pipe: %s", strerror(errno));
	r = mw_log_dump(fds[1]);
	close(fds[1]);
	is_int(r, 2, "mw_log_dump into a pipe returns 2, the records written");
	n = 0;
	while (n < (int)sizeof(text) - 1 && (got = read(fds[0], text + n, sizeof(text) - 1 - (size_t)n)) > 0)
		n += (int)got;
	text[n] = 0;
	close(fds[0]);
	if (!ok(strncmp(text, "memwatch log: 2 records", 23) == 0 && strstr(text, "poke32"),
		"the text: \"memwatch log: 2 records ...\", and names poke32"))
		diag("  got: %.300s", text);
}
#define N_DUMP 3

/* A record made in a forked child has the child's thread id. */
static void sec_fork(void)
{
	unsigned char *p = block(16, 0);
	uint64_t s;
	pid_t pid;
	int st, id;

	id = watch(p, 16, MW_WRITE);
	poke32(p, 1);	/* the tid is known to the library now */
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		bail("fork: %s", strerror(errno));
	if (pid == 0) {
		int bad;

		s = last_seq();
		poke32(p, 2);
		bad = records_after(s) != 1 ? 1 : recs[0].tid != (uint32_t)gettid() ? 2 :
			recs[0].seq != 2 ? 3 : 0;
		_exit(bad);
	}
	if (waitpid(pid, &st, 0) != pid)
		bail("waitpid: %s", strerror(errno));
	if (!ok(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		"a store in a forked child: one record, seq 2, with the child's tid"))
		diag("  child status 0x%x (1: not one record, 2: tid, 3: seq)", st);
	s = last_seq();
	is_u64(s, 1, "the parent's log does not have the child's record");
	poke32(p, 3);
	n_records(s, 1, "a store in the parent");
	rec_is(&recs[0], &(struct want){
		.seq = 2, .watch = id, .kind = MW_KIND_WRITE, .addr = p, .size = 4,
		.value_len = 4, .old_v = "\x01\0\0\0", .new_v = "\x03\0\0\0" },
		"its record: seq 2, the parent's tid, old value 1 (the child's store was its own)");
}
#define N_FORK 4

int main(void)
{
	plan(N_DEFAULTS + N_CONFIGURE + N_WRITE + N_CLIPPED + N_OVERLAP + N_READ + N_RMW +
	     N_WIDE + N_CLEAR + N_CURSOR + N_DUMP + N_FORK + 12);
	run_section("defaults", N_DEFAULTS, sec_defaults);
	run_section("mw_log_configure", N_CONFIGURE, sec_configure);
	run_section("a write", N_WRITE, sec_write);
	run_section("stores partly on the watch", N_CLIPPED, sec_clipped);
	run_section("overlapping watches", N_OVERLAP, sec_overlap);
	run_section("reads", N_READ, sec_read);
	run_section("read-modify-write", N_RMW, sec_rmw);
	run_section("wide and rep accesses", N_WIDE, sec_wide);
	run_section("mw_log_clear", N_CLEAR, sec_clear);
	run_section("cursors", N_CURSOR, sec_cursor);
	run_section("mw_log_dump", N_DUMP, sec_dump);
	run_section("fork", N_FORK, sec_fork);
	return done();
}

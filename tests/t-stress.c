/* SPDX-License-Identifier: MIT */
/*
 * t-stress.c - threads mixing mw_watch, mw_unwatch and accesses of every
 * kind over a set of buffers, in rounds, each checked exactly.
 *
 *   STRESS_SECONDS  how long (default 2: the `make check` dose)
 *   STRESS_SEED     the random seed (default: from the clock; printed)
 *   STRESS_OPS      a mask of the kinds of access to do (see enum op)
 *   STRESS_VERIFY   1: check memory after each access (see verify_now)
 *
 * Four buffers (two anonymous mappings, .bss, the heap; 3 pages + 64 bytes,
 * so that accesses straddle pages) hold eight shared 64-bit counters each,
 * then 512-byte stripes, each owned by one accessor thread.  Accessors do
 * single instructions (inline asm, so each is exactly one instruction with
 * a known address): loads and stores of 1, 2, 4, 8 bytes, 16-byte SSE
 * loads and stores, xchg and lock cmpxchg (succeeding and failing) on their
 * own bytes, rep stosb and rep movsb of 1..256 bytes between their own
 * stripes, and lock xadd / lock add on the shared counters.  Each access is
 * journalled with CLOCK_MONOTONIC before and after it.  Watches come from
 * the main thread (live for the whole round: "static"), from two watcher
 * threads that watch and unwatch random ranges all the time, and from the
 * accessors themselves (watch their own bytes, access, unwatch); each
 * mw_watch and mw_unwatch call is timed too.
 *
 * At the end of each round, with every thread stopped:
 *   - memory: each stripe holds what its owner last wrote; each counter the
 *     number of increments; every load returned what was there;
 *   - records (the ring is big enough for a round; none dropped or
 *     overwritten): each one belongs to an access its thread made (found by
 *     its time_ns within the access's times), of a kind the watch catches,
 *     in the watch's lifetime, with the address and size of the access
 *     clipped to the watch, pc, tid, kind, flags, values and frames right:
 *     no phantom records;
 *   - an access made entirely between mw_watch's return and mw_unwatch's
 *     call has its records for that watch, covering exactly the watched bytes
 *     it touched; one concurrent with either call may have them or not;
 *   - mw_count of each static watch and the growth of mw_total_count equal
 *     the faults that left records (one instruction counts once per watch;
 *     a rep instruction interrupted by a watch change resumes and may count
 *     again, with records of disjoint pieces); a dynamic watch's count read
 *     while it lived is at least the accesses made within its life before
 *     that read, and at most its final number.
 *
 * Meanwhile the main thread signals the watcher threads, often inside
 * mw_watch or mw_unwatch; their handler calls mw_total_count, mw_count,
 * mw_log_stats and mw_log_next (async-signal-safe, memwatch.h), and every
 * watch and unwatch must still succeed.
 *
 * Not tested: mw_watch from a signal handler.  mw_watch and mw_unwatch are
 * thread-context calls (memwatch.h): they take the library's lock, allocate
 * and read /proc/self/maps, so they are not async-signal-safe.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <immintrin.h>

#include "memwatch.h"
#include "sanitizer.h"
#include "tap.h"

#define NACC     3              /* accessor threads */
#define NWATCHER 2              /* watcher threads */
#define NBUF     4
#define PAGE     4096
#define NCTR     8              /* shared counters at the start of each buffer */
#define CTRBYTES (NCTR * 8)
#define STRIPE   512
#define NSTRIPE  24
#define BUFSZ    (CTRBYTES + NSTRIPE * STRIPE)  /* 3 pages + 64 */
#define OPS      1500           /* per accessor per round */
#define MAXLEN   256            /* longest string op */
#define RING     (1u << 16)

static unsigned char *buf[NBUF];
static unsigned char bss_buf[4 * PAGE] __attribute__((aligned(PAGE)));

/* ------------------------------------------------------------- randomness */

static uint64_t rnd(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

static uint64_t below(uint64_t *s, uint64_t n)
{
	return rnd(s) % n;
}

static uint64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* ---------------------------------------------------------------- watches */

struct winfo {
	int id;
	int is_static;
	uintptr_t lo, hi;
	unsigned flags;
	uint64_t wcall, wret, ucall, uret;   /* uret 0: not unwatched yet */
	uint64_t live_count;                 /* mw_count read while it lived */
	uint64_t count_call;                 /* when that mw_count was called */
	int have_live_count;
	uint64_t before_count;               /* accesses it caught, done by then */
	uint64_t groups;                     /* faults that left records */
};

static pthread_mutex_t wlock = PTHREAD_MUTEX_INITIALIZER;
static struct winfo *winfos;            /* indexed by id */
static size_t nwinfo;
static int round_ids[1 << 16], nround_ids;      /* ids of this round */
static atomic_int last_id;                      /* the newest watch */

static struct winfo *winfo_of(int id)
{
	return id > 0 && (size_t)id < nwinfo ? &winfos[id] : NULL;
}

static int watch_failures;
static char watch_fail_msg[256];

static void note_watch_failure(const char *what, int r)
{
	pthread_mutex_lock(&wlock);
	if (!watch_failures++)
		snprintf(watch_fail_msg, sizeof(watch_fail_msg), "%s: %d (%s)", what, r,
			 mw_strerror(r));
	pthread_mutex_unlock(&wlock);
}

/* Watch [lo, hi) with FLAGS, timing the call; returns the id or 0. */
static int do_watch(uintptr_t lo, uintptr_t hi, unsigned flags, int is_static)
{
	uint64_t t0 = now_ns(), t1;
	int id = mw_watch((void *)lo, hi - lo, flags);

	t1 = now_ns();
	if (id <= 0) {
		note_watch_failure("mw_watch", id);
		return 0;
	}
	pthread_mutex_lock(&wlock);
	if ((size_t)id >= nwinfo) {
		size_t n = nwinfo ? nwinfo : 1024;

		while (n <= (size_t)id)
			n *= 2;
		winfos = realloc(winfos, n * sizeof(*winfos));
		if (!winfos)
			bail("out of memory");
		memset(winfos + nwinfo, 0, (n - nwinfo) * sizeof(*winfos));
		nwinfo = n;
	}
	if (winfos[id].id || nround_ids >= (int)(sizeof(round_ids) / sizeof(round_ids[0]))) {
		pthread_mutex_unlock(&wlock);
		note_watch_failure("a reused id, or too many watches in a round", id);
		return 0;
	}
	winfos[id] = (struct winfo){ .id = id, .is_static = is_static, .lo = lo, .hi = hi,
				     .flags = flags, .wcall = t0, .wret = t1 };
	round_ids[nround_ids++] = id;
	pthread_mutex_unlock(&wlock);
	atomic_store(&last_id, id);
	return id;
}

static void do_unwatch(int id, int read_count)
{
	uint64_t c = 0, tc = now_ns(), t0, t1;
	int have = read_count && mw_count(id, &c) == 0;
	int r;

	t0 = now_ns();
	r = mw_unwatch(id);
	t1 = now_ns();
	if (r)
		note_watch_failure("mw_unwatch", r);
	pthread_mutex_lock(&wlock);
	winfos[id].ucall = t0;
	winfos[id].uret = t1;
	winfos[id].live_count = c;
	winfos[id].count_call = tc;
	winfos[id].have_live_count = have;
	pthread_mutex_unlock(&wlock);
}

static unsigned random_flags(uint64_t *s)
{
	static const unsigned f[] = { MW_READ, MW_WRITE, MW_ACCESS };
	return f[below(s, 3)];
}

/* A random range in a random buffer, mostly small. */
static void random_range(uint64_t *s, uintptr_t *lo, uintptr_t *hi)
{
	unsigned b = (unsigned)below(s, NBUF);
	size_t off = below(s, 8) ? below(s, BUFSZ) : below(s, CTRBYTES), max, len;

	switch (below(s, 3)) {
	case 0: len = 1 + below(s, 16); break;
	case 1: len = 1 + below(s, 400); break;
	default: len = 1 + below(s, BUFSZ); break;
	}
	max = BUFSZ - off;
	if (len > max)
		len = max;
	*lo = (uintptr_t)buf[b] + off;
	*hi = *lo + len;
}

/* ------------------------------------------------------------- accesses */

enum op {
	OP_LOAD, OP_STORE, OP_SSE_LOAD, OP_SSE_STORE, OP_XCHG, OP_CMPXCHG_OK,
	OP_CMPXCHG_FAIL, OP_STOS, OP_MOVS, OP_XADD, OP_LOCK_ADD, NOPS
};
static const char *const op_name[NOPS] = {
	"load", "store", "SSE load", "SSE store", "xchg", "lock cmpxchg (succeeding)",
	"lock cmpxchg (failing)", "rep stosb", "rep movsb", "lock xadd", "lock add"
};

struct sub {                    /* one memory operand of an access */
	uintptr_t addr;
	uint32_t len;
	uint8_t kind;           /* MW_KIND_* it leaves */
};

struct acc {
	uint64_t t0, t1, pc;
	uint8_t op, nsub;
	struct sub sub[2];      /* movs: [0] the source (read), [1] the destination */
	uint64_t xadd_old;      /* lock xadd: the value it returned */
	uint8_t rd[MAXLEN];     /* bytes read (loads, movs source) */
	uint8_t old[MAXLEN];    /* bytes written: before */
	uint8_t new[MAXLEN];    /* and after */
};

struct thr {
	int index;
	pid_t tid;
	uint64_t seed;
	pthread_t th;
	struct acc *j;          /* this round's journal */
	size_t nj;
	unsigned char *shadow[NBUF];    /* what its stripes hold */
	uint64_t xadds[NBUF][NCTR];     /* increments it made, all rounds */
	uint64_t ops[NOPS];
	uint64_t bad_loads;
	char bad_load_msg[200];
};

static struct thr acc_thr[NACC];
/* For hunting a failure: STRESS_OPS, a mask of the ops to do (bit i: op i of
 * enum op); STRESS_VERIFY=1, compare the thread's stripes with what they
 * should hold after each access, and abort at the first difference with the
 * watches changed around it. */
static unsigned op_mask = ~0u;
static int verify_each;
static atomic_int accessors_running;
static uint64_t round_deadline;

static int stripe_owner(unsigned s)
{
	return (int)(s % NACC);
}

static uintptr_t stripe_addr(unsigned b, unsigned s)
{
	return (uintptr_t)buf[b] + CTRBYTES + (uintptr_t)s * STRIPE;
}

/* A random place of LEN bytes in one of T's stripes: near a page boundary
 * a quarter of the time, when the stripe has one. */
static uintptr_t own_place(struct thr *t, size_t len, unsigned *bp)
{
	unsigned b = (unsigned)below(&t->seed, NBUF);
	unsigned s = (unsigned)(t->index + NACC * below(&t->seed, NSTRIPE / NACC));
	uintptr_t st = stripe_addr(b, s), a;
	uintptr_t pb = (st + PAGE) & ~(uintptr_t)(PAGE - 1);

	if (below(&t->seed, 4) == 0 && pb > st + len && pb < st + STRIPE)
		a = pb - 1 - below(&t->seed, len < 2 ? 1 : len - 1);
	else
		a = st + below(&t->seed, STRIPE - len + 1);
	if (a < st || a + len > st + STRIPE)
		a = st;
	*bp = b;
	return a;
}

static unsigned char *shadow_of(struct thr *t, unsigned b, uintptr_t a)
{
	return t->shadow[b] + (a - (uintptr_t)buf[b]);
}

static void bad_load(struct thr *t, struct acc *e)
{
	if (!t->bad_loads++)
		snprintf(t->bad_load_msg, sizeof(t->bad_load_msg),
			 "thread %d: %s of %u bytes at %#lx read a wrong value", t->index,
			 op_name[e->op], e->sub[0].len, (unsigned long)e->sub[0].addr);
}

#define PC_LEA "lea 1f(%%rip), %[pc]\n1:\t"

static void one_access(struct thr *t, struct acc *e)
{
	static const uint32_t sizes[4] = { 1, 2, 4, 8 };
	unsigned op, b, b2;

	do
		op = (unsigned)below(&t->seed, NOPS);
	while (!(op_mask & (1u << op)));
	uint64_t pc = 0, v = 0, got = 0;
	uint32_t n = sizes[below(&t->seed, 4)];
	uintptr_t a, a2;
	unsigned char *sh;

	e->op = (uint8_t)op;
	e->nsub = 1;
	switch (op) {
	case OP_LOAD:
		a = own_place(t, n, &b);
		sh = shadow_of(t, b, a);
		e->sub[0] = (struct sub){ a, n, MW_KIND_READ };
		e->t0 = now_ns();
		switch (n) {
		case 1: __asm__ volatile(PC_LEA "movzbl (%[a]), %k[v]" : [pc] "=&r"(pc), [v] "=r"(got) : [a] "r"(a) : "memory"); break;
		case 2: __asm__ volatile(PC_LEA "movzwl (%[a]), %k[v]" : [pc] "=&r"(pc), [v] "=r"(got) : [a] "r"(a) : "memory"); break;
		case 4: __asm__ volatile(PC_LEA "movl (%[a]), %k[v]" : [pc] "=&r"(pc), [v] "=r"(got) : [a] "r"(a) : "memory"); break;
		default: __asm__ volatile(PC_LEA "movq (%[a]), %[v]" : [pc] "=&r"(pc), [v] "=r"(got) : [a] "r"(a) : "memory"); break;
		}
		e->t1 = now_ns();
		memcpy(e->rd, &got, n);
		if (memcmp(e->rd, sh, n))
			bad_load(t, e);
		memcpy(e->rd, sh, n);   /* what the record must show */
		break;
	case OP_STORE:
	case OP_XCHG:
		a = own_place(t, n, &b);
		if (op == OP_XCHG)      /* a split lock is declined (memwatch(3)) */
			a &= ~(uintptr_t)(n - 1);
		sh = shadow_of(t, b, a);
		v = rnd(&t->seed);
		e->sub[0] = (struct sub){ a, n, op == OP_STORE ? MW_KIND_WRITE : MW_KIND_RMW };
		memcpy(e->old, sh, n);
		memcpy(e->new, &v, n);
		got = 0;
		e->t0 = now_ns();
		if (op == OP_STORE) {
			switch (n) {
			case 1: __asm__ volatile(PC_LEA "movb %b[v], (%[a])" : [pc] "=&r"(pc) : [a] "r"(a), [v] "q"(v) : "memory"); break;
			case 2: __asm__ volatile(PC_LEA "movw %w[v], (%[a])" : [pc] "=&r"(pc) : [a] "r"(a), [v] "r"(v) : "memory"); break;
			case 4: __asm__ volatile(PC_LEA "movl %k[v], (%[a])" : [pc] "=&r"(pc) : [a] "r"(a), [v] "r"(v) : "memory"); break;
			default: __asm__ volatile(PC_LEA "movq %[v], (%[a])" : [pc] "=&r"(pc) : [a] "r"(a), [v] "r"(v) : "memory"); break;
			}
		} else {
			got = v;
			switch (n) {
			case 1: __asm__ volatile(PC_LEA "xchgb %b[v], (%[a])" : [pc] "=&r"(pc), [v] "+q"(got) : [a] "r"(a) : "memory"); break;
			case 2: __asm__ volatile(PC_LEA "xchgw %w[v], (%[a])" : [pc] "=&r"(pc), [v] "+r"(got) : [a] "r"(a) : "memory"); break;
			case 4: __asm__ volatile(PC_LEA "xchgl %k[v], (%[a])" : [pc] "=&r"(pc), [v] "+r"(got) : [a] "r"(a) : "memory"); break;
			default: __asm__ volatile(PC_LEA "xchgq %[v], (%[a])" : [pc] "=&r"(pc), [v] "+r"(got) : [a] "r"(a) : "memory"); break;
			}
		}
		e->t1 = now_ns();
		if (op == OP_XCHG) {
			uint64_t want = 0;

			memcpy(&want, e->old, n);
			if ((n < 8 ? got & ((1ull << (8 * n)) - 1) : got) != want) {
				memcpy(e->rd, &got, n);
				bad_load(t, e);
			}
		}
		memcpy(sh, e->new, n);
		break;
	case OP_CMPXCHG_OK:
	case OP_CMPXCHG_FAIL: {
		uint64_t cur, exp;

		n = below(&t->seed, 2) ? 8 : 4;
		a = own_place(t, n, &b) & ~(uintptr_t)(n - 1);
		sh = shadow_of(t, b, a);
		cur = 0;
		memcpy(&cur, sh, n);
		exp = op == OP_CMPXCHG_OK ? cur : cur ^ (1 + below(&t->seed, 255));
		v = rnd(&t->seed);
		e->sub[0] = (struct sub){ a, n, MW_KIND_RMW };
		memcpy(e->old, sh, n);
		memcpy(e->new, op == OP_CMPXCHG_OK ? (void *)&v : (void *)sh, n);
		e->t0 = now_ns();
		if (n == 8)
			__asm__ volatile(PC_LEA "lock cmpxchgq %[v], (%[a])" : [pc] "=&r"(pc), "+a"(exp) : [a] "r"(a), [v] "r"(v) : "memory", "cc");
		else
			__asm__ volatile(PC_LEA "lock cmpxchgl %k[v], (%[a])" : [pc] "=&r"(pc), "+a"(exp) : [a] "r"(a), [v] "r"(v) : "memory", "cc");
		e->t1 = now_ns();
		if ((n == 8 ? exp : exp & 0xffffffffu) != cur) {
			memcpy(e->rd, &exp, n);
			bad_load(t, e);
		}
		memcpy(sh, e->new, n);
		break;
	}
	case OP_SSE_LOAD:
	case OP_SSE_STORE: {
		__m128i x;

		n = 16;
		a = own_place(t, n, &b);
		sh = shadow_of(t, b, a);
		if (op == OP_SSE_LOAD) {
			e->sub[0] = (struct sub){ a, n, MW_KIND_READ };
			e->t0 = now_ns();
			__asm__ volatile(PC_LEA "movdqu (%[a]), %[x]" : [pc] "=&r"(pc), [x] "=x"(x) : [a] "r"(a) : "memory");
			e->t1 = now_ns();
			memcpy(e->rd, &x, n);
			if (memcmp(e->rd, sh, n))
				bad_load(t, e);
			memcpy(e->rd, sh, n);
		} else {
			uint64_t w[2] = { rnd(&t->seed), rnd(&t->seed) };

			memcpy(&x, w, n);
			e->sub[0] = (struct sub){ a, n, MW_KIND_WRITE };
			memcpy(e->old, sh, n);
			memcpy(e->new, w, n);
			e->t0 = now_ns();
			__asm__ volatile(PC_LEA "movdqu %[x], (%[a])" : [pc] "=&r"(pc) : [a] "r"(a), [x] "x"(x) : "memory");
			e->t1 = now_ns();
			memcpy(sh, w, n);
		}
		break;
	}
	case OP_STOS: {
		uint64_t len = 1 + below(&t->seed, MAXLEN);
		uint8_t c = (uint8_t)rnd(&t->seed);
		uintptr_t d;

		n = (uint32_t)len;
		a = own_place(t, n, &b);
		sh = shadow_of(t, b, a);
		e->sub[0] = (struct sub){ a, n, MW_KIND_WRITE };
		memcpy(e->old, sh, n);
		memset(e->new, c, n);
		d = a;
		e->t0 = now_ns();
		__asm__ volatile(PC_LEA "cld\n\trep stosb" : [pc] "=&r"(pc), "+D"(d), "+c"(len) : "a"(c) : "memory");
		e->t1 = now_ns();
		/* the pc of rep stosb, after the cld */
		pc += 1;
		memset(sh, c, n);
		break;
	}
	case OP_MOVS: {
		uint64_t len = 1 + below(&t->seed, MAXLEN);
		uintptr_t s, d;
		unsigned char *sh2;

		n = (uint32_t)len;
		a = own_place(t, n, &b);                /* source */
		do
			a2 = own_place(t, n, &b2);      /* destination, elsewhere */
		while (b2 == b && a2 < a + n && a < a2 + n);
		sh = shadow_of(t, b, a);
		sh2 = shadow_of(t, b2, a2);
		e->nsub = 2;
		e->sub[0] = (struct sub){ a, n, MW_KIND_READ };
		e->sub[1] = (struct sub){ a2, n, MW_KIND_WRITE };
		memcpy(e->rd, sh, n);
		memcpy(e->old, sh2, n);
		memcpy(e->new, sh, n);
		s = a;
		d = a2;
		e->t0 = now_ns();
		__asm__ volatile(PC_LEA "cld\n\trep movsb" : [pc] "=&r"(pc), "+S"(s), "+D"(d), "+c"(len) : : "memory");
		e->t1 = now_ns();
		pc += 1;
		memcpy(sh2, e->rd, n);
		break;
	}
	case OP_XADD:
	case OP_LOCK_ADD: {
		unsigned k = (unsigned)below(&t->seed, NCTR);

		b = (unsigned)below(&t->seed, NBUF);
		a = (uintptr_t)buf[b] + 8 * k;
		n = 8;
		e->sub[0] = (struct sub){ a, n, MW_KIND_RMW };
		v = 1;
		e->t0 = now_ns();
		if (op == OP_XADD)
			__asm__ volatile(PC_LEA "lock xaddq %[v], (%[a])" : [pc] "=&r"(pc), [v] "+r"(v) : [a] "r"(a) : "memory", "cc");
		else
			__asm__ volatile(PC_LEA "lock addq $1, (%[a])" : [pc] "=&r"(pc) : [a] "r"(a) : "memory", "cc");
		e->t1 = now_ns();
		e->xadd_old = v;
		t->xadds[b][k]++;
		break;
	}
	}
	e->pc = pc;
	t->ops[op]++;
}

/* STRESS_VERIFY: T's stripes against its shadow, after each access.  (Its
 * reads of read-watched pages leave records of their own: the record
 * checks then fail; this is for finding where memory goes wrong.) */
static void verify_now(struct thr *t)
{
	const struct acc *e = &t->j[t->nj - 1];

	for (unsigned b = 0; b < NBUF; b++)
		for (unsigned s = (unsigned)t->index; s < NSTRIPE; s += NACC) {
			const unsigned char *a = (const unsigned char *)stripe_addr(b, s);
			const unsigned char *want = shadow_of(t, b, (uintptr_t)a);
			size_t k = 0;

			while (k < STRIPE && a[k] == want[k])
				k++;
			if (k == STRIPE)
				continue;
			fprintf(stderr, "after the %s at %#lx+%u (and %#lx+%u), ns %" PRIu64 "..%" PRIu64
				": %p holds %02x, want %02x\nwatches around it (ns from its start):\n",
				op_name[e->op], (unsigned long)e->sub[0].addr, e->sub[0].len,
				(unsigned long)e->sub[1].addr, e->sub[1].len, e->t0, e->t1,
				(const void *)(a + k), a[k], want[k]);
			pthread_mutex_lock(&wlock);
			for (int i = 0; i < nround_ids; i++) {
				const struct winfo *x = &winfos[round_ids[i]];

				if (x->wcall < e->t1 + 1000000 && (!x->uret || x->uret + 1000000 > e->t0))
					fprintf(stderr, "  %d %#lx..%#lx flags %u: watch %" PRId64 "..%"
						PRId64 ", unwatch %" PRId64 "..%" PRId64 "\n", x->id,
						(unsigned long)x->lo, (unsigned long)x->hi, x->flags,
						(int64_t)(x->wcall - e->t0), (int64_t)(x->wret - e->t0),
						x->uret ? (int64_t)(x->ucall - e->t0) : 0,
						x->uret ? (int64_t)(x->uret - e->t0) : 0);
			}
			pthread_mutex_unlock(&wlock);
			abort();
		}
}

static void *accessor(void *arg)
{
	struct thr *t = arg;

	t->tid = (pid_t)syscall(SYS_gettid);
	t->nj = 0;
	while (t->nj < OPS && now_ns() < round_deadline) {
		/* Now and then, a watch of its own around one access. */
		if (below(&t->seed, 100) == 0) {
			unsigned b;
			uintptr_t a = own_place(t, 1 + below(&t->seed, 64), &b);
			int id = do_watch(a, a + 1 + below(&t->seed, 64), random_flags(&t->seed), 0);

			one_access(t, &t->j[t->nj++]);
			if (id)
				do_unwatch(id, 1);
			continue;
		}
		one_access(t, &t->j[t->nj++]);
		if (verify_each)
			verify_now(t);
	}
	atomic_fetch_sub(&accessors_running, 1);
	return NULL;
}

static void *watcher(void *arg)
{
	uint64_t seed = *(uint64_t *)arg;

	while (atomic_load(&accessors_running) > 0) {
		uintptr_t lo, hi;
		int id;
		uint64_t until;

		random_range(&seed, &lo, &hi);
		id = do_watch(lo, hi, random_flags(&seed), 0);
		until = now_ns() + below(&seed, 300000);
		while (now_ns() < until && atomic_load(&accessors_running) > 0)
			sched_yield();
		if (id)
			do_unwatch(id, (int)below(&seed, 2));
	}
	return NULL;
}

/* Signals to the watcher threads, often inside mw_watch or mw_unwatch: the
 * handler calls what memwatch.h says any context may call. */
static atomic_uint_fast64_t sig_calls, sig_bad;
static __thread uint64_t sig_last_total;

static void on_usr1(int sig)
{
	int saved = errno, id = atomic_load(&last_id), r;
	uint64_t c = 0, t = mw_total_count();
	struct mw_log_stats st;
	struct mw_log_cursor cur;
	struct mw_record rec;
	int bad = t < sig_last_total;

	r = mw_count(id, &c);
	bad |= r != 0 && r != -ENOENT;
	bad |= mw_log_stats(&st) != 0 || st.dropped != 0;
	mw_log_begin(&cur);
	bad |= mw_log_next(&cur, &rec) < 0;
	sig_last_total = t;
	if (bad)
		atomic_fetch_add(&sig_bad, 1);
	atomic_fetch_add(&sig_calls, 1);
	errno = saved;
}

/* ----------------------------------------------------------------- checks */

static struct mw_record *recs;
static size_t nrecs;

/* Failures of each check, with the first one described. */
enum check {
	C_WATCH, C_MEMORY, C_LOADS, C_RING, C_PHANTOM, C_VALUES, C_WINDOW, C_MISSING,
	C_COUNT, C_LIVE_COUNT, C_TOTAL, NCHECKS
};
static uint64_t fails[NCHECKS];
static char first_fail[NCHECKS][400];

__attribute__((format(printf, 2, 3)))
static void fail(enum check c, const char *fmt, ...)
{
	va_list ap;

	if (fails[c]++)
		return;
	va_start(ap, fmt);
	vsnprintf(first_fail[c], sizeof(first_fail[c]), fmt, ap);
	va_end(ap);
}

static struct thr *thr_of_tid(uint32_t tid)
{
	for (int i = 0; i < NACC; i++)
		if ((uint32_t)acc_thr[i].tid == tid)
			return &acc_thr[i];
	return NULL;
}

/* The access of T whose times hold TIME. */
static struct acc *acc_at(struct thr *t, uint64_t time)
{
	size_t lo = 0, hi = t->nj;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (t->j[mid].t1 < time)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < t->nj && t->j[lo].t0 <= time && time <= t->j[lo].t1)
		return &t->j[lo];
	return NULL;
}

static void describe(char *out, size_t len, const struct mw_record *r)
{
	snprintf(out, len, "record seq %" PRIu64 " watch %d tid %u addr %#" PRIx64
		 " size %u kind %u flags %#x pc %#" PRIx64 " time %" PRIu64,
		 r->seq, r->watch, r->tid, r->addr, r->size, r->kind, r->flags, r->pc,
		 r->time_ns);
}

/* A record, against the access it belongs to. */
struct hit {
	struct acc *e;
	int watch;
	int sub;
	uintptr_t lo, hi;
};
static struct hit *hits;
static size_t nhits;

static void check_record(const struct mw_record *r)
{
	char d[300];
	struct thr *t = thr_of_tid(r->tid);
	struct acc *e = t ? acc_at(t, r->time_ns) : NULL;
	struct winfo *w = winfo_of(r->watch);
	int rep, s, found = -1;
	uintptr_t lo = r->addr, hi = r->addr + r->size;

	describe(d, sizeof(d), r);
	if (!e || !w || !w->id) {
		fail(C_PHANTOM, "%s: no access of an accessor thread at that time%s", d,
		     w && w->id ? "" : ", and no such watch");
		return;
	}
	rep = e->op == OP_STOS || e->op == OP_MOVS;
	for (s = 0; s < e->nsub; s++) {
		const struct sub *u = &e->sub[s];
		uintptr_t clo = u->addr > w->lo ? u->addr : w->lo;
		uintptr_t chi = u->addr + u->len < w->hi ? u->addr + u->len : w->hi;
		unsigned catches = ((u->kind & MW_KIND_READ) && (w->flags & MW_READ)) ||
				   ((u->kind & MW_KIND_WRITE) && (w->flags & MW_WRITE));

		if (u->kind != r->kind || !catches || clo >= chi)
			continue;
		/* A rep instruction may be resumed: a piece of it. */
		if (rep ? (lo >= clo && hi <= chi && lo < hi) : (lo == clo && hi == chi)) {
			found = s;
			break;
		}
	}
	if (found < 0) {
		fail(C_PHANTOM, "%s: matches no operand of the %s at %#lx+%u made then (watch "
		     "%#lx..%#lx flags %u)", d, op_name[e->op], (unsigned long)e->sub[0].addr,
		     e->sub[0].len, (unsigned long)w->lo, (unsigned long)w->hi, w->flags);
		return;
	}
	/* In the watch's life: after mw_watch was called, before mw_unwatch
	 * returned. */
	if (e->t1 < w->wcall || (w->uret && e->t0 > w->uret) || r->time_ns < w->wcall ||
	    (w->uret && r->time_ns > w->uret))
		fail(C_WINDOW, "%s: outside the watch's life (watch called %" PRIu64
		     ", unwatch returned %" PRIu64 ")", d, w->wcall, w->uret);

	/* The values. */
	{
		const struct sub *u = &e->sub[found];
		size_t off = lo - u->addr, vlen = r->size < MW_VALUE_MAX ? r->size : MW_VALUE_MAX;
		unsigned want_flags = r->size > MW_VALUE_MAX ? MW_REC_CUT : 0;
		int counter = e->op == OP_XADD || e->op == OP_LOCK_ADD;
		int atomic = r->kind == MW_KIND_RMW;
		static const uint8_t zero[MW_VALUE_MAX];
		int good = 1;

		if (r->pc != e->pc || r->value_len != vlen)
			good = 0;
		if ((r->flags & ~MW_REC_ATOMIC) != want_flags ||
		    (!atomic && (r->flags & MW_REC_ATOMIC)))
			good = 0;
		if (r->kind == MW_KIND_READ) {
			if (memcmp(r->new_value, e->rd + off, vlen) || memcmp(r->old_value, zero, vlen))
				good = 0;
		} else if (counter) {
			/* Shared: the new value is read after the access, racing
			 * with the other threads' increments, and lock add has no
			 * result register for the old one.  lock xadd's old value
			 * is what it returned. */
			uint64_t o, nv;

			memcpy(&o, r->old_value, 8);
			memcpy(&nv, r->new_value, 8);
			if (e->op == OP_XADD &&
			    (!(r->flags & MW_REC_ATOMIC) ||
			     memcmp(r->old_value, (uint8_t *)&e->xadd_old + off, vlen)))
				good = 0;
			if (r->size == 8 && (r->flags & MW_REC_ATOMIC) && nv < o + 1)
				good = 0;
		} else {
			if (memcmp(r->new_value, e->new + off, vlen) ||
			    memcmp(r->old_value, e->old + off, vlen))
				good = 0;
		}
		if (r->nframes > MW_FRAMES_MAX || (r->nframes && r->frames[0] != r->pc))
			good = 0;
		if (!good)
			fail(C_VALUES, "%s: wrong pc, flags, values or frames for the %s by %#" PRIx64
			     " at %#lx+%u (value_len %u, new[0] %02x, old[0] %02x; want new[0] %02x old[0] %02x)", d, op_name[e->op], e->pc,
			     (unsigned long)e->sub[found].addr, e->sub[found].len,
			     r->value_len, r->new_value[0], r->old_value[0],
			     r->kind == MW_KIND_READ ? e->rd[off] : e->new[off], e->old[off]);
	}
	hits[nhits++] = (struct hit){ e, r->watch, found, lo, hi };
}

/* Faults: the records of one fault share tid and time_ns (one clock read
 * per fault); those of other threads may come between them. */
struct fkey {
	int watch;
	uint32_t tid;
	uint64_t time;
};
static struct fkey *fkeys;

static int fkey_cmp(const void *a, const void *b)
{
	const struct fkey *x = a, *y = b;

	if (x->watch != y->watch)
		return x->watch < y->watch ? -1 : 1;
	if (x->tid != y->tid)
		return x->tid < y->tid ? -1 : 1;
	return x->time < y->time ? -1 : x->time > y->time;
}

/* The faults that left records: for watch WATCH, or for any (-1). */
static uint64_t count_faults(int watch)
{
	size_t n = 0;
	uint64_t faults = 0;

	for (size_t i = 0; i < nrecs; i++)
		if (watch < 0 || recs[i].watch == watch)
			fkeys[n++] = (struct fkey){ watch < 0 ? 0 : watch, recs[i].tid,
						    recs[i].time_ns };
	qsort(fkeys, n, sizeof(*fkeys), fkey_cmp);
	for (size_t i = 0; i < n; i++)
		faults += i == 0 || fkey_cmp(&fkeys[i - 1], &fkeys[i]) != 0;
	return faults;
}

static void count_groups(void)
{
	size_t n = 0;

	for (size_t i = 0; i < nrecs; i++)
		fkeys[n++] = (struct fkey){ recs[i].watch, recs[i].tid, recs[i].time_ns };
	qsort(fkeys, n, sizeof(*fkeys), fkey_cmp);
	for (size_t i = 0; i < n; i++)
		if (i == 0 || fkey_cmp(&fkeys[i - 1], &fkeys[i]) != 0) {
			struct winfo *w = winfo_of(fkeys[i].watch);

			if (w)
				w->groups++;
		}
}

static int hit_cmp(const void *a, const void *b)
{
	const struct hit *x = a, *y = b;

	if (x->e != y->e)
		return x->e < y->e ? -1 : 1;
	if (x->watch != y->watch)
		return x->watch < y->watch ? -1 : 1;
	if (x->sub != y->sub)
		return x->sub - y->sub;
	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* Records of access E for watch W and operand S: [first, last). */
static size_t find_hits(struct acc *e, int w, int s, size_t *end)
{
	size_t lo = 0, hi = nhits;
	struct hit key = { e, w, s, 0, 0 };

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (hit_cmp(&hits[mid], &key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*end = lo;
	while (*end < nhits && hits[*end].e == e && hits[*end].watch == w && hits[*end].sub == s)
		(*end)++;
	return lo;
}

/* Each access made entirely within the life of watch W, touching its bytes
 * with a kind it catches: its records cover exactly those bytes, once. */
static void check_covered(struct winfo *w)
{
	for (int i = 0; i < NACC; i++) {
		struct thr *t = &acc_thr[i];

		for (size_t k = 0; k < t->nj; k++) {
			struct acc *e = &t->j[k];

			int caught = 0;

			if (e->t0 <= w->wret || (w->uret && e->t1 >= w->ucall))
				continue;
			for (int s = 0; s < e->nsub; s++) {
				const struct sub *u = &e->sub[s];
				uintptr_t clo = u->addr > w->lo ? u->addr : w->lo;
				uintptr_t chi = u->addr + u->len < w->hi ? u->addr + u->len : w->hi;
				unsigned catches = ((u->kind & MW_KIND_READ) && (w->flags & MW_READ)) ||
						   ((u->kind & MW_KIND_WRITE) && (w->flags & MW_WRITE));
				size_t end, h;
				uintptr_t pos = clo;

				if (clo >= chi || !catches)
					continue;
				caught = 1;
				for (h = find_hits(e, w->id, s, &end); h < end && hits[h].lo == pos; h++)
					pos = hits[h].hi;
				if (pos != chi || h != end)
					fail(C_MISSING, "thread %d's %s at %#lx+%u (pc %#" PRIx64 ") within "
					     "watch %d's life (%#lx..%#lx, flags %u): its records cover "
					     "%#lx..%#lx, not %#lx..%#lx", i, op_name[e->op],
					     (unsigned long)u->addr, u->len, e->pc, w->id,
					     (unsigned long)w->lo, (unsigned long)w->hi, w->flags,
					     (unsigned long)clo, (unsigned long)pos,
					     (unsigned long)clo, (unsigned long)chi);
			}
			if (caught && w->have_live_count && e->t1 < w->count_call)
				w->before_count++;
		}
	}
}

static void check_memory(void)
{
	for (unsigned b = 0; b < NBUF; b++) {
		for (unsigned s = 0; s < NSTRIPE; s++) {
			struct thr *t = &acc_thr[stripe_owner(s)];
			uintptr_t a = stripe_addr(b, s);

			if (memcmp((void *)a, shadow_of(t, b, a), STRIPE)) {
				size_t k = 0;

				while (((unsigned char *)a)[k] == shadow_of(t, b, a)[k])
					k++;
				fail(C_MEMORY, "buffer %u stripe %u (thread %d) byte %zu: %02x, "
				     "want %02x", b, s, t->index, k, ((unsigned char *)a)[k],
				     shadow_of(t, b, a)[k]);
			}
		}
		for (unsigned k = 0; k < NCTR; k++) {
			uint64_t want = 0, got;

			for (int i = 0; i < NACC; i++)
				want += acc_thr[i].xadds[b][k];
			memcpy(&got, buf[b] + 8 * k, 8);
			if (got != want)
				fail(C_MEMORY, "buffer %u counter %u: %" PRIu64 ", want %" PRIu64,
				     b, k, got, want);
		}
	}
}

/* ------------------------------------------------------------------ rounds */

static uint64_t total_ops, total_records, total_watches, nrounds;

static void one_round(uint64_t *seed, uint64_t deadline)
{
	pthread_t wt[NWATCHER];
	uint64_t wseed[NWATCHER], total0, total1;
	int nstatic = 1 + (int)below(seed, 6), statics[8];
	struct mw_log_cursor cur;
	struct mw_log_stats st;
	/* Under TSan, no backtraces: libunwind's pipe2 goes through TSan,
	 * which allocates from the heap (maybe a watched page) inside our
	 * handler, where its signal wrapper keeps SIGSEGV blocked. */
	unsigned depth = below(seed, 3) == 0 && !MW_TSAN ? 4 : 0;

	nround_ids = 0;
	mw_log_configure(0, depth);
	mw_log_clear();
	for (int i = 0; i < nstatic; i++) {
		uintptr_t lo, hi;

		random_range(seed, &lo, &hi);
		statics[i] = do_watch(lo, hi, random_flags(seed), 1);
	}
	total0 = mw_total_count();
	round_deadline = deadline;
	atomic_store(&accessors_running, NACC);
	for (int i = 0; i < NACC; i++)
		if (pthread_create(&acc_thr[i].th, NULL, accessor, &acc_thr[i]))
			bail("pthread_create failed");
	for (int i = 0; i < NWATCHER; i++) {
		wseed[i] = rnd(seed) | 1;
		if (pthread_create(&wt[i], NULL, watcher, &wseed[i]))
			bail("pthread_create failed");
	}
	while (atomic_load(&accessors_running) > 0) {
		struct timespec ts = { 0, 50000 + (long)below(seed, 200000) };

		pthread_kill(wt[below(seed, NWATCHER)], SIGUSR1);
		nanosleep(&ts, NULL);
	}
	for (int i = 0; i < NACC; i++)
		pthread_join(acc_thr[i].th, NULL);
	for (int i = 0; i < NWATCHER; i++)
		pthread_join(wt[i], NULL);
	total1 = mw_total_count();

	/* The log of the round. */
	nrecs = 0;
	mw_log_begin(&cur);
	while (nrecs < RING && mw_log_next(&cur, &recs[nrecs]) == 1)
		nrecs++;
	if (mw_log_stats(&st) || st.dropped || st.overwritten || st.records != nrecs)
		fail(C_RING, "round %" PRIu64 ": %zu records read; stats: records %" PRIu64
		     " overwritten %" PRIu64 " dropped %" PRIu64, nrounds, nrecs, st.records,
		     st.overwritten, st.dropped);
	nhits = 0;
	for (size_t i = 0; i < nrecs; i++)
		check_record(&recs[i]);
	qsort(hits, nhits, sizeof(*hits), hit_cmp);
	count_groups();
	for (int i = 0; i < nround_ids; i++)
		check_covered(&winfos[round_ids[i]]);

	/* Counts. */
	for (int i = 0; i < nround_ids; i++) {
		struct winfo *w = &winfos[round_ids[i]];

		if (w->is_static) {
			uint64_t c = ~0ull;

			if (mw_count(w->id, &c) || c != w->groups)
				fail(C_COUNT, "static watch %d (%#lx..%#lx, flags %u): mw_count %" PRIu64
				     ", faults with records %" PRIu64, w->id, (unsigned long)w->lo,
				     (unsigned long)w->hi, w->flags, c, w->groups);
		} else if (w->have_live_count &&
			   (w->live_count > w->groups || w->live_count < w->before_count)) {
			fail(C_LIVE_COUNT, "watch %d: mw_count %" PRIu64 " while it lived; %" PRIu64
			     " accesses it caught were done by then, %" PRIu64 " faults with "
			     "records in all", w->id, w->live_count, w->before_count, w->groups);
		}
	}
	/* The total counts faults, not watches. */
	if (total1 - total0 != count_faults(-1))
		fail(C_TOTAL, "round %" PRIu64 ": mw_total_count grew by %" PRIu64
		     ", faults with records %" PRIu64, nrounds, total1 - total0, count_faults(-1));
	check_memory();
	for (int i = 0; i < NACC; i++)
		if (acc_thr[i].bad_loads)
			fail(C_LOADS, "%s", acc_thr[i].bad_load_msg);
	for (int i = 0; i < nstatic; i++)
		if (statics[i])
			do_unwatch(statics[i], 0);

	for (int i = 0; i < NACC; i++)
		total_ops += acc_thr[i].nj;
	total_records += nrecs;
	total_watches += (uint64_t)nround_ids;
	nrounds++;
}

int main(void)
{
	const char *secs_env = getenv("STRESS_SECONDS"), *seed_env = getenv("STRESS_SEED");
	double secs = secs_env && *secs_env ? atof(secs_env) : 2.0;
	const char *ops_env = getenv("STRESS_OPS"), *verify_env = getenv("STRESS_VERIFY");
	uint64_t seed = seed_env && *seed_env ? strtoull(seed_env, NULL, 0) : now_ns();
	uint64_t seed0, start, end;
	int r;

	if (ops_env && *ops_env)
		op_mask = (unsigned)strtoul(ops_env, NULL, 0);
	if (!(op_mask & ((1u << NOPS) - 1)))
		bail("STRESS_OPS=%s selects no op (bits 0..%d)", ops_env, NOPS - 1);
	verify_each = verify_env && *verify_env && *verify_env != '0';
	plan(NCHECKS + 2);
	if (!seed)
		seed = 1;
	seed0 = seed;
	diag("STRESS_SEED=%" PRIu64 " STRESS_SECONDS=%g", seed, secs);
	{
		struct sigaction sa;

		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_usr1;
		sa.sa_flags = SA_RESTART;
		sigemptyset(&sa.sa_mask);
		if (sigaction(SIGUSR1, &sa, NULL))
			bail("sigaction: %s", strerror(errno));
	}
	r = mw_log_configure(RING, 0);
	if (r)
		bail("mw_log_configure(%u, 0): %s", RING, mw_strerror(r));
	recs = malloc(RING * sizeof(*recs));
	hits = malloc(RING * sizeof(*hits));
	fkeys = malloc(RING * sizeof(*fkeys));
	if (!recs || !hits || !fkeys)
		bail("out of memory");

	for (int b = 0; b < 2; b++) {
		buf[b] = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			      -1, 0);
		if (buf[b] == MAP_FAILED)
			bail("mmap: %s", strerror(errno));
	}
	buf[2] = bss_buf;
	buf[3] = malloc(BUFSZ + 64);
	if (!buf[3])
		bail("out of memory");
	buf[3] += 8;            /* the heap buffer starts unaligned */
	for (int b = 0; b < NBUF; b++)
		memset(buf[b], 0, BUFSZ);
	for (int i = 0; i < NACC; i++) {
		struct thr *t = &acc_thr[i];

		t->index = i;
		t->seed = rnd(&seed) | 1;
		t->j = malloc(OPS * sizeof(*t->j));
		if (!t->j)
			bail("out of memory");
		for (int b = 0; b < NBUF; b++) {
			t->shadow[b] = calloc(1, BUFSZ);
			if (!t->shadow[b])
				bail("out of memory");
		}
	}

	start = now_ns();
	end = start + (uint64_t)(secs * 1e9);
	do {
		uint64_t t = now_ns();

		one_round(&seed, t + 300000000u < end ? t + 300000000u : end);
	} while (now_ns() < end);

	fails[C_WATCH] = (uint64_t)watch_failures;
	if (watch_failures)
		snprintf(first_fail[C_WATCH], sizeof(first_fail[C_WATCH]), "%s", watch_fail_msg);
	{
		static const char *const what[NCHECKS] = {
			"every mw_watch and mw_unwatch succeeded",
			"each stripe holds its owner's last writes, each counter its increments",
			"every load, xchg and cmpxchg returned the value in memory",
			"the ring held each round: nothing dropped or overwritten",
			"every record belongs to an access made then, of a kind its watch catches",
			"every record's pc, flags, values and frames are those of its access",
			"every record falls within its watch's life",
			"every access within a watch's life has records covering its watched bytes",
			"mw_count of each static watch = its faults with records",
			"mw_count read while a watch lived: at least the accesses done by then, "
			"at most its final faults with records",
			"mw_total_count grew by the faults with records",
		};
		for (int c = 0; c < NCHECKS; c++)
			if (!ok(!fails[c], "%s", what[c]))
				diag("  %" PRIu64 " failure(s); the first: %s", fails[c], first_fail[c]);
	}
	ok(atomic_load(&sig_calls) > 0 && atomic_load(&sig_bad) == 0,
	   "%" PRIu64 " signal handlers interrupting the watcher threads (in mw_watch, "
	   "mw_unwatch...) called mw_total_count, mw_count, mw_log_stats, mw_log_next: "
	   "%" PRIu64 " odd results", (uint64_t)atomic_load(&sig_calls),
	   (uint64_t)atomic_load(&sig_bad));
	ok(total_ops > 0 && total_records > 0, "%" PRIu64 " rounds: %" PRIu64 " accesses, %"
	   PRIu64 " records, %" PRIu64 " watches", nrounds, total_ops, total_records,
	   total_watches);
	{
		uint64_t by[NOPS] = { 0 };

		for (int i = 0; i < NACC; i++)
			for (int o = 0; o < NOPS; o++)
				by[o] += acc_thr[i].ops[o];
		for (int o = 0; o < NOPS; o++)
			diag("  %-26s %" PRIu64, op_name[o], by[o]);
	}
	if (tap_failed)
		diag("again with STRESS_SEED=%" PRIu64 " (the same choices; the threads' timing "
		     "differs)", seed0);
	return done();
}

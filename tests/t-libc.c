/* SPDX-License-Identifier: MIT */
/*
 * t-libc.c - glibc's string and memory functions, qsort and snprintf on
 * watched buffers give byte-identical results to the same calls on plain
 * buffers, for many sizes and misaligned starts; and they are counted.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "memwatch.h"
#include "tap.h"
#include "section.h"

enum op {
	OP_MEMCPY, OP_MEMMOVE_FWD, OP_MEMMOVE_BACK, OP_MEMSET, OP_MEMCHR,
	OP_STRLEN, OP_STRCMP, OP_SNPRINTF, OP_QSORT
};

static const char *const op_names[] = {
	"memcpy", "memmove forward", "memmove backward", "memset", "memchr",
	"strlen", "strcmp", "snprintf", "qsort"
};

/* Whether the operation writes into the watched buffer. */
static const int op_writes[] = { 1, 1, 1, 1, 0, 0, 0, 1, 1 };

#define HALF (6 * 4096)
#define BUFSZ (2 * HALF)
#define NINTS 1000

static const size_t sizes[] = { 1, 7, 64, 4095, 4096, 10000 };
static const size_t offsets[] = { 0, 1, 7, 4093 };
static const size_t qsort_offsets[] = { 0, 4, 100 };
static const unsigned flag_sets[] = { MW_ACCESS, MW_WRITE };

static unsigned char *W, *U;	/* watched and plain buffers */

struct res {
	long r1, r2;
};

static size_t shift(size_t n)
{
	return 1 + n / 3;
}

static size_t second(size_t a)
{
	return HALF + (a + 3) % 8;
}

static int cmp_int(const void *x, const void *y)
{
	int a, b;

	memcpy(&a, x, sizeof(a));
	memcpy(&b, y, sizeof(b));
	return (a > b) - (a < b);
}

/* The same contents in both buffers: bytes 1..251 (never 0, 0xfe, 0xff),
 * then what the operation needs. */
static void prepare(unsigned char *b, int op, size_t n, size_t a)
{
	for (size_t i = 0; i < BUFSZ; i++)
		b[i] = (unsigned char)((i * 131 + n + a) % 251 + 1);
	switch (op) {
	case OP_MEMCHR:
		b[a + n - 1] = 0xfe;
		break;
	case OP_STRLEN:
		b[a + n - 1] = 0;
		break;
	case OP_STRCMP:
		memcpy(b + second(a), b + a, n);
		b[a + n - 1] = 0;
		b[second(a) + n - 1] = 0;
		if ((a & 1) && n >= 2)	/* unequal at the last character */
			b[second(a) + n - 2] ^= 0x40;
		break;
	case OP_QSORT:
		for (int i = 0; i < NINTS; i++) {
			int v = (int)(((unsigned)i * 2654435761u) >> 8) - (1 << 23);

			memcpy(b + a + (size_t)i * sizeof(int), &v, sizeof(v));
		}
		break;
	default:
		break;
	}
}

static long off_of(const void *p, const unsigned char *b)
{
	return p ? (long)((const unsigned char *)p - b) : -1;
}

static struct res perform(int op, unsigned char *b, size_t n, size_t a)
{
	struct res r = { 0, 0 };
	char *s = (char *)b;

	switch (op) {
	case OP_MEMCPY:
		r.r1 = off_of(memcpy(b + a, b + second(a), n), b);
		break;
	case OP_MEMMOVE_FWD:
		r.r1 = off_of(memmove(b + a + shift(n), b + a, n), b);
		break;
	case OP_MEMMOVE_BACK:
		r.r1 = off_of(memmove(b + a, b + a + shift(n), n), b);
		break;
	case OP_MEMSET:
		r.r1 = off_of(memset(b + a, 0xc3, n), b);
		break;
	case OP_MEMCHR:
		r.r1 = off_of(memchr(b + a, 0xfe, n), b);
		r.r2 = off_of(memchr(b + a, 0xff, n), b);
		break;
	case OP_STRLEN:
		r.r1 = (long)strlen(s + a);
		break;
	case OP_STRCMP:
		r.r1 = strcmp(s + a, s + second(a));
		break;
	case OP_SNPRINTF:
		r.r1 = snprintf(s + a, n, "%s|%d|%0*d|%x|%.3f", "memwatch", -12345,
				(int)n + 10, 7, 0xbeefu, 2.5);
		break;
	case OP_QSORT:
		qsort(b + a, NINTS, sizeof(int), cmp_int);
		break;
	}
	return r;
}

static int watch(size_t off, size_t len, unsigned flags)
{
	int id = mw_watch(W + off, len, flags);

	if (id <= 0)
		bail("mw_watch(W + %zu, %zu, 0x%x) = %d (%s)", off, len, flags, id,
		     mw_strerror(id));
	return id;
}

static uint64_t count_of(int id)
{
	uint64_t c = 0;

	if (mw_count(id, &c))
		bail("mw_count(%d) failed", id);
	return c;
}

static void one_case(int op, size_t n, size_t a, unsigned flags)
{
	int id1, id2 = 0;
	uint64_t c1, c2 = 0;
	struct res rw, ru;
	size_t len1 = n, i;
	const char *fl = flags == MW_ACCESS ? "MW_ACCESS" : "MW_WRITE";
	int cok;

	prepare(W, op, n, a);
	prepare(U, op, n, a);
	if (op == OP_MEMMOVE_FWD || op == OP_MEMMOVE_BACK)
		len1 = n + shift(n);
	if (op == OP_QSORT)
		len1 = NINTS * sizeof(int);
	id1 = watch(a, len1, flags);
	if (op == OP_MEMCPY || op == OP_STRCMP)
		id2 = watch(second(a), n, flags);
	rw = perform(op, W, n, a);
	ru = perform(op, U, n, a);
	c1 = count_of(id1);
	if (id2)
		c2 = count_of(id2);
	if (mw_unwatch(id1) || (id2 && mw_unwatch(id2)))
		bail("mw_unwatch failed");

	for (i = 0; i < BUFSZ && W[i] == U[i]; i++)
		;
	if (!ok(rw.r1 == ru.r1 && rw.r2 == ru.r2 && i == BUFSZ,
		"%s, size %zu at +%zu, %s: same result and bytes as unwatched",
		op_names[op], op == OP_QSORT ? (size_t)NINTS : n, a, fl)) {
		diag("  result %ld, %ld; unwatched %ld, %ld", rw.r1, rw.r2, ru.r1, ru.r2);
		if (i < BUFSZ)
			diag("  first different byte at +%zu: 0x%02x, unwatched 0x%02x",
			     i, W[i], U[i]);
	}

	/* Writers count on either kind of watch, readers only on MW_ACCESS;
	 * the source of memcpy and both strings of strcmp are only read. */
	if (op_writes[op] || flags == MW_ACCESS)
		cok = c1 > 0;
	else
		cok = c1 == 0;
	if (id2)
		cok = cok && (flags == MW_ACCESS ? c2 > 0 : c2 == 0);
	if (!ok(cok, "%s, size %zu at +%zu, %s: count %s", op_names[op],
		op == OP_QSORT ? (size_t)NINTS : n, a, fl,
		op_writes[op] || flags == MW_ACCESS ? "> 0" : "0"))
		diag("  counts %" PRIu64 " and %" PRIu64, c1, c2);
}

static void setup(void)
{
	W = mmap(NULL, BUFSZ, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	U = mmap(NULL, BUFSZ, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (W == MAP_FAILED || U == MAP_FAILED)
		bail("mmap: %s", strerror(errno));
}

static int cur_op;

static void sec_op(void)
{
	setup();
	for (size_t f = 0; f < 2; f++)
		for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++)
			for (size_t o = 0; o < sizeof(offsets) / sizeof(offsets[0]); o++)
				one_case(cur_op, sizes[s], offsets[o], flag_sets[f]);
}
#define N_OP (2 * 6 * 4 * 2)

static void sec_qsort(void)
{
	setup();
	for (size_t f = 0; f < 2; f++)
		for (size_t o = 0; o < sizeof(qsort_offsets) / sizeof(qsort_offsets[0]); o++)
			one_case(OP_QSORT, 0, qsort_offsets[o], flag_sets[f]);
}
#define N_QSORT (2 * 3 * 2)

int main(void)
{
	plan(8 * (N_OP + 1) + N_QSORT + 1);
	for (cur_op = OP_MEMCPY; cur_op <= OP_SNPRINTF; cur_op++)
		run_section(op_names[cur_op], N_OP, sec_op);
	run_section("qsort", N_QSORT, sec_qsort);
	return done();
}

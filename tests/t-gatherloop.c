/* SPDX-License-Identifier: MIT */
/*
 * t-gatherloop.c - loops a compiler turns into gathers and scatters
 * (built with -O3 -march=native: on a machine with AVX-512, vpgatherdd,
 * vgatherqpd and vpscatterdd with k masks; with AVX2 only, its gathers),
 * run over watched elements.
 *
 * The indices permute each block of 16 elements, so one vector instruction
 * reads or writes one element of a watch whatever the vector length (or
 * one scalar instruction, where the compiler made none): every watch
 * counts exactly one access, has one record with the element's address,
 * size and value (a write's old and new value), and the results are exact.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include "memwatch.h"
#include "tap.h"

#define N 4096                  /* ints: 4 pages */
#define NW 64                   /* watches: one element in each 4th block */

__attribute__((noinline)) static void gather_loop(int *restrict out, const int *restrict tbl,
						  const int *restrict idx, int n)
{
	for (int i = 0; i < n; i++)
		out[i] = tbl[idx[i]];
}

__attribute__((noinline)) static void scatter_loop(int *restrict tbl, const int *restrict idx,
						   const int *restrict v, int n)
{
	for (int i = 0; i < n; i++)
		tbl[idx[i]] = v[i];
}

__attribute__((noinline)) static void gather_loop_q(double *restrict out,
						    const double *restrict tbl,
						    const long *restrict idx, int n)
{
	for (int i = 0; i < n; i++)
		out[i] += tbl[idx[i]];
}

/* Element I's index: block of 16 permuted (5 is odd: a permutation). */
static int perm(int i)
{
	return (i & ~15) | ((i * 5 + 3) & 15);
}

static int elem_of(int w)
{
	return w * 64 + 7;      /* in block 4w */
}

struct seen {
	int count_ok, records, bad;
};

static void check_log(const int *id, uintptr_t tblbase, size_t esize, int write,
		      const void *old_of, const void *new_of, struct seen *s)
{
	struct mw_log_cursor cur;
	struct mw_record r;
	int per[NW];

	memset(per, 0, sizeof(per));
	memset(s, 0, sizeof(*s));
	mw_log_begin(&cur);
	while (mw_log_next(&cur, &r) == 1) {
		int w = -1;

		for (int i = 0; i < NW; i++)
			if (r.watch == id[i])
				w = i;
		if (w < 0 || r.addr != tblbase + (uintptr_t)elem_of(w) * esize ||
		    r.size != esize || r.value_len != esize ||
		    r.kind != (write ? MW_KIND_WRITE : MW_KIND_READ) ||
		    memcmp(r.new_value, (const uint8_t *)new_of + (size_t)w * esize, esize) ||
		    (write && memcmp(r.old_value, (const uint8_t *)old_of + (size_t)w * esize,
				     esize))) {
			s->bad++;
			continue;
		}
		per[w]++;
	}
	for (int w = 0; w < NW; w++) {
		uint64_t c = 0;

		mw_count(id[w], &c);
		s->count_ok += c == 1;
		s->records += per[w] == 1;
	}
}

static int id[NW];

static void watch_all(const void *tbl, size_t esize)
{
	mw_log_clear();
	for (int w = 0; w < NW; w++)
		if ((id[w] = mw_watch((const uint8_t *)tbl + (size_t)elem_of(w) * esize, esize,
				      MW_ACCESS)) <= 0)
			bail("mw_watch: %s", mw_strerror(id[w]));
}

static void unwatch_all(void)
{
	for (int w = 0; w < NW; w++)
		mw_unwatch(id[w]);
}

int main(void)
{
	int *tbl = mmap(NULL, N * sizeof(int), PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	double *tq = mmap(NULL, N * sizeof(double), PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	static int idx[N], out[N], v[N];
	static long qidx[N];
	static double qout[N];
	int oldv[NW], newv[NW], wrong = 0;
	double newq[NW];
	struct seen s;

	if (tbl == MAP_FAILED || tq == MAP_FAILED)
		bail("mmap: %s", strerror(errno));
	for (int i = 0; i < N; i++) {
		tbl[i] = 3 * i + 1;
		tq[i] = 0.5 * i;
		idx[i] = perm(i);
		qidx[i] = perm(i);
		v[i] = -7 * i;
	}
	plan(9);

	/* Gathers of ints. */
	for (int w = 0; w < NW; w++)
		newv[w] = tbl[elem_of(w)];
	watch_all(tbl, sizeof(int));
	gather_loop(out, tbl, idx, N);
	check_log(id, (uintptr_t)tbl, sizeof(int), 0, NULL, newv, &s);
	unwatch_all();
	for (int i = 0; i < N; i++)
		wrong += out[i] != 3 * perm(i) + 1;
	ok(!wrong, "gather loop: every element read right (%d wrong)", wrong);
	ok(s.count_ok == NW, "gather loop: each watch counts one read (%d of %d)", s.count_ok, NW);
	ok(s.records == NW && !s.bad,
	   "gather loop: one record per watch, its element's address, size and value "
	   "(%d of %d, %d others)", s.records, NW, s.bad);

	/* Gathers of doubles by 64-bit indices. */
	for (int w = 0; w < NW; w++)
		newq[w] = tq[elem_of(w)];
	for (int i = 0; i < N; i++)
		qout[i] = 1.0;
	watch_all(tq, sizeof(double));
	gather_loop_q(qout, tq, qidx, N);
	check_log(id, (uintptr_t)tq, sizeof(double), 0, NULL, newq, &s);
	unwatch_all();
	wrong = 0;
	for (int i = 0; i < N; i++)
		wrong += qout[i] != 1.0 + 0.5 * perm(i);
	ok(!wrong, "gather loop (doubles, long indices): every element right (%d wrong)", wrong);
	ok(s.count_ok == NW, "gather loop (doubles): each watch counts one read (%d of %d)",
	   s.count_ok, NW);
	ok(s.records == NW && !s.bad, "gather loop (doubles): one exact record per watch "
	   "(%d of %d, %d others)", s.records, NW, s.bad);

	/* Scatters. */
	for (int w = 0; w < NW; w++) {
		int e = elem_of(w), i = 0;

		oldv[w] = tbl[e];
		while (perm(i) != e)
			i++;
		newv[w] = v[i];
	}
	watch_all(tbl, sizeof(int));
	scatter_loop(tbl, idx, v, N);
	check_log(id, (uintptr_t)tbl, sizeof(int), 1, oldv, newv, &s);
	unwatch_all();
	wrong = 0;
	for (int i = 0; i < N; i++)
		wrong += tbl[perm(i)] != v[i];
	ok(!wrong, "scatter loop: every element written right (%d wrong)", wrong);
	ok(s.count_ok == NW, "scatter loop: each watch counts one write (%d of %d)", s.count_ok,
	   NW);
	ok(s.records == NW && !s.bad, "scatter loop: one record per watch with its old and new "
	   "value (%d of %d, %d others)", s.records, NW, s.bad);
	return done();
}

/* SPDX-License-Identifier: MIT */
/*
 * quick.c - the first look at a patched site's system call (see quick.h).
 *
 * Fault path (mw_sys_quick, from a stub, with the program's vector
 * registers live): reads of the table built at init and of the page map,
 * mw_thread_dispatching, mw_sys_waitmask_read.  Compiled for general registers
 * only, like everything it calls: the stub saves no vector register.
 * [thread] mw_sys_quick_init: mw_sys_rule_of, mw_sysbounce_plain.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>

#include "sys/bounce.h"
#include "sys/call.h"
#include "sys/quick.h"
#include "sys/rules.h"
#include "sys/waitmask.h"
#include "threads/perthread.h"
#include "watch/pagemap.h"

#define NR_QUICK 512
#define GRO __attribute__((target("general-regs-only")))

enum { Q_SLOW, Q_DIRECT, Q_CHECK, Q_FUTEX };

/* Per call number: what the quick look may decide, and for Q_CHECK the
 * buffers, as the rule gives them (only kinds whose bounds come from the
 * arguments alone). */
static struct quick {
	uint8_t cls;
	struct param p[4];
} quick[NR_QUICK];

static const uint8_t *map;

static bool simple(const struct param *p)
{
	return p->kind == K_NONE || p->kind == K_FIXED || p->kind == K_ARG || p->kind == K_RET ||
	       p->kind == K_STR;
}

void mw_sys_quick_init(void)
{
	map = mw_pagemap_base();
	for (long nr = 0; nr < NR_QUICK; nr++) {
		const struct rule *ru = mw_sys_rule_of(nr);
		struct quick *q = &quick[nr];
		bool ok = true;

		q->cls = Q_SLOW;
		switch (nr) {
		/* What mw_sysbounce_perform does more than a rule says. */
		case SYS_munmap: case SYS_mremap: case SYS_mmap: case SYS_brk: case SYS_mprotect:
		case SYS_pkey_mprotect: case SYS_madvise:
			continue;
		case SYS_futex:
			q->cls = Q_FUTEX;
			continue;
		default:
			break;
		}
		if (!mw_sysbounce_plain(nr))
			continue;
		if (!ru) {
			q->cls = Q_DIRECT;
			continue;
		}
		for (int i = 0; i < 4; i++)
			ok &= simple(&ru->p[i]);
		if (!ok)
			continue;
		memcpy(q->p, ru->p, sizeof(q->p));
		q->cls = Q_CHECK;
	}
}

/* Whether a page of [lo, lo + n) faults for the library (the map's bits).
 * Addresses beyond the map cannot be watched. */
GRO static bool watched(uintptr_t lo, uint64_t n)
{
	uintptr_t first = lo >> 12, last;

	if (!n || lo >= (1ull << 47))
		return false;
	if (n > (1ull << 47) - lo)
		n = (1ull << 47) - lo;
	last = (lo + n - 1) >> 12;
	for (uintptr_t p = first; p <= last; p++)
		if ((map[p >> 2] >> ((p & 3) * 2)) & 3)
			return true;
	return false;
}

GRO int mw_sys_quick(long nr, const long a[6])
{
	const struct quick *q;

	if (nr < 0 || nr >= NR_QUICK || !map || !mw_thread_dispatching())
		return 0;
	q = &quick[nr];
	if (mw_sys_waitmask_read(nr, a))
		return 0;
	switch (q->cls) {
	case Q_DIRECT:
		break;
	case Q_FUTEX:
		/* Waits and wakes on a word of its own page: as is. */
		switch (a[1] & 0x7f) {
		case 0: case 1: case 9: case 10:        /* WAIT, WAKE, WAIT_BITSET, WAKE_BITSET */
			if (watched((uintptr_t)a[0], 4))
				return 0;
			break;
		default:
			return 0;
		}
		break;
	case Q_CHECK:
		for (int i = 0; i < 4 && q->p[i].kind; i++) {
			const struct param *p = &q->p[i];
			uint64_t n = p->kind == K_FIXED ? p->size :
				     p->kind == K_STR ? STR_MAX :
				     (uint64_t)a[p->x] * p->size;

			if ((p->kind == K_ARG || p->kind == K_RET) &&
			    (uint64_t)a[p->x] > (1ull << 47))
				return 0;
			if (watched((uintptr_t)a[p->arg], n))
				return 0;
		}
		break;
	default:
		return 0;
	}
	return 1;
}

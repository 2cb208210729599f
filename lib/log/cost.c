/* SPDX-License-Identifier: MIT */
/*
 * cost.c - counting the faults no watch counted and the dispatched system
 * calls (see cost.h).
 * Fault path (mw_cost_neighbour, mw_cost_fault, mw_cost_syscall): C11
 * atomics, mw_table_each, clock_gettime.  Nothing else.  [any]
 * mw_cost_fold: atomics, mw_arch_patch_fold.
 */
#include <stdatomic.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "arch/arch.h"
#include "log/cost.h"
#include "watch/table.h"
#include "base/sigsafe.h"

static struct mw_cost own __attribute__((aligned(64)));
struct mw_cost *mw_cost_area = &own;
static uintptr_t page = 4096;

/* Per thread: when its last fault and its last dispatched call were
 * counted (initial-exec: nothing allocated on first use in a handler);
 * `timing`, set while this thread reads the clock in the SIGSYS handler:
 * a clock without a vDSO makes a system call, dispatched too. */
static __thread uint64_t last_fault __attribute__((tls_model("initial-exec")));
static __thread uint64_t last_sys __attribute__((tls_model("initial-exec")));
static __thread int timing __attribute__((tls_model("initial-exec")));

static void setup(struct mw_cost *c)
{
	memset(c, 0, sizeof(*c));
	c->version = 1;
	c->npcs = MW_COST_PCS;
	c->nwatches = MW_COST_WATCHES;
	c->nsys = MW_COST_SYS;
	/* release: a reader that sees the magic sees the sizes. */
	atomic_thread_fence(memory_order_release);
	c->magic = MW_COST_MAGIC;
}

void mw_cost_use(struct mw_cost *area)
{
	long p = sysconf(_SC_PAGESIZE);

	if (p > 0)
		page = (uintptr_t)p;
	mw_cost_area = area ? area : &own;
	setup(mw_cost_area);
}

void mw_cost_clear(void)
{
	setup(mw_cost_area);
}

static uint64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* *LEAST = min(*LEAST, the time since *LAST), *LAST = NOW.  Returns that
 * time, capped at MW_COST_CAP least ones (0 for a thread's first). */
static uint64_t gap(_Atomic uint64_t *least, uint64_t *last, uint64_t now)
{
	uint64_t d = now - *last, cur = 0;

	if (*last && now > *last) {
		/* relaxed: a statistic; the CAS only keeps the least. */
		cur = atomic_load_explicit(least, memory_order_relaxed);
		while ((cur == 0 || d < cur) &&
		       !atomic_compare_exchange_weak_explicit(least, &cur, d, memory_order_relaxed,
							      memory_order_relaxed))
			;
		if (cur && d > MW_COST_CAP * cur)
			d = MW_COST_CAP * cur;
	} else {
		d = 0;
	}
	*last = now;
	return d;
}

void mw_cost_fault(uint64_t now)
{
	gap(&mw_cost_area->fault_ns, &last_fault, now);
}

static void count_watch(struct mw_watch_obj *w, void *arg)
{
	struct mw_cost *c = arg;
	uint64_t id = (uint64_t)w->id;
	unsigned h = (unsigned)(id * 0x9e3779b97f4a7c15ull >> 58) % MW_COST_WATCHES;

	for (int i = 0; i < MW_COST_WATCHES; i++) {
		struct mw_cost_watch *e = &c->watch[(h + i) % MW_COST_WATCHES];
		uint64_t cur = atomic_load_explicit(&e->id, memory_order_relaxed);

		if (cur == 0 && atomic_compare_exchange_strong_explicit(&e->id, &cur, id,
									 memory_order_relaxed,
									 memory_order_relaxed))
			cur = id;
		if (cur == id) {
			atomic_fetch_add_explicit(&e->faults, 1, memory_order_relaxed);
			return;
		}
	}
	atomic_fetch_add_explicit(&c->watches_lost, 1, memory_order_relaxed);
}

struct lowest {
	struct mw_cost *c;
	uint64_t id;
};

static void each_watch(struct mw_watch_obj *w, void *arg)
{
	struct lowest *l = arg;

	count_watch(w, l->c);
	if (!l->id || (uint64_t)w->id < l->id)
		l->id = (uint64_t)w->id;
}

/* The entry of PC (claimed with ADDR and WATCH if it has none), or NULL:
 * the table is full. */
static struct mw_cost_pc *pc_entry(struct mw_cost *c, uintptr_t pc, uintptr_t addr, uint64_t watch)
{
	unsigned h = (unsigned)((uint64_t)pc * 0x9e3779b97f4a7c15ull >> 57) % MW_COST_PCS;

	/* Claimed by the first fault of a pc (CAS from 0), found by linear
	 * probing.  relaxed everywhere: readers want counts, no ordering; an
	 * entry whose pc is seen before its address reads as one without an
	 * address for that instant. */
	for (int i = 0; i < 16; i++) {
		struct mw_cost_pc *e = &c->pc[(h + i) % MW_COST_PCS];
		uint64_t cur = atomic_load_explicit(&e->pc, memory_order_relaxed);

		if (cur == 0 && atomic_compare_exchange_strong_explicit(&e->pc, &cur, pc,
									 memory_order_relaxed,
									 memory_order_relaxed)) {
			atomic_store_explicit(&e->addr, addr, memory_order_relaxed);
			atomic_store_explicit(&e->watch, watch, memory_order_relaxed);
			cur = pc;
		}
		if (cur == pc)
			return e;
	}
	return NULL;
}

void mw_cost_neighbour(const struct mw_snapshot *snap, uintptr_t pc, uintptr_t addr)
{
	struct mw_cost *c = mw_cost_area;
	uintptr_t lo = addr & ~(page - 1);
	struct lowest l = { c, 0 };
	struct mw_cost_pc *e;

	atomic_fetch_add_explicit(&c->faults, 1, memory_order_relaxed);
	mw_table_each(snap, lo, lo + page, each_watch, &l);
	atomic_fetch_add_explicit(&c->fault_sum, gap(&c->fault_ns, &last_fault, now_ns()),
				  memory_order_relaxed);
	e = pc_entry(c, pc, addr, l.id);
	if (e)
		atomic_fetch_add_explicit(&e->faults, 1, memory_order_relaxed);
	else
		atomic_fetch_add_explicit(&c->pcs_lost, 1, memory_order_relaxed);
}

static void add_runs(uintptr_t pc, uint64_t n, void *arg)
{
	struct mw_cost *c = arg;
	struct mw_cost_pc *e = pc_entry(c, pc, 0, 0);

	atomic_fetch_add_explicit(&c->stub_runs, n, memory_order_relaxed);
	if (e)
		atomic_fetch_add_explicit(&e->faults, n, memory_order_relaxed);
}

void mw_cost_fold(void)
{
	mw_arch_patch_fold(add_runs, mw_cost_area);
}

void mw_cost_syscall(long nr)
{
	struct mw_cost *c = mw_cost_area;
	unsigned long i = nr < 0 || nr >= MW_COST_SYS ? MW_COST_SYS - 1 : (unsigned long)nr;

	atomic_fetch_add_explicit(&c->syscalls, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&c->sys[i], 1, memory_order_relaxed);
	if (!timing) {
		timing = 1;
		atomic_fetch_add_explicit(&c->syscall_sum, gap(&c->syscall_ns, &last_sys, now_ns()),
					  memory_order_relaxed);
		timing = 0;
	}
}

uint64_t mw_cost_watch_faults(int id)
{
	struct mw_cost *c = mw_cost_area;

	for (int i = 0; i < MW_COST_WATCHES; i++)
		if (atomic_load_explicit(&c->watch[i].id, memory_order_relaxed) == (uint64_t)id)
			return atomic_load_explicit(&c->watch[i].faults, memory_order_relaxed);
	return 0;
}

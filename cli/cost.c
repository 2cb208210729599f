/* SPDX-License-Identifier: MIT */
/*
 * cost.c - what watching cost that no record shows, from the counters the
 * library kept in the shared file (lib/log/cost.h): faults on neighbours
 * of the watched bytes, by watch and by instruction, and system calls
 * dispatched, by number; and one line of advice when either dominates.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/*
 * Their time is an estimate (lib/log/cost.h): for each, the time since its
 * thread's previous fault (call), at most 4 times the least such time.
 * With this many it means something; fewer are not said in time, nor said
 * to dominate.
 */
#define MANY 1000

/* A time in ns as "812 us", "45 ms", "12.7 s". */
static void say_time(char *buf, size_t len, uint64_t ns)
{
	if (ns < 1000000)
		snprintf(buf, len, "%" PRIu64 " us", ns / 1000);
	else if (ns < 1000000000)
		snprintf(buf, len, "%" PRIu64 " ms", ns / 1000000);
	else
		snprintf(buf, len, "%.1f s", (double)ns / 1e9);
}

static void say_each(char *buf, size_t len, uint64_t ns)
{
	snprintf(buf, len, "%.1f us", (double)ns / 1e3);
}

static const struct mw_cost *area(const struct mwc_log *log)
{
	const struct mw_cost *c;

	if (!log->map || log->map_len < MW_SHARE_HDR)
		return NULL;
	c = (const struct mw_cost *)((const char *)log->map + MW_SHARE_COST);
	if (c->magic != MW_COST_MAGIC || c->version != 1 || c->npcs != MW_COST_PCS ||
	    c->nwatches != MW_COST_WATCHES || c->nsys != MW_COST_SYS)
		return NULL;
	return c;
}

static int by_faults(const void *a, const void *b)
{
	const struct mw_cost_pc *x = a, *y = b;
	uint64_t m = x->faults, n = y->faults;

	return m != n ? (m > n ? -1 : 1) : (x->pc < y->pc ? -1 : x->pc > y->pc);
}

struct sysn {
	long nr;
	uint64_t n;
};

static int by_calls(const void *a, const void *b)
{
	const struct sysn *x = a, *y = b;

	return x->n != y->n ? (x->n > y->n ? -1 : 1) : (x->nr > y->nr) - (x->nr < y->nr);
}

/* The -w spec of watch ID, or "". */
static const char *spec_of(const struct mwc_log *log, const struct mwc_watch *w, int nw,
			   uint64_t id)
{
	for (int i = 0; i < nw && (uint64_t)i < log->hdr->nwatches; i++)
		if (log->hdr->watch[i].id > 0 && (uint64_t)log->hdr->watch[i].id == id)
			return w[i].spec;
	return "";
}

static void neighbours(FILE *out, const struct mwc_log *log, const struct mw_cost *c,
		       const struct mwc_watch *w, int nw)
{
	uint64_t n = c->faults, sum = c->fault_sum, stub = c->stub_runs;
	struct mw_cost_pc pcs[MW_COST_PCS];
	struct mw_symbolizer *sym;
	char t[32], e[32], where[1024], what[1024];
	size_t np = 0;

	if (!n && !stub)
		return;
	if (!n) {
		/* Nothing faulted: said below. */
	} else if (sum && n >= MANY) {
		say_time(t, sizeof(t), sum);
		say_each(e, sizeof(e), sum / n);
		fprintf(out, "memwatch: %" PRIu64 " fault%s on watched pages touched no byte a watch "
			"counts (no record), about %s (%s each)\n", n, n == 1 ? "" : "s", t, e);
	} else {
		fprintf(out, "memwatch: %" PRIu64 " fault%s on watched pages touched no byte a watch "
			"counts (no record)\n", n, n == 1 ? "" : "s");
	}
	/* Patched instructions' accesses beside the watched bytes, run in
	 * their stubs: no fault, tens of nanoseconds each; in the counts by
	 * instruction below, not by watch. */
	if (stub && n)
		fprintf(out, "memwatch: and %" PRIu64 " such access%s ran in patched instructions' "
			"stubs, without a fault\n", stub, stub == 1 ? "" : "es");
	else if (stub)
		fprintf(out, "memwatch: %" PRIu64 " access%s to watched pages touched no byte a watch "
			"counts (no record), in patched instructions' stubs, without a fault\n",
			stub, stub == 1 ? "" : "es");
	for (int i = 0; i < MW_COST_WATCHES; i++)
		if (c->watch[i].id && c->watch[i].faults)
			fprintf(out, "memwatch:   on the pages of watch %" PRIu64 " (%s): %" PRIu64 "\n",
				(uint64_t)c->watch[i].id, spec_of(log, w, nw, c->watch[i].id),
				(uint64_t)c->watch[i].faults);
	for (int i = 0; i < MW_COST_PCS; i++)
		if (c->pc[i].pc && c->pc[i].faults)
			memcpy(&pcs[np++], &c->pc[i], sizeof(pcs[0]));
	qsort(pcs, np, sizeof(pcs[0]), by_faults);
	sym = mwc_symbolizer(log);
	for (size_t i = 0; i < np && i < 5; i++) {
		mw_symbolize(sym, pcs[i].pc, 1, 0, where, sizeof(where));
		mw_symbolize(sym, pcs[i].addr, 0, 0, what, sizeof(what));
		fprintf(out, "memwatch:   %" PRIu64 " by 0x%" PRIx64 " %s, touching 0x%" PRIx64 " %s\n",
			(uint64_t)pcs[i].faults, (uint64_t)pcs[i].pc, where, (uint64_t)pcs[i].addr, what);
	}
	if (np > 5 || c->pcs_lost)
		fprintf(out, "memwatch:   and %zu other instruction%s\n", np > 5 ? np - 5 : 0,
			np - 5 == 1 ? "" : "s");
	/* They dominate: more of them than accesses the watches counted.
	 * Faults cost (move the neighbour); stub runs are only a hint. */
	int faults = n >= MANY && n > log->last_seq;

	if (np && (faults || (n + stub >= MANY && n + stub > log->last_seq))) {
		const char *spec = spec_of(log, w, nw, pcs[0].watch);

		mw_symbolize(sym, pcs[0].pc, 1, 0, where, sizeof(where));
		mw_symbolize(sym, pcs[0].addr, 0, 0, what, sizeof(what));
		fprintf(out, "memwatch: %s a neighbour: 0x%" PRIx64 " %s, on the page of watch %" PRIu64
			" (%s), is hot (%" PRIu64 " by %s)%s\n",
			faults ? "most faults were on" : "most accesses to watched pages were to",
			(uint64_t)pcs[0].addr, what, (uint64_t)pcs[0].watch, spec,
			(uint64_t)pcs[0].faults, where,
			faults ? ": watch a copy of the watched variable, or move it or its neighbour "
				 "to a page of its own" :
				 "; they ran in a patched instruction's stub and cost little");
	}
	mw_symbolizer_close(sym);
}

static void syscalls(FILE *out, const struct mwc_log *log, const struct mw_cost *c, int all)
{
	uint64_t n = c->syscalls, sum = c->syscall_sum;
	uint64_t faults = log->last_seq + c->faults;
	struct sysn s[MW_COST_SYS];
	size_t ns = 0;
	char t[32], e[32];
	int dominate = n >= MANY && n > faults;

	if (!n || (!all && !dominate))
		return;
	for (int i = 0; i < MW_COST_SYS; i++)
		if (c->sys[i]) {
			s[ns].nr = i;
			s[ns++].n = c->sys[i];
		}
	qsort(s, ns, sizeof(s[0]), by_calls);
	fprintf(out, "memwatch: %" PRIu64 " system call%s dispatched (one SIGSYS each while watches "
		"exist)", n, n == 1 ? "" : "s");
	if (sum && n >= MANY) {
		say_time(t, sizeof(t), sum);
		say_each(e, sizeof(e), sum / n);
		fprintf(out, ", about %s (%s each)", t, e);
	}
	for (size_t i = 0; i < ns && i < 5; i++) {
		const char *name = s[i].nr < MW_COST_SYS - 1 ? mw_syscall_name(s[i].nr) : NULL;

		if (s[i].nr == MW_COST_SYS - 1)
			fprintf(out, "%s others %" PRIu64, i ? "," : ":", s[i].n);
		else if (name)
			fprintf(out, "%s %s %" PRIu64, i ? "," : ":", name, s[i].n);
		else
			fprintf(out, "%s #%ld %" PRIu64, i ? "," : ":", s[i].nr, s[i].n);
	}
	fprintf(out, "%s\n", ns > 5 ? ", ..." : "");
	if (dominate)
		fprintf(out, "memwatch: most of the cost is system calls: with MEMWATCH_SYSCALLS=0 in "
			"the environment they run at full speed, but the kernel's accesses to watched "
			"memory are then neither performed nor logged (a call that touches a watched "
			"page fails with EFAULT)\n");
}

void mwc_costs(FILE *out, const struct mwc_log *log, const struct mwc_watch *w, int nw,
	       int all)
{
	const struct mw_cost *c = area(log);

	if (!c)
		return;
	neighbours(out, log, c, w, nw);
	syscalls(out, log, c, all);
}

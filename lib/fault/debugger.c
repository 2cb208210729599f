/* SPDX-License-Identifier: MIT */
/*
 * debugger.c - the fault path's side of the debugger interface (see
 * debugger.h and memwatch-gdb(7)): the variables a debugger sets, the
 * empty functions it puts breakpoints on, and the watch stops: per watch,
 * an address of code of the library's own that a debugger's breakpoint
 * (the watch's, in GDB's list) sits on.
 * Fault path: mw_gdb_after_access, mw_gdb_after_access_at,
 * mw_gdb_before_crash, and keep_write (log/record.c's mw_record_keep):
 * reads of the variables below and of the log (mw_ring_read,
 * mw_ring_head), mw_table_enter/exit/peek, mw_tid, mw_arch_pc/set_pc,
 * and calls of the empty hook functions only.
 * mw_gdb_stops_setup, mw_gdb_watch_*: debugger calls (all threads
 * stopped), thread context (mmap, mprotect).
 */
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include "arch/arch.h"
#include "base/tid.h"
#include "fault/debugger.h"
#include "log/record.h"
#include "log/ring.h"
#include "watch/table.h"
#include "base/sigsafe.h"

#define MW_DEBUGGER __attribute__((visibility("default"), used))

/* Set by the debugger: 0 record only; MW_GDB_STOP_CHANGES stop after a
 * read a watch catches and after a write that changes the value (as GDB's
 * `watch`); MW_GDB_STOP_EVERY after every access (mwatch-stop on|every). */
MW_DEBUGGER volatile int mw_gdb_stop_mode;
/* Set by the debugger: genuine faults go through mw_gdb_crash_hook. */
MW_DEBUGGER volatile int mw_gdb_attached;
/* Set by the debugger in the crash hook's breakpoint: re-execute. */
MW_DEBUGGER volatile int mw_gdb_refault;

/* The watch stops.  Slot K's code (at mw_gdb_stops + K * MW_GDB_STOP_SIZE,
 * made by mw_gdb_stops_setup) jumps to where the thread resumes, kept in
 * stop_tls[0]; stop_tls[1] is the record the stop reports.  A debugger
 * reads both at its breakpoint there (thread pointer + mw_gdb_stop_tls),
 * moves the thread's pc to the first, and the program stops in its own
 * frame with a single debugger stop after the SIGSEGV's. */
static __thread uint64_t stop_tls[2] __attribute__((tls_model("initial-exec")));
MW_DEBUGGER uintptr_t mw_gdb_stops;
MW_DEBUGGER long mw_gdb_stop_tls;
/* Where the stop code goes: a page of the library's own (its .bss, made
 * executable by mapping a page over it), at the same offset from the
 * library in every process, so that a debugger's breakpoints there are in
 * the library: GDB keeps them across a re-run (pending until the library
 * is loaded, then moved with it), numbers, commands and all. */
MW_DEBUGGER __attribute__((aligned(4096))) uint8_t
	mw_gdb_stop_area[MW_GDB_SLOTS * MW_GDB_STOP_SIZE];

/* The reports of the last stops, by seq (& MW_GDB_REPORTS - 1): the
 * debugger prints a stop's without reading the log (text1, the address as
 * it names it, text2).  Texts left empty: a condition of the debugger's
 * decides whether to report. */
struct stop_report {
	uint64_t addr;
	char text1[96];
	char text2[152];
};
MW_DEBUGGER struct stop_report mw_gdb_reports[MW_GDB_REPORTS];

/* Per slot, what the debugger asked for its watch (0: a free slot). */
struct stop_conf {
	int id;
	int bp;                 /* the debugger's breakpoint number, for lists */
	unsigned flags;         /* the watch's kinds, MW_READ | MW_WRITE */
	uint8_t op;             /* MW_GDB_COND_*, 0: none */
	uint8_t width;          /* of the watched value: 1, 2, 4 or 8 */
	uint8_t is_signed;
	uint8_t gdb_cond;       /* the debugger tests a condition of its own */
	uint8_t always;         /* stops in record-only mode too (what a
				 * followed expression depends on) */
	uint8_t bit_off;        /* a bitfield: its first bit in the value, */
	uint8_t bit_len;        /* its bits (0: not a bitfield), */
	uint8_t bit_signed;     /* and whether its type is signed */
	uint64_t start;         /* the watched value's address */
	int64_t value;          /* the condition's constant */
};
static struct stop_conf confs[MW_GDB_SLOTS];
/* How many of them stop in record-only mode too. */
static int n_always;

/* The debugger's breakpoints.  noinline and an asm barrier: a call that
 * really happens, at an address GDB can find by name. */
MW_DEBUGGER __attribute__((noinline)) void mw_gdb_stop_hook(uint64_t seq, uint64_t resume_pc,
							     uint64_t tid, uint64_t why,
							     uint64_t pc)
{
	__asm__ volatile("" : : "r"(seq), "r"(resume_pc), "r"(tid), "r"(why), "r"(pc)
			 : "memory");
}

MW_DEBUGGER __attribute__((noinline)) void mw_gdb_crash_hook(uint64_t addr, uint64_t pc)
{
	__asm__ volatile("" : : "r"(addr), "r"(pc) : "memory");
}

static int conf_of(int id)
{
	for (int k = 0; k < MW_GDB_STEP_SLOT; k++)
		if (confs[k].id == id)
			return k;
	return -1;
}

/* The watch's value now holds the condition of slot K (1), or not (0). */
static int cond_holds(const struct stop_conf *c)
{
	unsigned slot;
	const struct mw_snapshot *s = mw_table_enter(&slot);
	uint64_t u = 0;
	int64_t v;
	size_t got = mw_table_peek(s, (uintptr_t)c->start, &u, c->width);

	mw_table_exit(slot);
	if (got != c->width)
		return 1;       /* cannot tell: stop, as GDB would to say so */
	if (c->is_signed) {
		unsigned sh = 64 - 8 * c->width;

		v = (int64_t)(u << sh) >> sh;
		switch (c->op) {
		case MW_GDB_COND_EQ: return v == c->value;
		case MW_GDB_COND_NE: return v != c->value;
		case MW_GDB_COND_LT: return v < c->value;
		case MW_GDB_COND_LE: return v <= c->value;
		case MW_GDB_COND_GT: return v > c->value;
		case MW_GDB_COND_GE: return v >= c->value;
		}
	} else {
		uint64_t w = (uint64_t)c->value;

		switch (c->op) {
		case MW_GDB_COND_EQ: return u == w;
		case MW_GDB_COND_NE: return u != w;
		case MW_GDB_COND_LT: return u < w;
		case MW_GDB_COND_LE: return u <= w;
		case MW_GDB_COND_GT: return u > w;
		case MW_GDB_COND_GE: return u >= w;
		}
	}
	return 1;
}

/* The watch's kinds, from the table, for watches the debugger did not make. */
static unsigned table_flags(int id)
{
	unsigned slot, flags = MW_READ | MW_WRITE;
	const struct mw_snapshot *s = mw_table_enter(&slot);

	const struct mw_watch_obj *w = mw_table_by_id(id);

	(void)s;
	if (w)
		flags = w->flags;
	mw_table_exit(slot);
	return flags;
}

/* A bitfield watch's field before and after write R: the watched bytes
 * now (after the write), with R's old (new) bytes over them. */
static void field_values(const struct mw_record *r, const struct stop_conf *c, uint64_t *oldf,
			 uint64_t *newf)
{
	unsigned slot;
	const struct mw_snapshot *s = mw_table_enter(&slot);
	uint64_t cur = 0, old, new;
	uint64_t mask = c->bit_len >= 64 ? ~0ull : (1ull << c->bit_len) - 1;
	uint64_t off = r->addr - c->start;

	mw_table_peek(s, (uintptr_t)c->start, &cur, c->width);
	mw_table_exit(slot);
	old = new = cur;
	for (unsigned i = 0; i < r->value_len && off + i < c->width; i++) {
		((uint8_t *)&old)[off + i] = r->old_value[i];
		((uint8_t *)&new)[off + i] = r->new_value[i];
	}
	*oldf = (old >> c->bit_off) & mask;
	*newf = (new >> c->bit_off) & mask;
}

/* mw_record_keep while a bitfield watch exists: a write of a bitfield's
 * bytes is logged (and may stop) only if it changes the field's bits,
 * not when the instruction rewrites them with a neighbour's. */
static int keep_write(int watch, uintptr_t lo, const uint8_t *old, const uint8_t *new, size_t n)
{
	struct mw_record r = { .addr = lo, .value_len = (uint8_t)n };
	int k = conf_of(watch);
	uint64_t o, v;

	if (k < 0 || !confs[k].bit_len || n > sizeof(r.old_value))
		return 1;
	memcpy(r.old_value, old, n);
	memcpy(r.new_value, new, n);
	field_values(&r, &confs[k], &o, &v);
	return o != v;
}

/* Whether record R (of this access) makes the program stop. */
static int wants_stop(const struct mw_record *r, const struct stop_conf *c)
{
	unsigned flags = c ? c->flags : table_flags(r->watch);

	if (!mw_gdb_stop_mode && !(c && c->always))
		return 0;
	/* A bitfield: a write stops when its bits change, not when the
	 * instruction rewrites them with a neighbour's. */
	if (c && c->bit_len && (r->kind & MW_KIND_WRITE) && !(r->flags & (MW_REC_CUT | MW_REC_NOOLD))) {
		uint64_t o, n;

		field_values(r, c, &o, &n);
		if (o == n)
			return 0;
	}

	if (!((r->kind & MW_KIND_READ) && (flags & MW_READ)) &&
	    mw_gdb_stop_mode != MW_GDB_STOP_EVERY && !(r->flags & (MW_REC_CUT | MW_REC_NOOLD)) &&
	    memcmp(r->old_value, r->new_value, r->value_len) == 0)
		return 0;       /* a write of the value it had: as GDB's watch */
	return !c || !c->op || cond_holds(c);
}

/* --- the report's text (async-signal-safe) -------------------------------- */

struct out {
	char *p, *end;
};

static void put(struct out *o, const char *s)
{
	while (*s && o->p < o->end)
		*o->p++ = *s++;
}

static void put_u(struct out *o, uint64_t v)
{
	char b[24];
	int n = 0;

	do
		b[n++] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	while (n && o->p < o->end)
		*o->p++ = b[--n];
}

static void put_i(struct out *o, int64_t v)
{
	if (v < 0) {
		put(o, "-");
		put_u(o, (uint64_t)0 - (uint64_t)v);
	} else {
		put_u(o, (uint64_t)v);
	}
}

/* As the GDB file's mw--bytes: an integer too for 1, 2, 4 or 8 bytes,
 * then at most 16 bytes in hex. */
static void put_value(struct out *o, const uint8_t *b, unsigned len)
{
	static const char hex[] = "0123456789abcdef";
	int num = len == 1 || len == 2 || len == 4 || len == 8;

	if (num) {
		uint64_t u = 0;
		unsigned sh = 64 - 8 * len;

		memcpy(&u, b, len);
		put_i(o, (int64_t)(u << sh) >> sh);
		put(o, " (");
	}
	for (unsigned i = 0; i < len && i < 16; i++) {
		char h[4] = { hex[b[i] >> 4], hex[b[i] & 15], 0, 0 };

		if (i)
			put(o, " ");
		put(o, h);
	}
	if (len > 16)
		put(o, "...");
	if (num)
		put(o, ")");
}

/* A bitfield's value, as its type has it. */
static void put_field(struct out *o, const struct stop_conf *c, uint64_t v)
{
	if (c->bit_signed && c->bit_len < 64 && (v >> (c->bit_len - 1) & 1))
		put_i(o, (int64_t)(v | ~((1ull << c->bit_len) - 1)));
	else
		put_u(o, v);
}

static void make_report(const struct mw_record *r, const struct stop_conf *c, int empty)
{
	struct stop_report *t = &mw_gdb_reports[r->seq & (MW_GDB_REPORTS - 1)];
	struct out o = { t->text1, t->text1 + sizeof(t->text1) - 1 };
	unsigned kind = r->kind & (MW_KIND_READ | MW_KIND_WRITE);

	t->addr = r->addr;
	if (empty) {
		t->text1[0] = t->text2[0] = 0;
		return;
	}
	put(&o, "\nmemwatch: watch ");
	put_i(&o, r->watch);
	put(&o, kind == MW_KIND_READ ? ": read" : kind == MW_KIND_WRITE ? ": write" :
	    ": read-modify-write");
	put(&o, " of ");
	put_u(&o, r->size);
	put(&o, " bytes at ");
	*o.p = 0;
	o.p = t->text2;
	o.end = t->text2 + sizeof(t->text2) - 1;
	if (c && c->bit_len && (kind & MW_KIND_WRITE) && !(r->flags & (MW_REC_CUT | MW_REC_NOOLD))) {
		uint64_t ov, nv;

		field_values(r, c, &ov, &nv);
		put(&o, "\nOld value = ");
		put_field(&o, c, ov);
		put(&o, "\nNew value = ");
		put_field(&o, c, nv);
		put(&o, "\n");
		*o.p = 0;
		return;
	}
	if (kind & MW_KIND_WRITE) {
		put(&o, "\nOld value = ");
		put_value(&o, r->old_value, r->value_len);
		put(&o, "\nNew value = ");
	} else {
		put(&o, "\nValue = ");
	}
	put_value(&o, r->new_value, r->value_len);
	put(&o, "\n");
	*o.p = 0;
}

/* Of the records this access made from SEQ on (the thread's own, at PC;
 * other threads' may come between), the first that stops the program:
 * its seq into *STOP_SEQ, and its watch's slot (-1: none), or 0 if none
 * stops. */
static int stop_for(uint64_t seq, uint64_t pc, uint64_t *stop_seq, int *slot)
{
	struct mw_record r;
	uint32_t tid = (uint32_t)mw_tid();
	uint64_t head = mw_ring_head();

	for (uint64_t s = seq; s <= head && s < seq + 16; s++) {
		if (mw_ring_read(s, &r) != 1 || r.tid != tid || r.pc != pc)
			continue;
		int k = conf_of(r.watch);

		if (wants_stop(&r, k >= 0 ? &confs[k] : NULL)) {
			make_report(&r, k >= 0 ? &confs[k] : NULL, k >= 0 && confs[k].gdb_cond);
			*stop_seq = s;
			*slot = k;
			return 1;
		}
	}
	return 0;
}

void mw_gdb_after_access(uint64_t seq, int under_break, uint64_t pc, uint64_t resume_pc)
{
	uint64_t why = 0, stop_seq = 0;
	int slot;

	if (seq && (mw_gdb_stop_mode || n_always) && stop_for(seq, pc, &stop_seq, &slot))
		why |= MW_GDB_REPORT;
	/* GDB's breakpoint on the instruction: GDB is stepping it, or stepping
	 * the thread off a breakpoint there, and passed the SIGSEGV expecting
	 * the handler to return to the instruction, onto its breakpoint.  The
	 * thread resumes after it instead and would run away from the step:
	 * GDB must take over there, whatever the access (also one that made
	 * no record: unwatched bytes of a watched page). */
	if (under_break && mw_gdb_attached)
		why |= MW_GDB_STEPPED;
	if (why)
		mw_gdb_stop_hook(stop_seq, resume_pc, (uint64_t)mw_tid(), why, pc);
}

void mw_gdb_after_access_at(uint64_t seq, int under_break, uint64_t pc, void *uc)
{
	uint64_t stop_seq = 0, resume = (uint64_t)mw_arch_pc(uc);
	int slot = -1, report = 0;

	if (!mw_gdb_stops) {
		mw_gdb_after_access(seq, under_break, pc, resume);
		return;
	}
	if (seq && (mw_gdb_stop_mode || n_always))
		report = stop_for(seq, pc, &stop_seq, &slot);
	/* A stop of its own: the thread leaves the handler for its watch's
	 * stop code, with the program's registers.  Also when GDB was stepping
	 * the instruction (UNDER_BREAK): the stop at the watch's breakpoint
	 * ends the step, as a watchpoint's does, and a front end (GDB/MI) sees
	 * that one stop. */
	if (report && slot >= 0) {
		stop_tls[0] = resume;
		stop_tls[1] = stop_seq;
		mw_arch_set_pc(uc, mw_gdb_stops + (uintptr_t)slot * MW_GDB_STOP_SIZE);
		return;
	}
	if (report) {
		mw_gdb_after_access(seq, under_break, pc, resume);
		return;
	}
	/* A step GDB was making, and no stop: the step stop's code, whose
	 * breakpoint takes the step on from where the thread resumes (the
	 * instruction's address is the second word); with no step of this
	 * thread to take on, it just jumps there. */
	if (under_break && mw_gdb_attached) {
		stop_tls[0] = resume;
		stop_tls[1] = pc;
		mw_arch_set_pc(uc, mw_gdb_stops + (uintptr_t)MW_GDB_STEP_SLOT * MW_GDB_STOP_SIZE);
	}
}

/* The thread (its last genuine fault) the debugger already saw once. */
static __thread uint64_t hooked_pc __attribute__((tls_model("initial-exec")));
static __thread uint64_t hooked_addr __attribute__((tls_model("initial-exec")));

int mw_gdb_before_crash(uint64_t addr, uint64_t pc)
{
	if (!mw_gdb_attached)
		return 0;
	if (hooked_pc == pc && hooked_addr == addr) {
		hooked_pc = hooked_addr = 0;    /* the re-fault: now for real */
		return 0;
	}
	mw_gdb_refault = 0;
	mw_gdb_crash_hook(addr, pc);
	if (!mw_gdb_refault)
		return 0;
	hooked_pc = pc;
	hooked_addr = addr;
	return 1;
}

/* --- debugger calls ------------------------------------------------------ */

MW_DEBUGGER uintptr_t mw_gdb_stops_setup(void)
{
	size_t size = (size_t)MW_GDB_SLOTS * MW_GDB_STOP_SIZE;
	long off = (long)((char *)stop_tls - (char *)__builtin_thread_pointer());
	uint8_t *code;

	if (mw_gdb_stops)
		return mw_gdb_stops;
	_Static_assert(sizeof(mw_gdb_stop_area) % 4096 == 0, "whole pages");
	code = mmap(mw_gdb_stop_area, size, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	if (code == MAP_FAILED)
		return 0;
	for (size_t k = 0; k < MW_GDB_SLOTS; k++)
		if (!mw_arch_tls_jump(code + k * MW_GDB_STOP_SIZE, MW_GDB_STOP_SIZE, off))
			return 0;
	if (mprotect(code, size, PROT_READ | PROT_EXEC) != 0)
		return 0;
	mw_gdb_stop_tls = off;
	mw_gdb_stops = (uintptr_t)code;
	return mw_gdb_stops;
}

MW_DEBUGGER uintptr_t mw_gdb_watch_stop(int id, unsigned flags, uint64_t start, uint64_t len)
{
	int k = conf_of(id);
	unsigned want = flags >> 8;     /* slot + 1 the debugger asks for */

	flags &= 0xff;
	if (id <= 0 || !mw_gdb_stops)
		return 0;
	if (k < 0 && want > 0 && want <= MW_GDB_STEP_SLOT && confs[want - 1].id == 0)
		k = (int)want - 1;
	if (k < 0)
		k = conf_of(0);
	if (k < 0)
		return 0;
	n_always -= confs[k].always;
	memset(&confs[k], 0, sizeof(confs[k]));
	confs[k].id = id;
	confs[k].flags = flags;
	confs[k].start = start;
	confs[k].width = len <= 8 ? (uint8_t)len : 0;
	return mw_gdb_stops + (uintptr_t)k * MW_GDB_STOP_SIZE;
}

MW_DEBUGGER int mw_gdb_watch_set(int id, int bp, int op, int is_signed, int64_t value)
{
	int gdb_cond = op < 0, always = op == -2;

	if (gdb_cond)
		op = 0;
	int k = conf_of(id);

	if (id <= 0 || k < 0)
		return -1;
	if (op) {
		uint8_t w = confs[k].width;

		if (op < MW_GDB_COND_EQ || op > MW_GDB_COND_GE || !(w == 1 || w == 2 || w == 4 || w == 8))
			return -1;
	}
	confs[k].bp = bp;
	n_always += always - confs[k].always;
	confs[k].always = (uint8_t)always;
	confs[k].gdb_cond = (uint8_t)gdb_cond;
	confs[k].op = (uint8_t)op;
	confs[k].is_signed = is_signed != 0;
	confs[k].value = value;
	return 0;
}

MW_DEBUGGER int mw_gdb_watch_bits(int id, int off, int len, int is_signed)
{
	int k = conf_of(id);

	if (id <= 0 || k < 0 || off < 0 || len <= 0 || off + len > 8 * confs[k].width)
		return -1;
	confs[k].bit_off = (uint8_t)off;
	confs[k].bit_len = (uint8_t)len;
	confs[k].bit_signed = is_signed != 0;
	mw_record_keep = keep_write;
	return 0;
}

MW_DEBUGGER int mw_gdb_watch_release(int id)
{
	int k = conf_of(id), bp;

	if (id <= 0 || k < 0)
		return 0;
	bp = confs[k].bp;
	n_always -= confs[k].always;
	memset(&confs[k], 0, sizeof(confs[k]));
	for (k = 0; k < MW_GDB_STEP_SLOT && !confs[k].bit_len; k++)
		;
	if (k == MW_GDB_STEP_SLOT)
		mw_record_keep = NULL;
	return bp;
}

/* Watch OLD_ID's slot goes to NEW_ID, a watch of the same kinds and size at
 * START (a watch of an expression that follows a pointer: the debugger
 * moved it), with its breakpoint and condition: the same stop code, so
 * the same breakpoint of the debugger's.  0, or -1. */
MW_DEBUGGER int mw_gdb_watch_rebind(int old_id, int new_id, uint64_t start)
{
	int k = conf_of(old_id);

	if (old_id <= 0 || new_id <= 0 || k < 0 || (new_id != old_id && conf_of(new_id) >= 0))
		return -1;
	confs[k].id = new_id;
	confs[k].start = start;
	return 0;
}

MW_DEBUGGER void mw_gdb_watch_conf(int id, int *bp, int *op, int64_t *value)
{
	int k = conf_of(id);

	*bp = k >= 0 && id > 0 ? confs[k].bp : 0;
	*op = k >= 0 && id > 0 ? confs[k].op : 0;
	*value = k >= 0 && id > 0 ? confs[k].value : 0;
}

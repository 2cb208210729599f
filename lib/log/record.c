/* SPDX-License-Identifier: MIT */
/*
 * record.c - log records of performed accesses (see record.h).
 * Fault path: the table, the ring, mw_unwind*, mw_loader_lock_free,
 * mw_arch_sp, mw_thread_stack_short, mw_cost_*, clock_gettime,
 * gettid, memcpy, mw_arch_gate_syscall (rt_sigprocmask).
 */
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "base/tid.h"
#include "log/cost.h"
#include "log/loader.h"
#include "log/record.h"
#include "threads/perthread.h"
#include "log/ring.h"
#include "log/unwind.h"
#include "base/sigsafe.h"

/* Set while this thread records (backtrace, clock, thread id, ring): a
 * fault inside that is the library's own access, performed but neither
 * counted nor logged.  libunwind's dynamic TLS reads the thread's DTV, which
 * glibc keeps on the heap, maybe on a watched page; its frame-pointer
 * guesses read whatever RBP points to; clock_gettime reads libc's GOT and
 * the loader's data.  Logging those would record again, and fault again,
 * until the stack overflows. */
static __thread int recording_now __attribute__((tls_model("initial-exec")));

/* The signals that may have a handler of the program's (record.h); all
 * until the dispatch knows. */
static _Atomic uint64_t handled = ~0ull;

void mw_record_handlers(uint64_t bits, int all)
{
	if (all)
		atomic_store(&handled, bits);
	else
		atomic_fetch_or(&handled, bits);
}

void mw_record_unhandled(uint64_t bits)
{
	atomic_fetch_and(&handled, ~bits);
}

/* Blocks the asynchronous signals; the mask before into *OLD.  0 or -errno. */
static long hold(uint64_t *old)
{
	uint64_t set = MW_RECORD_HELD;

	return mw_arch_gate_syscall(SYS_rt_sigprocmask, SIG_BLOCK, (long)&set, (long)old, 8, 0, 0);
}

static void unhold(const uint64_t *old)
{
	mw_arch_gate_syscall(SYS_rt_sigprocmask, SIG_SETMASK, (long)old, 0, 8, 0, 0);
}

int mw_record_hold(uint64_t *old)
{
	return (atomic_load(&handled) & MW_RECORD_HELD) && hold(old) == 0;
}

void mw_record_release(const uint64_t *old)
{
	unhold(old);
}

void mw_record_before(struct mw_fault *f)
{
	unsigned depth;
	uintptr_t dtv = mw_arch_thread_dtv();

	f->recording = !recording_now && !f->quiet && mw_table_wanted(f->snap, f->acc, f->nacc);
	if (!f->recording)
		return;
	/* A system call's access: held here.  A SIGSEGV's: by the handler's
	 * mask; a patched site's: by its caller, mw_record_hold. */
	if (f->kernel && !f->held && hold(&f->held_mask) == 0)
		f->held = 1;
	recording_now = 1;
	depth = atomic_load_explicit(&mw_ring_depth, memory_order_relaxed);
	f->nframes = 0;
	if (!depth) {
		/* no backtraces */
	} else if (f->snap->unwind_unsafe ||
		   mw_table_read_watched(f->snap, dtv - 16, dtv + 16 * 32) ||
		   !mw_loader_lock_free() ||
		   mw_unwind_interrupted(f->pc, mw_arch_sp(f->uc)) ||
		   mw_thread_stack_short(12 * 1024)) {
		/* The unwinder would read loader data on a read-watched page
		 * with signals blocked, or wait for a lock that this thread
		 * holds: the loader's (loader.h), or libunwind's (unwind.h); or
		 * the signal stack (the program's own) has no room for it. */
		f->frames[0] = f->pc;
		f->nframes = 1;
	} else {
		/* libunwind's own system calls stay dispatched: it blocks every
		 * signal around its caches, and only the dispatched
		 * rt_sigprocmask keeps SIGSEGV out of that mask, for faults its
		 * reads of watched pages (libc's data) cause meanwhile. */
		f->nframes = mw_unwind(f->pc, f->frames, (int)depth);
	}
	for (int k = 0; k < f->nacc; k++) {
		size_t n = f->acc[k].len < MW_PRE_MAX ? f->acc[k].len : MW_PRE_MAX;

		f->pre_len[k] = 0;
		if (f->acc[k].kind & MW_WRITE) {
			mw_table_peek(f->snap, f->acc[k].addr, f->pre[k], n);
			f->pre_len[k] = (uint16_t)n;
		}
	}
	recording_now = 0;
}

struct emit {
	struct mw_fault *f;
	uint64_t first;         /* seq of the first record made */
	bool counted;           /* some watch counted this instruction */
	int k;                  /* the access */
	struct timespec now;
	pid_t tid;
};

/* Set by the debugger side (fault/debugger.c) while one of its watches
 * wants only some writes (a bitfield's: those that change its bits):
 * whether the write of watch WATCH's bytes [LO, LO + N) from OLD to NEW
 * is one to count and log.  NULL: every write is. */
int (*volatile mw_record_keep)(int watch, uintptr_t lo, const uint8_t *old, const uint8_t *new,
			       size_t n);

static bool keep_write(const struct mw_fault *f, int k, int watch, uintptr_t lo, uintptr_t hi)
{
	int (*keep)(int, uintptr_t, const uint8_t *, const uint8_t *, size_t) = mw_record_keep;
	uint8_t old[MW_VALUE_MAX], new[MW_VALUE_MAX];
	size_t n = hi - lo, off = lo - f->acc[k].addr;

	if (!keep || n > MW_VALUE_MAX)
		return true;
	if (f->atomic_len && off + n <= f->atomic_len)
		memcpy(old, f->atomic_old + off, n);
	else if (off + n <= f->pre_len[k])
		memcpy(old, f->pre[k] + off, n);
	else
		return true;    /* no old value to compare with */
	mw_table_peek(f->snap, lo, new, n);
	return keep(watch, lo, old, new, n) != 0;
}

static void emit_one(struct mw_watch_obj *w, void *arg)
{
	struct emit *e = arg;
	struct mw_fault *f = e->f;
	const struct mw_access *a = &f->acc[e->k];
	uintptr_t lo = a->addr > w->start ? a->addr : w->start;
	uintptr_t hi = a->addr + a->len < w->end ? a->addr + a->len : w->end;
	struct mw_record *r;
	size_t vlen;

	if (lo >= hi || !(w->flags & a->kind))
		return;
	if ((a->kind & MW_WRITE) && !keep_write(f, e->k, w->id, lo, hi))
		return;
	/* One instruction counts once per watch, even when two of its
	 * accesses (movs: read and write) touch the same watch. */
	bool dup = false;

	for (int j = 0; j < e->k && !dup; j++)
		dup = f->acc[j].addr < w->end && f->acc[j].addr + f->acc[j].len > w->start &&
		      (w->flags & f->acc[j].kind);
	if (!dup) {
		/* relaxed: a statistic; readers want no ordering with it. */
		atomic_fetch_add_explicit(&w->count, 1, memory_order_relaxed);
		e->counted = true;
	}
	r = mw_ring_reserve();
	if (!r)
		return;
	if (!e->first)
		e->first = r->seq;
	vlen = hi - lo < MW_VALUE_MAX ? hi - lo : MW_VALUE_MAX;
	r->time_ns = (uint64_t)e->now.tv_sec * 1000000000u + (uint64_t)e->now.tv_nsec;
	r->addr = lo;
	r->pc = f->pc;
	r->tid = (uint32_t)e->tid;
	r->watch = w->id;
	r->size = (uint32_t)(hi - lo);
	r->kind = (uint8_t)(((a->kind & MW_READ) ? MW_KIND_READ : 0) |
			    ((a->kind & MW_WRITE) ? MW_KIND_WRITE : 0) |
			    (f->kernel ? MW_KIND_KERNEL : 0));
	r->flags = hi - lo > MW_VALUE_MAX ? MW_REC_CUT : 0;
	r->value_len = (uint8_t)vlen;
	r->nframes = (uint8_t)f->nframes;
	memcpy(r->frames, f->frames, (size_t)f->nframes * sizeof(f->frames[0]));
	/* The value now: written, or read (racy with other writers, as any
	 * read of shared memory is). */
	mw_table_peek(f->snap, lo, r->new_value, vlen);
	if (a->kind & MW_WRITE) {
		size_t off = lo - a->addr;

		if (f->atomic_len && off + vlen <= f->atomic_len) {
			memcpy(r->old_value, f->atomic_old + off, vlen);
			r->flags |= MW_REC_ATOMIC;
		} else if (off + vlen <= f->pre_len[e->k]) {
			memcpy(r->old_value, f->pre[e->k] + off, vlen);
		} else {
			r->flags |= MW_REC_NOOLD;     /* beyond what was read before */
			memset(r->old_value, 0, vlen);
		}
	} else {
		memset(r->old_value, 0, vlen);
	}
	mw_ring_commit(r);
}

void mw_record_gone(const struct mw_watch_obj *w, uintptr_t pc)
{
	struct mw_record *r = mw_ring_reserve();
	unsigned depth = atomic_load_explicit(&mw_ring_depth, memory_order_relaxed);
	struct timespec now;

	if (!r)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	r->time_ns = (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
	r->addr = w->start;
	r->pc = pc;
	r->tid = (uint32_t)mw_tid();
	r->watch = w->id;
	r->size = (uint32_t)(w->end - w->start);
	r->kind = MW_KIND_GONE;
	r->flags = 0;
	r->value_len = 0;
	r->nframes = 0;
	if (depth && !recording_now && mw_loader_lock_free()) {
		uint64_t frames[MW_FRAMES_MAX], old;
		int held = hold(&old) == 0;

		recording_now = 1;
		r->nframes = (uint8_t)mw_unwind(pc, frames, (int)depth);
		recording_now = 0;
		if (held)
			unhold(&old);
		memcpy(r->frames, frames, r->nframes * sizeof(frames[0]));
	}
	mw_ring_commit(r);
}

#define MATCH_MAX 64

struct matches {
	int n;
	struct mw_watch_obj *w[MATCH_MAX];
	struct emit *e;
};

static void collect(struct mw_watch_obj *w, void *arg)
{
	struct matches *m = arg;

	if (m->n < MATCH_MAX)
		m->w[m->n++] = w;
	else
		emit_one(w, m->e);      /* beyond the sort buffer: unsorted */
}

uint64_t mw_record_after(struct mw_fault *f)
{
	struct emit e;
	struct matches m;

	if (!f->recording) {
		/* Performed, counted by no watch: a neighbour of the watched
		 * bytes on their page, or a kind no watch catches; not the
		 * library's own access (recording_now), nor the kernel's. */
		if (!recording_now && !f->kernel && !f->quiet)
			mw_cost_neighbour(f->snap, f->pc, f->addr);
		return 0;
	}
	recording_now = 1;
	e.f = f;
	e.first = 0;
	e.counted = false;
	e.tid = mw_tid();
	clock_gettime(CLOCK_MONOTONIC, &e.now);
	if (!f->kernel)
		mw_cost_fault((uint64_t)e.now.tv_sec * 1000000000u + (uint64_t)e.now.tv_nsec);
	m.e = &e;
	for (e.k = 0; e.k < f->nacc; e.k++) {
		/* The records of one access come oldest watch (lowest id) first. */
		m.n = 0;
		mw_table_each(f->snap, f->acc[e.k].addr, f->acc[e.k].addr + f->acc[e.k].len,
			      collect, &m);
		for (int i = 1; i < m.n; i++)
			for (int j = i; j > 0 && m.w[j - 1]->id > m.w[j]->id; j--) {
				struct mw_watch_obj *t = m.w[j];

				m.w[j] = m.w[j - 1];
				m.w[j - 1] = t;
			}
		for (int i = 0; i < m.n; i++)
			emit_one(m.w[i], &e);
	}
	if (e.counted)
		atomic_fetch_add_explicit(&mw_table_total, 1, memory_order_relaxed);
	recording_now = 0;
	if (f->held == 1) {
		f->held = 0;
		unhold(&f->held_mask);
	}
	return e.first;
}

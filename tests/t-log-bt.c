/* SPDX-License-Identifier: MIT */
/*
 * t-log-bt.c - the backtraces of the access log.  Built with -O2
 * -fomit-frame-pointer (see tests/log.mk): the unwinder must follow the
 * unwind tables, not frame pointers.
 *
 * Each function of a call chain notes its own return address; the record of
 * the watched store in the innermost one must hold exactly those: frames[0]
 * the store's pc, then each caller's return address, innermost first, and
 * exactly as many frames as the depth asks for.
 */
#include <alloca.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "memwatch.h"
#include "tap.h"
#include "section.h"

static volatile uint64_t *target;	/* the watched word */
static uint64_t pc_store;		/* the address of the watched store */
static void *volatile ret_c, *volatile ret_b, *volatile ret_a, *volatile ret_big,
	*volatile ret_var, *volatile ret_lib;
static void *(*volatile memset_p)(void *, int, size_t) = memset;
static volatile size_t eight = 8;

#define BARRIER() __asm__ volatile("" ::: "memory")	/* no tail call before it */

/* The store, at a known address. */
__attribute__((noipa)) static void c(uint64_t v)
{
	uint64_t at;

	ret_c = __builtin_return_address(0);
	__asm__ volatile("lea 1f(%%rip), %0\n1:\tmovq %2, (%1)"
			 : "=&r"(at) : "r"(target), "r"(v) : "memory");
	pc_store = at;
}

__attribute__((noipa)) static void b(uint64_t v)
{
	ret_b = __builtin_return_address(0);
	c(v + 1);
	BARRIER();
}

__attribute__((noipa)) static void a(uint64_t v)
{
	ret_a = __builtin_return_address(0);
	b(v + 1);
	BARRIER();
}

/* A frame with a large fixed stack area. */
__attribute__((noipa)) static void big(uint64_t v)
{
	volatile char pad[3000];

	ret_big = __builtin_return_address(0);
	pad[0] = (char)v;
	pad[sizeof(pad) - 1] = (char)v;
	c(v + (uint64_t)pad[0] + (uint64_t)pad[sizeof(pad) - 1]);
	BARRIER();
}

/* A frame of variable size (alloca: it gets a frame register). */
__attribute__((noipa)) static void var(uint64_t v, size_t n)
{
	volatile char *pad = alloca(n);

	ret_var = __builtin_return_address(0);
	pad[0] = 0;
	pad[n - 1] = 0;
	big(v + (uint64_t)pad[0] + (uint64_t)pad[n - 1]);
	BARRIER();
}

/* The watched store made by libc's memset. */
__attribute__((noipa)) static void lib(void)
{
	ret_lib = __builtin_return_address(0);
	memset_p((void *)target, 0x77, eight);
	BARRIER();
}
#define LIB_MAX_SIZE 256	/* lib()'s code is smaller than that */

/* Recursion: ret_rec[n] is the return address of rec(n). */
#define REC_N 40
static void *volatile ret_rec[REC_N + 1];

__attribute__((noipa)) static void rec(int n)
{
	ret_rec[n] = __builtin_return_address(0);
	if (n == 0)
		c(1);
	else
		rec(n - 1);
	BARRIER();
}

/* ------------------------------------------------------------------ */

static struct mw_record the_rec;

static void fresh_target(void)
{
	void *pg = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int id;

	if (pg == MAP_FAILED)
		bail("mmap: %s", strerror(errno));
	target = pg;
	id = mw_watch(pg, 8, MW_WRITE);
	if (id <= 0)
		bail("mw_watch = %d (%s)", id, mw_strerror(id));
}

/* The first record after seq AFTER into the_rec; 1 if there is one. */
static int first_after(uint64_t after)
{
	struct mw_log_cursor cur;
	struct mw_record r;

	memset(&the_rec, 0, sizeof(the_rec));
	mw_log_begin(&cur);
	while (mw_log_next(&cur, &r) == 1)
		if (r.seq > after) {
			the_rec = r;
			return 1;
		}
	return 0;
}

static uint64_t last_seq(void)
{
	struct mw_log_stats st;

	if (mw_log_stats(&st))
		bail("mw_log_stats failed");
	return st.records;
}

static void show_frames(const struct mw_record *r, const uint64_t *want, int nwant)
{
	diag("  nframes %u, pc 0x%" PRIx64, r->nframes, r->pc);
	for (int i = 0; i < r->nframes && i < MW_FRAMES_MAX; i++)
		diag("  frames[%d] 0x%" PRIx64 "%s0x%" PRIx64, i, r->frames[i],
		     i < nwant ? "  want " : "", i < nwant ? want[i] : 0);
}

/* One assertion: the record's frames begin with WANT[0 .. NWANT) (0
 * entries: anything), and there are NFRAMES of them (or at least NWANT if
 * NFRAMES < 0). */
static void frames_are(const uint64_t *want, int nwant, int nframes, const char *what)
{
	const struct mw_record *r = &the_rec;
	int good = r->seq != 0 && (r->nframes == 0 || r->frames[0] == r->pc);

	if (nframes >= 0)
		good &= r->nframes == nframes;
	else
		good &= r->nframes >= nwant;
	for (int i = 0; good && i < nwant; i++)
		good &= !want[i] || r->frames[i] == want[i];
	if (!ok(good, "%s", what)) {
		if (!r->seq)
			diag("  no record");
		show_frames(r, want, nwant);
	}
}

#define U(p) ((uint64_t)(uintptr_t)(p))

static void sec_chain(void)
{
	uint64_t s, want[4];

	fresh_target();
	for (unsigned depth = 0; depth <= 5; depth++) {
		char what[160];

		mw_log_configure(0, depth);
		s = last_seq();
		a(100);
		BARRIER();
		ok(first_after(s) && the_rec.pc == pc_store && *target == 102 &&
		   the_rec.new_value[0] == 102,
		   "depth %u: a -> b -> c, c stores: the record, pc the store", depth);
		want[0] = pc_store;
		want[1] = U(ret_c);
		want[2] = U(ret_b);
		want[3] = U(ret_a);
		snprintf(what, sizeof(what), "depth %u: exactly %u frame(s)%s", depth, depth,
			 depth >= 4 ? ": pc, into b, into a, into this function, ..." :
			 depth ? ": the first of pc, into b, into a, into this function" : "");
		frames_are(want, depth < 4 ? (int)depth : 4, (int)depth, what);
	}
	mw_log_configure(0, 16);
	s = last_seq();
	a(200);
	BARRIER();
	first_after(s);
	want[0] = pc_store;
	want[1] = U(ret_c);
	want[2] = U(ret_b);
	want[3] = U(ret_a);
	frames_are(want, 4, -1, "depth 16: frames pc, into b, into a, into this function");
	ok(the_rec.nframes > 4 && the_rec.nframes <= 16,
	   "depth 16: more frames below (run_section, main, libc), 16 at most (%u)",
	   the_rec.nframes);
}
#define N_CHAIN 14

static void sec_frames(void)
{
	uint64_t s, want[5];
	Dl_info di;

	fresh_target();
	mw_log_configure(0, 16);
	s = last_seq();
	var(5, 100);
	BARRIER();
	first_after(s);
	want[0] = pc_store;
	want[1] = U(ret_c);
	want[2] = U(ret_big);
	want[3] = U(ret_var);
	frames_are(want, 4, -1, "through a 3000-byte frame and an alloca frame: "
		   "pc, into big, into var, into this function");

	s = last_seq();
	lib();
	BARRIER();
	first_after(s);
	ok(the_rec.seq && dladdr((void *)(uintptr_t)the_rec.pc, &di) && di.dli_fname &&
	   strstr(di.dli_fname, "libc.so"),
	   "a store by libc's memset: the pc is in libc (%s)",
	   the_rec.seq && dladdr((void *)(uintptr_t)the_rec.pc, &di) && di.dli_fname ?
	   di.dli_fname : "?");
	ok(the_rec.nframes >= 3 && the_rec.frames[1] > U(lib) &&
	   the_rec.frames[1] < U(lib) + LIB_MAX_SIZE && the_rec.frames[2] == U(ret_lib),
	   "its frames: memset, into lib, into this function");
	if (the_rec.nframes < 3 || the_rec.frames[2] != U(ret_lib))
		show_frames(&the_rec, NULL, 0), diag("  lib %p, its return address %p",
						     (void *)lib, ret_lib);
}
#define N_FRAMES 3

static void sec_deep(void)
{
	uint64_t s, want[MW_FRAMES_MAX];

	fresh_target();
	is_int(mw_log_configure(0, MW_FRAMES_MAX), 0, "mw_log_configure(0, MW_FRAMES_MAX)");
	s = last_seq();
	rec(REC_N);
	BARRIER();
	first_after(s);
	/* frames: the store in c, into rec(0), into rec(1), ... */
	want[0] = pc_store;
	want[1] = U(ret_c);
	for (int i = 2; i < MW_FRAMES_MAX; i++)
		want[i] = U(ret_rec[i - 2]);
	frames_are(want, MW_FRAMES_MAX, MW_FRAMES_MAX,
		   "41 nested calls, depth 32: exactly 32 frames, the innermost ones");
}
#define N_DEEP 2

int main(void)
{
#ifndef __OPTIMIZE__
	diag("built without optimization: the frames are not the ones this test is for");
#endif
	plan(N_CHAIN + N_FRAMES + N_DEEP + 3);
	run_section("a -> b -> c", N_CHAIN, sec_chain);
	run_section("unusual frames", N_FRAMES, sec_frames);
	run_section("deep recursion", N_DEEP, sec_deep);
	return done();
}

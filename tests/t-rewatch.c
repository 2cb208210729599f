/* SPDX-License-Identifier: MIT */
/*
 * t-rewatch - a first watch after the last one went, again and again: what
 * the library keeps between watches for speed (memfd space, the state of
 * system call dispatch) never shows.  Each watch counts its store and each
 * unwatch leaves the bytes exact; a page (or 64) watched right after
 * another left reads its own bytes, zeros where nothing was; a handler the program installs while nothing is
 * watched, blocking every signal, still runs watched stores at the next
 * watch (counted, the process alive), and shows the flags the program gave
 * it after the unwatch.
 */
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include "memwatch.h"
#include "tap.h"
#include "watch.h"
#include "section.h"
#include "dispatch.h"

#define CYCLES 300
#define N_CYCLES 5
#define ROUNDS 3
#define N_HANDLER (4 * ROUNDS)

static int ps;

/* Watch, store, unwatch, CYCLES times, with no other watch (each is the
 * first) and with one (each reuses what the last one left). */
static void sec_cycles(void)
{
	char *a = map_pages(4), *other = map_pages(1);
	int bad_count = 0, bad_bytes = 0, bad_fresh = 0;

	for (int pass = 0; pass < 2; pass++) {
		int keep = pass ? watch(other, 8, MW_WRITE) : 0;

		for (int i = 0; i < CYCLES; i++) {
			/* Page 1 full of its own byte, page 2 fresh (zeros, not
			 * even present): the memfd space of one is taken by the
			 * other next. */
			char *p = a + (size_t)(1 + i % 2) * (size_t)ps, v = (char)(i % 250 + 1);
			uint64_t c = 0;
			int id;

			if (i % 2)
				madvise(p, (size_t)ps, MADV_DONTNEED);
			else
				memset(p, v, (size_t)ps);
			id = watch(p, 64, MW_WRITE);
			for (int j = 0; j < ps && !bad_fresh; j += 512)
				bad_fresh += p[j] != (i % 2 ? 0 : v);
			((volatile char *)p)[8] = (char)(v + 1);
			bad_count += mw_count(id, &c) != 0 || c != 1;
			bad_bytes += mw_unwatch(id) != 0;
			for (int j = 0; j < ps; j++)
				bad_bytes += p[j] != (j == 8 ? (char)(v + 1) : i % 2 ? 0 : v);
		}
		ok(bad_count == 0, "%s: %d watches each count their one store (%d did not)",
		   pass ? "another watch live" : "each the first", CYCLES, bad_count);
		ok(bad_fresh == 0 && bad_bytes == 0,
		   "%s: full and fresh pages read their own bytes while watched (%d did not) "
		   "and after (%d bytes wrong)", pass ? "another watch live" : "each the first",
		   bad_fresh, bad_bytes);
		if (keep)
			mw_unwatch(keep);
	}
	ok(other[0] == 0 && a[0] == 0 && a[3 * ps] == 0, "the pages around untouched");
}

/* The same with 64 pages: one range full, one with every fourth page
 * alone populated (the others absent, reading zeros); the memfd space one
 * leaves is taken by the other next. */
#define BIG 64

static void sec_big(void)
{
	char *a = map_pages(2 * BIG + 3), *other = map_pages(1);
	char *full = a + ps, *sparse = a + (size_t)(BIG + 2) * (size_t)ps;
	int keep = watch(other, 8, MW_WRITE), bad_count = 0, bad_during = 0, bad_after = 0;

	for (int i = 0; i < 40; i++) {
		char *p = i % 2 ? sparse : full, v = (char)(i % 250 + 1);
		uint64_t c = 0;
		int id;

		if (i % 2) {
			madvise(p, (size_t)BIG * (size_t)ps, MADV_DONTNEED);
			for (int pg = 0; pg < BIG; pg += 4)
				p[(size_t)pg * (size_t)ps + 5] = v;
		} else {
			memset(p, v, (size_t)BIG * (size_t)ps);
		}
		id = watch(p, (size_t)BIG * (size_t)ps, MW_WRITE);
		for (int pg = 0; pg < BIG; pg++)
			for (int j = 0; j < ps; j += 256) {
				char want = i % 2 ? 0 : v;

				bad_during += p[(size_t)pg * (size_t)ps + (size_t)j] != want;
			}
		for (int pg = 0; pg < BIG && i % 2; pg += 4)
			bad_during += p[(size_t)pg * (size_t)ps + 5] != v;
		((volatile char *)p)[3 * ps + 1] = (char)(v + 1);
		bad_count += mw_count(id, &c) != 0 || c != 1;
		bad_after += mw_unwatch(id) != 0;
		for (size_t j = 0; j < (size_t)BIG * (size_t)ps; j++) {
			char want = j == (size_t)3 * (size_t)ps + 1 ? (char)(v + 1) :
				    i % 2 == 0 ? v : (j % (size_t)ps == 5 && (j / (size_t)ps) % 4 == 0) ? v : 0;

			bad_after += p[j] != want;
		}
	}
	ok(bad_count == 0, "40 watches of 64 pages, full and sparse in turn, count their store (%d)",
	   bad_count);
	ok(bad_during == 0 && bad_after == 0,
	   "their bytes exact while watched (%d wrong) and after (%d wrong): zeros where absent",
	   bad_during, bad_after);
	mw_unwatch(keep);
}

static volatile int slot;
static int hits;

/* One handler per round: each is a new instruction, faulting (not a patched
 * site's stub, MEMWATCH_PATCH_AFTER). */
static void on_usr1_0(int sig) { (void)sig; slot = 1; hits++; }
static void on_usr1_1(int sig) { (void)sig; slot = 2; hits++; }
static void on_usr1_2(int sig) { (void)sig; slot = 3; hits++; }

/* A handler installed while nothing is watched, with every signal in its
 * mask: SIGSEGV blocked in it would kill the process at its watched store
 * unless the watch takes it out; each round installs another while no
 * watch exists. */
static void sec_handler(void)
{
	static void (*const handler[ROUNDS])(int) = { on_usr1_0, on_usr1_1, on_usr1_2 };

	if (dispatch_off()) {
		/* The masks are cleaned when dispatch switches on. */
		for (int i = 0; i < N_HANDLER; i++)
			ok(1, "# SKIP MEMWATCH_SYSCALLS=0: handlers keep the masks they were given");
		return;
	}

	for (int r = 0; r < ROUNDS; r++) {
		struct sigaction sa, cur;
		uint64_t c = 0;
		int id;

		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = handler[r];
		sigfillset(&sa.sa_mask);
		if (sigaction(SIGUSR1, &sa, NULL))
			bail("sigaction: %s", strerror(errno));
		id = watch((const void *)&slot, sizeof(slot), MW_WRITE);
		raise(SIGUSR1);
		ok(hits == r + 1 && slot == r + 1, "round %d: the handler ran and stored (%d)", r,
		   slot);
		c = mw_count(id, &c) == 0 ? c : ~0ull;
		ok(c == 1, "round %d: its store counted (%llu)", r, (unsigned long long)c);
		ok(mw_unwatch(id) == 0, "round %d: mw_unwatch", r);
		memset(&cur, 0, sizeof(cur));
		sigaction(SIGUSR1, NULL, &cur);
		ok(cur.sa_handler == handler[r] && !(cur.sa_flags & SA_ONSTACK),
		   "round %d: after the last watch, the handler as the program set it (flags %#x)",
		   r, (unsigned)cur.sa_flags);
	}
}

int main(void)
{
	ps = (int)sysconf(_SC_PAGESIZE);
	plan(N_CYCLES + 1 + 2 + 1 + N_HANDLER + 1);
	run_section("watch and unwatch again and again", N_CYCLES, sec_cycles);
	run_section("64 pages, again and again", 2, sec_big);
	run_section("a handler installed between watches", N_HANDLER, sec_handler);
	return done();
}

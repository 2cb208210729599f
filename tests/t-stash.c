/* SPDX-License-Identifier: MIT */
/*
 * t-stash - isolated watched pages of one read-write mapping share the
 * mapping their stashes wait in (lib/watch/stash.h): each costs two
 * mappings, not three, in /proc/self/maps; watched and unwatched in any
 * order (up, down, shuffled, a run of two pages among them), every store
 * is counted, every byte is exact after each unwatch, and after the last
 * one the mapping and its neighbours are the lines of before (mremap of the
 * whole mapping then moves it with its bytes); in a forked child with some
 * of them watched, the child's unwatches give it its own bytes back and
 * leave the parent's as they were; a page the program makes read-only
 * while watched stays so after.  (Each order is done once before, not
 * checked: patched code sites take mappings of their own the first time.)
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "memwatch.h"
#include "tap.h"
#include "watch.h"
#include "section.h"
#include "dispatch.h"

#define NP 256          /* pages of the mapping */
#define NW (NP / 2 - 2) /* isolated pages watched: 1, 3, 5, ... */

static int ps;
static char before[8192], after[8192];

/* Mappings in /proc/self/maps. */
static long count_maps(void)
{
	long n = 0;

	for (char *p = read_maps(); *p; p++)
		n += *p == '\n';
	return n;
}

static char byte_of(int page, int i)
{
	return (char)(page * 7 + i % 13 + 1);
}

static void fill(char *v)
{
	for (int pg = 0; pg < NP; pg++)
		for (int i = 0; i < ps; i += 97)
			v[(size_t)pg * (size_t)ps + (size_t)i] = byte_of(pg, i);
}

/* Pages whose bytes are not those of fill(), but for the byte at 8 of a
 * page in STORED (what the program stored there: 0x55). */
static int wrong_pages(const char *v, const unsigned char *stored)
{
	int bad = 0;

	for (int pg = 0; pg < NP; pg++) {
		int b = 0;

		for (int i = 0; i < ps; i++) {
			char want = i % 97 ? 0 : byte_of(pg, i);

			if (i == 8 && stored[pg])
				want = 0x55;
			b |= v[(size_t)pg * (size_t)ps + (size_t)i] != want;
		}
		bad += b;
	}
	return bad;
}

static void shuffle(int *a, int n, unsigned seed)
{
	srand(seed);
	for (int i = n - 1; i > 0; i--) {
		int j = rand() % (i + 1), t = a[i];

		a[i] = a[j];
		a[j] = t;
	}
}

#define check_ok(...) (check ? ok(__VA_ARGS__) : 1)

static const char *const order_name[] = { "up", "down", "shuffled" };

/* Isolated pages watched in ORDER (0 up, 1 down, 2 shuffled), plus pages
 * NP-4 and NP-3 as one run; unwatched shuffled.  Checked if CHECK. */
static void round_trip(int order, int check)
{
	char *v = map_pages(NP);
	int pages[NW], idof[NP], run, bad = 0, wrong = 0;
	unsigned char stored[NP] = { 0 };
	long m0, m1;
	uint64_t total;

	fill(v);
	maps_around(v, v + (size_t)NP * (size_t)ps, before, sizeof(before));
	m0 = count_maps();
	for (int i = 0; i < NW; i++)
		pages[i] = 2 * i + 1;
	if (order == 1)
		for (int i = 0; i < NW; i++)
			pages[i] = 2 * (NW - 1 - i) + 1;
	if (order == 2)
		shuffle(pages, NW, 19);
	for (int i = 0; i < NW; i++)
		idof[pages[i]] = watch(v + (size_t)pages[i] * (size_t)ps + 8, 4, MW_WRITE);
	run = watch(v + (size_t)(NP - 4) * (size_t)ps, 2 * (size_t)ps, MW_WRITE);
	m1 = count_maps();
	/* Each isolated page: its mapping and the one after it; the run of
	 * two: the same; their stashes: one mapping and its reserve around. */
	check_ok(m1 - m0 <= 2 * (NW + 1) + 4, "%s: %d isolated pages and a run watched: %ld mappings more "
	   "(at most %d)", order_name[order], NW, m1 - m0, 2 * (NW + 1) + 4);
	total = mw_total_count();
	for (int i = 0; i < NW; i++) {
		v[(size_t)pages[i] * (size_t)ps + 8] = 0x55;
		stored[pages[i]] = 1;
	}
	check_ok(mw_total_count() - total == NW, "%s: each store counted (%llu)", order_name[order],
	   (unsigned long long)(mw_total_count() - total));
	shuffle(pages, NW, 7 + (unsigned)order);
	for (int i = 0; i < NW; i++) {
		bad += mw_unwatch(idof[pages[i]]) != 0;
		if (i % 16 == 0)
			wrong += wrong_pages(v, stored) != 0;
	}
	bad += mw_unwatch(run) != 0;
	check_ok(bad == 0 && wrong == 0, "%s: unwatched shuffled, every byte exact after each (%d, %d)",
	   order_name[order], bad, wrong);
	maps_around(v, v + (size_t)NP * (size_t)ps, after, sizeof(after));
	if (!check_ok(strcmp(before, after) == 0 && count_maps() == m0,
		"%s: the mapping and its neighbours as before, as many mappings (%ld, %ld)",
		order_name[order], count_maps(), m0))
		diag("before:\n%s\nafter:\n%s", before, after);
	munmap(v, (size_t)NP * (size_t)ps);
}

#define N_ORDERS (3 * 4)

/* What the library keeps once it watched (its memory, its reserve of
 * mappings) made before the counts. */
static void warm_up(void)
{
	char *w = map_pages(1);

	mw_unwatch(watch(w, 8, MW_WRITE));
}

static void sec_orders(void)
{
	warm_up();
	for (int o = 0; o < 3; o++) {
		round_trip(o, 0);
		round_trip(o, 1);
	}
}

/* Forked with half the pages watched. */
static void sec_fork(void)
{
	char *v = map_pages(NP), *w;
	int ids[NW], st = -1;
	unsigned char stored[NP] = { 0 };
	pid_t pid;

	warm_up();
	fill(v);
	maps_around(v, v + (size_t)NP * (size_t)ps, before, sizeof(before));
	for (int i = 0; i < NW; i++)
		ids[i] = watch(v + (size_t)(2 * i + 1) * (size_t)ps + 8, 4, MW_WRITE);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		int bad = 0;

		for (int i = 0; i < NW; i += 2)
			v[(size_t)(2 * i + 1) * (size_t)ps + 8] = 0x55, stored[2 * i + 1] = 1;
		for (int i = 0; i < NW; i++)
			bad += mw_unwatch(ids[i]) != 0;
		/* Its mapping stays in pieces: a forked child's pieces each
		 * have an anon_vma of their own, which the kernel never
		 * merges, watched or not. */
		_exit((bad ? 1 : 0) | (wrong_pages(v, stored) ? 2 : 0));
	}
	waitpid(pid, &st, 0);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	   "a forked child stores into some and unwatches all: its bytes (status %#x: 0x100 an "
	   "unwatch failed, 0x200 bytes)", st);
	for (int i = 0; i < NW; i++)
		mw_unwatch(ids[i]);
	maps_around(v, v + (size_t)NP * (size_t)ps, after, sizeof(after));
	if (!ok(wrong_pages(v, stored) == 0 && strcmp(before, after) == 0,
		"the parent's bytes and mapping as before (%d pages wrong)", wrong_pages(v, stored)))
		diag("before:\n%s\nafter:\n%s", before, after);
	w = mremap(v, (size_t)NP * (size_t)ps, (size_t)(NP + 16) * (size_t)ps, MREMAP_MAYMOVE);
	ok(w != MAP_FAILED && wrong_pages(w, stored) == 0,
	   "mremap of the whole mapping moves it, its bytes with it");
}

/* The program makes one of the watched pages read-only while watched: it
 * stays so after the unwatch, the others read-write, the bytes exact. */
static void sec_mprotect(void)
{
	char *v = map_pages(16);
	char got[5];
	int ids[6], bad = 0;

	if (dispatch_off()) {
		/* The program's mprotect reaches the library by dispatch. */
		for (int i = 0; i < 3; i++)
			ok(1, "# SKIP MEMWATCH_SYSCALLS=0: the library does not see the mprotect");
		return;
	}
	warm_up();
	memset(v, 0x21, 16 * (size_t)ps);
	for (int i = 0; i < 6; i++)
		ids[i] = watch(v + (size_t)(2 * i + 1) * (size_t)ps, 8, MW_WRITE);
	ok(mprotect(v + 5 * (size_t)ps, (size_t)ps, PROT_READ) == 0,
	   "mprotect(PROT_READ) of the third watched page");
	for (int i = 0; i < 6; i++)
		bad += mw_unwatch(ids[i]) != 0;
	perms_of(v + 5 * (size_t)ps, got);
	ok(bad == 0 && strcmp(got, "r--p") == 0, "after the unwatches it is read-only: %s", got);
	perms_of(v + 3 * (size_t)ps, got);
	v[3 * ps] = 0x22;
	for (int i = 0; i < 16 * ps; i++)
		bad += v[i] != (i == 3 * ps ? 0x22 : 0x21);
	ok(bad == 0 && strcmp(got, "rw-p") == 0, "the others read-write (%s), every byte exact", got);
}

/* A stash given back in part: the watch on three pages ends while one on
 * the middle page stays, so its first and last pages go back and their
 * addresses are free.  The kernel puts the next stashes there: a private
 * file page's (made inaccessible while watched) and another anonymous
 * mapping's.  Their unwatches must be theirs, not the first stash's (the
 * library took the freed range for the first stash's still, wrote into the
 * file page's inaccessible stash and counted the mapping's region empty
 * while pages waited in it: a SIGSEGV in mw_unwatch under make stress).
 * Every byte exact after every unwatch, and the first mapping one line
 * of /proc/self/maps again, as before (its stashes went back, not
 * copies), ROUNDS times. */
#define ROUNDS 40

/* The lines of TEXT (maps_around's) that overlap [lo, hi), into OUT, from
 * their permissions on (the kernel may merge the mapping with a neighbour
 * of the same kind). */
static void lines_in(const char *text, const char *lo, const char *hi, char *out, size_t len)
{
	size_t used = 0;

	out[0] = 0;
	for (const char *p = text; *p;) {
		const char *nl = strchr(p, '\n'), *perm = strchr(p, ' ');
		size_t n = nl ? (size_t)(nl - p) + 1 : strlen(p);
		unsigned long a, b;

		if (sscanf(p, "%lx-%lx", &a, &b) == 2 && a < (uintptr_t)hi && b > (uintptr_t)lo &&
		    perm && used + n < len) {
			memcpy(out + used, perm, n - (size_t)(perm - p));
			out[used += n - (size_t)(perm - p)] = 0;
		}
		p += n;
	}
}

static void sec_partial(void)
{
	char path[] = "/tmp/t-stash-XXXXXX";
	int fd = mkstemp(path), bad = 0, failed = 0, rounds = 0, maps_differ = 0;
	char mine[1024];

	warm_up();
	if (fd < 0 || ftruncate(fd, 4 * ps) < 0) {
		ok(0, "a temporary file");
		ok(0, "a temporary file");
		return;
	}
	unlink(path);
	for (int k = 0; k < ROUNDS; k++) {
		char *m = map_pages(16), *n = map_pages(9);
		char *f = mmap(NULL, 4 * (size_t)ps, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
		int a, b, c, d, e;

		if (f == MAP_FAILED) {
			failed++;
			break;
		}
		/* n's last page inaccessible: a mapping of its own. */
		mprotect(n + 8 * (size_t)ps, (size_t)ps, PROT_NONE);
		memset(m, 0x31, 16 * (size_t)ps);
		memset(n, 0x41, 8 * (size_t)ps);
		maps_around(m, m + 16 * (size_t)ps, after, sizeof(after));
		lines_in(after, m, m + 16 * (size_t)ps, before, sizeof(before));
		memset(f, 0x51, 4 * (size_t)ps);
		a = watch(m + ps, 7 * (size_t)ps, MW_WRITE);            /* pages 1-7 */
		b = watch(m + 4 * (size_t)ps + 8, 8, MW_WRITE);         /* page 4 */
		c = watch(m + 12 * (size_t)ps, 8, MW_WRITE);            /* in its region */
		failed += mw_unwatch(a) != 0;                           /* 1-3, 5-7 back */
		d = watch(f, 3 * (size_t)ps, MW_WRITE);
		e = watch(n + 3 * (size_t)ps, 3 * (size_t)ps, MW_WRITE);
		m[ps] = 0x32, m[4 * ps + 8] = 0x33, m[12 * ps] = 0x34;
		f[ps] = 0x52, n[3 * ps] = 0x42;
		failed += mw_unwatch(d) != 0;
		failed += mw_unwatch(e) != 0;
		failed += mw_unwatch(b) != 0;
		failed += mw_unwatch(c) != 0;
		maps_around(m, m + 16 * (size_t)ps, after, sizeof(after));
		lines_in(after, m, m + 16 * (size_t)ps, mine, sizeof(mine));
		if (strcmp(before, mine) != 0 && !maps_differ++)
			diag("round %d, before:\n%s\nafter:\n%s", k, before, mine);
		for (int i = 0; i < 16 * ps; i++)
			bad += m[i] != (i == ps ? 0x32 : i == 4 * ps + 8 ? 0x33 :
					i == 12 * ps ? 0x34 : 0x31);
		for (int i = 0; i < 8 * ps; i++)
			bad += n[i] != (i == 3 * ps ? 0x42 : 0x41);
		for (int i = 0; i < 4 * ps; i++)
			bad += f[i] != (i == ps ? 0x52 : 0x51);
		munmap(m, 16 * (size_t)ps);
		munmap(n, 9 * (size_t)ps);
		munmap(f, 4 * (size_t)ps);
		rounds++;
	}
	close(fd);
	ok(failed == 0 && rounds == ROUNDS, "%d rounds: every watch and unwatch succeeds (%d failed)",
	   rounds, failed);
	ok(bad == 0, "every byte of the three mappings exact after the unwatches (%d wrong)", bad);
	ok(maps_differ == 0, "the first mapping's lines in /proc/self/maps as before, every round "
	   "(%d rounds differ)", maps_differ);
}

int main(void)
{
	ps = (int)sysconf(_SC_PAGESIZE);
	plan(N_ORDERS + 1 + 3 + 1 + 3 + 1 + 3 + 1);
	run_section("isolated pages watched in every order", N_ORDERS, sec_orders);
	run_section("fork with stashes waiting", 3, sec_fork);
	run_section("a watched page made read-only", 3, sec_mprotect);
	run_section("a stash given back in part, its pages reused", 3, sec_partial);
	return done();
}

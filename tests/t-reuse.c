/* SPDX-License-Identifier: MIT */
/*
 * t-reuse - watched pages move into memfd space that is made once and
 * reused (lib/watch/pool.h): adjacent pages watched one by one are one
 * mapping in /proc/self/maps, all aliases are one mapping, memfd space
 * taken again never shows the bytes of the page it held before, counts and
 * values stay exact while a thread stores and watches come and go, and a
 * forked child's pages are its own, a raw fork's the library does not see
 * too.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "memwatch.h"
#include "tap.h"

static long ps;

/* Mappings of the library's memfd: *IN those overlapping [lo, hi) (and
 * *EXACT 1 if one is exactly [lo, hi)), *OUT the others. */
static void memfd_maps(uintptr_t lo, uintptr_t hi, int *in, int *exact, int *out)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];

	*in = *exact = *out = 0;
	while (f && fgets(line, sizeof(line), f)) {
		unsigned long a, b;

		/* Not /memfd:memwatch-code, the patched code's. */
		if (!strstr(line, "/memfd:memwatch ") || sscanf(line, "%lx-%lx", &a, &b) != 2)
			continue;
		if (a < hi && b > lo) {
			(*in)++;
			*exact |= a == lo && b == hi;
		} else {
			(*out)++;
		}
	}
	if (f)
		fclose(f);
}

/* LEN bytes between two inaccessible pages: the mapping never merges with
 * one of the library's or the C library's, whose pages are refused. */
static char *map(size_t len)
{
	char *p = mmap(NULL, len + 2 * (size_t)ps, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED || mprotect(p + ps, len, PROT_READ | PROT_WRITE) < 0)
		bail("mmap: %m");
	return p + ps;
}

static volatile int stop;
static volatile int *shared_slot;

static void *storer(void *arg)
{
	long n = 0;

	(void)arg;
	while (!stop)
		shared_slot[0] = (int)++n;
	return (void *)n;
}

int main(void)
{
	enum { RUN = 8, CYCLES = 2000 };
	int ids[2 * RUN], in, exact, out, good;
	char *a, *b;
	uint64_t c;

	ps = sysconf(_SC_PAGESIZE);
	plan(15);

	/* Forward: each page after the one before; backward: each before. */
	a = map((size_t)(2 * RUN + 1) * (size_t)ps);
	memset(a, 0x5a, (size_t)(2 * RUN + 1) * (size_t)ps);
	for (int i = 0; i < RUN; i++)
		ids[i] = mw_watch(a + i * ps, 8, MW_WRITE);
	for (int i = 0; i < RUN; i++)
		ids[RUN + i] = mw_watch(a + (2 * RUN - i) * ps, 8, MW_WRITE);
	memfd_maps((uintptr_t)a, (uintptr_t)(a + RUN * ps), &in, &exact, &out);
	ok(in == 1 && exact, "%d pages watched one by one, each after the last: one mapping (%d)",
	   RUN, in);
	memfd_maps((uintptr_t)(a + (RUN + 1) * ps), (uintptr_t)(a + (2 * RUN + 1) * ps), &in, &exact,
		   &out);
	ok(in == 1 && exact, "%d pages watched one by one, each before the last: one mapping (%d)",
	   RUN, in);
	ok(out == 2, "the aliases of all of them: one mapping besides (%d besides the two runs)",
	   out - 1);
	a[3 * ps] = 7;
	c = 0;
	good = mw_count(ids[3], &c) == 0;
	ok(good && c == 1, "a store into the merged mapping counts: %llu", (unsigned long long)c);
	for (int i = 0; i < 2 * RUN; i++)
		mw_unwatch(ids[i]);
	good = 1;
	for (int i = 0; i < 2 * RUN + 1; i++)
		for (int j = 0; j < ps; j++)
			good &= a[i * ps + j] == (i == 3 && j == 0 ? 7 : 0x5a);
	ok(good, "after the unwatches every byte is as the program left it");

	/* The memfd space after a page's is taken again by the page after it
	 * when that is watched again: a fresh page must read zeros there. */
	b = map(3 * (size_t)ps);
	b[0] = 1;
	memset(b + ps, 0xee, (size_t)ps);
	ids[0] = mw_watch(b, 8, MW_WRITE);
	ids[1] = mw_watch(b + ps, 8, MW_WRITE);
	mw_unwatch(ids[1]);
	if (mmap(b + ps, (size_t)ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
		 -1, 0) == MAP_FAILED)
		bail("mmap fixed: %m");
	ids[1] = mw_watch(b + ps, 8, MW_WRITE);
	memfd_maps((uintptr_t)b, (uintptr_t)(b + 2 * ps), &in, &exact, &out);
	good = 1;
	for (int j = 0; j < ps; j++)
		good &= b[ps + j] == 0;
	ok(good && in == 1 && exact,
	   "a fresh page watched where the page before held 0xee reads zeros (%d mapping)", in);
	mw_unwatch(ids[1]);
	mw_unwatch(ids[0]);
	good = b[0] == 1;
	for (int j = 0; j < ps; j++)
		good &= b[ps + j] == 0;
	ok(good, "and holds zeros after its unwatch");

	/* A page the program clears while watched: its bytes come back as
	 * zeros, not as they were before the watch. */
	{
		char *z = map(2 * (size_t)ps);
		int zid;

		memset(z, 0x77, 2 * (size_t)ps);
		zid = mw_watch(z, 2 * (size_t)ps, MW_WRITE);
		memset(z + ps, 0, (size_t)ps);
		z[0] = 0;
		good = zid > 0 && mw_unwatch(zid) == 0 && z[0] == 0 && z[1] == 0x77;
		for (int j = 0; j < ps; j++)
			good &= z[ps + j] == 0;
		ok(good, "a page cleared while watched holds zeros after the unwatch");
	}

	/* Watches come and go while a thread stores into a watched slot. */
	{
		pthread_t t;
		void *stores;
		char *pg = map(2 * (size_t)ps);
		int slot_id, bad = 0;
		uint64_t sc = 0;

		shared_slot = (volatile int *)map((size_t)ps);
		slot_id = mw_watch((const void *)shared_slot, sizeof(int), MW_WRITE);
		pthread_create(&t, NULL, storer, NULL);
		for (int i = 0; i < CYCLES && !bad; i++) {
			char *p = pg + (i % 2) * ps;
			int id;

			if (i % 4 < 2)
				memset(p, i & 0xff, (size_t)ps);
			else if (mmap(p, (size_t)ps, PROT_READ | PROT_WRITE,
				      MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED)
				bail("mmap fixed: %m");
			id = mw_watch(p, (size_t)ps, MW_WRITE);
			for (int j = 0; j < ps && !bad; j++)
				bad = p[j] != (i % 4 < 2 ? (char)(i & 0xff) : 0);
			p[5] = 1;
			if (mw_count(id, &c) || c != 1 || mw_unwatch(id))
				bad = 1;
			for (int j = 0; j < ps && !bad; j++)
				bad = p[j] != (j == 5 ? 1 : i % 4 < 2 ? (char)(i & 0xff) : 0);
			if (bad)
				diag("cycle %d", i);
		}
		stop = 1;
		pthread_join(t, &stores);
		ok(!bad, "%d watches and unwatches of a page, full or fresh: its bytes exact while "
		   "watched and after", CYCLES);
		ok(mw_count(slot_id, &sc) == 0 && sc == (uint64_t)(long)stores &&
		   shared_slot[0] == (int)(long)stores,
		   "meanwhile a thread's %ld stores were counted, %llu", (long)stores,
		   (unsigned long long)sc);
		mw_unwatch(slot_id);
	}

	/* A forked child: its watched pages are its own. */
	{
		char *p = map(2 * (size_t)ps);
		int id, st = 0;
		pid_t pid, w;

		p[0] = 5;
		id = mw_watch(p, 8, MW_WRITE);
		pid = fork();
		if (pid == 0) {
			int id2;

			p[0] = 6;
			p[ps] = 9;
			id2 = mw_watch(p + ps, 8, MW_WRITE);
			p[ps] = 10;
			_exit(id2 > 0 && mw_unwatch(id2) == 0 && mw_unwatch(id) == 0 && p[0] == 6 &&
			      p[ps] == 10 ? 0 : 1);
		}
		while ((w = waitpid(pid, &st, 0)) < 0 && errno == EINTR)
			;
		ok(w == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0,
		   "a forked child stores into the watched page and watches the one after "
		   "(status %#x%s%s)", st, w < 0 ? ", " : "", w < 0 ? strerror(errno) : "");
		ok(p[0] == 5 && p[ps] == 0, "the parent's pages are as they were: %d %d", p[0], p[ps]);
		p[ps] = 3;
		ok(mw_count(id, &c) == 0 && c == 0 && mw_unwatch(id) == 0 && p[0] == 5 && p[ps] == 3,
		   "and its watch counted none of the child's stores");
	}

	/* A child the library does not see made (a raw fork while system
	 * calls do not dispatch: no atfork handler, no dispatched call) still
	 * gets memfd space of its own at its first watch: a page it watches
	 * full of 0x66 and leaves watched at its exit does not show in the
	 * parent's next watch of a page that was never written, which takes
	 * the memfd space after the same live watch's. */
	{
		char *q = map(3 * (size_t)ps);
		int id, id2, st = 0, was = mw_syscalls(0);
		pid_t pid, w;

		q[0] = 1;
		id = mw_watch(q, 8, MW_WRITE);
		pid = (pid_t)syscall(SYS_fork);
		if (pid == 0) {
			memset(q + ps, 0x66, (size_t)ps);
			id2 = mw_watch(q + ps, (size_t)ps, MW_WRITE);
			q[ps] = 0x67;
			syscall(SYS_exit_group, id2 > 0 && q[ps] == 0x67 && q[ps + 1] == 0x66 ? 0 : 1);
		}
		while ((w = waitpid(pid, &st, 0)) < 0 && errno == EINTR)
			;
		ok(w == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0,
		   "a raw fork's child watches a page it filled (status %#x)", st);
		id2 = mw_watch(q + ps, (size_t)ps, MW_WRITE);
		good = id2 > 0;
		for (int j = 0; j < ps; j++)
			good &= q[ps + j] == 0;
		ok(good, "the parent's page of zeros watched next reads zeros (%#x)", q[ps] & 0xff);
		mw_unwatch(id2);
		mw_unwatch(id);
		mw_syscalls(was);
	}
	return done();
}

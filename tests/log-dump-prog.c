/* SPDX-License-Identifier: MIT */
/*
 * log-dump-prog.c - a program for t-log-dump.sh and t-log-env.sh: it
 * watches a global struct, writes to it from known functions, and then
 *
 *   (no argument)  prints the log with mw_log_dump(1): 3 records
 *   exit           just exits (MEMWATCH_LOG writes the log at exit)
 *   segv           after 2 writes, dies of a NULL dereference
 *   abort          after 2 writes, calls abort()
 *   stats          prints the log's configuration, makes 20 writes, and
 *                  prints the counters and the depth of the last record
 *
 * Exit status 0, or 1 when something did not go as it should (on stderr).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memwatch.h"

struct config {
	int limit;
	int count;
	long timeout;
};

struct config cfg = { 10, 0, 30 };
static int *volatile nowhere;

/* Write 1: a 4-byte store at cfg+0x0. */
__attribute__((noipa)) static void set_limit(int v)
{
	cfg.limit = v;
}

/* Write 2: lock xadd on cfg+0x4. */
__attribute__((noipa)) static int bump(void)
{
	return __atomic_fetch_add(&cfg.count, 1, __ATOMIC_SEQ_CST);
}

static int fail(const char *what)
{
	fprintf(stderr, "log-dump-prog: %s\n", what);
	return 1;
}
/* "segv" stores to NULL on purpose: not UBSan's */ __attribute__((no_sanitize("undefined")))
int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	int id = mw_watch(&cfg, sizeof(cfg), MW_WRITE), n;

	if (id <= 0)
		return fail(mw_strerror(id));
	if (strcmp(mode, "stats") == 0) {
		struct mw_log_stats st;
		struct mw_log_cursor cur;
		struct mw_record r;
		unsigned nframes = ~0u;

		mw_log_stats(&st);
		printf("capacity %llu depth %u\n", (unsigned long long)st.capacity, st.depth);
		for (int i = 0; i < 20; i++)
			set_limit(i);
		mw_log_stats(&st);
		mw_log_begin(&cur);
		while (mw_log_next(&cur, &r) == 1)
			nframes = r.nframes;
		printf("records %llu overwritten %llu dropped %llu nframes %u\n",
		       (unsigned long long)st.records, (unsigned long long)st.overwritten,
		       (unsigned long long)st.dropped, nframes);
		return 0;
	}

	set_limit(20);
	if (bump() != 0)
		return fail("bump: the old value is not 0");
	if (strcmp(mode, "segv") == 0) {
		*nowhere = 1;
		return fail("still alive after a NULL dereference");
	}
	if (strcmp(mode, "abort") == 0) {
		abort();
	}
	cfg.timeout = 60;
	if (cfg.limit != 20 || cfg.count != 1 || cfg.timeout != 60)
		return fail("the writes did not land");
	if (strcmp(mode, "exit") == 0)
		return 0;
	if (mode[0])
		return fail("usage: log-dump-prog [exit|segv|abort|stats]");
	fflush(stdout);
	n = mw_log_dump(1);
	if (n != 3) {
		fprintf(stderr, "log-dump-prog: mw_log_dump returned %d (%s), not 3\n", n,
			n < 0 ? mw_strerror(n) : "records");
		return 1;
	}
	return 0;
}

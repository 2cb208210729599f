/* SPDX-License-Identifier: MIT */
/*
 * t-corrupt.c - the memwatch command's reader of the shared log (cli/log.c,
 * compiled in, with the report of cli/report.c) on damaged logs.  A real
 * log is made by the command (tests/corrupt-prog saves the file it was
 * given); then, each in a child: every header word overwritten with bad
 * values, the file cut at many lengths, and random bytes of random slots
 * and of the header flipped (a fixed seed, FUZZ_SEED to change it).  The
 * reader must never crash: it says "memwatch: the log is damaged: ..." or
 * gives records whose every field is in range, and the report of them runs.
 * End to end: the command itself on a log its program damaged exits 124
 * with that one line.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tap.h"
#include "section.h"
#include "../cli/cli.h"
#include "log/kindname.h"

static const char *top;
static unsigned char *orig;
static size_t orig_len;

/* The case: the file's bytes and its length. */
static unsigned char *buf;
static size_t buf_len;

enum { R_RECORDS = 10, R_DAMAGED = 11, R_NOLOG = 12, R_BADFIELD = 13, R_BADMSG = 14,
       R_LEFTOUT = 15 };

/* In the child: read BUF as the command would, check what came out.  The
 * frames are named (libdw over the header's modules) when ARG is not NULL
 * only: that costs tens of milliseconds a case. */
static void reader(void *arg)
{
	static struct mw_share_hdr nomod;
	struct mwc_log log;
	int fd = memfd_create("t-corrupt", 0), r;
	FILE *null = fopen("/dev/null", "w");

	(void)arg;
	if (fd < 0 || write(fd, buf, buf_len) != (ssize_t)buf_len || !null)
		_exit(99);
	r = mwc_log_read(fd, &log);
	if (r == -2)
		_exit(R_DAMAGED);
	if (r < 0)
		_exit(R_NOLOG);
	if (log.nrec > log.capacity)
		_exit(R_BADFIELD);
	for (size_t k = 0; k < log.nrec; k++) {
		const struct mw_record *x = &log.rec[k];

		if (x->value_len > MW_VALUE_MAX || x->nframes > MW_FRAMES_MAX ||
		    !strcmp(mw_kind_name(x->kind), "?") || x->seq == 0 ||
		    x->seq > log.last_seq || ((x->seq - 1) & (log.capacity - 1)) >= log.capacity ||
		    (k && x->seq <= log.rec[k - 1].seq))
			_exit(R_BADFIELD);
	}
	if (!arg) {
		nomod = *log.hdr;
		nomod.nmodules = 0;
		log.hdr = &nomod;
	}
	mwc_watches(null, &log, NULL, 0);
	mwc_report(null, &log, NULL, 0);
	mwc_summary(null, &log, NULL, 0);
	mwc_map(null, &log, NULL, 0);
	mwc_costs(null, &log, NULL, 0, 1);
	r = log.damaged != 0;
	mwc_log_free(&log);
	_exit(r ? R_LEFTOUT : R_RECORDS);
}

struct tally { int records, leftout, damaged, nolog, crashed, badfield, badmsg; };

/* Run the reader on BUF; count the outcome; 0 for a crash or a bad field. */
static int run_case(struct tally *t, const char *what)
{
	static unsigned ncase;
	static char out[8192];
	struct child c = { .flags = CHILD_STDERR | CHILD_NO_CORE, .alarm = 20,
			   .out = out, .len = sizeof(out) };
	int st = child_run(&c, reader, ncase++ % 16 ? NULL : &c), code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	char why[128];

	switch (code) {
	case R_RECORDS: t->records++; return 1;
	case R_LEFTOUT: t->records++; t->leftout++; return 1;
	case R_DAMAGED:
		/* Exactly one line, the damage said. */
		if (strncmp(out, "memwatch: the log is damaged: ", 30) != 0 ||
		    strchr(out, '\n') != out + strlen(out) - 1) {
			t->badmsg++;
			diag("%s: said %s", what, out);
			return 0;
		}
		t->damaged++;
		return 1;
	case R_NOLOG: t->nolog++; return 1;
	case R_BADFIELD:
		t->badfield++;
		diag("%s: a record out of range", what);
		return 0;
	default:
		t->crashed++;
		describe_status(st, why, sizeof(why));
		diag("%s: the reader %s; it said: %s", what, why, out);
		return 0;
	}
}

static uint64_t rnd_state;

static uint64_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

static void reset(size_t len)
{
	memcpy(buf, orig, orig_len);
	buf_len = len;
}

static void put64(size_t off, uint64_t v)
{
	memcpy(buf + off, &v, 8);
}

/* Runs COMMAND (a shell line); its exit status, its stderr in ERR. */
static int sh(const char *cmd, char *err, size_t n)
{
	char line[4096], path[] = "/tmp/t-corrupt-err.XXXXXX";
	int fd = mkstemp(path), st;
	ssize_t got;

	if (fd < 0)
		bail("mkstemp");
	snprintf(line, sizeof(line), "%s 2>%s >/dev/null", cmd, path);
	st = system(line);
	got = pread(fd, err, n - 1, 0);
	err[got > 0 ? got : 0] = 0;
	close(fd);
	unlink(path);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int main(void)
{
	struct tally words = { 0 }, cuts = { 0 }, slots = { 0 }, hdr = { 0 };
	static const uint64_t bad[] = { 0, 1, 3, 7, 63, 65, 0x7fffffff, 1ull << 32, 1ull << 40,
					 1ull << 63, UINT64_MAX, UINT64_MAX - 7 };
	char cmd[4096], err[4096], file[] = "/tmp/t-corrupt-log.XXXXXX";
	const char *seed = getenv("FUZZ_SEED");
	const uint64_t *d;
	uint64_t cap, ssz, capword = 2 + MW_DESC_CAPACITY;
	int fd, ok_all, st;
	struct stat sb;

	if (getenv("MW_SANITIZERS") && *getenv("MW_SANITIZERS"))
		skip_all("the command preloads the library into a program built without sanitizers");
	top = getenv("top_builddir") ? getenv("top_builddir") : ".";
	snprintf(cmd, sizeof(cmd), "%s/cli/memwatch", top);
	if (access(cmd, X_OK))
		skip_all("cli/memwatch not built");
	plan(13);
	unsetenv("LD_PRELOAD");
	unsetenv("MEMWATCH_RING");
	unsetenv("MEMWATCH_DEPTH");
	unsetenv("MEMWATCH_LOG");
	rnd_state = seed ? strtoull(seed, NULL, 0) | 1 : 0x2545f4914f6cdd1dull;
	diag("FUZZ_SEED=0x%llx", (unsigned long long)rnd_state);

	/* A real log: 100 writes into a ring of 64, with backtraces. */
	fd = mkstemp(file);
	if (fd < 0)
		bail("mkstemp");
	snprintf(cmd, sizeof(cmd), "%s/cli/memwatch -r 64 -d 8 -w counter -- "
		 "%s/tests/corrupt-prog save %s", top, top, file);
	st = sh(cmd, err, sizeof(err));
	if (st != 0 || fstat(fd, &sb) < 0 || sb.st_size <= MW_SHARE_HDR)
		bail("memwatch did not save a log (status %d): %s", st, err);
	orig_len = (size_t)sb.st_size;
	orig = malloc(orig_len);
	buf = malloc(orig_len);
	if (!orig || !buf || pread(fd, orig, orig_len, 0) != (ssize_t)orig_len)
		bail("reading the saved log");
	close(fd);
	unlink(file);
	d = ((struct mw_share_hdr *)orig)->desc;
	cap = d[MW_DESC_CAPACITY];
	ssz = ((struct mw_share_hdr *)orig)->desc[MW_DESC_SLOT_SIZE];

	/* The log as it is: every slot a record. */
	reset(orig_len);
	{
		struct tally t = { 0 };

		ok(run_case(&t, "the intact log") && t.records == 1,
		   "the intact log (%llu slots of %llu bytes) reads", (unsigned long long)cap,
		   (unsigned long long)ssz);
	}

	/* Every word of the header up to the watches, each bad value. */
	ok_all = 1;
	for (size_t w = 0; w < 2 + MW_DESC_COUNT + 4; w++)
		for (size_t v = 0; v < sizeof(bad) / sizeof(bad[0]); v++) {
			char what[64];

			reset(orig_len);
			put64(8 * w, bad[v]);
			snprintf(what, sizeof(what), "header word %zu = 0x%llx", w,
				 (unsigned long long)bad[v]);
			ok_all &= run_case(&words, what);
		}
	ok(ok_all && !words.crashed, "every header word overwritten (%d cases): no crash, "
	   "%d damaged, %d read, %d without a log", words.damaged + words.records + words.nolog +
	   words.crashed + words.badfield + words.badmsg, words.damaged, words.records, words.nolog);
	/* The words that shape the ring: each bad value is damage. */
	reset(orig_len);
	put64(8 * capword, 3);
	{
		struct tally t = { 0 };

		ok(run_case(&t, "capacity 3") && t.damaged == 1, "capacity 3: damaged");
	}
	reset(orig_len);
	put64(8 * (2 + MW_DESC_OFF_FRAMES), 1ull << 40);
	{
		struct tally t = { 0 };

		ok(run_case(&t, "frames offset 2^40") && t.damaged == 1,
		   "frames at offset 2^40: damaged");
	}
	reset(orig_len);
	put64(8 * (2 + MW_DESC_SLOT_SIZE), 0);
	{
		struct tally t = { 0 };

		ok(run_case(&t, "slot size 0") && t.damaged == 1, "slot size 0: damaged");
	}

	/* Cut short, at many lengths: damaged (or no log at 0 bytes). */
	ok_all = 1;
	{
		size_t lens[] = { 1, 8, 100, 4095, 4096, MW_SHARE_HDR - 1, MW_SHARE_HDR,
				  MW_SHARE_HDR + 1, MW_SHARE_HDR + ssz, orig_len / 2, orig_len - ssz,
				  orig_len - 1 };

		for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
			char what[64];

			reset(lens[i]);
			snprintf(what, sizeof(what), "cut to %zu bytes", lens[i]);
			ok_all &= run_case(&cuts, what);
		}
		reset(0);
		ok_all &= run_case(&cuts, "empty");
		ok(ok_all && cuts.damaged == (int)(sizeof(lens) / sizeof(lens[0])) &&
		   cuts.nolog == 1, "cut short at %zu lengths: damaged each time (%d); empty: "
		   "no log", sizeof(lens) / sizeof(lens[0]), cuts.damaged);
	}

	/* Random bytes of random slots. */
	ok_all = 1;
	for (int i = 0; i < 200; i++) {
		char what[64];
		int n = 1 + (int)(rnd() % 8);

		reset(orig_len);
		for (int k = 0; k < n; k++) {
			/* Half of them in a field's first byte: the commit word,
			 * seq, kind, counts. */
			uint64_t at = rnd() % (orig_len - MW_SHARE_HDR);

			if (k % 2)
				at = at / ssz * ssz + d[MW_DESC_OFF_COMMIT + rnd() % 12];
			buf[MW_SHARE_HDR + at] ^= (unsigned char)(1 + rnd() % 255);
		}
		snprintf(what, sizeof(what), "slots, case %d", i);
		ok_all &= run_case(&slots, what);
	}
	ok(ok_all && !slots.crashed, "200 logs with random bytes of their slots flipped: "
	   "no crash, no field out of range (%d read, %d of them with damaged slots left out)",
	   slots.records, slots.leftout);

	/* Random bytes of the header's words (magic to the modules' count). */
	ok_all = 1;
	for (int i = 0; i < 200; i++) {
		char what[64];
		int n = 1 + (int)(rnd() % 4);

		reset(orig_len);
		for (int k = 0; k < n; k++)
			buf[rnd() % (8 * (2 + MW_DESC_COUNT + 4))] ^= (unsigned char)(1 + rnd() % 255);
		snprintf(what, sizeof(what), "header, case %d", i);
		ok_all &= run_case(&hdr, what);
	}
	ok(ok_all && !hdr.crashed, "200 logs with random bytes of their header flipped: no crash "
	   "(%d damaged, %d read)", hdr.damaged, hdr.records);

	/* End to end: the command on a log its program damaged. */
	snprintf(cmd, sizeof(cmd), "%s/cli/memwatch -r 64 -w counter -- %s/tests/corrupt-prog "
		 "poke %llu 3", top, top, (unsigned long long)capword);
	st = sh(cmd, err, sizeof(err));
	is_int(st, 124, "memwatch on a log with capacity 3: exit status 124");
	ok(strstr(err, "memwatch: the log is damaged: ring capacity 3 is not a power of two") != NULL,
	   "it says so in one line");
	ok(strstr(err, "corrupt-prog exited with status 0") != NULL, "and the program's status");
	snprintf(cmd, sizeof(cmd), "%s/cli/memwatch -r 64 -w counter -- %s/tests/corrupt-prog "
		 "cut %llu", top, top, (unsigned long long)(MW_SHARE_HDR + 10 * ssz));
	st = sh(cmd, err, sizeof(err));
	is_int(st, 124, "memwatch on a log cut short: exit status 124");
	ok(strstr(err, "memwatch: the log is damaged: the file has ") != NULL &&
	   strstr(err, "cut short") != NULL, "it says the file is too short");
	if (st != 124)
		diag("%s", err);
	return done();
}

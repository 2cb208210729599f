/* SPDX-License-Identifier: MIT */
/*
 * t-syscalls-pkey.c - memory protection keys and watched pages.
 * pkey_mprotect with key -1 or 0 of a watched page is mprotect: the
 * program's protection holds, the watch goes on, the page has it after the
 * unwatch.  A key the kernel refuses (not allocated) gives EINVAL as without
 * the watch, which goes on.  An allocated key ends the watches over the
 * pages (a message naming them, a MW_KIND_GONE record), and the key then
 * guards the program's own pages as without memwatch: a write its thread's
 * rights deny faults with SEGV_PKUERR, reads go on, pkey_free works.
 * Where the CPU or kernel has no protection keys, pkey_alloc's error and
 * pkey_mprotect's EINVAL are checked, the rest skipped (said in the plan's
 * comments).
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "memwatch.h"
#include "tap.h"
#include "dispatch.h"
#include "section.h"
#include "watch.h"

#define PG 4096

static sigjmp_buf env;
static volatile int fault_code;

static void on_segv(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	fault_code = si->si_code;
	siglongjmp(env, 1);
}

/* The si_code of the fault a store to P raises, or 0 if none. */
static int store_fault(volatile char *p)
{
	struct sigaction sa, old;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_segv;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGSEGV, &sa, &old);
	fault_code = 0;
	if (sigsetjmp(env, 1) == 0)
		*p = 1;
	sigaction(SIGSEGV, &old, NULL);
	return fault_code;
}

static long pkey_mprotect_(void *p, size_t n, int prot, int key)
{
	return syscall(SYS_pkey_mprotect, p, n, prot, key);
}

static int gone_records(int id)
{
	struct mw_log_cursor cur;
	struct mw_record r;
	int n = 0;

	mw_log_begin(&cur);
	while (mw_log_next(&cur, &r) > 0)
		n += r.kind == MW_KIND_GONE && r.watch == id;
	return n;
}

/* pkey_mprotect without a key: mprotect. */
static void sec_nokey(void)
{
	volatile char *p = map_pages(1);
	char perms[5];
	int id = watch((const void *)p, 64, MW_WRITE);

	p[0] = 1;
	ok(pkey_mprotect_((void *)p, PG, PROT_READ, -1) == 0, "pkey_mprotect(PROT_READ, key -1) of a watched page");
	is_int(store_fault(p + 1), SEGV_ACCERR, "the program's PROT_READ holds: a store faults, SEGV_ACCERR");
	ok(pkey_mprotect_((void *)p, PG, PROT_READ | PROT_WRITE, 0) == 0, "pkey_mprotect(PROT_READ|PROT_WRITE, key 0)");
	p[2] = 3;
	is_count(id, 2, "the watch goes on, the store counted");
	ok(pkey_mprotect_((void *)p, PG, PROT_READ, 0) == 0, "pkey_mprotect(PROT_READ, key 0) again");
	is_int(mw_unwatch(id), 0, "unwatched");
	perms_of(p, perms);
	is_str(perms, "r--p", "the page is the program's PROT_READ after the unwatch");
	ok(p[0] == 1 && p[2] == 3, "values kept");
}
#define N_NOKEY 8

static void refused_key(void *arg)
{
	volatile char *p = arg;
	int id = watch((const void *)p, 64, MW_WRITE);
	long r;

	errno = 0;
	r = pkey_mprotect_((void *)p, PG, PROT_READ | PROT_WRITE, 13);
	printf("pkey_mprotect with key 13: %ld %s\n", r, r < 0 ? strerror(errno) : "");
	p[0] = 5;
	if (id > 0) {
		uint64_t c = 0;
		int rc = mw_count(id, &c);

		printf("watch: %d, count %llu\n", rc, (unsigned long long)c);
	}
}

/* A key not allocated: EINVAL, the watch goes on, nothing said. */
static void sec_refused(void)
{
	char out[2][512];
	volatile char *p = map_pages(1);
	struct child c = { .flags = CHILD_STDOUT | CHILD_STDERR, .alarm = 10 };

	c.out = out[0];
	c.len = sizeof(out[0]);
	child_run(&c, refused_key, (void *)p);
	is_str(out[0], "pkey_mprotect with key 13: -1 Invalid argument\nwatch: 0, count 1\n",
	       "a key not allocated: EINVAL as without the watch, the watch goes on, nothing said");
}
#define N_REFUSED 1

struct keyed {
	int key;
};

static void with_key(void *arg)
{
	struct keyed *k = arg;
	volatile char *p = map_pages(2);
	int id = watch((const void *)(p + 100), 8, MW_WRITE);
	int other = watch((const void *)(p + PG), 8, MW_WRITE);
	uint64_t c = 0;
	int rc;

	p[100] = 1;
	printf("pkey_mprotect: %ld\n", pkey_mprotect_((void *)p, PG, PROT_READ | PROT_WRITE, k->key));
	rc = mw_count(id, &c);
	printf("watch over the page ended: %d, gone records %d\n", rc == -ENOENT, gone_records(id));
	p[PG] = 1;
	rc = mw_count(other, &c);
	printf("the watch on the next page goes on: %d %llu\n", rc, (unsigned long long)c);
	p[101] = 2;
	printf("a store with the key's rights all: fault %d, value %d\n", 0, p[101]);
	pkey_set(k->key, PKEY_DISABLE_WRITE);
	printf("a store the key denies: fault %d\n", store_fault(p + 102));
	/* Leaving a handler by siglongjmp keeps the handler's rights (the
	 * kernel's default: no access by other keys): set them again. */
	pkey_set(k->key, PKEY_DISABLE_WRITE);
	printf("a read it allows: %d\n", p[100]);
	pkey_set(k->key, 0);
	printf("pkey_free: %d\n", pkey_free(k->key));
}

static void sec_key(void)
{
	char out[1024];
	struct keyed k;
	struct child c = { .flags = CHILD_STDOUT | CHILD_STDERR, .alarm = 10, .out = out,
			   .len = sizeof(out) };

	k.key = pkey_alloc(0, 0);
	if (k.key < 0) {
		ok(errno == ENOSPC || errno == EINVAL || errno == ENOSYS,
		   "no protection keys here: pkey_alloc fails with %s", strerror(errno));
		for (int i = 0; i < 3; i++)
			ok(1, "# SKIP no protection keys on this machine");
		return;
	}
	ok(1, "pkey_alloc: key %d", k.key);
	char st[128];

	describe_status(child_run(&c, with_key, &k), st, sizeof(st));
	if (!ok(strcmp(st, "exited with status 0") == 0, "the child %s", st))
		diag("%s", out);
	ok(strstr(out, "ends: pkey_mprotect gives its memory a protection key, which memwatch "
		       "cannot watch") != NULL, "the watch over the page is named on standard error");
	is_str(strstr(out, "pkey_mprotect:"),
	       "pkey_mprotect: 0\n"
	       "watch over the page ended: 1, gone records 1\n"
	       "the watch on the next page goes on: 0 1\n"
	       "a store with the key's rights all: fault 0, value 2\n"
	       "a store the key denies: fault 4\n"
	       "a read it allows: 1\n"
	       "pkey_free: 0\n",
	       "an allocated key: the watch over the page ends (gone), the other goes on, the key "
	       "guards the page as without memwatch (SEGV_PKUERR)");
}
#define N_KEY 4

int main(void)
{
	need_dispatch();
	plan(N_NOKEY + 1 + N_REFUSED + 1 + N_KEY + 1);
	run_section("pkey_mprotect without a key", N_NOKEY, sec_nokey);
	run_section("a key the kernel refuses", N_REFUSED, sec_refused);
	run_section("an allocated key", N_KEY, sec_key);
	return done();
}

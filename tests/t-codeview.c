/* SPDX-License-Identifier: MIT */
/*
 * t-codeview.c - no writable view of code while nothing is watched: the
 * instruction stubs live in a memfd (/memfd:memwatch-code) mapped twice,
 * read-execute to run them and read-write to write them; the read-write
 * view is writable only while a watch exists (before the first watch,
 * after the last mw_unwatch, after a first mw_watch that failed, and in a
 * forked child after its last unwatch it is read-only), as
 * /proc/self/maps shows.  Instructions first seen after watching again
 * are still performed and counted.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "memwatch.h"
#include "tap.h"
#include "watch.h"

/* Mappings of the stub memfd: all of them, and the writable ones. */
static void code_views(int *all, int *writable)
{
	*all = *writable = 0;
	for (char *p = read_maps(); *p; ) {
		char *e = strchr(p, '\n'), *perm = strchr(p, ' ');

		if (e)
			*e = 0;
		if (strstr(p, "memwatch-code")) {
			(*all)++;
			*writable += perm && perm[2] == 'w';
		}
		p = e ? e + 1 : p + strlen(p);
	}
}

/* Mappings of the watched pages' memory file (the aliases and the watched
 * ranges themselves): all of them, and the writable ones. */
static void alias_views(int *all, int *writable)
{
	*all = *writable = 0;
	for (char *p = read_maps(); *p; ) {
		char *e = strchr(p, '\n'), *perm = strchr(p, ' ');

		if (e)
			*e = 0;
		if (strstr(p, "/memfd:memwatch") && !strstr(p, "memwatch-code")) {
			(*all)++;
			*writable += perm && perm[2] == 'w';
		}
		p = e ? e + 1 : p + strlen(p);
	}
}

/* Read-only data of its own pages. */
static const char ro_data[2 * 4096] __attribute__((aligned(4096))) = { 1, 2, 3 };

static int writable_views(void)
{
	int all, w;

	code_views(&all, &w);
	return w;
}

/* Stores by distinct instructions: each one's first fault writes a stub. */
static __attribute__((noinline)) void st8(volatile void *p, int v) { *(volatile uint8_t *)p = (uint8_t)v; }
static __attribute__((noinline)) void st16(volatile void *p, int v) { *(volatile uint16_t *)p = (uint16_t)v; }
static __attribute__((noinline)) void st32(volatile void *p, int v) { *(volatile uint32_t *)p = (uint32_t)v; }
static __attribute__((noinline)) void st64(volatile void *p, int v) { *(volatile uint64_t *)p = (uint64_t)v; }

static uint64_t buf[512] __attribute__((aligned(4096)));

/* In a forked child: watch, a new instruction, unwatch: 0 when all held. */
static int child(void)
{
	uint64_t c = 0;
	int id = mw_watch(buf, 64, MW_WRITE), bad = 0;

	if (id <= 0)
		return 1;
	bad |= (writable_views() != 1) << 1;
	st8((char *)buf + 3, 7);
	bad |= (mw_count(id, &c) != 0 || c != 1 || ((char *)buf)[3] != 7) << 2;
	mw_unwatch(id);
	bad |= (writable_views() != 0) << 3;
	return bad;
}

int main(void)
{
	int all, w, id, id2, st;
	pid_t pid;

	plan(15);
	code_views(&all, &w);
	if (!ok(all >= 1 && w == 0, "loaded, nothing watched yet: no writable view of the stubs"))
		diag("  %d views of memwatch-code, %d writable", all, w);

	id = watch(buf, 64, MW_WRITE);
	st32(buf, 1);
	st64(buf + 1, 2);
	is_count(id, 2, "watched: two stores by new instructions");
	ok(writable_views() == 1, "while a watch exists: one writable view (%d)", writable_views());
	mw_unwatch(id);
	ok(writable_views() == 0, "after the last mw_unwatch: none (%d)", writable_views());

	id = watch(buf, 64, MW_WRITE);
	id2 = watch(buf + 256, 64, MW_WRITE);
	st16(buf, 3);
	st32(buf + 256, 4);
	is_count(id, 1, "watched again: a store by an instruction new since then");
	mw_unwatch(id2);
	ok(writable_views() == 1, "one of two watches gone: still writable (%d)", writable_views());
	st8(buf, 5);
	is_count(id, 2, "and a new instruction is still performed and counted");
	ok(buf[0] == 5 && buf[256] == 4, "the values stored");
	mw_unwatch(id);
	ok(writable_views() == 0, "the last one gone: no writable view (%d)", writable_views());

	ok(mw_watch((void *)8, 8, MW_WRITE) < 0 && writable_views() == 0,
	   "a first mw_watch that fails leaves none (%d)", writable_views());

	fflush(stdout);
	pid = fork();
	if (pid == 0)
		_exit(child());
	st = -1;
	waitpid(pid, &st, 0);
	if (!ok(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		"a forked child watches with a new instruction, and unwatching leaves it none"))
		diag("  status 0x%x (exit bits: 2 writable while watched, 4 count, 8 writable after)", st);
	ok(writable_views() == 0, "nor the parent (%d)", writable_views());

	/* The alias of watched read-only data is a writable view of it: only
	 * while the watch exists. */
	alias_views(&all, &w);
	ok(all == 0, "no watch: no mapping of the watched pages' memory file (%d)", all);
	id = watch(ro_data, 64, MW_WRITE);
	alias_views(&all, &w);
	ok(all >= 2 && w >= 1 && ro_data[2] == 3,
	   "read-only data watched: the range and a writable alias (%d views, %d writable)", all, w);
	mw_unwatch(id);
	alias_views(&all, &w);
	if (!ok(all == 0, "unwatched: no mapping of it is left, writable or not (%d)", all))
		diag("  %d writable", w);
	return done();
}

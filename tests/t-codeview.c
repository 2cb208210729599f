/* SPDX-License-Identifier: MIT */
/*
 * t-codeview.c - no writable view of code while nothing is watched: the
 * instruction stubs live in a memfd (/memfd:memwatch-code) mapped twice,
 * read-execute to run them and read-write to write them; the read-write
 * view is writable only while a watch exists (before the first watch,
 * after the last mw_unwatch, after a first mw_watch that failed, and in a
 * forked child after its last unwatch it is read-only), as
 * /proc/self/maps shows.  Instructions first seen after watching again
 * are still performed and counted.  The writable alias of watched
 * read-only data exists only while it is watched: after, the library's
 * memfd space (kept for the next watch) holds no byte that is not zero.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
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

/* Whether a mapping of the memfd covers ADDR. */
static int maps_at(const void *addr)
{
	for (char *p = read_maps(); *p; ) {
		char *e = strchr(p, '\n');
		unsigned long a, b;

		if (e)
			*e = 0;
		if (strstr(p, "/memfd:memwatch") && !strstr(p, "memwatch-code") &&
		    sscanf(p, "%lx-%lx", &a, &b) == 2 && a <= (uintptr_t)addr && (uintptr_t)addr < b)
			return 1;
		p = e ? e + 1 : p + strlen(p);
	}
	return 0;
}

/* The bytes that are not zero in the pages of the library's memfd space
 * (the mapping of its memfd outside any watched range) that have memory. */
static long kept_bytes(void)
{
	long n = 0;

	for (char *p = read_maps(); *p; ) {
		char *e = strchr(p, '\n');
		unsigned long a, b;

		if (e)
			*e = 0;
		if (strstr(p, "/memfd:memwatch") && !strstr(p, "memwatch-code") &&
		    sscanf(p, "%lx-%lx", &a, &b) == 2) {
			size_t pages = (b - a) / 4096;
			unsigned char *vec = malloc(pages);

			if (!vec || mincore((void *)a, b - a, vec) != 0)
				bail("mincore: %s", strerror(errno));
			for (size_t i = 0; i < pages; i++)
				for (size_t j = 0; (vec[i] & 1) && j < 4096; j++)
					n += ((const char *)a)[i * 4096 + j] != 0;
			free(vec);
		}
		p = e ? e + 1 : p + strlen(p);
	}
	return n;
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
	int all, w, id, id2, st, before;
	pid_t pid;

	plan(16);
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
	 * while the watch exists.  The library's memfd space (one mapping)
	 * stays after the last watch, for the next one, with every page it
	 * kept zeroed: no view of the data, and no copy of it. */
	alias_views(&before, &w);
	ok(before <= 1 && w == before, "no watch: at most the library's memfd space (%d)", before);
	id = watch(ro_data, 64, MW_WRITE);
	alias_views(&all, &w);
	ok(all >= 2 && w >= 1 && ro_data[2] == 3,
	   "read-only data watched: the range and a writable alias (%d views, %d writable)", all, w);
	mw_unwatch(id);
	alias_views(&all, &w);
	if (!ok(all == 1 && !maps_at(ro_data), "unwatched: no mapping of it at the data, the memfd "
		"space alone (%d)", all))
		diag("  %d writable", w);
	ok(kept_bytes() == 0, "and no byte in that space is not zero (%ld)", kept_bytes());
	return done();
}

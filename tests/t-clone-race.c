/* SPDX-License-Identifier: MIT */
/*
 * t-clone-race.c - threads created while watches come and go.
 *
 * Each first watch (after the last one went) switches system-call
 * dispatch on and asks every thread of the process to look, by a signal.
 * A thread being created at that moment (its clone dispatched through the
 * library, which starts it on a copy of its registers) may have that
 * signal pending from its first instruction: it must still start as the
 * program asked, with its own registers.  Before the fix, the signal's
 * frame overwrote the copy and the new thread jumped to address 0.
 *
 * In a child process (a crash is a failed point, not a dead test): the
 * main thread unwatches and watches a word 4000 times while batches of
 * threads are created, each adding to a counter beside the watch and
 * exiting; every thread must run, every addition land.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "memwatch.h"
#include "tap.h"

#define BATCHES 40
#define PER 4
#define ADDS 1000
#define TOGGLES 4000

static unsigned char *pg;
static atomic_int toggling;
static atomic_long ran;

static void *adder(void *arg)
{
	(void)arg;
	for (int i = 0; i < ADDS; i++)
		__atomic_fetch_add((uint64_t *)(pg + 256), 1, __ATOMIC_SEQ_CST);
	atomic_fetch_add(&ran, 1);
	return NULL;
}

static void *creator(void *arg)
{
	int *bad = arg;

	for (int b = 0; b < BATCHES && atomic_load(&toggling); b++) {
		pthread_t t[PER];

		for (int i = 0; i < PER; i++)
			if (pthread_create(&t[i], NULL, adder, NULL) != 0)
				t[i] = 0, (*bad)++;
		for (int i = 0; i < PER; i++)
			if (t[i])
				pthread_join(t[i], NULL);
	}
	return NULL;
}

static int run(void)
{
	pthread_t c;
	int bad = 0, id;

	pg = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (pg == MAP_FAILED)
		return 10;
	id = mw_watch(pg + 8, 8, MW_WRITE);
	atomic_store(&toggling, 1);
	pthread_create(&c, NULL, creator, &bad);
	for (int i = 0; i < TOGGLES; i++) {
		if (mw_unwatch(id) != 0)
			bad++;
		id = mw_watch(pg + 8, 8, MW_WRITE);
		if (id <= 0)
			bad++;
	}
	atomic_store(&toggling, 0);
	pthread_join(c, NULL);
	mw_unwatch(id);
	if (bad)
		return 11;
	return *(uint64_t *)(pg + 256) == (uint64_t)atomic_load(&ran) * ADDS ? 0 : 12;
}

int main(void)
{
	int status = -1;
	pid_t pid;

	plan(1);
	pid = fork();
	if (pid == 0)
		_exit(run());
	waitpid(pid, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	   "threads created while a watch goes and comes back %d times: each starts and adds "
	   "(status %#x: %s)", TOGGLES, status,
	   WIFSIGNALED(status) ? "killed by a signal" : WIFEXITED(status) && WEXITSTATUS(status) ? "exit status" : "ok");
	return done();
}

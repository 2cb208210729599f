/* SPDX-License-Identifier: MIT */
/*
 * t-handlers-merged.c - a SIGSEGV or SIGSYS the program sends one of its
 * threads while that thread keeps raising the library's own (it stores to
 * watched memory in a loop, by signals: MEMWATCH_PATCH=0; or makes system
 * calls in a loop, each a SIGSYS of dispatch) reaches the program's
 * handler every time: the kernel keeps a standard signal pending once, and
 * one sent while the library's own is pending was merged with it and lost
 * (1 to 3 in 100).  NSENT pthread_kill()s each, one at a time, each
 * waiting for its handler call: every one is handled once, with SI_TKILL
 * and the sender's pid; every watched store is counted.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "memwatch.h"
#include "tap.h"
#include "dispatch.h"
#include "section.h"

#ifndef NSENT
#define NSENT 400
#endif

static volatile int target[1024] __attribute__((aligned(4096)));
static _Atomic int handled, wrong;
static _Atomic int stop, started;
static _Atomic long stores;

static void on_sig(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	/* getpid(2): a system call, dispatched, from the handler. */
	if (si->si_code != SI_TKILL || si->si_pid != getpid())
		atomic_fetch_add(&wrong, 1);
	atomic_fetch_add(&handled, 1);
}

static void *storer(void *arg)
{
	(void)arg;
	atomic_store(&started, 1);
	while (!atomic_load(&stop)) {
		target[5]++;
		atomic_fetch_add(&stores, 1);
	}
	return NULL;
}

static void *caller(void *arg)
{
	(void)arg;
	atomic_store(&started, 1);
	while (!atomic_load(&stop))
		syscall(SYS_getppid);
	return NULL;
}

/* Sends SIG to a thread running FN NSENT times; how many were handled. */
static void run(int sig, void *(*fn)(void *))
{
	struct sigaction sa;
	pthread_t t;
	int id, lost = 0;
	uint64_t c = 0;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sig;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigaction(sig, &sa, NULL);
	id = mw_watch((const void *)target, sizeof(target), MW_WRITE);
	if (id <= 0) {
		printf("mw_watch: %d\n", id);
		return;
	}
	pthread_create(&t, NULL, fn, NULL);
	while (!atomic_load(&started))
		sched_yield();
	for (int i = 0; i < NSENT; i++) {
		int before = atomic_load(&handled);

		pthread_kill(t, sig);
		struct timespec t0, now, us = { 0, 20000 };

		/* Up to 200 ms for its handler call. */
		clock_gettime(CLOCK_MONOTONIC, &t0);
		do {
			if (atomic_load(&handled) != before)
				break;
			nanosleep(&us, NULL);
			clock_gettime(CLOCK_MONOTONIC, &now);
		} while ((now.tv_sec - t0.tv_sec) * 1000000000L + now.tv_nsec - t0.tv_nsec < 200000000L);
		lost += atomic_load(&handled) == before;
	}
	atomic_store(&stop, 1);
	pthread_join(t, NULL);
	mw_count(id, &c);
	printf("handled %d of %d, lost %d, wrong siginfo %d\n", atomic_load(&handled), NSENT, lost,
	       atomic_load(&wrong));
	if (fn == storer)
		printf("stores counted: %s\n", c == (uint64_t)atomic_load(&stores) ? "all" : "not all");
}

static void segv(void *arg)
{
	(void)arg;
	run(SIGSEGV, storer);
}

static void sys(void *arg)
{
	(void)arg;
	run(SIGSYS, caller);
}

static void check(const char *what, void (*fn)(void *), const char *want)
{
	char out[4096], st[128];
	struct child c = { .flags = CHILD_STDOUT, .alarm = 100, .out = out, .len = sizeof(out) };

	describe_status(child_run(&c, fn, NULL), st, sizeof(st));
	if (!ok(strcmp(st, "exited with status 0") == 0 && strcmp(out, want) == 0, "%s", what))
		diag("%s\n%s", st, out);
}

int main(int argc, char **argv)
{
	char want[256];

	(void)argc;
	need_dispatch();
	/* Every store a SIGSEGV of the library's, not a patched site's jump:
	 * read when the library starts. */
	if (!getenv("MEMWATCH_PATCH")) {
		setenv("MEMWATCH_PATCH", "0", 1);
		execv("/proc/self/exe", argv);
		bail("execv: %s", strerror(errno));
	}
	plan(2);
	snprintf(want, sizeof(want),
		 "handled %d of %d, lost 0, wrong siginfo 0\nstores counted: all\n", NSENT, NSENT);
	check("pthread_kill(SIGSEGV) to a thread storing to watched memory: every one handled",
	      segv, want);
	snprintf(want, sizeof(want), "handled %d of %d, lost 0, wrong siginfo 0\n", NSENT, NSENT);
	check("pthread_kill(SIGSYS) to a thread making system calls: every one handled", sys, want);
	return done();
}

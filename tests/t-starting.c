/* SPDX-License-Identifier: MIT */
/*
 * t-starting - threads that are only starting when the process makes its
 * first watch.  A new thread runs with every signal blocked until the C
 * library gives it its mask (glibc's start_thread), and the thread calling
 * pthread_create blocks them around the clone: for that moment both look
 * like threads that block SIGSYS.  The library must not say "N thread(s)
 * block SIGSYS now ... fail with EFAULT" for them (it did in 8 of 30 runs
 * of a program that starts its threads as it watches): they unblock it at
 * once, take the question and dispatch their calls.  A thread that really
 * blocks SIGSYS is still named.  Each case runs in a forked child, whose
 * first watch is the one tested (this process never watches).
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "memwatch.h"
#include "tap.h"
#include "dispatch.h"
#include "section.h"
#include "traced.h"

static uint8_t area[4096] __attribute__((aligned(4096)));
static _Atomic int ready, go;
static int pipefd[2];
static ssize_t got = -2;

static void sleep_ms(long ms)
{
	struct timespec t = { ms / 1000, (ms % 1000) * 1000000 };

	nanosleep(&t, NULL);
}

/* Blocks every signal for MS ms, as a thread that is starting does, then
 * unblocks them and reads a byte into the watched page: a system call that
 * touches it, which fails with EFAULT if its dispatch is not on. */
static void *slow_start(void *arg)
{
	sigset_t all, old;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	atomic_store(&ready, 1);
	sleep_ms((long)(intptr_t)arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	while (!atomic_load(&go))
		sleep_ms(1);
	got = read(pipefd[0], area + 8, 1);
	return NULL;
}

/* Blocks every signal for good, as a worker of a thread pool may. */
static _Atomic pid_t deaf_tid;

static void *deaf(void *arg)
{
	sigset_t all;

	atomic_store(&deaf_tid, (pid_t)syscall(SYS_gettid));
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	atomic_store(&ready, 1);
	for (;;)
		pause();
	return arg;
}

/* The first watch while a thread blocks every signal for 5 ms. */
static void starting(void *arg)
{
	pthread_t t;
	uint64_t n = 0;
	int id;

	(void)arg;
	if (pipe(pipefd) || pthread_create(&t, NULL, slow_start, (void *)(intptr_t)5))
		_exit(99);
	while (!atomic_load(&ready))
		sleep_ms(1);
	id = mw_watch(area, 64, MW_WRITE);
	if (write(pipefd[1], "x", 1) != 1)
		_exit(99);
	atomic_store(&go, 1);
	pthread_join(t, NULL);
	mw_count(id, &n);
	printf("watch %d, read %zd, byte %c, logged %d\n", id, got, area[8] ? area[8] : '?',
	       (int)n);
}

static void *idle(void *arg)
{
	return arg;
}

/* The first watch right after starting threads, as a server does. */
static void just_started(void *arg)
{
	pthread_t t[8];

	(void)arg;
	for (int i = 0; i < 8; i++)
		if (pthread_create(&t[i], NULL, idle, NULL))
			_exit(99);
	printf("watch %d\n", mw_watch(area, 64, MW_WRITE));
	for (int i = 0; i < 8; i++)
		pthread_join(t[i], NULL);
}

/* The first watch while a thread blocks every signal for good, and a
 * debugger holds it (the library cannot trace it to unblock them). */
static void blocking(void *arg)
{
	pthread_t t;

	(void)arg;
	if (pthread_create(&t, NULL, deaf, NULL))
		_exit(99);
	while (!atomic_load(&ready))
		sleep_ms(1);
	if (hold_traced(atomic_load(&deaf_tid)) < 0)
		printf("(not traced) ");
	printf("watch %d\n", mw_watch(area, 64, MW_WRITE));
}

static int run(void (*fn)(void *), char *out, size_t len)
{
	struct child c = { .flags = CHILD_STDOUT | CHILD_STDERR | CHILD_NO_CORE,
			   .alarm = 20, .out = out, .len = len };

	return child_run(&c, fn, NULL);
}

int main(void)
{
	char out[4096];
	int st, said = 0, runs = 30;

	need_dispatch();
	plan(5);

	st = run(starting, out, sizeof(out));
	ok(st == 0 && !strstr(out, "block SIGSYS"),
	   "a thread that blocks its signals for 5 ms is not said to block SIGSYS (%s)", out);
	ok(strstr(out, "read 1, byte x, logged 1") != NULL,
	   "its read into the watched page works, dispatched and logged (%s)", out);

	for (int i = 0; i < runs; i++) {
		st = run(just_started, out, sizeof(out));
		said += st != 0 || strstr(out, "block SIGSYS") != NULL;
	}
	ok(said == 0, "the first watch right after 8 pthread_creates: no message (%d of %d runs "
	   "had one)", said, runs);

	st = run(blocking, out, sizeof(out));
	ok(st == 0 && strstr(out, "memwatch: 1 thread(s) block SIGSYS now") != NULL,
	   "a thread that blocks SIGSYS for good, held by a debugger, is named (%s)", out);
	ok(strstr(out, "watch 1") != NULL, "and the watch is made (%s)", out);
	return done();
}

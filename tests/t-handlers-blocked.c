/* SPDX-License-Identifier: MIT */
/*
 * t-handlers-blocked.c - the "block everything, sigwait in one thread"
 * pattern with the threads started before the first watch: main blocks
 * every signal, starts a thread blocked in read(2), one spinning in its
 * own code, and one in sigwait(SIGUSR2), all inheriting the full mask;
 * then main watches memory.  The first two write the watched memory (and
 * read(2) into it): every write is caught and counted, the process lives,
 * no message says a thread blocks SIGSYS; each thread's mask still shows
 * SIGSEGV, SIGSYS and the rest blocked; the read that was blocked at the
 * first watch returns its bytes; the thread in sigwait for every signal
 * gets the SIGUSR2 sent to it, not a signal of the library's.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "memwatch.h"
#include "tap.h"
#include "dispatch.h"
#include "section.h"
#include "traced.h"

static volatile int area[1024] __attribute__((aligned(4096)));
static char buf[4096] __attribute__((aligned(4096)));
static int go[2];
static _Atomic int spin_go;
static _Atomic int shows_reader, shows_spinner;

static int shows_blocked(void)
{
	sigset_t cur;

	pthread_sigmask(SIG_BLOCK, NULL, &cur);
	return sigismember(&cur, SIGSEGV) && sigismember(&cur, SIGSYS) && sigismember(&cur, SIGUSR1);
}

static void *reader(void *arg)
{
	char c = 0;
	ssize_t r = read(go[0], &c, 1);     /* blocked here at the first watch */

	(void)arg;
	area[0] = 1;
	area[1] = 2;
	area[2] = 3;
	/* A read into the watched page: dispatched, logged. */
	r = r == 1 ? read(go[0], buf, 5) : -1;
	shows_reader = shows_blocked();
	return (void *)(long)r;
}

static void *spinner(void *arg)
{
	(void)arg;
	while (!atomic_load(&spin_go))
		;               /* its own code, no system call */
	area[10] = 4;
	area[11] = 5;
	shows_spinner = shows_blocked();
	return NULL;
}

/* Waits for every signal, as the sigwait thread of the pattern often
 * does: the library's own signals must not be what it gets, nor EINTR. */
static void *waiter(void *arg)
{
	sigset_t s;
	siginfo_t si;
	int sig;

	(void)arg;
	sigfillset(&s);
	/* sigwaitinfo, unlike sigwait, returns EINTR to the program. */
	sig = sigwaitinfo(&s, &si);
	return (void *)(long)(sig < 0 ? -errno : sig);
}

static void run(void *arg)
{
	pthread_t r, s, w;
	sigset_t all;
	void *got_r = NULL, *got_w = NULL;
	uint64_t c = 0, cb = 0;
	int id, idb;

	(void)arg;
	if (pipe(go))
		return;
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, NULL);
	pthread_create(&r, NULL, reader, NULL);
	pthread_create(&s, NULL, spinner, NULL);
	pthread_create(&w, NULL, waiter, NULL);
	usleep(50000);          /* all three in their places */
	id = mw_watch((const void *)area, sizeof(area), MW_WRITE);
	idb = mw_watch(buf, 5, MW_WRITE);
	if (id <= 0 || idb <= 0) {
		printf("mw_watch: %d %d\n", id, idb);
		return;
	}
	if (write(go[1], "xhello", 6) != 6)
		return;
	atomic_store(&spin_go, 1);
	pthread_join(r, &got_r);
	pthread_join(s, NULL);
	pthread_kill(w, SIGUSR2);
	pthread_join(w, &got_w);
	mw_count(id, &c);
	mw_count(idb, &cb);
	printf("writes counted: %llu, read(2) into the watched buffer: %ld \"%.5s\", counted %llu\n",
	       (unsigned long long)c, (long)got_r, buf, (unsigned long long)cb);
	printf("masks show SIGSEGV, SIGSYS, SIGUSR1 blocked: %d %d\n", (int)shows_reader,
	       (int)shows_spinner);
	printf("the sigwait thread got signal %ld\n", (long)got_w);
	printf("values %d %d %d %d %d\n", area[0], area[1], area[2], area[10], area[11]);
}

static void sec_blocked(void)
{
	char out[4096];
	struct child c = { .flags = CHILD_STDOUT | CHILD_STDERR, .alarm = 20, .out = out,
			   .len = sizeof(out) };
	char st[128];

	describe_status(child_run(&c, run, NULL), st, sizeof(st));
	is_str(st, "exited with status 0", "threads blocking every signal since before the first "
	       "watch write watched memory: the process lives");
	is_str(out,
	       "writes counted: 5, read(2) into the watched buffer: 5 \"hello\", counted 1\n"
	       "masks show SIGSEGV, SIGSYS, SIGUSR1 blocked: 1 1\n"
	       "the sigwait thread got signal 12\n"
	       "values 1 2 3 4 5\n",
	       "every write counted, the read done and logged, the masks as set, sigwait served, "
	       "nothing said");
}

int main(void)
{
	need_dispatch();
	/* The library reaches such threads with a tracer of its own. */
	if (!tracing_allowed())
		skip_all("a child process may not trace this one here");
	plan(3);
	run_section("threads blocking everything before the first watch", 2, sec_blocked);
	return done();
}

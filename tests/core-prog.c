/* SPDX-License-Identifier: MIT */
/*
 * core-prog.c - the program of t-core.sh: watches a global, writes it, then
 * dies of a signal it sends itself while the watch exists (so the sending
 * system call goes through the library's SIGSYS handler), in crash_here(),
 * from main or from a second thread:
 *   abort, abort-thread    abort() (tgkill of SIGABRT)
 *   kill                   kill(getpid(), SIGQUIT)
 *   sigqueue               sigqueue(getpid(), SIGQUIT, ...)
 *   kill0, killpg          kill(0, SIGQUIT), kill(-getpgrp(), SIGQUIT) (the
 *                          program runs in a process group of its own)
 *   thread-kill            pthread_kill(SIGQUIT) from main to a thread
 *                          writing the watched global in crash_here()
 *   segv                   raise(SIGSEGV) (the library handles SIGSEGV)
 *   sys                    raise(SIGSYS) (and SIGSYS)
 *   handled                kill(getpid(), SIGQUIT) with a handler: it runs,
 *                          the program exits 0
 * Not linked for installing (-no-install): GDB reads its core directly.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "memwatch.h"

static volatile int watched;
static const char *mode;
static volatile sig_atomic_t got;

static void on_quit(int sig)
{
	got = sig;
}

static __attribute__((noinline)) void crash_here(void)
{
	union sigval v = { .sival_int = 1 };

	if (strcmp(mode, "kill") == 0 || strcmp(mode, "handled") == 0)
		kill(getpid(), SIGQUIT);
	else if (strcmp(mode, "kill0") == 0)
		kill(0, SIGQUIT);
	else if (strcmp(mode, "killpg") == 0)
		kill(-getpgrp(), SIGQUIT);
	else if (strcmp(mode, "thread-kill") == 0)
		for (;;)
			watched++;
	else if (strcmp(mode, "sigqueue") == 0)
		sigqueue(getpid(), SIGQUIT, v);
	else if (strcmp(mode, "segv") == 0)
		raise(SIGSEGV);
	else if (strcmp(mode, "sys") == 0)
		raise(SIGSYS);
	else
		abort();
	printf("alive, signal %d handled\n", (int)got);
}

static void *thread(void *arg)
{
	(void)arg;
	crash_here();
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t;

	if (argc != 2)
		return 2;
	mode = argv[1];
	if (strcmp(mode, "handled") == 0)
		signal(SIGQUIT, on_quit);
	if (mw_watch((void *)&watched, sizeof(watched), MW_WRITE) < 0)
		return 3;
	watched = 1;
	if (strcmp(mode, "kill0") == 0 || strcmp(mode, "killpg") == 0)
		setpgid(0, 0);
	if (strcmp(mode, "thread-kill") == 0) {
		pthread_create(&t, NULL, thread, NULL);
		while (watched < 1000)
			;
		pthread_kill(t, SIGQUIT);
		pthread_join(t, NULL);
	} else if (strcmp(mode, "abort-thread") == 0) {
		pthread_create(&t, NULL, thread, NULL);
		pthread_join(t, NULL);
	} else {
		crash_here();
	}
	return got ? 0 : 1;
}

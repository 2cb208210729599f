/* SPDX-License-Identifier: MIT */
/*
 * t-firstwatch - threads blocked in system calls when the process makes its
 * first watch.  The library then signals every thread to switch system call
 * dispatch on (memwatch(3), "System calls"); calls the kernel does not
 * restart after a handler must not fail with EINTR because of it: each
 * thread's call ends as it would have without memwatch, also one that was
 * stopped and continued before (SIGSTOP and SIGCONT, as a debugger's stop
 * does): the kernel goes on with it as restart_syscall.  A signal of the
 * program's own still interrupts them.  Then a thread that blocks every
 * signal: the watches that follow do not wait for it, and say once that
 * it cannot be switched on.
 * The whole test runs in one process: its first watch is the one tested.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "memwatch.h"
#include "tap.h"
#include "dispatch.h"
#include "traced.h"

static uint8_t area[4096] __attribute__((aligned(4096)));

enum { RESTARTED, NANOSLEEP, SLEEP_REM, POLL, EPOLL, SEM, SELECT, USR1_POLL, KINDS };

static const char *const names[KINDS] = {
	"clock_nanosleep(1 s), stopped and continued before",
	"nanosleep(1 s)", "clock_nanosleep(1 s) with its remainder", "poll",
	"epoll_wait", "sem_timedwait", "select", "poll, then the program's SIGUSR1",
};

static struct blocked {
	int kind;
	pid_t tid;
	long ret;
	int err;
	double start, took;     /* seconds */
} threads[KINDS];

static int pipes[KINDS][2];
static int ep;
static sem_t sem;
static volatile sig_atomic_t usr1;

static _Atomic int deaf_ready;
static _Atomic pid_t deaf_tid;

static void *deaf(void *arg)
{
	sigset_t all;

	atomic_store(&deaf_tid, (pid_t)syscall(SYS_gettid));
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	atomic_store(&deaf_ready, 1);
	for (;;)
		pause();
	return arg;
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void on_usr1(int sig)
{
	(void)sig;
	usr1++;
}

static void *run(void *arg)
{
	struct blocked *b = arg;
	double t0 = now();

	b->start = t0;
	b->tid = (pid_t)syscall(SYS_gettid);
	errno = 0;
	switch (b->kind) {
	case NANOSLEEP: {
		struct timespec ts = { 1, 0 };

		b->ret = nanosleep(&ts, NULL);
		break;
	}
	case RESTARTED:
	case SLEEP_REM: {
		struct timespec ts = { 1, 0 };

		b->ret = clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, &ts);
		break;
	}
	case POLL:
	case USR1_POLL: {
		struct pollfd p = { pipes[b->kind][0], POLLIN, 0 };

		b->ret = poll(&p, 1, 10000);
		break;
	}
	case EPOLL: {
		struct epoll_event ev;

		b->ret = epoll_wait(ep, &ev, 1, 10000);
		break;
	}
	case SEM: {
		struct timespec until;

		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += 10;
		b->ret = sem_timedwait(&sem, &until);
		break;
	}
	case SELECT: {
		fd_set r;
		struct timeval tv = { 10, 0 };

		FD_ZERO(&r);
		FD_SET(pipes[b->kind][0], &r);
		b->ret = select(pipes[b->kind][0] + 1, &r, NULL, NULL, &tv);
		break;
	}
	}
	b->err = errno;
	b->took = now() - t0;
	return NULL;
}

/* Until thread TID sleeps in a system call (its /proc syscall file shows
 * the call's number, NR if not -1); 0, or -1 after 5 s. */
static int wait_blocked(pid_t tid, long nr)
{
	char path[64], buf[256];

	snprintf(path, sizeof(path), "/proc/self/task/%d/syscall", (int)tid);
	for (int i = 0; i < 5000; i++) {
		FILE *f = fopen(path, "r");
		size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;

		if (f)
			fclose(f);
		buf[n] = 0;
		if (n > 0 && buf[0] >= '0' && buf[0] <= '9' && (nr < 0 || atol(buf) == nr)) {
			char stat[64], line[512];
			snprintf(stat, sizeof(stat), "/proc/self/task/%d/stat", (int)tid);
			f = fopen(stat, "r");
			n = f ? fread(line, 1, sizeof(line) - 1, f) : 0;
			if (f)
				fclose(f);
			line[n] = 0;
			char *p = strrchr(line, ')');
			if (p && p[1] == ' ' && p[2] == 'S')
				return 0;
		}
		usleep(1000);
	}
	return -1;
}

int main(void)
{
	pthread_t t[KINDS];
	struct sigaction sa;
	struct epoll_event ev = { .events = EPOLLIN };
	int id, blocked = 0;
	double watched_at;

	need_dispatch();
	plan(2 + KINDS + 1 + 2);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;        /* no SA_RESTART: poll gets EINTR */
	sigaction(SIGUSR1, &sa, NULL);
	for (int k = 0; k < KINDS; k++)
		if (pipe(pipes[k]))
			bail("pipe");
	ep = epoll_create1(0);
	ev.data.fd = pipes[EPOLL][0];
	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, pipes[EPOLL][0], &ev) || sem_init(&sem, 0, 0))
		bail("epoll, sem");

	/* The first sleeper, stopped and continued by a child of ours while it
	 * sleeps: then it sleeps on in restart_syscall.  Before the others
	 * exist (epoll_wait, for one, fails with EINTR after a stop). */
	threads[RESTARTED].kind = RESTARTED;
	pthread_create(&t[RESTARTED], NULL, run, &threads[RESTARTED]);
	while (!__atomic_load_n(&threads[RESTARTED].tid, __ATOMIC_ACQUIRE))
		usleep(1000);
	if (wait_blocked(threads[RESTARTED].tid, -1) == 0) {
		pid_t child = fork();

		if (child == 0) {
			kill(getppid(), SIGSTOP);
			usleep(20000);
			kill(getppid(), SIGCONT);
			_exit(0);
		}
		waitpid(child, NULL, 0);
		blocked += wait_blocked(threads[RESTARTED].tid, SYS_restart_syscall) == 0;
	}
	for (int k = RESTARTED + 1; k < KINDS; k++) {
		threads[k].kind = k;
		pthread_create(&t[k], NULL, run, &threads[k]);
	}
	for (int k = RESTARTED + 1; k < KINDS; k++) {
		while (!__atomic_load_n(&threads[k].tid, __ATOMIC_ACQUIRE))
			usleep(1000);
		blocked += wait_blocked(threads[k].tid, -1) == 0;
	}

	/* The program's own signal, then the first watch: whichever comes
	 * first, the poll it interrupts ends with EINTR. */
	pthread_kill(t[USR1_POLL], SIGUSR1);
	id = mw_watch(area, 64, MW_ACCESS);
	watched_at = now();
	ok(id > 0, "the first watch: %d", id);
	ok(blocked == KINDS && watched_at < threads[RESTARTED].start + 0.9,
	   "made while all %d threads sleep in their system calls, the first in restart_syscall "
	   "(%d; %.3f s into its sleep)", KINDS, blocked, watched_at - threads[RESTARTED].start);
	usleep(50000);
	/* Wake those that wait for something. */
	for (int k = POLL; k < KINDS; k++)
		if (k != SEM && write(pipes[k][1], "x", 1) != 1)
			bail("write");
	sem_post(&sem);
	for (int k = 0; k < KINDS; k++)
		pthread_join(t[k], NULL);

	for (int k = 0; k < KINDS; k++) {
		struct blocked *b = &threads[k];
		long want = k == RESTARTED || k == NANOSLEEP || k == SLEEP_REM || k == SEM ? 0 :
			    k == USR1_POLL ? -1 : 1;
		int good = b->ret == want && (want != -1 || b->err == EINTR);

		if (k == RESTARTED || k == NANOSLEEP || k == SLEEP_REM)
			good = good && b->took >= 1.0;
		ok(good, "%s returns %ld%s%s after %.3f s (as without memwatch: %ld%s)", names[k],
		   b->ret, b->ret < 0 ? ", " : "", b->ret < 0 ? strerror(b->err) : "", b->took, want,
		   want < 0 ? ", EINTR" : "");
	}
	ok(usr1 == 1, "the program's SIGUSR1 handler ran once (%d)", (int)usr1);
	mw_unwatch(id);

	/* A worker that blocks every signal, as thread pools do, held by a
	 * debugger (the library cannot trace it to unblock them): it cannot
	 * answer.  Each first watch after none (5 here) asks again and must
	 * not wait for it; the message about it is said once. */
	char tmpl[] = "/tmp/t-firstwatch-XXXXXX", text[4096];
	int fd = mkstemp(tmpl), saved = dup(2), said = 0, good = 1;
	ssize_t n;

	if (fd < 0 || saved < 0)
		bail("mkstemp, dup");
	unlink(tmpl);
	pthread_create(&t[0], NULL, deaf, NULL);
	while (!__atomic_load_n(&deaf_ready, __ATOMIC_ACQUIRE))
		usleep(1000);
	if (hold_traced(atomic_load(&deaf_tid)) < 0)
		diag("the worker could not be traced");
	dup2(fd, 2);
	for (int i = 0; i < 5; i++) {
		id = mw_watch(area, 64, MW_ACCESS);
		area[1] = (uint8_t)i;
		good = good && id > 0 && area[1] == i && mw_unwatch(id) == 0;
	}
	dup2(saved, 2);
	n = pread(fd, text, sizeof(text) - 1, 0);
	text[n > 0 ? n : 0] = 0;
	for (char *p = text; (p = strstr(p, "block SIGSYS")); p++)
		said++;
	ok(good, "5 watches and unwatches with a thread that blocks every signal");
	ok(said == 1 && strstr(text, "memwatch: 1 thread(s) block SIGSYS now"),
	   "the message about it is said once (%d)", said);
	return done();
}

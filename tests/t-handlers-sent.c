/* SPDX-License-Identifier: MIT */
/*
 * t-handlers-sent.c - signals the program sends its own process while
 * watches exist arrive as without memwatch: kill(0), kill(-pgid),
 * kill(getpid()) from main and from another thread, pthread_kill to
 * another thread, sigqueue and pthread_sigqueue of SIGUSR1, SIGSEGV, SIGSYS and SIGTRAP (the first
 * two are the library's own signals), handled, blocked and then unblocked
 * (pending meanwhile), taken by sigwaitinfo, ignored, and with the default
 * action (the process dies of it).  Each case runs twice in children of
 * their own, once with a watch on memory its threads write, once with no
 * watch: the handler calls (signal, si_code, si_pid, si_value, thread),
 * sigpending, and how the child ends must be the same.
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

static volatile int target[1024] __attribute__((aligned(4096)));

struct got {
	int sig, code, pid_self, value, other;
};
static struct got got[32];
static _Atomic int n_got;
static _Atomic pid_t other_tid;
static _Atomic int stop;
static _Atomic int send_sig;     /* the other thread sends this, then 0 */
static pthread_t other;

static void on_sig(int sig, siginfo_t *si, void *uc)
{
	int i = atomic_fetch_add(&n_got, 1);

	(void)uc;
	target[1]++;            /* a watched write inside the handler */
	if (i >= 32)
		return;
	got[i].sig = sig;
	got[i].code = si->si_code;
	got[i].pid_self = si->si_pid == getpid();
	got[i].value = si->si_code == SI_QUEUE ? si->si_value.sival_int : -1;
	got[i].other = (pid_t)syscall(SYS_gettid) == other_tid;
}

static void handle(int sig)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sig;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigaction(sig, &sa, NULL);
}

static void *other_main(void *arg)
{
	(void)arg;
	other_tid = (pid_t)syscall(SYS_gettid);
	while (!atomic_load(&stop)) {
		int sig = atomic_load(&send_sig);

		if (sig) {
			kill(getpid(), sig);
			atomic_store(&send_sig, 0);
		}
		/* A watched write now and then: a SIGSEGV sent while the
		 * library's own for it is pending must not be merged with it
		 * (memwatch-guarantees(7)); a tight loop of them makes that
		 * likely. */
		target[2]++;
		sched_yield();
	}
	return NULL;
}

static void start_other(void)
{
	pthread_create(&other, NULL, other_main, NULL);
	while (!other_tid)
		sched_yield();
}

static void stop_other(void)
{
	atomic_store(&stop, 1);
	pthread_join(other, NULL);
}

/* Until N handler calls are in, or 2 s. */
static void wait_got(int n)
{
	for (int i = 0; i < 2000 && atomic_load(&n_got) < n; i++) {
		struct timespec ms = { 0, 1000000 };

		target[3]++;
		nanosleep(&ms, NULL);
	}
}

static int pending(int sig)
{
	sigset_t s;

	sigpending(&s);
	return sigismember(&s, sig);
}

enum how { KILL0, KILLPG, KILLPID, TKILL, SIGQUEUE, TSIGQUEUE, KILLPID_OTHER, HOW_N };
static const char *const how_name[] = {
	"kill(0)", "kill(-pgid)", "kill(getpid())", "pthread_kill(other thread)",
	"sigqueue(getpid())", "pthread_sigqueue(other thread)", "kill(getpid()) from another thread",
};


static void send(enum how how, int sig, int value)
{
	union sigval v = { .sival_int = value };

	switch (how) {
	case KILL0:
		kill(0, sig);
		break;
	case KILLPG:
		kill(-getpgrp(), sig);
		break;
	case KILLPID:
		kill(getpid(), sig);
		break;
	case TKILL:
		pthread_kill(other, sig);
		break;
	case SIGQUEUE:
		sigqueue(getpid(), sig, v);
		break;
	case TSIGQUEUE:
		pthread_sigqueue(other, sig, v);
		break;
	case KILLPID_OTHER:
		/* Main spins in its own code meanwhile: the kernel gives the
		 * signal to it, the main thread, as it does without a watch. */
		atomic_store(&send_sig, sig);
		while (atomic_load(&send_sig))
			;
		break;
	default:
		break;
	}
}

static int to_thread(enum how how)
{
	return how == TKILL || how == TSIGQUEUE;
}

static int other_exists(enum how how)
{
	return to_thread(how) || how == KILLPID_OTHER;
}

enum what { HANDLED, BLOCKED, WAITED, DEFAULT, IGNORED, WHAT_N };
static const char *const what_name[] = {
	"handled", "blocked, then unblocked", "taken by sigwaitinfo", "default action", "ignored",
};

struct scenario {
	enum how how;
	enum what what;
	int sig;
	int watched;
};

static void scenario(void *arg)
{
	const struct scenario *s = arg;
	sigset_t set;
	int id = 0;

	sigemptyset(&set);
	sigaddset(&set, s->sig);
	if (s->watched) {
		id = mw_watch((const void *)target, sizeof(target), MW_WRITE);
		if (id <= 0) {
			printf("mw_watch: %d\n", id);
			return;
		}
	}
	target[0] = 1;
	if (other_exists(s->how))
		start_other();
	if (s->what == HANDLED || s->what == BLOCKED)
		handle(s->sig);
	if (s->what == IGNORED)
		signal(s->sig, SIG_IGN);
	if (s->what == BLOCKED || s->what == WAITED)
		sigprocmask(SIG_BLOCK, &set, NULL);
	send(s->how, s->sig, 42);
	if (s->what == HANDLED)
		wait_got(1);
	if (s->what == BLOCKED) {
		struct timespec ms = { 0, 20000000 };

		nanosleep(&ms, NULL);
		/* The other thread, which does not block it, takes it when it
		 * runs: not counted here.  Sent to the process, it is pending
		 * for all until then (with a watch, until the sender's dispatch
		 * lets it go): waited for, however loaded the machine.  With a
		 * watch the kernel often gives it to this thread, whose real
		 * mask lets SIGSEGV and SIGSYS through: the library passes it
		 * on to the other, and nothing stays pending here (it did,
		 * until the other thread unblocked it: issue 15). */
		if (s->how == KILLPID_OTHER)
			wait_got(1);
		printf("while blocked: %d handler calls, pending %d\n",
		       other_exists(s->how) ? -1 : atomic_load(&n_got),
		       to_thread(s->how) ? -1 : pending(s->sig));
		if (!to_thread(s->how))
			sigprocmask(SIG_UNBLOCK, &set, NULL);
		else
			printf("(the other thread does not block it)\n");
		wait_got(1);
	}
	if (s->what == WAITED && !to_thread(s->how)) {
		siginfo_t si;
		struct timespec sec = { 1, 0 };
		int r = sigtimedwait(&set, &si, &sec);

		printf("sigtimedwait: %d code %d self %d value %d\n", r, si.si_code,
		       si.si_pid == getpid(), si.si_code == SI_QUEUE ? si.si_value.sival_int : -1);
		printf("then pending %d\n", pending(s->sig));
	}
	if (s->what == DEFAULT || s->what == IGNORED || s->what == WAITED) {
		struct timespec ms = { 0, 50000000 };

		nanosleep(&ms, NULL);
	}
	if (other_exists(s->how))
		stop_other();
	/* A signal sent to the process from the other thread: any thread
	 * that does not block it may take it (the sender often does with a
	 * watch, memwatch-guarantees(7)): which one is not compared. */
	for (int i = 0; i < atomic_load(&n_got) && i < 32; i++)
		printf("handler: signal %d code %d self %d value %d in %s\n", got[i].sig,
		       got[i].code, got[i].pid_self, got[i].value,
		       s->how == KILLPID_OTHER ? "either" : got[i].other ? "other" : "main");
	printf("alive, %d handler calls\n", atomic_load(&n_got));
	if (s->watched) {
		uint64_t c = 0;

		mw_count(id, &c);
		if (c < 1)
			printf("no watched write counted\n");
	}
}

static void one(enum how how, enum what what, int sig)
{
	struct scenario s = { how, what, sig, 0 };

	ok(same_as_unwatched(scenario, &s, &s.watched, 10),
	   "%s of %s, %s: as without a watch",
	   how_name[how], strsignal(sig), what_name[what]);
}

static const int sigs[] = { SIGUSR1, SIGSEGV, SIGSYS, SIGTRAP };

int main(void)
{
	const char *only = getenv("SENT_ONLY");
	int n = 0, k = 0;

	need_dispatch();
	for (unsigned i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		for (int how = 0; how < HOW_N; how++)
			for (int what = 0; what < WHAT_N; what++)
				n += !(other_exists(how) && what == WAITED);
	plan(n);
	for (unsigned i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		for (int how = 0; how < HOW_N; how++)
			for (int what = 0; what < WHAT_N; what++)
				if (!(other_exists(how) && what == WAITED)) {
					if (!only || atoi(only) == ++k)
						one(how, what, sigs[i]);
					else
						ok(1, "# SKIP not SENT_ONLY");
				}
	return done();
}

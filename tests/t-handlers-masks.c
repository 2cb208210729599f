/* SPDX-License-Identifier: MIT */
/*
 * t-handlers-masks.c - the calls that wait with a signal mask of their own
 * (sigsuspend, ppoll, pselect, epoll_pwait), sigtimedwait and signalfd
 * reads, while watches exist, with SIGSEGV and SIGSYS, the library's own
 * signals, which it keeps deliverable whatever the program blocks (and
 * SIGUSR1 as a control): a signal sent while the program blocked it wakes
 * the call whose mask lets it through; one sent during the call while the
 * program's mask blocks it and the call's does not ends the call; one the
 * call's mask blocks stays pending until the call is over; one whose
 * action is the default ends the process, one ignored does not end the
 * call; a poll with a descriptor ready and such a signal pending returns
 * the descriptor; a signalfd reads it, kept before the read or sent while
 * the read waits.  Each case runs twice in children
 * of their own, once with a watch on memory the program and its handlers
 * write, once with no watch: the order of the handler calls and of the
 * call's return, its result, what is pending after, and how the child
 * ends must be the same.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "memwatch.h"
#include "tap.h"
#include "dispatch.h"
#include "section.h"

static volatile int target[1024] __attribute__((aligned(4096)));

/* What happened, in order: a signal's number for its handler, 0 for the
 * call's return. */
static _Atomic int events[16];
static _Atomic int n_events;
static pthread_t main_thread;

static void event(int e)
{
	int i = atomic_fetch_add(&n_events, 1);

	if (i < 16)
		atomic_store(&events[i], e);
}

static void on_sig(int sig, siginfo_t *si, void *uc)
{
	(void)si;
	(void)uc;
	target[1]++;            /* a watched write inside the handler */
	event(sig);
}

static void handle(int sig)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sig;
	sa.sa_flags = SA_SIGINFO;
	sigaction(sig, &sa, NULL);
}

enum call { SUSPEND, PPOLL, PSELECT, EPOLL, TIMEDWAIT, SIGFD, CALL_N };
static const char *const call_name[] = {
	"sigsuspend", "ppoll", "pselect", "epoll_pwait", "sigtimedwait", "signalfd read",
};

enum what {
	KEPT,           /* sent while blocked, then the call lets it through */
	READY,          /* the same with a descriptor ready */
	DURING,         /* sent during the call, blocked outside it */
	MASKED,         /* sent during the call, whose mask blocks it */
	DEFAULT,        /* KEPT with the default action */
	IGNORED,        /* KEPT, ignored: the call waits for SIGUSR2 */
	WHAT_N,
};
static const char *const what_name[] = {
	"kept, let through by the call's mask", "kept, a descriptor ready",
	"sent during the call, blocked outside it", "sent during the call, whose mask blocks it",
	"kept, default action", "kept, ignored",
};

struct scenario {
	enum call call;
	enum what what;
	int sig;
	int watched;
};

/* The other thread: SIG after 30 ms (0: none), then SIGUSR2 after 80. */
struct sender {
	int sig;
};

static void *sender_main(void *arg)
{
	const struct sender *s = arg;
	struct timespec t30 = { 0, 30000000 }, t50 = { 0, 50000000 };

	nanosleep(&t30, NULL);
	if (s->sig)
		pthread_kill(main_thread, s->sig);
	nanosleep(&t50, NULL);
	pthread_kill(main_thread, SIGUSR2);
	return NULL;
}

static int pending(int sig)
{
	sigset_t s;

	sigpending(&s);
	return sigismember(&s, sig);
}

/* The call, waiting at most 2 s, with mask WAIT (and for sigtimedwait and
 * signalfd, the set SET); its result and errno into *R, *ERR. */
static void do_call(enum call call, const sigset_t *wait, const sigset_t *set, int rfd,
		    int waits, long *r, int *err)
{
	struct timespec two = { 2, 0 };

	errno = 0;
	switch (call) {
	case SUSPEND:
		*r = sigsuspend(wait);
		break;
	case PPOLL: {
		struct pollfd p = { rfd, POLLIN, 0 };

		*r = ppoll(&p, 1, &two, wait);
		break;
	}
	case PSELECT: {
		fd_set in;

		FD_ZERO(&in);
		FD_SET(rfd, &in);
		*r = pselect(rfd + 1, &in, NULL, NULL, &two, wait);
		break;
	}
	case EPOLL: {
		int ep = epoll_create1(0);
		struct epoll_event ev = { .events = EPOLLIN, .data.fd = rfd }, got;

		epoll_ctl(ep, EPOLL_CTL_ADD, rfd, &ev);
		*r = epoll_pwait(ep, &got, 1, 2000, wait);
		*err = errno;
		close(ep);
		errno = *err;
		break;
	}
	case TIMEDWAIT: {
		siginfo_t si;

		*r = sigtimedwait(set, &si, &two);
		break;
	}
	case SIGFD: {
		/* Read at once, or (WAITS) waiting for the signal. */
		int fd = signalfd(-1, set, waits ? 0 : SFD_NONBLOCK);
		struct signalfd_siginfo si;
		ssize_t n = read(fd, &si, sizeof(si));

		*r = n == (ssize_t)sizeof(si) ? (long)si.ssi_signo : n;
		*err = errno;
		close(fd);
		errno = *err;
		break;
	}
	default:
		break;
	}
	*err = errno;
}

static void scenario(void *arg)
{
	const struct scenario *s = arg;
	struct sender snd = { 0 };
	sigset_t sig_only, wait, set;
	pthread_t other;
	int id = 0, pipefd[2];
	long r = 0;
	int err = 0;

	main_thread = pthread_self();
	if (pipe(pipefd))
		return;
	if (s->watched) {
		id = mw_watch((const void *)target, sizeof(target), MW_WRITE);
		if (id <= 0) {
			printf("mw_watch: %d\n", id);
			return;
		}
	}
	target[0] = 1;
	sigemptyset(&sig_only);
	sigaddset(&sig_only, s->sig);
	set = sig_only;
	sigemptyset(&wait);
	handle(SIGUSR2);
	if (s->what == DEFAULT)
		signal(s->sig, SIG_DFL);
	else if (s->what == IGNORED)
		signal(s->sig, SIG_IGN);
	else
		handle(s->sig);
	if (s->what == READY && write(pipefd[1], "x", 1) != 1)
		return;
	if (s->what == MASKED) {
		/* Blocked by the call only: everything but SIGUSR2. */
		sigfillset(&wait);
		sigdelset(&wait, SIGUSR2);
		snd.sig = s->sig;
	} else {
		sigprocmask(SIG_BLOCK, &sig_only, NULL);
		if (s->what == DURING)
			snd.sig = s->sig;
		else
			raise(s->sig);
	}
	/* sigtimedwait and signalfd take the signal: the program blocks it,
	 * as it must for them. */
	if ((s->call == TIMEDWAIT || s->call == SIGFD) && s->what == MASKED)
		sigprocmask(SIG_BLOCK, &sig_only, NULL);
	pthread_create(&other, NULL, sender_main, &snd);
	do_call(s->call, &wait, &set, pipefd[0], s->what == DURING, &r, &err);
	event(0);
	pthread_join(other, NULL);
	printf("pending after: %d\n", pending(s->sig));
	sigprocmask(SIG_UNBLOCK, &sig_only, NULL);
	{
		struct timespec ms = { 0, 20000000 };

		nanosleep(&ms, NULL);
	}
	printf("call: %ld %s\n", r, r < 0 ? strerror(err) : "");
	printf("events:");
	for (int i = 0; i < atomic_load(&n_events) && i < 16; i++)
		printf(" %s", events[i] ? strsignal(events[i]) : "<call returned>");
	printf("\n");
	if (s->watched) {
		uint64_t c = 0;

		mw_count(id, &c);
		if (c < 1)
			printf("no watched write counted\n");
	}
}

static void one(enum call call, enum what what, int sig)
{
	struct scenario s = { call, what, sig, 0 };

	ok(same_as_unwatched(scenario, &s, &s.watched, 5),
	   "%s, %s, %s: as without a watch",
	   call_name[call], strsignal(sig), what_name[what]);
}

/* The cases that mean something for a call. */
static int applies(enum call call, enum what what)
{
	if (what == READY)
		return call == PPOLL || call == PSELECT || call == EPOLL;
	if (call == TIMEDWAIT || call == SIGFD)
		/* They take the signal whatever its action. */
		return what == KEPT || what == DURING;
	return 1;
}

static const int sigs[] = { SIGSYS, SIGSEGV, SIGUSR1 };

int main(void)
{
	const char *only = getenv("MASKS_ONLY");
	int n = 0, k = 0;

	need_dispatch();
	for (unsigned i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		for (int call = 0; call < CALL_N; call++)
			for (int what = 0; what < WHAT_N; what++)
				n += applies(call, what);
	plan(n);
	for (unsigned i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		for (int call = 0; call < CALL_N; call++)
			for (int what = 0; what < WHAT_N; what++) {
				if (!applies(call, what))
					continue;
				if (!only || atoi(only) == ++k)
					one(call, what, sigs[i]);
				else
					ok(1, "# SKIP not MASKS_ONLY");
			}
	return done();
}

/* SPDX-License-Identifier: MIT */
/*
 * t-handlers-routed.c - a SIGSEGV or SIGSYS sent to the process
 * (kill(getpid())) from a thread that does not block it, while the main
 * thread blocks it and a watch exists: the kernel gives it to a thread that
 * does not block it, so without memwatch the sender takes it and nothing is
 * pending in main.  With a watch, main's real mask lets both signals
 * through (the library needs them), and the kernel often gave it to main,
 * where it stayed pending until main unblocked it.  Now it is passed on to
 * the thread that does not block it.  Fifty sends of each signal, each
 * checked: the handler runs in the other thread while main still blocks
 * the signal, and main's sigpending shows nothing after it.
 */
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "memwatch.h"
#include "tap.h"
#include "dispatch.h"

#define ROUNDS 50

static volatile int target[1024] __attribute__((aligned(4096)));
static _Atomic int n_got, in_other, send_sig, stop;
static _Atomic pid_t other_tid;

static void on_sig(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	target[1]++;            /* a watched write inside the handler */
	if (si->si_code == SI_USER && si->si_pid == getpid())
		atomic_fetch_add(&n_got, 1);
	if ((pid_t)syscall(SYS_gettid) == other_tid)
		atomic_fetch_add(&in_other, 1);
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
		target[2]++;
		sched_yield();
	}
	return NULL;
}

/* Until N handler calls are in, or 2 s. */
static void wait_got(int n)
{
	for (int i = 0; i < 2000 && atomic_load(&n_got) < n; i++) {
		struct timespec ms = { 0, 1000000 };

		nanosleep(&ms, NULL);
	}
}

static int pending(int sig)
{
	sigset_t s;

	sigpending(&s);
	return sigismember(&s, sig);
}

static void rounds(int sig)
{
	sigset_t set;
	int late = 0, shown = 0;

	atomic_store(&n_got, 0);
	atomic_store(&in_other, 0);
	sigemptyset(&set);
	sigaddset(&set, sig);
	sigprocmask(SIG_BLOCK, &set, NULL);
	for (int r = 0; r < ROUNDS; r++) {
		atomic_store(&send_sig, sig);
		while (atomic_load(&send_sig))
			;       /* main runs meanwhile: the kernel's first choice */
		wait_got(r + 1);
		shown += pending(sig);
		if (atomic_load(&n_got) < r + 1) {
			/* Kept for main: let it through, then block it again. */
			late++;
			sigprocmask(SIG_UNBLOCK, &set, NULL);
			wait_got(r + 1);
			sigprocmask(SIG_BLOCK, &set, NULL);
		}
	}
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	ok(late == 0 && atomic_load(&n_got) == ROUNDS && atomic_load(&in_other) == ROUNDS,
	   "%s: %d sends to the process, each handled by the thread that does not block it "
	   "while main blocks it (%d only once main unblocked it, %d in the other thread)",
	   strsignal(sig), ROUNDS, late, atomic_load(&in_other));
	ok(shown == 0, "%s: main's sigpending shows it after none of them (%d did)",
	   strsignal(sig), shown);
}

int main(void)
{
	struct sigaction sa;
	pthread_t other;
	int id;

	need_dispatch();
	plan(4);
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sig;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGSYS, &sa, NULL);
	id = mw_watch((const void *)target, sizeof(target), MW_WRITE);
	if (id <= 0)
		bail("mw_watch: %s", mw_strerror(id));
	pthread_create(&other, NULL, other_main, NULL);
	while (!other_tid)
		sched_yield();
	rounds(SIGSEGV);
	rounds(SIGSYS);
	atomic_store(&stop, 1);
	pthread_join(other, NULL);
	mw_unwatch(id);
	return done();
}

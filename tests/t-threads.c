/* SPDX-License-Identifier: MIT */
/*
 * t-threads.c - threads hammering a watched array: atomic adds stay atomic,
 * plain stores land, and every access is counted exactly once, whichever
 * thread makes it.  And the library lock's per-thread hold: after the fork
 * handlers and mw_log_clear, which take the lock without the hold, a
 * thread's mw_watch and mw_unwatch still make their own system calls
 * undispatched (no SIGSYS of theirs, counted by a tracer).
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "memwatch.h"
#include "tap.h"
#include "section.h"
#include "dispatch.h"

#define NTHREADS 8

struct shared {
	uint64_t counter[8];
	int slot[8];
};

static struct shared *sh;
static pthread_barrier_t start;
static int n_iter;
static int with_reads;

struct worker {
	pthread_t th;
	int idx;
	long bad_reads;		/* reads of its own slot that were wrong */
	uint64_t loads, attempts;	/* cmpxchg test */
};

static void *adder(void *arg)
{
	struct worker *w = arg;
	volatile int *slot = &sh->slot[w->idx];

	pthread_barrier_wait(&start);
	for (int i = 1; i <= n_iter; i++) {
		__atomic_fetch_add(&sh->counter[0], 1, __ATOMIC_SEQ_CST);
		if (with_reads && *slot != i - 1)
			w->bad_reads++;
		*slot = i;
	}
	return NULL;
}

static void *cas_adder(void *arg)
{
	struct worker *w = arg;
	uint64_t *c = &sh->counter[3];

	pthread_barrier_wait(&start);
	for (int i = 0; i < n_iter; i++) {
		uint64_t old = __atomic_load_n(c, __ATOMIC_RELAXED);

		w->loads++;
		do
			w->attempts++;
		while (!__atomic_compare_exchange_n(c, &old, old + 1, 0,
						    __ATOMIC_SEQ_CST, __ATOMIC_RELAXED));
	}
	return NULL;
}

static void run_threads(int nthreads, void *(*fn)(void *), struct worker *ws)
{
	if (pthread_barrier_init(&start, NULL, (unsigned)nthreads))
		bail("pthread_barrier_init failed");
	for (int t = 0; t < nthreads; t++) {
		ws[t].idx = t;
		ws[t].bad_reads = 0;
		ws[t].loads = ws[t].attempts = 0;
		if (pthread_create(&ws[t].th, NULL, fn, &ws[t]))
			bail("pthread_create failed");
	}
	for (int t = 0; t < nthreads; t++)
		pthread_join(ws[t].th, NULL);
	pthread_barrier_destroy(&start);
}

static void fresh_shared(void)
{
	sh = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		bail("mmap: %s", strerror(errno));
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void adders(unsigned flags, int n, int reads)
{
	struct worker ws[NTHREADS];
	uint64_t c = 0, t0, t1, per = reads ? 3 : 2;
	int id, r, slots_ok = 1, others_zero = 1;
	long bad = 0;
	double t;

	fresh_shared();
	n_iter = n;
	with_reads = reads;
	id = mw_watch(sh, sizeof(*sh), flags);
	if (id <= 0)
		bail("mw_watch = %d (%s)", id, mw_strerror(id));
	t0 = mw_total_count();
	t = now();
	run_threads(NTHREADS, adder, ws);
	t = now() - t;
	/* The count first: the checks below read watched memory. */
	r = mw_count(id, &c);
	t1 = mw_total_count();
	diag("  %d threads x %d iterations: %.2f s, %.2f us per access", NTHREADS, n,
	     t, t * 1e6 / (double)(NTHREADS * (uint64_t)n * per));
	is_u64(__atomic_load_n(&sh->counter[0], __ATOMIC_SEQ_CST),
	       (uint64_t)NTHREADS * (uint64_t)n, "counter[0] == %d * %d", NTHREADS, n);
	for (int i = 0; i < NTHREADS; i++) {
		if (sh->slot[i] != n) {
			slots_ok = 0;
			diag("  slot %d = %d", i, sh->slot[i]);
		}
		if (i > 0 && sh->counter[i] != 0)
			others_zero = 0;
		bad += ws[i].bad_reads;
	}
	ok(slots_ok, "each thread's slot has its last value %d", n);
	ok(others_zero, "counter[1..7] are still 0");
	if (reads)
		is_int(bad, 0, "no thread read a wrong value from its slot");
	if (!ok(r == 0 && c == per * NTHREADS * (uint64_t)n,
		"mw_count == %" PRIu64 " (%d atomic adds + %d stores%s)",
		per * NTHREADS * (uint64_t)n, NTHREADS * n, NTHREADS * n,
		reads ? " + as many reads" : ""))
		diag("  mw_count = %d, count %" PRIu64, r, c);
	is_u64(t1 - t0, per * NTHREADS * (uint64_t)n, "mw_total_count grew as much");
	is_int(mw_unwatch(id), 0, "mw_unwatch");
}

static void sec_adders_write(void)
{
	adders(MW_WRITE, 20000, 0);
}
#define N_ADDERS_WRITE 6

static void sec_adders_access(void)
{
	adders(MW_ACCESS, 20000, 1);
}
#define N_ADDERS_ACCESS 7

static void sec_cmpxchg(void)
{
	struct worker ws[2];
	uint64_t c = 0, t0, t1, want;
	int id, r;
	const int n = 20000;

	fresh_shared();
	n_iter = n;
	id = mw_watch(&sh->counter[3], 8, MW_ACCESS);
	if (id <= 0)
		bail("mw_watch = %d (%s)", id, mw_strerror(id));
	t0 = mw_total_count();
	run_threads(2, cas_adder, ws);
	r = mw_count(id, &c);
	t1 = mw_total_count();
	want = ws[0].loads + ws[0].attempts + ws[1].loads + ws[1].attempts;
	diag("  cmpxchg attempts: %" PRIu64 " and %" PRIu64 " for %d increments each",
	     ws[0].attempts, ws[1].attempts, n);
	is_u64(sh->counter[3], 2 * (uint64_t)n, "2 threads x %d cmpxchg increments", n);
	if (!ok(r == 0 && c == want,
		"mw_count == loads + cmpxchg executions (%" PRIu64 ")", want))
		diag("  mw_count = %d, count %" PRIu64, r, c);
	is_u64(t1 - t0, want, "mw_total_count grew as much");
	is_int(mw_unwatch(id), 0, "mw_unwatch");
}
#define N_CMPXCHG 4

/* --- Watches come and go while threads store into the range. */
static volatile int stop_storing;

static void *storer(void *arg)
{
	struct worker *w = arg;
	volatile uint64_t *slot = &sh->counter[w->idx];

	pthread_barrier_wait(&start);
	while (!stop_storing) {
		*slot = w->attempts + 1;
		w->attempts++;
	}
	return NULL;
}

static void sec_churn(void)
{
	struct worker ws[4];
	uint64_t t0, t1, stores = 0;
	int good = 1, fails = 0;

	fresh_shared();
	t0 = mw_total_count();
	stop_storing = 0;
	if (pthread_barrier_init(&start, NULL, 5))
		bail("pthread_barrier_init failed");
	for (int t = 0; t < 4; t++) {
		ws[t].idx = t;
		ws[t].attempts = 0;
		if (pthread_create(&ws[t].th, NULL, storer, &ws[t]))
			bail("pthread_create failed");
	}
	pthread_barrier_wait(&start);
	for (int i = 0; i < 300; i++) {
		int id = mw_watch(sh->counter, 4 * sizeof(uint64_t), i & 1 ? MW_ACCESS : MW_WRITE);

		if (id <= 0 || mw_unwatch(id) != 0)
			fails++;
	}
	stop_storing = 1;
	for (int t = 0; t < 4; t++)
		pthread_join(ws[t].th, NULL);
	pthread_barrier_destroy(&start);
	t1 = mw_total_count();
	is_int(fails, 0, "300 mw_watch + mw_unwatch while 4 threads store into the range");
	for (int t = 0; t < 4; t++) {
		stores += ws[t].attempts;
		if (sh->counter[t] != ws[t].attempts) {
			good = 0;
			diag("  slot %d = %" PRIu64 ", want %" PRIu64, t, sh->counter[t],
			     ws[t].attempts);
		}
	}
	ok(good, "each thread's slot has its last value");
	diag("  %" PRIu64 " stores, %" PRIu64 " counted", stores, t1 - t0);
	ok(t1 - t0 <= stores, "no more accesses counted than were made");
}
#define N_CHURN 3

/* The library lock's hold (lock.h): the fork handlers and mw_log_clear take
 * the lock without it; releasing the lock must not drop a hold that was not
 * taken, or the thread's count goes below zero and its next mw_watch and
 * mw_unwatch dispatch their own system calls: a SIGSYS each.  The tracee
 * marks phases with int3 (no system call); its tracer counts the dispatch
 * SIGSYS in each phase. */
static uint8_t hold_page[2][4096] __attribute__((aligned(4096)));

static void marker(void)
{
	__asm__ volatile("int3");
}

static void watch_unwatch(void)
{
	int id = mw_watch(hold_page[1], 64, MW_WRITE);

	if (id > 0)
		mw_unwatch(id);
}

static void hold_tracee(int after_log_clear)
{
	int st;

	if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) < 0)
		_exit(2);
	raise(SIGSTOP);
	if (mw_watch(hold_page[0], 64, MW_WRITE) <= 0)
		_exit(3);
	marker();                       /* 1: a watch exists */
	watch_unwatch();
	marker();                       /* 2: the event */
	if (after_log_clear) {
		mw_log_clear();
	} else {
		pid_t pid = fork();

		if (pid == 0)
			_exit(0);
		waitpid(pid, &st, 0);
	}
	marker();                       /* 3: after it */
	watch_unwatch();
	marker();                       /* 4: the end */
	_exit(0);
}

#define PHASES 5

/* The dispatch SIGSYS of each phase of a tracee; -1 if it failed. */
static int trace_phases(int after_log_clear, int sigsys[PHASES])
{
	int st, phase = 0;
	pid_t pid;

	memset(sigsys, 0, PHASES * sizeof(int));
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0)
		hold_tracee(after_log_clear);
	for (;;) {
		int sig;

		if (waitpid(pid, &st, 0) != pid)
			return -1;
		if (!WIFSTOPPED(st))
			break;
		sig = WSTOPSIG(st);
		if (sig == SIGTRAP) {
			phase += phase < PHASES - 1;
			sig = 0;
		} else if (sig == SIGSTOP) {
			sig = 0;
		} else if (sig == SIGSYS) {
			siginfo_t si;

			if (ptrace(PTRACE_GETSIGINFO, pid, NULL, &si) == 0 && si.si_code == 2)
				sigsys[phase]++;        /* SYS_USER_DISPATCH */
		}
		ptrace(PTRACE_CONT, pid, NULL, (void *)(long)sig);
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		char how[128];

		describe_status(st, how, sizeof(how));
		diag("  the tracee %s", how);
		return -1;
	}
	return phase;
}

static void sec_lock_holds(void)
{
	static const char *const what[2] = { "fork()", "mw_log_clear()" };

	if (dispatch_off())
		diag("MEMWATCH_SYSCALLS=0: no dispatch, no SIGSYS to count");
	for (int k = 0; k < 2; k++) {
		int sigsys[PHASES];
		int r = trace_phases(k, sigsys);

		is_int(r, PHASES - 1, "%s: the traced program ran to its end", what[k]);
		is_int(sigsys[1], 0, "before %s: mw_watch + mw_unwatch, no SIGSYS of their own", what[k]);
		is_int(sigsys[3], 0, "after %s: mw_watch + mw_unwatch, still none", what[k]);
	}
}
#define N_LOCK_HOLDS 6

int main(void)
{
	plan(N_ADDERS_WRITE + N_ADDERS_ACCESS + N_CMPXCHG + N_CHURN + N_LOCK_HOLDS + 5);
	run_section("8 threads, write watch", N_ADDERS_WRITE, sec_adders_write);
	run_section("8 threads, MW_ACCESS", N_ADDERS_ACCESS, sec_adders_access);
	run_section("2 threads, cmpxchg loops", N_CMPXCHG, sec_cmpxchg);
	run_section("watches come and go under stores", N_CHURN, sec_churn);
	run_section("the lock's hold after fork and mw_log_clear", N_LOCK_HOLDS, sec_lock_holds);
	return done();
}

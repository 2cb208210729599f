/* SPDX-License-Identifier: MIT */
/*
 * t-stack.c - watching stacks: a local variable of the running function,
 * locals of a deep recursion, a page of another thread's stack; the pages
 * a thread cannot live without (its control block, rseq area, static TLS,
 * the lowest page of the main stack) are refused with ENOTSUP; unwatching
 * leaves a thread's stack as it was (pthread_getattr_np; for the main
 * thread's, /proc/self/maps shows one [stack] again); a 1 ms SIGALRM
 * while a local is watched (the kernel cannot write the handler's frame on
 * the watched stack page): the handler runs, counts stay exact, sigaction
 * shows the flags the program gave.
 * Each section runs in a child of its own (section.h).
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/rseq.h>
#include <sys/time.h>
#include <unistd.h>

#include "memwatch.h"
#include "tap.h"
#include "dispatch.h"
#include "section.h"
#include "watch.h"

static uint64_t count_of(int id)
{
	uint64_t c = 0;

	return mw_count(id, &c) ? UINT64_MAX : c;
}

/* ------------------------------------------------ the running function */

static size_t my_stack_size(void)
{
	pthread_attr_t a;
	void *addr;
	size_t size = 0;

	pthread_getattr_np(pthread_self(), &a);
	pthread_attr_getstack(&a, &addr, &size);
	pthread_attr_destroy(&a);
	return size;
}

static char maps_before[8192], maps_after[8192], before_line[256], after_line[256];

/* The line of [stack] in TEXT, into OUT; its length. */
static size_t stack_line(const char *text, char *out)
{
	const char *e = strstr(text, "[stack]"), *b = e;

	out[0] = 0;
	if (!e)
		return 0;
	while (b > text && b[-1] != '\n')
		b--;
	snprintf(out, 256, "%.*s", (int)(e - b), b);
	return strlen(out);
}

/* On the main thread (the section's process). */
__attribute__((noinline)) static void sec_local(void)
{
	volatile int local[4] = { 1, 2, 3, 4 };
	int id, sum = 0;
	size_t size_before = my_stack_size(), size_after;

	maps_around(local, local + 4, maps_before, sizeof(maps_before));
	id = mw_watch((const void *)local, sizeof(local), MW_ACCESS);
	ok(id > 0, "mw_watch of a local variable of the running function (%d)", id);
	for (int i = 0; i < 4; i++)
		local[i] = local[i] * 10;       /* 4 reads, 4 writes */
	for (int i = 0; i < 4; i++)
		sum += local[i];                /* 4 reads */
	is_int(sum, 100, "the values");
	is_u64(count_of(id), 12, "12 accesses counted");
	is_int(mw_unwatch(id), 0, "mw_unwatch");
	size_after = my_stack_size();
	maps_around(local, local + 4, maps_after, sizeof(maps_after));
	local[0] = 5;
	is_u64(count_of(id), UINT64_MAX, "then nothing");
	is_int(local[0] + local[3], 45, "the local works as before");
	ok(size_before > 4096 && size_after == size_before,
	   "pthread_getattr_np: the main stack's size as before (%zu, %zu)", size_before, size_after);
	/* Its line only: a patched site's stub may have been mapped next to
	 * it meanwhile (memwatch(3), "Patched sites"). */
	if (!ok(strstr(maps_after, "[stack]") &&
		stack_line(maps_before, before_line) == stack_line(maps_after, after_line) &&
		strcmp(before_line, after_line) == 0,
		"/proc/self/maps: the main stack as before"))
		diag("  before:\n%s  after:\n%s", maps_before, maps_after);
}
#define N_LOCAL 8

/* ------------------------------------------ asynchronous signals */

static volatile int ticks;

static void on_tick(int sig)
{
	(void)sig;
	ticks++;
}

static void tick_handler(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_tick;
	if (sigaction(SIGALRM, &sa, NULL))
		bail("sigaction: %s", strerror(errno));
}

/* A watched local stored to until 20 SIGALRMs (1 ms) came: the kernel
 * pushes each handler frame while the stack page is watched. */
__attribute__((noinline)) static void local_under_timer(int before)
{
	volatile int local[4] = { 0, 0, 0, 0 };
	struct itimerval it = { { 0, 1000 }, { 0, 1000 } }, off = { { 0, 0 }, { 0, 0 } };
	struct sigaction cur;
	long n = 0;
	int id;

	ticks = 0;
	if (before)
		tick_handler();
	id = mw_watch((const void *)local, sizeof(local), MW_WRITE);
	ok(id > 0, "mw_watch of a local (%d)", id);
	if (!before)
		tick_handler();
	memset(&cur, 0, sizeof(cur));
	sigaction(SIGALRM, NULL, &cur);
	ok(cur.sa_handler == on_tick &&
	   !(cur.sa_flags & SA_ONSTACK), "sigaction shows the handler as the program set it "
	   "(flags %#x)", cur.sa_flags);
	setitimer(ITIMER_REAL, &it, NULL);
	while (ticks < 20 && n < 50000000)
		local[n & 3] = (int)n, n++;
	setitimer(ITIMER_REAL, &off, NULL);
	ok(ticks >= 20, "the program's SIGALRM handler ran %d times", ticks);
	is_u64(count_of(id), (uint64_t)n, "every store counted (%ld)", n);
	is_int(mw_unwatch(id), 0, "mw_unwatch");
	memset(&cur, 0, sizeof(cur));
	sigaction(SIGALRM, NULL, &cur);
	ok(cur.sa_handler == on_tick && !(cur.sa_flags & SA_ONSTACK),
	   "after the last watch: the handler as the program set it (flags %#x)", cur.sa_flags);
	signal(SIGALRM, SIG_IGN);
}

static void sec_timer_before(void)
{
	local_under_timer(1);
}

static void sec_timer_after(void)
{
	local_under_timer(0);
}
#define N_TIMER 6

/* ------------------------------------------------------ deep recursion */

static int watch_id;
static volatile long *deep_target;

/* Each frame has a local; at depth 100 its address is kept, at depth 150
 * it is watched, the recursion goes on to 300 (calls and returns over the
 * watched page) and frame 100 writes its local on the way back. */
__attribute__((noinline)) static long recurse(int depth)
{
	volatile long mine[8];
	long r;

	mine[0] = depth;
	if (depth == 100)
		deep_target = &mine[1];
	if (depth == 150)
		watch_id = mw_watch((const void *)deep_target, sizeof(long), MW_WRITE);
	r = depth < 300 ? recurse(depth + 1) : 0;
	if (depth == 100)
		mine[1] = 4242;
	return r + mine[0];
}

static void sec_recursion(void)
{
	long total = recurse(0);

	ok(watch_id > 0, "mw_watch of a local 50 frames up the recursion (%d)", watch_id);
	is_int(total, 300 * 301 / 2, "the recursion to depth 300 and back computes as before");
	is_u64(count_of(watch_id), 1, "frame 100's write counted once");
}
#define N_RECURSION 3

/* ------------------------------------------------------- another thread */

static volatile int *thread_local_addr;
static pthread_barrier_t bar;
static size_t sizes[3];

static void stack_size(int k)
{
	pthread_attr_t a;
	void *addr;

	pthread_getattr_np(pthread_self(), &a);
	pthread_attr_getstack(&a, &addr, &sizes[k]);
	pthread_attr_destroy(&a);
}

/* Frames below the thread's first page or two, which hold its TLS. */
__attribute__((noinline)) static int other_deep(void)
{
	volatile int mine = 0;

	thread_local_addr = &mine;
	pthread_barrier_wait(&bar);     /* main watches */
	pthread_barrier_wait(&bar);
	for (int i = 0; i < 10; i++)
		mine += 2;                      /* 10 reads, 10 writes */
	stack_size(1);
	pthread_barrier_wait(&bar);     /* main unwatches */
	pthread_barrier_wait(&bar);
	stack_size(2);
	return mine;
}

static void *other(void *arg)
{
	volatile char pad[3 * 4096];

	(void)arg;
	pad[0] = 1;
	stack_size(0);
	return (void *)(intptr_t)(other_deep() + pad[0] - 1);
}

static void sec_other_thread(void)
{
	pthread_t t;
	void *ret;
	int id;

	pthread_barrier_init(&bar, NULL, 2);
	pthread_create(&t, NULL, other, NULL);
	pthread_barrier_wait(&bar);
	id = mw_watch((const void *)thread_local_addr, sizeof(int), MW_ACCESS);
	ok(id > 0, "mw_watch of a local on another thread's stack (%d)", id);
	pthread_barrier_wait(&bar);
	pthread_barrier_wait(&bar);
	is_u64(count_of(id), 20, "that thread's 20 accesses counted");
	mw_unwatch(id);
	pthread_barrier_wait(&bar);
	pthread_join(t, &ret);
	is_int((int)(intptr_t)ret, 20, "its value");
	ok(sizes[0] && sizes[0] == sizes[1] && sizes[1] == sizes[2],
	   "pthread_getattr_np: the same stack size before, during and after (%zu, %zu, %zu)",
	   sizes[0], sizes[1], sizes[2]);
}
#define N_OTHER 4

/* ----------------------------------------------------------- refusals */

static __thread int tls_var;

static void *refuse_in_thread(void *arg)
{
	int *r = arg;

	r[0] = mw_watch((const void *)pthread_self(), 8, MW_WRITE);
	r[1] = mw_watch((const void *)&tls_var, sizeof(tls_var), MW_WRITE);
	tls_var = 1;
	return NULL;
}

static _Atomic int idle_started;

/* Makes a system call (the library learns of the thread from it), says
 * so, and waits. */
static void *idle(void *arg)
{
	(void)getppid();
	atomic_store(&idle_started, 1);
	pthread_barrier_wait(arg);
	return NULL;
}

static void sec_refused(void)
{
	int r[2];
	pthread_t t;
	pthread_barrier_t b;
	uintptr_t lowest = 0;
	char line[256];
	FILE *f = fopen("/proc/self/maps", "r");

	is_int(mw_watch((const void *)pthread_self(), 8, MW_WRITE), -ENOTSUP,
	       "the main thread's control block: ENOTSUP");
	if (__rseq_size)
		is_int(mw_watch((const char *)pthread_self() + __rseq_offset, 4, MW_READ), -ENOTSUP,
		       "its rseq area: ENOTSUP");
	else
		ok(1, "# SKIP no rseq registration");
	is_int(mw_watch((const void *)&tls_var, sizeof(tls_var), MW_ACCESS), -ENOTSUP,
	       "a static TLS variable: ENOTSUP");
	while (f && fgets(line, sizeof(line), f))
		if (strstr(line, "[stack]"))
			lowest = strtoul(line, NULL, 16);
	if (f)
		fclose(f);
	is_int(mw_watch((const void *)lowest, 8, MW_WRITE), -ENOTSUP,
	       "the lowest page of the main stack: ENOTSUP");
	pthread_create(&t, NULL, refuse_in_thread, r);
	pthread_join(t, NULL);
	ok(r[0] == -ENOTSUP && r[1] == -ENOTSUP,
	   "a new thread's own control block and TLS: ENOTSUP (%d, %d)", r[0], r[1]);
	/* Another thread's control block, known from its first system call
	 * while a watch exists. */
	static int anything;
	int keep = mw_watch(&anything, sizeof(anything), MW_WRITE);

	pthread_barrier_init(&b, NULL, 2);
	atomic_store(&idle_started, 0);
	pthread_create(&t, NULL, idle, &b);
	while (!atomic_load(&idle_started))     /* not a fixed sleep: a loaded */
		sched_yield();                  /* machine may take longer */
	is_int(mw_watch((const void *)t, 8, MW_WRITE), -ENOTSUP,
	       "another thread's control block: ENOTSUP");
	pthread_barrier_wait(&b);
	pthread_join(t, NULL);
	mw_unwatch(keep);
}
#define N_REFUSED 6

int main(void)
{
	need_dispatch();
	plan(N_LOCAL + 2 * N_TIMER + N_RECURSION + N_OTHER + N_REFUSED + 6);
	run_section("a local variable", N_LOCAL, sec_local);
	run_section("a 1 ms SIGALRM, handler installed before the watch", N_TIMER, sec_timer_before);
	run_section("a 1 ms SIGALRM, handler installed while watching", N_TIMER, sec_timer_after);
	run_section("deep recursion", N_RECURSION, sec_recursion);
	run_section("another thread's stack", N_OTHER, sec_other_thread);
	run_section("refused", N_REFUSED, sec_refused);
	return done();
}

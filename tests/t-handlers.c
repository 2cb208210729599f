/* SPDX-License-Identifier: MIT */
/*
 * t-handlers.c - the program's own fault handlers while watching: a SIGSEGV
 * handler installed after the first watch still gets exactly the genuine
 * faults (and sigaction reports it, not memwatch's), watching goes on; a
 * SIGBUS from a truncated file mapping arrives unchanged; an access that
 * straddles from a watched page into an unmapped one faults with the
 * address and si_code the processor gives without the watch; a SIGSYS
 * handler installed while watching gets the program's own SIGSYS only; a
 * forked child keeps the program's alternate signal stack; asynchronous
 * signals (SIGALRM every 1 ms or 100 us) while watched accesses storm: a
 * handler with a 100 KB frame runs, the handler's own watched stores are
 * each counted and logged, a fast timer does not starve the program; the
 * handlers behind the library's relay: sigaction shows them and their
 * flags, they get their arguments, SA_RESETHAND holds, and after the last
 * watch the kernel has them again.
 * Each section runs in a child of its own (section.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "memwatch.h"
#include "tap.h"
#include "dispatch.h"
#include "section.h"

#define PG 4096

static sigjmp_buf env;
static volatile int got_sig, got_code, calls;
static void *volatile got_addr;

static void handler(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	got_sig = sig;
	got_code = si->si_code;
	got_addr = si->si_addr;
	calls++;
	siglongjmp(env, 1);
}

static void install(int sig)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = handler;
	sa.sa_flags = SA_SIGINFO;
	if (sigaction(sig, &sa, NULL))
		bail("sigaction: %s", strerror(errno));
}

#define FAULTS(stmt) (sigsetjmp(env, 1) ? 1 : ((stmt), 0))

static void sec_after(void)
{
	volatile char *w = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	volatile char *none = mmap(NULL, PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct sigaction cur;
	uint64_t c = 0;
	int id = mw_watch((const void *)w, 16, MW_ACCESS);

	install(SIGSEGV);
	ok(sigaction(SIGSEGV, NULL, &cur) == 0 && (cur.sa_flags & SA_SIGINFO) &&
	   cur.sa_sigaction == handler, "sigaction reports the program's handler");
	w[1] = 5;
	ok(w[1] == 5 && calls == 0, "watched accesses do not reach it");
	ok(FAULTS((void)none[77]) && got_sig == SIGSEGV && got_code == SEGV_ACCERR &&
	   got_addr == (void *)(none + 77), "a genuine fault reaches it: SIGSEGV, SEGV_ACCERR, "
	   "the exact address");
	w[2] = 6;
	mw_count(id, &c);
	is_u64(c, 3, "watching goes on: 3 accesses counted");
}
#define N_AFTER 4

static void sec_sigbus(void)
{
	char path[] = "/tmp/t-handlers-XXXXXX";
	int fd = mkstemp(path);
	volatile char *m;
	static char w[64] __attribute__((aligned(4096)));

	if (fd < 0 || ftruncate(fd, 2 * PG))
		bail("mkstemp: %s", strerror(errno));
	unlink(path);
	m = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		bail("mmap: %s", strerror(errno));
	m[PG + 1] = 1;
	mw_watch(w, sizeof(w), MW_WRITE);
	install(SIGBUS);
	if (ftruncate(fd, PG))
		bail("ftruncate: %s", strerror(errno));
	ok(FAULTS((void)m[PG + 8]) && got_sig == SIGBUS && got_code == BUS_ADRERR &&
	   got_addr == (void *)(m + PG + 8), "a load beyond a truncated file: SIGBUS, BUS_ADRERR, "
	   "the exact address, with a watch elsewhere");
	close(fd);
}
#define N_SIGBUS 1

/* An 8-byte load 4 bytes before the end of a page whose next page is not
 * mapped; the first page watched or not. */
static void straddle(int watched, int *sig, int *code, void **addr)
{
	char *m = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	/* Unmapped after the watch: the library's alias could take the hole. */
	if (watched)
		mw_watch(m + PG - 64, 64, MW_READ);
	munmap(m + PG, PG);
	install(SIGSEGV);
	got_sig = 0;
	if (!FAULTS((void)*(volatile uint64_t *)(m + PG - 4)))
		got_sig = -1;
	*sig = got_sig;
	*code = got_code;
	*addr = got_addr;
	signal(SIGSEGV, SIG_DFL);
}

static void sec_straddle(void)
{
	int s0, c0, s1, c1;
	void *a0, *a1;

	straddle(0, &s0, &c0, &a0);
	straddle(1, &s1, &c1, &a1);
	ok(s0 == SIGSEGV && s1 == SIGSEGV, "a load straddling into an unmapped page: SIGSEGV, "
	   "watched or not (%d, %d)", s0, s1);
	ok(c1 == c0 && a1 != NULL && (uintptr_t)a1 % PG == (uintptr_t)a0 % PG,
	   "the same si_code (%d, %d) and the address in the unmapped page (%p, %p)", c0, c1,
	   a0, a1);
}
#define N_STRADDLE 2

/* The program's own alternate signal stack, small (16 KiB): memwatch's
 * handlers run there, with backtraces and system calls, and fit. */
static void sec_small_altstack(void)
{
	static char buf[64];
	stack_t ss = { malloc(16384), 0, 16384 };
	int p[2], id;
	uint64_t c = 0;
	ssize_t n;

	if (!ss.ss_sp || sigaltstack(&ss, NULL) || pipe(p))
		bail("sigaltstack/pipe: %s", strerror(errno));
	id = mw_watch(buf, sizeof(buf), MW_ACCESS);
	for (int i = 0; i < 10; i++)
		buf[i] = (char)i;
	write(p[1], "abcdef", 6);
	n = read(p[0], buf + 10, 6);
	mw_count(id, &c);
	ok(n == 6 && memcmp(buf + 10, "abcdef", 6) == 0 && buf[9] == 9,
	   "stores and a read(2) into watched memory, handlers on a 16 KiB alternate stack");
	is_u64(c, 11, "10 stores and the kernel's write counted");
}
#define N_SMALL 2

static volatile int sys_calls, sys_sig, sys_code;

static void on_sigsys(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	sys_sig = sig;
	sys_code = si->si_code;
	sys_calls++;
}

/* A SIGSYS handler of the program's, installed while watching (bash's
 * `read -t` installs one): it replaced the library's, got the next
 * dispatched system call's SIGSYS, and bash died of it.  It gets the
 * program's own SIGSYS only, and sigaction reports it. */
static void sec_sigsys(void)
{
	char *w = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct sigaction sa, cur;
	char back[16];
	int fds[2], id;
	long n;

	memset(w, 'x', 16);
	if (pipe(fds) < 0)
		bail("pipe: %s", strerror(errno));
	id = mw_watch(w, 16, MW_ACCESS);
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigsys;
	sa.sa_flags = SA_SIGINFO;
	if (sigaction(SIGSYS, &sa, NULL))
		bail("sigaction: %s", strerror(errno));
	ok(sigaction(SIGSYS, NULL, &cur) == 0 && (cur.sa_flags & SA_SIGINFO) &&
	   cur.sa_sigaction == on_sigsys, "sigaction reports the program's SIGSYS handler");
	n = write(fds[1], w, 16);
	ok(n == 16 && read(fds[0], back, 16) == 16 && memcmp(back, "xxxxxxxxxxxxxxxx", 16) == 0 &&
	   sys_calls == 0, "system calls go on, without reaching it (write of 16 watched bytes: %ld)",
	   n);
	raise(SIGSYS);
	ok(sys_calls == 1 && sys_sig == SIGSYS && sys_code == SI_TKILL,
	   "the program's own SIGSYS reaches it (%d calls)", sys_calls);
	ok(mw_unwatch(id) == 0, "mw_unwatch");
}
#define N_SIGSYS 4

/* A forked child keeps the program's alternate signal stack (its own copy),
 * as without the library: the gate took it away from every child, as it
 * must from a vfork child only (which shares its parent's). */
static void sec_fork_altstack(void)
{
	static char stk[64 * 1024];
	stack_t ss = { .ss_sp = stk, .ss_size = sizeof(stk) }, cur;
	char *w = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int id, st = -1;
	pid_t pid;

	if (sigaltstack(&ss, NULL) < 0)
		bail("sigaltstack: %s", strerror(errno));
	id = mw_watch(w, 16, MW_ACCESS);
	fflush(stdout);
	pid = fork();
	if (pid == 0)
		_exit(sigaltstack(NULL, &cur) == 0 && cur.ss_sp == stk &&
		      cur.ss_size == sizeof(stk) && !(cur.ss_flags & SS_DISABLE) ? 0 : 1);
	if (pid > 0 && waitpid(pid, &st, 0) != pid)
		st = -1;
	ok(pid > 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	   "a forked child has the program's alternate signal stack (status %#x)", st);
	ok(mw_unwatch(id) == 0, "mw_unwatch");
}
#define N_FORK_ALTSTACK 2

/* The program sets its own alternate signal stack while watching (the
 * library gave the thread one at the first watch): sigaltstack reports
 * none before, as without the library; the program's is then the one its
 * SA_ONSTACK handlers really run on, and watched accesses there work;
 * disabling it reports none again. */
static volatile uintptr_t on_stack_sp;
static volatile char *on_stack_watched;

static void on_stack(int sig)
{
	(void)sig;
	on_stack_sp = (uintptr_t)__builtin_frame_address(0);
	on_stack_watched[3] = 7;        /* a watched access on that stack */
}

static void sec_own_altstack(void)
{
	static char stk[64 * 1024];
	stack_t ss = { .ss_sp = stk, .ss_size = sizeof(stk) }, cur;
	char *w = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct sigaction sa;
	uint64_t c = 0;
	int id, r;

	id = mw_watch(w, 16, MW_ACCESS);
	on_stack_watched = w;
	r = sigaltstack(NULL, &cur);
	ok(r == 0 && (cur.ss_flags & SS_DISABLE) && !cur.ss_sp,
	   "before: no alternate stack, as without memwatch (%d, flags %d)", r, cur.ss_flags);
	ok(sigaltstack(&ss, NULL) == 0 && sigaltstack(NULL, &cur) == 0 && cur.ss_sp == stk &&
	   cur.ss_size == sizeof(stk) && !(cur.ss_flags & SS_DISABLE),
	   "the program's own is set, and reported");
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stack;
	sa.sa_flags = SA_ONSTACK;
	sigaction(SIGUSR1, &sa, NULL);
	raise(SIGUSR1);
	mw_count(id, &c);
	ok(on_stack_sp >= (uintptr_t)stk && on_stack_sp < (uintptr_t)stk + sizeof(stk) && w[3] == 7 &&
	   c == 1,
	   "an SA_ONSTACK handler runs on it (%#lx in %p..%p), its watched store counted (%llu)",
	   (unsigned long)on_stack_sp, (void *)stk, (void *)(stk + sizeof(stk)),
	   (unsigned long long)c);
	ss.ss_flags = SS_DISABLE;
	ok(sigaltstack(&ss, NULL) == 0 && sigaltstack(NULL, &cur) == 0 && (cur.ss_flags & SS_DISABLE),
	   "disabled again: reported none");
	w[4] = 1;
	raise(SIGUSR1);
	ok(w[4] == 1 && w[3] == 7 && mw_unwatch(id) == 0, "watched accesses still work after");
}
#define N_OWN_ALTSTACK 5

/* ------------------------------------------------ asynchronous signals */

static volatile int ticks, tick_limit;
static volatile char *tick_watched;     /* NULL: the handler stores nothing watched */

/* The handler disarms the timer at TICK_LIMIT itself: where its watched
 * stores cost more than the period (a loaded machine, 100 us), the program
 * gets no time between ticks, and only the handler can end them.  (The
 * timer is ITIMER_REAL, which alarm(), the section's timeout, shares.) */
static void on_tick(int sig)
{
	(void)sig;
	if (++ticks >= tick_limit && tick_limit) {
		struct itimerval off = { { 0, 0 }, { 0, 0 } };

		setitimer(ITIMER_REAL, &off, NULL);
	}
	if (tick_watched)
		for (int i = 0; i < 4; i++)
			tick_watched[i] = (char)ticks;
}

/* A handler with a 100 KB frame (every 512th byte touched, from the
 * bottom): it runs wherever it interrupts, the library's handler too. */
static void on_big_tick(int sig)
{
	volatile char big[100 * 1024];

	(void)sig;
	for (size_t i = 0; i < sizeof(big); i += 512)
		big[i] = (char)i;
	big[sizeof(big) - 1] = 1;
	ticks++;
}

static void timer(void (*fn)(int), long us)
{
	struct itimerval it = { { 0, us }, { 0, us } };
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = fn;
	if (fn && sigaction(SIGALRM, &sa, NULL))
		bail("sigaction: %s", strerror(errno));
	if (!fn)
		it = (struct itimerval){ { 0, 0 }, { 0, 0 } };
	setitimer(ITIMER_REAL, &it, NULL);
}

/* Watched stores, mostly in the library's handler, until N ticks came. */
static long storm(volatile char *w, int n)
{
	long k = 0;

	while (ticks < n && k < 50000000)
		w[k & 63] = (char)k, k++;
	return k;
}

static void sec_big_handler(void)
{
	char *w = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t c = 0;
	int id = mw_watch(w, 64, MW_WRITE);
	long n;

	ticks = 0;
	timer(on_big_tick, 1000);
	n = storm(w, 30);
	timer(NULL, 0);
	mw_count(id, &c);
	ok(ticks >= 30, "a SIGALRM handler with a 100 KB frame ran %d times during a storm of "
	   "watched stores", ticks);
	is_u64(c, (uint64_t)n, "every store of the storm counted (%ld)", n);
}
#define N_BIG 2

/* The handler's stores to a watched word, every 1 ms (or 100 us), while
 * the program's own watched stores storm: each counted and logged. */
static void handler_stores(long us, int n_ticks)
{
	char *w = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct mw_log_stats st;
	struct timespec t0, t1;
	uint64_t cm = 0, ch = 0;
	int idm = mw_watch(w, 64, MW_WRITE), idh = mw_watch(w + PG, 4, MW_WRITE);
	double secs;
	long n;

	mw_log_clear();
	ticks = 0;
	tick_limit = n_ticks;
	tick_watched = w + PG;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	timer(on_tick, us);
	n = storm(w, n_ticks);
	timer(NULL, 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	tick_watched = NULL;
	tick_limit = 0;
	secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	mw_count(idm, &cm);
	mw_count(idh, &ch);
	is_u64(cm, (uint64_t)n, "the program's stores counted (%ld)", n);
	is_u64(ch, 4 * (uint64_t)ticks, "the handler's stores counted: 4 in each of %d runs", ticks);
	memset(&st, 0, sizeof(st));
	mw_log_stats(&st);
	ok(st.records == (uint64_t)n + 4 * (uint64_t)ticks && st.dropped == 0, "and logged: %llu records", (unsigned long long)st.records);
	ok(secs < 10, "%d ticks of %ld us in %.3f s: the program is not starved", n_ticks, us,
	   secs);
}

static void sec_handler_stores(void)
{
	handler_stores(1000, 100);
}

static void sec_fast_timer(void)
{
	handler_stores(100, 1000);
}
#define N_STORES 4

/* The program's handlers behind the library's relay (sys/relay.h): what
 * sigaction shows, what the handlers get, SA_RESETHAND. */
static volatile int got_sig, got_code, got_plain, resets;
static volatile uintptr_t got_uc_sp;

static void info_handler(int sig, siginfo_t *si, void *ucv)
{
	got_sig = sig;
	got_code = si->si_code;
	got_uc_sp = (uintptr_t)((ucontext_t *)ucv)->uc_mcontext.gregs[REG_RSP];
}

static void plain_handler(int sig)
{
	got_plain = sig;
}

static void once_handler(int sig)
{
	(void)sig;
	resets++;
}

static void sec_relay(void)
{
	struct sigaction sa, cur;
	static int global;
	int id;
	volatile int here = 0;

	/* One installed before the first watch, two after. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = info_handler;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigaction(SIGUSR1, &sa, NULL);
	id = mw_watch(&global, sizeof(global), MW_WRITE);
	signal(SIGUSR2, plain_handler);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = once_handler;
	sa.sa_flags = SA_RESETHAND;
	sigaction(SIGWINCH, &sa, NULL);

	memset(&cur, 0, sizeof(cur));
	sigaction(SIGUSR1, NULL, &cur);
	ok(cur.sa_sigaction == info_handler &&
	   (cur.sa_flags & (SA_SIGINFO | SA_RESTART | SA_ONSTACK | SA_RESETHAND)) ==
		   (SA_SIGINFO | SA_RESTART),
	   "sigaction shows the handler installed before the watch, its flags (%#x)",
	   (unsigned)cur.sa_flags);
	memset(&cur, 0, sizeof(cur));
	sigaction(SIGUSR2, NULL, &cur);
	ok(cur.sa_handler == plain_handler && !(cur.sa_flags & (SA_SIGINFO | SA_ONSTACK)),
	   "and signal()'s, without SA_SIGINFO (%#x)", (unsigned)cur.sa_flags);
	raise(SIGUSR1);
	ok(got_sig == SIGUSR1 && got_code == SI_TKILL && got_uc_sp < (uintptr_t)&here &&
	   (uintptr_t)&here - got_uc_sp < 65536,
	   "an SA_SIGINFO handler gets its signal, si_code and the interrupted context (%d, %d)",
	   got_sig, got_code);
	raise(SIGUSR2);
	ok(got_plain == SIGUSR2, "a plain one its signal (%d)", got_plain);
	raise(SIGWINCH);
	memset(&cur, 0, sizeof(cur));
	sigaction(SIGWINCH, NULL, &cur);
	raise(SIGWINCH);        /* ignored by default */
	ok(resets == 1 && cur.sa_handler == SIG_DFL,
	   "SA_RESETHAND: it ran once (%d), then the default action, which sigaction shows", resets);
	mw_unwatch(id);
	memset(&cur, 0, sizeof(cur));
	sigaction(SIGUSR1, NULL, &cur);
	raise(SIGUSR1);
	ok(cur.sa_sigaction == info_handler && got_sig == SIGUSR1,
	   "after the last watch the kernel has the program's handler, which still runs");
}
#define N_RELAY 6

int main(void)
{
	need_dispatch();
	plan(N_AFTER + N_SIGBUS + N_STRADDLE + N_SMALL + N_SIGSYS + N_FORK_ALTSTACK + N_OWN_ALTSTACK +
	     N_BIG + 2 * N_STORES + N_RELAY + 11);
	run_section("a handler installed while watching", N_AFTER, sec_after);
	run_section("SIGBUS", N_SIGBUS, sec_sigbus);
	run_section("straddling into an unmapped page", N_STRADDLE, sec_straddle);
	run_section("a small alternate stack of the program's", N_SMALL, sec_small_altstack);
	run_section("a SIGSYS handler installed while watching", N_SIGSYS, sec_sigsys);
	run_section("a forked child's alternate stack", N_FORK_ALTSTACK, sec_fork_altstack);
	run_section("the program's own alternate stack, set while watching", N_OWN_ALTSTACK,
		    sec_own_altstack);
	run_section("a handler with a 100 KB frame during a storm", N_BIG, sec_big_handler);
	run_section("a 1 ms handler's watched stores", N_STORES, sec_handler_stores);
	run_section("a 100 us handler's watched stores", N_STORES, sec_fast_timer);
	run_section("handlers behind the library's relay", N_RELAY, sec_relay);
	return done();
}

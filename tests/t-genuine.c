/* SPDX-License-Identifier: MIT */
/*
 * t-genuine.c - faults that are not the library's stay what they were: a
 * crash kills the process exactly as it would without a watch, and a
 * SIGSEGV handler the program installed gets its faults with the exact
 * si_addr and si_code, while watched accesses keep being caught and counted.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "memwatch.h"
#include "tap.h"
#include "section.h"

/* --- Children that crash: status_of (section.h) sets RLIMIT_CORE to 0
 * first so that the expected crashes leave no core files (and the wait
 * statuses compare without the core-dump bit depending on the system's
 * settings). */

static void *map_page(int prot)
{
	void *p = mmap(NULL, 4096, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		bail("mmap: %s", strerror(errno));
	return p;
}

/* An active watch that has caught a store; exit 3 if it did not. */
static void watch_something(void)
{
	volatile unsigned char *w = map_page(PROT_READ | PROT_WRITE);
	uint64_t c = 0;
	int id = mw_watch((void *)w, 64, MW_ACCESS);

	w[10] = 1;
	if (id <= 0 || mw_count(id, &c) != 0 || c != 1)
		_exit(3);
}

/* Addresses through a volatile, so the compiler cannot see them.  The
 * crashes are the point: keep UBSan's null check out of these. */
#define NO_UBSAN __attribute__((no_sanitize("undefined")))
static volatile uintptr_t addr_null = 0, addr_16 = 16,
	addr_noncanonical = 0xffff800000001000ull;

NO_UBSAN static void null_store(void)
{
	*(volatile int *)addr_null = 1;
}

NO_UBSAN static void null_load(void)
{
	(void)*(volatile int *)addr_null;
}

static void noncanonical_load(void)
{
	(void)*(volatile int *)addr_noncanonical;
}

static volatile unsigned char *ro_page, *none_page;

static void ro_store(void)
{
	ro_page[100] = 1;
}

static void none_load(void)
{
	(void)none_page[200];
}

static void do_raise(void)
{
	raise(SIGSEGV);
}

static void *null_store_thread(void *arg)
{
	(void)arg;
	null_store();
	return NULL;
}

static void thread_null_store(void)
{
	pthread_t th;

	if (pthread_create(&th, NULL, null_store_thread, NULL) == 0)
		pthread_join(th, NULL);
	_exit(6);
}

static void watched_thread_null_store(void) { watch_something(); thread_null_store(); }
static void watched_null_store(void) { watch_something(); null_store(); }
static void watched_null_load(void) { watch_something(); null_load(); }
static void watched_noncanonical_load(void) { watch_something(); noncanonical_load(); }
static void watched_ro_store(void) { watch_something(); ro_store(); }
static void watched_none_load(void) { watch_something(); none_load(); }
static void watched_raise(void) { watch_something(); do_raise(); }

static void same_death(const char *what, void (*plain)(void), void (*watched)(void))
{
	int s1 = status_of(plain), s2 = status_of(watched);
	char h1[128], h2[128];

	describe_status(s1, h1, sizeof(h1));
	describe_status(s2, h2, sizeof(h2));
	if (!(WIFSIGNALED(s1) && WTERMSIG(s1) == SIGSEGV))
		bail("%s without a watch: the child %s, not killed by SIGSEGV", what, h1);
	if (!ok(s1 == s2, "%s with an active watch: the child dies as without (%s)", what, h1))
		diag("  with the watch it %s%s", h2,
		     WIFEXITED(s2) && WEXITSTATUS(s2) == 3 ? " (its watch did not count)" : "");
}

static void sec_deaths(void)
{
	ro_page = map_page(PROT_READ);
	none_page = map_page(PROT_NONE);
	same_death("a NULL store", null_store, watched_null_store);
	same_death("a NULL load", null_load, watched_null_load);
	same_death("a load of a non-canonical address", noncanonical_load,
		   watched_noncanonical_load);
	same_death("a store to a read-only page", ro_store, watched_ro_store);
	same_death("a load of a PROT_NONE page", none_load, watched_none_load);
	same_death("raise(SIGSEGV)", do_raise, watched_raise);
	same_death("a NULL store in a second thread", thread_null_store,
		   watched_thread_null_store);
}
#define N_DEATHS 7

/* --- The program's own handler, installed before the first mw_watch. */
static sigjmp_buf env;
static volatile sig_atomic_t handled;
static void *volatile h_addr;
static volatile int h_code;

static void handler(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	handled = handled + 1;
	h_addr = si->si_addr;
	h_code = si->si_code;
	siglongjmp(env, 1);
}

/* Run STMT; RES = 1 if it faulted into the handler, else 0. */
#define FAULTS(res, stmt) do { \
	if (sigsetjmp(env, 1) == 0) { \
		stmt; \
		res = 0; \
	} else { \
		res = 1; \
	} \
} while (0)

static void expect_fault(int faulted, const void *addr, int code, int nh, const char *what)
{
	if (!ok(faulted && h_addr == addr && h_code == code && handled == nh,
		"%s: the program's handler gets it, si_addr %p, si_code %d", what, addr, code))
		diag("  faulted %d, si_addr %p, si_code %d, handler calls %d (want %d)",
		     faulted, h_addr, h_code, (int)handled, nh);
}

static void sec_handler(void)
{
	struct sigaction sa;
	volatile unsigned char *none = map_page(PROT_NONE);
	volatile unsigned char *ro = map_page(PROT_READ);
	volatile unsigned char *wro = map_page(PROT_READ | PROT_WRITE);
	volatile unsigned char *w = map_page(PROT_READ | PROT_WRITE);
	uint64_t c = 0;
	int id, id2, f;
	unsigned sum = 0;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = handler;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSEGV, &sa, NULL))
		bail("sigaction: %s", strerror(errno));

	FAULTS(f, (void)none[123]);
	expect_fault(f, (const void *)(none + 123), SEGV_ACCERR, 1, "a load of a PROT_NONE page before any watch");

	id = mw_watch((void *)w, 64, MW_ACCESS);
	ok(id > 0, "mw_watch after the program installed its handler");
	for (int i = 0; i < 5; i++)
		w[i] = (unsigned char)(i + 1);
	for (int i = 0; i < 3; i++)
		sum += w[i];
	is_int(sum, 6, "the watched values");
	is_int(handled, 1, "watched accesses do not reach the program's handler");
	ok(mw_count(id, &c) == 0 && c == 8, "and they are counted (8)");

	FAULTS(f, (void)none[456]);
	expect_fault(f, (const void *)(none + 456), SEGV_ACCERR, 2, "a load of a PROT_NONE page");
	FAULTS(f, *(volatile int *)addr_16 = 1);
	expect_fault(f, (const void *)16, SEGV_MAPERR, 3, "a store to address 16");
	FAULTS(f, ro[789] = 1);
	expect_fault(f, (const void *)(ro + 789), SEGV_ACCERR, 4, "a store to a read-only page");

	/* A read-only page that is also watched: the store stays a fault. */
	wro[300] = 7;
	if (mprotect((void *)wro, 4096, PROT_READ))
		bail("mprotect: %s", strerror(errno));
	id2 = mw_watch((void *)wro, 4096, MW_ACCESS);
	ok(id2 > 0, "mw_watch of a read-only page");
	h_addr = NULL;
	FAULTS(f, wro[300] = 9);
	expect_fault(f, (const void *)(wro + 300), SEGV_ACCERR, 5,
		     "a store to a watched read-only page");
	is_int(wro[300], 7, "the read-only value is unchanged");

	sum = 0;
	w[10] = 11;
	sum += w[10];
	is_int(sum, 11, "watched accesses after the handler ran");
	ok(mw_count(id, &c) == 0 && c == 10, "are still counted (10)");

	FAULTS(f, raise(SIGSEGV));
	ok(f && h_code == SI_TKILL && handled == 6, "raise(SIGSEGV) reaches the program's handler with SI_TKILL");
}
#define N_HANDLER 14

int main(void)
{
	plan(N_DEATHS + N_HANDLER + 2);
	run_section("crashes as without the library", N_DEATHS, sec_deaths);
	run_section("the program's own SIGSEGV handler", N_HANDLER, sec_handler);
	return done();
}

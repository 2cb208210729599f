/* SPDX-License-Identifier: MIT */
/*
 * t-cost.c - what watching costs that no record shows, counted exactly
 * (mw_log_stats' appended fields, mw_neighbour_faults): a cold watch whose
 * page neighbour is written N times has N faults on neighbours, all by one
 * instruction, at the neighbour's address, and 0 records; every watch on
 * that page is charged them, a watch on another page is not; reads of a
 * write watch's page cost nothing; the watched bytes' own accesses are
 * counted as accesses, not as neighbours; N getppid(2) calls while a watch
 * exists are N dispatched calls of that number; mw_log_clear zeroes it
 * all; the function mw_log_stats of older programs fills no field
 * beyond depth; mw_syscalls(0) turns dispatch off while watches exist (no
 * call dispatched, a read(2) into a watched buffer fails with EFAULT) and
 * mw_syscalls(1) on again.
 */
#include <errno.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "memwatch.h"
#include "tap.h"
#include "watch.h"
#include "dispatch.h"

#define N 1000

/* A page of its own (nothing else of the program's on it): a cold
 * configuration and the hot counter next to it. */
static struct {
	volatile int cold_cfg;
	int pad[15];
	volatile int hot;
	int other;
	char rest[4096 - 72];
} page1 __attribute__((aligned(4096)));
static struct {
	int a;
	char rest[4096 - 4];
} page2 __attribute__((aligned(4096)));

__attribute__((noinline)) static void bump_hot(int n)
{
	for (int i = 0; i < n; i++)
		page1.hot++;
}

__attribute__((noinline)) static int read_hot(int n)
{
	int s = 0;

	for (int i = 0; i < n; i++)
		s += page1.hot;
	return s;
}

int main(int argc, char **argv)
{
	struct mw_log_stats st;
	int id, id2, id3;
	uintptr_t fn = (uintptr_t)bump_hot;

	/* The counts of calls dispatched through signals: no site patched
	 * (a patched site's calls are not counted; t-syspatch checks that). */
	(void)argc;
	if (!getenv("MEMWATCH_PATCH_SYSCALLS")) {
		setenv("MEMWATCH_PATCH_SYSCALLS", "0", 1);
		execv("/proc/self/exe", argv);
		bail("execv /proc/self/exe: %s", strerror(errno));
	}
	plan(30);
	id = watch((const void *)&page1.cold_cfg, sizeof(page1.cold_cfg), MW_WRITE);
	id2 = watch(&page1.other, sizeof(page1.other), MW_WRITE);
	id3 = watch(&page2.a, sizeof(page2.a), MW_WRITE);
	mw_log_clear();

	bump_hot(N);
	mw_log_stats(&st);
	is_u64(st.neighbour_faults, N, "%d writes of the neighbour: %d faults on neighbours", N, N);
	is_u64(st.records, 0, "and no record");
	is_u64(mw_neighbour_faults(id), N, "watch 1 (cold_cfg) is charged %d", N);
	is_u64(mw_neighbour_faults(id2), N, "watch 2, on the same page, too");
	is_u64(mw_neighbour_faults(id3), 0, "watch 3, on another page, none");
	is_u64(st.hot_pc_faults, N, "all by one instruction");
	ok(st.hot_pc >= fn && st.hot_pc < fn + 256,
	   "in bump_hot (pc %#" PRIx64 ", bump_hot at %#" PRIxPTR ")", st.hot_pc, fn);
	is_u64(st.hot_addr, (uintptr_t)&page1.hot, "at the neighbour's address");
	ok(st.fault_ns > 0 && st.fault_ns < 1000000000, "a fault's cost is measured (%" PRIu64 " ns)",
	   st.fault_ns);
	ok(st.neighbour_ns >= (N - 1) * st.fault_ns && st.neighbour_ns <= 4 * N * st.fault_ns,
	   "their cost: between %d and 4 x %d times that (%" PRIu64 " ns)", N - 1, N, st.neighbour_ns);

	is_int(read_hot(N), N * N, "reads of the page of write watches");
	mw_log_stats(&st);
	is_u64(st.neighbour_faults, N, "cost no fault (the page stays readable)");

	page1.cold_cfg = 7;
	page1.cold_cfg = 8;
	mw_log_stats(&st);
	is_count(id, 2, "the watched bytes' own writes are counted");
	is_u64(st.neighbour_faults, N, "and not as neighbours");
	is_u64(st.records, 2, "two records");

	{
		struct mw_log_stats old;

		memset(&old, 0xa5, sizeof(old));
		(mw_log_stats)(&old);
		is_u64(old.records, 2, "mw_log_stats, the function of older programs: the records");
		is_u64(old.neighbour_faults, 0xa5a5a5a5a5a5a5a5ull, "and no field beyond depth");
	}

	mw_log_clear();
	mw_log_stats(&st);
	ok(st.neighbour_faults == 0 && mw_neighbour_faults(id) == 0 && st.hot_pc == 0 &&
	   st.syscalls == 0, "mw_log_clear zeroes them");

	if (dispatch_off()) {
		for (int i = 0; i < 4; i++)
			ok(1, "# SKIP MEMWATCH_SYSCALLS=0: no dispatch");
	} else {
		long ppid = 0;

		for (int i = 0; i < N; i++)
			ppid += syscall(SYS_getppid);
		mw_log_stats(&st);
		is_int(st.top_syscall, SYS_getppid, "the call dispatched most is getppid");
		is_u64(st.top_syscall_calls, N, "%d times", N);
		ok(st.syscalls >= N && st.syscalls < N + 10, "%" PRIu64 " calls dispatched in all",
		   st.syscalls);
		ok(st.syscall_ns > 0 && st.syscalls_ns >= (N - 1) * st.syscall_ns &&
		   st.syscalls_ns <= 4 * st.syscalls * st.syscall_ns,
		   "their cost: %" PRIu64 " ns, at least %" PRIu64 " ns each", st.syscalls_ns,
		   st.syscall_ns);
		(void)ppid;
	}

	if (dispatch_off()) {
		for (int i = 0; i < 8; i++)
			ok(1, "# SKIP MEMWATCH_SYSCALLS=0: no dispatch");
	} else {
		int fds[2];
		char c = 'x';
		long r;

		if (pipe(fds) < 0)
			bail("pipe: %s", strerror(errno));
		mw_log_clear();
		is_int(mw_syscalls(0), 1, "mw_syscalls(0): it was on");
		for (int i = 0; i < N; i++)
			syscall(SYS_getppid);
		mw_log_stats(&st);
		is_u64(st.syscalls, 0, "off: %d getppid, none dispatched", N);
		r = write(fds[1], &c, 1);
		errno = 0;
		r = read(fds[0], &page2.a, 1);
		ok(r == -1 && errno == EFAULT, "off: read(2) into a watched buffer fails with EFAULT "
		   "(%ld, %s)", r, strerror(errno));
		is_count(id3, 0, "and the kernel's write is not logged");
		is_int(mw_syscalls(1), 0, "mw_syscalls(1): it was off");
		for (int i = 0; i < N; i++)
			syscall(SYS_getppid);
		mw_log_stats(&st);
		is_u64(st.top_syscall_calls, N, "on: %d getppid dispatched", N);
		r = read(fds[0], &page2.a, 1);
		ok(r == 1 && page2.a == 'x', "on: the read into the watched buffer works");
		is_count(id3, 1, "and the kernel's write is counted");
	}
	return done();
}

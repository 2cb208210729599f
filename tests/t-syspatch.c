/* SPDX-License-Identifier: MIT */
/*
 * t-syspatch.c - patched system-call sites (memwatch(3), "System calls"):
 * a syscall instruction dispatched a few times while watches exist gets a
 * jump to a stub, and the program sees every call as before: results,
 * errno-style returns, the kernel's writes into watched memory counted and
 * logged, signals arriving meanwhile, restarts, fork and vfork children,
 * and the code's bytes once the watches end.
 *
 * The calls are functions of our own in assembly, each with its own form:
 *   sys_mov:  mov $NR,%eax; syscall          (patched through the mov)
 *   sys_pun:  push; pop %rax; syscall; nopl  (the syscall itself patched,
 *             a jump punned over the nopl's first bytes: its target is
 *             some 1 GiB above, where nothing is mapped)
 * Run with MEMWATCH_PATCH=0 (t-patch-off.sh) every result must be the same
 * and nothing patched.
 */
#include <errno.h>
#include <execinfo.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "memwatch.h"
#include "tap.h"
#include "dispatch.h"

/* long sys_mov_NAME(a1, a2, a3): the raw result (-errno on failure). */
long sys_mov_getppid(void);
long sys_mov_read(long fd, void *buf, long n);
long sys_mov_write(long fd, const void *buf, long n);
long sys_pun_getppid(void);
long sys_pun_read(long fd, void *buf, long n);
#define MOV(name, nr) \
	".p2align 4\n" #name ":\n	.cfi_startproc\n" \
	"	mov $" #nr ", %eax\n	syscall\n	ret\n	.cfi_endproc\n"
#define PUN(name, nr) \
	".p2align 4\n" #name ":\n	.cfi_startproc\n" \
	"	push $" #nr "\n	.cfi_adjust_cfa_offset 8\n	pop %rax\n" \
	"	.cfi_adjust_cfa_offset -8\n	syscall\n	.byte 0x0f, 0x1f, 0x40, 0x00\n" \
	"	ret\n	.cfi_endproc\n"
/* long sys_vec(nr, a1, a2, a3, uint64_t out[2]): xmm0-15 all ones, the
 * call (through a punned jump once patched), then the AND of the sixteen
 * into OUT: all ones if the call left every one of them alone. */
long sys_vec(long nr, long a1, long a2, long a3, uint64_t out[2]);
#define ONES(r) "	pcmpeqd %xmm" #r ", %xmm" #r "\n"
#define AND(r) "	pand %xmm" #r ", %xmm0\n"
__asm__(".text\n.p2align 4\nsys_vec:\n	.cfi_startproc\n"
	ONES(0) ONES(1) ONES(2) ONES(3) ONES(4) ONES(5) ONES(6) ONES(7)
	ONES(8) ONES(9) ONES(10) ONES(11) ONES(12) ONES(13) ONES(14) ONES(15)
	"	mov %rdi, %rax\n	mov %rsi, %rdi\n	mov %rdx, %rsi\n	mov %rcx, %rdx\n"
	"	syscall\n	.byte 0x0f, 0x1f, 0x40, 0x00\n"
	AND(1) AND(2) AND(3) AND(4) AND(5) AND(6) AND(7)
	AND(8) AND(9) AND(10) AND(11) AND(12) AND(13) AND(14) AND(15)
	"	movdqu %xmm0, (%r8)\n	ret\n	.cfi_endproc\n");
__asm__(".text\n"
	MOV(sys_mov_getppid, 110)
	MOV(sys_mov_read, 0)
	MOV(sys_mov_write, 1)
	PUN(sys_pun_getppid, 110)
	PUN(sys_pun_read, 0));

static void *const fns[] = {
	(void *)sys_mov_getppid, (void *)sys_mov_read, (void *)sys_mov_write,
	(void *)sys_pun_getppid, (void *)sys_pun_read,
};
#define NFNS (sizeof(fns) / sizeof(fns[0]))
static unsigned char before[NFNS][16];

static char page[2][4096] __attribute__((aligned(4096)));
static int patching;

/* How many system-call sites are patched so far. */
static long sys_patched(void)
{
	const char *what;
	long n;

	for (int i = 0; (n = mw_patch_info(i, &what)) >= 0; i++)
		if (what && strcmp(what, "system-call sites patched") == 0)
			return n;
	return -1;
}

static uint64_t count_of(int id)
{
	uint64_t c = UINT64_MAX;

	mw_count(id, &c);
	return c;
}

static volatile sig_atomic_t ticks, tick_calls_ok = 1;

static void on_tick(int sig)
{
	(void)sig;
	ticks++;
	/* The handler's own calls, through the same patched sites. */
	if (sys_mov_getppid() != getppid() || sys_pun_getppid() != getppid())
		tick_calls_ok = 0;
}

/* The interrupted read's backtrace, taken in the handler: through the
 * signal frame, the library's code the blocked call is in, to the site
 * and its caller (seen_site: once at least). */
static void *frames[64];
static volatile int nframes, seen_site;

static long interrupted_read(int flags, char *dst);
long sys_pun_read(long fd, void *buf, long n);

/* Whether a frame's return address is within N bytes after FN. */
static int frame_in(const void *fn, size_t n)
{
	for (int i = 0; i < nframes; i++)
		if ((uintptr_t)frames[i] > (uintptr_t)fn && (uintptr_t)frames[i] - (uintptr_t)fn <= n)
			return 1;
	return 0;
}

static void on_usr1(int sig)
{
	(void)sig;
	nframes = backtrace(frames, 64);
	if (frame_in((const void *)sys_pun_read, 16) && frame_in((const void *)interrupted_read, 1024))
		seen_site = 1;
}

struct later {
	pthread_t to;
	int fd, data;
	atomic_int done;
};

/* A signal to the reader every 10 ms until its read returns (one at least
 * finds it blocked, however loaded the machine); with DATA, after 10 of
 * them the bytes it waits for. */
static void *signal_then_write(void *arg)
{
	struct later *l = arg;
	struct timespec t = { 0, 10 * 1000 * 1000 };

	for (int k = 1; !atomic_load(&l->done); k++) {
		pthread_kill(l->to, SIGUSR1);
		nanosleep(&t, NULL);
		if (l->data && k == 10 && write(l->fd, "restart!", 8) != 8)
			abort();
	}
	return NULL;
}

/* A read from a patched site, blocked, interrupted by SIGUSR1 whose
 * handler has FLAGS: its raw result and the bytes it read into DST. */
__attribute__((noinline)) static long interrupted_read(int flags, char *dst)
{
	struct sigaction sa;
	struct later l;
	pthread_t t;
	int fds[2];
	long r;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sa.sa_flags = flags;
	sigaction(SIGUSR1, &sa, NULL);
	if (pipe(fds))
		bail("pipe: %s", strerror(errno));
	l.to = pthread_self();
	l.fd = fds[1];
	l.data = (flags & SA_RESTART) != 0;
	atomic_init(&l.done, 0);
	pthread_create(&t, NULL, signal_then_write, &l);
	r = sys_pun_read(fds[0], dst, 8);
	atomic_store(&l.done, 1);
	pthread_join(t, NULL);
	close(fds[0]);
	close(fds[1]);
	return r;
}

int main(void)
{
	int fds[2], id, other, st = 0;
	long ppid = getppid(), n0, r;
	uint64_t c0;
	pid_t pid;
	char *e = getenv("MEMWATCH_PATCH");
	char got[16];
	int all_ok = 1;

	/* System-call sites are patched from dispatch's handler. */
	need_dispatch();
	patching = !(e && strcmp(e, "0") == 0);
	backtrace(frames, 1);   /* loads the unwinder now, not in a handler */
	plan(29);
	for (unsigned i = 0; i < NFNS; i++)
		memcpy(before[i], fns[i], 16);
	if (pipe(fds))
		bail("pipe: %s", strerror(errno));

	/* A watch elsewhere: every call dispatches, and hot sites patch. */
	other = mw_watch(page[1], 8, MW_WRITE);
	id = mw_watch(page[0], 8, MW_WRITE);
	ok(id > 0 && other > 0, "two watches (%d, %d)", id, other);
	n0 = sys_patched();
	for (int i = 0; i < 20; i++)
		all_ok &= sys_mov_getppid() == ppid && sys_pun_getppid() == ppid;
	ok(all_ok, "getppid through both forms, 20 times each: the parent's pid");
	if (patching) {
		ok(sys_patched() >= n0 + 2, "both sites patched (%ld before, %ld now)", n0, sys_patched());
		ok(((unsigned char *)sys_mov_getppid)[0] == 0xe9 &&
		   ((unsigned char *)sys_mov_getppid)[5] == 0x0f,
		   "sys_mov: the mov is a jump, the syscall after it as it was");
		ok(((unsigned char *)sys_pun_getppid)[3] == 0xe9 &&
		   !memcmp((unsigned char *)sys_pun_getppid + 5, before[3] + 5, 8),
		   "sys_pun: the syscall is a jump, the bytes after it as they were");
	} else {
		ok(sys_patched() == 0, "MEMWATCH_PATCH=0: nothing patched (%ld)", sys_patched());
		ok(!memcmp((void *)sys_mov_getppid, before[0], 16), "sys_mov as it was");
		ok(!memcmp((void *)sys_pun_getppid, before[3], 16), "sys_pun as it was");
	}

	/* The kernel writes the watched bytes: bounced, counted, the data. */
	all_ok = 1;
	c0 = count_of(id);
	for (int i = 0; i < 10; i++) {
		char msg[8] = { 'm', 's', 'g', (char)('0' + i), 0, 0, 0, 0 };

		all_ok &= sys_mov_write(fds[1], msg, 8) == 8;
		all_ok &= (i % 2 ? sys_pun_read : sys_mov_read)(fds[0], page[0], 8) == 8;
		all_ok &= memcmp(page[0], msg, 8) == 0;
	}
	ok(all_ok, "10 reads into the watched bytes from both forms: 8 bytes each, the data");
	is_u64(count_of(id) - c0, 10, "10 kernel writes counted");
	r = sys_mov_write(fds[1], page[0], 8);
	is_int(r, 8, "a write from the watched bytes (not watched for reads): 8");
	r = sys_pun_read(fds[0], got, 8);
	ok(r == 8 && !memcmp(got, "msg9", 4), "and read back elsewhere: \"%.4s\"", got);
	is_u64(count_of(id) - c0, 10, "still 10: the kernel's read is no write");

	/* The vector registers: the quick way (getppid) and the whole way (a
	 * read into watched bytes) leave all sixteen as they were. */
	{
		uint64_t out[2] = { 0, 0 };
		int vec_ok = 1;

		for (int i = 0; i < 10; i++) {
			vec_ok &= sys_vec(SYS_getppid, 0, 0, 0, out) == ppid &&
				  out[0] == UINT64_MAX && out[1] == UINT64_MAX;
			vec_ok &= sys_mov_write(fds[1], "vectors!", 8) == 8 &&
				  sys_vec(SYS_read, fds[0], (long)page[0], 8, out) == 8 &&
				  out[0] == UINT64_MAX && out[1] == UINT64_MAX &&
				  !memcmp(page[0], "vectors!", 8);
		}
		ok(vec_ok, "xmm0-15 unchanged by 20 calls, getppid and reads into the watched bytes");
	}
	c0 = count_of(id);

	/* A patched site's calls are not counted as dispatched: they are not
	 * what makes a program slow. */
	{
		struct mw_log_stats ls;
		uint64_t s0;

		mw_log_stats(&ls);
		s0 = ls.syscalls;
		for (int i = 0; i < 100; i++)
			sys_mov_getppid();
		mw_log_stats(&ls);
		is_u64(ls.syscalls - s0, patching ? 0 : 100,
		       "100 calls at a patched site: mw_log_stats counts %s dispatched",
		       patching ? "none" : "them all");
	}

	/* Failures come back as they are. */
	is_int(sys_mov_write(-1, "x", 1), -EBADF, "write to fd -1: -EBADF");
	is_int(sys_pun_read(-1, got, 1), -EBADF, "read from fd -1: -EBADF");
	errno = 1234;
	sys_mov_getppid();
	is_int(errno, 1234, "errno untouched by a patched call");

	/* Signals: a 200 us timer whose handler calls the same sites, while
	 * the main loop reads and writes through them. */
	{
		struct sigaction sa;
		struct itimerval it = { { 0, 200 }, { 0, 200 } }, off = { { 0, 0 }, { 0, 0 } };

		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_tick;
		sa.sa_flags = SA_RESTART;
		sigaction(SIGALRM, &sa, NULL);
		setitimer(ITIMER_REAL, &it, NULL);
		all_ok = 1;
		c0 = count_of(id);
		for (int i = 0; i < 5000; i++) {
			char msg[8];

			memcpy(msg, &i, sizeof(i));
			memcpy(msg + 4, "tick", 4);
			all_ok &= sys_mov_write(fds[1], msg, 8) == 8;
			all_ok &= sys_pun_read(fds[0], page[0], 8) == 8 && !memcmp(page[0], msg, 8);
		}
		setitimer(ITIMER_REAL, &off, NULL);
		ok(all_ok && ticks > 0, "5000 write+read pairs under a 200 us timer: all data (%d ticks)",
		   (int)ticks);
		ok(tick_calls_ok, "the handler's own calls at the same sites: the parent's pid each time");
		is_u64(count_of(id) - c0, 5000, "5000 kernel writes counted");
	}

	/* A blocked read interrupted by a signal: restarted with SA_RESTART,
	 * -EINTR without. */
	memset(got, 0, sizeof(got));
	r = interrupted_read(SA_RESTART, got);
	ok(r == 8 && !memcmp(got, "restart!", 8), "SA_RESTART: the read restarts and gets the data (%ld)", r);
	ok(seen_site, "the handler's backtrace of the blocked read reaches the site and its caller");
	r = interrupted_read(0, got);
	is_int(r, -EINTR, "no SA_RESTART: -EINTR");

	/* fork and vfork children call the patched sites. */
	pid = fork();
	if (pid == 0)
		_exit(sys_mov_getppid() == getppid() && sys_pun_getppid() == getppid() ? 3 : 1);
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		st = -1;
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 3,
	   "a fork child's calls at the patched sites: its parent (status %#x)", st);
	pid = vfork();
	if (pid == 0)
		_exit(sys_mov_getppid() == (long)getppid() ? 4 : 1);
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		st = -1;
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 4,
	   "a vfork child's call at a patched site: its parent (status %#x)", st);
	ok(sys_mov_getppid() == ppid && sys_pun_getppid() == ppid, "and the parent's go on after it");

	/* The last watch goes: the code as it was. */
	is_int(mw_unwatch(id), 0, "unwatch");
	ok(memcmp((void *)sys_mov_getppid, before[0], 16) != 0 || !patching,
	   "one watch left: still patched");
	is_int(mw_unwatch(other), 0, "unwatch the last");
	all_ok = 1;
	for (unsigned i = 0; i < NFNS; i++)
		all_ok &= !memcmp(fns[i], before[i], 16);
	ok(all_ok, "every function's bytes as before the first watch");
	ok(sys_mov_getppid() == ppid && sys_pun_getppid() == ppid, "and they run as before");
	return done();
}

/* SPDX-License-Identifier: MIT */
/*
 * t-patch.c - patched access sites (memwatch(3), "Patched sites"): an
 * instruction that keeps faulting on watched pages gets a jump to a stub,
 * and everything a user checks stays as with signals: counts, values,
 * program counters, backtraces, atomicity across threads, the program's own
 * handlers and faults, fork, and the code's bytes once the watches end.
 *
 * The accesses are functions of our own in assembly, 16-byte aligned, with
 * a 32-bit displacement: instructions the patcher takes (five bytes or
 * more, the first five in one 16-byte block).  Run with MEMWATCH_PATCH=0
 * (its second run, by itself) every count and value must be the same and
 * nothing patched.
 */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "memwatch.h"
#include "tap.h"
#include "dispatch.h"

/* With call frame information, so that backtraces go through them.
 * store8(p, v): movq %rsi, 0x0(%rdi) (48 89 b7 + disp32, 7 bytes).
 * lockadd(p): lock addq $1, 0x0(%rdi) (f0 48 83 87 + disp32 + 01, 9 bytes). */
void store8(volatile void *p, uint64_t v);
void store8x(volatile void *p, uint64_t v);     /* its store at byte 13 of 16 */
extern const unsigned char store8x_site[];
void lockadd(volatile void *p);
extern const unsigned char store8_site[], lockadd_site[];
__asm__(".text\n"
	".p2align 4\n"
	"store8:\n"
	"	.cfi_startproc\n"
	"store8_site:\n"
	"	.byte 0x48, 0x89, 0xb7, 0, 0, 0, 0\n"
	"	ret\n"
	"	.cfi_endproc\n"
	".p2align 4\n"
	"	.skip 13, 0x90\n"
	"store8x:\n"
	"	.cfi_startproc\n"
	"store8x_site:\n"
	"	.byte 0x48, 0x89, 0xb7, 0, 0, 0, 0\n"
	"	ret\n"
	"	.cfi_endproc\n"
	".p2align 4\n"
	"lockadd:\n"
	"	.cfi_startproc\n"
	"lockadd_site:\n"
	"	.byte 0xf0, 0x48, 0x83, 0x87, 0, 0, 0, 0, 1\n"
	"	ret\n"
	"	.cfi_endproc\n");

/* vec_store(p, n, regs): ymm0-15 from regs[0..512), then n times: set CF,
 * store n at p (a site the patcher takes), fail unless CF is still set;
 * then ymm0-15 to regs[512..1024).  Returns 0, or 1 if CF was lost.  What
 * the program keeps in vector registers and flags across the access must
 * come out of a patched site's call into the library as it went in. */
int vec_store(volatile void *p, long n, void *regs);
__asm__(".text\n"
	".p2align 4\n"
	"vec_store:\n"
	"	.cfi_startproc\n"
	"	.irp r, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n"
	"	vmovdqu 32*\\r(%rdx), %ymm\\r\n"
	"	.endr\n"
	"1:	stc\n"
	"	.p2align 4, 0x90\n"
	"	.byte 0x48, 0x89, 0xb7, 0, 0, 0, 0\n"
	"	jnc 2f\n"
	"	dec %rsi\n"
	"	jnz 1b\n"
	"	.irp r, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n"
	"	vmovdqu %ymm\\r, 512+32*\\r(%rdx)\n"
	"	.endr\n"
	"	vzeroupper\n"
	"	xor %eax, %eax\n"
	"	ret\n"
	"2:	vzeroupper\n"
	"	mov $1, %eax\n"
	"	ret\n"
	"	.cfi_endproc\n");

/* A caller of store8 whose return address the backtraces must show. */
__attribute__((noinline)) static void store_from_caller(volatile void *p, uint64_t v)
{
	store8(p, v);
	__asm__ volatile("" ::: "memory");
}

static struct page {
	uint64_t watched;
	uint64_t other[511];
} pg __attribute__((aligned(4096)));

/* The code's bytes now: a const object the compiler may not re-read. */
static void code_at(const unsigned char *site, unsigned char out[16])
{
	const volatile unsigned char *p = site;

	for (int i = 0; i < 16; i++)
		out[i] = p[i];
}

static long patched(void)
{
	return mw_patch_info(0, NULL);
}

static int patching;    /* MEMWATCH_PATCH is not 0 */

static uint64_t count_of(int id)
{
	uint64_t c = UINT64_MAX;

	mw_count(id, &c);
	return c;
}

/* ---------------------------------------------------- a hot neighbour */

static void hot_neighbour(void)
{
	unsigned char before[16], during[16], after[16];
	long n0 = patched();
	int id;

	code_at(store8_site, before);
	id = mw_watch(&pg.watched, 8, MW_WRITE);
	ok(id > 0, "watch 8 bytes of the page (%d)", id);
	for (uint64_t i = 1; i <= 100000; i++)
		store8(&pg.other[7], i);
	code_at(store8_site, during);
	is_u64(pg.other[7], 100000, "the neighbour has its last value");
	is_u64(count_of(id), 0, "the watch counted nothing");
	if (patching) {
		is_int(patched() - n0, 1, "one site patched");
		ok(during[0] == 0xe9, "the site is a jump while watched (%02x)", during[0]);
	} else {
		is_int(patched() - n0, 0, "MEMWATCH_PATCH=0: nothing patched");
		ok(memcmp(during, before, 16) == 0, "MEMWATCH_PATCH=0: the code as it was");
	}
	is_int(mw_unwatch(id), 0, "unwatch");
	code_at(store8_site, after);
	ok(memcmp(after, before, 16) == 0, "after the last watch the code is byte for byte as before");
	store8(&pg.other[7], 5);
	is_u64(pg.other[7], 5, "and runs as before");
}

/* ------------------------- a site whose jump crosses two 16-byte blocks */

static void crossing(void)
{
	unsigned char before[16], during[16], after[16];
	long n0 = patched();
	int id;

	code_at(store8x_site, before);
	id = mw_watch(&pg.watched, 8, MW_WRITE);
	for (uint64_t i = 1; i <= 1000; i++) {
		store8x(&pg.other[11], i);
		store8x(&pg.watched, i);
	}
	code_at(store8x_site, during);
	is_u64(count_of(id), 1000, "a site at byte 13 of its block: 1000 writes counted");
	is_u64(pg.other[11] + pg.watched, 2000, "the values");
	if (patching)
		ok(patched() - n0 == 1 && during[0] == 0xe9,
		   "it is patched (a jump across the two blocks)");
	else
		ok(patched() == n0, "MEMWATCH_PATCH=0: not patched");
	mw_unwatch(id);
	code_at(store8x_site, after);
	ok(memcmp(after, before, 16) == 0, "and its bytes are back after the last watch");
}

/* ------------------------------------------------ a hot watched word */

static void hot_watched(void)
{
	struct mw_log_cursor c;
	struct mw_record r, last;
	uint64_t nrec = 0, bad = 0, prev = 0;
	int id;

	mw_log_clear();
	pg.watched = 0;
	id = mw_watch(&pg.watched, 8, MW_WRITE);
	for (uint64_t i = 1; i <= 100000; i++)
		store_from_caller(&pg.watched, i);
	is_u64(count_of(id), 100000, "100000 writes counted");
	is_u64(pg.watched, 100000, "the value is the last one written");
	mw_log_begin(&c);
	memset(&last, 0, sizeof(last));
	while (mw_log_next(&c, &r) > 0) {
		uint64_t o, v;

		if (r.watch != id)
			continue;
		memcpy(&o, r.old_value, 8);
		memcpy(&v, r.new_value, 8);
		/* Each record: pc at the site, its caller in frame 1, the
		 * values one after the other. */
		if (r.pc != (uint64_t)(uintptr_t)store8_site || r.kind != MW_KIND_WRITE ||
		    r.size != 8 || o != prev || v != prev + 1 || r.nframes < 2 ||
		    r.frames[0] != r.pc ||
		    r.frames[1] - (uint64_t)(uintptr_t)store_from_caller > 64) {
			if (!bad)
				diag("record %llu: pc %llx kind %u size %u old %llu new %llu, "
				     "%u frames, frame 1 %llx (store_from_caller %p)",
				     (unsigned long long)r.seq, (unsigned long long)r.pc, r.kind,
				     r.size, (unsigned long long)o, (unsigned long long)v,
				     r.nframes, (unsigned long long)r.frames[1],
				     (void *)store_from_caller);
			bad++;
		}
		prev = v;
		nrec++;
		last = r;
	}
	is_u64(nrec, 100000, "100000 records");
	if (nrec != 100000) {
		struct mw_log_stats st;

		mw_log_stats(&st);
		diag("capacity %llu records %llu", (unsigned long long)st.capacity,
		     (unsigned long long)st.records);
	}
	is_u64(bad, 0, "each with the site's pc, its caller's frame, old and new values in order");
	ok(last.nframes >= 3, "the backtrace reaches the caller's caller (%u frames)", last.nframes);
	mw_unwatch(id);
}

/* -------------------------------------------- atomic, eight threads */

#define THREADS 8
#define ADDS 20000

static void *adder(void *arg)
{
	for (int i = 0; i < ADDS; i++)
		lockadd(arg);
	return NULL;
}

static void atomic_threads(void)
{
	pthread_t t[THREADS];
	int id;

	pg.other[100] = 0;
	id = mw_watch(&pg.other[100], 8, MW_WRITE);
	for (int i = 0; i < THREADS; i++)
		pthread_create(&t[i], NULL, adder, &pg.other[100]);
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	is_u64(pg.other[100], (uint64_t)THREADS * ADDS, "8 threads of lock add: none lost");
	is_u64(count_of(id), (uint64_t)THREADS * ADDS, "each counted once");
	mw_unwatch(id);
}

/* ------------------------------------- the program's handler runs it */

static volatile uint64_t handler_stores;

static void on_alarm(int sig)
{
	(void)sig;
	store8(&pg.watched, 7);
	handler_stores++;
}

static void in_handlers(void)
{
	struct itimerval it = { { 0, 200 }, { 0, 200 } };
	struct sigaction sa;
	uint64_t main_stores = 0;
	int id;

	/* The handler installed while watching: the library learns of it
	 * from the dispatched sigaction, and holds the signal while it
	 * records at a patched site (else a store of the handler's landing
	 * in a recording would be taken for the library's, and lost). */
	id = mw_watch(&pg.watched, 8, MW_WRITE);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, &it, NULL);
	while (handler_stores < 200) {
		store8(&pg.watched, 1);
		main_stores++;
	}
	memset(&it, 0, sizeof(it));
	setitimer(ITIMER_REAL, &it, NULL);
	is_u64(count_of(id), main_stores + handler_stores,
	       "a timer's handler running the same site: every store counted (%llu + %llu)",
	       (unsigned long long)main_stores, (unsigned long long)handler_stores);
	mw_unwatch(id);
	signal(SIGALRM, SIG_DFL);
}

/* -------------------------------------------- a genuine fault there */

static sigjmp_buf env;
static volatile uintptr_t fault_pc, fault_addr;

static void on_segv(int sig, siginfo_t *si, void *ctx)
{
	(void)sig;
	fault_addr = (uintptr_t)si->si_addr;
	fault_pc = (uintptr_t)((ucontext_t *)ctx)->uc_mcontext.gregs[REG_RIP];
	siglongjmp(env, 1);
}

static void genuine(void)
{
	struct sigaction sa, old;
	unsigned char before[16], after[16];
	char *hole = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int id;

	if (dispatch_off()) {
		/* The program's sigaction(SIGSEGV) goes to the kernel as it is:
		 * its handler replaces the library's, which sees no fault. */
		for (int i = 0; i < 7; i++)
			ok(1, "# SKIP MEMWATCH_SYSCALLS=0: the library does not see the handler");
		return;
	}
	code_at(store8_site, before);
	id = mw_watch(&pg.watched, 8, MW_WRITE);
	for (int i = 0; i < 100; i++)
		store8(&pg.other[3], 1);        /* hot: patched */
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_segv;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGSEGV, &sa, &old);
	if (!sigsetjmp(env, 1))
		store8(hole + 8, 1);
	sigaction(SIGSEGV, &old, NULL);
	is_u64(fault_addr, (uint64_t)(uintptr_t)(hole + 8), "a fault through the site: si_addr");
	is_u64(fault_pc, (uint64_t)(uintptr_t)store8_site, "the program's handler sees the site's pc");
	code_at(store8_site, after);
	ok(memcmp(after, before, 16) == 0, "the site has its own bytes again");
	store8(&pg.other[3], 9);
	is_u64(pg.other[3], 9, "and works");

	/* The same at an unmapped address (SEGV_MAPERR, not a protection
	 * fault), through the site whose jump crosses two blocks. */
	code_at(store8x_site, before);
	for (int i = 0; i < 100; i++)
		store8x(&pg.other[5], 1);
	munmap(hole, 4096);
	fault_addr = fault_pc = 0;
	sigaction(SIGSEGV, &sa, &old);
	if (!sigsetjmp(env, 1))
		store8x(hole + 16, 1);
	sigaction(SIGSEGV, &old, NULL);
	is_u64(fault_addr, (uint64_t)(uintptr_t)(hole + 16), "an unmapped address through a site: si_addr");
	is_u64(fault_pc, (uint64_t)(uintptr_t)store8x_site, "the handler sees that site's pc");
	code_at(store8x_site, after);
	ok(memcmp(after, before, 16) == 0, "and that site has its own bytes again");
	mw_unwatch(id);
}

/* ------------------------------------ registers kept across the call */

static void registers(void)
{
	static uint8_t regs[1024];
	int id, r;

	if (!__builtin_cpu_supports("avx")) {
		ok(1, "# SKIP no AVX: vector registers across a patched site");
		ok(1, "# SKIP no AVX");
		return;
	}
	for (int i = 0; i < 512; i++)
		regs[i] = (uint8_t)(i * 7 + 1);
	id = mw_watch(&pg.watched, 8, MW_WRITE);
	r = vec_store(&pg.watched, 1000, regs);
	is_int(r, 0, "the carry flag set before each watched store is still set after it");
	ok(memcmp(regs, regs + 512, 512) == 0 && count_of(id) == 1000,
	   "ymm0-15 come out of 1000 watched stores as they went in (count %llu)",
	   (unsigned long long)count_of(id));
	mw_unwatch(id);
}

/* --------------------------------------------------------------- fork */

static void forked(void)
{
	int id = mw_watch(&pg.watched, 8, MW_WRITE), status = -1;
	pid_t pid;

	for (int i = 0; i < 100; i++)
		store8(&pg.other[9], (uint64_t)i);     /* patched in the parent */
	pid = fork();
	if (pid == 0) {
		uint64_t c0 = count_of(id);

		for (uint64_t i = 1; i <= 1000; i++) {
			store8(&pg.other[9], i);
			store8(&pg.watched, i);
		}
		_exit(pg.other[9] == 1000 && pg.watched == 1000 && count_of(id) - c0 == 1000 ? 0 : 1);
	}
	waitpid(pid, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	   "a forked child runs the patched site: values and its 1000 counts (status %d)", status);
	mw_unwatch(id);
}

int main(int argc, char **argv)
{
	const char *e = getenv("MEMWATCH_PATCH");

	(void)argc;
	(void)argv;
	patching = !(e && !strcmp(e, "0"));
	plan(33);
	/* Room for every record of hot_watched (before the first watch). */
	if (mw_log_configure(1 << 17, 4))
		bail("mw_log_configure");
	hot_neighbour();
	hot_watched();
	crossing();
	atomic_threads();
	in_handlers();
	genuine();
	forked();
	registers();
	{
		const char *what = NULL;
		long n = mw_patch_info(1, &what);

		ok(what && strstr(what, "restored"), "mw_patch_info(1): \"%s\"", what ? what : "");
		is_int(n, patching && !dispatch_off() ? 2 : 0,
		       "two sites restored after their stubs faulted");
		is_int(mw_patch_info(100, NULL), -1, "mw_patch_info past the last reason: -1");
	}
	return done();
}

/* SPDX-License-Identifier: MIT */
/*
 * t-neighbours.c - accesses beside the watched bytes at patched sites
 * (memwatch(3), "Patched sites"): once a site is patched, its stub runs an
 * access on a watched page that touches no watched byte of its kind on the
 * page's alias itself (lib/watch/finemap.h), without the fault path.  What
 * a user checks must stay exactly as with signals:
 *
 *   - which accesses are counted: the 8-byte granule of a watch is the
 *     fault path's, so an access beside the watch in the same granule is
 *     counted or not by the bytes, as before; a read of write-watched
 *     bytes and a write of read-watched ones are not counted;
 *   - values, and atomicity: four threads' lock adds beside a watch while
 *     a fifth watches and unwatches the page 2000 times (its contents
 *     moving into the library's memory and back), none lost;
 *   - a program whose timer handler siglongjmps out of the loop (so out of
 *     any stub it interrupted) can still unwatch: nothing is left held;
 *   - a forked child's neighbour stores stay in the child;
 *   - on a read-only page, a store beside a read watch is the SIGSEGV the
 *     program would get, at the site's pc.
 *
 * And the cost a user sees in mw_neighbour_faults(3): at a patched site,
 * with neighbours in the stub, a few faults before the patch and none
 * after; with MEMWATCH_PATCH_NEIGHBOURS=0 or MEMWATCH_PATCH=0 (its other
 * runs, t-patch-off.sh), every access is a fault.
 */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/rseq.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "memwatch.h"
#include "tap.h"

/* Sites of our own, 16-byte aligned, a 32-bit displacement (the patcher
 * takes them), with frame information:
 *   nstore(p, v)  movq %rsi, 0x0(%rdi)
 *   nload(p)      movq 0x0(%rdi), %rax
 *   nadd(p)       lock addq $1, 0x0(%rdi)
 *   nstore4(p, v) movl %esi, (%rdi)       (2 bytes: punned, or not) */
void nstore(volatile void *p, uint64_t v);
uint64_t nload(volatile void *p);
void nadd(volatile void *p);
void nstore4(volatile void *p, uint32_t v);
extern const unsigned char nstore_site[];
__asm__(".text\n"
	".p2align 4\n"
	"nstore:\n"
	"	.cfi_startproc\n"
	"nstore_site:\n"
	"	.byte 0x48, 0x89, 0xb7, 0, 0, 0, 0\n"
	"	ret\n"
	"	.cfi_endproc\n"
	".p2align 4\n"
	"nload:\n"
	"	.cfi_startproc\n"
	"	.byte 0x48, 0x8b, 0x87, 0, 0, 0, 0\n"
	"	ret\n"
	"	.cfi_endproc\n"
	".p2align 4\n"
	"nadd:\n"
	"	.cfi_startproc\n"
	"	.byte 0xf0, 0x48, 0x83, 0x87, 0, 0, 0, 0, 1\n"
	"	ret\n"
	"	.cfi_endproc\n"
	".p2align 4\n"
	"nstore4:\n"
	"	.cfi_startproc\n"
	"	movl %esi, (%rdi)\n"
	"	ret\n"
	"	.cfi_endproc\n");

#define N 20000

/* A PLT entry's kind of jump: tailjump(x) goes on through the function
 * pointer jt.fn (`jmp *jt(%rip)`, 6 bytes), on the page of a watch. */
struct jt_page {
	long (*fn)(long);
	uint64_t pad[7];
	uint64_t watched;
	uint64_t rest[503];     /* the page to itself */
} jt __attribute__((aligned(4096)));
long tailjump(long x);
__asm__(".text\n"
	".p2align 4\n"
	"tailjump:\n"
	"	.cfi_startproc\n"
	"	jmp *jt(%rip)\n"
	"	.cfi_endproc\n");

static long add1(long x)
{
	return x + 1;
}

static long add2(long x)
{
	return x + 2;
}

static int in_stub;     /* neighbours are expected to run in the stubs */

static uint64_t count_of(int id)
{
	uint64_t c = UINT64_MAX;

	mw_count(id, &c);
	return c;
}

static unsigned char *page(int prot)
{
	unsigned char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
				-1, 0);

	if (p == MAP_FAILED)
		bail("mmap");
	memset(p, 0, 4096);
	if (prot != (PROT_READ | PROT_WRITE) && mprotect(p, 4096, prot))
		bail("mprotect");
	return p;
}

/* The neighbour faults of ID: few when the stubs run them (the ones before
 * each site was patched), all of them otherwise. */
static void faults_are(int id, uint64_t all, const char *what)
{
	uint64_t f = mw_neighbour_faults(id);

	if (in_stub)
		ok(f < 64, "%s: %llu neighbour faults of %llu accesses (the stub ran the rest)",
		   what, (unsigned long long)f, (unsigned long long)all);
	else
		is_u64(f, all, "%s: every access a neighbour fault", what);
}

/* --------------------------------------------------------- granules */

static void granules(void)
{
	unsigned char *p = page(PROT_READ | PROT_WRITE);
	struct mw_log_stats st;
	uint64_t sum = 0;
	int id;

	mw_log_clear();
	id = mw_watch(p + 64, 4, MW_WRITE);

	ok(id > 0, "watch bytes 64-67 of a page for writes (%d)", id);
	for (uint64_t i = 1; i <= N; i++) {
		nstore(p + 72, i);              /* the next granule */
		nstore(p + 56, i);              /* the one before */
		sum += nload(p + 64);           /* a read of the watched bytes */
	}
	is_u64(count_of(id), 0, "stores beside it and reads of it: nothing counted");
	ok(*(uint64_t *)(p + 72) == N && *(uint64_t *)(p + 56) == N && sum == 0,
	   "their values (%llu %llu, sum %llu)", (unsigned long long)*(uint64_t *)(p + 72),
	   (unsigned long long)*(uint64_t *)(p + 56), (unsigned long long)sum);
	faults_are(id, 2ull * N, "other granules");
	mw_log_stats(&st);
	if (in_stub)
		ok(st.neighbour_stub > 0 && st.neighbour_faults + st.neighbour_stub == 2ull * N,
		   "mw_log_stats: %llu faults and %llu accesses in the stubs, %d in all",
		   (unsigned long long)st.neighbour_faults, (unsigned long long)st.neighbour_stub,
		   2 * N);
	else
		ok(st.neighbour_stub == 0 && st.neighbour_faults == 2ull * N,
		   "mw_log_stats: %llu faults, none in a stub",
		   (unsigned long long)st.neighbour_faults);
	for (uint32_t i = 1; i <= 1000; i++)
		nstore4(p + 68, i);             /* its own granule, not its bytes */
	is_u64(count_of(id), 0, "1000 stores to bytes 68-71 (the watch's granule): not counted");
	is_u64(*(uint32_t *)(p + 68), 1000, "their value");
	for (uint64_t i = 1; i <= 1000; i++)
		nstore(p + 60, i << 32 | i);    /* bytes 60-67: half of them watched */
	is_u64(count_of(id), 1000, "1000 stores over bytes 60-67: each counted");
	is_u64(*(uint64_t *)(p + 56) >> 32 | (uint64_t)*(uint32_t *)(p + 64) << 32,
	       (uint64_t)1000 << 32 | 1000, "and their value in both halves");
	is_int(mw_unwatch(id), 0, "unwatch");
	is_u64(*(uint64_t *)(p + 72), N, "the page's bytes after the last watch");
	munmap(p, 4096);
}

/* ------------------------------------- jumps through a watched page */

static void through_pointer(void)
{
	long sum = 0;
	int id;

	jt.fn = add1;
	id = mw_watch(&jt.watched, 8, MW_READ | MW_WRITE);
	for (long i = 0; i < N; i++)
		sum += tailjump(i);
	is_int((int)(sum - (long)N * (N - 1) / 2), N, "%d jumps through a pointer beside a read "
	       "watch: each reached its function", N);
	is_u64(count_of(id), 0, "not counted");
	faults_are(id, N, "jumps through the page");
	jt.fn = add2;
	is_int((int)tailjump(40), 42, "the pointer changed: the next jump goes to the new function");
	mw_unwatch(id);
	/* The pointer itself read-watched: every jump read it, counted. */
	jt.fn = add1;
	id = mw_watch(&jt.fn, 8, MW_READ);
	sum = 0;
	for (long i = 0; i < 1000; i++)
		sum += tailjump(i);
	ok(sum == 1000L * 999 / 2 + 1000 && count_of(id) == 1000,
	   "the pointer watched for reads: 1000 jumps, 1000 counted (%llu)",
	   (unsigned long long)count_of(id));
	mw_unwatch(id);
}

/* ------------------------------------------------------------ kinds */

static void kinds(void)
{
	unsigned char *p = page(PROT_READ | PROT_WRITE);
	uint64_t sum = 0;
	int id = mw_watch(p + 64, 8, MW_READ);

	for (uint64_t i = 1; i <= N; i++) {
		nstore(p + 64, i);              /* a write of read-watched bytes */
		sum += nload(p + 72);
	}
	is_u64(count_of(id), 0, "a read watch: writes to its bytes and reads beside it not counted");
	faults_are(id, 2ull * N, "a read watch");
	for (int i = 0; i < 1000; i++)
		sum += nload(p + 64);
	is_u64(count_of(id), 1000, "its bytes read 1000 times: 1000 counted");
	is_u64(sum, 1000ull * N, "the reads saw the stores (sum %llu)", (unsigned long long)sum);
	mw_unwatch(id);
	munmap(p, 4096);
}

/* ------------------------------- atomics while the page comes and goes */

#define ADDERS 4
#define ADDS 200000
#define TOGGLES 2000

static unsigned char *shared_page;
static atomic_int adders_done;

static void *adder(void *arg)
{
	(void)arg;
	for (int i = 0; i < ADDS; i++)
		nadd(shared_page + 256);
	atomic_fetch_add(&adders_done, 1);
	return NULL;
}

static void atomics_while_toggled(void)
{
	pthread_t t[ADDERS];
	int id, toggles = 0, bad = 0;

	shared_page = page(PROT_READ | PROT_WRITE);
	/* A watch that stays, so that the sites are patched early on. */
	id = mw_watch(shared_page + 8, 8, MW_WRITE);
	for (int i = 0; i < ADDERS; i++)
		pthread_create(&t[i], NULL, adder, NULL);
	/* The page leaves the table and comes back, each time its contents
	 * copied out of the library's memory while the adders run. */
	while (toggles < TOGGLES || atomic_load(&adders_done) < ADDERS) {
		if (toggles < TOGGLES) {
			if (mw_unwatch(id) != 0)
				bad++;
			id = mw_watch(shared_page + 8, 8, MW_WRITE);
			if (id <= 0)
				bad++;
			toggles++;
		} else {
			usleep(1000);
		}
	}
	for (int i = 0; i < ADDERS; i++)
		pthread_join(t[i], NULL);
	is_int(bad, 0, "%d unwatches and watches of the page while 4 threads add beside it", TOGGLES);
	is_u64(*(uint64_t *)(shared_page + 256), (uint64_t)ADDERS * ADDS,
	       "4 x %d lock adds: none lost", ADDS);
	is_u64(count_of(id), 0, "nothing counted by the watch");
	mw_unwatch(id);
	munmap(shared_page, 4096);
}

/* ------------------------------------ a handler that siglongjmps away */

static sigjmp_buf env;
static volatile int jumps;

static void on_alarm(int sig)
{
	(void)sig;
	jumps++;
	siglongjmp(env, 1);
}

/* In a child: the exit status says how it went. */
static int jump_away(void)
{
	unsigned char *p = page(PROT_READ | PROT_WRITE);
	struct itimerval it = { { 0, 50 }, { 0, 50 } };
	struct sigaction sa;
	volatile uint64_t i = 0;
	int id = mw_watch(p, 8, MW_WRITE);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	sigsetjmp(env, 1);
	if (jumps == 0)
		setitimer(ITIMER_REAL, &it, NULL);
	while (jumps < 2000)
		nstore(p + 64, ++i);
	memset(&it, 0, sizeof(it));
	setitimer(ITIMER_REAL, &it, NULL);
	if (mw_unwatch(id) != 0)
		return 2;
	/* The last store, or the one before if the last jump came between
	 * the increment and the store. */
	if (*(uint64_t *)(p + 64) != i && *(uint64_t *)(p + 64) != i - 1)
		return 3;
	return 0;
}

static void longjmp_out(void)
{
	int status = -1, waited = 0;
	pid_t pid = fork();

	if (pid == 0)
		_exit(jump_away());
	while (waitpid(pid, &status, WNOHANG) == 0 && waited < 600) {
		usleep(100000);
		waited++;
	}
	if (waited == 600) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	ok(waited < 600 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	   "a timer handler siglongjmps out of the loop 2000 times: the watch then goes, the "
	   "value is the loop's (status %d%s)", status, waited == 600 ? ", hung" : "");
}

/* ------------------------------------------------------------- fork */

static void forked(void)
{
	unsigned char *p = page(PROT_READ | PROT_WRITE);
	int id = mw_watch(p, 8, MW_WRITE), status = -1;
	pid_t pid;

	for (uint64_t i = 1; i <= 100; i++)
		nstore(p + 64, i);              /* patched in the parent */
	pid = fork();
	if (pid == 0) {
		for (uint64_t i = 1; i <= 1000; i++)
			nstore(p + 64, 5000 + i);
		_exit(nload(p + 64) == 6000 ? 0 : 1);
	}
	waitpid(pid, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	   "a forked child's stores beside the watch: it reads its own (status %d)", status);
	is_u64(*(uint64_t *)(p + 64), 100, "and the parent still has its own value");
	nstore(p + 64, 7);
	is_u64(nload(p + 64), 7, "the parent's site still works");
	mw_unwatch(id);
	munmap(p, 4096);
}

/* --------------------------------------------- a read-only page */

static volatile uintptr_t fault_addr, fault_pc;

static void on_segv(int sig, siginfo_t *si, void *ctx)
{
	(void)sig;
	fault_addr = (uintptr_t)si->si_addr;
	fault_pc = (uintptr_t)((ucontext_t *)ctx)->uc_mcontext.gregs[REG_RIP];
	siglongjmp(env, 1);
}

static void read_only(void)
{
	unsigned char *p = page(PROT_READ);
	struct sigaction sa, old;
	uint64_t sum = 0;
	int id = mw_watch(p + 64, 8, MW_READ);

	for (int i = 0; i < N; i++)
		sum += nload(p + 72);
	is_u64(count_of(id) + sum, 0, "a read-only page: reads beside a read watch, not counted");
	faults_are(id, N, "a read-only page");
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_segv;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGSEGV, &sa, &old);
	if (sigsetjmp(env, 1) == 0)
		nstore(p + 80, 1);
	sigaction(SIGSEGV, &old, NULL);
	ok(fault_addr == (uintptr_t)(p + 80) && fault_pc == (uintptr_t)nstore_site,
	   "a store beside it is the program's SIGSEGV, at the site (addr %+ld, pc %+ld)",
	   (long)(fault_addr - (uintptr_t)p), (long)(fault_pc - (uintptr_t)nstore_site));
	is_u64(count_of(id), 0, "and not counted");
	mw_unwatch(id);
	munmap(p, 4096);
}

int main(void)
{
	const char *patch = getenv("MEMWATCH_PATCH"), *nb = getenv("MEMWATCH_PATCH_NEIGHBOURS");

	/* Neighbours run in the stubs when sites are patched, the stubs may,
	 * and the C library registered restartable sequences (finemap.h). */
	in_stub = !(patch && !strcmp(patch, "0")) && !(nb && !strcmp(nb, "0")) &&
		  __rseq_size > 0;
	plan(31);
	diag("neighbours %s", in_stub ? "in the stubs" : "by faults");
	granules();
	through_pointer();
	kinds();
	atomics_while_toggled();
	longjmp_out();
	forked();
	read_only();
	return done();
}

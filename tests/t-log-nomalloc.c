/* SPDX-License-Identifier: MIT */
/*
 * t-log-nomalloc.c - the fault path allocates nothing, backtraces included.
 *
 * This program defines the malloc family itself (counting the calls, then
 * forwarding to glibc's __libc_* functions), so every allocation the
 * library makes, in any thread, passes here.  After a warm-up, watched
 * accesses with 16-frame backtraces must make no call at all: a SIGSEGV
 * handler that allocates deadlocks when the access it caught was made by
 * malloc itself (a watch on a heap page shares it with malloc's data).
 */
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "memwatch.h"
#include "tap.h"
#include "section.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define NO_OWN_MALLOC 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define NO_OWN_MALLOC 1
#endif
#endif

/* ------------------------------------------------- the counting malloc */

extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t size);
extern void __libc_free(void *p);
extern void *__libc_memalign(size_t align, size_t size);
extern void *__libc_valloc(size_t size);
extern void *__libc_pvalloc(size_t size);

enum { F_MALLOC, F_CALLOC, F_REALLOC, F_FREE, F_MEMALIGN, F_NFUNC };
static const char *const fname[F_NFUNC] = {
	"malloc", "calloc", "realloc/reallocarray", "free",
	"memalign/aligned_alloc/posix_memalign/valloc/pvalloc"
};
static int counting;			/* atomic */
static unsigned long calls[F_NFUNC];	/* atomic */

static inline void note(int f)
{
	if (__atomic_load_n(&counting, __ATOMIC_RELAXED))
		__atomic_fetch_add(&calls[f], 1, __ATOMIC_RELAXED);
}

#ifndef NO_OWN_MALLOC
void *malloc(size_t size)
{
	note(F_MALLOC);
	return __libc_malloc(size);
}

void *calloc(size_t n, size_t size)
{
	note(F_CALLOC);
	return __libc_calloc(n, size);
}

void *realloc(void *p, size_t size)
{
	note(F_REALLOC);
	return __libc_realloc(p, size);
}

void *reallocarray(void *p, size_t n, size_t size)
{
	size_t total;

	note(F_REALLOC);
	if (__builtin_mul_overflow(n, size, &total)) {
		errno = ENOMEM;
		return NULL;
	}
	return __libc_realloc(p, total);
}

void free(void *p)
{
	note(F_FREE);
	__libc_free(p);
}

void *memalign(size_t align, size_t size)
{
	note(F_MEMALIGN);
	return __libc_memalign(align, size);
}

void *aligned_alloc(size_t align, size_t size)
{
	note(F_MEMALIGN);
	return __libc_memalign(align, size);
}

int posix_memalign(void **out, size_t align, size_t size)
{
	void *p;

	note(F_MEMALIGN);
	if (align < sizeof(void *) || (align & (align - 1)))
		return EINVAL;
	p = __libc_memalign(align, size);
	if (!p)
		return ENOMEM;
	*out = p;
	return 0;
}

void *valloc(size_t size)
{
	note(F_MEMALIGN);
	return __libc_valloc(size);
}

void *pvalloc(size_t size)
{
	note(F_MEMALIGN);
	return __libc_pvalloc(size);
}
#endif

static void start_counting(void)
{
	for (int f = 0; f < F_NFUNC; f++)
		__atomic_store_n(&calls[f], 0, __ATOMIC_RELAXED);
	__atomic_store_n(&counting, 1, __ATOMIC_SEQ_CST);
}

/* Stops counting; returns the calls, and describes them in TEXT. */
static unsigned long stop_counting(char *text, size_t len)
{
	unsigned long total = 0;
	size_t l = 0;

	__atomic_store_n(&counting, 0, __ATOMIC_SEQ_CST);
	text[0] = 0;
	for (int f = 0; f < F_NFUNC; f++) {
		unsigned long c = __atomic_load_n(&calls[f], __ATOMIC_RELAXED);

		total += c;
		if (c && l < len)
			l += (size_t)snprintf(text + l, len - l, " %s %lu", fname[f], c);
	}
	return total;
}

/* ------------------------------------------------------------------ */

static volatile uint64_t *wr;	/* write watch */
static volatile uint64_t *acc;	/* access watch on acc[0..2], on a heap page */

#define BARRIER() __asm__ volatile("" ::: "memory")

__attribute__((noipa)) static void store3(int i)
{
	wr[i & 7] = (uint64_t)i;
	BARRIER();
}

__attribute__((noipa)) static void store2(int i)
{
	store3(i);
	BARRIER();
}

__attribute__((noipa)) static void store1(int i)
{
	store2(i);
	BARRIER();
}

/* N stores through 3 calls, N reads and N atomic adds on the access watch. */
static void accesses(int n)
{
	uint64_t sum = 0;

	for (int i = 0; i < n; i++) {
		store1(i);
		sum += acc[i & 1];
		__atomic_fetch_add(&acc[2], 1, __ATOMIC_SEQ_CST);
	}
	acc[3] = sum;	/* not watched */
}

static void *thread_accesses(void *arg)
{
	accesses((int)(intptr_t)arg);
	return NULL;
}

/* The watches: 8 words on a page of their own, for writes; 3 words for any
 * access, on a heap page (in malloc'ed memory) or on a page of their own. */
static void setup(int on_heap)
{
	void *pg = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int w, a;

	if (pg == MAP_FAILED)
		bail("mmap: %s", strerror(errno));
	wr = pg;
	acc = on_heap ? malloc(64) : (volatile uint64_t *)(void *)((char *)pg + 4096);
	if (!acc)
		bail("malloc failed");
	memset((void *)acc, 0, 64);
	if (mw_log_configure(0, 16) != 0)
		bail("mw_log_configure(0, 16) failed");
	w = mw_watch(pg, 64, MW_WRITE);
	a = mw_watch((const void *)acc, 24, MW_ACCESS);	/* acc[0..2] */
	if (w <= 0 || a <= 0)
		bail("mw_watch = %d, %d", w, a);
}

static void sec_nomalloc(void)
{
	struct mw_log_stats st;
	struct mw_log_cursor cur;
	struct mw_record r;
	unsigned long n;
	char text[256];
	uint64_t records0;
	int reads;

	setup(1);
	accesses(5);	/* warm-up */
	mw_log_stats(&st);
	records0 = st.records;

	start_counting();
	accesses(1000);
	n = stop_counting(text, sizeof(text));
	if (!ok(n == 0, "1000 watched stores, 1000 reads and 1000 atomic adds, with "
		"16-frame backtraces: no call to the malloc family"))
		diag("  %lu call(s):%s", n, text);
	else
		diag("  0 calls");
	mw_log_stats(&st);
	is_u64(st.records - records0, 3000, "and they made 3000 records");

	memset(&r, 0, sizeof(r));
	mw_log_begin(&cur);
	if (mw_log_next(&cur, &r) != 1 || r.nframes < 5)
		diag("  the first record has %u frames", r.nframes);
	ok(r.nframes >= 5, "the records have backtraces (%u frames)", r.nframes);

	start_counting();
	reads = 0;
	mw_log_begin(&cur);
	while (mw_log_next(&cur, &r) == 1)
		reads++;
	mw_log_stats(&st);
	n = stop_counting(text, sizeof(text));
	if (!ok(n == 0 && reads > 0, "mw_log_begin, mw_log_next (%d records), "
		"mw_log_stats: no call to the malloc family", reads))
		diag("  %lu call(s):%s", n, text);
}
#define N_NOMALLOC 4

static int heap_watch;

/* A new thread: its first watched access is its first fault. */
static void sec_new_thread(void)
{
	unsigned long n, base = 0;
	char text[256], text2[256];
	pthread_t th;
	struct mw_log_stats st;
	uint64_t records0;

	setup(heap_watch);
	accesses(5);	/* warm-up, in this thread */
	/* pthread_create itself may allocate: count a thread that makes no
	 * watched access, and take its count off. */
	if (pthread_create(&th, NULL, thread_accesses, (void *)(intptr_t)0))
		bail("pthread_create failed");
	pthread_join(th, NULL);
	start_counting();
	if (pthread_create(&th, NULL, thread_accesses, (void *)(intptr_t)0))
		bail("pthread_create failed");
	pthread_join(th, NULL);
	base = stop_counting(text2, sizeof(text2));
	mw_log_stats(&st);
	records0 = st.records;

	start_counting();
	if (pthread_create(&th, NULL, thread_accesses, (void *)(intptr_t)200))
		bail("pthread_create failed");
	pthread_join(th, NULL);
	n = stop_counting(text, sizeof(text));
	if (base)
		diag("  a thread that makes no watched access: %lu call(s):%s", base, text2);
	n = n > base ? n - base : 0;
	if (!ok(n == 0, "a new thread's first 200 x 3 watched accesses: "
		"no call to the malloc family"))
		diag("  %lu call(s):%s", n, text);
	mw_log_stats(&st);
	is_u64(st.records - records0, 600, "and they made 600 records");
}
#define N_NEW_THREAD 2

static void sec_new_thread_heap(void)
{
	heap_watch = 1;
	sec_new_thread();
}

int main(void)
{
#ifdef NO_OWN_MALLOC
	skip_all("built with a sanitizer, which owns malloc");
#endif
	plan(N_NOMALLOC + 2 * N_NEW_THREAD + 3);
	run_section("no allocation on the fault path", N_NOMALLOC, sec_nomalloc);
	run_section("a new thread, watches on pages of their own", N_NEW_THREAD,
		    sec_new_thread);
	run_section("a new thread, an access watch on a heap page", N_NEW_THREAD,
		    sec_new_thread_heap);
	return done();
}

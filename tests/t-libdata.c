/* SPDX-License-Identifier: MIT */
/*
 * t-libdata.c - watches on the data of libc, the loader, the libraries the
 * fault path calls into (libunwind, libdw) and memwatch's own: each page,
 * read-and-write and write-only, either runs a program that uses stdio,
 * malloc, threads, dl_iterate_phdr and getenv to the end with the same
 * output as without watching, or is refused by mw_watch with -ENOTSUP
 * (memwatch's, its decoder's and its unwinder's pages, and libc's GOT,
 * always; the loader's _rtld_global_ro for read watches).  Named cases
 * count exactly.
 */
#define UNW_LOCAL_ONLY
#include <dlfcn.h>
#include <errno.h>
#include <libunwind.h>
#include <link.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "memwatch.h"
#include "tap.h"
#include "section.h"

#define TIMEOUT_MS 20000
#define OUT_MAX 512

struct module {
	const char *name;       /* part of its file name */
	int all_refused;        /* memwatch's own, its decoder's */
	uintptr_t lo, hi;       /* its writable segment, page-aligned */
	uintptr_t relro_end;
};

static struct module mods[] = {
	{ "libc.so", 0, 0, 0, 0 },
	{ "ld-linux", 0, 0, 0, 0 },
	{ "libunwind", 1, 0, 0, 0 },
	{ "libdw", 0, 0, 0, 0 },
	{ "libmemwatch", 1, 0, 0, 0 },
	{ "libZydis", 1, 0, 0, 0 },
};
#define NMODS (sizeof(mods) / sizeof(mods[0]))

static uintptr_t ps;

static int find_segments(struct dl_phdr_info *info, size_t size, void *arg)
{
	(void)size;
	(void)arg;
	for (size_t m = 0; m < NMODS; m++) {
		if (!strstr(info->dlpi_name, mods[m].name) || mods[m].lo)
			continue;
		for (int i = 0; i < info->dlpi_phnum; i++) {
			const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
			uintptr_t lo = info->dlpi_addr + ph->p_vaddr;

			if (ph->p_type == PT_LOAD && (ph->p_flags & PF_W)) {
				mods[m].lo = lo & ~(ps - 1);
				mods[m].hi = (lo + ph->p_memsz + ps - 1) & ~(ps - 1);
			} else if (ph->p_type == PT_GNU_RELRO) {
				mods[m].relro_end = lo + ph->p_memsz;
			}
		}
	}
	return 0;
}

/* ------------------------------------------------------- the workload */

static int count_module(struct dl_phdr_info *info, size_t size, void *arg)
{
	(void)info;
	(void)size;
	++*(int *)arg;
	return 0;
}

static void *thread_main(void *arg)
{
	char *p = malloc(64);

	snprintf(p, 64, "t%ld", (long)(intptr_t)arg);
	intptr_t n = (intptr_t)strlen(p) + (intptr_t)arg;

	free(p);
	return (void *)n;
}

/* Prints what a program sees; the same with and without watches. */
static void workload(void)
{
	pthread_t t[2];
	intptr_t sum = 0;
	int modules = 0;

	printf("hello %d %.3f %s|", 42, 2.5, getenv("T_LIBDATA") ? "env" : "noenv");
	for (long i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, thread_main, (void *)i);
	for (int i = 0; i < 2; i++) {
		void *r;

		pthread_join(t[i], &r);
		sum += (intptr_t)r;
	}
	dl_iterate_phdr(count_module, &modules);
	printf("threads %ld|modules %d|", (long)sum, modules);
}

/* --------------------------------------------------------- child runs */

/* Runs FN(ARG) in a child whose standard output is captured into OUT;
 * returns its wait status, or -1 when it had to be killed (a hang), with
 * its process group. */
static int run_child(void (*fn)(void *), void *arg, char *out)
{
	struct child c = { .flags = CHILD_STDOUT | CHILD_GROUP,
			   .hang_ms = TIMEOUT_MS, .out = out, .len = OUT_MAX };

	return child_run(&c, fn, arg);
}
struct page_case {
	uintptr_t page;
	unsigned flags;
};

static void watch_page_and_work(void *arg)
{
	const struct page_case *c = arg;
	int id = mw_watch((void *)c->page, ps, c->flags);

	if (id < 0) {
		printf("refused %d", id);
		return;
	}
	workload();
	mw_unwatch(id);
	printf("end");
}

static void plain(void *arg)
{
	(void)arg;
	workload();
	printf("end");
}

static char expected[OUT_MAX];

/* Every page of module M with FLAGS: runs as without watching, or is
 * refused (only where allowed). */
static void every_page(const struct module *m, unsigned flags)
{
	const char *kind = flags == MW_WRITE ? "write" : "read-write";
	uintptr_t got = m->relro_end ? (m->relro_end - 1) & ~(ps - 1) : 0;
	int bad = 0, ran = 0, refused = 0;

	for (uintptr_t pg = m->lo; pg < m->hi; pg += ps) {
		struct page_case c = { pg, flags };
		char out[OUT_MAX];
		int st = run_child(watch_page_and_work, &c, out);
		int is_refused = strcmp(out, "refused -95") == 0;
		/* libc's GOT pages: any watch. */
		int may_refuse = m->all_refused || (flags & MW_READ) ||
				 (got && (pg == got || pg == got + ps));

		if (st == 0 && is_refused && may_refuse) {
			refused++;
		} else if (st == 0 && strcmp(out, expected) == 0 && !m->all_refused) {
			ran++;
		} else {
			bad++;
			diag("%s page %#lx (+%#lx), %s watch: status %d, output \"%s\"", m->name,
			     (unsigned long)pg, (unsigned long)(pg - m->lo), kind, st, out);
		}
		if (!m->all_refused && pg == got && (flags & MW_READ) && !strcmp(m->name, "libc.so"))
			ok(is_refused, "libc's GOT page (%#lx) is refused for a read watch",
			   (unsigned long)pg);
	}
	ok(bad == 0, "%s: each of its %lu data pages, %s watch: %s (%d ran, %d refused)",
	   m->name, (unsigned long)((m->hi - m->lo) / ps), kind,
	   m->all_refused ? "refused with -ENOTSUP" : "runs to the end with the same output, "
	   "or is refused with -ENOTSUP", ran, refused);
}

/* ------------------------------------------------------- named cases */

struct counted {
	const void *addr;
	size_t len;
	unsigned flags;
	int reads;              /* direct reads of the first byte, each counted */
};

static void watch_counted(void *arg)
{
	const struct counted *c = arg;
	int id = mw_watch(c->addr, c->len, c->flags);
	uint64_t before = 0, after = 0;
	int sum = 0;

	if (id < 0) {
		printf("refused %d", id);
		return;
	}
	workload();
	mw_count(id, &before);
	for (int i = 0; i < c->reads; i++)
		sum += *(const volatile char *)c->addr;
	mw_count(id, &after);
	mw_unwatch(id);
	printf("end|counted %d %s|", (int)(after - before), before > 0 ? "libc-too" : "none");
	(void)sum;
}

/* LIBS: 1 if libc's or the loader's own accesses must count too, -1 if
 * they may or may not. */
static void named(const char *what, const void *addr, size_t len, unsigned flags, int libs)
{
	struct counted c = { addr, len, flags, 5 };
	char out[OUT_MAX], want[OUT_MAX + 32];
	int st = run_child(watch_counted, &c, out);

	snprintf(want, sizeof(want), "%s|counted 5 %s", expected, libs > 0 ? "libc-too|" : "");
	ok(st == 0 && strncmp(out, want, strlen(want)) == 0,
	   "%s watched: the program runs to the end, its 5 reads count 5%s", what,
	   libs > 0 ? ", libc's or the loader's own count too" : "");
	if (st != 0 || strncmp(out, want, strlen(want)) != 0)
		diag("  status %d, got \"%s\", want \"%s\"", st, out, want);
}

/* The log's own ring watched while another watch logs: the library's
 * writes into it are its own, performed and not logged. */
static volatile long counter;

static void watch_ring(void *arg)
{
	struct mw_log_stats st;
	uint64_t c = 0, cr = 0;
	int w, r;

	(void)arg;
	mw_log_configure(64, 8);
	w = mw_watch((const void *)&counter, sizeof(counter), MW_READ | MW_WRITE);
	r = mw_watch((const void *)(uintptr_t)mw_log_descriptor[3], 4096, MW_READ | MW_WRITE);
	for (int i = 0; i < 100; i++) {
		long v = counter;       /* a read, */

		counter = v + i;        /* and a write */
	}
	mw_count(w, &c);
	if (r > 0)
		mw_count(r, &cr);
	mw_log_stats(&st);
	printf("ring %s|counter %lu|ring %lu|records %lu|dropped %lu", r > 0 ? "watched" : "refused",
	       (unsigned long)c, (unsigned long)cr, (unsigned long)st.records,
	       (unsigned long)st.dropped);
}

/* The program unwinds with libunwind itself, with its own .eh_frame_hdr
 * page read-watched: libunwind reads it holding its cache lock. */
static uintptr_t eh_page;

static int find_eh(struct dl_phdr_info *info, size_t size, void *arg)
{
	(void)size;
	(void)arg;
	for (int i = 0; i < info->dlpi_phnum; i++)
		if (info->dlpi_phdr[i].p_type == PT_GNU_EH_FRAME)
			eh_page = (info->dlpi_addr + info->dlpi_phdr[i].p_vaddr) & ~(ps - 1);
	return 1;               /* the program only */
}

__attribute__((noinline)) static int unwind_steps(void)
{
	unw_context_t ctx;
	unw_cursor_t cur;
	int n = 0;

	unw_getcontext(&ctx);
	unw_init_local(&cur, &ctx);
	while (unw_step(&cur) > 0)
		n++;
	return n;
}

static void self_unwind(void *arg)
{
	uint64_t c = 0;
	int id = arg ? mw_watch((const void *)eh_page, ps, MW_READ) : 0;
	int n = 0;

	for (int i = 0; i < 3; i++)
		n += unwind_steps();
	if (id > 0)
		mw_count(id, &c);
	printf("id %d|frames %d|%s", id, n, c > 0 ? "counted" : "not counted");
}

/* fork(3) with a write watch on the page of the loader's locks: glibc's
 * child-side fork code writes that page before the atfork handlers run,
 * while the spans are still frozen for the child's copy (fork.c), and waits
 * forever; so does the parent, for the child.  libc's .bss page that
 * fork_system_setup writes hangs the same way. */
static void fork_watched(void *arg)
{
	int id = mw_watch(arg, 8, MW_WRITE);
	int st = -1;
	pid_t pid = fork();

	if (pid == 0)
		_exit(7);
	if (pid > 0)
		waitpid(pid, &st, 0);
	printf("id %d|child %d", id, WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

int main(void)
{
	int n = 0, st;

	/* Built with sanitizers, the sanitizer's runtime reads and writes
	 * libc's data too, and expectations below are for the program as
	 * is (not investigated further). */
	if (getenv("MW_SANITIZERS") && *getenv("MW_SANITIZERS"))
		skip_all("built with %s: the sanitizer's runtime uses libc's data itself",
			 getenv("MW_SANITIZERS"));
	void *libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
	const char *single = libc ? dlsym(libc, "__libc_single_threaded") : NULL;
	void *r_debug = dlsym(RTLD_DEFAULT, "_r_debug");
	struct link_map *libc_map = NULL;

	ps = (uintptr_t)sysconf(_SC_PAGESIZE);
	/* libunwind and libdw are loaded with libmemwatch. */
	dl_iterate_phdr(find_segments, NULL);
	for (size_t m = 0; m < NMODS; m++)
		n += 2 + (!strcmp(mods[m].name, "libc.so") && mods[m].relro_end);
	plan(n + 10);

	st = run_child(plain, NULL, expected);
	ok(st == 0 && strstr(expected, "threads 5|") && strstr(expected, "end"),
	   "the workload runs unwatched: \"%s\"", expected);

	for (size_t m = 0; m < NMODS; m++) {
		if (!mods[m].lo) {
			ok(0, "%s: no writable segment found", mods[m].name);
			ok(0, "%s: no writable segment found", mods[m].name);
			continue;
		}
		every_page(&mods[m], MW_READ | MW_WRITE);
		every_page(&mods[m], MW_WRITE);
	}

	/* A read watch on __libc_single_threaded: glibc's mutex code reads
	 * it inside dl_iterate_phdr's unlock, where a backtrace used to wait
	 * for its own lock. */
	if (single)
		named("libc's __libc_single_threaded (read watch)", single, 1, MW_READ, 1);
	else
		ok(0, "libc's __libc_single_threaded not found");
	named("stdout's FILE (read-write watch)", stdout, sizeof(FILE), MW_READ | MW_WRITE, 1);
	if (r_debug)
		named("the loader's _r_debug (read-write watch)", r_debug, sizeof(struct r_debug),
		      MW_READ | MW_WRITE, -1);
	else
		ok(0, "the loader's _r_debug not found");
	if (libc && dlinfo(libc, RTLD_DI_LINKMAP, &libc_map) == 0)
		named("libc's link_map (read-write watch)", libc_map, sizeof(*libc_map),
		      MW_READ | MW_WRITE, 1);
	else
		ok(0, "libc's link_map not found");
	{
		char out[OUT_MAX];

		st = run_child(watch_ring, NULL, out);
		is_str(st == 0 ? out : "(died)",
		       "ring watched|counter 200|ring 0|records 200|dropped 0",
		       "the log's ring watched too: 100 reads and 100 writes count 200, all logged, "
		       "the library's own writes into the ring neither counted nor logged");
	}

	/* The last byte of its writable segment: .bss. */
	dl_iterate_phdr(find_eh, NULL);
	{
		char plain_out[OUT_MAX], out[OUT_MAX], want[OUT_MAX];
		int frames = -1;

		run_child(self_unwind, NULL, plain_out);
		sscanf(plain_out, "id 0|frames %d", &frames);
		snprintf(want, sizeof(want), "id 1|frames %d|counted", frames);
		st = run_child(self_unwind, (void *)1, out);
		is_str(st == 0 ? out : "(died or hung)", want,
		       "the program unwinds with libunwind itself, its .eh_frame_hdr page "
		       "read-watched: it ends, with the same frames, and libunwind's reads count");
	}
	{
		char *g = dlsym(RTLD_DEFAULT, "_rtld_global");
		char out[OUT_MAX];

		/* glibc's child code writes that page right after the fork: the
		 * child copies its watched pages before that (fork.h). */
		st = g ? run_child(fork_watched, g + 2048, out) : -1;
		is_str(st == 0 ? out : "(died or hung)", "id 1|child 7",
		       "fork with a write watch on the loader's _rtld_global: the child ends");
	}
	is_int(mw_watch((void *)(mods[4].hi - 1), 1, MW_WRITE), -ENOTSUP,
	       "memwatch's own .bss is refused");
	ok(strstr(mw_strerror(-ENOTSUP), "memwatch's own data") &&
	   strstr(mw_strerror(-ENOTSUP), "libc or the loader"),
	   "mw_strerror(-ENOTSUP) names memwatch's data and libc's and the loader's pages");
	return tap_failed ? 1 : 0;
}

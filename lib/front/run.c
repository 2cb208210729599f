/* SPDX-License-Identifier: MIT */
/*
 * run.c - memwatch-run.so, the preload part of the `memwatch` command.
 *
 * The command (cli/) preloads libmemwatch and this module, and names the
 * watches in MEMWATCH_WATCHES, one per line:
 *
 *   FLAGS SIZE OFFSET NAME<TAB>MODULE
 *
 * (FLAGS, SIZE and OFFSET in hex; MODULE empty for the executable, else the
 * path of the library as the loader reported it to the command).  OFFSET is
 * the symbol's value in MODULE's file: the command cannot know where a PIE
 * executable or a library will be loaded, so this module adds the load base
 * (dl_iterate_phdr's dlpi_addr: 0 for a non-PIE executable) in the process.
 *
 * "From the start of main": this module interposes __libc_start_main (the
 * one libc interposer here; that is why it is a module of its own, loaded
 * only by the command) and hands libc a main that sets the watches and then
 * calls the program's main.  So the watches miss nothing main and what it
 * calls do, and catch none of the loader's relocations or the constructors'
 * writes before main.  Results go to the header of the command's shared
 * file (logshare.h): each watch's id or error, its address, the modules.
 *
 * Thread context only (before main, in main's thread; at exit).
 */
#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/env.h"
#include "log/logshare.h"
#include "memwatch.h"

#define MW_EXPORT __attribute__((visibility("default")))

typedef int (*main_fn)(int, char **, char **);
typedef int (*start_fn)(main_fn, int, char **, void (*)(void), void (*)(void),
			void (*)(void), void *);

static main_fn program_main;
static struct mw_share_hdr *hdr;

struct find {
	const char *path;       /* "" for the executable */
	struct stat st;
	uint64_t base;
	int found;
};

static int find_module(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct find *f = arg;
	struct stat st;

	(void)size;
	if (!f->path[0]) {
		/* The executable is always the first module. */
		f->base = info->dlpi_addr;
		f->found = 1;
		return 1;
	}
	if (info->dlpi_name && info->dlpi_name[0] && stat(info->dlpi_name, &st) == 0 &&
	    st.st_dev == f->st.st_dev && st.st_ino == f->st.st_ino) {
		f->base = info->dlpi_addr;
		f->found = 1;
		return 1;
	}
	return 0;
}

static int add_module(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct mw_share_module *m;
	int *first = arg;

	(void)size;
	if (hdr->nmodules >= MW_SHARE_MODULES)
		return 1;
	m = &hdr->module[hdr->nmodules];
	if (*first) {
		ssize_t n = readlink("/proc/self/exe", m->path, sizeof(m->path) - 1);

		*first = 0;
		if (n <= 0)
			return 0;
		m->path[n] = 0;
	} else if (info->dlpi_name && info->dlpi_name[0] == '/' &&
		   strlen(info->dlpi_name) < sizeof(m->path)) {
		strcpy(m->path, info->dlpi_name);
	} else {
		return 0;       /* the vDSO: no file to read */
	}
	m->base = info->dlpi_addr;
	hdr->nmodules++;
	return 0;
}

/* The loaded modules, for the command's symbolizer: again at exit, for the
 * ones dlopen'ed meanwhile (a killed program keeps the list of main). */
static void list_modules(void)
{
	int first = 1;

	hdr->nmodules = 0;
	dl_iterate_phdr(add_module, &first);
	/* The accesses patched sites' stubs ran, into the cost counters in
	 * the file: reading the statistics folds them in. */
	{
		struct mw_log_stats st;

		mw_log_stats_sized(&st, sizeof(st));
	}
	/* What became of the hot instructions (memwatch(3), "Patched sites"). */
	long n;
	uint64_t k = 0;

	const char *what;

	while (k < sizeof(hdr->patch) / sizeof(hdr->patch[0]) &&
	       (n = mw_patch_info((int)k, &what)) >= 0) {
		snprintf(hdr->patch_what[k], sizeof(hdr->patch_what[k]), "%s", what);
		hdr->patch[k++] = (uint64_t)n;
	}
	hdr->npatch = k;
}

static int set_one(struct mw_share_watch *w, char *line)
{
	unsigned long long flags, size, off;
	char *tab = strchr(line, '\t'), *name;
	struct find f = { 0 };
	int n = 0;

	if (!tab || sscanf(line, "%llx %llx %llx %n", &flags, &size, &off, &n) != 3 || !n) {
		fprintf(stderr, "memwatch: bad MEMWATCH_WATCHES line: %s\n", line);
		return -EINVAL;
	}
	*tab = 0;
	name = line + n;
	f.path = tab + 1;
	if (f.path[0] && stat(f.path, &f.st) < 0) {
		fprintf(stderr, "memwatch: %s: %s: %s\n", name, f.path, strerror(errno));
		return -ENOENT;
	}
	dl_iterate_phdr(find_module, &f);
	if (!f.found) {
		fprintf(stderr, "memwatch: %s: %s is not loaded in this process\n", name, f.path);
		return -ENOENT;
	}
	w->addr = f.base + off;
	w->size = size;
	w->flags = flags;
	w->id = mw_watch((const void *)(uintptr_t)w->addr, (size_t)size, (unsigned)flags);
	if (w->id < 0)
		fprintf(stderr, "memwatch: cannot watch %s (%llu bytes at %p): %s\n", name,
			size, (void *)(uintptr_t)w->addr, mw_strerror((int)w->id));
	return w->id < 0 ? (int)w->id : 0;
}

/* The header of the command's file, which the library sized when it set up
 * its ring there; NULL if it did not. */
static struct mw_share_hdr *map_header(const char *fdv)
{
	struct stat st;
	int fd = atoi(fdv);
	void *p;

	if (fstat(fd, &st) < 0 || st.st_size < MW_SHARE_HDR)
		return NULL;
	p = mmap(NULL, MW_SHARE_HDR, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	return p == MAP_FAILED ? NULL : p;
}

/*
 * Take NAME out of the environment in place, as glibc's unsetenv does.  Not
 * with unsetenv: the program may define its own, which the dynamic linker
 * binds our call to (bash's works on its shell variables, none of which
 * exist before its main, and so left the variable to every command bash
 * ran: each then found the file's descriptor closed and exited 125).
 */
static void drop_env(const char *name)
{
	size_t len = strlen(name);
	char **ep = environ;

	while (ep && *ep) {
		if (!strncmp(*ep, name, len) && (*ep)[len] == '=') {
			char **dp = ep;

			do
				dp[0] = dp[1];
			while (*dp++);
		} else {
			ep++;
		}
	}
}

static void set_watches(void)
{
	const char *fdv = mw_env("MEMWATCH_SHARE_FD"), *spec = mw_env("MEMWATCH_WATCHES");
	struct timespec ts;
	char *list, *line, *save = NULL;
	int failed = 0;

	if (!fdv)
		return;
	hdr = map_header(fdv);
	list = spec ? strdup(spec) : NULL;
	/* Not for the program's own children: the file is the parent's. */
	drop_env("MEMWATCH_SHARE_FD");
	drop_env("MEMWATCH_WATCHES");
	if (!hdr) {
		fprintf(stderr, "memwatch: the library did not set up the shared log\n");
		_exit(125);
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	hdr->t0_ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	list_modules();
	hdr->setup_done = 3;    /* setting: a death from here on is said so */
	for (line = list ? strtok_r(list, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (hdr->nwatches >= MW_SHARE_WATCHES)
			break;
		if (set_one(&hdr->watch[hdr->nwatches++], line) < 0)
			failed = 1;
	}
	free(list);
	hdr->setup_done = failed ? 2 : 1;
	if (failed)
		_exit(125);     /* the command says why the program did not run */
	atexit(list_modules);
}

static int main_with_watches(int argc, char **argv, char **envp)
{
	set_watches();
	return program_main(argc, argv, envp);
}

MW_EXPORT int __libc_start_main(main_fn main, int argc, char **argv, void (*init)(void),
				void (*fini)(void), void (*rtld_fini)(void), void *stack_end);

MW_EXPORT int __libc_start_main(main_fn main, int argc, char **argv, void (*init)(void),
				void (*fini)(void), void (*rtld_fini)(void), void *stack_end)
{
	start_fn real = (start_fn)dlsym(RTLD_NEXT, "__libc_start_main");

	if (!real) {
		fprintf(stderr, "memwatch: no __libc_start_main after memwatch-run.so\n");
		_exit(125);
	}
	program_main = main;
	return real(main_with_watches, argc, argv, init, fini, rtld_fini, stack_end);
}

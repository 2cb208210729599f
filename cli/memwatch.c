/* SPDX-License-Identifier: MIT */
/*
 * memwatch.c - the memwatch command: run a program with libmemwatch
 * preloaded, watch its global variables by name from the start of main,
 * and write the log (or a heat map) when it ends, however it ends.
 *
 * How the pieces meet (see doc/memwatch.1):
 *   - here: each -w SYMBOL is found in the executable's or its libraries'
 *     symbol tables (symbols.c), as an offset in its file;
 *   - a memfd, inherited by the program, holds the library's log ring
 *     (lib/log/logshare.h): records survive the program's crash or SIGKILL;
 *   - memwatch-run.so (lib/front/run.c), preloaded with the library, adds the
 *     load base and sets the watches at the start of main;
 *   - after the program ended, the log is read from the memfd and every
 *     frame named with libdw here, not in the dying program.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/xattr.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/private.h"
#include "cli.h"

#ifndef MWC_PRELOAD
#define MWC_PRELOAD "libmemwatch.so.0:memwatch-run.so"
#endif

#define EXIT_MEMWATCH 125       /* memwatch itself failed, as env(1) */
#define EXIT_DAMAGED 124        /* the log was damaged (cli/log.c) */

static const char usage[] =
"Usage: memwatch [OPTION]... [--] PROGRAM [ARG]...\n"
"Run PROGRAM with memwatch, watching its global variables from the start of\n"
"main, and write every access to them when it ends (also when it crashes or\n"
"is killed), each frame named with function and file:line.\n"
"\n"
"  -w, --watch=SYMBOL[+OFFSET][:SIZE][:r|w|rw]\n"
"                      watch SIZE bytes (default: the symbol's size minus\n"
"                      OFFSET) at SYMBOL+OFFSET, a variable of the program\n"
"                      or its libraries (static ones too, unless stripped);\n"
"                      r: reads, w: writes (the default), rw: both.\n"
"                      Repeat for more watches.\n"
"  -d, --depth=N       backtrace frames per access, 0 to 32 (default 16)\n"
"  -r, --ring=N        keep the last N accesses (default 16384, up to 2^24)\n"
"  -s, --summary       who accessed each watch: the accesses grouped by\n"
"                      instruction, with their threads, instead of the log\n"
"  -m, --map           a heat map of each watch instead of the log\n"
"  -t, --trace=FILE    a timeline of the accesses to FILE, in the trace-event\n"
"                      JSON format (Perfetto UI, chrome://tracing): one\n"
"                      track per thread, one event per access\n"
"  -l, --log           the log too, with --summary, --map or --trace\n"
"  -o, --output=FILE   write to FILE instead of standard error\n"
"      --help          this help\n"
"      --version       the version\n"
"\n"
"The exit status is PROGRAM's, or 128+N if signal N killed it; 125 if\n"
"memwatch failed, 126 if PROGRAM cannot run, 127 if it was not found;\n"
"124 if its log was damaged (memwatch says how, and the program's status).\n"
"Environment: MEMWATCH_PRELOAD overrides the libraries preloaded (default\n"
MWC_PRELOAD ",\n"
"or those of the build tree when memwatch runs from it).\n"
"Manual: man memwatch; the GDB commands: man memwatch-gdb.\n";

static pid_t child;

static void forward(int sig)
{
	if (child > 0)
		kill(child, sig);
}

/* Run from the build tree (cli/memwatch next to lib/.libs): the libraries
 * of that tree, so that it works before `make install`.  NULL if not. */
static char *build_tree_preload(void)
{
	static char pre[8300];
	char exe[4096], a[4150], b[4150];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *slash;

	if (n <= 0)
		return NULL;
	exe[n] = 0;
	slash = strrchr(exe, '/');
	if (!slash)
		return NULL;
	*slash = 0;
	snprintf(a, sizeof(a), "%s/../lib/.libs/libmemwatch.so.0", exe);
	snprintf(b, sizeof(b), "%s/../lib/.libs/memwatch-run.so", exe);
	if (access(a, R_OK) || access(b, R_OK))
		return NULL;
	snprintf(pre, sizeof(pre), "%s:%s", a, b);
	return pre;
}

/* PROG as execvp would find it; NULL (and errno) if it would not. */
static char *find_program(const char *prog)
{
	const char *path = getenv("PATH");
	char buf[4096];

	if (strchr(prog, '/'))
		return access(prog, F_OK) == 0 ? strdup(prog) : NULL;
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	errno = ENOENT;
	while (*path) {
		size_t n = strcspn(path, ":");

		snprintf(buf, sizeof(buf), "%.*s%s%s", (int)n, path, n ? "/" : "", prog);
		if (access(buf, X_OK) == 0)
			return strdup(buf);
		path += n + (path[n] == ':');
	}
	errno = ENOENT;
	return NULL;
}

/* A decimal number from MIN to MAX: one message for every way to miss. */
static int number(const char *opt, const char *s, unsigned long min, unsigned long max,
		  unsigned long *out)
{
	char *end;

	errno = 0;
	*out = strtoul(s, &end, 10);
	if (!*s || *s == '-' || *end || errno || *out < min || *out > max) {
		fprintf(stderr, "memwatch: %s %s: not a number from %lu to %lu\n", opt, s, min, max);
		return -1;
	}
	return 0;
}

/*
 * Whether running PATH is secure execution: set-user-ID or set-group-ID to
 * someone else (on a file system that honours it), or file capabilities
 * (for all but root, who has them all).  Its dynamic linker ignores the
 * preloaded library, and the log's memfd must not reach it: its memory
 * would land in a file its unprivileged caller reads.  Returns what makes
 * it so, or NULL.
 */
static const char *secure_exec(const char *path)
{
	struct stat st;
	struct statvfs vfs;

	if (stat(path, &st) < 0 || !S_ISREG(st.st_mode) ||
	    (statvfs(path, &vfs) == 0 && (vfs.f_flag & ST_NOSUID)))
		return NULL;
	if ((st.st_mode & S_ISUID) && st.st_uid != geteuid())
		return "set-user-ID";
	if ((st.st_mode & S_ISGID) && (st.st_mode & S_IXGRP) && st.st_gid != getegid())
		return "set-group-ID";
	if (geteuid() != 0 && getxattr(path, "security.capability", NULL, 0) >= 0)
		return "given file capabilities";
	return NULL;
}

/* FILE opened for WHAT ("the log"), or NULL with a message.  What memwatch
 * writes holds the program's memory: created private (base/private.h). */
static FILE *open_output(const char *what, const char *file)
{
	const char *why = "";
	int fd = mw_open_private(file, &why);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	int e = errno;

	if (fd >= 0 && !f)
		close(fd);
	if (!f)
		fprintf(stderr, "memwatch: %s %s to %s: %s\n",
			fd == -ELOOP || fd == -EPERM ? "refusing to write" : "cannot write", what,
			file, fd < 0 ? why : strerror(e));
	return f;
}

/* The MEMWATCH_WATCHES value for lib/front/run.c. */
static char *watch_list(const struct mwc_watch *w, int nw)
{
	size_t len = 1;
	char *s, *p;

	for (int i = 0; i < nw; i++)
		len += strlen(w[i].name) + strlen(w[i].module) + 64;
	s = p = malloc(len);
	if (!s)
		return NULL;
	*s = 0;
	for (int i = 0; i < nw; i++)
		p += sprintf(p, "%x %llx %llx %s\t%s\n", w[i].flags, (unsigned long long)w[i].size,
			     (unsigned long long)w[i].value, w[i].name, w[i].module);
	return s;
}

/* In the child: PROGRAM, or its errno on ERRPIPE.  The memfd LOGFD stays
 * open across this exec alone (the library maps it, and marks it
 * close-on-exec again for the program's own children); ERRPIPE closes on
 * success. */
static void run_child(char *path, char **argv, int logfd, int errpipe)
{
	int e;

	signal(SIGINT, SIG_DFL);
	signal(SIGQUIT, SIG_DFL);
	fcntl(logfd, F_SETFD, 0);
	execv(path, argv);
	e = errno;
	if (write(errpipe, &e, sizeof(e)) < 0)
		_exit(127);
	_exit(e == ENOENT ? 127 : 126);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "watch", required_argument, NULL, 'w' },
		{ "depth", required_argument, NULL, 'd' },
		{ "ring", required_argument, NULL, 'r' },
		{ "map", no_argument, NULL, 'm' },
		{ "summary", no_argument, NULL, 's' },
		{ "log", no_argument, NULL, 'l' },
		{ "trace", required_argument, NULL, 't' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct mwc_watch *w = calloc((size_t)argc, sizeof(*w));
	int nw = 0, c, fd, pipefd[2], status, e = 0, want_map = 0, want_summary = 0, want_log = 0, code;
	int report_err = 0;
	const char *output = NULL, *trace = NULL, *preload = getenv("MEMWATCH_PRELOAD");
	const char *old_preload = getenv("LD_PRELOAD");
	unsigned long n;
	char *path, *list, *pre, buf[32];
	struct mwc_log log;
	struct sigaction sa;
	FILE *out = stderr, *tout = NULL;

	if (!w)
		return EXIT_MEMWATCH;
	while ((c = getopt_long(argc, argv, "+w:d:r:smlt:o:", opts, NULL)) != -1) {
		switch (c) {
		case 'w':
			if (nw >= MW_SHARE_WATCHES) {
				fprintf(stderr, "memwatch: at most %d -w\n", MW_SHARE_WATCHES);
				return EXIT_MEMWATCH;
			}
			w[nw].spec = optarg;
			if (mwc_parse_watch(&w[nw++]) < 0)
				return EXIT_MEMWATCH;
			break;
		case 'd':
			if (number("--depth", optarg, 0, MW_FRAMES_MAX, &n) < 0)
				return EXIT_MEMWATCH;
			setenv("MEMWATCH_DEPTH", optarg, 1);
			break;
		case 'r':
			if (number("--ring", optarg, 2, 1ul << 24, &n) < 0)
				return EXIT_MEMWATCH;
			setenv("MEMWATCH_RING", optarg, 1);
			break;
		case 'm': want_map = 1; break;
		case 's': want_summary = 1; break;
		case 'l': want_log = 1; break;
		case 't': trace = optarg; break;
		case 'o': output = optarg; break;
		case 'h': fputs(usage, stdout); return 0;
		case 'V': puts("memwatch " PACKAGE_VERSION); return 0;
		default:
			fprintf(stderr, "Try 'memwatch --help'.\n");
			return EXIT_MEMWATCH;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "memwatch: no program to run\nTry 'memwatch --help'.\n");
		return EXIT_MEMWATCH;
	}
	path = find_program(argv[optind]);
	if (!path) {
		fprintf(stderr, "memwatch: %s: %s\n", argv[optind], strerror(errno));
		return 127;
	}
	if (secure_exec(path)) {
		fprintf(stderr, "memwatch: %s is %s: it would run in secure execution, which "
			"ignores the library and must not get the log's file; not run\n",
			path, secure_exec(path));
		return 126;
	}
	for (int i = 0; i < nw; i++)
		if (mwc_resolve(path, &w[i]) < 0)
			return EXIT_MEMWATCH;
	if (output && !(out = open_output("the log", output)))
		return EXIT_MEMWATCH;
	if (trace && !(tout = open_output("the trace", trace)))
		return EXIT_MEMWATCH;

	/* Inherited by the program only (run_child). */
	fd = memfd_create("memwatch-log", MFD_CLOEXEC);
	if (fd >= 0) {
		/* High, where the library keeps its own: the program's open(2)s
		 * get the numbers they get without memwatch. */
		int high = fcntl(fd, F_DUPFD_CLOEXEC, 900);

		if (high >= 0) {
			close(fd);
			fd = high;
		}
	}
	list = watch_list(w, nw);
	if (fd < 0 || !list || pipe2(pipefd, O_CLOEXEC) < 0) {
		fprintf(stderr, "memwatch: %s\n", strerror(errno));
		return EXIT_MEMWATCH;
	}
	snprintf(buf, sizeof(buf), "%d", fd);
	setenv("MEMWATCH_SHARE_FD", buf, 1);
	setenv("MEMWATCH_WATCHES", list, 1);
	if (!preload || !*preload)
		preload = build_tree_preload();
	if (!preload)
		preload = MWC_PRELOAD;
	for (const char *p = preload; *p; ) {
		size_t len = strcspn(p, ": ");
		char lib[4096];

		snprintf(lib, sizeof(lib), "%.*s", (int)len, p);
		if (lib[0] == '/' && access(lib, R_OK) != 0) {
			fprintf(stderr, "memwatch: cannot preload %s: %s\n", lib, strerror(errno));
			return EXIT_MEMWATCH;
		}
		p += len + (p[len] != 0);
	}
	pre = malloc(strlen(preload) + (old_preload ? strlen(old_preload) : 0) + 2);
	if (!pre)
		return EXIT_MEMWATCH;
	sprintf(pre, "%s%s%s", preload, old_preload && *old_preload ? ":" : "",
		old_preload ? old_preload : "");
	setenv("LD_PRELOAD", pre, 1);

	/* Like a shell waiting for a command: ^C and ^\ are the program's. */
	signal(SIGINT, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = forward;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	child = fork();
	if (child < 0) {
		fprintf(stderr, "memwatch: fork: %s\n", strerror(errno));
		return EXIT_MEMWATCH;
	}
	if (child == 0)
		run_child(path, argv + optind, fd, pipefd[1]);
	close(pipefd[1]);
	if (read(pipefd[0], &e, sizeof(e)) == (ssize_t)sizeof(e)) {
		fprintf(stderr, "memwatch: cannot run %s: %s\n", path, strerror(e));
		waitpid(child, &status, 0);
		return e == ENOENT ? 127 : 126;
	}
	while (waitpid(child, &status, 0) < 0 && errno == EINTR)
		;
	code = WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);

	switch (mwc_log_read(fd, &log)) {
	case 0:
		break;
	case -2:
		/* Nothing of it is trusted, but the program's end is known. */
		if (WIFSIGNALED(status))
			fprintf(stderr, "memwatch: %s was killed by signal %d (%s)\n", path,
				WTERMSIG(status), strsignal(WTERMSIG(status)));
		else
			fprintf(stderr, "memwatch: %s exited with status %d\n", path, code);
		return EXIT_DAMAGED;
	default:
		return code == 0 ? EXIT_MEMWATCH : code;
	}
	log.prog = path;
	if (nw && log.hdr->setup_done != 1) {
		uint64_t i = log.hdr->nwatches;

		if (log.hdr->setup_done == 2)
			return EXIT_MEMWATCH;   /* lib/front/run.c said which watch failed */
		if (log.hdr->setup_done == 3 && i >= 1 && i <= (uint64_t)nw)
			fprintf(stderr, "memwatch: %s died while memwatch set its watch %s "
				"(at the start of main)\n", path, w[i - 1].spec);
		else
			fprintf(stderr, "memwatch: %s ended before main: nothing was watched\n",
				path);
	}
	if (WIFSIGNALED(status))
		fprintf(out, "memwatch: %s was killed by signal %d (%s)%s\n", path,
			WTERMSIG(status), strsignal(WTERMSIG(status)),
			WCOREDUMP(status) ? ", core dumped" : "");
	else
		fprintf(out, "memwatch: %s exited with status %d\n", path, code);
	mwc_watches(out, &log, w, nw);
	mwc_costs(out, &log, w, nw, want_summary);
	if ((!want_map && !want_summary && !trace) || want_log)
		report_err = mwc_report(out, &log, w, nw);
	if (want_summary) {
		mwc_summary(out, &log, w, nw);
		mwc_patches(out, &log);
	}
	if (want_map)
		mwc_map(out, &log, w, nw);
	if (tout && (mwc_trace(tout, &log, w, nw, (int)child) < 0 || fclose(tout) != 0)) {
		fprintf(stderr, "memwatch: %s: %s\n", trace, strerror(errno));
		return EXIT_MEMWATCH;
	}
	if (log.damaged) {
		fprintf(stderr, "memwatch: the log is damaged: %llu record%s out of place or "
			"out of range, left out\n", (unsigned long long)log.damaged,
			log.damaged == 1 ? "" : "s");
		code = EXIT_DAMAGED;
	}
	if (out != stderr) {
		/* The report writes to the file's descriptor, past OUT's
		 * buffer: fclose does not see its errors. */
		int err = fclose(out) != 0 ? errno : -report_err;

		if (err) {
			fprintf(stderr, "memwatch: %s: %s\n", output, strerror(err));
			return EXIT_MEMWATCH;
		}
	}
	mwc_log_free(&log);
	return code;
}

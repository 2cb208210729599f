/* SPDX-License-Identifier: MIT */
/*
 * dump.c - the log as text: mw_log_dump, and MEMWATCH_LOG at exit and at
 * death.
 *
 * The raw form (no symbolizer) is async-signal-safe: it reads the ring
 * lock-free and writes with write(2); the file name is kept from init, the
 * file opened by mw_open_private (open, fstat, fchmod, ftruncate: the log
 * holds the program's memory, base/private.h), a refusal said with
 * mw_msg, and the module map copied from /proc/self/maps.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/private.h"
#include "log/dump.h"
#include "log/text.h"
#include "memwatch.h"
#include "log/ring.h"

static uint64_t t0;

int mw_dump_records(struct mw_msg *m, struct mw_symbolizer *sym)
{
	struct mw_log_stats st;
	struct mw_log_cursor cur;
	struct mw_record r;
	int n = 0;

	mw_log_stats(&st);
	mw_msg_str(m, "memwatch log: ");
	mw_msg_dec(m, (int64_t)st.records);
	mw_msg_str(m, st.records == 1 ? " record (" : " records (");
	mw_msg_dec(m, (int64_t)st.overwritten);
	mw_msg_str(m, " overwritten, ");
	mw_msg_dec(m, (int64_t)st.dropped);
	mw_msg_str(m, " dropped); ring ");
	mw_msg_dec(m, (int64_t)st.capacity);
	mw_msg_str(m, " records, depth ");
	mw_msg_dec(m, st.depth);
	mw_msg_str(m, "\n");
	mw_log_begin(&cur);
	while (mw_log_next(&cur, &r) == 1) {
		mw_text_record(m, &r, t0, sym);
		n++;
	}
	mw_msg_write(m);
	return n;
}

int mw_log_dump(int fd)
{
	struct mw_msg m;
	struct mw_symbolizer *sym;
	int n;

	if (fcntl(fd, F_GETFL) < 0)
		return -EBADF;
	sym = mw_symbolizer_open();
	mw_msg_open(&m, fd);
	n = mw_dump_records(&m, sym);
	mw_symbolizer_close(sym);
	return m.err ? m.err : n;
}

/* ------------------------------------------------------------ MEMWATCH_LOG */

static char log_path[4096];
static atomic_flag written = ATOMIC_FLAG_INIT;
static const int fatal_signals[] = { SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGTRAP, SIGSYS };

/* The log's file, or -1 after a one-line message (the program goes on as
 * without MEMWATCH_LOG).  [fault path] */
static int open_log(void)
{
	struct mw_msg m;
	const char *why = "";
	int fd = mw_open_private(log_path, &why);

	if (fd >= 0)
		return fd;
	mw_msg_init(&m);
	mw_msg_str(&m, fd == -ELOOP || fd == -EPERM ? "refusing to write the log to MEMWATCH_LOG="
		   : "cannot write the log to MEMWATCH_LOG=");
	mw_msg_str(&m, log_path);
	mw_msg_str(&m, ": ");
	mw_msg_str(&m, why);
	mw_msg_flush(&m);
	return -1;
}

static void at_exit(void)
{
	struct mw_msg m;
	struct mw_symbolizer *sym;
	int fd;

	if (atomic_flag_test_and_set(&written))
		return;
	fd = open_log();
	if (fd < 0)
		return;
	sym = mw_symbolizer_open();
	mw_msg_open(&m, fd);
	mw_dump_records(&m, sym);
	mw_symbolizer_close(sym);
	close(fd);
}

void mw_logfile_fatal(int sig)
{
	struct mw_msg m;
	char buf[4096];
	ssize_t n;
	int fd, maps;

	if (!log_path[0] || atomic_flag_test_and_set(&written))
		return;
	fd = open_log();
	if (fd < 0)
		return;
	mw_msg_open(&m, fd);
	mw_msg_str(&m, "memwatch: the process is dying of signal ");
	mw_msg_dec(&m, sig);
	mw_msg_str(&m, "; raw addresses, the module map follows the records\n");
	mw_dump_records(&m, NULL);
	mw_msg_str(&m, "module map:\n");
	mw_msg_write(&m);
	maps = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	while (maps >= 0 && (n = read(maps, buf, sizeof(buf))) > 0)
		if (write(fd, buf, (size_t)n) != n)
			break;
	if (maps >= 0)
		close(maps);
	close(fd);
}

static void fatal_handler(int sig, siginfo_t *si, void *ctx)
{
	struct sigaction dfl;

	(void)ctx;
	mw_logfile_fatal(sig);
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	sigaction(sig, &dfl, NULL);
	/* A fault re-executes and dies by itself; a sent signal is sent again. */
	if (si->si_code <= 0 || sig == SIGABRT || sig == SIGTRAP || sig == SIGSYS)
		raise(sig);
}

void mw_logfile_init(const char *path)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	t0 = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	if (!path || !path[0] || strlen(path) >= sizeof(log_path))
		return;
	strcpy(log_path, path);
	atexit(at_exit);
	for (size_t i = 0; i < sizeof(fatal_signals) / sizeof(fatal_signals[0]); i++) {
		struct sigaction cur, sa;

		if (sigaction(fatal_signals[i], NULL, &cur) < 0 || cur.sa_handler != SIG_DFL ||
		    (cur.sa_flags & SA_SIGINFO))
			continue;
		memset(&sa, 0, sizeof(sa));
		sa.sa_sigaction = fatal_handler;
		sa.sa_flags = SA_SIGINFO | SA_NODEFER;
		sigemptyset(&sa.sa_mask);
		sigaction(fatal_signals[i], &sa, NULL);
	}
}

/* SPDX-License-Identifier: MIT */
/*
 * demo.c - who changes cfg.max_users?
 *
 * A small server keeps its configuration next to a table of request counts
 * per hour.  After start-up, cfg.max_users should never change, yet at the
 * end it is wrong.  The demo watches the configuration for writes once
 * start-up is over, runs the program, and then asks memwatch's access log
 * who wrote there: the record has the old and new value, the thread and the
 * backtrace, named down to the source line.
 *
 * (With the GDB commands, the same is `mwatch srv.cfg` and `mwatch-log`.)
 *
 * Build and run from the top of the tree: make && examples/demo
 */
#include <inttypes.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memwatch.h"

#define HOURS 24

struct config {
	int max_users;
	int timeout_s;
	int port;
};

/* One global: request statistics, then the configuration right after them. */
static struct server {
	/* aligned: the whole struct sits on one page */
	_Alignas(128) unsigned hits[HOURS];	/* requests per hour of the day */
	struct config cfg;
	unsigned long served;		/* requests served, by all workers */
} srv = {
	.cfg = { .max_users = 100, .timeout_s = 30, .port = 8080 },
};

static const char *const access_log[] = {
	"08:15 GET /index.html",
	"09:40 GET /login",
	"12:05 POST /login",
	"17:30 GET /logout",
	"23:59 GET /status",
	"24:00 GET /status",	/* some loggers write midnight as 24:00 */
};
#define NLOG (sizeof access_log / sizeof access_log[0])

static int g_argc;
static char **g_argv;

/* Phase 1: apply the command line; the one phase allowed to write cfg. */
__attribute__((noinline)) static void apply_options(void)
{
	for (int i = 1; i + 1 < g_argc; i++)
		if (strcmp(g_argv[i], "--timeout") == 0)
			srv.cfg.timeout_s = atoi(g_argv[++i]);
	srv.cfg.timeout_s = srv.cfg.timeout_s < 60 ? 60 : srv.cfg.timeout_s;
}

/* Phase 2: requests per hour.  The bug: "24:00" gives hour 24, one past the
 * end of hits[], and the increment lands in the next member: cfg.max_users. */
__attribute__((noinline)) static void count_requests(void)
{
	for (size_t i = 0; i < NLOG; i++) {
		int hour, minute;

		if (sscanf(access_log[i], "%d:%d", &hour, &minute) != 2 ||
		    hour < 0 || hour > HOURS)
			continue;
		srv.hits[hour]++;	/* should be: hour % HOURS, or hour < HOURS */
	}
}

/* Phase 3: two workers serve requests.  They read cfg (reads are not caught
 * by a write watch, and cost nothing) and update srv.served, which shares
 * a page with cfg: those writes are performed and not counted. */
#define REQUESTS_PER_WORKER 1000

static void *worker(void *arg)
{
	(void)arg;
	for (int i = 0; i < REQUESTS_PER_WORKER; i++)
		if (__atomic_load_n(&srv.served, __ATOMIC_RELAXED) <
		    (unsigned long)srv.cfg.max_users * 1000)
			__atomic_fetch_add(&srv.served, 1, __ATOMIC_RELAXED);
	return NULL;
}

static void serve_users(void)
{
	pthread_t t[2];

	for (int i = 0; i < 2; i++)
		if (pthread_create(&t[i], NULL, worker, NULL) != 0) {
			fprintf(stderr, "demo: pthread_create failed\n");
			exit(1);
		}
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
}

static const char *field_of(uint64_t addr)
{
	uintptr_t off = (uintptr_t)addr - (uintptr_t)&srv.cfg;

	return off < offsetof(struct config, timeout_s) ? "cfg.max_users" :
	       off < offsetof(struct config, port) ? "cfg.timeout_s" : "cfg.port";
}

int main(int argc, char **argv)
{
	struct config expected;
	struct mw_log_cursor cur;
	struct mw_record rec;
	uint64_t writes = 0;
	int id;

	g_argc = argc;
	g_argv = argv;
	printf("memwatch demo: who changes cfg.max_users?\n\n");

	apply_options();                /* start-up: cfg is final after this */
	expected = srv.cfg;
	id = mw_watch(&srv.cfg, sizeof srv.cfg, MW_WRITE);
	if (id < 0) {
		fprintf(stderr, "demo: mw_watch: %s\n", mw_strerror(id));
		return 1;
	}
	printf("watching writes to srv.cfg, %zu bytes at %p (watch %d)\n",
	       sizeof srv.cfg, (void *)&srv.cfg, id);

	count_requests();
	serve_users();

	printf("requests served: %lu by 2 threads (their writes to srv.served share "
	       "the page with cfg: performed, not logged)\n", srv.served);
	printf("cfg.max_users = %d, expected %d\n", srv.cfg.max_users, expected.max_users);
	printf("cfg.timeout_s = %d, expected %d\n", srv.cfg.timeout_s, expected.timeout_s);
	printf("cfg.port      = %d, expected %d\n\n", srv.cfg.port, expected.port);

	/* The log, from the API: one record per write. */
	mw_log_begin(&cur);
	while (mw_log_next(&cur, &rec) == 1) {
		if (rec.watch != id)
			continue;
		writes++;
		printf("write #%llu: %s, %u bytes at %#llx, thread %u, instruction %#llx\n",
		       (unsigned long long)rec.seq, field_of(rec.addr), rec.size,
		       (unsigned long long)rec.addr, rec.tid, (unsigned long long)rec.pc);
	}
	printf("memwatch caught %llu write%s to cfg after start-up; the log, with "
	       "names and lines:\n\n", (unsigned long long)writes, writes == 1 ? "" : "s");
	fflush(stdout);
	mw_log_dump(1);                 /* frames named down to file:line */
	mw_unwatch(id);
	return writes == 0;
}

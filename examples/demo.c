/* SPDX-License-Identifier: MIT */
/*
 * demo.c - who changes cfg.max_users?
 *
 * A small server keeps its configuration next to a table of request counts
 * per hour.  After start-up, cfg.max_users should never change, yet at the
 * end it is wrong.  The demo watches the configuration for writes, runs the
 * program phase by phase, and reads the watches' counts after each phase to
 * say which phase wrote it.
 *
 * This release of memwatch counts accesses; it does not yet log where they
 * came from (the access log and its GDB commands come next).  So the demo
 * brackets each phase with mw_count() instead.
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
static void apply_options(void)
{
	for (int i = 1; i + 1 < g_argc; i++)
		if (strcmp(g_argv[i], "--timeout") == 0)
			srv.cfg.timeout_s = atoi(g_argv[++i]);
	srv.cfg.timeout_s = srv.cfg.timeout_s < 60 ? 60 : srv.cfg.timeout_s;
}

/* Phase 2: requests per hour.  The bug: "24:00" gives hour 24, one past the
 * end of hits[], and the increment lands in the next member: cfg.max_users. */
static void count_requests(void)
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

/* The watched fields, one watch each, plus one watch on the whole struct. */
static const struct field {
	const char *name;
	size_t offset, size;
} fields[] = {
	{ "cfg.max_users", offsetof(struct config, max_users), sizeof(int) },
	{ "cfg.timeout_s", offsetof(struct config, timeout_s), sizeof(int) },
	{ "cfg.port",      offsetof(struct config, port),      sizeof(int) },
};
#define NFIELDS (sizeof fields / sizeof fields[0])

static int cfg_watch, field_watch[NFIELDS];

static uint64_t count_of(int id)
{
	uint64_t n = 0;
	int err = mw_count(id, &n);

	if (err < 0) {
		fprintf(stderr, "demo: mw_count: %s\n", mw_strerror(err));
		exit(1);
	}
	return n;
}

static int watch(const void *addr, size_t len)
{
	int id = mw_watch(addr, len, MW_WRITE);

	if (id < 0) {
		fprintf(stderr, "demo: mw_watch(%p, %zu): %s\n", addr, len,
			mw_strerror(id));
		exit(1);
	}
	return id;
}

static const char *plural(uint64_t n)
{
	return n == 1 ? "" : "s";
}

int main(int argc, char **argv)
{
	static const struct phase {
		const char *name;
		void (*run)(void);
		int may_write_cfg;
	} phases[] = {
		{ "apply options", apply_options, 1 },
		{ "count requests per hour", count_requests, 0 },
		{ "serve users (2 threads)", serve_users, 0 },
	};
	uint64_t before[NFIELDS + 1], unexpected = 0;
	const char *culprit = NULL, *culprit_field = NULL;
	const char *start = (const char *)&srv.cfg;
	struct config expected = srv.cfg;

	g_argc = argc;
	g_argv = argv;
	printf("memwatch demo: who changes cfg.max_users?\n\n");

	cfg_watch = watch(&srv.cfg, sizeof srv.cfg);
	for (size_t f = 0; f < NFIELDS; f++)
		field_watch[f] = watch(start + fields[f].offset, fields[f].size);
	printf("watching writes to cfg: %zu bytes, %p - %p (watch %d)\n",
	       sizeof srv.cfg, (const void *)start,
	       (const void *)(start + sizeof srv.cfg - 1), cfg_watch);
	for (size_t f = 0; f < NFIELDS; f++)
		printf("  and to %-14s %p - %p (watch %d)\n", fields[f].name,
		       (const void *)(start + fields[f].offset),
		       (const void *)(start + fields[f].offset + fields[f].size - 1),
		       field_watch[f]);
	printf("\n");

	for (size_t p = 0; p < sizeof phases / sizeof phases[0]; p++) {
		uint64_t n;

		before[NFIELDS] = count_of(cfg_watch);
		for (size_t f = 0; f < NFIELDS; f++)
			before[f] = count_of(field_watch[f]);

		phases[p].run();
		if (phases[p].may_write_cfg)
			expected = srv.cfg;	/* what cfg should stay from now on */

		n = count_of(cfg_watch) - before[NFIELDS];
		printf("phase %zu, %-24s %" PRIu64 " write%s to cfg%s\n", p + 1,
		       phases[p].name, n, plural(n),
		       n && !phases[p].may_write_cfg ? "   <-- unexpected" : "");
		for (size_t f = 0; f < NFIELDS; f++) {
			uint64_t nf = count_of(field_watch[f]) - before[f];

			if (nf == 0)
				continue;
			printf("         %" PRIu64 " of them to %s\n", nf,
			       fields[f].name);
			if (!phases[p].may_write_cfg && !culprit) {
				culprit = phases[p].name;
				culprit_field = fields[f].name;
			}
		}
		if (!phases[p].may_write_cfg)
			unexpected += n;
	}

	printf("\nrequests served: %lu (2 workers x %d: their writes share the "
	       "page with cfg, and are not counted)\n",
	       srv.served, REQUESTS_PER_WORKER);
	printf("cfg.max_users = %d, expected %d\n", srv.cfg.max_users,
	       expected.max_users);
	printf("cfg.timeout_s = %d, expected %d\n", srv.cfg.timeout_s,
	       expected.timeout_s);
	printf("cfg.port      = %d, expected %d\n\n", srv.cfg.port, expected.port);

	if (unexpected == 0) {
		printf("memwatch caught no unexpected write to cfg (%p - %p)%s\n",
		       (const void *)start,
		       (const void *)(start + sizeof srv.cfg - 1),
		       memcmp(&srv.cfg, &expected, sizeof expected) ?
		       ", yet cfg changed" : "");
	} else {
		struct field whole = { "cfg", 0, sizeof srv.cfg };
		const struct field *f = &whole;

		for (size_t i = 0; i < NFIELDS; i++)
			if (culprit_field && strcmp(fields[i].name, culprit_field) == 0)
				f = &fields[i];
		printf("memwatch caught %" PRIu64 " unexpected write%s to %s "
		       "(%p - %p), in phase \"%s\".\n", unexpected,
		       plural(unexpected), f->name,
		       (const void *)(start + f->offset),
		       (const void *)(start + f->offset + f->size - 1),
		       culprit ? culprit : "?");
		printf("(This release counts accesses; the access log, with the "
		       "writing instruction and its backtrace, comes next.)\n");
	}

	for (size_t f = 0; f < NFIELDS; f++)
		mw_unwatch(field_watch[f]);
	mw_unwatch(cfg_watch);
	return 0;
}

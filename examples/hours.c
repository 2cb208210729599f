/* SPDX-License-Identifier: MIT */
/*
 * hours.c - requests per hour of the day, from a web server's access log.
 *
 * A plain program: it knows nothing of memwatch and is not linked with it.
 * It has a bug.  Its configuration (max_users = 100) comes out as 101 at the
 * end, and nothing in the program writes to it after start-up.  The GDB
 * session in examples/hours.gdb finds the culprit with one `mwatch`:
 *
 *     gdb -q -batch -x gdbsupport/memwatch-build.gdb -x examples/hours.gdb examples/hours
 *
 * Usage: hours [--max-users N] [LOG]      (without LOG, a small built-in log)
 * Each line of the log starts with the time of the request, HH:MM.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HOURS 24

struct config {
	int max_users;
	int timeout_s;
	int port;
};

/* The server's state: request counts per hour, then the configuration. */
static struct server {
	unsigned hits[HOURS];
	struct config cfg;
} srv;

static const char *const sample_log[] = {
	"08:15 GET /index.html",
	"09:40 GET /login",
	"12:05 POST /login",
	"17:30 GET /logout",
	"23:59 GET /status",
	"24:00 GET /status",	/* some servers write midnight as 24:00 */
};

void load_config(int argc, char **argv);
void count_hour(const char *line);
int count_requests(const char *path);

/* Start-up: the one phase that sets the configuration. */
void load_config(int argc, char **argv)
{
	srv.cfg.max_users = 100;
	srv.cfg.timeout_s = 30;
	srv.cfg.port = 8080;
	for (int i = 1; i + 1 < argc; i++)
		if (strcmp(argv[i], "--max-users") == 0)
			srv.cfg.max_users = atoi(argv[++i]);
}

/* The bug: the check lets hour 24 through, one past the end of hits[]. */
void count_hour(const char *line)
{
	int hour, minute;

	if (sscanf(line, "%d:%d", &hour, &minute) != 2 || hour < 0 || hour > HOURS)
		return;
	srv.hits[hour]++;
}

/* Counts the lines of the log at PATH (NULL: the built-in one). */
int count_requests(const char *path)
{
	char line[512];
	FILE *f;

	if (!path) {
		for (size_t i = 0; i < sizeof sample_log / sizeof sample_log[0]; i++)
			count_hour(sample_log[i]);
		return 0;
	}
	f = fopen(path, "r");
	if (!f) {
		perror(path);
		return -1;
	}
	while (fgets(line, sizeof line, f))
		count_hour(line);
	fclose(f);
	return 0;
}

int main(int argc, char **argv)
{
	const char *path = NULL;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--max-users") == 0)
			i++;
		else
			path = argv[i];
	}
	load_config(argc, argv);
	if (count_requests(path) != 0)
		return 1;
	for (int h = 0; h < HOURS; h++)
		if (srv.hits[h])
			printf("%02d:00-%02d:59  %u\n", h, h, srv.hits[h]);
	printf("max_users = %d\n", srv.cfg.max_users);
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * section.h - test sections in child processes (header only, after tap.h).
 *
 * run_section(name, n, fn) runs fn() in a forked child, so that a crash
 * costs only that section: the parent relays the child's TAP lines, counts
 * them, reports the assertions a dead child did not reach, and checks how
 * the child ended.  Each section has SECTION_TIMEOUT seconds.
 *
 * child_run(&c, fn, arg) is the fork under it, for any test that runs
 * something in a child: it captures the child's stdout and/or stderr and
 * returns the wait status; status_of(fn) is the wait status alone.
 */
#ifndef MW_SECTION_H
#define MW_SECTION_H

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#define SECTION_TIMEOUT 30

__attribute__((unused))
static void describe_status(int st, char *buf, size_t len)
{
	if (WIFEXITED(st))
		snprintf(buf, len, "exited with status %d", WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		snprintf(buf, len, "killed by signal %d (%s)%s", WTERMSIG(st),
			 strsignal(WTERMSIG(st)),
			 WTERMSIG(st) == SIGALRM ? ": timed out" : "");
	else
		snprintf(buf, len, "wait status 0x%x", st);
}

/* --- Child processes.
 *
 * child_run(&c, fn, arg) runs fn(arg) in a forked child set up as C says,
 * and returns its wait status: what the child wrote to the redirected
 * streams is in c.out (NUL-terminated, cut to c.len - 1 bytes; the rest is
 * read and dropped).  child_start and child_wait are its two halves, for a
 * parent that reads the pipe itself (run_section). */
enum {
	CHILD_STDOUT = 1,	/* its standard output goes to the pipe */
	CHILD_STDERR = 2,	/* its standard error goes to the pipe */
	CHILD_NO_CORE = 4,	/* RLIMIT_CORE 0: an expected crash leaves no
				 * core file, and no core bit in the status */
	CHILD_GROUP = 8,	/* a process group of its own (killed with it) */
	CHILD_EXIT = 16,	/* fn returned: exit(0), running the atexit
				 * handlers (a sanitizer's leak check); else
				 * _exit(0) */
};

struct child {
	unsigned flags;		/* CHILD_* */
	unsigned alarm;		/* seconds until SIGALRM ends it; 0: never */
	int hang_ms;		/* child_run: silent this long, it is killed
				 * (SIGKILL, with its group) and the status is
				 * -1; 0: never */
	char *out;		/* child_run: what it wrote */
	size_t len;		/* the size of out */
	pid_t pid;		/* child_start: the child */
	int fd;			/* child_start: the pipe's read end, or -1 */
};

__attribute__((unused))
static void child_start(struct child *c, void (*fn)(void *), void *arg)
{
	int fds[2] = { -1, -1 };

	if ((c->flags & (CHILD_STDOUT | CHILD_STDERR)) && pipe(fds))
		bail("pipe: %s", strerror(errno));
	fflush(stdout);
	fflush(stderr);
	c->pid = fork();
	if (c->pid < 0)
		bail("fork: %s", strerror(errno));
	if (c->pid == 0) {
		if (c->flags & CHILD_NO_CORE) {
			struct rlimit rl = { 0, 0 };

			setrlimit(RLIMIT_CORE, &rl);
		}
		if (c->flags & CHILD_GROUP)
			setpgid(0, 0);
		if (fds[1] >= 0) {
			close(fds[0]);
			if (((c->flags & CHILD_STDOUT) &&
			     dup2(fds[1], STDOUT_FILENO) < 0) ||
			    ((c->flags & CHILD_STDERR) &&
			     dup2(fds[1], STDERR_FILENO) < 0))
				_exit(99);
			close(fds[1]);
		}
		if (c->alarm)
			alarm(c->alarm);
		fn(arg);
		fflush(stdout);
		if (c->flags & CHILD_EXIT)
			exit(0);
		_exit(0);
	}
	if (fds[1] >= 0)
		close(fds[1]);
	c->fd = fds[0];
}

__attribute__((unused))
static int child_wait(struct child *c)
{
	int st;

	while (waitpid(c->pid, &st, 0) < 0)
		if (errno != EINTR)
			bail("waitpid: %s", strerror(errno));
	return st;
}

__attribute__((unused))
static int child_run(struct child *c, void (*fn)(void *), void *arg)
{
	struct pollfd p;
	size_t n = 0;

	child_start(c, fn, arg);
	p.fd = c->fd;
	p.events = POLLIN;
	while (c->fd >= 0) {
		char tmp[512];
		ssize_t r;

		if (c->hang_ms > 0) {
			int ready = poll(&p, 1, c->hang_ms);

			if (ready < 0 && errno == EINTR)
				continue;
			if (ready <= 0) {
				kill(-c->pid, SIGKILL);
				kill(c->pid, SIGKILL);
				child_wait(c);
				close(c->fd);
				c->out[n] = 0;
				return -1;
			}
		}
		r = read(c->fd, tmp, sizeof(tmp));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		for (ssize_t i = 0; i < r && n + 1 < c->len; i++)
			c->out[n++] = tmp[i];
	}
	if (c->fd >= 0) {
		c->out[n] = 0;
		close(c->fd);
	}
	return child_wait(c);
}

/* Calls a fn(void) for child_start. */
struct child_call {
	void (*fn)(void);
};

__attribute__((unused))
static void child_call(void *arg)
{
	((struct child_call *)arg)->fn();
}

/* The wait status of fn() run in a child without a core file. */
__attribute__((unused))
static int status_of(void (*fn)(void))
{
	struct child c = { .flags = CHILD_NO_CORE };
	struct child_call call = { fn };

	return child_run(&c, child_call, &call);
}

__attribute__((unused))
static void run_section(const char *name, int nassert, void (*fn)(void))
{
	struct child c = { .flags = CHILD_STDOUT | CHILD_EXIT,
			   .alarm = SECTION_TIMEOUT };
	struct child_call call = { fn };
	int st, n = 0, failed = 0;
	char line[8192], how[128];
	FILE *in;

	child_start(&c, child_call, &call);
	in = fdopen(c.fd, "r");
	if (!in)
		bail("fdopen: %s", strerror(errno));
	while (fgets(line, sizeof(line), in)) {
		fputs(line, stdout);
		if (strncmp(line, "ok ", 3) == 0) {
			n++;
		} else if (strncmp(line, "not ok ", 7) == 0) {
			n++;
			failed += !strstr(line, "# TODO");
		}
	}
	fclose(in);
	fflush(stdout);
	st = child_wait(&c);
	tap_n += n;
	tap_failed += failed;
	describe_status(st, how, sizeof(how));
	if (n > nassert || (n < nassert && WIFEXITED(st)))
		bail("section \"%s\" ran %d assertions, planned %d (%s)",
		     name, n, nassert, how);
	for (; n < nassert; n++)
		ok(0, "%s: not reached, the section's process was %s", name, how);
	if (!ok(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		"%s: the section's process ended normally", name))
		diag("  it %s", how);
}

/* Runs FN(ARG) in a child twice, *WATCHED 0 and then 1 (FN watches by
 * it), ALARM seconds each: 1 if both printed the same and ended the same
 * way; else 0, with both in diagnostics. */
__attribute__((unused))
static int same_as_unwatched(void (*fn)(void *), void *arg, int *watched, unsigned alarm)
{
	char out[2][4096], st[2][128];

	for (int w = 0; w < 2; w++) {
		struct child c = {
			.flags = CHILD_STDOUT | CHILD_GROUP | CHILD_NO_CORE,
			.alarm = alarm, .out = out[w], .len = sizeof(out[w]),
		};

		*watched = w;
		describe_status(child_run(&c, fn, arg), st[w], sizeof(st[w]));
	}
	if (strcmp(out[0], out[1]) == 0 && strcmp(st[0], st[1]) == 0)
		return 1;
	diag("without a watch: %s\n%s", st[0], out[0]);
	diag("with a watch:    %s\n%s", st[1], out[1]);
	return 0;
}

#endif /* MW_SECTION_H */

/* SPDX-License-Identifier: MIT */
/*
 * section.h - test sections in child processes (header only, after tap.h).
 *
 * run_section(name, n, fn) runs fn() in a forked child, so that a crash
 * costs only that section: the parent relays the child's TAP lines, counts
 * them, reports the assertions a dead child did not reach, and checks how
 * the child ended.  Each section has SECTION_TIMEOUT seconds.
 */
#ifndef MW_SECTION_H
#define MW_SECTION_H

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
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

__attribute__((unused))
static void run_section(const char *name, int nassert, void (*fn)(void))
{
	int fds[2], st, n = 0, failed = 0;
	char line[8192], how[128];
	FILE *in;
	pid_t pid;

	if (pipe(fds))
		bail("pipe: %s", strerror(errno));
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		bail("fork: %s", strerror(errno));
	if (pid == 0) {
		close(fds[0]);
		if (dup2(fds[1], STDOUT_FILENO) < 0)
			_exit(99);
		close(fds[1]);
		alarm(SECTION_TIMEOUT);
		fn();
		fflush(stdout);
		exit(0);
	}
	close(fds[1]);
	in = fdopen(fds[0], "r");
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
	if (waitpid(pid, &st, 0) != pid)
		bail("waitpid: %s", strerror(errno));
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

#endif /* MW_SECTION_H */

/* SPDX-License-Identifier: MIT */
/*
 * cli-prog.c - the program t-cli.sh runs under the memwatch command.  Not
 * linked with memwatch.  MODE (argv[1]) says how it ends:
 *   exit      returns 3
 *   kill      SIGKILL to itself (nothing of it runs after)
 *   segv      a NULL write
 *   fork      a child bumps s_counter too, then the parent again; returns 3
 *   spawn     runs itself ("exit") in a child, says the child's status
 * A second argument "preload" prints LD_PRELOAD; "fds" the descriptor an
 * open(2) gets after the watched writes.
 * Lines marked "line:NAME" are the ones t-cli.sh expects in the log.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

struct config {
	int max_users;
	int timeout_s;
	char name[8];
};

struct config g_config = { 100, 30, "srv" };
static long s_counter;                  /* static: only in .symtab */
static __thread int t_local;            /* thread-local: refused */
long before_main;                       /* written by a constructor */
char g_big[4096];                       /* a map of 4 bytes per cell */

/*
 * Like bash: the program's own unsetenv, which knows only its own variables
 * (bash's shell variables, none before its main).  memwatch must still take
 * its variables out of the environment the program's children get.
 */
int unsetenv(const char *name)
{
	(void)name;
	return 0;
}

__attribute__((constructor)) static void init(void)
{
	before_main = 1;                        /* before main: not caught */
}

__attribute__((noipa)) static void set_timeout(struct config *c, int t)
{
	c->timeout_s = t;                       /* line:set_timeout */
}

__attribute__((noipa)) static void bump(void)
{
	static int calls;                       /* function-scope: calls.0 */

	s_counter += 5;                         /* line:bump */
	calls++;                                /* line:calls */
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "exit";
	const char *pre = getenv("LD_PRELOAD");

	if (argc > 2 && !strcmp(argv[2], "preload"))
		printf("LD_PRELOAD=%s\n", pre ? pre : "");
	before_main = 2;                        /* line:main */
	set_timeout(&g_config, 60);
	bump();
	memcpy(&g_big[1000], "abcd", 4);
	g_big[4095] = 1;
	t_local = g_config.max_users;           /* a read: not caught by w */
	if (argc > 2 && !strcmp(argv[2], "fds")) {
		int fd = open("/dev/null", O_RDONLY);

		printf("fd=%d\n", fd);
		close(fd);
	}
	if (!strcmp(mode, "kill"))
		raise(SIGKILL);
	if (!strcmp(mode, "fork")) {
		pid_t pid = fork();

		if (pid == 0) {
			bump();                 /* the child's: not in the log */
			_exit(0);
		}
		waitpid(pid, NULL, 0);
		bump();
	}
	if (!strcmp(mode, "spawn")) {
		pid_t pid = fork();
		int status;

		if (pid == 0) {
			execl(argv[0], argv[0], "exit", (char *)NULL);
			_exit(127);
		}
		waitpid(pid, &status, 0);
		printf("child: status %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	}
	if (!strcmp(mode, "segv"))
		*(volatile int *)(argc > 99 ? (void *)&t_local : NULL) = 1;
	return 3;
}

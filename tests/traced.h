/* SPDX-License-Identifier: MIT */
/*
 * traced.h - hold_traced(tid): a child process seizes thread TID of this
 * process (PTRACE_SEIZE, which does not stop it) and keeps it until this
 * process's main thread ends, as an attached debugger would: nobody else
 * can trace it then (the library's helper that unblocks signals in threads
 * out of reach, threads/perthread.h).  0, or -1 if tracing is not allowed.
 * tracing_allowed(): whether a child may trace this process at all.
 * Header only, for the tests of threads that block every signal.
 */
#ifndef MW_TEST_TRACED_H
#define MW_TEST_TRACED_H

#include <signal.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

__attribute__((unused))
static int hold_traced(pid_t tid)
{
	int p[2];
	char c = 0;
	pid_t k;

	prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY, 0, 0, 0);
	if (pipe(p))
		return -1;
	k = fork();
	if (k == 0) {
		close(p[0]);
		prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
		c = ptrace(PTRACE_SEIZE, tid, 0, 0) == 0;
		if (write(p[1], &c, 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(p[1]);
	if (k < 0 || read(p[0], &c, 1) != 1)
		c = 0;
	close(p[0]);
	return c ? 0 : -1;
}

/* Whether a child process may trace this process's threads here (no
 * seccomp or security module forbids it): the library's helper then can. */
__attribute__((unused))
static int tracing_allowed(void)
{
	pid_t self = getpid(), k;
	int st = 0;

	prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY, 0, 0, 0);
	k = fork();
	if (k == 0) {
		if (ptrace(PTRACE_SEIZE, self, 0, 0) != 0)
			_exit(1);
		ptrace(PTRACE_DETACH, self, 0, 0);
		_exit(0);
	}
	if (k < 0 || waitpid(k, &st, 0) != k)
		return 0;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

#endif /* MW_TEST_TRACED_H */

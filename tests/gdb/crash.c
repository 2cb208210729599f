/* SPDX-License-Identifier: MIT */
/*
 * crash.c - the target of crash-*.gdb: a few watched writes, then a genuine
 * crash (a store through a NULL struct pointer, at address 0x10).  With an
 * argument, the program's own SIGSEGV handler recovers with siglongjmp
 * and it goes on.  Not linked with libmemwatch.  The scripts name line
 * numbers of this file.
 */
#pragma GCC optimize("O1") /* the stops must not depend on configure's CFLAGS */
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>

struct big {
	long pad[2];
	int x;
};

struct big *volatile nullp;
int watched;
static sigjmp_buf env;

__attribute__((noipa)) static void store(int v)
{
	watched = v;
}

__attribute__((noipa)) static void crash(void)
{
	nullp->x = 42;
}

static void on_segv(int sig)
{
	siglongjmp(env, 1);
}

int main(int argc, char **argv)
{
	if (argc > 1) {
		struct sigaction sa = { .sa_handler = on_segv };

		sigaction(SIGSEGV, &sa, NULL);
	}
	store(1);
	store(2);
	store(3);
	if (sigsetjmp(env, 1) == 0)
		crash();
	else
		printf("recovered\n");
	store(4);
	printf("watched=%d\n", watched);
	return 0;
}

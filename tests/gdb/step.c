/* SPDX-License-Identifier: MIT */
/*
 * step.c - the target of the step-*.gdb cases: GDB's stepping commands
 * over lines and functions that write watched memory.  Not linked with
 * libmemwatch.  The scripts name line numbers of this file: keep them.
 */
#pragma GCC optimize("O1") /* the stops must not depend on configure's CFLAGS */
#include <stdio.h>

volatile int watched;
int other;

__attribute__((noipa)) static void store(int v)
{
	watched = v;
}

__attribute__((noipa)) static int twice(int v)
{
	store(v);
	return v * 2 + other;
}

__attribute__((noipa)) static void quiet(void)
{
	other++;
}

__attribute__((noipa)) static void done(void)
{
	__asm__ volatile("" ::: "memory");
}

int main(void)
{
	int r = 0;

	store(1);
	watched = 2;
	quiet();
	r += twice(3);
	r += twice(4);
	for (int i = 0; i < 3; i++)
		watched += i;
	store(10);
	quiet();
	store(11);
	done();
	printf("watched=%d other=%d r=%d\n", watched, other, r);
	return 0;
}

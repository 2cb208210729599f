/* SPDX-License-Identifier: MIT */
/*
 * scope.c - the target of scope-*.gdb: a watched local whose function
 * returns, and another function that reuses its stack slot afterwards.
 * Not linked with libmemwatch.  The scripts name line numbers of this file.
 */
#pragma GCC optimize("O1") /* the stops must not depend on configure's CFLAGS */
#include <stdio.h>

int total;

__attribute__((noipa)) static int sum(int n)
{
	volatile int acc = 0;

	for (int i = 1; i <= n; i++)
		acc += i;
	return acc;
}

__attribute__((noipa)) static int reuse(int n)
{
	volatile int other = 100;

	other += n;
	return other;
}

__attribute__((noipa)) static int deeper(int n)
{
	volatile int here = n;

	if (n)
		here += deeper(n - 1);
	return here;
}

int main(void)
{
	total = sum(3);
	total += reuse(1);
	total += deeper(2);
	printf("total %d\n", total);
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * cond.c - the target of the cond-*.gdb cases: globals written in a loop,
 * each time a new value, then once the value they already have, in the
 * manner of GDB's own watchpoint tests (conditions, ignore counts, writes
 * that change nothing), so that a session can set GDB's watchpoints and
 * memwatch's on the same writes.  Not linked with libmemwatch.  The
 * scripts name line numbers of this file: keep them when editing.
 */
#pragma GCC optimize("O1") /* the stops must not depend on configure's CFLAGS */
#include <stdio.h>

volatile int ival;
volatile int ival3;

__attribute__((noipa)) static void marker(void)
{
	__asm__ volatile("" ::: "memory");
}

int main(void)
{
	for (int i = 0; i < 10; i++) {
		ival = i;
		ival3 = i * 3;
	}
	ival = 9;               /* the value it has: GDB's watch does not stop */
	ival = 100;
	marker();
	printf("ival=%d ival3=%d\n", ival, ival3);
	return 0;
}

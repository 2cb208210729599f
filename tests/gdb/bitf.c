/* SPDX-License-Identifier: MIT */
/*
 * bitf.c - the target of bitf-*.gdb: bitfields that share bytes, each
 * written by a function of its own.  Not linked with libmemwatch.  The
 * scripts name line numbers of this file.
 */
#pragma GCC optimize("O1") /* the stops must not depend on configure's CFLAGS */
#include <stdio.h>

struct flags {
	int id;
	unsigned int low : 3;
	unsigned int mid : 5;
	int wide : 12;
	char tail;
};

struct flags fl, *pfl = &fl;

__attribute__((noipa)) static void set_low(unsigned v)
{
	fl.low = v;
}

__attribute__((noipa)) static void set_mid(unsigned v)
{
	fl.mid = v;
}

__attribute__((noipa)) static void set_wide(int v)
{
	pfl->wide = v;
}

int main(void)
{
	set_low(5);
	set_mid(9);
	set_low(2);
	set_wide(-3);
	set_mid(9);
	set_low(7);
	set_mid(4);
	set_wide(100);
	printf("low=%u mid=%u wide=%d\n", fl.low, fl.mid, fl.wide);
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * plt.c - the target of the plt-*.gdb cases: calls into a shared library
 * with line information (plt-lib.c) through PLT entries bound lazily, while
 * the variable next to the program's .got.plt is watched: the dynamic
 * linker's binding writes a watched page.  Not linked with libmemwatch.
 * The scripts name line numbers of this file: keep them.
 */
#pragma GCC optimize("O1") /* the stops must not depend on configure's CFLAGS */
#include <stdio.h>

#include "plt-lib.h"

volatile int watched;

int main(void)
{
	int r;

	watched = 1;
	r = mwplt_add(watched, 2);
	watched = r;
	r = mwplt_twice(watched);
	watched = r;
	r = mwplt_add(r, 1);
	printf("watched=%d r=%d\n", watched, r);
	return 0;
}

/* Refers to the library's variable: a copy relocation (case plt-object). */
__attribute__((used)) static int *mwplt_uses(void)
{
	return &mwplt_shared;
}

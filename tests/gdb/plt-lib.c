/* SPDX-License-Identifier: MIT */
/*
 * plt-lib.c - the shared library tests/gdb/plt calls through lazily bound
 * PLT entries.  The scripts name line numbers of this file: keep them.
 */
#pragma GCC optimize("O1")
#include "plt-lib.h"

__attribute__((noipa)) int mwplt_add(int a, int b)
{
	int s = a + b;

	return s;
}

__attribute__((noipa)) int mwplt_twice(int a)
{
	return 2 * a;
}

/* A variable the program refers to (plt.c): its copy relocation puts the
 * program's copy in the program's .bss, the one every object's code uses;
 * this definition is preempted.  And a static named as the program's
 * global `watched`, as ld.so has an environ of its own besides libc's
 * (case plt-object). */
int mwplt_shared = 7;
__attribute__((used)) static int watched = 5;

int *mwplt_own(void)
{
	return &watched;
}

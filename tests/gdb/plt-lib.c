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

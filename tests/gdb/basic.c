/* SPDX-License-Identifier: MIT */
/*
 * basic.c - the target of the basic-*.gdb cases: plain stores,
 * read-modify-writes and reads of globals, each in its own function.
 * Not linked with libmemwatch: memwatch.gdb preloads it.  The scripts
 * name line numbers of this file: keep them when editing.
 */
#pragma GCC optimize("O1") /* the stops must not depend on configure's CFLAGS */
#include <stdio.h>

struct cfg {
	int a;
	long b;
	char name[8];
};

struct cfg g_cfg;
int counter;
int table[16];

__attribute__((noipa)) static void bump(int n)
{
	counter += n;
}

__attribute__((noipa)) static void set_b(long v)
{
	g_cfg.b = v;
}

__attribute__((noipa)) static int get(void)
{
	return counter;
}

__attribute__((noipa)) static void fill(int v)
{
	for (int i = 0; i < 16; i++)
		table[i] = v + i;
}

/* Where the scripts look at the watches before the program ends. */
__attribute__((noipa)) static void done(void)
{
	__asm__ volatile("" ::: "memory");
}

int main(void)
{
	int v;

	bump(1);
	set_b(7);
	v = get();
	fill(v);
	bump(2);
	g_cfg.a = get() + table[15];
	done();
	printf("counter=%d a=%d b=%ld table[15]=%d\n", counter, g_cfg.a, g_cfg.b, table[15]);
	return 0;
}

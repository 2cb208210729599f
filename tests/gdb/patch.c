/* SPDX-License-Identifier: MIT */
/*
 * patch.c - the target of the patch-*.gdb cases: stores run often enough
 * that their sites are patched (MEMWATCH_PATCH_AFTER, 4 by default), then
 * watched through their stubs: store()'s two (`watched`, and `other`, its
 * neighbour on the page), each six bytes long.  With the argument `crash`,
 * then a genuine crash at put()'s site, patched too: a store through a NULL
 * pointer (at address 0x100); with `short`, poke()'s store of two bytes
 * (not patched under GDB).  Not linked with libmemwatch.  The scripts
 * name line numbers of this file: keep them.
 */
#pragma GCC optimize("O1") /* the stops must not depend on configure's CFLAGS */
#include <stddef.h>
#include <stdio.h>

struct big {
	char pad[256];
	int x;
};

volatile int watched;
int other;
struct big *volatile where;

__attribute__((noipa)) static void store(int v)
{
	watched = v;
	other += v;
}

__attribute__((noipa)) static void put(struct big *b, int v)
{
	b->x = v;
}

__attribute__((noipa)) static void poke(volatile int *p, int v)
{
	*p = v;
}

__attribute__((noipa)) static void done(void)
{
	__asm__ volatile("" ::: "memory");
}

int main(int argc, char **argv)
{
	for (int i = 1; i <= 20; i++)
		store(i);
	done();
	for (int i = 21; i <= 30; i++)
		store(i);
	done();
	if (argc > 1 && argv[1][0] == 's') {
		for (int i = 41; i <= 50; i++)
			poke(&watched, i);
		done();
	}
	if (argc > 1 && argv[1][0] == 'c') {
		where = (struct big *)((char *)&watched - offsetof(struct big, x));
		for (int i = 31; i <= 40; i++)
			put(where, i);
		done();
		where = NULL;
		put(where, 41);
	}
	printf("watched=%d other=%d\n", watched, other);
	return 0;
}

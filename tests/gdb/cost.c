/* SPDX-License-Identifier: MIT */
/*
 * cost.c - the target of cost.gdb: a cold variable whose page neighbour
 * is written 1500 times, then 3000 getppid(2) calls, twice.  Not linked with
 * libmemwatch: memwatch.gdb preloads it.  The script names line numbers of
 * this file: keep them when editing.
 */
#pragma GCC optimize("O1") /* the stops must not depend on configure's CFLAGS */
#include <sys/syscall.h>
#include <unistd.h>

struct page {
	int cold;
	int pad[15];
	volatile int hot;
	char rest[4096 - 68];
};

struct page pg __attribute__((aligned(4096)));

__attribute__((noipa)) static void bump(long n)
{
	for (long i = 0; i < n; i++)
		pg.hot++;
}

__attribute__((noipa)) static void calls(long n)
{
	for (long i = 0; i < n; i++)
		syscall(SYS_getppid);
}

__attribute__((noipa)) static void done(void)
{
}

int main(void)
{
	bump(1500);
	calls(3000);
	done();
	calls(3000);
	done();
	pg.cold = 1;
	return 0;
}

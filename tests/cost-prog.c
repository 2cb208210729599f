/* SPDX-License-Identifier: MIT */
/*
 * cost-prog.c - the program t-cost-cli.sh runs under the memwatch command
 * (not linked with memwatch): `cost-prog N M` writes `pg.hot`, the
 * neighbour of `pg.cold` on a page of their own, N times, then calls
 * getppid(2) M times, then writes `pg.cold` once.  The line marked
 * "line:hot" is the one the test expects named.
 */
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

struct page {
	int cold;
	int pad[15];
	int hot;
	char rest[4096 - 68];
};

struct page pg __attribute__((aligned(4096)));

__attribute__((noipa)) static void bump(volatile int *p, long n)
{
	for (long i = 0; i < n; i++)
		(*p)++;                 /* line:hot */
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 0, m = argc > 2 ? atol(argv[2]) : 0;

	bump(&pg.hot, n);
	for (long i = 0; i < m; i++)
		syscall(SYS_getppid);
	pg.cold = 1;
	return 0;
}

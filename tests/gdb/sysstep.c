/* SPDX-License-Identifier: MIT */
/* A system call site of the program's own (a raw syscall after a five-byte
 * mov, as glibc's): called often enough to be patched, then stepped over,
 * into and through under GDB (sysstep-*.gdb). */
#pragma GCC optimize("O1")
#include <stdio.h>
#include <unistd.h>

static char page[4096] __attribute__((aligned(4096)));
static int fds[2];
static char got[8];

__attribute__((noinline)) static long sys_write(long fd, const void *p, long n)
{
	long r;

	__asm__ volatile("mov $1, %%eax\n\tsyscall" : "=a"(r) : "D"(fd), "S"(p), "d"(n) : "rcx", "r11", "memory");
	return r;
}

int main(void)
{
	long sum = 0;

	if (pipe(fds))
		return 1;
	page[0] = 1;
	for (int i = 0; i < 20; i++)
		sum += sys_write(fds[1], "x", 1) + read(fds[0], got, 1);
	sum += sys_write(fds[1], "y", 1);
	sum += sys_write(fds[1], "z", 1);
	sum += read(fds[0], got, 2);
	printf("%ld %c%c %d\n", sum, got[0], got[1], page[0]);
	return 0;
}

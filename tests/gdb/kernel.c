/* SPDX-License-Identifier: MIT */
/*
 * kernel.c - the target of kernel-*.gdb: a read(2) into a global buffer
 * (the kernel writes it), and a local variable the function changes.  Not
 * linked with libmemwatch.  The scripts name line numbers of this file.
 */
#pragma GCC optimize("O1") /* the stops must not depend on configure's CFLAGS */
#include <stdio.h>
#include <unistd.h>

char inbuf[16];

/* read(2) made right here, not in the C library: the log names this
 * function whether or not the library has debugging information. */
__attribute__((noipa)) static void fill(int fd)
{
	long r;

	__asm__ volatile("syscall" : "=a"(r) : "0"(0L), "D"((long)fd), "S"(inbuf), "d"(5L)
			 : "rcx", "r11", "memory");
	if (r != 5)
		inbuf[0] = '?';
}

__attribute__((noipa)) static void done(void)
{
	__asm__ volatile("" ::: "memory");
}

__attribute__((noipa)) static int count(int n)
{
	volatile int local = 0;

	for (int i = 0; i < n; i++)
		local += i;
	return local;
}

int main(void)
{
	int fds[2];

	if (pipe(fds) || write(fds[1], "hello", 5) != 5)
		return 1;
	fill(fds[0]);
	printf("%.5s %d\n", inbuf, count(3));
	done();
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * attach.c - the target of attach.gdb: a process GDB attaches to (memwatch
 * is dlopen'ed into it then).  Once GDB sets `armed`, it writes a global
 * every 20 ms.  It ends by itself after about 20 s, in case nobody kills
 * it.  Not linked with libmemwatch.
 */
#pragma GCC optimize("O1") /* the stops must not depend on configure's CFLAGS */
#include <stdio.h>
#include <unistd.h>

int ticks;
volatile int armed;

__attribute__((noipa)) static void tick(void)
{
	ticks++;
}

int main(void)
{
	for (int i = 0; i < 1000; i++) {
		usleep(20000);
		if (armed)
			tick();
	}
	printf("ticks=%d\n", ticks);
	return 0;
}

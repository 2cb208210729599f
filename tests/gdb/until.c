/* SPDX-License-Identifier: MIT */
/*
 * until.c - the target of until-*.gdb: a loop whose body writes globals
 * on one page, and `until` at the loop's last line.  Not linked with
 * libmemwatch.  The scripts name line numbers of this file.
 */
#pragma GCC optimize("O1") /* the stops must not depend on configure's CFLAGS */

volatile int first, second, third;
int untouched;

__attribute__((noipa)) static void marker(void)
{
	__asm__ volatile("" ::: "memory");
}

int main(void)
{
	int n;

	for (n = 0; n < 4; n++) {
		first = n;
		second = n; third = n;
	}
	first = n; /* after the loop */
	marker();
	return 0;
}

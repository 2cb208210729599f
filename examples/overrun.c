/* SPDX-License-Identifier: MIT */
/*
 * overrun.c - a string copy that runs one byte into the struct next to it.
 *
 * A plain program, not linked with memwatch.  It sets up an account with a
 * quota of 1000000 bytes, then stores the login name it is given.  With a
 * login of 16 characters or more, the quota printed at the end is 999936:
 * nothing in the program writes the quota after setting it.  Who does?
 * The hunt with the memwatch command is in examples/README.md:
 *
 *     memwatch -w acct+16:16 -- examples/overrun margaret.hamilton
 *
 * Usage: overrun LOGIN
 */
#include <stdio.h>
#include <string.h>

struct quota {
	unsigned long max_bytes;
	unsigned long max_files;
};

/* The login, then its quota, right after it in memory (offset 16). */
struct account {
	char login[16];
	struct quota quota;
};

static struct account acct;

__attribute__((noipa)) static void set_quota(struct quota *q)
{
	q->max_bytes = 1000000;
	q->max_files = 100;
}

__attribute__((noipa)) static void set_login(struct account *a, const char *s)
{
	size_t n = strlen(s);

	if (n > sizeof(a->login))       /* the bug: no room left for the '\0' */
		n = sizeof(a->login);
	memcpy(a->login, s, n);
	a->login[n] = '\0';             /* overrun: the NUL */
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: overrun LOGIN\n");
		return 2;
	}
	set_quota(&acct.quota);
	set_login(&acct, argv[1]);
	printf("%.16s: quota %lu bytes, %lu files\n", acct.login, acct.quota.max_bytes,
	       acct.quota.max_files);
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * uaf.c - a use-after-free: a session is freed at logout, its memory goes
 * to the next session, and a stale pointer to the first one is still
 * written through.
 *
 * A plain program, not linked with memwatch.  Two users log in one after
 * the other; the second one, bob (uid 1001), comes out with uid 0, root's.
 * The hunt, in GDB, is in examples/README.md and examples/uaf.gdb:
 *
 *     gdb -q -batch -x gdbsupport/memwatch-build.gdb -x examples/uaf.gdb examples/uaf
 */
#include <stdio.h>
#include <stdlib.h>

struct session {
	char user[16];
	int uid;
	int logged_in;
};

/* Sessions that ended, to be anonymized in the audit trail. */
static struct session *ended[8];
static int nended;

__attribute__((noipa)) static struct session *login(const char *user, int uid)
{
	struct session *s = malloc(sizeof(*s));

	if (!s)
		exit(1);
	snprintf(s->user, sizeof(s->user), "%s", user);
	s->uid = uid;
	s->logged_in = 1;
	return s;
}

__attribute__((noipa)) static void logout(struct session *s)
{
	s->logged_in = 0;
	ended[nended++] = s;            /* kept for anonymize_ended() ... */
	free(s);                        /* ... and freed: the bug */
}

__attribute__((noipa)) static void anonymize_ended(void)
{
	for (int i = 0; i < nended; i++)
		ended[i]->uid = 0;      /* through a pointer to freed memory */
	nended = 0;
}

int main(void)
{
	struct session *alice = login("alice", 1000);
	struct session *bob;

	logout(alice);
	bob = login("bob", 1001);       /* malloc gives bob alice's memory */
	anonymize_ended();
	printf("%s: uid %d\n", bob->user, bob->uid);
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * t-replaced.c - the program unmaps watched memory and maps something else
 * at the same address: the library never touches the new mapping (no
 * restored old contents, no stale protection); the watch ended when its
 * memory went away, so mw_unwatch says ENOENT.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "memwatch.h"
#include "tap.h"
#include "dispatch.h"

int main(void)
{
	size_t len = 4 * 4096;
	unsigned char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), *q;
	int id, other, good = 1;
	uint64_t c = 99;

	plan(8);
	if (p == MAP_FAILED)
		bail("mmap failed");
	memset(p, 0x11, len);
	id = mw_watch(p + 4096, 100, MW_ACCESS);
	ok(id > 0, "a read-write watch inside a 4-page mapping");
	p[4096] = 0x22;

	/* free()-like: the program gives the pages back, then gets new
	 * memory at the same address with other contents. */
	is_int(munmap(p, len), 0, "the program unmaps the watched pages");
	q = mmap(p, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	if (q != p)
		bail("could not map again at the same address");
	memset(q, 0x33, len);

	if (dispatch_off())
		is_int(mw_unwatch(id), 0, "mw_unwatch of the watch whose memory went away "
		       "(no system call dispatch: the munmap was not seen)");
	else
		is_int(mw_unwatch(id), -ENOENT, "mw_unwatch of the watch whose memory went away: "
		       "it ended with the munmap");
	for (size_t i = 0; i < len; i++)
		if (q[i] != 0x33)
			good = 0;
	ok(good, "the new mapping keeps its own contents (0x33), not the old ones");
	q[4096] = 0x44;         /* readable and writable: no stale PROT_NONE */
	ok(q[4096] == 0x44 && q[4100] == 0x33, "and its own protection: read and write work");
	is_int(mw_count(id, &c), -ENOENT, "the watch is gone");

	other = mw_watch(q + 4096, 8, MW_WRITE);
	ok(other > 0, "the new memory can be watched");
	q[4097] = 0x55;
	mw_count(other, &c);
	ok(c == 1 && q[4097] == 0x55 && mw_unwatch(other) == 0,
	   "and the new watch counts its store (%llu) and ends", (unsigned long long)c);
	return done();
}

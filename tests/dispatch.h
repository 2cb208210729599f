/* SPDX-License-Identifier: MIT */
/*
 * dispatch.h - whether the library dispatches system calls in this run
 * (memwatch(3), "System calls").  The sanitizer builds turn it off with
 * MEMWATCH_SYSCALLS=0 (tests/sanitizers.mk).  Include after tap.h.
 */
#ifndef MW_TEST_DISPATCH_H
#define MW_TEST_DISPATCH_H

#include <stdlib.h>
#include <string.h>

static inline int dispatch_off(void)
{
	const char *e = getenv("MEMWATCH_SYSCALLS");

	return e && strcmp(e, "0") == 0;
}

/* For the tests of dispatch itself. */
static inline void need_dispatch(void)
{
	if (dispatch_off())
		skip_all("MEMWATCH_SYSCALLS=0: no system call dispatch, which this test needs");
}

#endif /* MW_TEST_DISPATCH_H */

/* SPDX-License-Identifier: MIT */
/*
 * env.c - MEMWATCH_* variables, ignored in secure execution (see env.h).
 * [thread]: at load, and before the first watch (environ not watched yet).
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

#include "base/env.h"

extern char **environ;

static atomic_flag said = ATOMIC_FLAG_INIT;

int mw_env_secure(void)
{
	return getauxval(AT_SECURE) != 0;
}

const char *mw_env(const char *name)
{
	static const char msg[] = "memwatch: secure execution (set-user-ID, set-group-ID or "
		"capabilities): the MEMWATCH_* variables are ignored\n";

	if (!mw_env_secure())
		return getenv(name);
	/* Once per process, whichever variable is asked for first. */
	if (!atomic_flag_test_and_set(&said))
		for (char **ep = environ; ep && *ep; ep++)
			if (!strncmp(*ep, "MEMWATCH_", 9)) {
				ssize_t w = write(2, msg, sizeof(msg) - 1);

				(void)w;
				break;
			}
	return NULL;
}

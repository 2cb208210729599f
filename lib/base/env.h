/* SPDX-License-Identifier: MIT */
/*
 * env.h - the library's environment variables (MEMWATCH_*), read through
 * one door.                                                      [thread]
 *
 * In secure execution (getauxval(AT_SECURE): a set-user-ID or
 * set-group-ID program, file capabilities, an LSM transition) the
 * environment is the unprivileged caller's: MEMWATCH_LOG would have the
 * privileged program write its memory to a file of the caller's choosing,
 * MEMWATCH_SHARE_FD into a descriptor the caller holds.  There, as glibc
 * with MALLOC_* (secure_getenv), every MEMWATCH_* variable is ignored, and
 * the library says so once on stderr if one was set.
 */
#ifndef MW_ENV_H
#define MW_ENV_H

/* The value of NAME (a MEMWATCH_* variable), or NULL: unset, or secure
 * execution. */
const char *mw_env(const char *name);

/* Nonzero in secure execution. */
int mw_env_secure(void);

#endif /* MW_ENV_H */

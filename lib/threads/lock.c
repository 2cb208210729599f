/* SPDX-License-Identifier: MIT */
/*
 * lock.c - the library lock (see lock.h).
 * [thread]: pthread_mutex_*, mw_thread_hold.  mw_lock_held: a TLS read.
 */
#include <pthread.h>

#include "threads/lock.h"
#include "threads/perthread.h"
#include "watch/table.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

void mw_lock(void)
{
	pthread_mutex_lock(&lock);
	mw_table_writer = 1;
	mw_thread_hold(1);
}

void mw_lock_nohold(void)
{
	pthread_mutex_lock(&lock);
	mw_table_writer = 1;
}

void mw_unlock(void)
{
	mw_thread_hold(0);
	mw_table_writer = 0;
	pthread_mutex_unlock(&lock);
}

void mw_unlock_nohold(void)
{
	mw_table_writer = 0;
	pthread_mutex_unlock(&lock);
}

int mw_lock_try(void)
{
	if (pthread_mutex_trylock(&lock) != 0)
		return 0;
	mw_table_writer = 1;
	mw_thread_hold(1);
	return 1;
}

int mw_lock_held(void)
{
	return mw_table_writer;
}

/* SPDX-License-Identifier: MIT */
/*
 * threads.c - the target of threads-*.gdb: two threads write watched
 * memory, first taking turns (so that the stops come in a known order),
 * then concurrently (atomic increments: the count must be exact).  Not
 * linked with libmemwatch.  The scripts name line numbers of this file.
 */
#pragma GCC optimize("O1") /* the stops must not depend on configure's CFLAGS */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>

#define ROUNDS 2
#define ADDS 500

int slots[2];
long total;
static atomic_int turn = -1; /* not watched: whose write is next */
static atomic_int go;        /* not watched: start the increments */

__attribute__((noipa)) static void phase2(void)
{
	atomic_store(&go, 1);
}

__attribute__((noipa)) static void done(void)
{
	__asm__ volatile("" ::: "memory");
}

static void *worker(void *arg)
{
	int me = (int)(long)arg;

	for (int k = 0; k < ROUNDS; k++) {
		while (atomic_load(&turn) != 2 * k + me)
			sched_yield();
		slots[me] = 10 * (me + 1) + k;
		atomic_store(&turn, 2 * k + me + 1);
	}
	while (!atomic_load(&go))
		sched_yield();
	for (int k = 0; k < ADDS; k++)
		__atomic_fetch_add(&total, 1, __ATOMIC_RELAXED);
	return NULL;
}

int main(void)
{
	pthread_t t[2];

	for (long i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, worker, (void *)i);
	atomic_store(&turn, 0);
	while (atomic_load(&turn) != 2 * ROUNDS)
		sched_yield();
	phase2();
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	done();
	printf("slots=%d,%d total=%ld\n", slots[0], slots[1], total);
	return 0;
}

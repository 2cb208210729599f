/* SPDX-License-Identifier: MIT */
/*
 * threads.c - which thread corrupts this struct?
 *
 * A plain program, not linked with memwatch.  Two worker threads count
 * requests and bytes in a shared struct, under the mutex that lives in
 * that struct; a reporter thread prints the totals now and then.  At the
 * end the byte count is far below what the workers added, though every
 * worker adds under the lock.  The hunt with the memwatch command is in
 * examples/README.md:
 *
 *     memwatch --map -w stats -- examples/threads
 *     memwatch -w stats+48:8 -- examples/threads
 */
#include <pthread.h>
#include <stdio.h>

#define WORKERS 2
#define REQUESTS 100
#define BYTES_PER_REQUEST 2048

/* The mutex (40 bytes), then the counters: requests at +40, bytes at +48. */
struct stats {
	pthread_mutex_t lock;
	unsigned long requests;
	unsigned long bytes;
};

static struct stats stats = { PTHREAD_MUTEX_INITIALIZER, 0, 0 };
static pthread_barrier_t halfway;

__attribute__((noipa)) static void count(unsigned long bytes)
{
	pthread_mutex_lock(&stats.lock);
	stats.requests++;
	stats.bytes += bytes;           /* under the lock */
	pthread_mutex_unlock(&stats.lock);
}

static void *worker(void *arg)
{
	(void)arg;
	for (int i = 0; i < REQUESTS; i++) {
		if (i == REQUESTS / 2)
			pthread_barrier_wait(&halfway);
		count(BYTES_PER_REQUEST);
	}
	return NULL;
}

__attribute__((noipa)) static void report(void)
{
	/* The bug: "in KiB" converts the shared counter in place. */
	stats.bytes /= 1024;
	printf("so far: %lu requests, %lu KiB\n", stats.requests, stats.bytes);
}

static void *reporter(void *arg)
{
	(void)arg;
	pthread_barrier_wait(&halfway);
	report();
	return NULL;
}

int main(void)
{
	pthread_t t[WORKERS + 1];

	pthread_barrier_init(&halfway, NULL, WORKERS + 1);
	for (int i = 0; i < WORKERS; i++)
		pthread_create(&t[i], NULL, worker, NULL);
	pthread_create(&t[WORKERS], NULL, reporter, NULL);
	for (int i = 0; i <= WORKERS; i++)
		pthread_join(t[i], NULL);
	printf("total: %lu requests, %lu bytes (expected %lu)\n", stats.requests,
	       stats.bytes, (unsigned long)WORKERS * REQUESTS * BYTES_PER_REQUEST);
	return 0;
}

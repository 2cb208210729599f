/* SPDX-License-Identifier: MIT */
/*
 * trace-prog.c - the program of t-trace-cli.sh and t-trace-gdb.sh: known
 * accesses from three threads to tr_slots (16 bytes), one thread after the
 * other, then tr_done() with all three alive (for GDB's thread names).  Not
 * linked with memwatch.
 *
 * In order:
 *   main      writes tr_slots[0] = 0x11223344, reads it back
 *   writer    (thread named W_NAME: a quote, a backslash, a control
 *             character and a byte that is not UTF-8) writes
 *             tr_slots[1] = 0xa0, 0xa1, 0xa2
 *   reader    (named "reader") reads tr_slots[1]
 *   main      tr_slots[2] += 5 (one read-modify-write: 7 -> 12), then
 *             writes the 8 bytes of tr_slots[2..3] at once
 *             (0x0000000400000003), and read(2)s 4 bytes "!\"#$" from a
 *             pipe into tr_slots[3] (the kernel writes them: 4 -> 0x24232221)
 * and prints "TIDS MAIN WRITER READER" (gettid) on standard output.  With
 * a watch of every access to tr_slots that is 9 records.
 */
#include <pthread.h>
#include <semaphore.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

#pragma GCC optimize("O1")

#define W_NAME "wr\"it\\er\x01\xff"

void tr_start(void);
void tr_done(void);

volatile uint32_t tr_slots[4] = { 0, 0, 7, 0 };
static pid_t tids[3];
static sem_t done_accessing, finish;  /* threads live on until tr_done */

/* A breakpoint for GDB: watching starts here, at the first access. */
void __attribute__((noinline)) tr_start(void)
{
	__asm__ volatile("" ::: "memory");
}

/* ... and ends here. */
void __attribute__((noinline)) tr_done(void)
{
	__asm__ volatile("" ::: "memory");
}

static void *writer(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), W_NAME);
	tids[1] = (pid_t)syscall(SYS_gettid);
	for (uint32_t i = 0; i < 3; i++)
		tr_slots[1] = 0xa0 + i;
	sem_post(&done_accessing);
	sem_wait(&finish);
	return NULL;
}

static void *reader(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "reader");
	tids[2] = (pid_t)syscall(SYS_gettid);
	*(volatile uint32_t *)arg = tr_slots[1];
	sem_post(&done_accessing);
	sem_wait(&finish);
	return NULL;
}

int main(void)
{
	pthread_t w, r;
	uint32_t got = 0, back;
	uint64_t both = 0x0000000400000003ull;
	int fds[2];

	tids[0] = (pid_t)syscall(SYS_gettid);
	tr_start();
	tr_slots[0] = 0x11223344;
	back = tr_slots[0];
	sem_init(&done_accessing, 0, 0);
	sem_init(&finish, 0, 0);
	if (pthread_create(&w, NULL, writer, NULL))
		return 1;
	sem_wait(&done_accessing);
	if (pthread_create(&r, NULL, reader, &got))
		return 1;
	sem_wait(&done_accessing);
	/* One instruction each: an add to memory, an 8-byte store. */
	__asm__ volatile("addl $5, %0" : "+m"(tr_slots[2]));
	__asm__ volatile("movq %1, %0" : "=m"(*(volatile uint64_t *)&tr_slots[2]) : "r"(both));
	if (pipe(fds) || write(fds[1], "!\"#$", 4) != 4 || read(fds[0], (void *)&tr_slots[3], 4) != 4)
		return 1;
	tr_done();
	sem_post(&finish);
	sem_post(&finish);
	pthread_join(w, NULL);
	pthread_join(r, NULL);
	printf("TIDS %d %d %d\n", tids[0], tids[1], tids[2]);
	return back == 0x11223344 && got == 0xa2 ? 0 : 2;
}

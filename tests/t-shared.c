/* SPDX-License-Identifier: MIT */
/*
 * t-shared.c - watching shared memory: a MAP_SHARED file mapping, a memfd,
 * POSIX shared memory mapped twice, anonymous shared memory with another
 * process.  The other side (another view, another process, the file) sees
 * every write made through the watch, the watch sees this process's
 * accesses, and unwatching leaves the data and the sharing as they were.
 * Each section runs in a child of its own (section.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "memwatch.h"
#include "tap.h"
#include "section.h"

static uint64_t count_of(int id)
{
	uint64_t c = 0;

	if (mw_count(id, &c))
		return UINT64_MAX;
	return c;
}

/* A MAP_SHARED mapping of a file: writes reach the file. */
static void sec_file(void)
{
	char path[] = "/tmp/t-shared-XXXXXX";
	int fd = mkstemp(path);
	volatile char *m;
	char back[16] = "";
	int id;

	if (fd < 0 || ftruncate(fd, 2 * 4096))
		bail("mkstemp: %s", strerror(errno));
	unlink(path);
	m = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		bail("mmap: %s", strerror(errno));
	memcpy((char *)m + 100, "before", 6);
	id = mw_watch((const void *)(m + 100), 16, MW_ACCESS);
	ok(id > 0, "mw_watch of a MAP_SHARED file mapping (%d)", id);
	m[100] = 'B';
	m[101] = 'E';
	ok(m[102] == 'f', "a read through the watch");
	is_u64(count_of(id), 3, "two writes and a read counted");
	ok(pread(fd, back, 6, 100) == 6 && memcmp(back, "BEfore", 6) == 0,
	   "the file has the watched writes (read back with pread)");
	ok(pwrite(fd, "XY", 2, 104) == 2 && m[104] == 'X' && m[105] == 'Y',
	   "a write to the file shows through the watch");
	is_int(mw_unwatch(id), 0, "mw_unwatch");
	m[106] = 'Z';
	ok(pread(fd, back, 8, 100) == 8 && memcmp(back, "BEfoXYZ", 7) == 0,
	   "after unwatching the file and the mapping still agree, data intact");
	close(fd);
}
#define N_FILE 7

/* A memfd and POSIX shared memory, each mapped twice in this process: the
 * unwatched view sees the watched one's writes and the other way round. */
static void two_views(const char *what, int fd)
{
	volatile uint32_t *a, *b;
	int id;

	if (ftruncate(fd, 4096))
		bail("ftruncate: %s", strerror(errno));
	a = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	b = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (a == MAP_FAILED || b == MAP_FAILED)
		bail("mmap: %s", strerror(errno));
	id = mw_watch((const void *)a, 64, MW_WRITE);
	a[3] = 0xfeed;
	ok(b[3] == 0xfeed, "%s: the other view sees a watched write", what);
	b[4] = 0xbeef;
	ok(a[4] == 0xbeef, "%s: the watched view sees the other view's write", what);
	__atomic_fetch_add(&a[5], 7, __ATOMIC_SEQ_CST);
	ok(b[5] == 7, "%s: an atomic add through the watch", what);
	is_u64(count_of(id), 2, "%s: the watch counted its two writes", what);
	mw_unwatch(id);
	a[6] = 1;
	ok(b[6] == 1 && b[3] == 0xfeed, "%s: still shared after mw_unwatch", what);
}

static void sec_memfd(void)
{
	int fd = memfd_create("t-shared", 0);

	if (fd < 0)
		bail("memfd_create: %s", strerror(errno));
	two_views("memfd", fd);
}

static void sec_shm(void)
{
	char name[64];
	int fd;

	snprintf(name, sizeof(name), "/t-shared-%d", (int)getpid());
	fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
	if (fd < 0)
		bail("shm_open: %s", strerror(errno));
	shm_unlink(name);
	two_views("POSIX shm", fd);
}
#define N_VIEWS 5

/* Anonymous shared memory and a process forked before the watch: it sees
 * this process's watched writes, and this process sees its writes. */
static void sec_process(void)
{
	volatile uint32_t *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int go[2], back[2], st = 0, id;
	char c;
	pid_t pid;

	if (m == MAP_FAILED || pipe(go) || pipe(back))
		bail("mmap/pipe: %s", strerror(errno));
	pid = fork();
	if (pid == 0) {
		/* The other process: waits for the value, answers with its own. */
		if (read(go[0], &c, 1) != 1)
			_exit(2);
		int seen = m[1] == 1234;
		m[2] = 5678;
		write(back[1], "x", 1);
		_exit(seen ? 0 : 3);
	}
	id = mw_watch((const void *)m, 16, MW_ACCESS);
	m[1] = 1234;
	write(go[1], "x", 1);
	read(back[0], &c, 1);
	ok(m[2] == 5678, "the watched view sees the other process's write");
	waitpid(pid, &st, 0);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	   "the other process saw the watched write (status %#x)", st);
	is_u64(count_of(id), 2, "this process's write and read counted, not the other's");
	mw_unwatch(id);
}
#define N_PROCESS 3

/* A read-only shared mapping of a file opened read-only: reads are
 * watched; a write stays the fault it was. */
static void sec_readonly(void)
{
	char path[] = "/tmp/t-shared-ro-XXXXXX";
	int fd = mkstemp(path), rfd, id;
	volatile const char *m;

	if (fd < 0 || pwrite(fd, "read only data", 14, 0) != 14)
		bail("mkstemp: %s", strerror(errno));
	rfd = open(path, O_RDONLY);
	unlink(path);
	m = mmap(NULL, 4096, PROT_READ, MAP_SHARED, rfd, 0);
	if (m == MAP_FAILED)
		bail("mmap: %s", strerror(errno));
	id = mw_watch((const void *)m, 14, MW_READ);
	ok(id > 0 && m[0] == 'r' && m[5] == 'o', "reads of a read-only shared mapping");
	is_u64(count_of(id), 2, "counted");
	close(fd);
	close(rfd);
}
#define N_READONLY 2

int main(void)
{
	plan(N_FILE + 2 * N_VIEWS + N_PROCESS + N_READONLY + 5);
	run_section("MAP_SHARED file", N_FILE, sec_file);
	run_section("memfd", N_VIEWS, sec_memfd);
	run_section("POSIX shm", N_VIEWS, sec_shm);
	run_section("another process", N_PROCESS, sec_process);
	run_section("read-only", N_READONLY, sec_readonly);
	return done();
}

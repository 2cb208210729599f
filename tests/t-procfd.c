/* SPDX-License-Identifier: MIT */
/*
 * t-procfd - the library keeps /proc/self/maps, pagemap and stat open
 * between watches (lib/base/procfd.h), and the memfd its watched pages
 * move into, from the first watch on (lib/watch/pool.h), and libunwind keeps a
 * pipe once a backtrace needed it; the program must not notice: its open(2)s get the
 * numbers they would get without the library, closing or replacing the
 * library's descriptors is harmless to both, and a forked child watches
 * its own mappings, not its parent's.  (Without system call dispatch the
 * library cannot move libunwind's pipe: the numbering checks skip.)
 */
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "memwatch.h"
#include "tap.h"
#include "dispatch.h"

/* Watch and unwatch a fresh page; 1 if both worked and one store counted. */
static int cycle(void)
{
	char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t c = 0;
	int id, good;

	if (p == MAP_FAILED)
		return 0;
	p[0] = 1;
	id = mw_watch(p, 4096, MW_WRITE);
	if (id <= 0)
		return 0;
	p[9] = 2;
	good = mw_count(id, &c) == 0 && c == 1 && mw_unwatch(id) == 0 && p[0] == 1 && p[9] == 2;
	munmap(p, 4096);
	return good;
}

/* How many descriptors are open in [lo, hi). */
static int count_fds(int lo, int hi)
{
	int n = 0;

	for (int fd = lo; fd < hi; fd++)
		n += fcntl(fd, F_GETFD) >= 0;
	return n;
}

int main(void)
{
	int before, again, fd, st = 0, low = count_fds(3, 900);
	char b[8];
	pid_t pid;

	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 1024)
		skip_all("RLIMIT_NOFILE is %llu: the library keeps no descriptors at 900 and above",
			 (unsigned long long)rl.rlim_cur);
	plan(8);
	before = open("/dev/null", O_RDONLY);
	close(before);
	ok(cycle(), "a watch and an unwatch, with a backtrace");
	again = open("/dev/null", O_RDONLY);
	if (dispatch_off()) {
		ok(1, "# SKIP MEMWATCH_SYSCALLS=0");
		ok(1, "# SKIP MEMWATCH_SYSCALLS=0");
	} else {
		ok(again == before, "the program's next open gets the same number: %d (%d before)",
		   again, before);
		/* /proc/self/maps and /proc/self/stat, the memfd kept for
		 * the next watch and libunwind's pipe (a watch of a page reads
		 * no pagemap). */
		ok(count_fds(3, 900) == low + 1 && count_fds(900, 1024) == 5,
		   "the library's 5 descriptors are at 900 and above (%d new below, %d there)",
		   count_fds(3, 900) - low - 1, count_fds(900, 1024));
	}
	close(again);

	/* A program that closes every descriptor (a daemon, say). */
	for (fd = 3; fd < 1024; fd++)
		close(fd);
	ok(cycle() && count_fds(3, 900) == 0,
	   "after the program closed all descriptors, watching still works, and takes none low");

	/* One that puts a file of its own at the library's number. */
	for (fd = 900; fd < 1024 && fcntl(fd, F_GETFD) < 0; fd++)
		;
	int mine = open("/dev/zero", O_RDONLY);
	ok(fd < 1024 && mine >= 0 && dup2(mine, fd) == fd, "the program dup2s /dev/zero onto %d", fd);
	ok(cycle() && read(fd, b, sizeof(b)) == (ssize_t)sizeof(b) && b[0] == 0 &&
	   fcntl(fd, F_GETFD) >= 0,
	   "watching still works, and the program's descriptor is its own, still open");

	/* A child watches memory it mapped itself, which its parent does not
	 * have: with the parent's maps it would be refused. */
	pid = fork();
	if (pid == 0)
		_exit(cycle() && cycle() ? 0 : 1);
	ok(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	   "a forked child watches its own new mappings (status %#x)", st);
	ok(cycle(), "and so does the parent, after");
	return done();
}

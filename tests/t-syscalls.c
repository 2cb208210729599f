/* SPDX-License-Identifier: MIT */
/*
 * t-syscalls.c - system calls that read or write watched memory behave as
 * without the watch (no EFAULT), and the kernel's accesses are logged as
 * MW_KIND_KERNEL records at the call: read/write, readv/writev,
 * pread/pwrite, send/recv and their msg forms, fstat, getrandom,
 * clock_gettime, poll, epoll_wait, pipe2, nanosleep; calls glibc makes
 * inside (fread into a large watched buffer); a mutex, condvar, rwlock
 * and semaphore in a watched struct shared by threads; threads created
 * before and after the first watch; fork, vfork, posix_spawn and system()
 * while watching; raw clone, clone3 and syscall(SYS_fork) without
 * CLONE_VM; the program's own signal handlers and blocked signal masks; fcntl record locks, statfs, interval timers, sendfile and splice
 * offsets, recvmmsg/sendmmsg, the path calls (under a read watch, a path
 * running into a watched page too), System V messages and semaphores,
 * prctl, mincore, POSIX timers, sigpending; madvise on watched pages
 * (MADV_DONTNEED, MADV_WIPEONFORK and MADV_KEEPONFORK with forked children,
 * MADV_FREE, MADV_POPULATE_*).
 * Each section runs in a child of its own (section.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/msg.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/sem.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/time.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "memwatch.h"
#include "tap.h"
#include "dispatch.h"
#include "section.h"

extern char **environ;

/* Watched objects live on pages of their own. */
static uint8_t area[6][4096] __attribute__((aligned(4096)));

struct krec {
	int n;                  /* kernel records found */
	unsigned kind;          /* of the last one */
	uintptr_t addr;
	uint32_t size;
	uint8_t value[MW_VALUE_MAX];
	uint64_t pc;
};

/* The kernel records of the log overlapping [p, p+n). */
static struct krec kernel_records(const void *p, size_t n)
{
	struct mw_log_cursor cur;
	struct mw_record r;
	struct krec k;

	memset(&k, 0, sizeof(k));
	mw_log_begin(&cur);
	while (mw_log_next(&cur, &r) > 0) {
		if (!(r.kind & MW_KIND_KERNEL))
			continue;
		if (r.addr >= (uintptr_t)p + n || r.addr + r.size <= (uintptr_t)p)
			continue;
		k.n++;
		k.kind = r.kind;
		k.addr = r.addr;
		k.size = r.size;
		k.pc = r.pc;
		memcpy(k.value, r.new_value, r.value_len);
	}
	return k;
}

static int watch(const void *p, size_t n, unsigned kind)
{
	int id = mw_watch(p, n, kind);

	if (id <= 0)
		bail("mw_watch(%p, %zu): %s", p, n, mw_strerror(id));
	return id;
}

/* ------------------------------------------------------------ read, write */

static void sec_read_write(void)
{
	char *buf = (char *)area[0];
	int fds[2];
	const char msg[] = "hello, watched world";
	ssize_t n;
	struct krec k;

	if (pipe(fds))
		bail("pipe: %s", strerror(errno));
	watch(buf + 100, 64, MW_WRITE);
	mw_log_clear();
	n = write(fds[1], msg, sizeof(msg));
	n = read(fds[0], buf + 100, 64);
	is_int(n, (int)sizeof(msg), "read(2) into a write-watched buffer returns the bytes");
	ok(memcmp(buf + 100, msg, sizeof(msg)) == 0, "the bytes are in the buffer");
	k = kernel_records(buf + 100, 64);
	is_int(k.n, 1, "one kernel record");
	is_int(k.kind, MW_KIND_KERNEL | MW_KIND_WRITE, "kind: kernel write");
	ok(k.addr == (uintptr_t)(buf + 100) && k.size == sizeof(msg),
	   "address and size: the %zu bytes read (got %#lx, %u)", sizeof(msg),
	   (unsigned long)k.addr, k.size);
	ok(memcmp(k.value, msg, sizeof(msg)) == 0, "the record's value: the bytes read");
	ok(k.pc != 0, "the record names the call site");

	/* A read- and write-watched buffer: its page is inaccessible. */
	watch(buf + 1000, 32, MW_ACCESS);
	memcpy(buf + 1000, "from a PROT_NONE page", 22);
	mw_log_clear();
	n = write(fds[1], buf + 1000, 22);
	is_int(n, 22, "write(2) from a read-watched buffer");
	char back[32] = "";
	n = read(fds[0], back, sizeof(back));
	ok(n == 22 && memcmp(back, "from a PROT_NONE page", 22) == 0, "the pipe got the bytes");
	k = kernel_records(buf + 1000, 32);
	ok(k.n == 1 && k.kind == (MW_KIND_KERNEL | MW_KIND_READ) && k.size == 22,
	   "one kernel read record of 22 bytes (%d records, kind %u, size %u)", k.n, k.kind,
	   k.size);

	/* Errors stay errors. */
	errno = 0;
	n = read(-1, buf + 100, 8);
	ok(n == -1 && errno == EBADF, "read(-1) into watched memory: EBADF as without the watch");
	close(fds[0]);
	close(fds[1]);
}
#define N_READ_WRITE 11

/* -------------------------------------------------------- vectors, files */

static void sec_vectors(void)
{
	char *w = (char *)area[0];
	char plain[16];
	struct iovec *iov = (struct iovec *)(area[1] + 512);   /* watched too */
	int fds[2];
	char tmpl[] = "/tmp/t-syscalls-XXXXXX";
	int fd = mkstemp(tmpl);
	ssize_t n;

	if (fd < 0 || pipe(fds))
		bail("mkstemp/pipe: %s", strerror(errno));
	unlink(tmpl);
	iov[0] = (struct iovec){ plain, 5 };
	iov[1] = (struct iovec){ w + 4090, 12 };       /* across two pages */
	watch(w + 4000, 96, MW_ACCESS);
	watch(iov, 2 * sizeof(*iov), MW_ACCESS);
	n = write(fds[1], "abcdeFGHIJKLMNOPQ", 17);
	n = readv(fds[0], iov, 2);
	is_int(n, 17, "readv: 17 bytes");
	ok(memcmp(plain, "abcde", 5) == 0 && memcmp(w + 4090, "FGHIJKLMNOPQ", 12) == 0,
	   "into an unwatched and a watched buffer (one crossing a page)");
	n = writev(fds[1], iov, 2);
	is_int(n, 17, "writev from them");
	char back[32] = "";
	n = read(fds[0], back, sizeof(back));
	ok(n == 17 && memcmp(back, "abcdeFGHIJKLMNOPQ", 17) == 0, "the pipe got them in order");

	memcpy(w + 4000, "pwrite me", 9);
	n = pwrite(fd, w + 4000, 9, 100);
	is_int(n, 9, "pwrite from watched memory");
	memset(w + 4010, 0, 9);
	n = pread(fd, w + 4010, 9, 100);
	ok(n == 9 && memcmp(w + 4010, "pwrite me", 9) == 0, "pread into watched memory");

	struct stat *st = (struct stat *)(area[2] + 8), ref;
	watch(st, sizeof(*st), MW_ACCESS);
	ok(fstat(fd, st) == 0 && fstat(fd, &ref) == 0 && st->st_ino == ref.st_ino &&
	   st->st_size == 109 && st->st_mode == ref.st_mode,
	   "fstat into a watched struct stat: the same as into an unwatched one");
	ok(stat("/", st) == 0 && S_ISDIR(st->st_mode), "stat(\"/\") into it");

	/* glibc's own read, inside fread: large reads go straight to the
	 * user's buffer. */
	char *big = (char *)area[3];
	FILE *f = fdopen(fd, "r");
	setvbuf(f, NULL, _IONBF, 0);
	watch(big, 4096, MW_WRITE);
	mw_log_clear();
	rewind(f);
	n = (ssize_t)fread(big + 100, 1, 109, f);
	ok(n == 109 && memcmp(big + 200, "pwrite me", 9) == 0,
	   "fread (glibc's internal read) into a watched buffer");
	struct krec k = kernel_records(big, 4096);
	ok(k.n >= 1 && (k.kind & MW_KIND_KERNEL), "logged as the kernel's (%d records)", k.n);
	fclose(f);
	close(fds[0]);
	close(fds[1]);
}
#define N_VECTORS 10

/* Vectors longer than the 16 entries kept on the signal stack: 40 pieces,
 * the odd ones on two watched pages (four of them 1500 bytes long), the
 * even ones on an unwatched page. */
static void sec_long_vectors(void)
{
	enum { N = 40 };
	char *w = (char *)area[2], *u = (char *)area[4];
	char *ref = mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *back = ref + 32768;
	struct iovec iov[N];
	size_t total = 0, wo = 0, uo = 0, off;
	int fds[2], id, same;
	ssize_t n;
	uint64_t c0 = 0, c1 = 0;
	struct krec k;

	if (pipe(fds) || ref == MAP_FAILED)
		bail("pipe, mmap");
	id = watch(area[2], 2 * 4096, MW_ACCESS);
	for (int i = 0; i < N; i++) {
		size_t len = i % 10 == 3 ? 1500 : 20 + (size_t)i;

		iov[i].iov_base = i & 1 ? w + wo : u + uo;
		iov[i].iov_len = len;
		*(i & 1 ? &wo : &uo) += len;
		memset(iov[i].iov_base, 'A' + i % 26, len);
		memcpy(ref + total, iov[i].iov_base, len);
		total += len;
	}
	mw_count(id, &c0);
	n = writev(fds[1], iov, N);
	mw_count(id, &c1);
	ok(n == (ssize_t)total, "writev of %d pieces, half of them watched: %zd of %zu bytes", N, n,
	   total);
	ok(c1 - c0 == N / 2, "the kernel's reads of the %d watched pieces are counted: %llu", N / 2,
	   (unsigned long long)(c1 - c0));
	n = read(fds[0], back, 32768);
	ok(n == (ssize_t)total && memcmp(back, ref, total) == 0, "the pipe got them in order");

	/* And back into the pieces, after scrambling them. */
	for (int i = 0; i < N; i++)
		memset(iov[i].iov_base, '.', iov[i].iov_len);
	mw_log_clear();
	if (write(fds[1], ref, total) != (ssize_t)total)
		bail("write");
	n = readv(fds[0], iov, N);
	same = n == (ssize_t)total;
	off = 0;
	for (int i = 0; i < N && same; i++) {
		same = memcmp(iov[i].iov_base, ref + off, iov[i].iov_len) == 0;
		off += iov[i].iov_len;
	}
	ok(same, "readv into the %d pieces: %zd bytes, each piece its own", N, n);
	k = kernel_records(w, 2 * 4096);
	ok(k.n == N / 2 && k.kind == (MW_KIND_KERNEL | MW_KIND_WRITE),
	   "the kernel's writes into the %d watched pieces are logged (%d records)", N / 2, k.n);
	munmap(ref, 65536);
	close(fds[0]);
	close(fds[1]);
}
#define N_LONG_VECTORS 5

/* ------------------------------------------------------------- sockets */

static void sec_sockets(void)
{
	int sv[2];
	char *w = (char *)area[0];
	ssize_t n;

	if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sv))
		bail("socketpair: %s", strerror(errno));
	watch(w, 256, MW_ACCESS);
	memcpy(w, "datagram one", 12);
	n = send(sv[0], w, 12, 0);
	is_int(n, 12, "send from watched memory");
	n = recv(sv[1], w + 64, 64, 0);
	ok(n == 12 && memcmp(w + 64, "datagram one", 12) == 0, "recv into watched memory");

	struct msghdr *m = (struct msghdr *)(w + 128);  /* the header watched too */
	struct iovec io[2] = { { w + 200, 4 }, { w + 220, 8 } };
	memcpy(w + 200, "MSG!", 4);
	memcpy(w + 220, "payload!", 8);
	memset(m, 0, sizeof(*m));
	m->msg_iov = io;
	m->msg_iovlen = 2;
	n = sendmsg(sv[0], m, 0);
	is_int(n, 12, "sendmsg: header and data watched");
	memset(w + 200, 0, 40);
	m->msg_flags = -1;
	n = recvmsg(sv[1], m, 0);
	ok(n == 12 && memcmp(w + 200, "MSG!", 4) == 0 && memcmp(w + 220, "payload!", 8) == 0,
	   "recvmsg into them");
	is_int(m->msg_flags, 0, "recvmsg wrote msg_flags into the watched header");
	ok(m->msg_iov == io, "and left its pointers as they were");
	close(sv[0]);
	close(sv[1]);
}
#define N_SOCKETS 6

/* ------------------------------------------------- odds and ends of libc */

static void sec_misc(void)
{
	uint8_t *w = area[0];
	struct timespec *ts = (struct timespec *)(w + 16), now;
	int *pfd = (int *)(w + 64);
	struct pollfd *pf = (struct pollfd *)(w + 128);
	struct epoll_event *ev = (struct epoll_event *)(w + 256);
	ssize_t n;

	watch(w, 512, MW_ACCESS);
	memset(w + 400, 0, 32);
	n = getrandom(w + 400, 32, 0);
	int zero = 1;
	for (int i = 0; i < 32; i++)
		zero &= w[400 + i] == 0;
	ok(n == 32 && !zero, "getrandom into watched memory");
	clock_gettime(CLOCK_MONOTONIC, &now);
	ok(syscall(SYS_clock_gettime, CLOCK_MONOTONIC, ts) == 0 && ts->tv_sec >= now.tv_sec &&
	   ts->tv_sec - now.tv_sec < 5, "the clock_gettime system call into a watched timespec");
	ok(pipe2(pfd, O_CLOEXEC) == 0 && pfd[0] > 2 && pfd[1] > 2 && pfd[0] != pfd[1],
	   "pipe2 into a watched int[2]");
	write(pfd[1], "x", 1);
	pf[0] = (struct pollfd){ pfd[0], POLLIN, 0 };
	pf[1] = (struct pollfd){ pfd[1], POLLOUT, 0 };
	ok(poll(pf, 2, 1000) == 2 && pf[0].revents == POLLIN && pf[1].revents == POLLOUT,
	   "poll on a watched pollfd array sets revents");
	int ep = epoll_create1(0);
	struct epoll_event add = { .events = EPOLLIN, .data.u64 = 0x1234 };
	epoll_ctl(ep, EPOLL_CTL_ADD, pfd[0], &add);
	ok(epoll_wait(ep, ev, 4, 1000) == 1 && ev[0].data.u64 == 0x1234 && ev[0].events == EPOLLIN,
	   "epoll_wait into a watched array");
	*ts = (struct timespec){ 0, 1000000 };
	ok(nanosleep(ts, ts + 1) == 0, "nanosleep with a watched timespec");
	close(ep);
}
#define N_MISC 6

/* ioctl: the argument as its command says (encoded size and direction, or
 * the list of older terminal commands); others go to the kernel as they are. */
static void sec_ioctl(void)
{
	volatile int *w = (volatile int *)area[1];
	struct winsize *ws = (struct winsize *)(area[1] + 64);
	unsigned *ptn = (unsigned *)(area[1] + 128);
	int pfd[2], m, r;
	struct krec k;

	watch(area[1], 256, MW_ACCESS);
	if (pipe(pfd) || write(pfd[1], "12345", 5) != 5)
		bail("pipe");
	w[0] = -1;
	r = ioctl(pfd[0], FIONREAD, (int *)&w[0]);
	ok(r == 0 && w[0] == 5, "FIONREAD into a watched int: %d, %d", r, w[0]);
	k = kernel_records((const void *)&w[0], 4);
	ok(k.n == 1 && k.kind == (MW_KIND_KERNEL | MW_KIND_WRITE) && k.size == 4 && k.value[0] == 5,
	   "logged as the kernel's write of 4 bytes (%d records)", k.n);
	w[1] = 1;
	ok(ioctl(pfd[0], FIONBIO, (int *)&w[1]) == 0 && (fcntl(pfd[0], F_GETFL) & O_NONBLOCK),
	   "FIONBIO from a watched int: the pipe is non-blocking");
	m = posix_openpt(O_RDWR | O_NOCTTY);
	if (m < 0) {
		for (int i = 0; i < 3; i++)
			ok(1, "# SKIP no pseudo-terminal: %s", strerror(errno));
		return;
	}
	ws->ws_row = 33;
	ws->ws_col = 101;
	ok(ioctl(m, TIOCSWINSZ, ws) == 0, "TIOCSWINSZ from a watched struct winsize");
	memset(ws, 0, sizeof(*ws));
	r = ioctl(m, TIOCGWINSZ, ws);
	ok(r == 0 && ws->ws_row == 33 && ws->ws_col == 101,
	   "TIOCGWINSZ into it: %d, %u rows, %u columns", r, ws->ws_row, ws->ws_col);
	*ptn = 123456;
	r = ioctl(m, TIOCGPTN, ptn);
	ok(r == 0 && *ptn != 123456 && strstr(ptsname(m), "/dev/pts/") &&
	   (unsigned)atoi(ptsname(m) + 9) == *ptn,
	   "TIOCGPTN (an encoded _IOR) into a watched unsigned: %d, %u, as ptsname says", r, *ptn);
	close(m);
}
#define N_IOCTL 6

/* The kinds of the kernel's records over [p, p+n): MW_KIND_READ and/or
 * MW_KIND_WRITE, 0 if none. */
static unsigned kernel_kinds(const void *p, size_t n)
{
	struct mw_log_cursor cur;
	struct mw_record r;
	unsigned kinds = 0;

	mw_log_begin(&cur);
	while (mw_log_next(&cur, &r) > 0)
		if ((r.kind & MW_KIND_KERNEL) && r.addr < (uintptr_t)p + n &&
		    r.addr + r.size > (uintptr_t)p)
			kinds |= r.kind & MW_KIND_RMW;
	return kinds;
}

/* ------------------------------------------------- fcntl's record locks */

static void sec_locks(void)
{
	struct flock *w = (struct flock *)(area[1] + 256), ref;
	char tmpl[] = "/tmp/t-syscalls-lock-XXXXXX";
	int fd = mkstemp(tmpl), fd2 = open(tmpl, O_RDWR), r1, r2;

	if (fd < 0 || fd2 < 0)
		bail("mkstemp, open: %s", strerror(errno));
	unlink(tmpl);
	watch(w, 4 * sizeof(*w), MW_ACCESS);
	mw_log_clear();
	w[0] = (struct flock){ .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 10, .l_len = 20 };
	ok(fcntl(fd, F_SETLK, &w[0]) == 0, "F_SETLK from a watched struct flock");
	is_int(kernel_kinds(&w[0], sizeof(*w)), MW_KIND_READ, "the kernel's read of it logged");

	/* Another open file description asks: the process's lock conflicts. */
	w[1] = (struct flock){ .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 100 };
	memcpy(&ref, &w[1], sizeof(ref));
	r1 = fcntl(fd2, F_OFD_GETLK, &ref);
	r2 = fcntl(fd2, F_OFD_GETLK, &w[1]);
	ok(r1 == 0 && r2 == 0 && memcmp(&ref, &w[1], sizeof(ref)) == 0 && w[1].l_type == F_WRLCK &&
	   w[1].l_start == 10 && w[1].l_len == 20,
	   "F_OFD_GETLK into a watched struct flock: as into an unwatched one (%d, %d, type %d)",
	   r1, r2, w[1].l_type);
	is_int(kernel_kinds(&w[1], sizeof(*w)), MW_KIND_RMW, "the kernel's read and write logged");

	w[2] = (struct flock){ .l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = 200, .l_len = 10 };
	ok(fcntl(fd2, F_OFD_SETLK, &w[2]) == 0, "F_OFD_SETLK from a watched struct flock");
	w[3] = (struct flock){ .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 195, .l_len = 10 };
	memcpy(&ref, &w[3], sizeof(ref));
	r1 = fcntl(fd, F_GETLK, &ref);
	r2 = fcntl(fd, F_GETLK, &w[3]);
	ok(r1 == 0 && r2 == 0 && memcmp(&ref, &w[3], sizeof(ref)) == 0 && w[3].l_type == F_RDLCK &&
	   w[3].l_start == 200 && w[3].l_pid == -1,
	   "F_GETLK into a watched struct flock finds the OFD lock, as into an unwatched one");
	w[0].l_type = F_UNLCK;
	ok(fcntl(fd, F_SETLKW, &w[0]) == 0, "F_SETLKW (an unlock) from a watched struct flock");
	w[1] = (struct flock){ .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 100 };
	ok(fcntl(fd2, F_OFD_GETLK, &w[1]) == 0 && w[1].l_type == F_UNLCK, "the lock is gone");
	errno = 0;
	ok(fcntl(-1, F_GETLK, &w[1]) == -1 && errno == EBADF, "errors stay errors: EBADF");
	close(fd);
	close(fd2);
}
#define N_LOCKS 9

/* ------------------------------- statfs, interval timers, sendfile's offset */

static void sec_fsinfo(void)
{
	uint8_t *w = area[1];
	struct statfs *sf = (struct statfs *)w, ref;
	struct itimerval *it = (struct itimerval *)(w + 512), before;
	off_t *off = (off_t *)(w + 1024);
	char *path = (char *)w + 1536;
	char tmpl[] = "/tmp/t-syscalls-fs-XXXXXX", back[16] = "";
	int fd = mkstemp(tmpl), pfd[2], r;
	ssize_t n;

	if (fd < 0 || pipe(pfd) || write(fd, "0123456789", 10) != 10)
		bail("mkstemp, pipe, write: %s", strerror(errno));
	unlink(tmpl);
	watch(w, 2048, MW_ACCESS);
	strcpy(path, "/tmp");
	mw_log_clear();
	ok(fstatfs(fd, sf) == 0 && fstatfs(fd, &ref) == 0 && sf->f_type == ref.f_type &&
	   sf->f_bsize == ref.f_bsize && sf->f_blocks == ref.f_blocks &&
	   sf->f_namelen == ref.f_namelen && memcmp(&sf->f_fsid, &ref.f_fsid, sizeof(ref.f_fsid)) == 0,
	   "fstatfs into a watched struct statfs: as into an unwatched one");
	is_int(kernel_kinds(sf, sizeof(*sf)), MW_KIND_WRITE, "the kernel's write logged");
	memset(sf, 0, sizeof(*sf));
	ok(statfs(path, sf) == 0 && statfs("/tmp", &ref) == 0 && sf->f_type == ref.f_type &&
	   sf->f_bsize == ref.f_bsize && sf->f_blocks == ref.f_blocks,
	   "statfs of a watched path into a watched struct statfs");
	is_int(kernel_kinds(path, 5), MW_KIND_READ, "the kernel's read of the path logged");

	/* The section's own alarm is running: put it back after. */
	getitimer(ITIMER_REAL, &before);
	it[0] = (struct itimerval){ { 0, 0 }, { 100, 0 } };
	memset(&it[1], 0xff, sizeof(it[1]));
	r = setitimer(ITIMER_REAL, &it[0], &it[1]);
	ok(r == 0 && it[1].it_value.tv_sec <= before.it_value.tv_sec &&
	   it[1].it_value.tv_sec >= before.it_value.tv_sec - 2,
	   "setitimer from and into watched struct itimervals: the old value as before (%ld s)",
	   (long)it[1].it_value.tv_sec);
	r = getitimer(ITIMER_REAL, &it[2]);
	ok(r == 0 && it[2].it_value.tv_sec <= 100 && it[2].it_value.tv_sec >= 95,
	   "getitimer into a watched one: %ld s left", (long)it[2].it_value.tv_sec);
	it[0] = before;
	r = setitimer(ITIMER_REAL, &it[0], &it[1]);
	ok(r == 0 && it[1].it_value.tv_sec >= 95,
	   "the timer set back, its time left in the watched old value (%ld s)",
	   (long)it[1].it_value.tv_sec);
	is_int(kernel_kinds(it, 3 * sizeof(*it)), MW_KIND_RMW, "the kernel's reads and writes logged");

	*off = 3;
	mw_log_clear();
	n = sendfile(pfd[1], fd, off, 4);
	ok(n == 4 && *off == 7 && read(pfd[0], back, sizeof(back)) == 4 && memcmp(back, "3456", 4) == 0,
	   "sendfile with a watched offset: 4 bytes from 3, offset %lld after", (long long)*off);
	is_int(kernel_kinds(off, sizeof(*off)), MW_KIND_RMW, "the kernel's read and write of it logged");
	close(fd);
	close(pfd[0]);
	close(pfd[1]);
}
#define N_FSINFO 10

/* ---------------------------------------------- recvmmsg and sendmmsg */

static void sec_mmsg(void)
{
	char *w = (char *)area[1];
	struct mmsghdr *mm = (struct mmsghdr *)(w + 2048), plain[3];
	struct iovec *io = (struct iovec *)(w + 3072);
	struct timespec *to = (struct timespec *)(w + 1536);
	int sv[2], n, same = 1;
	struct krec k;

	if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sv))
		bail("socketpair: %s", strerror(errno));
	watch(w, 4096, MW_ACCESS);
	for (int i = 0; i < 3; i++) {
		memcpy(w + 64 * i, "message", 7);
		io[i] = (struct iovec){ w + 64 * i, 5 + (size_t)i };
		mm[i] = (struct mmsghdr){ .msg_hdr = { .msg_iov = &io[i], .msg_iovlen = 1 } };
	}
	mw_log_clear();
	n = sendmmsg(sv[0], mm, 3, 0);
	ok(n == 3 && mm[0].msg_len == 5 && mm[1].msg_len == 6 && mm[2].msg_len == 7,
	   "sendmmsg of 3 messages, vector, iovecs and data watched: %d, lengths written", n);
	is_int(kernel_kinds(w, 192), MW_KIND_READ, "the kernel's reads of the data logged");

	for (int i = 0; i < 3; i++) {
		io[i] = (struct iovec){ w + 512 + 64 * i, 64 };
		mm[i].msg_len = 0;
		mm[i].msg_hdr.msg_flags = -1;
	}
	*to = (struct timespec){ 5, 0 };
	mw_log_clear();
	n = recvmmsg(sv[1], mm, 3, 0, to);
	for (int i = 0; i < 3; i++)
		same &= mm[i].msg_len == 5 + (unsigned)i && memcmp(w + 512 + 64 * i, "message", 5 + i) == 0 &&
			mm[i].msg_hdr.msg_iov == &io[i] && mm[i].msg_hdr.msg_flags == 0;
	ok(n == 3 && same, "recvmmsg into them: %d messages, each its length, data and flags", n);
	k = kernel_records(w + 512 + 64, 64);
	ok(k.n == 1 && k.kind == (MW_KIND_KERNEL | MW_KIND_WRITE) && k.size == 6 &&
	   memcmp(k.value, "messag", 6) == 0, "the kernel's write of the second one logged: 6 bytes");

	/* An unwatched vector whose data is watched; fewer messages than asked. */
	send(sv[0], "one", 3, 0);
	send(sv[0], "two!", 4, 0);
	for (int i = 0; i < 3; i++) {
		io[i] = (struct iovec){ w + 1024 + 64 * i, 64 };
		plain[i] = (struct mmsghdr){ .msg_hdr = { .msg_iov = &io[i], .msg_iovlen = 1 } };
	}
	n = recvmmsg(sv[1], plain, 3, MSG_DONTWAIT, NULL);
	ok(n == 2 && plain[0].msg_len == 3 && plain[1].msg_len == 4 && plain[2].msg_len == 0 &&
	   memcmp(w + 1024, "one", 3) == 0 && memcmp(w + 1088, "two!", 4) == 0,
	   "recvmmsg with an unwatched vector into watched buffers: 2 of 3 (%d)", n);
	errno = 0;
	ok(recvmmsg(sv[1], mm, 3, MSG_DONTWAIT, NULL) == -1 && errno == EAGAIN,
	   "nothing left: EAGAIN as without the watch");
	close(sv[0]);
	close(sv[1]);
}
#define N_MMSG 6

/* ------------------------------------------------ paths under a read watch */

static void sec_paths(void)
{
	char *w = (char *)area[1], *a = w, *b = w + 256, *l = w + 512, *cross;
	struct timespec *ts = (struct timespec *)(w + 1024);
	char dir[] = "/tmp/t-syscalls-path-XXXXXX", link_to[256] = "";
	struct stat st;
	int fd;

	if (!mkdtemp(dir))
		bail("mkdtemp: %s", strerror(errno));
	watch(w, 4096, MW_READ);
	snprintf(a, 256, "%s/a", dir);
	snprintf(b, 256, "%s/b", dir);
	snprintf(l, 256, "%s/l", dir);
	mw_log_clear();
	ok(mkdir(a, 0700) == 0 && rmdir(a) == 0, "mkdir and rmdir of a watched path");
	is_int(kernel_kinds(a, strlen(dir) + 3), MW_KIND_READ, "the kernel's reads of the path logged");
	fd = open(a, O_CREAT | O_WRONLY, 0600);
	if (fd < 0 || write(fd, "0123456789", 10) != 10)
		bail("open, write: %s", strerror(errno));
	close(fd);
	ok(truncate(a, 3) == 0 && stat(a, &st) == 0 && st.st_size == 3, "truncate");
	ok(chmod(a, 0640) == 0 && stat(a, &st) == 0 && (st.st_mode & 07777) == 0640, "chmod");
	ok(chown(a, getuid(), getgid()) == 0 && lchown(a, getuid(), getgid()) == 0, "chown, lchown");
	ok(rename(a, b) == 0 && access(a, F_OK) == -1 && errno == ENOENT && access(b, F_OK) == 0,
	   "rename");
	ok(link(b, a) == 0 && stat(a, &st) == 0 && st.st_nlink == 2, "link");
	ok(symlink(b, l) == 0 && readlink(l, link_to, sizeof(link_to) - 1) == (ssize_t)strlen(b) &&
	   strcmp(link_to, b) == 0, "symlink, readlink");
	ts[0] = (struct timespec){ 1000000, 0 };
	ts[1] = (struct timespec){ 2000000, 0 };
	ok(utimensat(AT_FDCWD, b, ts, 0) == 0 && stat(b, &st) == 0 && st.st_mtim.tv_sec == 2000000 &&
	   st.st_atim.tv_sec == 1000000, "utimensat with watched path and times");
	ok(unlink(l) == 0 && unlink(a) == 0, "unlink");
	errno = 0;
	ok(rename(a, l) == -1 && errno == ENOENT, "errors stay errors: rename of a missing file");

	/* A path that begins on an unwatched page and ends on the watched one. */
	cross = w - 8;
	snprintf(cross, 256, "%s/b", dir);
	ok(chmod(cross, 0600) == 0 && stat(b, &st) == 0 && (st.st_mode & 07777) == 0600,
	   "chmod of a path running into the watched page");
	ok(unlink(cross) == 0 && rmdir(dir) == 0, "unlink of it");
}
#define N_PATHS 13

/* -------------------------------------------- more calls with buffers */

static void sec_more(void)
{
	uint8_t *w = area[1];
	unsigned *u = (unsigned *)w;
	char *name = (char *)w + 64, old_name[16], want[16];
	unsigned char *vec = w + 128, ref[2];
	struct msq { long mtype; char text[32]; } *m = (struct msq *)(w + 256);
	struct sembuf *sb = (struct sembuf *)(w + 512);
	struct itimerspec *its = (struct itimerspec *)(w + 640);
	loff_t *offs = (loff_t *)(w + 768);
	sigset_t *set = (sigset_t *)(w + 896), refset;
	uid_t r0, r1, r2;
	char tmpl[] = "/tmp/t-syscalls-more-XXXXXX", back[16] = "";
	int fd = mkstemp(tmpl), pfd[2], q, sem;
	timer_t t;

	if (fd < 0 || pipe(pfd) || write(fd, "abcdefghij", 10) != 10)
		bail("mkstemp, pipe: %s", strerror(errno));
	unlink(tmpl);
	watch(w, 1024, MW_ACCESS);
	mw_log_clear();
	getresuid(&r0, &r1, &r2);
	ok(getresuid(&u[0], &u[1], &u[2]) == 0 && u[0] == r0 && u[1] == r1 && u[2] == r2,
	   "getresuid into watched uid_t's");
	ok(kernel_kinds(u, 12) == MW_KIND_WRITE, "logged");

	prctl(PR_GET_NAME, old_name);
	strcpy(name, "t-sys-watched");
	ok(prctl(PR_SET_NAME, name) == 0, "prctl(PR_SET_NAME) from a watched name");
	memset(name, 0, 16);
	ok(prctl(PR_GET_NAME, name) == 0 && prctl(PR_GET_NAME, want) == 0 &&
	   strcmp(name, "t-sys-watched") == 0 && strcmp(want, name) == 0,
	   "prctl(PR_GET_NAME) into it: \"%s\"", name);
	prctl(PR_SET_NAME, old_name);

	ok(mincore(area[0], 2 * 4096, vec) == 0 && mincore(area[0], 2 * 4096, ref) == 0 &&
	   memcmp(vec, ref, 2) == 0, "mincore into a watched vector");

	q = msgget(IPC_PRIVATE, 0600);
	if (q >= 0) {
		m->mtype = 7;
		memcpy(m->text, "queued", 6);
		ok(msgsnd(q, m, 6, 0) == 0, "msgsnd from a watched message");
		memset(m, 0, sizeof(*m));
		ok(msgrcv(q, m, sizeof(m->text), 0, 0) == 6 && m->mtype == 7 &&
		   memcmp(m->text, "queued", 6) == 0, "msgrcv into it");
		msgctl(q, IPC_RMID, NULL);
	} else {
		ok(1, "# SKIP no System V message queues: %s", strerror(errno));
		ok(1, "# SKIP no System V message queues");
	}
	sem = semget(IPC_PRIVATE, 1, 0600);
	if (sem >= 0) {
		sb[0] = (struct sembuf){ 0, 3, 0 };
		ok(semop(sem, sb, 1) == 0 && semctl(sem, 0, GETVAL) == 3, "semop from a watched sembuf");
		semctl(sem, 0, IPC_RMID);
	} else {
		ok(1, "# SKIP no System V semaphores: %s", strerror(errno));
	}

	if (timer_create(CLOCK_MONOTONIC, NULL, &t) == 0) {
		its[0] = (struct itimerspec){ { 0, 0 }, { 50, 0 } };
		ok(timer_settime(t, 0, &its[0], &its[1]) == 0 && timer_gettime(t, &its[2]) == 0 &&
		   its[2].it_value.tv_sec <= 50 && its[2].it_value.tv_sec >= 45,
		   "timer_settime, timer_gettime with watched itimerspecs");
		timer_delete(t);
	} else {
		ok(1, "# SKIP timer_create: %s", strerror(errno));
	}

	offs[0] = 2;
	ok(splice(fd, &offs[0], pfd[1], NULL, 3, 0) == 3 && offs[0] == 5 &&
	   read(pfd[0], back, sizeof(back)) == 3 && memcmp(back, "cde", 3) == 0,
	   "splice with a watched offset");
	offs[1] = 0;
	offs[2] = 20;
	ok(copy_file_range(fd, &offs[1], fd, &offs[2], 4, 0) == 4 && offs[1] == 4 && offs[2] == 24 &&
	   pread(fd, back, 4, 20) == 4 && memcmp(back, "abcd", 4) == 0,
	   "copy_file_range with watched offsets");

	sigemptyset(&refset);
	sigaddset(&refset, SIGUSR1);
	sigprocmask(SIG_BLOCK, &refset, NULL);
	raise(SIGUSR1);
	ok(sigpending(set) == 0 && sigpending(&refset) == 0 && sigismember(set, SIGUSR1) &&
	   memcmp(set, &refset, 8) == 0, "sigpending into a watched sigset");
	ok(kernel_kinds(w, 1024) == MW_KIND_RMW, "the kernel's reads and writes logged");
	close(fd);
	close(pfd[0]);
	close(pfd[1]);
}
#define N_MORE 13

/* io_uring's operations bypass system call dispatch: the library says so,
 * once, when a watch exists and the program calls into io_uring. */
static void sec_io_uring(void)
{
	char tmpl[] = "/tmp/t-syscalls-err-XXXXXX", text[4096];
	int fd = mkstemp(tmpl), saved = dup(2), said = 0;
	char params[120];       /* struct io_uring_params */
	ssize_t n;

	if (fd < 0 || saved < 0)
		bail("mkstemp, dup");
	unlink(tmpl);
	watch(area[0], 64, MW_ACCESS);
	dup2(fd, 2);
	for (int i = 0; i < 2; i++) {
		long r;

		memset(params, 0, sizeof(params));
		r = syscall(SYS_io_uring_setup, 4, params);
		if (r >= 0)
			close((int)r);
	}
	dup2(saved, 2);
	n = pread(fd, text, sizeof(text) - 1, 0);
	text[n > 0 ? n : 0] = 0;
	for (char *p = text; (p = strstr(p, "uses io_uring")); p++)
		said++;
	ok(said == 1 && strstr(text, "memwatch: the program uses io_uring: its operations on "
				     "watched pages fail with EFAULT"),
	   "a watch meeting io_uring says once what it does not cover (%d times)", said);
	close(fd);
}
#define N_IO_URING 1

/* ------------------------------------------------------------- futexes */

struct shared {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	pthread_rwlock_t rw;
	sem_t sem;
	long counter, turns, readers_seen;
};

#define THREADS 4
#define ROUNDS 2000

static void *worker(void *arg)
{
	struct shared *s = arg;

	for (int i = 0; i < ROUNDS; i++) {
		pthread_mutex_lock(&s->lock);
		s->counter++;
		if (s->counter % 100 == 0)
			pthread_cond_broadcast(&s->cond);
		pthread_mutex_unlock(&s->lock);
		if (i % 50 == 0) {
			pthread_rwlock_rdlock(&s->rw);
			__atomic_add_fetch(&s->readers_seen, 1, __ATOMIC_RELAXED);
			pthread_rwlock_unlock(&s->rw);
			pthread_rwlock_wrlock(&s->rw);
			s->turns++;
			pthread_rwlock_unlock(&s->rw);
		}
	}
	sem_post(&s->sem);
	return NULL;
}

static void run_futexes(unsigned kind)
{
	struct shared *s = (struct shared *)area[4];
	pthread_t t[THREADS];
	struct timespec deadline;
	int id;

	memset(s, 0, sizeof(*s));
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->cond, NULL);
	pthread_rwlock_init(&s->rw, NULL);
	sem_init(&s->sem, 0, 0);
	id = watch(s, sizeof(*s), kind);
	for (int i = 0; i < THREADS; i++)
		pthread_create(&t[i], NULL, worker, s);
	/* The main thread waits on the condvar until all have counted. */
	pthread_mutex_lock(&s->lock);
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += 20;
	while (s->counter < THREADS * ROUNDS)
		if (pthread_cond_timedwait(&s->cond, &s->lock, &deadline) == ETIMEDOUT)
			break;
	pthread_mutex_unlock(&s->lock);
	for (int i = 0; i < THREADS; i++)
		sem_wait(&s->sem);
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	is_int(s->counter, THREADS * ROUNDS, "%s watch on a struct with a mutex, condvar, "
	       "rwlock, semaphore: %d threads x %d locked increments",
	       kind == MW_WRITE ? "a write" : "an access", THREADS, ROUNDS);
	is_int(s->turns, THREADS * (ROUNDS / 50), "rwlock writer turns");
	uint64_t c = 0;
	ok(mw_count(id, &c) == 0 && c >= (uint64_t)THREADS * ROUNDS,
	   "the watch counted the increments at least (%llu)", (unsigned long long)c);
	mw_unwatch(id);
	/* Unwatched again: the objects keep working. */
	pthread_mutex_lock(&s->lock);
	s->counter++;
	pthread_mutex_unlock(&s->lock);
	is_int(s->counter, THREADS * ROUNDS + 1, "after mw_unwatch the mutex still works");
}

static void sec_futex_write(void) { run_futexes(MW_WRITE); }
static void sec_futex_access(void) { run_futexes(MW_ACCESS); }
#define N_FUTEX 4

/* --------------------------------------------------------------- threads */

struct reader_arg {
	int fd;
	char *dst;
};

static void *reader(void *arg)
{
	struct reader_arg *ra = arg;
	ssize_t n = read(ra->fd, ra->dst, 8);

	return (void *)(intptr_t)(n == 8 && memcmp(ra->dst, "threaded", 8) == 0 ? 0 : 2);
}

static void sec_threads(void)
{
	char *w = (char *)area[0];
	int p1[2], p2[2];
	pthread_t before, after;
	void *r1 = (void *)9, *r2 = (void *)9;

	if (pipe(p1) || pipe(p2))
		bail("pipe");
	struct reader_arg a1 = { p1[0], w + 10 }, a2 = { p2[0], w + 30 };
	pthread_create(&before, NULL, reader, &a1);
	usleep(20000);          /* blocked in read() when the watch starts */
	watch(w, 64, MW_ACCESS);
	pthread_create(&after, NULL, reader, &a2);
	write(p1[1], "threaded", 8);
	pthread_join(before, &r1);
	write(p2[1], "threaded", 8);
	pthread_join(after, &r2);
	ok(r1 == NULL, "a thread created before the first watch reads into watched memory");
	ok(r2 == NULL, "a thread created while watching reads into watched memory");
}
#define N_THREADS 2

/* ----------------------------------------------------- fork, spawn, exec */

static void sec_fork(void)
{
	char *w = (char *)area[0];
	int fds[2], st = 0;
	pid_t pid;

	watch(w, 64, MW_ACCESS);
	if (pipe(fds))
		bail("pipe");
	pid = fork();
	if (pid == 0) {
		/* The child: its own copy, still watched, read(2) works. */
		char c = 0;
		if (read(fds[0], w + 5, 4) != 4 || memcmp(w + 5, "kid!", 4) != 0)
			_exit(2);
		uint64_t cnt = 0;
		mw_count(1, &cnt);
		c = w[5];
		_exit(c == 'k' && cnt >= 1 ? 0 : 3);
	}
	write(fds[1], "kid!", 4);
	waitpid(pid, &st, 0);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	   "fork while watching: the child reads into its watched copy (status %#x)", st);
	ok(w[5] == 0, "the parent's copy is untouched");

	char *argv[] = { "sh", "-c", "exit 7", NULL };
	pid_t sp;
	ok(posix_spawn(&sp, "/bin/sh", NULL, NULL, argv, environ) == 0 &&
	   waitpid(sp, &st, 0) == sp && WIFEXITED(st) && WEXITSTATUS(st) == 7,
	   "posix_spawn while watching: the child runs, exit status 7");
	errno = 0;
	ok(posix_spawn(&sp, "/nonexistent/prog", NULL, NULL, argv, environ) == ENOENT,
	   "posix_spawn of a missing program still reports ENOENT");
	st = system("exit 3");
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 3, "system() while watching: status 3");
}
#define N_FORK 5

/* clone(2) without CLONE_VM outside fork(3): no fork handlers run, the
 * library copies the watched pages for the child all the same. */
static volatile uint8_t *clone_w;

static int clone_child(void *arg)
{
	(void)arg;
	clone_w[1] = 77;
	return clone_w[1] == 77 && clone_w[0] == 1 ? 0 : 1;
}

static int raw_wait(pid_t pid)
{
	int st = -1;

	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return -1;
	return st;
}

static void sec_raw_clone(void)
{
	volatile uint8_t *w = area[2];
	char *stack = mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int id, st, fds[2];
	uint64_t c0 = 0, c1 = 0;
	pid_t pid;

	if (stack == MAP_FAILED || pipe(fds))
		bail("mmap, pipe");
	clone_w = w;
	id = watch((const void *)w, 64, MW_WRITE);
	w[0] = 1;
	mw_count(id, &c0);
	pid = (pid_t)syscall(SYS_clone, SIGCHLD, 0, NULL, NULL, 0);
	if (pid == 0) {
		char buf[4] = "";

		w[0] = 99;      /* the child's own copy, still watched */
		if (read(fds[0], (void *)(w + 8), 4) != 4 || memcmp((void *)(w + 8), "raw!", 4) != 0)
			_exit(2);
		memcpy(buf, (void *)(w + 8), 4);
		_exit(w[0] == 99 && buf[0] == 'r' ? 0 : 1);
	}
	write(fds[1], "raw!", 4);
	st = raw_wait(pid);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	   "a raw clone without CLONE_VM: the child writes and reads into its watched copy "
	   "(status %#x)", st);
	mw_count(id, &c1);
	ok(w[0] == 1 && w[8] == 0, "the parent's copy is untouched (%d)", w[0]);
	ok(c1 - c0 == 0, "the child's accesses are not the parent's");

	st = raw_wait(clone(clone_child, stack + 65536, SIGCHLD, NULL));
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0 && w[1] == 0,
	   "clone(3) without CLONE_VM, on a stack of its own: the child's write stays its own "
	   "(status %#x, %d)", st, w[1]);

	pid = (pid_t)syscall(SYS_fork);
	if (pid == 0) {
		w[2] = 5;
		_exit(w[2] == 5 ? 0 : 1);
	}
	st = raw_wait(pid);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0 && w[2] == 0,
	   "syscall(SYS_fork): the same (status %#x, %d)", st, w[2]);

#ifdef SYS_clone3
	struct { uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls; }
		args = { .exit_signal = SIGCHLD };
	pid = (pid_t)syscall(SYS_clone3, &args, sizeof(args));
	if (pid == 0) {
		w[3] = 6;
		_exit(w[3] == 6 ? 0 : 1);
	}
	st = raw_wait(pid);
	ok(pid > 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0 && w[3] == 0,
	   "clone3 without CLONE_VM: the same (status %#x, %d)", st, w[3]);
#else
	ok(1, "# SKIP no clone3");
#endif

	/* The library's lock and the pages were let go. */
	int id2 = mw_watch((const void *)(w + 32), 8, MW_WRITE);
	ok(id2 > 0 && mw_unwatch(id2) == 0, "watching and unwatching go on in the parent");
	w[4] = 9;
	pid = fork();
	if (pid == 0) {
		w[4] = 10;
		_exit(w[4] == 10 ? 0 : 1);
	}
	st = raw_wait(pid);
	ok(w[4] == 9 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "and so does fork() (status %#x)", st);
	munmap(stack, 65536);
}
#define N_RAW_CLONE 8

/* vfork: the child runs in the parent's memory, on its stack, and shares
 * its alternate signal stack - where the parent waits, inside the
 * library's SIGSYS handler, until the child execs or exits.  A child that
 * touches watched memory runs the SIGSEGV handler too: not on that stack. */
static void sec_vfork(void)
{
	volatile char *w = (volatile char *)area[0];
	volatile int local = 42;
	uint64_t c0 = 0, c1 = 0;
	int id, st = 0;
	pid_t pid;

	id = watch((const void *)w, 64, MW_ACCESS);
	w[0] = 1;
	mw_count(id, &c0);
	pid = vfork();
	if (pid == 0) {
		char *argv[] = { "sh", "-c", "exit 5", NULL };

		w[1] = (char)(w[0] + 1);        /* a read, a write */
		execve("/bin/sh", argv, environ);
		_exit(127);
	}
	mw_count(id, &c1);
	if (pid > 0 && waitpid(pid, &st, 0) != pid)
		st = -1;
	ok(pid > 0 && WIFEXITED(st) && WEXITSTATUS(st) == 5,
	   "vfork while watching: the child reads and writes watched memory, then execs (status %#x)",
	   st);
	ok(c1 - c0 == 2, "its two accesses are counted (%llu)", (unsigned long long)(c1 - c0));
	ok(w[1] == 2 && local == 42, "the parent goes on: the child's write is there, its own locals intact");

	pid = vfork();
	if (pid == 0) {
		w[2] = 3;
		_exit(w[2] == 3 ? 6 : 1);
	}
	if (pid > 0 && waitpid(pid, &st, 0) != pid)
		st = -1;
	ok(pid > 0 && WIFEXITED(st) && WEXITSTATUS(st) == 6,
	   "a vfork child that writes watched memory and exits: status %#x", st);
	ok(w[2] == 3 && local == 42, "the parent goes on again");

	/* gdb starts a program so: vfork, PTRACE_TRACEME, exec.  Each
	 * dispatched call of the traced child was a SIGSYS, so a stop for its
	 * tracer: the parent, which waits in vfork until the child execs. */
	pid = vfork();
	if (pid == 0) {
		if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) < 0)
			_exit(126);
		_exit(syscall(SYS_getppid) > 0 ? 7 : 1);
	}
	if (pid > 0 && waitpid(pid, &st, 0) != pid)
		st = -1;
	ok(pid > 0 && WIFEXITED(st) && WEXITSTATUS(st) == 7,
	   "a vfork child that asks to be traced makes system calls and exits: status %#x", st);
}
#define N_VFORK 6

/* A writer thread stores I at the first page, then at the last page, for
 * I = 1, 2, ...: at any instant last <= first.  A child forked meanwhile
 * must see its copy as of one instant. */
static volatile uint64_t *fork_lo, *fork_hi;
static _Atomic int fork_stop;

static void *fork_writer(void *arg)
{
	(void)arg;
	for (uint64_t i = 1; !__atomic_load_n(&fork_stop, __ATOMIC_RELAXED); i++) {
		*fork_lo = i;
		*fork_hi = i;
	}
	return NULL;
}

static void sec_fork_writers(void)
{
	static uint8_t pages[8][4096] __attribute__((aligned(4096)));
	pthread_t t;
	int bad = 0, ran = 0;

	fork_lo = (volatile uint64_t *)pages[0];
	fork_hi = (volatile uint64_t *)pages[7];
	watch(pages, sizeof(pages), MW_WRITE);
	pthread_create(&t, NULL, fork_writer, NULL);
	for (int k = 0; k < 40; k++) {
		int st = 0;
		pid_t pid;

		usleep(1000);
		pid = fork();
		if (pid == 0)
			_exit(*fork_hi <= *fork_lo && *fork_lo - *fork_hi <= 1 ? 0 : 1);
		waitpid(pid, &st, 0);
		ran += WIFEXITED(st);
		bad += !WIFEXITED(st) || WEXITSTATUS(st) != 0;
	}
	__atomic_store_n(&fork_stop, 1, __ATOMIC_RELAXED);
	pthread_join(t, NULL);
	is_int(ran, 40, "40 forks while another thread writes watched memory");
	is_int(bad, 0, "each child's copy is one instant of the parent's memory");
	ok(*fork_hi >= 40, "the writer went on (%llu writes)", (unsigned long long)*fork_hi);
}
#define N_FORK_WRITERS 3

/* ------------------------------------------------------- madvise */

static void sec_madvise(void)
{
	uint8_t *m = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int id, zero = 1;

	if (m == MAP_FAILED)
		bail("mmap");
	memset(m, 0xab, 2 * 4096);
	id = watch(m + 4096 + 100, 50, MW_ACCESS);
	mw_log_clear();
	ok(madvise(m, 2 * 4096, MADV_DONTNEED) == 0, "madvise(MADV_DONTNEED) over a watched page");
	for (int i = 0; i < 2 * 4096; i++)
		zero &= m[i] == 0;
	ok(zero, "both pages read as zeros afterwards, the watched one too");
	struct krec k = kernel_records(m + 4096, 4096);
	ok(k.n == 1 && k.kind == (MW_KIND_KERNEL | MW_KIND_WRITE) && k.addr == (uintptr_t)(m + 4196) &&
	   k.size == 50, "one kernel write record of the 50 watched bytes");
	m[4096 + 120] = 7;
	uint64_t c = 0;
	mw_count(id, &c);
	ok(m[4096 + 120] == 7 && c >= 2, "the watch goes on (%llu)", (unsigned long long)c);
}
#define N_MADVISE 4

/* Whether every byte of [p, p+n) is C. */
static int all_are(const volatile uint8_t *p, size_t n, uint8_t c)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != c)
			return 0;
	return 1;
}

/* The status of a forked child that exits 0 if [p, p+n) is all C. */
static int child_sees(const volatile uint8_t *p, size_t n, uint8_t c)
{
	int st = -1;
	pid_t pid = fork();

	if (pid == 0)
		_exit(all_are(p, n, c) ? 0 : 1);
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return -1;
	return st;
}

/* The advice the kernel refuses on a memfd's shared mapping, given its
 * meaning on watched pages. */
static void sec_madvise_advice(void)
{
	enum { PG = 4096 };
	uint8_t *m = mmap(NULL, 3 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint8_t *sh = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	uint8_t *ro = mmap(NULL, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t c0 = 0, c1 = 0;
	int id, r;

	if (m == MAP_FAILED || sh == MAP_FAILED || ro == MAP_FAILED)
		bail("mmap");
	memset(m, 0xab, 3 * PG);
	id = watch(m + PG + 100, 50, MW_WRITE);
	r = madvise(m, 3 * PG, MADV_WIPEONFORK);
	ok(r == 0, "MADV_WIPEONFORK over a watched page: %d (%s)", r, r ? strerror(errno) : "");
	r = child_sees(m, 3 * PG, 0);
	ok(r == 0, "a forked child sees zeros, the watched page too (status %#x)", r);
	ok(all_are(m, 3 * PG, 0xab), "the parent keeps its data");
	ok(madvise(m + PG, PG, MADV_KEEPONFORK) == 0 && child_sees(m + PG, PG, 0xab) == 0 &&
	   child_sees(m, PG, 0) == 0, "MADV_KEEPONFORK of the watched page: the child sees its data, "
	   "the rest still wiped");
	madvise(m + PG, PG, MADV_WIPEONFORK);
	mw_unwatch(id);
	r = child_sees(m, 3 * PG, 0);
	ok(r == 0, "after mw_unwatch the advice holds: the child sees zeros (status %#x)", r);

	id = watch(m + PG + 100, 50, MW_WRITE);
	mw_count(id, &c0);
	r = madvise(m, 3 * PG, MADV_FREE);
	ok(r == 0, "MADV_FREE over a watched page: %d (%s)", r, r ? strerror(errno) : "");
	m[PG + 120] = 7;
	mw_count(id, &c1);
	ok(m[PG + 120] == 7 && all_are(m + PG, 120, 0xab) && c1 - c0 == 1,
	   "the watched page keeps its contents, the watch goes on (%llu)",
	   (unsigned long long)(c1 - c0));
	r = madvise(m, 3 * PG, MADV_POPULATE_WRITE);
	ok(r == 0 && all_are(m + PG, 120, 0xab),
	   "MADV_POPULATE_WRITE over a write-watched page: %d (%s), contents kept", r,
	   r ? strerror(errno) : "");
	mw_unwatch(id);
	id = watch(m + PG + 100, 50, MW_ACCESS);
	r = madvise(m + PG, PG, MADV_POPULATE_READ);
	ok(r == 0, "MADV_POPULATE_READ of a read-watched page: %d (%s)", r, r ? strerror(errno) : "");

	/* What the kernel refuses without the watch, it refuses with it. */
	watch(sh + 8, 8, MW_WRITE);
	errno = 0;
	ok(madvise(sh, PG, MADV_WIPEONFORK) == -1 && errno == EINVAL,
	   "MADV_WIPEONFORK of watched shared memory: EINVAL, as without the watch");
	errno = 0;
	ok(madvise(sh, PG, MADV_FREE) == -1 && errno == EINVAL, "MADV_FREE of it: EINVAL");
	watch(ro + 8, 8, MW_WRITE);
	errno = 0;
	ok(madvise(ro, PG, MADV_POPULATE_WRITE) == -1 && errno == EINVAL,
	   "MADV_POPULATE_WRITE of a watched read-only mapping: EINVAL");
}
#define N_MADVISE_ADVICE 12

/* MEMWATCH_SYSCALLS=0: no dispatch, the kernel's EFAULT as it decides. */
static void sec_off(void)
{
	char *buf = (char *)area[0];
	int fds[2];

	setenv("MEMWATCH_SYSCALLS", "0", 1);
	if (pipe(fds))
		bail("pipe");
	watch(buf, 64, MW_ACCESS);
	write(fds[1], "x", 1);
	errno = 0;
	ok(read(fds[0], buf, 1) == -1 && errno == EFAULT,
	   "MEMWATCH_SYSCALLS=0: read(2) into watched memory fails with EFAULT");
}
#define N_OFF 1

/* ------------------------------------------------------- signals, masks */

static volatile sig_atomic_t handled;
static volatile int *sig_target;

static void on_usr1(int sig)
{
	(void)sig;
	*sig_target += 1;       /* a watched access inside the handler */
	handled++;
}

static void *blocker(void *arg)
{
	sigset_t all;
	volatile int *p = arg;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	*p = 42;                /* with every signal blocked */
	return NULL;
}

static void sec_signals(void)
{
	volatile int *w = (volatile int *)area[0];
	struct sigaction sa;
	sigset_t all, cur;
	pthread_t t;
	uint64_t c = 0;
	int id;

	id = watch((const void *)w, 64, MW_ACCESS);
	sig_target = w + 1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sigfillset(&sa.sa_mask);        /* a handler that blocks everything */
	sigaction(SIGUSR1, &sa, NULL);
	for (int i = 0; i < 3; i++)
		raise(SIGUSR1);
	ok(handled == 3 && w[1] == 3, "a handler with a full mask touches watched memory (x3)");

	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, NULL);
	w[2] = 7;
	ok(w[2] == 7, "with all signals blocked, watched accesses still work");
	sigprocmask(SIG_BLOCK, NULL, &cur);
	ok(sigismember(&cur, SIGUSR1) && sigismember(&cur, SIGINT),
	   "the mask holds what the program blocked");
	sigprocmask(SIG_UNBLOCK, &all, NULL);

	pthread_create(&t, NULL, blocker, (void *)(w + 3));
	pthread_join(t, NULL);
	ok(w[3] == 42, "a thread that blocks every signal writes watched memory");
	mw_count(id, &c);
	ok(c >= 3 + 3 + 1 + 1, "all counted (%llu)", (unsigned long long)c);

	/* rt_sigaction with the kernel's struct in watched memory: the
	 * kernel's read and write logged; the old action shows the flags the
	 * program gave (not the SA_ONSTACK the library adds while watching). */
	struct { void *h; unsigned long flags; void *restorer; uint64_t mask; } *k =
		mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t c0 = 0, c1 = 0;
	int idk;

	k[0].h = (void *)on_usr1;
	k[0].flags = 0;
	k[0].restorer = NULL;
	k[0].mask = 0;
	idk = watch(k, 2 * sizeof(*k), MW_ACCESS);
	mw_count(idk, &c0);
	syscall(SYS_rt_sigaction, SIGUSR2, &k[0], &k[1], 8);
	syscall(SYS_rt_sigaction, SIGUSR2, &k[0], &k[1], 8);
	mw_count(idk, &c1);
	is_u64(c1 - c0, 4, "rt_sigaction on watched structs: the kernel's reads and writes counted");
	ok(k[1].h == (void *)on_usr1 && !(k[1].flags & SA_ONSTACK),
	   "the old action as the program set it (flags %#lx)", k[1].flags);
}
#define N_SIGNALS 7

/* The "block everything, sigwait in one thread" pattern: main blocks every
 * signal before it starts threads and watches.  The library needs SIGSEGV
 * and SIGSYS: the watching thread gets them unblocked, and threads it
 * starts after, while every thread's sigprocmask still shows them blocked.
 * A thread started before that only sigwaits is not disturbed. */
static _Atomic int late_sees;

static void *late_writer(void *arg)
{
	volatile int *p = arg;
	sigset_t cur;

	p[0] = 1;
	p[1] = 2;
	p[2] = 3;
	pthread_sigmask(SIG_BLOCK, NULL, &cur);
	late_sees = sigismember(&cur, SIGSEGV) && sigismember(&cur, SIGSYS) &&
		    sigismember(&cur, SIGUSR1);
	return NULL;
}

static void *sigwaiter(void *arg)
{
	sigset_t s;
	int sig = 0;

	(void)arg;
	sigemptyset(&s);
	sigaddset(&s, SIGUSR2);
	sigwait(&s, &sig);
	return (void *)(long)sig;
}

static int shows(int sig)
{
	sigset_t cur;

	sigprocmask(SIG_BLOCK, NULL, &cur);
	return sigismember(&cur, sig);
}

static void is_count(int id, uint64_t want, const char *what)
{
	uint64_t c = ~0ull;
	int r = mw_count(id, &c);

	if (!ok(r == 0 && c == want, "%s: count %llu", what, (unsigned long long)want))
		diag("  mw_count(%d) = %d, count %llu", id, r, (unsigned long long)c);
}

static void sec_blocked_first(void)
{
	volatile int *w = (volatile int *)area[0];
	sigset_t all, segv;
	pthread_t waiter, t;
	void *got = NULL;
	int id;

	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, NULL);
	pthread_create(&waiter, NULL, sigwaiter, NULL);
	id = watch((const void *)w, 64, MW_WRITE);
	w[0] = 10;              /* from the watching thread */
	w[1] = 11;
	is_count(id, 2, "main, all signals blocked before the first watch, writes watched memory twice");
	ok(shows(SIGSEGV) && shows(SIGSYS) && shows(SIGUSR1),
	   "sigprocmask still shows SIGSEGV, SIGSYS and the rest blocked");
	pthread_create(&t, NULL, late_writer, (void *)(w + 4));
	pthread_join(t, NULL);
	is_count(id, 5, "a thread started after the watch writes three times more");
	ok(late_sees, "that thread's mask shows SIGSEGV and SIGSYS blocked, as main's");

	sigemptyset(&segv);
	sigaddset(&segv, SIGSEGV);
	sigprocmask(SIG_UNBLOCK, &segv, NULL);
	ok(!shows(SIGSEGV) && shows(SIGSYS), "unblocking SIGSEGV shows it unblocked, SIGSYS still blocked");
	sigprocmask(SIG_BLOCK, &segv, NULL);
	w[2] = 12;
	ok(shows(SIGSEGV), "blocking it again shows it blocked");
	is_count(id, 6, "and the next write is caught");

	pthread_kill(waiter, SIGUSR2);
	pthread_join(waiter, &got);
	is_int((long)got, SIGUSR2, "the thread that only sigwaits gets its signal");
	is_int(mw_unwatch(id), 0, "unwatched");
	ok(shows(SIGSEGV) && shows(SIGSYS), "and the mask is what main set: everything blocked");
	ok(w[0] == 10 && w[1] == 11 && w[2] == 12 && w[4] == 1 && w[6] == 3, "the values are there");
}
#define N_BLOCKED_FIRST 11

int main(void)
{
	need_dispatch();
	plan(N_READ_WRITE + N_VECTORS + N_SOCKETS + N_MISC + 2 * N_FUTEX + N_THREADS + N_FORK +
	     N_VFORK + N_IOCTL + N_IO_URING + N_LONG_VECTORS + N_SIGNALS + N_FORK_WRITERS + N_MADVISE +
	     N_OFF + N_BLOCKED_FIRST + N_LOCKS + N_FSINFO + N_MMSG + N_PATHS + N_MORE +
	     N_MADVISE_ADVICE + N_RAW_CLONE + 24);
	run_section("read/write", N_READ_WRITE, sec_read_write);
	run_section("vectors and files", N_VECTORS, sec_vectors);
	run_section("long vectors", N_LONG_VECTORS, sec_long_vectors);
	run_section("sockets", N_SOCKETS, sec_sockets);
	run_section("misc", N_MISC, sec_misc);
	run_section("ioctl", N_IOCTL, sec_ioctl);
	run_section("fcntl record locks", N_LOCKS, sec_locks);
	run_section("statfs, interval timers, sendfile", N_FSINFO, sec_fsinfo);
	run_section("recvmmsg, sendmmsg", N_MMSG, sec_mmsg);
	run_section("paths under a read watch", N_PATHS, sec_paths);
	run_section("more calls with buffers", N_MORE, sec_more);
	run_section("io_uring", N_IO_URING, sec_io_uring);
	run_section("futex, write watch", N_FUTEX, sec_futex_write);
	run_section("futex, access watch", N_FUTEX, sec_futex_access);
	run_section("threads", N_THREADS, sec_threads);
	run_section("fork", N_FORK, sec_fork);
	run_section("raw clone", N_RAW_CLONE, sec_raw_clone);
	run_section("vfork", N_VFORK, sec_vfork);
	run_section("fork, other threads writing", N_FORK_WRITERS, sec_fork_writers);
	run_section("madvise", N_MADVISE, sec_madvise);
	run_section("madvise: wipe on fork, free, populate", N_MADVISE_ADVICE, sec_madvise_advice);
	run_section("signals", N_SIGNALS, sec_signals);
	run_section("all signals blocked before the first watch", N_BLOCKED_FIRST, sec_blocked_first);
	run_section("dispatch off", N_OFF, sec_off);
	return done();
}

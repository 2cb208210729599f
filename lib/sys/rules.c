/* SPDX-License-Identifier: MIT */
/*
 * rules.c - the buffers of the system calls the library knows (see rules.h).
 * Fault path: reads of constant tables only.
 */
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <sys/times.h>
#include <sys/utsname.h>
#include <time.h>

#include "base/sigsafe.h"
#include "sys/rules.h"

#define P(arg, dir, kind, x, size) { arg, dir, kind, x, size }
#define TIMESPEC sizeof(struct timespec)
#define KSIGSET 8               /* the kernel's sigset: _NSIG bits */

static const struct rule rules[] = {
	{ SYS_read,       { P(1, OUT, K_RET, 2, 1) } },
	{ SYS_write,      { P(1, IN, K_ARG, 2, 1) } },
	{ SYS_pread64,    { P(1, OUT, K_RET, 2, 1) } },
	{ SYS_pwrite64,   { P(1, IN, K_ARG, 2, 1) } },
	{ SYS_readv,      { P(1, OUT, K_IOV, 2, 0) } },
	{ SYS_writev,     { P(1, IN, K_IOV, 2, 0) } },
	{ SYS_preadv,     { P(1, OUT, K_IOV, 2, 0) } },
	{ SYS_pwritev,    { P(1, IN, K_IOV, 2, 0) } },
	{ SYS_preadv2,    { P(1, OUT, K_IOV, 2, 0) } },
	{ SYS_pwritev2,   { P(1, IN, K_IOV, 2, 0) } },
	{ SYS_recvfrom,   { P(1, OUT, K_RET, 2, 1), P(4, INOUT, K_SOCKLEN, 5, 0),
			    P(5, INOUT, K_FIXED, 0, 4) } },
	{ SYS_sendto,     { P(1, IN, K_ARG, 2, 1), P(4, IN, K_ARG, 5, 1) } },
	{ SYS_recvmsg,    { P(1, OUT, K_MSG, 0, 0) } },
	{ SYS_sendmsg,    { P(1, IN, K_MSG, 0, 0) } },
	{ SYS_fstat,      { P(1, OUT, K_FIXED, 0, sizeof(struct stat)) } },
	{ SYS_newfstatat, { P(1, IN, K_STR, 0, 0), P(2, OUT, K_FIXED, 0, sizeof(struct stat)) } },
#ifdef SYS_stat
	{ SYS_stat,       { P(0, IN, K_STR, 0, 0), P(1, OUT, K_FIXED, 0, sizeof(struct stat)) } },
	{ SYS_lstat,      { P(0, IN, K_STR, 0, 0), P(1, OUT, K_FIXED, 0, sizeof(struct stat)) } },
#endif
	{ SYS_statx,      { P(1, IN, K_STR, 0, 0), P(4, OUT, K_FIXED, 0, sizeof(struct statx)) } },
	{ SYS_getrandom,  { P(0, OUT, K_RET, 1, 1) } },
	{ SYS_clock_gettime, { P(1, OUT, K_FIXED, 0, TIMESPEC) } },
	{ SYS_clock_getres,  { P(1, OUT, K_FIXED, 0, TIMESPEC) } },
	{ SYS_gettimeofday,  { P(0, OUT, K_FIXED, 0, sizeof(struct timeval)),
			       P(1, OUT, K_FIXED, 0, sizeof(struct timezone)) } },
	{ SYS_nanosleep,  { P(0, IN, K_FIXED, 0, TIMESPEC), P(1, OUT, K_FIXED, 0, TIMESPEC) } },
	{ SYS_clock_nanosleep, { P(2, IN, K_FIXED, 0, TIMESPEC), P(3, OUT, K_FIXED, 0, TIMESPEC) } },
#ifdef SYS_poll
	{ SYS_poll,       { P(0, INOUT, K_ARG, 1, sizeof(struct pollfd)) } },
#endif
	{ SYS_ppoll,      { P(0, INOUT, K_ARG, 1, sizeof(struct pollfd)), P(2, INOUT, K_FIXED, 0, TIMESPEC),
			    P(3, IN, K_MASK, 0, KSIGSET) } },
#ifdef SYS_select
	{ SYS_select,     { P(1, INOUT, K_FDSET, 0, 0), P(2, INOUT, K_FDSET, 0, 0),
			    P(3, INOUT, K_FDSET, 0, 0), P(4, INOUT, K_FIXED, 0, sizeof(struct timeval)) } },
#endif
	{ SYS_pselect6,   { P(1, INOUT, K_FDSET, 0, 0), P(2, INOUT, K_FDSET, 0, 0),
			    P(3, INOUT, K_FDSET, 0, 0), P(4, INOUT, K_FIXED, 0, TIMESPEC) } },
#ifdef SYS_epoll_wait
	{ SYS_epoll_wait, { P(1, OUT, K_RET, 2, sizeof(struct epoll_event)) } },
#endif
	{ SYS_epoll_pwait, { P(1, OUT, K_RET, 2, sizeof(struct epoll_event)),
			     P(4, IN, K_MASK, 0, KSIGSET) } },
	{ SYS_epoll_ctl,  { P(3, IN, K_FIXED, 0, sizeof(struct epoll_event)) } },
#ifdef SYS_pipe
	{ SYS_pipe,       { P(0, OUT, K_FIXED, 0, 2 * sizeof(int)) } },
#endif
	{ SYS_pipe2,      { P(0, OUT, K_FIXED, 0, 2 * sizeof(int)) } },
	{ SYS_socketpair, { P(3, OUT, K_FIXED, 0, 2 * sizeof(int)) } },
	{ SYS_getsockopt, { P(3, INOUT, K_SOCKLEN, 4, 0), P(4, INOUT, K_FIXED, 0, 4) } },
	{ SYS_setsockopt, { P(3, IN, K_ARG, 4, 1) } },
	{ SYS_accept,     { P(1, INOUT, K_SOCKLEN, 2, 0), P(2, INOUT, K_FIXED, 0, 4) } },
	{ SYS_accept4,    { P(1, INOUT, K_SOCKLEN, 2, 0), P(2, INOUT, K_FIXED, 0, 4) } },
	{ SYS_getsockname, { P(1, INOUT, K_SOCKLEN, 2, 0), P(2, INOUT, K_FIXED, 0, 4) } },
	{ SYS_getpeername, { P(1, INOUT, K_SOCKLEN, 2, 0), P(2, INOUT, K_FIXED, 0, 4) } },
	{ SYS_connect,    { P(1, IN, K_ARG, 2, 1) } },
	{ SYS_bind,       { P(1, IN, K_ARG, 2, 1) } },
	{ SYS_uname,      { P(0, OUT, K_FIXED, 0, sizeof(struct utsname)) } },
	{ SYS_sysinfo,    { P(0, OUT, K_FIXED, 0, sizeof(struct sysinfo)) } },
	{ SYS_getrusage,  { P(1, OUT, K_FIXED, 0, sizeof(struct rusage)) } },
	{ SYS_times,      { P(0, OUT, K_FIXED, 0, sizeof(struct tms)) } },
	{ SYS_getcwd,     { P(0, OUT, K_RET, 1, 1) } },
#ifdef SYS_readlink
	{ SYS_readlink,   { P(0, IN, K_STR, 0, 0), P(1, OUT, K_RET, 2, 1) } },
#endif
	{ SYS_readlinkat, { P(1, IN, K_STR, 0, 0), P(2, OUT, K_RET, 3, 1) } },
#ifdef SYS_open
	{ SYS_open,       { P(0, IN, K_STR, 0, 0) } },
	{ SYS_access,     { P(0, IN, K_STR, 0, 0) } },
	{ SYS_unlink,     { P(0, IN, K_STR, 0, 0) } },
	{ SYS_mkdir,      { P(0, IN, K_STR, 0, 0) } },
#endif
	{ SYS_openat,     { P(1, IN, K_STR, 0, 0) } },
	{ SYS_faccessat,  { P(1, IN, K_STR, 0, 0) } },
	{ SYS_unlinkat,   { P(1, IN, K_STR, 0, 0) } },
	{ SYS_mkdirat,    { P(1, IN, K_STR, 0, 0) } },
	{ SYS_chdir,      { P(0, IN, K_STR, 0, 0) } },
	{ SYS_getdents64, { P(1, OUT, K_RET, 2, 1) } },
	{ SYS_rt_sigaction, { P(1, IN, K_KSA, 0, 0), P(2, OUT, K_KSA, 0, 0) } },
	{ SYS_rt_sigsuspend, { P(0, IN, K_MASK, 0, KSIGSET) } },
	{ SYS_rt_sigtimedwait, { P(0, IN, K_FIXED, 0, KSIGSET), P(1, OUT, K_FIXED, 0, sizeof(siginfo_t)),
				 P(2, IN, K_FIXED, 0, TIMESPEC) } },
	{ SYS_prlimit64,  { P(2, IN, K_FIXED, 0, sizeof(struct rlimit)),
			    P(3, OUT, K_FIXED, 0, sizeof(struct rlimit)) } },
	{ SYS_getrlimit,  { P(1, OUT, K_FIXED, 0, sizeof(struct rlimit)) } },
	{ SYS_setrlimit,  { P(1, IN, K_FIXED, 0, sizeof(struct rlimit)) } },
	{ SYS_wait4,      { P(1, OUT, K_FIXED, 0, sizeof(int)), P(3, OUT, K_FIXED, 0, sizeof(struct rusage)) } },
	{ SYS_waitid,     { P(2, OUT, K_FIXED, 0, sizeof(siginfo_t)),
			    P(4, OUT, K_FIXED, 0, sizeof(struct rusage)) } },
	{ SYS_timerfd_settime, { P(2, IN, K_FIXED, 0, sizeof(struct itimerspec)),
				 P(3, OUT, K_FIXED, 0, sizeof(struct itimerspec)) } },
	{ SYS_timerfd_gettime, { P(1, OUT, K_FIXED, 0, sizeof(struct itimerspec)) } },
	{ SYS_sched_getaffinity, { P(2, OUT, K_RET, 1, 1) } },
	{ SYS_ioctl,      { P(2, 0, K_IOCTL, 1, 0) } },
};

/* The argument of ioctl command CMD, as a fixed-size buffer: its size and
 * direction from the command's encoding (_IOC_DIR, _IOC_SIZE), or for the
 * terminal commands older than the encoding, from this list.  0 for other
 * commands: their argument goes to the kernel as it is. */
int mw_sys_ioctl_param(unsigned long cmd, struct param *q)
{
	static const struct {
		unsigned long cmd;
		uint8_t dir;
		uint16_t size;
	} old[] = {
		{ TIOCGWINSZ, OUT, sizeof(struct winsize) },
		{ TIOCSWINSZ, IN, sizeof(struct winsize) },
		{ FIONREAD, OUT, sizeof(int) },
		{ TIOCOUTQ, OUT, sizeof(int) },
		{ FIONBIO, IN, sizeof(int) },
		{ FIOASYNC, IN, sizeof(int) },
		{ TIOCGPGRP, OUT, sizeof(pid_t) },
		{ TIOCSPGRP, IN, sizeof(pid_t) },
		{ TIOCGSID, OUT, sizeof(pid_t) },
		{ TIOCMGET, OUT, sizeof(int) },
		{ TIOCMSET, IN, sizeof(int) },
		{ TIOCMBIS, IN, sizeof(int) },
		{ TIOCMBIC, IN, sizeof(int) },
	};
	unsigned dir = _IOC_DIR(cmd);

	*q = (struct param){ 2, 0, K_FIXED, 0, 0 };
	for (size_t i = 0; i < sizeof(old) / sizeof(old[0]); i++)
		if (old[i].cmd == cmd) {
			q->dir = old[i].dir;
			q->size = old[i].size;
			return 1;
		}
	if (dir == _IOC_NONE || !_IOC_SIZE(cmd))
		return 0;
	q->dir = (uint8_t)((dir & _IOC_WRITE ? IN : 0) | (dir & _IOC_READ ? OUT : 0));
	q->size = (uint16_t)_IOC_SIZE(cmd);
	return 1;
}

const struct rule *mw_sys_rule_of(long nr)
{
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
		if (rules[i].nr == nr)
			return &rules[i];
	return NULL;
}

/* Signals memwatch needs delivered in every thread, always. */
void mw_sys_sanitize(uint64_t *mask)
{
	*mask &= ~((1ull << (SIGSEGV - 1)) | (1ull << (SIGSYS - 1)));
}

/* SPDX-License-Identifier: MIT */
/*
 * rules.c - the buffers of the system calls the library knows (see rules.h).
 * Fault path: reads of constant tables only.
 */
#include <asm/ldt.h>
#include <asm/prctl.h>
#include <fcntl.h>
#include <linux/aio_abi.h>
#include <mqueue.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/msg.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <sys/times.h>
#include <sys/timex.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <time.h>
#include <utime.h>

#include "base/sigsafe.h"
#include "sys/rules.h"

#define P(arg, dir, kind, x, size) { arg, dir, kind, x, size }
#define TIMESPEC sizeof(struct timespec)
#define KSIGSET 8               /* the kernel's sigset: _NSIG bits */
#define STR(arg) P(arg, IN, K_STR, 0, 0)

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
	{ SYS_ioctl,      { P(2, 0, K_CMD, 1, 0) } },
	{ SYS_fcntl,      { P(2, 0, K_CMD, 1, 0) } },
	{ SYS_prctl,      { P(1, 0, K_CMD, 0, 0) } },
	{ SYS_arch_prctl, { P(1, 0, K_CMD, 0, 0) } },
	{ SYS_shmctl,     { P(2, 0, K_CMD, 1, 0) } },
	{ SYS_msgctl,     { P(2, 0, K_CMD, 1, 0) } },
	{ SYS_semctl,     { P(3, 0, K_CMD, 2, 0) } },

	/* Paths, and what comes with them. */
#ifdef SYS_rename
	{ SYS_rename,     { STR(0), STR(1) } },
	{ SYS_rmdir,      { STR(0) } },
	{ SYS_creat,      { STR(0) } },
	{ SYS_link,       { STR(0), STR(1) } },
	{ SYS_symlink,    { STR(0), STR(1) } },
	{ SYS_chmod,      { STR(0) } },
	{ SYS_chown,      { STR(0) } },
	{ SYS_lchown,     { STR(0) } },
	{ SYS_mknod,      { STR(0) } },
	{ SYS_utime,      { STR(0), P(1, IN, K_FIXED, 0, sizeof(struct utimbuf)) } },
	{ SYS_utimes,     { STR(0), P(1, IN, K_FIXED, 0, 2 * sizeof(struct timeval)) } },
	{ SYS_futimesat,  { STR(1), P(2, IN, K_FIXED, 0, 2 * sizeof(struct timeval)) } },
	{ SYS_uselib,     { STR(0) } },
	{ SYS_inotify_add_watch, { STR(1) } },
#endif
	{ SYS_truncate,   { STR(0) } },
	{ SYS_chroot,     { STR(0) } },
	{ SYS_pivot_root, { STR(0), STR(1) } },
	{ SYS_acct,       { STR(0) } },
	{ SYS_umount2,    { STR(0) } },
	{ SYS_swapon,     { STR(0) } },
	{ SYS_swapoff,    { STR(0) } },
	{ SYS_mknodat,    { STR(1) } },
	{ SYS_fchownat,   { STR(1) } },
	{ SYS_fchmodat,   { STR(1) } },
	{ SYS_renameat,   { STR(1), STR(3) } },
	{ SYS_renameat2,  { STR(1), STR(3) } },
	{ SYS_linkat,     { STR(1), STR(3) } },
	{ SYS_symlinkat,  { STR(0), STR(2) } },
	{ SYS_utimensat,  { STR(1), P(2, IN, K_FIXED, 0, 2 * TIMESPEC) } },
	{ SYS_faccessat2, { STR(1) } },
	{ SYS_openat2,    { STR(1), P(2, IN, K_ARG, 3, 1) } },
	{ SYS_execve,     { STR(0) } },
	{ SYS_execveat,   { STR(1) } },
	{ SYS_statfs,     { STR(0), P(1, OUT, K_FIXED, 0, sizeof(struct statfs)) } },
	{ SYS_fstatfs,    { P(1, OUT, K_FIXED, 0, sizeof(struct statfs)) } },
	{ SYS_setxattr,   { STR(0), STR(1), P(2, IN, K_ARG, 3, 1) } },
	{ SYS_lsetxattr,  { STR(0), STR(1), P(2, IN, K_ARG, 3, 1) } },
	{ SYS_fsetxattr,  { STR(1), P(2, IN, K_ARG, 3, 1) } },
	{ SYS_getxattr,   { STR(0), STR(1), P(2, OUT, K_RET, 3, 1) } },
	{ SYS_lgetxattr,  { STR(0), STR(1), P(2, OUT, K_RET, 3, 1) } },
	{ SYS_fgetxattr,  { STR(1), P(2, OUT, K_RET, 3, 1) } },
	{ SYS_listxattr,  { STR(0), P(1, OUT, K_RET, 2, 1) } },
	{ SYS_llistxattr, { STR(0), P(1, OUT, K_RET, 2, 1) } },
	{ SYS_flistxattr, { P(1, OUT, K_RET, 2, 1) } },
	{ SYS_removexattr, { STR(0), STR(1) } },
	{ SYS_lremovexattr, { STR(0), STR(1) } },
	{ SYS_fremovexattr, { STR(1) } },
	{ SYS_name_to_handle_at, { STR(1), P(3, OUT, K_FIXED, 0, sizeof(int)) } },
	{ SYS_fanotify_mark, { STR(4) } },
	{ SYS_memfd_create, { STR(0) } },
	{ SYS_mq_open,    { STR(0), P(3, IN, K_FIXED, 0, sizeof(struct mq_attr)) } },
	{ SYS_mq_unlink,  { STR(0) } },
	{ SYS_open_tree,  { STR(1) } },
	{ SYS_move_mount, { STR(1), STR(3) } },
	{ SYS_fsopen,     { STR(0) } },
	{ SYS_fspick,     { STR(1) } },
	{ SYS_mount_setattr, { STR(1), P(3, IN, K_ARG, 4, 1) } },
	{ SYS_mount,      { STR(0), STR(1), STR(2) } },
	{ SYS_delete_module, { STR(0) } },
	{ SYS_finit_module, { STR(1) } },
	{ SYS_init_module, { P(0, IN, K_ARG, 1, 1), STR(2) } },
	{ SYS_add_key,    { STR(0), STR(1), P(2, IN, K_ARG, 3, 1) } },
	{ SYS_request_key, { STR(0), STR(1), STR(2) } },
	{ SYS_sethostname, { P(0, IN, K_ARG, 1, 1) } },
	{ SYS_setdomainname, { P(0, IN, K_ARG, 1, 1) } },

	/* Files, descriptors, messages. */
#ifdef SYS_getdents
	{ SYS_getdents,   { P(1, OUT, K_RET, 2, 1) } },
#endif
	{ SYS_sendfile,   { P(2, INOUT, K_FIXED, 0, sizeof(off_t)) } },
	{ SYS_splice,     { P(1, INOUT, K_FIXED, 0, sizeof(off_t)), P(3, INOUT, K_FIXED, 0, sizeof(off_t)) } },
	{ SYS_copy_file_range, { P(1, INOUT, K_FIXED, 0, sizeof(off_t)),
				 P(3, INOUT, K_FIXED, 0, sizeof(off_t)) } },
	{ SYS_recvmmsg,   { P(1, OUT, K_MMSG, 2, 0), P(4, INOUT, K_FIXED, 0, TIMESPEC) } },
	{ SYS_sendmmsg,   { P(1, IN, K_MMSG, 2, 0) } },
	{ SYS_mincore,    { P(2, OUT, K_PAGES, 1, 0) } },
	{ SYS_process_vm_readv, { P(1, OUT, K_IOV, 2, 0), P(3, IN, K_ARG, 4, sizeof(struct iovec)) } },
	{ SYS_process_vm_writev, { P(1, IN, K_IOV, 2, 0), P(3, IN, K_ARG, 4, sizeof(struct iovec)) } },
	{ SYS_process_madvise, { P(1, IN, K_ARG, 2, sizeof(struct iovec)) } },
	{ SYS_signalfd,   { P(1, IN, K_FIXED, 0, KSIGSET) } },
	{ SYS_signalfd4,  { P(1, IN, K_FIXED, 0, KSIGSET) } },
	{ SYS_epoll_pwait2, { P(1, OUT, K_RET, 2, sizeof(struct epoll_event)),
			      P(3, IN, K_FIXED, 0, TIMESPEC), P(4, IN, K_MASK, 0, KSIGSET) } },
	{ SYS_io_setup,   { P(1, OUT, K_FIXED, 0, sizeof(aio_context_t)) } },
	{ SYS_io_getevents, { P(3, OUT, K_RET, 2, sizeof(struct io_event)), P(4, IN, K_FIXED, 0, TIMESPEC) } },
	{ SYS_io_pgetevents, { P(3, OUT, K_RET, 2, sizeof(struct io_event)), P(4, IN, K_FIXED, 0, TIMESPEC) } },

	/* System V IPC and POSIX message queues. */
	{ SYS_semop,      { P(1, IN, K_ARG, 2, sizeof(struct sembuf)) } },
	{ SYS_semtimedop, { P(1, IN, K_ARG, 2, sizeof(struct sembuf)), P(3, IN, K_FIXED, 0, TIMESPEC) } },
	{ SYS_msgsnd,     { P(1, IN, K_MSGQ, 2, sizeof(long)) } },
	{ SYS_msgrcv,     { P(1, OUT, K_MSGQ, 2, sizeof(long)) } },
	{ SYS_mq_timedsend, { P(1, IN, K_ARG, 2, 1), P(4, IN, K_FIXED, 0, TIMESPEC) } },
	{ SYS_mq_timedreceive, { P(1, OUT, K_RET, 2, 1), P(3, OUT, K_FIXED, 0, sizeof(unsigned)),
				 P(4, IN, K_FIXED, 0, TIMESPEC) } },
	{ SYS_mq_notify,  { P(1, IN, K_FIXED, 0, sizeof(struct sigevent)) } },
	{ SYS_mq_getsetattr, { P(1, IN, K_FIXED, 0, sizeof(struct mq_attr)),
			       P(2, OUT, K_FIXED, 0, sizeof(struct mq_attr)) } },

	/* Time, timers, scheduling, identity, signals. */
	{ SYS_getitimer,  { P(1, OUT, K_FIXED, 0, sizeof(struct itimerval)) } },
	{ SYS_setitimer,  { P(1, IN, K_FIXED, 0, sizeof(struct itimerval)),
			    P(2, OUT, K_FIXED, 0, sizeof(struct itimerval)) } },
	{ SYS_timer_create, { P(1, IN, K_FIXED, 0, sizeof(struct sigevent)),
			      P(2, OUT, K_FIXED, 0, sizeof(int)) } },   /* the kernel's timer_t */
	{ SYS_timer_settime, { P(2, IN, K_FIXED, 0, sizeof(struct itimerspec)),
			       P(3, OUT, K_FIXED, 0, sizeof(struct itimerspec)) } },
	{ SYS_timer_gettime, { P(1, OUT, K_FIXED, 0, sizeof(struct itimerspec)) } },
	{ SYS_clock_settime, { P(1, IN, K_FIXED, 0, TIMESPEC) } },
	{ SYS_settimeofday, { P(0, IN, K_FIXED, 0, sizeof(struct timeval)),
			      P(1, IN, K_FIXED, 0, sizeof(struct timezone)) } },
	{ SYS_adjtimex,   { P(0, INOUT, K_FIXED, 0, sizeof(struct timex)) } },
	{ SYS_clock_adjtime, { P(1, INOUT, K_FIXED, 0, sizeof(struct timex)) } },
#ifdef SYS_time
	{ SYS_time,       { P(0, OUT, K_FIXED, 0, sizeof(time_t)) } },
#endif
	{ SYS_sched_setparam, { P(1, IN, K_FIXED, 0, sizeof(struct sched_param)) } },
	{ SYS_sched_getparam, { P(1, OUT, K_FIXED, 0, sizeof(struct sched_param)) } },
	{ SYS_sched_setscheduler, { P(2, IN, K_FIXED, 0, sizeof(struct sched_param)) } },
	{ SYS_sched_rr_get_interval, { P(1, OUT, K_FIXED, 0, TIMESPEC) } },
	{ SYS_sched_setaffinity, { P(2, IN, K_ARG, 1, 1) } },
	{ SYS_sched_getattr, { P(1, OUT, K_ARG, 2, 1) } },
	{ SYS_getcpu,     { P(0, OUT, K_FIXED, 0, sizeof(unsigned)), P(1, OUT, K_FIXED, 0, sizeof(unsigned)) } },
	{ SYS_getgroups,  { P(1, OUT, K_RET, 0, sizeof(gid_t)) } },
	{ SYS_setgroups,  { P(1, IN, K_ARG, 0, sizeof(gid_t)) } },
	{ SYS_getresuid,  { P(0, OUT, K_FIXED, 0, sizeof(uid_t)), P(1, OUT, K_FIXED, 0, sizeof(uid_t)),
			    P(2, OUT, K_FIXED, 0, sizeof(uid_t)) } },
	{ SYS_getresgid,  { P(0, OUT, K_FIXED, 0, sizeof(gid_t)), P(1, OUT, K_FIXED, 0, sizeof(gid_t)),
			    P(2, OUT, K_FIXED, 0, sizeof(gid_t)) } },
	{ SYS_get_robust_list, { P(1, OUT, K_FIXED, 0, sizeof(void *)), P(2, OUT, K_FIXED, 0, sizeof(size_t)) } },
	{ SYS_set_thread_area, { P(0, INOUT, K_FIXED, 0, sizeof(struct user_desc)) } },
	{ SYS_get_thread_area, { P(0, INOUT, K_FIXED, 0, sizeof(struct user_desc)) } },
	{ SYS_rt_sigpending, { P(0, OUT, K_FIXED, 0, KSIGSET) } },
	{ SYS_rt_sigqueueinfo, { P(2, IN, K_FIXED, 0, sizeof(siginfo_t)) } },
	{ SYS_rt_tgsigqueueinfo, { P(3, IN, K_FIXED, 0, sizeof(siginfo_t)) } },
	{ SYS_pidfd_send_signal, { P(2, IN, K_FIXED, 0, sizeof(siginfo_t)) } },
	{ SYS_landlock_create_ruleset, { P(0, IN, K_ARG, 1, 1) } },

	/* From going through the system call table (the rest, with the
	 * reasons, in memwatch(3)). */
	{ SYS_io_cancel,  { P(1, IN, K_FIXED, 0, sizeof(struct iocb)),
			    P(2, OUT, K_FIXED, 0, sizeof(struct io_event)) } },
	/* The header's version is written back when the kernel wants
	 * another; the data of versions 2 and 3: two structs of 12 bytes. */
	{ SYS_capget,     { P(0, INOUT, K_FIXED, 0, 2 * sizeof(int)), P(1, OUT, K_FIXED, 0, 24) } },
	{ SYS_capset,     { P(0, INOUT, K_FIXED, 0, 2 * sizeof(int)), P(1, IN, K_FIXED, 0, 24) } },
	{ SYS_get_mempolicy, { P(0, OUT, K_FIXED, 0, sizeof(int)) } },
	{ SYS_move_pages, { P(2, IN, K_ARG, 1, sizeof(void *)), P(3, IN, K_ARG, 1, sizeof(int)),
			    P(4, OUT, K_ARG, 1, sizeof(int)) } },
};

/* The argument of ioctl command CMD, as a fixed-size buffer: its size and
 * direction from the command's encoding (_IOC_DIR, _IOC_SIZE), or for the
 * terminal commands older than the encoding, from this list.  0 for other
 * commands: their argument goes to the kernel as it is. */
static int ioctl_param(unsigned long cmd, struct param *q)
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

/* The buffer of command CMD of fcntl, prctl, arch_prctl and the System V
 * IPC control calls, when it has one of a fixed size: its argument,
 * direction and size.  A semaphore set's values (GETALL, SETALL: as many as
 * the set has) go as they are. */
static const struct {
	int nr;
	unsigned long cmd;
	uint8_t dir;
	uint16_t size;
} cmds[] = {
	{ SYS_fcntl, F_GETLK, INOUT, sizeof(struct flock) },
	{ SYS_fcntl, F_SETLK, IN, sizeof(struct flock) },
	{ SYS_fcntl, F_SETLKW, IN, sizeof(struct flock) },
	{ SYS_fcntl, F_OFD_GETLK, INOUT, sizeof(struct flock) },
	{ SYS_fcntl, F_OFD_SETLK, IN, sizeof(struct flock) },
	{ SYS_fcntl, F_OFD_SETLKW, IN, sizeof(struct flock) },
	{ SYS_fcntl, F_GETOWN_EX, OUT, sizeof(struct f_owner_ex) },
	{ SYS_fcntl, F_SETOWN_EX, IN, sizeof(struct f_owner_ex) },
	{ SYS_fcntl, F_GET_RW_HINT, OUT, sizeof(uint64_t) },
	{ SYS_fcntl, F_SET_RW_HINT, IN, sizeof(uint64_t) },
	{ SYS_fcntl, F_GET_FILE_RW_HINT, OUT, sizeof(uint64_t) },
	{ SYS_fcntl, F_SET_FILE_RW_HINT, IN, sizeof(uint64_t) },
	{ SYS_prctl, PR_SET_NAME, IN, 16 },
	{ SYS_prctl, PR_GET_NAME, OUT, 16 },
	{ SYS_prctl, PR_GET_PDEATHSIG, OUT, sizeof(int) },
	{ SYS_prctl, PR_GET_CHILD_SUBREAPER, OUT, sizeof(int) },
	{ SYS_prctl, PR_GET_TID_ADDRESS, OUT, sizeof(void *) },
	{ SYS_arch_prctl, ARCH_GET_FS, OUT, sizeof(unsigned long) },
	{ SYS_arch_prctl, ARCH_GET_GS, OUT, sizeof(unsigned long) },
	{ SYS_shmctl, IPC_STAT, OUT, sizeof(struct shmid_ds) },
	{ SYS_shmctl, SHM_STAT, OUT, sizeof(struct shmid_ds) },
	{ SYS_shmctl, SHM_STAT_ANY, OUT, sizeof(struct shmid_ds) },
	{ SYS_shmctl, IPC_SET, IN, sizeof(struct shmid_ds) },
	{ SYS_shmctl, IPC_INFO, OUT, sizeof(struct shminfo) },
	{ SYS_shmctl, SHM_INFO, OUT, sizeof(struct shm_info) },
	{ SYS_msgctl, IPC_STAT, OUT, sizeof(struct msqid_ds) },
	{ SYS_msgctl, MSG_STAT, OUT, sizeof(struct msqid_ds) },
	{ SYS_msgctl, MSG_STAT_ANY, OUT, sizeof(struct msqid_ds) },
	{ SYS_msgctl, IPC_SET, IN, sizeof(struct msqid_ds) },
	{ SYS_msgctl, IPC_INFO, OUT, sizeof(struct msginfo) },
	{ SYS_msgctl, MSG_INFO, OUT, sizeof(struct msginfo) },
	{ SYS_semctl, IPC_STAT, OUT, sizeof(struct semid_ds) },
	{ SYS_semctl, SEM_STAT, OUT, sizeof(struct semid_ds) },
	{ SYS_semctl, SEM_STAT_ANY, OUT, sizeof(struct semid_ds) },
	{ SYS_semctl, IPC_SET, IN, sizeof(struct semid_ds) },
	{ SYS_semctl, IPC_INFO, OUT, sizeof(struct seminfo) },
	{ SYS_semctl, SEM_INFO, OUT, sizeof(struct seminfo) },
};

int mw_sys_cmd_param(long nr, unsigned long cmd, struct param *q)
{
	if (nr == SYS_ioctl)
		return ioctl_param((uint32_t)cmd, q);   /* the kernel's unsigned int */
	if (nr == SYS_shmctl || nr == SYS_msgctl || nr == SYS_semctl)
		cmd &= ~(unsigned long)0x100;           /* IPC_64: the only layout here */
	else
		cmd = (uint32_t)cmd;                    /* an int (prctl's option too) */
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (cmds[i].nr == nr && cmds[i].cmd == cmd) {
			*q = (struct param){ 0, cmds[i].dir, K_FIXED, 0, cmds[i].size };
			return 1;
		}
	return 0;
}

/* Rule index + 1 by system call number, filled once before dispatch
 * starts: every dispatched call looks its rule up, most find none, and the
 * table has a few hundred entries. */
#define NR_INDEXED 1024
static uint16_t by_nr[NR_INDEXED];

void mw_sys_rules_init(void)
{
	for (size_t i = sizeof(rules) / sizeof(rules[0]); i-- > 0;)
		if (rules[i].nr >= 0 && rules[i].nr < NR_INDEXED)
			by_nr[rules[i].nr] = (uint16_t)(i + 1);
}

const struct rule *mw_sys_rule_of(long nr)
{
	if (nr >= 0 && nr < NR_INDEXED)
		return by_nr[nr] ? &rules[by_nr[nr] - 1] : NULL;
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

/* SPDX-License-Identifier: MIT */
/*
 * redo.c - redoing the system calls the first watch's broadcast
 * interrupted (see redo.h).
 * Fault path (mw_sysredo_apply): mw_arch_gate_syscall (rt_sigpending),
 * mw_arch_sys_redo, sigismember.  Nothing else.
 * Thread side (note): open, read, close of /proc/self/task/TID/syscall,
 * mw_arch_sys_number_at.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include "arch/arch.h"
#include "sys/redo.h"

/* One note per asked thread; more threads than notes are asked without. */
enum { NOTES = 256 };

static struct note {
	_Atomic pid_t tid;
	long nr;
	long a[6];
	unsigned long pc;       /* after the system call instruction */
} notes[NOTES];
static _Atomic int n_notes;

/* Calls that end with EINTR when a handler runs, whatever SA_RESTART says,
 * and that leave nothing done when they do, so that making them again is
 * what would have happened without our signal (the waits go on for their
 * whole timeout again, unless the kernel wrote back what was left of it:
 * select, ppoll, pselect6, and nanosleep's remainder when the program
 * passes the same struct, as sleep(3) does). */
static int redoable(long nr)
{
	static const long calls[] = {
		SYS_nanosleep, SYS_clock_nanosleep, SYS_poll, SYS_ppoll, SYS_select,
		SYS_pselect6, SYS_epoll_wait, SYS_epoll_pwait,
#ifdef SYS_epoll_pwait2
		SYS_epoll_pwait2,
#endif
		SYS_futex, SYS_rt_sigtimedwait, SYS_rt_sigsuspend, SYS_pause,
		SYS_msgrcv, SYS_msgsnd, SYS_semop, SYS_semtimedop, SYS_io_getevents,
		SYS_read, SYS_readv, SYS_recvfrom, SYS_recvmsg,
	};

	for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++)
		if (calls[i] == nr)
			return 1;
	return 0;
}

void mw_sysredo_reset(void)
{
	int n = atomic_load(&n_notes);

	for (int i = 0; i < n; i++)
		atomic_store(&notes[i].tid, 0);
	atomic_store(&n_notes, 0);
}

void mw_sysredo_note(pid_t tid)
{
	char path[64], buf[256], *p, *end;
	unsigned long v[9];
	int fd, n, i = atomic_load(&n_notes);
	ssize_t len;

	if (i >= NOTES)
		return;
	snprintf(path, sizeof(path), "/proc/self/task/%d/syscall", (int)tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (len <= 0)
		return;
	buf[len] = 0;
	/* "NR ARG1 .. ARG6 SP PC" when blocked in a call; "running", or
	 * "-1 SP PC" otherwise. */
	p = buf;
	for (n = 0; n < 9; n++) {
		v[n] = strtoul(p, &end, 0);
		if (end == p)
			return;
		p = end;
	}
	if (buf[0] == '-')
		return;
	/* A call stopped and continued (a debugger's stop, SIGSTOP) goes on
	 * as restart_syscall, its own number gone: the code says it. */
	if ((long)v[0] == SYS_restart_syscall)
		v[0] = (unsigned long)mw_arch_sys_number_at(v[8]);
	if (!redoable((long)v[0]))
		return;
	notes[i].nr = (long)v[0];
	for (n = 0; n < 6; n++)
		notes[i].a[n] = (long)v[1 + n];
	notes[i].pc = v[8];
	atomic_store(&notes[i].tid, tid);
	atomic_store(&n_notes, i + 1);
}

int mw_sysredo_apply(pid_t tid, void *uc)
{
	int n = atomic_load(&n_notes);
	uint64_t pending = 0;
	const sigset_t *mask = &((ucontext_t *)uc)->uc_sigmask;

	for (int i = 0; i < n; i++) {
		struct note *e = &notes[i];

		if (atomic_load(&e->tid) != tid)
			continue;
		atomic_store(&e->tid, 0);       /* once */
		/* Another signal waiting to be handled would have interrupted
		 * the call without us: its EINTR stays. */
		if (mw_arch_gate_syscall(SYS_rt_sigpending, (long)&pending, 8, 0, 0, 0, 0) < 0)
			return 0;
		for (int sig = 1; sig <= 64; sig++)
			if (sig != SIGSYS && (pending >> (sig - 1) & 1) && !sigismember(mask, sig))
				return 0;
		return mw_arch_sys_redo(uc, e->nr, e->a, e->pc);
	}
	return 0;
}

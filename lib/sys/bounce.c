/* SPDX-License-Identifier: MIT */
/*
 * sysbounce.c - performing dispatched system calls (see sysbounce.h).
 * Fault path: mw_table_*, mw_record_*, mw_arch_gate_syscall, mw_arch_sys_*,
 * mw_sysfutex, mw_probe_copy, mw_unwind_busy, mw_msg_*, memcpy.  Bounce buffers
 * beyond the stack's come from mmap through the gate.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <ucontext.h>

#include "threads/lock.h"
#include "watch/protect.h"
#include "arch/arch.h"
#include "fault/fault.h"
#include "sys/fork.h"
#include "log/record.h"
#include "base/say.h"
#include "sys/bounce.h"
#include "sys/dispatch.h"
#include "sys/futex.h"
#include "watch/table.h"
#include "threads/perthread.h"
#include "base/procfd.h"
#include "log/unwind.h"
#include "base/sigsafe.h"

#define PAGE 4096u
#ifdef SYS_pipe
#define IS_SYS_PIPE(nr) ((nr) == SYS_pipe)
#else
#define IS_SYS_PIPE(nr) 0
#endif
#define BUSY 1

static long sys6(long nr, const long a[6])
{
	return mw_arch_gate_syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}

/* ------------------------------------------------ the program's memory */

static int touches(const struct mw_snapshot *s, uintptr_t lo, uintptr_t hi)
{
	size_t l = 0, r = s->nspans;

	while (l < r) {         /* the first span ending after lo */
		size_t m = (l + r) / 2;

		if (s->spans[m].end <= lo)
			l = m + 1;
		else
			r = m;
	}
	return l < s->nspans && s->spans[l].start < hi;
}

/* Copies N bytes at ADDR into DST: watched pages through their alias.
 * 0, -EFAULT, or BUSY (a page in transition). */
static int copy_in(const struct mw_snapshot *s, void *dst, uintptr_t addr, size_t n)
{
	while (n) {
		size_t chunk = PAGE - (addr & (PAGE - 1));
		const struct mw_span *sp = mw_table_span(s, addr);

		if (chunk > n)
			chunk = n;
		if (sp) {
			/* Draining: the program's pages may be back already,
			 * newer than the alias (table.h). */
			if (sp->state != MW_SPAN_ACTIVE && sp->state != MW_SPAN_FROZEN)
				return BUSY;
			memcpy(dst, (const void *)(sp->alias + (addr - sp->start)), chunk);
		} else if (mw_probe_copy(dst, (const void *)addr, chunk) < 0) {
			return -EFAULT;
		}
		dst = (char *)dst + chunk;
		addr += chunk;
		n -= chunk;
	}
	return 0;
}

static int busy_out(const struct mw_snapshot *s, uintptr_t addr, size_t n)
{
	for (uintptr_t p = addr & ~(uintptr_t)(PAGE - 1); p < addr + n; p += PAGE) {
		const struct mw_span *sp = mw_table_span(s, p);

		if (sp && sp->state != MW_SPAN_ACTIVE)
			return 1;
	}
	return 0;
}

static int copy_out(const struct mw_snapshot *s, uintptr_t addr, const void *src, size_t n)
{
	while (n) {
		size_t chunk = PAGE - (addr & (PAGE - 1));
		const struct mw_span *sp = mw_table_span(s, addr);

		if (chunk > n)
			chunk = n;
		if (sp)
			memcpy((void *)(sp->alias + (addr - sp->start)), src, chunk);
		else if (mw_probe_copy((void *)addr, src, chunk) < 0)
			return -EFAULT;
		src = (const char *)src + chunk;
		addr += chunk;
		n -= chunk;
	}
	return 0;
}

static void yield(void)
{
	mw_arch_gate_syscall(SYS_sched_yield, 0, 0, 0, 0, 0, 0);
}

/* A kernel access to log: the fault record machinery, with the call site
 * as the instruction. */
static void record_setup(struct mw_fault *f, const struct mw_snapshot *s, void *uc,
			 uintptr_t addr, size_t n, unsigned kind)
{
	f->snap = s;
	f->uc = uc;
	f->addr = addr;
	f->nacc = 1;
	f->acc[0] = (struct mw_access){ addr, n, kind };
	f->why = NULL;
	f->insn_len = 0;
	f->atomic_len = 0;
	f->kernel = 1;
	f->before = NULL;
	/* The unwinder finds the context's own PC (after the syscall) and
	 * starts there; the record names the call instruction. */
	f->pc = mw_arch_pc(uc);
}

static void record_before(struct mw_fault *f)
{
	mw_record_before(f);
	if (f->nframes > 0 && f->frames[0] == f->pc)
		f->frames[0] = mw_arch_sys_site(f->uc);
	f->pc = mw_arch_sys_site(f->uc);
}

/* Copies in, under the table; 0 or -EFAULT. */
static int bring_in(void *dst, uintptr_t addr, size_t n)
{
	for (;;) {
		unsigned slot;
		const struct mw_snapshot *s = mw_table_enter(&slot);
		int r = copy_in(s, dst, addr, n);

		mw_table_exit(slot);
		if (r != BUSY)
			return r;
		yield();
	}
}

/* Logs the kernel's read of [addr, addr+n). */
static void log_read(void *uc, uintptr_t addr, size_t n)
{
	unsigned slot;
	const struct mw_snapshot *s = mw_table_enter(&slot);
	struct mw_fault f;

	if (n && touches(s, addr, addr + n)) {
		record_setup(&f, s, uc, addr, n, MW_READ);
		record_before(&f);
		mw_record_after(&f);
		atomic_fetch_add_explicit(&mw_sys_translated, 1, memory_order_relaxed);
	}
	mw_table_exit(slot);
}

/* Copies the kernel's result out and logs its write.  0 or -EFAULT. */
static int give_out(void *uc, uintptr_t addr, const void *src, size_t n)
{
	if (!n)
		return 0;
	for (;;) {
		unsigned slot;
		const struct mw_snapshot *s = mw_table_enter(&slot);
		struct mw_fault f;
		int r;

		if (busy_out(s, addr, n)) {
			mw_table_exit(slot);
			yield();
			continue;
		}
		record_setup(&f, s, uc, addr, n, MW_WRITE);
		if (touches(s, addr, addr + n))
			record_before(&f);
		else
			f.recording = 0;
		r = copy_out(s, addr, src, n);
		if (!r && f.recording) {
			mw_record_after(&f);
			atomic_fetch_add_explicit(&mw_sys_translated, 1, memory_order_relaxed);
		}
		mw_table_exit(slot);
		return r;
	}
}

/* ------------------------------------------------------ bounce buffers */

/* A small arena on the stack, then mappings: each at least SLAB bytes,
 * the last one's rest used for the next small buffers (a vector call with
 * many watched pieces needs many). */
#define SLAB (64 * 1024)

struct bounce {
	size_t used;            /* of the arena */
	size_t slab_used;       /* of the last mapping */
	int nmaps;
	void *map[8];
	size_t maplen[8];
	char arena[1024] __attribute__((aligned(16)));
};

static void *balloc(struct bounce *b, size_t n)
{
	size_t len;

	n = (n + 15) & ~(size_t)15;
	if (n <= sizeof(b->arena) - b->used) {
		void *p = b->arena + b->used;

		b->used += n;
		return p;
	}
	if (b->nmaps && n <= b->maplen[b->nmaps - 1] - b->slab_used) {
		void *p = (char *)b->map[b->nmaps - 1] + b->slab_used;

		b->slab_used += n;
		return p;
	}
	if (b->nmaps == 8)
		return NULL;
	len = n < SLAB ? SLAB : n;
	long p = mw_arch_gate_syscall(SYS_mmap, 0, (long)len, PROT_READ | PROT_WRITE,
				      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p < 0 && p > -4096)
		return NULL;
	b->map[b->nmaps] = (void *)p;
	b->maplen[b->nmaps++] = len;
	b->slab_used = n;
	return (void *)p;
}

static void bfree(struct bounce *b)
{
	for (int i = 0; i < b->nmaps; i++)
		mw_arch_gate_syscall(SYS_munmap, (long)b->map[i], (long)b->maplen[i], 0, 0, 0, 0);
}

/* -------------------------------------------------- what calls pass */

enum { IN = 1, OUT = 2, INOUT = 3 };
enum kind {
	K_NONE,
	K_FIXED,        /* SIZE bytes */
	K_ARG,          /* a[X] * SIZE bytes, all of them read or written */
	K_RET,          /* a[X] * SIZE bytes; the kernel writes ret * SIZE */
	K_STR,          /* a NUL-terminated path, read */
	K_SOCKLEN,      /* *(socklen_t *)a[X] bytes */
	K_FDSET,        /* an fd_set for a[X] descriptors */
	K_IOV,          /* an iovec array of a[X] entries: data in DIR */
	K_MSG,          /* a struct msghdr: data in DIR */
	K_MASK,         /* IN, SIZE bytes, a sigset at offset X: sanitized */
	K_IOCTL,        /* what ioctl command a[X] says (ioctl_param) */
};

struct param {
	int8_t arg;
	uint8_t dir;
	uint8_t kind;
	int8_t x;
	uint16_t size;
};

struct rule {
	int nr;
	struct param p[4];
};

#define P(arg, dir, kind, x, size) { arg, dir, kind, x, size }
#define STAT_SIZE 144

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
	{ SYS_fstat,      { P(1, OUT, K_FIXED, 0, STAT_SIZE) } },
	{ SYS_newfstatat, { P(1, IN, K_STR, 0, 0), P(2, OUT, K_FIXED, 0, STAT_SIZE) } },
#ifdef SYS_stat
	{ SYS_stat,       { P(0, IN, K_STR, 0, 0), P(1, OUT, K_FIXED, 0, STAT_SIZE) } },
	{ SYS_lstat,      { P(0, IN, K_STR, 0, 0), P(1, OUT, K_FIXED, 0, STAT_SIZE) } },
#endif
	{ SYS_statx,      { P(1, IN, K_STR, 0, 0), P(4, OUT, K_FIXED, 0, 256) } },
	{ SYS_getrandom,  { P(0, OUT, K_RET, 1, 1) } },
	{ SYS_clock_gettime, { P(1, OUT, K_FIXED, 0, 16) } },
	{ SYS_clock_getres,  { P(1, OUT, K_FIXED, 0, 16) } },
	{ SYS_gettimeofday,  { P(0, OUT, K_FIXED, 0, 16), P(1, OUT, K_FIXED, 0, 8) } },
	{ SYS_nanosleep,  { P(0, IN, K_FIXED, 0, 16), P(1, OUT, K_FIXED, 0, 16) } },
	{ SYS_clock_nanosleep, { P(2, IN, K_FIXED, 0, 16), P(3, OUT, K_FIXED, 0, 16) } },
#ifdef SYS_poll
	{ SYS_poll,       { P(0, INOUT, K_ARG, 1, 8) } },
#endif
	{ SYS_ppoll,      { P(0, INOUT, K_ARG, 1, 8), P(2, INOUT, K_FIXED, 0, 16),
			    P(3, IN, K_MASK, 0, 8) } },
#ifdef SYS_select
	{ SYS_select,     { P(1, INOUT, K_FDSET, 0, 0), P(2, INOUT, K_FDSET, 0, 0),
			    P(3, INOUT, K_FDSET, 0, 0), P(4, INOUT, K_FIXED, 0, 16) } },
#endif
	{ SYS_pselect6,   { P(1, INOUT, K_FDSET, 0, 0), P(2, INOUT, K_FDSET, 0, 0),
			    P(3, INOUT, K_FDSET, 0, 0), P(4, INOUT, K_FIXED, 0, 16) } },
#ifdef SYS_epoll_wait
	{ SYS_epoll_wait, { P(1, OUT, K_RET, 2, 12) } },
#endif
	{ SYS_epoll_pwait, { P(1, OUT, K_RET, 2, 12), P(4, IN, K_MASK, 0, 8) } },
	{ SYS_epoll_ctl,  { P(3, IN, K_FIXED, 0, 12) } },
#ifdef SYS_pipe
	{ SYS_pipe,       { P(0, OUT, K_FIXED, 0, 8) } },
#endif
	{ SYS_pipe2,      { P(0, OUT, K_FIXED, 0, 8) } },
	{ SYS_socketpair, { P(3, OUT, K_FIXED, 0, 8) } },
	{ SYS_getsockopt, { P(3, INOUT, K_SOCKLEN, 4, 0), P(4, INOUT, K_FIXED, 0, 4) } },
	{ SYS_setsockopt, { P(3, IN, K_ARG, 4, 1) } },
	{ SYS_accept,     { P(1, INOUT, K_SOCKLEN, 2, 0), P(2, INOUT, K_FIXED, 0, 4) } },
	{ SYS_accept4,    { P(1, INOUT, K_SOCKLEN, 2, 0), P(2, INOUT, K_FIXED, 0, 4) } },
	{ SYS_getsockname, { P(1, INOUT, K_SOCKLEN, 2, 0), P(2, INOUT, K_FIXED, 0, 4) } },
	{ SYS_getpeername, { P(1, INOUT, K_SOCKLEN, 2, 0), P(2, INOUT, K_FIXED, 0, 4) } },
	{ SYS_connect,    { P(1, IN, K_ARG, 2, 1) } },
	{ SYS_bind,       { P(1, IN, K_ARG, 2, 1) } },
	{ SYS_uname,      { P(0, OUT, K_FIXED, 0, 390) } },
	{ SYS_sysinfo,    { P(0, OUT, K_FIXED, 0, 112) } },
	{ SYS_getrusage,  { P(1, OUT, K_FIXED, 0, 144) } },
	{ SYS_times,      { P(0, OUT, K_FIXED, 0, 32) } },
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
	{ SYS_rt_sigaction, { P(1, IN, K_MASK, 24, 32), P(2, OUT, K_FIXED, 0, 32) } },
	{ SYS_rt_sigsuspend, { P(0, IN, K_MASK, 0, 8) } },
	{ SYS_rt_sigtimedwait, { P(0, IN, K_FIXED, 0, 8), P(1, OUT, K_FIXED, 0, 128),
				 P(2, IN, K_FIXED, 0, 16) } },
	{ SYS_prlimit64,  { P(2, IN, K_FIXED, 0, 16), P(3, OUT, K_FIXED, 0, 16) } },
	{ SYS_getrlimit,  { P(1, OUT, K_FIXED, 0, 16) } },
	{ SYS_setrlimit,  { P(1, IN, K_FIXED, 0, 16) } },
	{ SYS_wait4,      { P(1, OUT, K_FIXED, 0, 4), P(3, OUT, K_FIXED, 0, 144) } },
	{ SYS_waitid,     { P(2, OUT, K_FIXED, 0, 128), P(4, OUT, K_FIXED, 0, 144) } },
	{ SYS_timerfd_settime, { P(2, IN, K_FIXED, 0, 32), P(3, OUT, K_FIXED, 0, 32) } },
	{ SYS_timerfd_gettime, { P(1, OUT, K_FIXED, 0, 32) } },
	{ SYS_sched_getaffinity, { P(2, OUT, K_RET, 1, 1) } },
	{ SYS_ioctl,      { P(2, 0, K_IOCTL, 1, 0) } },
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

static const struct rule *rule_of(long nr)
{
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
		if (rules[i].nr == nr)
			return &rules[i];
	return NULL;
}

/* Signals memwatch needs delivered in every thread, always. */
static void sanitize(uint64_t *mask)
{
	*mask &= ~((1ull << (SIGSEGV - 1)) | (1ull << (SIGSYS - 1)));
}

/* ------------------------------------------------------- performing */

/* Kept small: the handler may run on the program's own small alternate
 * stack.  Vectors of more entries get arrays from balloc, up to the
 * kernel's own limit (UIO_MAXIOV): longer ones it refuses anyway. */
#define IOV_INLINE 16
#define IOV_MAX_BOUNCED 1024
#define STR_MAX 4096

/* One buffer of a call, as passed and as bounced. */
struct buf {
	uintptr_t addr;         /* the program's */
	size_t len;             /* bytes passed */
	void *b;                /* the bounce */
	uint8_t dir;
	uint8_t kind;           /* of its parameter */
	uint16_t size;
	int mask_off;           /* K_MASK: where the sigset is, else -1 */
	size_t off;             /* iovec data: where it starts in the stream */
};

struct call {
	struct bounce bo;
	struct buf *buf;        /* buf0, or a larger array for long vectors */
	int nbuf, capbuf;
	struct iovec *iov;      /* iov0, or larger */
	struct buf buf0[4 + IOV_INLINE + 3];
	struct iovec iov0[IOV_INLINE];
	struct msghdr msg;
	int msg_buf;            /* index of the msghdr's buffer, or -1 */
};

/* Adds a buffer and bounces it if it touches a watched page (or FORCE).
 * 1: bounced, 0: left alone, <0: -errno to return. */
static int add(struct call *c, const struct mw_snapshot *s, uintptr_t addr, size_t len,
	       const struct param *p, unsigned dir, bool force, void **arg)
{
	struct buf *bf;

	if (!addr || !len || c->nbuf == c->capbuf)
		return 0;
	if (!force && !touches(s, addr, addr + len))
		return 0;
	bf = &c->buf[c->nbuf];
	*bf = (struct buf){ addr, len, balloc(&c->bo, len), (uint8_t)dir, p->kind, p->size,
			    p->kind == K_MASK ? p->x : -1, 0 };
	if (!bf->b)
		return -ENOMEM;
	c->nbuf++;
	*arg = bf->b;
	return 1;
}

/* The length of a buffer the rule describes, or 0 with *err set. */
static size_t length(const struct mw_snapshot *s, const struct param *p, const long a[6],
		     char *scratch, int *err)
{
	*err = 0;
	switch (p->kind) {
	case K_FIXED:
	case K_MASK:
		return p->size;
	case K_ARG:
	case K_RET:
		return (size_t)a[p->x] * p->size;
	case K_FDSET:
		return a[0] > 0 ? (((size_t)a[0] + 63) / 64) * 8 : 0;
	case K_SOCKLEN: {
		uint32_t n = 0;

		if (!a[p->x] || copy_in(s, &n, (uintptr_t)a[p->x], 4))
			return 0;
		return n;
	}
	case K_STR: {
		/* Only a path that starts on a watched page is bounced. */
		uintptr_t at = (uintptr_t)a[p->arg];
		size_t n = 0;

		if (!at || !mw_table_span(s, at))
			return 0;
		while (n < STR_MAX) {
			int r = copy_in(s, scratch + n, at + n, 1);

			if (r) {
				*err = r;
				return 0;
			}
			if (!scratch[n++])
				return n;
		}
		*err = -ENAMETOOLONG;
		return 0;
	}
	}
	return 0;
}

/* The iovec array V of N entries, data in direction DIR: bounces what is
 * watched into c->iov.  1 if the call must use c->iov, 0 if not, <0 -errno. */
static int add_iov(struct call *c, const struct mw_snapshot *s, const struct param *p,
		   uintptr_t v, size_t n)
{
	size_t off = 0;
	int any, r;

	if (!v || !n || n > IOV_MAX_BOUNCED)
		return 0;       /* as it is: the kernel says EFAULT or EINVAL */
	if (n > IOV_INLINE) {
		/* Room for N entries, and for a buffer each besides those
		 * added so far and the few that may follow (msghdr). */
		struct iovec *iov = balloc(&c->bo, n * sizeof(*iov));
		struct buf *buf = balloc(&c->bo, (c->nbuf + n + 4) * sizeof(*buf));

		if (!iov || !buf)
			return -ENOMEM;
		memcpy(buf, c->buf, (size_t)c->nbuf * sizeof(*buf));
		c->buf = buf;
		c->capbuf = c->nbuf + (int)n + 4;
		c->iov = iov;
	}
	if (copy_in(s, c->iov, v, n * sizeof(c->iov[0])))
		return 0;
	any = touches(s, v, v + n * sizeof(c->iov[0]));
	for (size_t k = 0; k < n; k++) {
		r = add(c, s, (uintptr_t)c->iov[k].iov_base, c->iov[k].iov_len, p, p->dir, false,
			&c->iov[k].iov_base);
		if (r < 0)
			return r;
		if (r)
			c->buf[c->nbuf - 1].off = off;
		any |= r;
		off += c->iov[k].iov_len;
	}
	return any;
}

/* Prepares the bounces of a call (inside the table).  0, BUSY or -errno. */
static int prepare(struct call *c, const struct mw_snapshot *s, const struct rule *ru,
		   long a[6], char **scratchp)
{
	char *scratch;

	for (int i = 0; i < 4 && ru->p[i].kind; i++) {
		const struct param *p = &ru->p[i];
		uintptr_t at = (uintptr_t)a[p->arg];
		int err, r;

		if (p->kind == K_IOV) {
			r = add_iov(c, s, p, at, (size_t)a[p->x]);
			if (r < 0)
				return r;
			if (r)
				a[p->arg] = (long)c->iov;
			continue;
		}
		if (p->kind == K_IOCTL) {
			struct param q;

			if (!ioctl_param((uint32_t)a[p->x], &q))   /* the kernel's unsigned int */
				continue;
			r = add(c, s, at, q.size, &q, q.dir, false, (void **)&a[p->arg]);
			if (r < 0)
				return r;
			continue;
		}
		if (p->kind == K_MSG) {
			int before = c->nbuf;

			if (!at || copy_in(s, &c->msg, at, sizeof(c->msg)))
				continue;       /* the kernel's EFAULT */
			r = add(c, s, (uintptr_t)c->msg.msg_name, c->msg.msg_namelen, p,
				p->dir | IN, false, &c->msg.msg_name);
			if (r >= 0)
				r = add(c, s, (uintptr_t)c->msg.msg_control, c->msg.msg_controllen, p,
					p->dir | IN, false, &c->msg.msg_control);
			if (r >= 0) {
				int iov = add_iov(c, s, p, (uintptr_t)c->msg.msg_iov, c->msg.msg_iovlen);

				if (iov < 0)
					return iov;
				if (iov)
					c->msg.msg_iov = c->iov;
			}
			if (r < 0)
				return r;
			if (c->nbuf > before || touches(s, at, at + sizeof(c->msg)) ||
			    c->msg.msg_iov == c->iov) {
				/* The kernel writes lengths and flags into the
				 * header: so do we, after. */
				c->msg_buf = c->nbuf;
				c->buf[c->nbuf++] = (struct buf){ at, sizeof(c->msg), &c->msg, OUT,
								  K_MSG, 0, -1, 0 };
				a[p->arg] = (long)&c->msg;
			}
			continue;
		}
		/* A path on a watched page is copied: room for it, mapped
		 * (bfree unmaps it), not on the signal stack. */
		if (p->kind == K_STR && at && mw_table_span(s, at) && !*scratchp) {
			*scratchp = balloc(&c->bo, STR_MAX);
			if (!*scratchp)
				return -ENOMEM;
		}
		scratch = *scratchp;
		size_t len = length(s, p, a, scratch, &err);

		if (err)
			return err;
		if (p->kind == K_STR) {
			if (len) {
				void *b = balloc(&c->bo, len);

				if (!b)
					return -ENOMEM;
				memcpy(b, scratch, len);
				c->buf[c->nbuf++] = (struct buf){ at, len, b, 0, K_STR, 0, -1, 0 };
				a[p->arg] = (long)b;
			}
			continue;
		}
		r = add(c, s, at, len, p, p->dir, p->kind == K_MASK, (void **)&a[p->arg]);
		if (r < 0)
			return r;
	}
	/* Contents: what the kernel reads, and what it may leave unwritten. */
	for (int i = 0; i < c->nbuf; i++) {
		struct buf *bf = &c->buf[i];
		int r;

		if (bf->kind == K_STR || bf->b == &c->msg)
			continue;
		if (!(bf->dir & IN) && (bf->kind == K_RET || bf->kind == K_IOV))
			continue;       /* written exactly as far as the result says */
		r = copy_in(s, bf->b, bf->addr, bf->len);
		if (r)
			return r;
		if (bf->mask_off >= 0)
			sanitize((uint64_t *)((char *)bf->b + bf->mask_off));
	}
	return 0;
}

/* How much of buffer BF the kernel wrote, given the call's result R. */
static size_t written(const struct buf *bf, long r)
{
	switch (bf->kind) {
	case K_RET:
		return r <= 0 ? 0 : (size_t)r * bf->size < bf->len ? (size_t)r * bf->size : bf->len;
	case K_IOV:
	case K_MSG:
		if (bf->dir & IN)
			return r < 0 ? 0 : bf->len;     /* msg_name, msg_control */
		if (r <= 0 || (size_t)r <= bf->off)
			return 0;
		return (size_t)r - bf->off < bf->len ? (size_t)r - bf->off : bf->len;
	default:
		/* Fixed-size results: with success; a sleep's remainder comes
		 * with EINTR. */
		return r >= 0 || r == -EINTR ? bf->len : 0;
	}
}

static void perform_rule(void *uc, long nr, long a[6], const struct rule *ru)
{
	struct call c;
	char *scratch = NULL;
	long b[6], r;
	int tries = 0;
	const struct mw_snapshot *seen;

again:
	for (;;) {
		unsigned slot;
		const struct mw_snapshot *s = mw_table_enter(&slot);

		seen = s;
		c.bo.used = 0;
		c.bo.nmaps = 0;
		c.buf = c.buf0;
		c.capbuf = (int)(sizeof(c.buf0) / sizeof(c.buf0[0]));
		c.iov = c.iov0;
		c.nbuf = 0;
		c.msg_buf = -1;
		memcpy(b, a, sizeof(b));
		scratch = NULL;
		r = s->nspans || ru->p[0].kind == K_MASK || ru->p[1].kind == K_MASK ||
		    ru->p[2].kind == K_MASK ? prepare(&c, s, ru, b, &scratch) : 0;
		mw_table_exit(slot);
		if (r != BUSY)
			break;
		bfree(&c.bo);
		yield();
	}
	if (r) {
		bfree(&c.bo);
		mw_arch_sys_return(uc, r);
		return;
	}
	r = sys6(nr, b);
	if (!c.nbuf) {
		/* A buffer watched while the call was blocked (a read into it
		 * started before mw_watch): the kernel says EFAULT.  Again,
		 * bounced this time: a failed copy consumed nothing. */
		if (r == -EFAULT && tries++ < 3) {
			unsigned slot;
			bool changed = mw_table_enter(&slot) != seen;

			mw_table_exit(slot);
			if (changed)
				goto again;
		}
		mw_arch_sys_return(uc, r);
		return;
	}
	/* The kernel's reads, then its writes, in the order of the buffers. */
	for (int i = 0; i < c.nbuf; i++)
		if ((c.buf[i].dir & IN) && r >= 0 && c.buf[i].mask_off < 0)
			log_read(uc, c.buf[i].addr, c.buf[i].len);
	for (int i = 0; i < c.nbuf; i++) {
		struct buf *bf = &c.buf[i];
		size_t n;

		if (!(bf->dir & OUT))
			continue;
		if (i == c.msg_buf) {
			/* The header goes back with the program's pointers and
			 * the kernel's lengths and flags. */
			struct msghdr orig;

			if (r >= 0 && bring_in(&orig, bf->addr, sizeof(orig)) == 0) {
				orig.msg_namelen = c.msg.msg_namelen;
				orig.msg_controllen = c.msg.msg_controllen;
				orig.msg_flags = c.msg.msg_flags;
				give_out(uc, bf->addr, &orig, sizeof(orig));
			}
			continue;
		}
		n = written(bf, r);
		if (n && give_out(uc, bf->addr, bf->b, n) < 0 && r >= 0)
			r = -EFAULT;
	}
	bfree(&c.bo);
	mw_arch_sys_return(uc, r);
}

/* rt_sigprocmask, on the mask the signal frame will restore. */
static long sigprocmask_frame(void *uc, const long a[6])
{
	uint64_t *mask = (uint64_t *)&((ucontext_t *)uc)->uc_sigmask;
	uint64_t set = 0, old = *mask;
	int r;

	if (a[3] != 8)
		return -EINVAL;
	if (a[1]) {
		r = bring_in(&set, (uintptr_t)a[1], 8);
		if (r)
			return r;
	}
	if (a[2]) {
		unsigned slot;
		const struct mw_snapshot *s = mw_table_enter(&slot);

		r = copy_out(s, (uintptr_t)a[2], &old, 8);
		mw_table_exit(slot);
		if (r)
			return r;
	}
	if (!a[1])
		return 0;
	switch (a[0]) {
	case SIG_BLOCK:
		*mask |= set;
		break;
	case SIG_UNBLOCK:
		*mask &= ~set;
		break;
	case SIG_SETMASK:
		*mask = set;
		break;
	default:
		return -EINVAL;
	}
	*mask &= ~((1ull << (SIGKILL - 1)) | (1ull << (SIGSTOP - 1)));
	sanitize(mask);
	return 0;
}

/* madvise(MADV_DONTNEED) on watched pages: their memory is a memfd now,
 * where the advice would keep the contents; punch them out of the memfd
 * instead, so that they read as zeros as before, and log the kernel's
 * write.  MADV_FREE may keep contents anyway: nothing more to do. */
static long madvise_watched(void *uc, const long a[6])
{
	uintptr_t lo = (uintptr_t)a[0], hi = lo + (uintptr_t)a[1];
	long r = sys6(SYS_madvise, a);

	if (r < 0 || a[2] != MADV_DONTNEED || hi <= lo)
		return r;
	for (;;) {
		unsigned slot;
		const struct mw_snapshot *s = mw_table_enter(&slot);
		struct mw_fault f;

		if (!touches(s, lo, hi)) {
			mw_table_exit(slot);
			return r;
		}
		if (busy_out(s, lo, hi - lo)) {
			mw_table_exit(slot);
			yield();
			continue;
		}
		record_setup(&f, s, uc, lo, hi - lo, MW_WRITE);
		record_before(&f);
		for (size_t i = 0; i < s->nspans; i++) {
			const struct mw_span *sp = &s->spans[i];
			uintptr_t from = sp->start > lo ? sp->start : lo;
			uintptr_t to = sp->end < hi ? sp->end : hi;

			if (from < to && !sp->shared)
				mw_arch_gate_syscall(SYS_madvise, (long)(sp->alias + (from - sp->start)),
						     (long)(to - from), MADV_REMOVE, 0, 0, 0);
		}
		mw_record_after(&f);
		mw_table_exit(slot);
		return r;
	}
}

/* The front's end of the watches over memory that goes away (api.h). */
static void (*gone)(uintptr_t lo, uintptr_t hi, uintptr_t pc);

void mw_sys_set_gone(void (*fn)(uintptr_t lo, uintptr_t hi, uintptr_t pc))
{
	gone = fn;
}

/* The program unmaps, moves or replaces memory, or changes its protection:
 * watches over memory that goes away end (api.h), the program's protection
 * of watched pages is kept for when their watches end.  The library's own
 * calls, made under its lock, pass. */
static long address_space(void *uc, long nr, const long a[6], bool *done)
{
	uintptr_t lo = 0, hi = 0, pg = 4096;
	unsigned slot;
	const struct mw_snapshot *s;
	bool touched;

	*done = false;
	if (mw_lock_held())
		return 0;
	switch (nr) {
	case SYS_munmap:
		lo = (uintptr_t)a[0];
		hi = lo + (uintptr_t)a[1];
		break;
	case SYS_mremap:
		/* The old range goes (old size 0 on shared memory: a copy stays),
		 * and a fixed destination is replaced. */
		if (a[1]) {
			lo = (uintptr_t)a[0];
			hi = lo + (uintptr_t)a[1];
		}
		if (a[3] & MREMAP_FIXED) {
			s = mw_table_enter(&slot);
			touched = touches(s, (uintptr_t)a[4], (uintptr_t)a[4] + (uintptr_t)a[2]);
			mw_table_exit(slot);
			if (touched)
				gone((uintptr_t)a[4], (uintptr_t)a[4] + (uintptr_t)a[2],
					    mw_arch_sys_site(uc));
		}
		break;
	case SYS_mmap:
		if (!(a[3] & (MAP_FIXED | MAP_FIXED_NOREPLACE)) || (a[3] & MAP_FIXED_NOREPLACE))
			return 0;
		lo = (uintptr_t)a[0];
		hi = lo + (uintptr_t)a[1];
		break;
	case SYS_brk: {
		uintptr_t now = (uintptr_t)mw_arch_gate_syscall(SYS_brk, 0, 0, 0, 0, 0, 0);

		if (a[0] && (uintptr_t)a[0] < now) {
			lo = (uintptr_t)a[0];
			hi = now;
		}
		break;
	}
	case SYS_mprotect:
		lo = (uintptr_t)a[0];
		hi = lo + (uintptr_t)a[1];
		break;
	default:
		return 0;
	}
	if (lo & (pg - 1))
		return 0;       /* EINVAL from the kernel */
	hi = (hi + pg - 1) & ~(uintptr_t)(pg - 1);
	if (hi <= lo)
		return 0;
	s = mw_table_enter(&slot);
	touched = touches(s, lo, hi);
	mw_table_exit(slot);
	if (!touched)
		return 0;
	if (nr == SYS_mprotect) {
		*done = true;
		long r;

		mw_lock();
		r = mw_protect_change(lo, hi, (int)a[2]);
		mw_unlock();
		return r;
	}
	gone(lo, hi, mw_arch_sys_site(uc));
	return 0;
}

/* sigaction(SIGSEGV) by the program while ours is installed: its handler
 * becomes the one genuine faults go to (fault.h); ours stays.  The same for
 * SIGSYS: its handler gets the SIGSYS that are not dispatch's (bash's
 * `read -t` installs one for SIGSYS among others, and died of the next
 * dispatched call).  1 when the call should go to the kernel instead. */
static long our_action(const long a[6])
{
	uint8_t k[MW_KSA_MAX];
	struct sigaction act, old;
	int r;

	if (a[1]) {
		r = bring_in(k, (uintptr_t)a[1], mw_arch_ksa_size());
		if (r)
			return r;
		mw_arch_ksa_to_sa(k, &act);
	}
	if ((a[0] == SIGSEGV ? mw_fault_sigaction : mw_sys_sigaction)(a[1] ? &act : NULL,
								    a[2] ? &old : NULL) < 0)
		return 1;
	if (a[2]) {
		unsigned slot;
		const struct mw_snapshot *s = mw_table_enter(&slot);

		mw_arch_sa_to_ksa(&old, k);
		r = copy_out(s, (uintptr_t)a[2], k, mw_arch_ksa_size());
		mw_table_exit(slot);
		if (r)
			return r;
	}
	return 0;
}

/* sigaltstack, on the signal frame: performed here, on our alternate stack,
 * it would see this handler's stack, not the program's, and refuse to
 * change a stack in use.  The frame's uc_stack is the alternate stack at
 * the call (its flags as set, without SS_ONSTACK) and what rt_sigreturn
 * installs. */
static long sigaltstack_frame(void *uc, const long a[6])
{
	stack_t *cur = &((ucontext_t *)uc)->uc_stack, set, ours;
	stack_t old = *cur;
	uintptr_t sp = mw_arch_sp(uc);
	bool have_ours = mw_thread_our_altstack(&ours);
	int r;

	if (!(old.ss_flags & SS_DISABLE) && sp > (uintptr_t)old.ss_sp &&
	    sp - (uintptr_t)old.ss_sp <= old.ss_size)
		old.ss_flags |= SS_ONSTACK;
	/* The library's own stack is none, as far as the program can tell. */
	if (have_ours && old.ss_sp == ours.ss_sp && !(old.ss_flags & SS_ONSTACK))
		old = (stack_t){ NULL, SS_DISABLE, 0 };
	if (a[0]) {
		r = bring_in(&set, (uintptr_t)a[0], sizeof(set));
		if (r)
			return r;
		if (old.ss_flags & SS_ONSTACK)
			return -EPERM;
		if (set.ss_flags & ~(SS_DISABLE | (int)0x80000000u /* SS_AUTODISARM */))
			return -EINVAL;
		if (!(set.ss_flags & SS_DISABLE) && set.ss_size < (size_t)MINSIGSTKSZ)
			return -ENOMEM;
	}
	if (a[1]) {
		unsigned slot;
		const struct mw_snapshot *s = mw_table_enter(&slot);

		r = copy_out(s, (uintptr_t)a[1], &old, sizeof(old));
		mw_table_exit(slot);
		if (r)
			return r;
	}
	if (a[0]) {
		if (set.ss_flags & SS_DISABLE) {
			set.ss_sp = NULL;
			set.ss_size = 0;
			/* No stack of the program's: the library's again, for
			 * its handlers (the program sees none). */
			if (have_ours)
				set = ours;
		}
		*cur = set;
		/* The frame's copy is what rt_sigreturn restores, but the
		 * kernel does not take it while this handler runs on an
		 * alternate stack without SS_AUTODISARM (ours): set it now. */
		mw_arch_sys_altstack(uc, &set);
		mw_thread_altstack((uintptr_t)set.ss_sp, set.ss_size);
	}
	return 0;
}

static bool is_clone(long nr)
{
	return nr == SYS_clone ||
#ifdef SYS_clone3
	       nr == SYS_clone3 ||
#endif
#ifdef SYS_fork
	       nr == SYS_fork || nr == SYS_vfork ||
#endif
	       0;
}

/* libunwind opens a pipe, to test addresses with, the first time one of
 * our backtraces needs it, and keeps it: at the lowest free numbers (3 and
 * 4, say), which the program's next open(2) and pipe(2) would get without
 * the library.  Ours go up to MW_HIGH_FD. */
static long unwinder_pipe(long nr, const long a[6])
{
	long flags = nr == SYS_pipe2 ? a[1] : 0;
	int fds[2];
	long r = mw_arch_gate_syscall(SYS_pipe2, (long)fds, flags, 0, 0, 0, 0);

	if (r < 0)
		return r;
	for (int i = 0; i < 2; i++) {
		long h = mw_arch_gate_syscall(SYS_fcntl, fds[i],
					      flags & O_CLOEXEC ? F_DUPFD_CLOEXEC : F_DUPFD,
					      MW_HIGH_FD, 0, 0, 0);

		if (h >= 0) {
			mw_arch_gate_syscall(SYS_close, fds[i], 0, 0, 0, 0, 0);
			fds[i] = (int)h;
		}
	}
	memcpy((void *)a[0], fds, sizeof(fds));
	return 0;
}

/* io_uring's operations reach the kernel without a system call each: the
 * ones on watched pages fail (EFAULT in their completions), unbounced and
 * unlogged.  Said once, when a watch meets the program's io_uring. */
static void io_uring_said(long nr)
{
	static _Atomic int said;
	struct mw_msg m;

	if (nr != SYS_io_uring_setup && nr != SYS_io_uring_enter && nr != SYS_io_uring_register)
		return;
	if (atomic_exchange(&said, 1))
		return;
	mw_msg_init(&m);
	mw_msg_str(&m, "the program uses io_uring: its operations on watched pages fail with "
		       "EFAULT, and are not logged");
	mw_msg_flush(&m);
}

void mw_sysbounce_perform(void *uc, long nr, long a[6])
{
	const struct rule *ru;

	if (nr == SYS_rt_sigreturn) {
		sanitize((uint64_t *)mw_arch_sys_sigreturn(uc));
		return;
	}
	if (is_clone(nr)) {
		/* A fork (no shared memory): the child copies the watched pages
		 * first thing.  clone3's flags are in memory: its forks (rare)
		 * copy in the fork handler instead. */
		bool forklike = nr == SYS_clone ? !(a[0] & CLONE_VM) :
#ifdef SYS_fork
				nr == SYS_fork;
#else
				false;
#endif

		bool forking = (nr != SYS_clone || !(a[0] & CLONE_VM)) &&
			       mw_fork_at_syscall(forklike);
		long r = mw_arch_sys_clone(uc, nr, a, mw_arch_sys_child_sp(uc, nr, a),
					   forklike ? mw_fork_child_early : NULL);

		if (forking)
			mw_fork_after_syscall(r);
		mw_arch_sys_return(uc, r);
		return;
	}
	if (nr == SYS_ptrace && a[0] == PTRACE_TRACEME) {
		/* The thread asks its parent to trace it (gdb's and strace's
		 * children, between fork or vfork and exec): each signal it
		 * gets from now on is a stop for the tracer, which may be
		 * waiting for its exec (vfork): no more SIGSYS.  Its system
		 * calls on watched pages fail with EFAULT from here. */
		long r = sys6(nr, a);

		if (r == 0)
			mw_arch_gate_disable();
		mw_arch_sys_return(uc, r);
		return;
	}
	if (nr == SYS_sigaltstack) {
		mw_arch_sys_return(uc, sigaltstack_frame(uc, a));
		return;
	}
	if (nr == SYS_rt_sigprocmask) {
		mw_arch_sys_return(uc, sigprocmask_frame(uc, a));
		return;
	}
	if ((nr == SYS_pipe2 || IS_SYS_PIPE(nr)) && mw_unwind_busy()) {
		mw_arch_sys_return(uc, unwinder_pipe(nr, a));
		return;
	}
	io_uring_said(nr);
	if (mw_lock_held()) {
		/* The library's own call, under its lock: it knows what it
		 * passes (pages being watched, read directly).  The calls
		 * above act on the signal frame and must be emulated anyway. */
		mw_arch_sys_return(uc, sys6(nr, a));
		return;
	}
	if (nr == SYS_munmap || nr == SYS_mremap || nr == SYS_mmap || nr == SYS_brk ||
	    nr == SYS_mprotect) {
		bool done;
		long r = address_space(uc, nr, a, &done);

		mw_arch_sys_return(uc, done ? r : sys6(nr, a));
		return;
	}
	if (nr == SYS_rt_sigaction && (a[0] == SIGSEGV || a[0] == SIGSYS) && a[3] == 8) {
		long r = our_action(a);

		if (r != 1) {
			mw_arch_sys_return(uc, r);
			return;
		}
	}
	if (nr == SYS_madvise) {
		mw_arch_sys_return(uc, madvise_watched(uc, a));
		return;
	}
	if (nr == SYS_futex) {
		mw_arch_sys_return(uc, mw_sysfutex(uc, a));
		return;
	}
	ru = rule_of(nr);
	if (ru)
		perform_rule(uc, nr, a, ru);
	else
		mw_arch_sys_return(uc, sys6(nr, a));
}

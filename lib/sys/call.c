/* SPDX-License-Identifier: MIT */
/*
 * call.c - the buffers of one dispatched system call (see call.h).
 * Fault path: kernelmem.h, rules.h, mw_arch_gate_syscall (mmap, munmap),
 * mw_arch_ksa_*, memcpy.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "arch/arch.h"
#include "base/sigsafe.h"
#include "sys/call.h"
#include "sys/kernelmem.h"
#include "sys/rules.h"
#include "watch/table.h"

void mw_call_init(struct call *c)
{
	c->bo.used = 0;
	c->bo.nmaps = 0;
	c->buf = c->buf0;
	c->capbuf = (int)(sizeof(c->buf0) / sizeof(c->buf0[0]));
	c->iov0_used = false;
	c->msg1 = 0;
	c->nbuf = 0;
	c->msg_buf = -1;
	c->mmsg = NULL;
	c->mmsg_n = 0;
	c->mmsg_buf = -1;
}

#define SLAB (64 * 1024)        /* the least a bounce mapping has */


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

void mw_call_free(struct call *c)
{
	struct bounce *b = &c->bo;

	for (int i = 0; i < b->nmaps; i++)
		mw_arch_gate_syscall(SYS_munmap, (long)b->map[i], (long)b->maplen[i], 0, 0, 0, 0);
}

/* Where in the buffer of P a sigset is that the kernel must not get with
 * SIGSEGV or SIGSYS in it, or -1. */
static int mask_offset(const struct param *p)
{
	if (p->kind == K_MASK)
		return p->x;
	if (p->kind == K_KSA && (p->dir & IN))
		return (int)mw_arch_ksa_mask_offset();
	return -1;
}

/* Whether a buffer of rule RU is always bounced, to sanitize its sigset. */
bool mw_call_sanitizes(const struct rule *ru)
{
	for (int i = 0; i < 4; i++)
		if (mask_offset(&ru->p[i]) >= 0)
			return true;
	return false;
}

/* Room for N more buffers.  0 or -ENOMEM. */
static int room(struct call *c, size_t n)
{
	struct buf *buf;

	if ((size_t)(c->capbuf - c->nbuf) >= n)
		return 0;
	buf = balloc(&c->bo, ((size_t)c->nbuf + n + 4) * sizeof(*buf));
	if (!buf)
		return -ENOMEM;
	memcpy(buf, c->buf, (size_t)c->nbuf * sizeof(*buf));
	c->buf = buf;
	c->capbuf = c->nbuf + (int)n + 4;
	return 0;
}

/* Adds a buffer and bounces it if it touches a watched page (or FORCE).
 * 1: bounced, 0: left alone, <0: -errno to return. */
static int add(struct call *c, const struct mw_snapshot *s, uintptr_t addr, size_t len,
	       const struct param *p, unsigned dir, bool force, void **arg)
{
	struct buf *bf;

	if (!addr || !len || c->nbuf == c->capbuf)
		return 0;
	if (!force && !mw_sys_touches(s, addr, addr + len))
		return 0;
	bf = &c->buf[c->nbuf];
	*bf = (struct buf){ addr, len, balloc(&c->bo, len), (uint8_t)dir, p->kind, p->size,
			    mask_offset(p), 0, c->msg1 };
	if (!bf->b)
		return -ENOMEM;
	c->nbuf++;
	*arg = bf->b;
	return 1;
}

/* Whether the string at AT is to be bounced: it has a byte on a watched
 * page.  Only a string that ends within STR_MAX of a watched page is
 * looked at. */
static bool str_near(const struct mw_snapshot *s, uintptr_t at)
{
	return at && mw_sys_touches(s, at, at + STR_MAX);
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
	case K_KSA:
		return mw_arch_ksa_size();
	case K_ARG:
	case K_RET:
		return (size_t)a[p->x] * p->size;
	case K_MSGQ:
		return (size_t)a[p->x] + p->size;
	case K_PAGES:
		return ((size_t)a[p->x] + 4095) / 4096;
	case K_FDSET:
		return a[0] > 0 ? (((size_t)a[0] + 63) / 64) * 8 : 0;
	case K_SOCKLEN: {
		uint32_t n = 0;

		if (!a[p->x] || mw_sys_copy_in(s, &n, (uintptr_t)a[p->x], 4))
			return 0;
		return n;
	}
	case K_STR: {
		/* A path with a byte on a watched page is bounced. */
		uintptr_t at = (uintptr_t)a[p->arg];
		size_t n = 0;

		if (!str_near(s, at))
			return 0;
		while (n < STR_MAX) {
			int r = mw_sys_copy_in(s, scratch + n, at + n, 1);

			if (r) {
				*err = r;
				return 0;
			}
			if (!scratch[n++])
				return mw_sys_touches(s, at, at + n) ? n : 0;
		}
		*err = -ENAMETOOLONG;
		return 0;
	}
	}
	return 0;
}

/* The iovec array V of N entries, data in direction DIR: bounces what is
 * watched into a copy of the array, *OUT.  1 if the call must use *OUT, 0
 * if not, <0 -errno. */
static int add_iov(struct call *c, const struct mw_snapshot *s, const struct param *p,
		   uintptr_t v, size_t n, struct iovec **out)
{
	struct iovec *iov;
	size_t off = 0;
	int any, r;

	if (!v || !n || n > IOV_MAX_BOUNCED)
		return 0;       /* as it is: the kernel says EFAULT or EINVAL */
	/* Room for N entries, and for a buffer each besides those added so
	 * far and the few that may follow (msghdr). */
	if (n <= IOV_INLINE && !c->iov0_used) {
		iov = c->iov0;
		c->iov0_used = true;
	} else {
		iov = balloc(&c->bo, n * sizeof(*iov));
	}
	if (!iov || room(c, n + 4))
		return -ENOMEM;
	if (mw_sys_copy_in(s, iov, v, n * sizeof(iov[0])))
		return 0;
	any = mw_sys_touches(s, v, v + n * sizeof(iov[0]));
	for (size_t k = 0; k < n; k++) {
		r = add(c, s, (uintptr_t)iov[k].iov_base, iov[k].iov_len, p, p->dir, false,
			&iov[k].iov_base);
		if (r < 0)
			return r;
		if (r)
			c->buf[c->nbuf - 1].off = off;
		any |= r;
		off += iov[k].iov_len;
	}
	*out = iov;
	return any;
}

/* The buffers a msghdr M (a copy) points to: bounced into M.  1 if the
 * call must use the copy, 0 if not, <0 -errno. */
static int add_msghdr(struct call *c, const struct mw_snapshot *s, const struct param *p,
		      struct msghdr *m)
{
	int before = c->nbuf, r;
	struct iovec *iov;

	if (room(c, 2))
		return -ENOMEM;
	r = add(c, s, (uintptr_t)m->msg_name, m->msg_namelen, p, p->dir | IN, false, &m->msg_name);
	if (r >= 0)
		r = add(c, s, (uintptr_t)m->msg_control, m->msg_controllen, p, p->dir | IN, false,
			&m->msg_control);
	if (r < 0)
		return r;
	r = add_iov(c, s, p, (uintptr_t)m->msg_iov, m->msg_iovlen, &iov);
	if (r < 0)
		return r;
	if (r)
		m->msg_iov = iov;
	return r || c->nbuf > before;
}

/* A vector of N struct mmsghdr at AT (recvmmsg, sendmmsg): bounced into
 * c->mmsg with whatever its headers point to that is watched. */
static int add_mmsg(struct call *c, const struct mw_snapshot *s, const struct param *p,
		    uintptr_t at, size_t n, long *arg)
{
	struct mmsghdr *mm;
	bool any;
	int r;

	if (n > IOV_MAX_BOUNCED)
		n = IOV_MAX_BOUNCED;    /* the kernel's own limit, UIO_MAXIOV */
	if (!at || !n)
		return 0;
	mm = balloc(&c->bo, n * sizeof(*mm));
	if (!mm || room(c, 1))
		return -ENOMEM;
	if (mw_sys_copy_in(s, mm, at, n * sizeof(*mm)))
		return 0;       /* the kernel's EFAULT */
	any = mw_sys_touches(s, at, at + n * sizeof(*mm));
	for (size_t k = 0; k < n; k++) {
		c->msg1 = (unsigned)k + 1;
		r = add_msghdr(c, s, p, &mm[k].msg_hdr);
		c->msg1 = 0;
		if (r < 0)
			return r;
		any |= r;
	}
	if (!any || room(c, 1))
		return any ? -ENOMEM : 0;
	/* The kernel writes lengths and flags into the headers: so do we,
	 * after. */
	c->mmsg = mm;
	c->mmsg_n = n;
	c->mmsg_buf = c->nbuf;
	c->buf[c->nbuf++] = (struct buf){ at, n * sizeof(*mm), mm, OUT, K_MMSG, 0, -1, 0, 0 };
	*arg = (long)mm;
	return 1;
}

/* Prepares the bounces of a call (inside the table).  0, MW_SYS_BUSY or -errno. */
int mw_call_prepare(struct call *c, const struct mw_snapshot *s, const struct rule *ru,
		   long a[6], char **scratchp)
{
	char *scratch;

	for (int i = 0; i < 4 && ru->p[i].kind; i++) {
		const struct param *p = &ru->p[i];
		uintptr_t at = (uintptr_t)a[p->arg];
		int err, r;

		if (p->kind == K_IOV) {
			struct iovec *iov;

			r = add_iov(c, s, p, at, (size_t)a[p->x], &iov);
			if (r < 0)
				return r;
			if (r)
				a[p->arg] = (long)iov;
			continue;
		}
		if (p->kind == K_CMD) {
			struct param q;

			if (!mw_sys_cmd_param(ru->nr, (unsigned long)a[p->x], &q))
				continue;
			r = add(c, s, at, q.size, &q, q.dir, false, (void **)&a[p->arg]);
			if (r < 0)
				return r;
			continue;
		}
		if (p->kind == K_MMSG) {
			r = add_mmsg(c, s, p, at, (size_t)(unsigned)a[p->x], &a[p->arg]);
			if (r < 0)
				return r;
			continue;
		}
		if (p->kind == K_MSG) {
			if (!at || mw_sys_copy_in(s, &c->msg, at, sizeof(c->msg)))
				continue;       /* the kernel's EFAULT */
			r = add_msghdr(c, s, p, &c->msg);
			if (r < 0)
				return r;
			if (r || mw_sys_touches(s, at, at + sizeof(c->msg))) {
				/* The kernel writes lengths and flags into the
				 * header: so do we, after. */
				if (room(c, 1))
					return -ENOMEM;
				c->msg_buf = c->nbuf;
				c->buf[c->nbuf++] = (struct buf){ at, sizeof(c->msg), &c->msg, OUT,
								  K_MSG, 0, -1, 0, 0 };
				a[p->arg] = (long)&c->msg;
			}
			continue;
		}
		/* A path on a watched page is copied: room for it, mapped
		 * (bfree unmaps it), not on the signal stack. */
		if (p->kind == K_STR && str_near(s, at) && !*scratchp) {
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

				if (!b || room(c, 1))
					return -ENOMEM;
				memcpy(b, scratch, len);
				c->buf[c->nbuf++] = (struct buf){ at, len, b, IN, K_STR, 0, -1, 0, 0 };
				a[p->arg] = (long)b;
			}
			continue;
		}
		r = add(c, s, at, len, p, p->dir, mask_offset(p) >= 0, (void **)&a[p->arg]);
		if (r < 0)
			return r;
	}
	/* Contents: what the kernel reads, and what it may leave unwritten. */
	for (int i = 0; i < c->nbuf; i++) {
		struct buf *bf = &c->buf[i];
		int r;

		if (bf->kind == K_STR || i == c->msg_buf || i == c->mmsg_buf)
			continue;
		if (!(bf->dir & IN) &&
		    (bf->kind == K_RET || bf->kind == K_IOV || bf->kind == K_MSGQ))
			continue;       /* written exactly as far as the result says */
		r = mw_sys_copy_in(s, bf->b, bf->addr, bf->len);
		if (r)
			return r;
		if (bf->mask_off >= 0)
			mw_sys_sanitize((uint64_t *)((char *)bf->b + bf->mask_off));
	}
	return 0;
}

/* Whether the kernel got to buffer BF, given the call's result R: the
 * buffers of the messages of a vector up to the count it returns. */
static bool reached(const struct buf *bf, long r)
{
	return r >= 0 && (!bf->msg1 || bf->msg1 <= (unsigned long)r);
}

/* How much of buffer BF the kernel wrote, given the call's result R. */
static size_t written(const struct call *c, const struct buf *bf, long r)
{
	if (bf->msg1) {
		/* A buffer of message msg1 - 1 of a vector: its own length. */
		size_t got;

		if (!reached(bf, r))
			return 0;
		if (bf->dir & IN)
			return bf->len;         /* msg_name, msg_control */
		got = c->mmsg[bf->msg1 - 1].msg_len;
		if (got <= bf->off)
			return 0;
		return got - bf->off < bf->len ? got - bf->off : bf->len;
	}
	switch (bf->kind) {
	case K_RET:
		return r <= 0 ? 0 : (size_t)r * bf->size < bf->len ? (size_t)r * bf->size : bf->len;
	case K_MSGQ:
		return r < 0 ? 0 : (size_t)r + bf->size < bf->len ? (size_t)r + bf->size : bf->len;
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

/* The headers of a message vector go back with the program's pointers and
 * the kernel's lengths and flags, for the R messages it handled. */
static void give_out_mmsg(void *uc, struct call *c, const struct buf *bf, long r)
{
	size_t n = r < 0 ? 0 : (size_t)r < c->mmsg_n ? (size_t)r : c->mmsg_n;
	struct mmsghdr *orig;

	if (!n || !(orig = balloc(&c->bo, n * sizeof(*orig))) ||
	    mw_sys_bring_in(orig, bf->addr, n * sizeof(*orig)))
		return;
	for (size_t k = 0; k < n; k++) {
		orig[k].msg_len = c->mmsg[k].msg_len;
		orig[k].msg_hdr.msg_namelen = c->mmsg[k].msg_hdr.msg_namelen;
		orig[k].msg_hdr.msg_controllen = c->mmsg[k].msg_hdr.msg_controllen;
		orig[k].msg_hdr.msg_flags = c->mmsg[k].msg_hdr.msg_flags;
	}
	mw_sys_give_out(uc, bf->addr, orig, n * sizeof(*orig));
}

long mw_call_finish(void *uc, struct call *c, long r)
{
	/* The kernel's reads, then its writes, in the order of the buffers. */
	for (int i = 0; i < c->nbuf; i++)
		if ((c->buf[i].dir & IN) && reached(&c->buf[i], r) && c->buf[i].mask_off < 0)
			mw_sys_log_read(uc, c->buf[i].addr, c->buf[i].len);
	for (int i = 0; i < c->nbuf; i++) {
		struct buf *bf = &c->buf[i];
		size_t n;

		if (!(bf->dir & OUT))
			continue;
		if (i == c->msg_buf) {
			/* The header goes back with the program's pointers and
			 * the kernel's lengths and flags. */
			struct msghdr orig;

			if (r >= 0 && mw_sys_bring_in(&orig, bf->addr, sizeof(orig)) == 0) {
				orig.msg_namelen = c->msg.msg_namelen;
				orig.msg_controllen = c->msg.msg_controllen;
				orig.msg_flags = c->msg.msg_flags;
				mw_sys_give_out(uc, bf->addr, &orig, sizeof(orig));
			}
			continue;
		}
		if (i == c->mmsg_buf) {
			give_out_mmsg(uc, c, bf, r);
			continue;
		}
		n = written(c, bf, r);
		if (n && mw_sys_give_out(uc, bf->addr, bf->b, n) < 0 && r >= 0)
			r = -EFAULT;
	}
	return r;
}

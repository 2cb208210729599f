/* SPDX-License-Identifier: MIT */
/*
 * call.h - the buffers of one dispatched system call (see rules.h for what
 * each call passes): which of them are bounced, their copies in, and what
 * goes back to the program after the call.  All: [fault path]; a struct
 * call lives on the handler's stack, its larger buffers in mappings of
 * its own (mw_call_free).
 */
#ifndef MW_CALL_H
#define MW_CALL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "sys/rules.h"

struct mw_snapshot;

/* Bounce buffers: a small arena on the stack, then mappings of at least
 * 64 KiB each, the last one's rest used for the next small buffers (a
 * vector call with many watched pieces needs many). */
struct bounce {
	size_t used;            /* of the arena */
	size_t slab_used;       /* of the last mapping */
	int nmaps;
	void *map[8];
	size_t maplen[8];
	char arena[1024] __attribute__((aligned(16)));
};

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
	int mask_off;           /* where a sigset to sanitize is, else -1 */
	size_t off;             /* iovec data: where it starts in the stream */
	unsigned msg1;          /* 1 + the index of its struct mmsghdr, 0 if none */
};

struct call {
	struct bounce bo;
	struct buf *buf;        /* buf0, or a larger array for long vectors */
	int nbuf, capbuf;
	bool iov0_used;
	unsigned msg1;          /* of the buffers being added */
	struct buf buf0[4 + IOV_INLINE + 3];
	struct iovec iov0[IOV_INLINE];
	struct msghdr msg;
	int msg_buf;            /* index of the msghdr's buffer, or -1 */
	struct mmsghdr *mmsg;   /* the bounced mmsghdr array, or NULL */
	size_t mmsg_n;
	int mmsg_buf;           /* index of its buffer, or -1 */
};

/* Before each try at preparing a call. */
void mw_call_init(struct call *c);
/* Whether a buffer of rule RU is always bounced, to sanitize its sigset. */
bool mw_call_sanitizes(const struct rule *ru);
/* Inside the table S: the buffers of A that rule RU describes, bounced
 * where they touch watched pages (A's pointers then point to the bounces),
 * their contents copied in.  0, MW_SYS_BUSY or -errno. */
int mw_call_prepare(struct call *c, const struct mw_snapshot *s, const struct rule *ru,
		    long a[6], char **scratchp);
/* After the call returned R: the kernel's reads logged, its writes copied
 * out and logged.  The result for the program (-EFAULT if a copy failed). */
long mw_call_finish(void *uc, struct call *c, long r);
/* Unmaps the call's bounce mappings. */
void mw_call_free(struct call *c);

#endif /* MW_CALL_H */

/* SPDX-License-Identifier: MIT */
/*
 * logshare.c - the ring's slots in the memwatch command's file (see
 * logshare.h).  Thread context only (ring setup, at load or before the
 * first watch).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "base/env.h"
#include "log/logshare.h"

static int share_fd = -2;               /* -2: not looked at yet; -1: none */
static void *share_slots;
static size_t share_bytes;
static struct mw_cost *share_cost;

/*
 * [atfork child] A forked child has its own copy of the ring's counters
 * (ring.c), not of the slots: its records would land in the parent's slots
 * with the parent's next sequence numbers, and the parent's then be taken
 * for overwritten.  The child gets a fresh private ring at the same
 * address instead: the file stays the parent's alone, and the child's log
 * starts empty.  (Not a copy: reading the file's holes would allocate
 * them, up to the whole ring's size.)  The child is single-threaded here.
 */
static void fork_child(void)
{
	if (share_cost) {
		mmap(share_cost, MW_COST_SIZE, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
		mw_cost_use(share_cost);
	}
	if (!share_slots)
		return;
	mmap(share_slots, share_bytes, PROT_READ | PROT_WRITE,
	     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
	share_slots = NULL;
	if (share_fd >= 0)
		close(share_fd);
	share_fd = -1;
}

static int get_fd(void)
{
	const char *v;
	char *end;
	long fd;

	if (share_fd != -2)
		return share_fd;
	share_fd = -1;
	v = mw_env("MEMWATCH_SHARE_FD");
	if (!v || !*v)
		return -1;
	fd = strtol(v, &end, 10);
	if (*end || fd < 0 || fd > 65535 || fcntl((int)fd, F_GETFD) < 0) {
		fprintf(stderr, "memwatch: MEMWATCH_SHARE_FD=%s is not an open file; "
			"the log stays in this process\n", v);
		return -1;
	}
	/* The program's own children must not write over it when they exec. */
	fcntl((int)fd, F_SETFD, FD_CLOEXEC);
	share_fd = (int)fd;
	return share_fd;
}

void *mw_logshare_map(size_t bytes)
{
	int fd = get_fd();
	void *p;

	if (fd < 0)
		return NULL;
	/* Cut to the header first: a ring set up again (mw_log_configure
	 * before the first watch) starts from zeroed commit words. */
	if (ftruncate(fd, MW_SHARE_HDR) < 0 || ftruncate(fd, (off_t)(MW_SHARE_HDR + bytes)) < 0) {
		fprintf(stderr, "memwatch: cannot size the shared log: %s\n", strerror(errno));
		return NULL;
	}
	p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, MW_SHARE_HDR);
	if (p == MAP_FAILED) {
		fprintf(stderr, "memwatch: cannot map the shared log: %s\n", strerror(errno));
		return NULL;
	}
	if (!share_slots && share_bytes == 0)
		pthread_atfork(NULL, NULL, fork_child);
	share_slots = p;
	share_bytes = bytes;
	return p;
}

struct mw_cost *mw_logshare_cost(void)
{
	void *p;

	if (share_cost || share_fd < 0 || !share_slots)
		return share_cost;
	p = mmap(NULL, MW_COST_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, share_fd, MW_SHARE_COST);
	share_cost = p == MAP_FAILED ? NULL : p;
	return share_cost;
}

void mw_logshare_publish(const uint64_t *d, const void *slots)
{
	struct mw_share_hdr *h;

	if (share_fd < 0 || !slots || slots != share_slots)
		return;
	h = mmap(NULL, MW_SHARE_HDR, PROT_READ | PROT_WRITE, MAP_SHARED, share_fd, 0);
	if (h == MAP_FAILED)
		return;
	h->version = MW_SHARE_VERSION;
	memcpy(h->desc, d, sizeof(h->desc));
	h->desc[MW_DESC_MAGIC] = MW_DESC_MAGIC_VALUE;
	/* release: the reader is another process, after this one ended; the
	 * fence only keeps the compiler from sinking the copy below the magic. */
	atomic_thread_fence(memory_order_release);
	h->magic = MW_SHARE_MAGIC;
	munmap(h, MW_SHARE_HDR);
}

/* SPDX-License-Identifier: MIT */
/*
 * tid.c - the calling thread's id (see tid.h).
 * Fault path (mw_tid): gettid, relaxed atomics and this thread's TLS only.
 * [thread] mw_pid: mmap, madvise, getpid.
 */
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/tid.h"

static _Atomic unsigned long fork_generation = 1;
static __thread pid_t tid_cache __attribute__((tls_model("initial-exec")));
static __thread unsigned long tid_generation __attribute__((tls_model("initial-exec")));

pid_t mw_tid(void)
{
	unsigned long g = atomic_load_explicit(&fork_generation, memory_order_relaxed);

	if (tid_generation != g) {
		tid_cache = (pid_t)syscall(SYS_gettid);
		tid_generation = g;
	}
	return tid_cache;
}

void mw_tid_forked(void)
{
	atomic_fetch_add(&fork_generation, 1);
}

/* The page of mw_pid: its first word is the process's id, 0 in a child the
 * kernel made by copying this process (MADV_WIPEONFORK).  NULL: not made
 * yet; MAP_FAILED: could not be (getpid each time). */
static _Atomic(pid_t *) pid_page;

pid_t mw_pid(void)
{
	pid_t *p = atomic_load(&pid_page);

	if (!p) {
		pid_t *want = NULL;

		p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p != MAP_FAILED && madvise(p, 4096, MADV_WIPEONFORK) != 0) {
			munmap(p, 4096);
			p = MAP_FAILED;
		}
		if (!atomic_compare_exchange_strong(&pid_page, &want, p)) {
			if (p != MAP_FAILED)
				munmap(p, 4096);
			p = want;
		}
	}
	if (p == MAP_FAILED)
		return getpid();
	if (!__atomic_load_n(p, __ATOMIC_RELAXED))
		__atomic_store_n(p, getpid(), __ATOMIC_RELAXED);
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

/* SPDX-License-Identifier: MIT */
/*
 * tid.c - the calling thread's id (see tid.h).
 * Fault path: gettid, relaxed atomics and this thread's TLS only.
 */
#include <stdatomic.h>
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

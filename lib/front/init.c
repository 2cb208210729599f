/* SPDX-License-Identifier: MIT */
/*
 * init.c - the library's initialization (environment: MEMWATCH_RING,
 * MEMWATCH_DEPTH, MEMWATCH_LOG), at load and before the first watch, and
 * the log's configuration (mw_log_configure, mw_log_clear).
 * [thread] only.
 */
#include <errno.h>
#include <link.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "arch/arch.h"
#include "base/codefile.h"
#include "base/env.h"
#include "base/maps.h"
#include "base/selfread.h"
#include "fault/fault.h"
#include "front/api.h"
#include "front/init.h"
#include "log/cost.h"
#include "log/dump.h"
#include "log/loader.h"
#include "log/ring.h"
#include "log/unwind.h"
#include "memwatch.h"
#include "sys/addrspace.h"
#include "sys/dispatch.h"
#include "sys/fork.h"
#include "threads/lock.h"
#include "threads/perthread.h"
#include "watch/pagemap.h"
#include "watch/table.h"

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int init_err;

/* The library's own loaded segments, its decoder's and its unwinder's:
 * never watchable (the fault path reads them, a fault there would fault
 * again; the unwinder's lock is there, see unwind.h). */
static struct { uintptr_t lo, hi; } own[16];
static int nown;

static int find_own(struct dl_phdr_info *info, size_t size, void *arg)
{
	uintptr_t me = (uintptr_t)arg;
	int mine = 0;

	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t lo = info->dlpi_addr + ph->p_vaddr;

		if (ph->p_type == PT_LOAD && me >= lo && me < lo + ph->p_memsz)
			mine = 1;
	}
	if (!mine)
		return 0;
	for (int i = 0; i < info->dlpi_phnum && nown < 16; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t lo = info->dlpi_addr + ph->p_vaddr;

		if (ph->p_type == PT_LOAD) {
			own[nown].lo = lo & ~(uintptr_t)(getpagesize() - 1);
			own[nown].hi = (lo + ph->p_memsz + getpagesize() - 1) & ~(uintptr_t)(getpagesize() - 1);
			nown++;
		}
	}
	return 1;
}

static int tls_size(struct dl_phdr_info *info, size_t size, void *arg)
{
	(void)size;
	for (int i = 0; i < info->dlpi_phnum; i++)
		if (info->dlpi_phdr[i].p_type == PT_TLS)
			*(size_t *)arg += info->dlpi_phdr[i].p_memsz + info->dlpi_phdr[i].p_align;
	return 0;
}

static int watched_ever;

/* A positive number from the environment, or DEF with a warning. */
static unsigned long env_number(const char *name, unsigned long def, unsigned long max)
{
	const char *v = mw_env(name);
	char *end;
	unsigned long n;

	if (!v || !*v)
		return def;
	errno = 0;
	n = strtoul(v, &end, 10);
	if (errno || *end || n > max) {
		fprintf(stderr, "memwatch: %s=%s is not a number from 0 to %lu; using %lu\n",
			name, v, max, def);
		return def;
	}
	return n;
}

static uint64_t pow2_at_least(uint64_t n)
{
	uint64_t p = 2;

	while (p < n)
		p <<= 1;
	return p;
}

static void init(void)
{
	unsigned long ring, depth;
	uintptr_t code_lo, code_hi;

	ring = env_number("MEMWATCH_RING", 16384, 1u << 24);
	depth = env_number("MEMWATCH_DEPTH", 16, MW_FRAMES_MAX);
	atomic_store(&mw_ring_depth, (unsigned)depth);
	init_err = mw_ring_setup(pow2_at_least(ring));
	if (init_err)
		return;
	mw_logfile_init(mw_env("MEMWATCH_LOG"));
	init_err = mw_api_setup();
	if (init_err)
		return;
	/* The lower layers' calls upward, handed down once. */
	mw_table_set_unwind_check(mw_loader_read_watched);
	mw_sys_set_gone(mw_api_gone);
	dl_iterate_phdr(find_own, (void *)(uintptr_t)&init);
	size_t tls = 0;

	dl_iterate_phdr(tls_size, &tls);
	mw_threads_init(tls);
	mw_maps_init();
	dl_iterate_phdr(find_own, (void *)(uintptr_t)mw_arch_decoder_code());
	dl_iterate_phdr(find_own, (void *)(uintptr_t)mw_unwind_code());
	if (mw_loader_segment(mw_unwind_code(), &code_lo, &code_hi))
		mw_unwind_init(code_lo, code_hi);
	mw_loader_init();
	mw_selfread_init();
	init_err = mw_arch_init();
	mw_code_syscalls(mw_arch_gate_syscall);       /* code files read undispatched */
	if (!init_err)
		init_err = mw_fork_init();
	/* Patched access sites (memwatch(3)): on unless MEMWATCH_PATCH=0,
	 * after MEMWATCH_PATCH_AFTER faults at an instruction. */
	if (!init_err && env_number("MEMWATCH_PATCH", 1, 1) && mw_pagemap_init() == 0) {
		unsigned after = (unsigned)env_number("MEMWATCH_PATCH_AFTER", 4, 1000000);

		/* Neighbours of watches run in the stubs, unless
		 * MEMWATCH_PATCH_NEIGHBOURS=0 (finemap.h). */
		mw_fault_patching(after, (int)env_number("MEMWATCH_PATCH_NEIGHBOURS", 1, 1));
		/* And system-call sites, unless MEMWATCH_PATCH_SYSCALLS=0. */
		if (env_number("MEMWATCH_PATCH_SYSCALLS", 1, 1))
			mw_sys_patching(after);
	}
}

int mw_init(void)
{
	pthread_once(&once, init);
	return init_err;
}

bool mw_init_owns(uintptr_t lo, uintptr_t hi)
{
	for (int k = 0; k < nown; k++)
		if (lo < own[k].hi && own[k].lo < hi)
			return true;
	return false;
}

void mw_init_watched(void)
{
	watched_ever = 1;
}

/* At load: the log's descriptor and ring exist before the first watch
 * (for a debugger, for mw_log_stats), and with MEMWATCH_LOG the file is
 * written even by a process that dies before watching anything.  Nothing
 * else changes in the process until the first mw_watch: the SIGSEGV
 * handler is installed then. */
__attribute__((constructor)) static void init_at_load(void)
{
	pthread_once(&once, init);
}

static int log_setup(size_t records)
{
	int r = 0;

	pthread_once(&once, init);
	if (init_err)
		return init_err;
	if (!records)
		return 0;
	mw_lock();
	if (pow2_at_least(records) == mw_ring_capacity())
		r = 0;
	else if (watched_ever)
		r = -EBUSY;
	else
		r = mw_ring_setup(pow2_at_least(records));
	mw_unlock();
	return r;
}

int mw_log_configure(size_t records, unsigned depth)
{
	int r = 0;

	if (depth > MW_FRAMES_MAX || records == 1 || records > (1u << 24))
		return -EINVAL;
	r = log_setup(records);
	if (r == 0)
		atomic_store(&mw_ring_depth, depth);
	return r;
}

void mw_log_clear(void)
{
	mw_lock_nohold();
	mw_ring_clear();
	mw_cost_clear();
	mw_unlock_nohold();
}

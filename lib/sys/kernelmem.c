/* SPDX-License-Identifier: MIT */
/*
 * kernelmem.c - the program's memory as a dispatched system call's kernel
 * side sees it (see kernelmem.h).
 * Fault path: mw_table_*, mw_record_*, mw_arch_gate_syscall, mw_arch_pc,
 * mw_arch_sys_site, mw_probe_copy, memcpy, mw_gdb_after_access.
 */
#include <errno.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/syscall.h>

#include "arch/arch.h"
#include "base/sigsafe.h"
#include "fault/debugger.h"
#include "log/record.h"
#include "memwatch.h"
#include "sys/dispatch.h"
#include "sys/kernelmem.h"
#include "watch/table.h"

#define PAGE 4096u

long mw_sys6(long nr, const long a[6])
{
	return mw_arch_gate_syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}

int mw_sys_touches(const struct mw_snapshot *s, uintptr_t lo, uintptr_t hi)
{
	const struct mw_span *sp = mw_table_span_after(s, lo);

	return sp && sp->start < hi;
}

/* Copies N bytes at ADDR into DST: watched pages through their alias.
 * 0, -EFAULT, or MW_SYS_BUSY (a page in transition). */
int mw_sys_copy_in(const struct mw_snapshot *s, void *dst, uintptr_t addr, size_t n)
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
				return MW_SYS_BUSY;
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

int mw_sys_busy_out(const struct mw_snapshot *s, uintptr_t addr, size_t n)
{
	for (uintptr_t p = addr & ~(uintptr_t)(PAGE - 1); p < addr + n; p += PAGE) {
		const struct mw_span *sp = mw_table_span(s, p);

		if (sp && sp->state != MW_SPAN_ACTIVE)
			return 1;
	}
	return 0;
}

int mw_sys_copy_out(const struct mw_snapshot *s, uintptr_t addr, const void *src, size_t n)
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

void mw_sys_yield(void)
{
	mw_arch_gate_syscall(SYS_sched_yield, 0, 0, 0, 0, 0, 0);
}

/* A kernel access to log: the fault record machinery, with the call site
 * as the instruction. */
void mw_sys_record_setup(struct mw_fault *f, const struct mw_snapshot *s, void *uc,
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
	f->held = 0;
	f->arch_insn = NULL;
	f->soft = f->quiet = 0;
	/* The unwinder finds the context's own PC (after the syscall) and
	 * starts there; the record names the call instruction. */
	f->pc = mw_arch_pc(uc);
}

void mw_sys_record_before(struct mw_fault *f)
{
	mw_record_before(f);
	if (f->nframes > 0 && f->frames[0] == f->pc)
		f->frames[0] = mw_arch_sys_site(f->uc);
	f->pc = mw_arch_sys_site(f->uc);
}

/* Copies in, under the table; 0 or -EFAULT. */
int mw_sys_bring_in(void *dst, uintptr_t addr, size_t n)
{
	for (;;) {
		unsigned slot;
		const struct mw_snapshot *s = mw_table_enter(&slot);
		int r = mw_sys_copy_in(s, dst, addr, n);

		mw_table_exit(slot);
		if (r != MW_SYS_BUSY)
			return r;
		mw_sys_yield();
	}
}

/* Logs the kernel's read of [addr, addr+n). */
void mw_sys_log_read(void *uc, uintptr_t addr, size_t n)
{
	unsigned slot;
	const struct mw_snapshot *s = mw_table_enter(&slot);
	struct mw_fault f;

	uint64_t seq = 0;

	if (n && mw_sys_touches(s, addr, addr + n)) {
		mw_sys_record_setup(&f, s, uc, addr, n, MW_READ);
		mw_sys_record_before(&f);
		seq = mw_record_after(&f);
		atomic_fetch_add_explicit(&mw_sys_translated, 1, memory_order_relaxed);
	}
	mw_table_exit(slot);
	/* A debugger in stop mode stops after the call, as after any access. */
	if (seq)
		mw_gdb_after_access(seq, 0, f.pc, (uint64_t)mw_arch_pc(uc));
}

/* Copies the kernel's result out and logs its write.  0 or -EFAULT. */
int mw_sys_give_out(void *uc, uintptr_t addr, const void *src, size_t n)
{
	if (!n)
		return 0;
	for (;;) {
		unsigned slot;
		const struct mw_snapshot *s = mw_table_enter(&slot);
		struct mw_fault f;
		int r;

		if (mw_sys_busy_out(s, addr, n)) {
			mw_table_exit(slot);
			mw_sys_yield();
			continue;
		}
		mw_sys_record_setup(&f, s, uc, addr, n, MW_WRITE);
		if (mw_sys_touches(s, addr, addr + n))
			mw_sys_record_before(&f);
		else
			f.recording = 0;
		uint64_t seq = 0;

		r = mw_sys_copy_out(s, addr, src, n);
		if (!r && f.recording) {
			seq = mw_record_after(&f);
			atomic_fetch_add_explicit(&mw_sys_translated, 1, memory_order_relaxed);
		}
		mw_table_exit(slot);
		/* A debugger in stop mode stops after the call, as after any
		 * access (debugger.h). */
		if (seq)
			mw_gdb_after_access(seq, 0, f.pc, (uint64_t)mw_arch_pc(uc));
		return r;
	}
}

/* SPDX-License-Identifier: MIT */
/*
 * t-syscalls-table.c - the calls added from going through the system call
 * table: capget and capset with a watched header and data, get_mempolicy
 * into a watched int, move_pages with watched page, node and status arrays,
 * io_cancel of a watched iocb.  Each runs on plain buffers and on the same
 * bytes under an access watch (the kernel could not touch them without the
 * library): the same result and bytes, no EFAULT, and the kernel's accesses
 * logged as MW_KIND_KERNEL records (none for a call that fails).
 */
#include <errno.h>
#include <linux/aio_abi.h>
#include <linux/capability.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "memwatch.h"
#include "tap.h"
#include "dispatch.h"
#include "section.h"
#include "watch.h"

/* Each call's buffers: on a page of their own, watched or not. */
static uint8_t pages[2][4096] __attribute__((aligned(4096)));

static int kernel_records(const void *p, size_t n)
{
	struct mw_log_cursor cur;
	struct mw_record r;
	int k = 0;

	mw_log_begin(&cur);
	while (mw_log_next(&cur, &r) > 0)
		k += (r.kind & MW_KIND_KERNEL) && r.addr < (uintptr_t)p + n &&
		     r.addr + r.size > (uintptr_t)p;
	return k;
}

struct result {
	long r;
	int err;
	uint8_t bytes[256];
};

typedef void (*call_fn)(uint8_t *buf, struct result *res);

static void run_call(call_fn fn, const char *what)
{
	struct result plain, watched;
	int id;

	memset(pages, 0, sizeof(pages));
	memset(&plain, 0, sizeof(plain));
	memset(&watched, 0, sizeof(watched));
	fn(pages[0], &plain);
	memcpy(plain.bytes, pages[0], sizeof(plain.bytes));
	id = watch(pages[1], 256, MW_ACCESS);
	mw_log_clear();
	fn(pages[1], &watched);
	mw_unwatch(id);
	memcpy(watched.bytes, pages[1], sizeof(watched.bytes));
	if (!ok(plain.r == watched.r && plain.err == watched.err &&
		memcmp(plain.bytes, watched.bytes, sizeof(plain.bytes)) == 0,
		"%s: on watched buffers as on plain ones (%ld %s)", what, watched.r,
		watched.r < 0 ? strerror(watched.err) : ""))
		diag("  plain: %ld %s", plain.r, plain.r < 0 ? strerror(plain.err) : "");
	/* A call that fails logs nothing (memwatch(3)). */
	if (watched.r >= 0)
		ok(kernel_records(pages[1], 256) > 0, "%s: the kernel's accesses logged (%d records)",
		   what, kernel_records(pages[1], 256));
	else
		ok(kernel_records(pages[1], 256) == 0, "%s: an error, nothing logged (%d records)", what,
		   kernel_records(pages[1], 256));
}

static void do_capget(uint8_t *b, struct result *res)
{
	struct __user_cap_header_struct *h = (void *)b;

	h->version = _LINUX_CAPABILITY_VERSION_3;
	h->pid = 0;
	res->r = syscall(SYS_capget, h, b + 64);
	res->err = errno;
}

static void do_capget_version(uint8_t *b, struct result *res)
{
	struct __user_cap_header_struct *h = (void *)b;

	h->version = 0x12345678;       /* the kernel writes its own back */
	h->pid = 0;
	res->r = syscall(SYS_capget, h, NULL);
	res->err = errno;
}

static void do_capset(uint8_t *b, struct result *res)
{
	struct __user_cap_header_struct *h = (void *)b;

	h->version = _LINUX_CAPABILITY_VERSION_3;
	h->pid = 0;
	if (syscall(SYS_capget, h, b + 64))
		return;
	res->r = syscall(SYS_capset, h, b + 64);      /* the same ones back */
	res->err = errno;
}

static void do_get_mempolicy(uint8_t *b, struct result *res)
{
	memset(b, 0x55, 4);
	res->r = syscall(SYS_get_mempolicy, (int *)b, NULL, 0, NULL, 0);
	res->err = errno;
}

static void do_move_pages(uint8_t *b, struct result *res)
{
	void **pg = (void **)b;
	int *status = (int *)(b + 64);

	pg[0] = pages[0];       /* query: where each page is */
	pg[1] = pages[0] + 2048;
	status[0] = status[1] = 77;
	res->r = syscall(SYS_move_pages, 0, 2, pg, NULL, status, 0);
	res->err = errno;
	/* Which node: the same in both runs on this machine. */
}

static void do_io_cancel(uint8_t *b, struct result *res)
{
	aio_context_t ctx = 0;
	struct iocb *cb = (void *)b;

	if (syscall(SYS_io_setup, 1, &ctx)) {
		res->r = -2;
		return;
	}
	cb->aio_lio_opcode = IOCB_CMD_PREAD;
	cb->aio_fildes = 0;
	res->r = syscall(SYS_io_cancel, ctx, cb, (struct io_event *)(b + 128));
	res->err = errno;   /* not submitted: EINVAL, not EFAULT */
	syscall(SYS_io_destroy, ctx);
}

static void sec_table(void)
{
	run_call(do_capget, "capget into a watched header and data");
	run_call(do_capget_version, "capget with a version the kernel corrects in the watched header");
	run_call(do_capset, "capset from a watched header and data");
	run_call(do_get_mempolicy, "get_mempolicy into a watched int");
	run_call(do_move_pages, "move_pages with watched page and status arrays");
	run_call(do_io_cancel, "io_cancel of a watched iocb");
}

int main(void)
{
	need_dispatch();
	plan(13);
	run_section("calls from the table", 12, sec_table);
	return done();
}

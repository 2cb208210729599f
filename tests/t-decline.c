/* SPDX-License-Identifier: MIT */
/*
 * t-decline.c - an instruction the library cannot perform (maskmovdqu, whose
 * memory operand is implicit, storing into watched memory) is declined: the
 * process dies by SIGSEGV, as it would without a handler, after a
 * "memwatch: ... declined ..." line on stderr naming the instruction's
 * address.  Never a silent wrong result.  And an AVX2 gather, the former
 * example, is now performed and counted.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "memwatch.h"
#include "tap.h"
#include "section.h"
#include "gather8.h"       /* the contrast: a gather, performed */

/* maskmovdqu: stores the bytes of xmm0 whose byte in xmm1 has its sign
 * bit set to [rdi] - an implicit memory operand, which the library does
 * not perform.  t_maskmov_insn labels the instruction itself. */
__asm__(
	".text\n"
	".globl t_maskmov\n"
	".hidden t_maskmov\n"
	".type t_maskmov, @function\n"
	"t_maskmov:\n"
	"	movdqu (%rsi), %xmm0\n"
	"	movdqu (%rdx), %xmm1\n"
	".globl t_maskmov_insn\n"
	".hidden t_maskmov_insn\n"
	"t_maskmov_insn:\n"
	"	maskmovdqu %xmm1, %xmm0\n"
	"	ret\n"
	".size t_maskmov, .-t_maskmov\n");

void t_maskmov(uint8_t *dst, const uint8_t *src, const uint8_t *mask);
extern const char t_maskmov_insn[];

static const int indices[8] = { 0, 3, 5, 8, 13, 21, 34, 55 };
static int *arr;

/* A masked store of bytes 2, 5 and 9..15 at arr; is the result right? */
static int maskmov_ok(void)
{
	uint8_t src[16], mask[16], want[16], *dst = (uint8_t *)arr;

	memcpy(want, dst, 16);
	for (int i = 0; i < 16; i++) {
		src[i] = (uint8_t)(0xa0 + i);
		mask[i] = i == 2 || i == 5 || i >= 9 ? 0x80 : 0x7f;
		if (mask[i] & 0x80)
			want[i] = src[i];
	}
	t_maskmov(dst, src, mask);
	return memcmp(dst, want, 16) == 0;
}

/* Gather; is the result right? */
static int gather_ok(void)
{
	int out[8];

	t_gather8(arr, indices, out);
	for (int i = 0; i < 8; i++)
		if (out[i] != 1000 + indices[i])
			return 0;
	return 1;
}

struct gathered {
	int status;
	char err[8192];
};

struct watch_args {
	size_t first, n;
	unsigned flags;
};

static void watch_and_store(void *arg)
{
	struct watch_args *w = arg;
	int id = mw_watch((uint8_t *)arr + w->first, w->n, w->flags);

	if (id <= 0)
		_exit(3);
	_exit(maskmov_ok() ? 0 : 4);
}

/* A gather of watched elements: performed, right, counted once. */
static void watch_and_gather(void *arg)
{
	uint64_t n0 = 1, n1 = 0;
	int id = mw_watch(arr, 64 * sizeof(int), MW_ACCESS);

	(void)arg;
	if (id <= 0)
		_exit(3);
	mw_count(id, &n0);
	if (!gather_ok())
		_exit(4);
	mw_count(id, &n1);
	_exit(n1 - n0 == 1 ? 0 : 5);
}

/* Watch the bytes (uint8_t *)arr + [FIRST, FIRST + N) with FLAGS, then
 * store, in a child whose stderr goes to a pipe (no core file for the
 * expected crash). */
static void run_child(size_t first, size_t n, unsigned flags, struct gathered *g)
{
	struct child c = { .flags = CHILD_STDERR | CHILD_NO_CORE,
			   .out = g->err, .len = sizeof(g->err) };
	struct watch_args w = { first, n, flags };

	g->status = child_run(&c, watch_and_store, &w);
}

/* A line of ERR starting with "memwatch: " that contains "declined" and
 * the instruction's address. */
static const char *decline_line(const char *err, const char *addr)
{
	const char *p = err;

	while (*p) {
		const char *e = strchr(p, '\n');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		char line[1024];

		if (len >= sizeof(line))
			len = sizeof(line) - 1;
		memcpy(line, p, len);
		line[len] = 0;
		if (strncmp(line, "memwatch: ", 10) == 0 && strstr(line, "declined") &&
		    strstr(line, addr))
			return p;
		p = e ? e + 1 : p + len;
	}
	return NULL;
}

static void declined(const char *what, size_t first, size_t n)
{
	struct gathered c;
	char addr[32], how[128];
	const char *line;

	snprintf(addr, sizeof(addr), "0x%lx", (unsigned long)(uintptr_t)t_maskmov_insn);
	run_child(first, n, MW_ACCESS, &c);
	describe_status(c.status, how, sizeof(how));
	if (!ok(WIFSIGNALED(c.status) && WTERMSIG(c.status) == SIGSEGV,
		"%s: the child dies by SIGSEGV", what))
		diag("  it %s%s", how,
		     WIFEXITED(c.status) && WEXITSTATUS(c.status) == 4 ?
		     " after a WRONG store" :
		     WIFEXITED(c.status) && WEXITSTATUS(c.status) == 0 ?
		     " (the store gave the right result)" : "");
	line = decline_line(c.err, addr);
	if (ok(line != NULL,
	       "%s: stderr has \"memwatch: ...declined...%s\"", what, addr)) {
		diag("  %.*s", (int)strcspn(line, "\n"), line);
	} else {
		const char *p = c.err;

		diag("  the child's stderr:%s", *p ? "" : " (empty)");
		while (*p) {
			const char *e = strchr(p, '\n');
			int len = e ? (int)(e - p) : (int)strlen(p);

			diag("  | %.*s", len, p);
			p = e ? e + 1 : p + len;
		}
	}
}

int main(void)
{
	struct gathered c;
	struct child ch = { .flags = CHILD_NO_CORE };
	char how[128];
	int st;

	__builtin_cpu_init();
	arr = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (arr == MAP_FAILED)
		bail("mmap: %s", strerror(errno));
	plan(6);
	if (!maskmov_ok())
		bail("maskmovdqu gives a wrong result without any watch");
	for (int i = 0; i < 1024; i++)
		arr[i] = 1000 + i;

	declined("a masked store of 16 bytes into watched memory", 0, 256);
	declined("a masked store with 1 of its stored bytes watched", 5, 1);

	/* The contrast: the same store with a watch on the next page. */
	run_child(4096, 64, MW_ACCESS, &c);
	describe_status(c.status, how, sizeof(how));
	if (!ok(WIFEXITED(c.status) && WEXITSTATUS(c.status) == 0,
		"a masked store to a page with no watch gives the right result"))
		diag("  the child %s", how);

	/* Gathers were this test's declined example until they were performed. */
	if (!__builtin_cpu_supports("avx2")) {
		ok(1, "# SKIP no AVX2 on this machine");
		return done();
	}
	st = child_run(&ch, watch_and_gather, NULL);
	describe_status(st, how, sizeof(how));
	if (!ok(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		"an AVX2 gather from watched memory is performed, right and counted once"))
		diag("  the child %s%s", how,
		     WIFEXITED(st) && WEXITSTATUS(st) == 4 ? " (WRONG result)" :
		     WIFEXITED(st) && WEXITSTATUS(st) == 5 ? " (count not 1)" : "");
	return done();
}

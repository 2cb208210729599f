/* SPDX-License-Identifier: MIT */
/*
 * t-decline.c - an instruction the library cannot perform (an AVX2 gather
 * from watched memory) is declined: the process dies by SIGSEGV, as it
 * would without a handler, after a "memwatch: ... declined ..." line on
 * stderr naming the instruction's address.  Never a silent wrong result.
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

/* vpgatherdd: eight 32-bit loads from base + 4 * index[i], all enabled by
 * the mask.  t_gather_insn labels the instruction itself. */
__asm__(
	".text\n"
	".globl t_gather\n"
	".hidden t_gather\n"
	".type t_gather, @function\n"
	"t_gather:\n"
	"	vmovdqu (%rsi), %ymm1\n"
	"	vpcmpeqd %ymm2, %ymm2, %ymm2\n"
	"	vpxor %ymm0, %ymm0, %ymm0\n"
	".globl t_gather_insn\n"
	".hidden t_gather_insn\n"
	"t_gather_insn:\n"
	"	vpgatherdd %ymm2, (%rdi,%ymm1,4), %ymm0\n"
	"	vmovdqu %ymm0, (%rdx)\n"
	"	vzeroupper\n"
	"	ret\n"
	".size t_gather, .-t_gather\n");

void t_gather(const int *base, const int *idx, int *out);
extern const char t_gather_insn[];

static const int indices[8] = { 0, 3, 5, 8, 13, 21, 34, 55 };
static int *arr;

/* Gather; is the result right? */
static int gather_ok(void)
{
	int out[8];

	t_gather(arr, indices, out);
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

static void watch_and_gather(void *arg)
{
	struct watch_args *w = arg;
	int id = mw_watch(arr + w->first, w->n * sizeof(int), w->flags);

	if (id <= 0)
		_exit(3);
	_exit(gather_ok() ? 0 : 4);
}

/* Watch arr[FIRST .. FIRST + N) with FLAGS, then gather, in a child whose
 * stderr goes to a pipe (no core file for the expected crash). */
static void run_child(size_t first, size_t n, unsigned flags, struct gathered *g)
{
	struct child c = { .flags = CHILD_STDERR | CHILD_NO_CORE,
			   .out = g->err, .len = sizeof(g->err) };
	struct watch_args w = { first, n, flags };

	g->status = child_run(&c, watch_and_gather, &w);
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

	snprintf(addr, sizeof(addr), "0x%lx", (unsigned long)(uintptr_t)t_gather_insn);
	run_child(first, n, MW_ACCESS, &c);
	describe_status(c.status, how, sizeof(how));
	if (!ok(WIFSIGNALED(c.status) && WTERMSIG(c.status) == SIGSEGV,
		"%s: the child dies by SIGSEGV", what))
		diag("  it %s%s", how,
		     WIFEXITED(c.status) && WEXITSTATUS(c.status) == 4 ?
		     " after a WRONG gather result" :
		     WIFEXITED(c.status) && WEXITSTATUS(c.status) == 0 ?
		     " (the gather gave the right result)" : "");
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
	char how[128];

	__builtin_cpu_init();
	if (!__builtin_cpu_supports("avx2"))
		skip_all("no AVX2 on this machine");
	arr = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (arr == MAP_FAILED)
		bail("mmap: %s", strerror(errno));
	for (int i = 0; i < 1024; i++)
		arr[i] = 1000 + i;

	plan(5);
	if (!gather_ok())
		bail("the gather gives a wrong result without any watch");

	declined("a gather of 8 watched elements", 0, 64);
	declined("a gather with 1 of 8 elements watched", 21, 1);

	/* A write watch keeps the page readable: the gather just runs. */
	run_child(0, 64, MW_WRITE, &c);
	describe_status(c.status, how, sizeof(how));
	if (!ok(WIFEXITED(c.status) && WEXITSTATUS(c.status) == 0,
		"a gather from a page under a write watch gives the right result"))
		diag("  the child %s", how);
	return done();
}

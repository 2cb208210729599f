/* SPDX-License-Identifier: MIT */
/*
 * t-gather512.c - AVX-512 gathers and scatters on watched memory.
 *
 * Every form (vpgatherdd/dq/qd/qq, vgatherdps/dpd/qps/qpd, vpscatter*,
 * vscatter*, at each vector length, with zmm16+ registers and k2 for some)
 * runs twice from the same state: on unwatched memory (the reference) and
 * with four watches on the memory its lanes reach.  The second run must
 * leave exactly the reference's destination, index register, k mask and
 * memory; each watch that an enabled lane touches counts the instruction
 * once and has records of that kind lying in the watch and in the lanes
 * that touch it (a scatter's records with the values written); a watch
 * reached only by a disabled lane counts nothing and has no record.  The
 * scatters' lanes overlap (the later lane wins).
 *
 * Then a lane that faults genuinely (a PROT_NONE page for a gather, a
 * read-only one for a scatter), in a child: the program's handler gets the
 * lane's address and code, and the destination (memory, for a scatter) and
 * the k mask up to that lane are as the processor leaves them without a
 * watch; the watched lane before it is counted.
 *
 * Skipped without AVX-512F.
 */
#include <cpuid.h>
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#include "memwatch.h"
#include "tap.h"
#include "section.h"

#define PAGE 4096

/* What a form's harness loads and stores: the destination/source vector
 * (zmm0, or zmm16), the index vector (zmm1, or zmm17), the mask (k1, or
 * k2). */
struct vctx {
	uint8_t v[64];
	uint8_t x[64];
	uint64_t k;
} __attribute__((aligned(64)));

/* HARNESS(name, v, x, k, text): name(base, ctx) runs TEXT with rdi =
 * base and ctx's registers loaded (zmmV, zmmX, kK), and stores them back.
 * FORM: zmm0, zmm1, k1; FORM_HI: zmm16, zmm17, k2. */
#define HARNESS(name, v, x, k, text)                                          \
	__asm__(".text\n.globl " #name "\n.hidden " #name "\n.type " #name    \
		", @function\n" #name ":\n"                                   \
		"	vmovdqu64 (%rsi), %zmm" v "\n"                         \
		"	vmovdqu64 64(%rsi), %zmm" x "\n"                       \
		"	kmovw 128(%rsi), %k" k "\n"                            \
		"	" text "\n"                                           \
		"	vmovdqu64 %zmm" v ", (%rsi)\n"                         \
		"	vmovdqu64 %zmm" x ", 64(%rsi)\n"                       \
		"	kmovw %k" k ", %eax\n"                                 \
		"	mov %rax, 128(%rsi)\n"                                \
		"	vzeroupper\n"                                         \
		"	ret\n"                                                \
		".size " #name ", .-" #name "\n");                            \
	void name(uint8_t *base, struct vctx *c)
#define FORM(name, text) HARNESS(name, "0", "1", "1", text)
#define FORM_HI(name, text) HARNESS(name, "16", "17", "2", text)

FORM(g_dd_z, "vpgatherdd (%rdi,%zmm1,4), %zmm0{%k1}");
FORM(g_dd_y, "vpgatherdd 8(%rdi,%ymm1,4), %ymm0{%k1}");
FORM(g_dd_x, "vpgatherdd (%rdi,%xmm1,2), %xmm0{%k1}");
FORM(g_dq_z, "vpgatherdq (%rdi,%ymm1,8), %zmm0{%k1}");
FORM(g_dq_x, "vpgatherdq -8(%rdi,%xmm1,1), %xmm0{%k1}");
FORM(g_qd_z, "vpgatherqd (%rdi,%zmm1,4), %ymm0{%k1}");
FORM(g_qd_y, "vpgatherqd (%rdi,%ymm1,4), %xmm0{%k1}");
FORM(g_qq_z, "vpgatherqq (%rdi,%zmm1,8), %zmm0{%k1}");
FORM(g_qq_y, "vpgatherqq 16(%rdi,%ymm1,1), %ymm0{%k1}");
FORM(g_dps_z, "vgatherdps (%rdi,%zmm1,4), %zmm0{%k1}");
FORM(g_dpd_z, "vgatherdpd (%rdi,%ymm1,8), %zmm0{%k1}");
FORM(g_qps_z, "vgatherqps (%rdi,%zmm1,4), %ymm0{%k1}");
FORM(g_qpd_z, "vgatherqpd -16(%rdi,%zmm1,8), %zmm0{%k1}");
FORM_HI(g_dd_hi, "vpgatherdd (%rdi,%zmm17,4), %zmm16{%k2}");
FORM_HI(g_qpd_hi, "vgatherqpd (%rdi,%ymm17,8), %ymm16{%k2}");
FORM(s_dd_z, "vpscatterdd %zmm0, (%rdi,%zmm1,4){%k1}");
FORM(s_dd_x, "vpscatterdd %xmm0, 8(%rdi,%xmm1,4){%k1}");
FORM(s_dq_z, "vpscatterdq %zmm0, (%rdi,%ymm1,8){%k1}");
FORM(s_qd_z, "vpscatterqd %ymm0, (%rdi,%zmm1,4){%k1}");
FORM(s_qq_z, "vpscatterqq %zmm0, 8(%rdi,%zmm1,8){%k1}");
FORM(s_qq_y, "vpscatterqq %ymm0, (%rdi,%ymm1,2){%k1}");
FORM(s_dps_y, "vscatterdps %ymm0, (%rdi,%ymm1,4){%k1}");
FORM(s_dpd_x, "vscatterdpd %xmm0, (%rdi,%xmm1,8){%k1}");
FORM(s_qps_z, "vscatterqps %ymm0, (%rdi,%zmm1,4){%k1}");
FORM(s_qps_x, "vscatterqps %xmm0, (%rdi,%ymm1,4){%k1}");
FORM(s_qpd_z, "vscatterqpd %zmm0, -8(%rdi,%zmm1,8){%k1}");
FORM_HI(s_dps_hi, "vscatterdps %zmm16, (%rdi,%zmm17,4){%k2}");
FORM_HI(s_qq_hi, "vpscatterqq %zmm16, (%rdi,%zmm17,8){%k2}");

struct form {
	const char *text;
	void (*fn)(uint8_t *, struct vctx *);
	unsigned elem, ielem, lanes, scale;
	int disp, scatter;
};

#define G(fn, e, ie, n, s, d, text) { text, fn, e, ie, n, s, d, 0 }
#define S(fn, e, ie, n, s, d, text) { text, fn, e, ie, n, s, d, 1 }
static const struct form forms[] = {
	G(g_dd_z, 4, 4, 16, 4, 0, "vpgatherdd zmm"),
	G(g_dd_y, 4, 4, 8, 4, 8, "vpgatherdd ymm, disp 8"),
	G(g_dd_x, 4, 4, 4, 2, 0, "vpgatherdd xmm, scale 2"),
	G(g_dq_z, 8, 4, 8, 8, 0, "vpgatherdq zmm"),
	G(g_dq_x, 8, 4, 2, 1, -8, "vpgatherdq xmm, scale 1, disp -8"),
	G(g_qd_z, 4, 8, 8, 4, 0, "vpgatherqd ymm <- zmm index"),
	G(g_qd_y, 4, 8, 4, 4, 0, "vpgatherqd xmm <- ymm index"),
	G(g_qq_z, 8, 8, 8, 8, 0, "vpgatherqq zmm"),
	G(g_qq_y, 8, 8, 4, 1, 16, "vpgatherqq ymm, scale 1, disp 16"),
	G(g_dps_z, 4, 4, 16, 4, 0, "vgatherdps zmm"),
	G(g_dpd_z, 8, 4, 8, 8, 0, "vgatherdpd zmm"),
	G(g_qps_z, 4, 8, 8, 4, 0, "vgatherqps ymm <- zmm index"),
	G(g_qpd_z, 8, 8, 8, 8, -16, "vgatherqpd zmm, disp -16"),
	G(g_dd_hi, 4, 4, 16, 4, 0, "vpgatherdd zmm16 <- zmm17, k2"),
	G(g_qpd_hi, 8, 8, 4, 8, 0, "vgatherqpd ymm16 <- ymm17, k2"),
	S(s_dd_z, 4, 4, 16, 4, 0, "vpscatterdd zmm"),
	S(s_dd_x, 4, 4, 4, 4, 8, "vpscatterdd xmm, disp 8"),
	S(s_dq_z, 8, 4, 8, 8, 0, "vpscatterdq zmm"),
	S(s_qd_z, 4, 8, 8, 4, 0, "vpscatterqd ymm -> zmm index"),
	S(s_qq_z, 8, 8, 8, 8, 8, "vpscatterqq zmm, disp 8"),
	S(s_qq_y, 8, 8, 4, 2, 0, "vpscatterqq ymm, scale 2"),
	S(s_dps_y, 4, 4, 8, 4, 0, "vscatterdps ymm"),
	S(s_dpd_x, 8, 4, 2, 8, 0, "vscatterdpd xmm"),
	S(s_qps_z, 4, 8, 8, 4, 0, "vscatterqps ymm -> zmm index"),
	S(s_qps_x, 4, 8, 4, 4, 0, "vscatterqps xmm -> ymm index"),
	S(s_qpd_z, 8, 8, 8, 8, -8, "vscatterqpd zmm, disp -8"),
	S(s_dps_hi, 4, 4, 16, 4, 0, "vscatterdps zmm16 -> zmm17, k2"),
	S(s_qq_hi, 8, 8, 8, 8, 0, "vpscatterqq zmm16 -> zmm17, k2"),
};
#define NFORMS (int)(sizeof(forms) / sizeof(forms[0]))

/* Memory: 4 pages; base = the start of page 1.  Lane j's element is at
 * base + target[j] (multiples of 8, so every scale reaches them). */
static uint8_t *mem, *base;
static const int target[16] = {
	0x40, 0x200, -0x100, 0x808, 0x1100, 0x2000, 0x40, 0x300,
	0x800, 0x1108, 0x48, 0x1800, 0x10, 0x2008, 0x808, 0x18,
};
/* Lanes 6 (W0, reached by lane 0 as well) and 11 (W3, by no other lane)
 * disabled. */
#define MASK 0xf7bfu
/* The watches: offsets from base and sizes. */
static const int wat_off[4] = { 0x40, 0x800, 0x1100, 0x1800 };
static const int wat_len[4] = { 8, 16, 8, 8 };

static void fill(void)
{
	for (int i = 0; i < 4 * PAGE; i++)
		mem[i] = (uint8_t)(i * 7 + 3 + (i >> 8));
}

static void setup(const struct form *f, struct vctx *c)
{
	memset(c, 0, sizeof(*c));
	for (int i = 0; i < 64; i++) {
		c->v[i] = (uint8_t)(0xa0 + i);          /* preset / data */
		c->x[i] = (uint8_t)(0x5c ^ (i * 13));   /* junk beyond the lanes */
	}
	for (unsigned j = 0; j < f->lanes; j++) {
		int64_t ix = ((int64_t)target[j] - f->disp) / (int64_t)f->scale;

		if (f->ielem == 4) {
			int32_t v = (int32_t)ix;

			memcpy(c->x + 4 * j, &v, 4);
		} else {
			memcpy(c->x + 8 * j, &ix, 8);
		}
	}
	c->k = MASK | 0xffff0000u;      /* kmovw: only the low 16 bits */
}

/* Whether an enabled lane of F touches watch W. */
static int touches(const struct form *f, int w)
{
	int n = 0;

	for (unsigned j = 0; j < f->lanes; j++)
		if ((MASK >> j) & 1 && target[j] < wat_off[w] + wat_len[w] &&
		    target[j] + (int)f->elem > wat_off[w])
			n++;
	return n > 0;
}

/* Whether a record of [LO, HI) (from base) for watch W is one of F's
 * lanes: inside W, and inside the lanes of F that touch W.  Dword forms
 * have more runs of lanes on watched bytes than a fault's accesses
 * (MW_FAULT_MAX_ACCESS): there the runs nearest each other are joined, and
 * a record may also cover bytes of its watch between the lanes - inside
 * the lanes that touch any watch. */
static int in_lanes(const struct form *f, int w, int lo, int hi)
{
	int a = 1 << 30, b = -(1 << 30);

	for (unsigned j = 0; j < f->lanes; j++) {
		int any = 0;

		for (int v = 0; v < 4; v++)
			if ((f->elem == 4 || v == w) && target[j] < wat_off[v] + wat_len[v] &&
			    target[j] + (int)f->elem > wat_off[v])
				any = 1;
		if ((MASK >> j) & 1 && any) {
			if (target[j] < a)
				a = target[j];
			if (target[j] + (int)f->elem > b)
				b = target[j] + (int)f->elem;
		}
	}
	return lo >= a && hi <= b && lo >= wat_off[w] && hi <= wat_off[w] + wat_len[w];
}

static uint8_t ref_mem[4 * PAGE];

static void one(const struct form *f)
{
	struct vctx ref, got;
	int id[4], rec[4] = { 0, 0, 0, 0 }, bad_rec = 0, bad_count = 0;
	uint64_t cnt[4];
	struct mw_log_cursor cur;
	struct mw_record r;

	fill();
	setup(f, &ref);
	f->fn(base, &ref);
	memcpy(ref_mem, mem, sizeof(ref_mem));

	fill();
	setup(f, &got);
	mw_log_clear();
	for (int w = 0; w < 4; w++)
		if ((id[w] = mw_watch(base + wat_off[w], (size_t)wat_len[w], MW_ACCESS)) <= 0)
			bail("mw_watch: %s", mw_strerror(id[w]));
	f->fn(base, &got);
	for (int w = 0; w < 4; w++)
		if (mw_count(id[w], &cnt[w]) != 0)
			bail("mw_count");
	mw_log_begin(&cur);
	while (mw_log_next(&cur, &r) == 1) {
		int w = -1, lo = (int)((intptr_t)r.addr - (intptr_t)base);
		int ok_value = 1;

		for (int i = 0; i < 4; i++)
			if (r.watch == id[i])
				w = i;
		if (w < 0 || r.kind != (f->scatter ? MW_KIND_WRITE : MW_KIND_READ) ||
		    !in_lanes(f, w, lo, lo + (int)r.size)) {
			bad_rec++;
			continue;
		}
		if (r.value_len && memcmp(r.new_value, ref_mem + PAGE + lo, r.value_len) != 0)
			ok_value = 0;
		if (!ok_value)
			bad_rec++;
		else
			rec[w]++;
	}
	for (int w = 0; w < 4; w++) {
		mw_unwatch(id[w]);
		if (cnt[w] != (uint64_t)touches(f, w) || !rec[w] != !touches(f, w))
			bad_count++;
	}
	if (!ok(memcmp(&got, &ref, sizeof(ref)) == 0 && memcmp(mem, ref_mem, sizeof(ref_mem)) == 0,
		"%s: registers, k mask and memory as without a watch", f->text)) {
		diag("  k %#llx (reference %#llx); vector %s, index %s, memory %s",
		     (unsigned long long)got.k, (unsigned long long)ref.k,
		     memcmp(got.v, ref.v, 64) ? "differs" : "same",
		     memcmp(got.x, ref.x, 64) ? "differs" : "same",
		     memcmp(mem, ref_mem, sizeof(ref_mem)) ? "differs" : "same");
		for (int i = 0; i < 64; i += 4)
			if (memcmp(got.v + i, ref.v + i, 4))
				diag("  vector bytes %d..%d: %08x, reference %08x", i, i + 3,
				     *(uint32_t *)(got.v + i), *(uint32_t *)(ref.v + i));
	}
	if (!ok(!bad_count && !bad_rec,
		"%s: the watches its enabled lanes touch count it once and have records "
		"of those lanes; the others nothing", f->text))
		for (int w = 0; w < 4; w++)
			diag("  watch %d: count %llu, records %d, touched %d; bad records %d", w,
			     (unsigned long long)cnt[w], rec[w], touches(f, w), bad_rec);
}

/* --- a lane that faults genuinely --- */

struct state {
	uintptr_t addr;
	int code;
	uint64_t k;
	uint8_t v[64];
};

static struct state *shared;    /* MAP_SHARED: the children write it */
static uint32_t off_opmask, off_zmmh;

static void on_segv(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;
	const uint8_t *xs = (const uint8_t *)uc->uc_mcontext.fpregs;
	uint64_t bv;

	(void)sig;
	shared->addr = (uintptr_t)si->si_addr;
	shared->code = si->si_code;
	memcpy(&bv, xs + 512, 8);
	if (bv & 0x20)
		memcpy(&shared->k, xs + off_opmask + 8, 8);     /* k1 */
	memcpy(shared->v, xs + 160, 16);                        /* xmm0 */
	if (bv & 4)
		memcpy(shared->v + 16, xs + 576, 16);           /* ymm0's upper half */
	if (bv & 0x40)
		memcpy(shared->v + 32, xs + off_zmmh, 32);      /* zmm0's upper half */
	_exit(0);
}

/* Lanes 0..7 of a qword gather or scatter: lane 0 on a watched element of
 * page 1, lanes 1..2 unwatched on page 1, lane 3 on page 3 (PROT_NONE
 * for the gather, read-only for the scatter), lanes 4..7 back on page 1. */
static const int gtarget[8] = { 0x40, 0x200, 0x208, 0x2000 + 0x18, 0x210, 0x218, 0x220, 0x48 };

FORM(gq_fault, "vpgatherdq (%rdi,%ymm1,8), %zmm0{%k1}");
FORM(sq_fault, "vpscatterdq %zmm0, (%rdi,%ymm1,8){%k1}");

static void fault_child(void *arg)
{
	int scatter = (int)((uintptr_t)arg & 1), watched = (int)((uintptr_t)arg >> 1);
	struct sigaction sa;
	struct vctx c;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_segv;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGSEGV, &sa, NULL);
	fill();
	mprotect(base + 0x2000, PAGE, scatter ? PROT_READ : PROT_NONE);
	memset(&c, 0, sizeof(c));
	for (int i = 0; i < 64; i++)
		c.v[i] = (uint8_t)(0xa0 + i);
	for (int j = 0; j < 8; j++) {
		int32_t v = gtarget[j] / 8;

		memcpy(c.x + 4 * j, &v, 4);
	}
	c.k = 0xff;
	if (watched && mw_watch(base + 0x40, 8, MW_ACCESS) <= 0)
		_exit(3);
	if (scatter)
		sq_fault(base, &c);
	else
		gq_fault(base, &c);
	_exit(4);               /* no fault: wrong */
}

static void fault_case(int scatter)
{
	struct state ref, wat;
	struct child ch = { .flags = CHILD_NO_CORE };
	char how[128];
	int st;
	const char *what = scatter ? "scatter" : "gather";

	memset(shared, 0, sizeof(*shared));
	st = child_run(&ch, fault_child, (void *)(uintptr_t)scatter);
	ref = *shared;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		describe_status(st, how, sizeof(how));
		bail("the %s's fault without a watch: the child %s", what, how);
	}
	memset(shared, 0, sizeof(*shared));
	st = child_run(&ch, fault_child, (void *)(uintptr_t)(scatter | 2));
	wat = *shared;
	describe_status(st, how, sizeof(how));
	if (!ok(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		"a %s with a lane on a %s page reaches the program's handler", what,
		scatter ? "read-only" : "PROT_NONE"))
		diag("  the child %s", how);
	if (!ok(wat.addr == (uintptr_t)(base + gtarget[3]) && wat.addr == ref.addr &&
		wat.code == ref.code, "%s: si_addr is the faulting lane's, si_code as without "
		"a watch", what))
		diag("  watched %#lx code %d, reference %#lx code %d, lane %p",
		     (unsigned long)wat.addr, wat.code, (unsigned long)ref.addr, ref.code,
		     (void *)(base + gtarget[3]));
	/* Lanes 0..2 done, their bits cleared; lane 3 not done, its bit set.
	 * Lanes after it the processor may or may not have done. */
	if (!ok((wat.k & 0xf) == (ref.k & 0xf) && (scatter || !memcmp(wat.v, ref.v, 32)),
		"%s: the %sk mask up to the faulting lane as the processor leaves them", what,
		scatter ? "" : "destination and "))
		diag("  k %#llx, reference %#llx", (unsigned long long)wat.k,
		     (unsigned long long)ref.k);
}

/* A scatter's lanes before the faulting one: written (lane 0 on the watch,
 * counted once) - in the process itself, with the handler returning to a
 * point past the instruction. */
static sigjmp_buf back;

static void on_segv_jump(int sig)
{
	(void)sig;
	siglongjmp(back, 1);
}

static void scatter_partial(void)
{
	struct vctx c;
	struct sigaction sa, old;
	int id, jumped;
	uint64_t cnt = 0;
	uint8_t want[24];

	fill();
	mprotect(base + 0x2000, PAGE, PROT_READ);
	memset(&c, 0, sizeof(c));
	for (int i = 0; i < 64; i++)
		c.v[i] = (uint8_t)(0xa0 + i);
	for (int j = 0; j < 8; j++) {
		int32_t v = gtarget[j] / 8;

		memcpy(c.x + 4 * j, &v, 4);
	}
	c.k = 0xff;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_segv_jump;
	sigaction(SIGSEGV, &sa, &old);
	id = mw_watch(base + 0x40, 8, MW_ACCESS);
	if (id <= 0)
		bail("mw_watch: %s", mw_strerror(id));
	jumped = sigsetjmp(back, 1);
	if (!jumped)
		sq_fault(base, &c);
	mw_count(id, &cnt);
	mw_unwatch(id);
	sigaction(SIGSEGV, &old, NULL);
	mprotect(base + 0x2000, PAGE, PROT_READ | PROT_WRITE);
	memcpy(want, c.v, 8);           /* lane 0 -> 0x40 */
	memcpy(want + 8, c.v + 8, 16);  /* lanes 1, 2 -> 0x200, 0x208 */
	ok(jumped && !memcmp(base + 0x40, want, 8) && !memcmp(base + 0x200, want + 8, 16) &&
	   cnt == 1,
	   "scatter: the lanes before the faulting one are written, the watched one counted");
	if (!jumped || cnt != 1)
		diag("  jumped %d, count %llu", jumped, (unsigned long long)cnt);
}

int main(void)
{
	unsigned a, b, cx, d;

	__builtin_cpu_init();
	if (!__builtin_cpu_supports("avx512f"))
		skip_all("no AVX-512F on this machine");
	__cpuid_count(0xd, 5, a, b, cx, d);
	off_opmask = b;
	__cpuid_count(0xd, 6, a, b, cx, d);
	off_zmmh = b;
	mem = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	shared = mmap(NULL, sizeof(*shared), PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED || shared == MAP_FAILED)
		bail("mmap: %s", strerror(errno));
	base = mem + PAGE;
	/* The lanes at -0x100 reach page 0; page 3 (0x2000..) is base + 2
	 * pages: keep everything inside the 4 pages. */

	plan(2 * NFORMS + 7);
	for (int i = 0; i < NFORMS; i++)
		one(&forms[i]);
	fault_case(0);
	fault_case(1);
	scatter_partial();
	return done();
}

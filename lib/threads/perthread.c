/* SPDX-License-Identifier: MIT */
/*
 * perthread.c - per-thread needs: alternate stacks, untouchable pages, the
 * dispatch switch (see perthread.h).
 * Fault path (mw_thread_seen, mw_thread_switch_self, the held signals):
 * mw_arch_gate_*, mw_tid, atomics.  Thread side (mw_threads_switch): /proc/self/task/TID/status.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/rseq.h>
#include <sys/wait.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include "base/tid.h"
#include "arch/arch.h"
#include "threads/perthread.h"

/* The handlers, libunwind, an AVX-512 frame, and the program's handlers
 * that interrupt ours (or run there with SA_ONSTACK, sys/frame.c): as much
 * as a handler may want on a thread's ordinary stack.  MAP_NORESERVE: only
 * the pages used cost memory.  64 KiB left a program handler with a frame
 * above ~50 KB writing beyond the guard page. */
#define ALTSTACK (1024 * 1024)
#define GUARD 4096
#define SLOTS 4096

struct slot {
	volatile char selector; /* the thread's dispatch switch (sys/dispatch.h) */
	_Atomic pid_t tid;      /* 0: free */
	uintptr_t lo, hi;       /* static TLS .. control block + rseq */
	uintptr_t tp;           /* its thread pointer (struct pthread) */
	void *stack;            /* our alternate stack, reusable when it dies */
	/* The thread's view (perthread.h), here where the other threads
	 * can read it: a signal sent to the process goes to a thread whose
	 * view lets it through (mw_thread_hold_sent). */
	uint64_t view;          /* others read it with __atomic_load_n */
	/* SIGSEGV and SIGSYS another thread of the process sent this one
	 * (mw_thread_post), each once, as the kernel keeps them. */
	_Atomic uint64_t post_bits;
	atomic_flag post_lock;
	struct posted {
		int proc;       /* sent to the process, passed on (to_another) */
		int code;
		pid_t pid;
		uid_t uid;
		union sigval value;
	} post[2];
};

static struct slot slots[SLOTS];
/* One more than the highest slot ever taken: the loops over the threads
 * stop there, not at SLOTS (a watch asks mw_threads_refuse, the first one
 * mw_threads_switch: 4096 slots read each time were ~1/20 of a 4 KiB
 * watch + unwatch). */
static _Atomic int slots_used;
static size_t tls_static;       /* bytes of static TLS below the thread pointer */

static __thread int seen __attribute__((tls_model("initial-exec")));
static __thread struct slot *mine __attribute__((tls_model("initial-exec")));
/* The thread's slot, whether or not its switch is there. */
static __thread struct slot *own __attribute__((tls_model("initial-exec")));
static __thread int holds __attribute__((tls_model("initial-exec")));
/* The thread dispatched when its first hold began: its real mask then lets
 * SIGSEGV and SIGSYS through (while it dispatches, the program's masks are
 * its view), and nothing under the lock blocks them for good - the
 * release and mw_thread_unblock_own need not read it. */
static __thread bool held_on __attribute__((tls_model("initial-exec")));
/* The thread's alternate signal stack, ours or its own. */
static __thread uintptr_t alt_lo __attribute__((tls_model("initial-exec")));
static __thread uintptr_t alt_hi __attribute__((tls_model("initial-exec")));
/* The alternate stack the library gave the thread, if it did. */
static __thread uintptr_t our_stack __attribute__((tls_model("initial-exec")));
static _Atomic int fork_gen = 1;
/* The bits of MW_THREAD_NEEDED the thread believes blocked (perthread.h):
 * in its slot once it has one, here before (or without) one. */
static __thread uint64_t view_tls __attribute__((tls_model("initial-exec")));

static uint64_t *view_at(void)
{
	return own ? &own->view : &view_tls;
}
/* Per thread: the SIGSEGV and SIGSYS sent to it (tkill, tgkill); per
 * process: those sent to the process (kill, sigqueue), which the kernel
 * gave a thread whose view blocks them.  Standard signals: one of each is
 * kept, as the kernel keeps one pending. */
static __thread siginfo_t held_info[2] __attribute__((tls_model("initial-exec")));
static __thread uint64_t held_bits __attribute__((tls_model("initial-exec")));
static siginfo_t proc_info[2];
static _Atomic uint64_t proc_bits;

/* Where the C library's thread descriptor keeps the thread's id, which
 * the kernel clears when the thread exits (CLONE_CHILD_CLEARTID: what
 * pthread_join waits for); -1 if not found. */
static long tid_offset = -1;

void mw_threads_init(size_t static_tls)
{
	/* glibc adds a surplus for modules loaded later. */
	tls_static = static_tls + 2048;
	/* Found in this thread's own descriptor: the first int after the
	 * TCB header that holds its id. */
	const int *d = (const int *)pthread_self();
	int self = (int)syscall(SYS_gettid);

	for (long i = 16; i < 1024; i++)
		if (d[i] == self) {
			tid_offset = i * (long)sizeof(int);
			break;
		}
}

static long sys(long nr, long a, long b, long c, long d, long e, long f)
{
	return mw_arch_gate_syscall(nr, a, b, c, d, e, f);
}

static int alive(pid_t tid)
{
	return sys(SYS_tgkill, sys(SYS_getpid, 0, 0, 0, 0, 0, 0), tid, 0, 0, 0, 0) != -ESRCH;
}

/* Whether the thread blocks SIGSYS: in the signal context UC, or now. */
static bool sigsys_blocked(void *uc)
{
	uint64_t set = 0;

	if (uc)
		memcpy(&set, &((ucontext_t *)uc)->uc_sigmask, sizeof(set));
	else
		sys(SYS_rt_sigprocmask, SIG_BLOCK, 0, (long)&set, 8, 0, 0);
	return set & (1ull << (SIGSYS - 1));
}

void mw_thread_hold(int hold)
{
	/* Never below zero: an unpaired release must not turn the next
	 * hold into none. */
	if (hold && holds++ == 0)
		held_on = mine && mine->selector && mw_arch_gate_selector;
	else if (!hold && holds > 0)
		holds--;
	if (mine)
		mine->selector = holds > 0 ? 0 :
				 mw_arch_gate_selector && (held_on || !sigsys_blocked(NULL));
}

void mw_thread_switch_self(void *uc)
{
	if (mine && holds <= 0)
		mine->selector = mw_arch_gate_selector && !sigsys_blocked(uc);
}

/* Threads a tracer unblocked SIGSEGV and SIGSYS in (mw_threads_unblock):
 * the bits each had blocked, for its view when it is first seen.  Written
 * by the tracer, a process of its own: shared memory. */
#define NOTED 64
struct noted {
	_Atomic pid_t tid;
	uint64_t bits;
};
static struct noted *_Atomic noted;

static void take_noted(pid_t tid)
{
	struct noted *n = atomic_load(&noted);

	for (int i = 0; n && i < NOTED; i++)
		if (atomic_load(&n[i].tid) == tid) {
			view_tls |= n[i].bits;       /* no slot yet */
			atomic_store(&n[i].tid, 0);
		}
}

void mw_thread_seen(void *uc)
{
	pid_t tid;
	uintptr_t tp, lo, hi;
	stack_t cur, ss;
	struct slot *slot = NULL;
	void *stack = NULL;
	uint64_t v;

	if (seen == atomic_load_explicit(&fork_gen, memory_order_relaxed))
		return;
	seen = atomic_load(&fork_gen);
	v = *view_at();         /* the slot's of the thread forked from, or TLS */
	mine = NULL;
	own = NULL;
	view_tls = v;
	tid = (pid_t)sys(SYS_gettid, 0, 0, 0, 0, 0, 0);
	take_noted(tid);
	tp = (uintptr_t)pthread_self();
	lo = tp - tls_static;
	hi = tp + 4096;         /* glibc's struct pthread, rseq area inside */
	if (__rseq_size && tp + (uintptr_t)__rseq_offset + __rseq_size > hi)
		hi = tp + (uintptr_t)__rseq_offset + __rseq_size;

	/* A slot: a free one, or one whose thread is gone (its stack too). */
	for (int i = 0; i < SLOTS && !slot; i++) {
		pid_t t = atomic_load(&slots[i].tid);

		if (t == 0 || (t != tid && !alive(t))) {
			if (atomic_compare_exchange_strong(&slots[i].tid, &t, tid)) {
				int used = atomic_load(&slots_used);

				slot = &slots[i];
				while (used < i + 1 &&
				       !atomic_compare_exchange_weak(&slots_used, &used, i + 1))
					;
			}
		}
	}
	if (slot) {
		/* Nothing sent to this one yet: what was posted to the
		 * slot's last thread went with it. */
		atomic_store(&slot->post_bits, 0);
		__atomic_store_n(&slot->view, view_tls, __ATOMIC_RELAXED);
		own = slot;
		slot->lo = lo;
		slot->hi = hi;
		slot->tp = tp;
		stack = slot->stack;
		/* Its own dispatch switch from now on: on while watches exist,
		 * unless it blocks SIGSYS (a dispatched call would kill it). */
		slot->selector = mw_arch_gate_selector && !sigsys_blocked(uc);
		if (mw_arch_gate_enable_at(&slot->selector) == 0)
			mine = slot;
	}

	/* An alternate stack unless the thread has one of its own. */
	if (sys(SYS_sigaltstack, 0, (long)&cur, 0, 0, 0, 0) == 0 && !(cur.ss_flags & SS_DISABLE)) {
		alt_lo = (uintptr_t)cur.ss_sp;
		alt_hi = alt_lo + cur.ss_size;
		/* Patched sites run on ours only: the program's may be small. */
		mw_arch_hot_stack(our_stack && alt_lo == our_stack ? alt_lo : 0,
				  our_stack && alt_lo == our_stack ? alt_hi : 0);
	} else if (cur.ss_flags & SS_DISABLE) {
		if (!stack) {
			long p = sys(SYS_mmap, 0, ALTSTACK + GUARD, PROT_READ | PROT_WRITE,
				     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

			if (p < 0 && p > -4096)
				return;
			sys(SYS_mprotect, p, GUARD, PROT_NONE, 0, 0, 0);
			stack = (char *)p + GUARD;
			if (slot)
				slot->stack = stack;
		}
		ss.ss_sp = stack;
		ss.ss_size = ALTSTACK;
		ss.ss_flags = 0;
		sys(SYS_sigaltstack, (long)&ss, 0, 0, 0, 0, 0);
		our_stack = (uintptr_t)stack;
		alt_lo = (uintptr_t)stack;
		alt_hi = alt_lo + ALTSTACK;
		mw_arch_hot_stack(alt_lo, alt_hi);
		/* rt_sigreturn sets the alternate stack the frame holds. */
		if (uc)
			((ucontext_t *)uc)->uc_stack = ss;
	}
}

/* General registers only: a patched site calls it so (sys/quick.h). */
__attribute__((target("general-regs-only"))) bool mw_thread_dispatching(void)
{
	/* A forked child not seen yet dispatches on the process's switch. */
	if (mine && seen == atomic_load_explicit(&fork_gen, memory_order_relaxed))
		return mine->selector != 0;
	return mw_arch_gate_selector != 0;
}

int mw_thread_enable_self(void)
{
	mw_thread_seen(NULL);
	if (mine)
		return 0;
	return mw_arch_gate_enable();
}

void mw_thread_altstack(uintptr_t lo, size_t size)
{
	alt_lo = lo;
	alt_hi = lo + size;
	mw_arch_hot_stack(our_stack && lo == our_stack ? lo : 0,
			  our_stack && lo == our_stack ? alt_hi : 0);
}

bool mw_thread_our_altstack(stack_t *ss)
{
	if (!our_stack)
		return false;
	ss->ss_sp = (void *)our_stack;
	ss->ss_size = ALTSTACK;
	ss->ss_flags = 0;
	return true;
}

/* Whether SP is on the stack [lo, lo + size), as the kernel tells. */
static bool within(uintptr_t sp, uintptr_t lo, uintptr_t size)
{
	return sp > lo && sp - lo <= size;
}

int mw_thread_stack_short(size_t need)
{
	uintptr_t sp = (uintptr_t)__builtin_frame_address(0);

	return within(sp, alt_lo, alt_hi - alt_lo) && sp - alt_lo < need;
}

int mw_thread_on_altstack(void)
{
	if (holds <= 0 || !held_on || !alt_lo)
		return -1;
	return within((uintptr_t)__builtin_frame_address(0), alt_lo, alt_hi - alt_lo);
}

bool mw_thread_on_ours(uintptr_t sp)
{
	return our_stack && within(sp, our_stack, ALTSTACK);
}

void mw_thread_resend(const siginfo_t *si)
{
	long pid = sys(SYS_getpid, 0, 0, 0, 0, 0, 0), tid = mw_tid();
	siginfo_t copy = *si;

	if (sys(SYS_rt_tgsigqueueinfo, pid, tid, si->si_signo, (long)&copy, 0, 0) < 0)
		sys(SYS_tgkill, pid, tid, si->si_signo, 0, 0, 0);
}

void mw_threads_forked(void)
{
	atomic_fetch_add(&fork_gen, 1);
	/* A child starts with no signal pending. */
	held_bits = 0;
	atomic_store(&proc_bits, 0);
}

uint64_t mw_thread_unblock_own(void)
{
	uint64_t set = 0, bits;

	if (holds > 0 && held_on)
		return 0;
	if (sys(SYS_rt_sigprocmask, SIG_BLOCK, 0, (long)&set, 8, 0, 0) < 0)
		return 0;
	bits = set & MW_THREAD_NEEDED;
	if (bits && sys(SYS_rt_sigprocmask, SIG_UNBLOCK, (long)&bits, 0, 8, 0, 0) == 0)
		*view_at() |= bits;
	else
		bits = 0;
	return bits;
}

void mw_thread_reblock_own(uint64_t bits)
{
	bits &= *view_at();
	if (!bits)
		return;
	*view_at() &= ~bits;
	sys(SYS_rt_sigprocmask, SIG_BLOCK, (long)&bits, 0, 8, 0, 0);
	/* Blocked for real again: what was held is pending in the kernel. */
	mw_thread_release_held(bits, 0);
}

/* ---------------------------------------- signals sent while the view blocks */


static int held_index(int sig)
{
	return sig == SIGSEGV ? 0 : 1;
}

static int post_to(struct slot *to, pid_t tid, const siginfo_t *si, int proc);

/* A SIGSEGV or SIGSYS sent to the process (kill, sigqueue) that the kernel
 * gave this thread, whose view blocks it: the kernel would have given it to
 * a thread that does not block it, if there is one (the real masks never
 * block them while watches exist, so its choice was this one).  Posted to
 * such a thread (mw_thread_post); false if every other thread's view
 * blocks it too: then it stays pending for the process. */
static bool to_another(const siginfo_t *si, uint64_t bit)
{
	pid_t me = (pid_t)sys(SYS_gettid, 0, 0, 0, 0, 0, 0);

	for (int i = 0; i < SLOTS; i++) {
		pid_t t = atomic_load(&slots[i].tid);

		if (t && t != me && !(__atomic_load_n(&slots[i].view, __ATOMIC_RELAXED) & bit) &&
		    alive(t) && post_to(&slots[i], t, si, 1) == 0)
			return true;
	}
	return false;
}

/* Per thread: the SIGSEGV and SIGSYS last taken from the slot that were
 * sent to this thread, not passed on from the process. */
static __thread uint64_t taken_thread __attribute__((tls_model("initial-exec")));

/* SIG with SI arrived; TO_THREAD: sent to this thread, not the process. */
static bool hold(int sig, const siginfo_t *si, bool to_thread)
{
	uint64_t bit;

	if ((sig != SIGSEGV && sig != SIGSYS) || si->si_code > 0)
		return false;
	bit = 1ull << (sig - 1);
	if (!(*view_at() & bit))
		return false;
	if (to_thread) {
		if (!(held_bits & bit))
			held_info[held_index(sig)] = *si;
		held_bits |= bit;
	} else if (to_another(si, bit)) {
		/* Taken there, as the kernel would have given it. */
	} else if (!(atomic_load(&proc_bits) & bit)) {
		proc_info[held_index(sig)] = *si;
		atomic_fetch_or(&proc_bits, bit);
	}
	return true;
}

bool mw_thread_hold_sent(int sig, const siginfo_t *si)
{
	return hold(sig, si, si->si_code == SI_TKILL);
}

bool mw_thread_hold_posted(int sig, const siginfo_t *si)
{
	return hold(sig, si, si->si_code == SI_TKILL || (taken_thread & (1ull << (sig - 1))));
}

/* General registers only: a patched site calls it so (sys/quick.h). */
__attribute__((target("general-regs-only"))) uint64_t mw_thread_held(void)
{
	return held_bits | atomic_load(&proc_bits);
}

int mw_thread_take_held(uint64_t set, siginfo_t *si)
{
	for (int sig = 1; sig <= 64; sig++) {
		uint64_t bit = 1ull << (sig - 1);

		if (!(set & bit) || !((held_bits | atomic_load(&proc_bits)) & bit))
			continue;
		/* The thread's own first, as the kernel dequeues them. */
		if (held_bits & bit) {
			*si = held_info[held_index(sig)];
			held_bits &= ~bit;
			return sig;
		}
		if (atomic_fetch_and(&proc_bits, ~bit) & bit) {
			*si = proc_info[held_index(sig)];
			return sig;
		}
	}
	return 0;
}

/* Sends SI again to this thread: with its own si_code and sender where the
 * kernel lets a thread say so (the main thread), else as tgkill's. */
static void resend(const siginfo_t *si)
{
	long pid = sys(SYS_getpid, 0, 0, 0, 0, 0, 0), tid = sys(SYS_gettid, 0, 0, 0, 0, 0, 0);
	siginfo_t copy = *si;

	if (sys(SYS_rt_tgsigqueueinfo, pid, tid, si->si_signo, (long)&copy, 0, 0) < 0)
		sys(SYS_tgkill, pid, tid, si->si_signo, 0, 0, 0);
}

void mw_thread_release_held(uint64_t bits, int hold)
{
	siginfo_t si;
	int sig;

	bits &= mw_thread_held();
	if (!bits)
		return;
	/* Held until the handler running returns, if asked: they then
	 * arrive on the program's context, after its call. */
	if (hold)
		sys(SYS_rt_sigprocmask, SIG_BLOCK, (long)&bits, 0, 8, 0, 0);
	while ((sig = mw_thread_take_held(bits, &si)) > 0)
		resend(&si);
}

/* ------------------------------- SIGSEGV and SIGSYS sent to another thread */

#define POST_CARRIER ((void *)0x6d77706f7374ul)        /* "mwpost" */

static void post_lock(struct slot *s)
{
	while (atomic_flag_test_and_set_explicit(&s->post_lock, memory_order_acquire))
		sys(SYS_sched_yield, 0, 0, 0, 0, 0, 0);
}

static void post_unlock(struct slot *s)
{
	atomic_flag_clear_explicit(&s->post_lock, memory_order_release);
}

int mw_thread_post(pid_t tid, const siginfo_t *si)
{
	struct slot *to = NULL;

	if (si->si_signo != SIGSEGV && si->si_signo != SIGSYS)
		return 1;
	for (int i = 0, n = atomic_load(&slots_used); i < n && !to; i++)
		if (atomic_load(&slots[i].tid) == tid)
			to = &slots[i];
	if (!to)
		return 1;
	return post_to(to, tid, si, 0);
}

/* mw_thread_post to thread TID, whose slot is TO; PROC: a signal sent to
 * the process, passed on to that thread. */
static int post_to(struct slot *to, pid_t tid, const siginfo_t *si, int proc)
{
	uint64_t bit = 1ull << (si->si_signo - 1);
	long pid = sys(SYS_getpid, 0, 0, 0, 0, 0, 0);
	siginfo_t carrier;

	post_lock(to);
	if (!(atomic_load(&to->post_bits) & bit)) {
		to->post[held_index(si->si_signo)] = (struct posted){ proc, si->si_code, si->si_pid,
								      si->si_uid, si->si_value };
		atomic_fetch_or(&to->post_bits, bit);
	}
	post_unlock(to);
	/* A SIGSEGV, whatever was posted: merged with the library's own, one
	 * of the two is lost, and a fault lost is made again (the instruction
	 * faults anew); a dispatch SIGSYS lost would be a system call not
	 * made. */
	memset(&carrier, 0, sizeof(carrier));
	carrier.si_signo = SIGSEGV;
	carrier.si_code = SI_QUEUE;
	carrier.si_pid = (pid_t)pid;
	carrier.si_uid = si->si_uid;
	carrier.si_value.sival_ptr = POST_CARRIER;
	return (int)sys(SYS_rt_tgsigqueueinfo, pid, tid, SIGSEGV, (long)&carrier, 0, 0);
}

static void (*deliver_sys)(int sig, siginfo_t *si, void *uc);

void mw_thread_set_posted_sys(void (*fn)(int sig, siginfo_t *si, void *uc))
{
	deliver_sys = fn;
}

void mw_thread_posted_sys(void *uc)
{
	siginfo_t si;

	if (deliver_sys && mw_thread_take_posted(SIGSYS, &si) && !mw_thread_hold_posted(SIGSYS, &si))
		deliver_sys(SIGSYS, &si, uc);
}

bool mw_thread_take_posted(int sig, siginfo_t *si)
{
	uint64_t bit = 1ull << (sig - 1);
	struct slot *s = own;
	struct posted p;

	if (!s || !(atomic_load(&s->post_bits) & bit))
		return false;
	post_lock(s);
	p = s->post[held_index(sig)];
	atomic_fetch_and(&s->post_bits, ~bit);
	post_unlock(s);
	if (p.proc)
		taken_thread &= ~bit;
	else
		taken_thread |= bit;
	memset(si, 0, sizeof(*si));
	si->si_signo = sig;
	si->si_code = p.code;
	si->si_pid = p.pid;
	si->si_uid = p.uid;
	si->si_value = p.value;
	return true;
}

bool mw_thread_carrier(const siginfo_t *si)
{
	return si->si_code == SI_QUEUE && si->si_value.sival_ptr == POST_CARRIER &&
	       si->si_pid == (pid_t)sys(SYS_getpid, 0, 0, 0, 0, 0, 0);
}

uint64_t *mw_thread_view(void)
{
	return view_at();
}

bool mw_thread_blocks_sigsys(pid_t tid)
{
	return mw_thread_blocks(tid, SIGSYS);
}

bool mw_thread_blocks(pid_t tid, int sig)
{
	char path[64], buf[2048], *p;
	unsigned long long blk;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/self/task/%d/status", (int)tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = 0;
	p = strstr(buf, "\nSigBlk:");
	return p && sscanf(p + 8, "%llx", &blk) == 1 && (blk & (1ull << (sig - 1)));
}

void mw_threads_switch(int on)
{
	/* On: each thread switches itself, in the handler of the question
	 * mw_sys_activate sends it (mw_thread_switch_self), where its mask
	 * is its own to read.  Switched from here, a thread that had blocked
	 * SIGSYS by a call made while dispatch was off could make its next
	 * call between the switch and a look at its mask: a SIGSYS it
	 * blocks, which kills the process (glibc's pthread_create blocks
	 * every signal around its clone; t-clone-race).  Off is safe from
	 * anywhere. */
	if (on)
		return;
	for (int i = 0, n = atomic_load(&slots_used); i < n; i++)
		if (atomic_load(&slots[i].tid) && &slots[i] != mine)
			slots[i].selector = 0;  /* the caller's: mw_thread_hold's */
}

/* The helper process: seizes each thread, stops it, clears SIGSEGV and
 * SIGSYS from its mask (noting what it had blocked), sends it SI where
 * asked while it is stopped, lets it go.  Exits with how many it changed. */
static void unblocker(int go, pid_t pid, const pid_t *tids, const bool *send, int n,
		      const siginfo_t *si, struct noted *out)
{
	char c;
	int done = 0, st, k = 0;

	if (read(go, &c, 1) != 1)
		_exit(0);
	for (int i = 0; i < n; i++) {
		uint64_t m;

		if (ptrace(PTRACE_SEIZE, tids[i], 0, 0) < 0)
			continue;
		if (ptrace(PTRACE_INTERRUPT, tids[i], 0, 0) == 0 &&
		    waitpid(tids[i], &st, __WALL) == tids[i] &&
		    ptrace(PTRACE_GETSIGMASK, tids[i], 8, &m) == 0) {
			while (k < NOTED && atomic_load(&out[k].tid))
				k++;
			if (k < NOTED) {
				out[k].bits = m & MW_THREAD_NEEDED;
				atomic_store(&out[k].tid, tids[i]);
			}
			m &= ~MW_THREAD_NEEDED;
			if (ptrace(PTRACE_SETSIGMASK, tids[i], 8, &m) == 0) {
				siginfo_t copy = *si;

				done++;
				/* Queued while it is stopped, after the call it
				 * waited in (a sigwait for SIGSYS) was ended. */
				if (send[i])
					syscall(SYS_rt_tgsigqueueinfo, pid, tids[i], SIGSYS, &copy);
			}
		}
		ptrace(PTRACE_DETACH, tids[i], 0, 0);
	}
	_exit(done);
}

/* Whether Yama asks for PR_SET_PTRACER (scope 1: only descendants). */
static bool yama_restricts(void)
{
	char c = 0;
	int fd = open("/proc/sys/kernel/yama/ptrace_scope", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return false;
	if (read(fd, &c, 1) != 1)
		c = 0;
	close(fd);
	return c == '1';
}

int mw_threads_unblock(const pid_t *tids, const bool *send, int n, const siginfo_t *si)
{
	int fds[2], st = 0;
	bool yama = yama_restricts();
	struct noted *out = atomic_load(&noted);
	pid_t pid = getpid();
	long helper;

	if (!out) {
		void *p = mmap(NULL, sizeof(struct noted) * NOTED, PROT_READ | PROT_WRITE,
			       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED)
			return 0;
		atomic_store(&noted, (struct noted *)p);
		out = p;
	}
	if (pipe2(fds, O_CLOEXEC) < 0)
		return 0;
	/* A process of its own without a signal at its end (the program's
	 * SIGCHLD handler and wait(-1) never see it), without the fork
	 * handlers. */
	helper = syscall(SYS_clone, 0, 0, 0, 0, 0);
	if (helper == 0) {
		close(fds[1]);
		unblocker(fds[0], pid, tids, send, n, si, out);
	}
	close(fds[0]);
	if (helper > 0 && yama)
		prctl(PR_SET_PTRACER, helper, 0, 0, 0);
	if (helper > 0 && write(fds[1], "g", 1) == 1)
		while (waitpid((pid_t)helper, &st, __WALL) < 0 && errno == EINTR)
			;
	close(fds[1]);
	if (helper > 0 && yama)
		prctl(PR_SET_PTRACER, 0, 0, 0, 0);
	return helper > 0 && WIFEXITED(st) ? WEXITSTATUS(st) : 0;
}

bool mw_thread_waits_for(pid_t tid, int sig)
{
	char path[64], buf[256];
	unsigned long nr, set_at;
	uint64_t set = 0;
	ssize_t len;
	int fd;

	snprintf(path, sizeof(path), "/proc/self/task/%d/syscall", (int)tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (len <= 0)
		return false;
	buf[len] = 0;
	if (sscanf(buf, "%lu %lx", &nr, &set_at) != 2 || nr != SYS_rt_sigtimedwait)
		return false;
	/* The set, wherever it is (a watched page too): through /proc. */
	fd = open("/proc/self/mem", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	len = pread(fd, &set, sizeof(set), (off_t)set_at);
	close(fd);
	return len == sizeof(set) && (set & (1ull << (sig - 1)));
}

/* Whether the thread of slot S (id T) has exited, though the kernel may
 * not have released its id yet: its descriptor is gone or says so.  A
 * joined thread's stack may have been unmapped and the program's new
 * memory mapped there (the library would refuse to watch it). */
static bool exited(const struct slot *s, pid_t t)
{
	int v;

	if (tid_offset < 0 || !s->tp)
		return false;
	return mw_probe_copy(&v, (const void *)(s->tp + (uintptr_t)tid_offset), sizeof(v)) < 0 ||
	       v != t;
}

int mw_threads_refuse(uintptr_t lo, uintptr_t hi)
{
	mw_thread_seen(NULL);
	for (int i = 0, n = atomic_load(&slots_used); i < n; i++) {
		pid_t t = atomic_load(&slots[i].tid);

		if (t && lo < slots[i].hi && slots[i].lo < hi && alive(t) && !exited(&slots[i], t))
			return 1;
	}
	return 0;
}

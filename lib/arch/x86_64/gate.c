/* SPDX-License-Identifier: MIT */
/*
 * gate.c - x86-64 side of system call dispatch: the gate (gate-code.S), the
 * SIGSYS frame's registers, clone's child stack, rt_sigreturn.
 * Fault path: mw_gate_* (gate-code.S), memcpy, mw_probe_copy, mw_x86_entry.
 * Nothing else.
 */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <ucontext.h>

#include "arch/arch.h"
#include "arch/x86_64/entry.h"
#include "arch/x86_64/probe.h"
#include "base/sigsafe.h"

extern const char __start_mw_gate[], __stop_mw_gate[];
long mw_gate_syscall(long nr, long a1, long a2, long a3, long a4, long a5, long a6);
long mw_gate_syscall_sp(long nr, long a1, long a2, uintptr_t sp);
long mw_gate_clone(const long *nra, const greg_t *gregs, uintptr_t sp, void (*early)(void),
		   long how);
void mw_gate_prctl(void);
extern const char mw_gate_sigreturn[], mw_gate_restorer[];

void mw_arch_gate_region(uintptr_t *start, uintptr_t *len)
{
	*start = (uintptr_t)__start_mw_gate;
	*len = (uintptr_t)(__stop_mw_gate - __start_mw_gate);
}

int mw_arch_gate_enable_at(volatile char *selector)
{
	long r = mw_gate_syscall(SYS_prctl, 59 /* PR_SET_SYSCALL_USER_DISPATCH */,
				 1 /* PR_SYS_DISPATCH_ON */, (long)__start_mw_gate,
				 (long)(__stop_mw_gate - __start_mw_gate), (long)selector, 0);
	return r < 0 ? (int)r : 0;
}

/* gate-code.S names it too. */
__attribute__((visibility("hidden"))) volatile char mw_arch_gate_selector;
/* The switch a thread started by a dispatched clone dispatches on until
 * its first SIGSYS gives it a slot's (gate-code.S): its own, so that the
 * first watch's turning the process-wide one on cannot reach a thread
 * that blocks SIGSYS. */
__attribute__((visibility("hidden"), tls_model("initial-exec"))) __thread volatile char
	mw_x86_thread_selector = 1;

int mw_arch_gate_enable(void)
{
	return mw_arch_gate_enable_at(&mw_arch_gate_selector);
}

int mw_arch_gate_disable(void)
{
	long r = mw_gate_syscall(SYS_prctl, 59 /* PR_SET_SYSCALL_USER_DISPATCH */,
				 0 /* PR_SYS_DISPATCH_OFF */, 0, 0, 0, 0);
	return r < 0 ? (int)r : 0;
}

long mw_arch_gate_syscall(long nr, long a1, long a2, long a3, long a4, long a5, long a6)
{
	return mw_gate_syscall(nr, a1, a2, a3, a4, a5, a6);
}

/* The kernel's struct sigaction on x86-64. */
struct ksigaction {
	void *handler;
	unsigned long flags;
	const void *restorer;
	uint64_t mask;
};

void *mw_arch_gate_handler(void (*fn)(int, siginfo_t *, void *))
{
	return fn ? mw_x86_entry(fn) : NULL;
}

int mw_arch_gate_sigaction(int sig, void (*fn)(int, siginfo_t *, void *), unsigned long flags,
			   uint64_t mask)
{
	struct ksigaction ka = { mw_arch_gate_handler(fn),
				 flags | SA_SIGINFO | 0x04000000 /* SA_RESTORER */,
				 mw_gate_restorer, mask };

	return (int)mw_gate_syscall(SYS_rt_sigaction, sig, (long)&ka, 0, 8, 0, 0);
}

uint64_t mw_arch_gate_onstack_handlers(int on, uint64_t look, uint64_t keep, uint64_t unmask,
				       uint64_t theirs, void *relay, struct mw_arch_handler *prog,
				       uint64_t *handled)
{
	uint64_t had = 0;

	if (handled)
		*handled = 0;
	for (int sig = 1; sig <= 64; sig++) {
		uint64_t bit = 1ull << (sig - 1), flags;
		struct ksigaction ka;
		void *h;

		if (!(look & bit) || sig == SIGKILL || sig == SIGSTOP ||
		    mw_gate_syscall(SYS_rt_sigaction, sig, 0, (long)&ka, 8, 0, 0) < 0)
			continue;
		if (ka.handler == SIG_DFL || ka.handler == SIG_IGN)
			continue;
		if (handled)
			*handled |= bit;
		flags = ka.flags;
		h = ka.handler;
		if (on && (flags & SA_ONSTACK) && !(keep & bit))
			had |= bit;
		if (!(keep & bit) && on) {
			flags |= SA_ONSTACK;
			if (relay && h != relay) {
				prog[sig - 1].handler = h;
				prog[sig - 1].flags = ka.flags;
				h = relay;
				flags |= SA_SIGINFO;
			}
		} else if (!(keep & bit)) {
			if (!(theirs & bit))
				flags &= ~(uint64_t)SA_ONSTACK;
			if (relay && h == relay) {
				h = prog[sig - 1].handler;
				flags = (flags & ~(uint64_t)SA_SIGINFO) |
					(prog[sig - 1].flags & SA_SIGINFO);
			}
		}
		if (flags == ka.flags && h == ka.handler && !(on && (ka.mask & unmask)))
			continue;
		ka.flags = flags;
		ka.handler = h;
		if (on)
			ka.mask &= ~unmask;
		mw_gate_syscall(SYS_rt_sigaction, sig, (long)&ka, 0, 8, 0, 0);
	}
	return had;
}

size_t mw_arch_ksa_size(void)
{
	return sizeof(struct ksigaction);
}

size_t mw_arch_ksa_mask_offset(void)
{
	return offsetof(struct ksigaction, mask);
}

void mw_arch_ksa_to_sa(const void *k, struct sigaction *sa)
{
	struct ksigaction ka;

	memcpy(&ka, k, sizeof(ka));
	memset(sa, 0, sizeof(*sa));
	sa->sa_handler = (void (*)(int))ka.handler;
	sa->sa_flags = (int)ka.flags;
	sa->sa_restorer = (void (*)(void))ka.restorer;
	memcpy(&sa->sa_mask, &ka.mask, sizeof(ka.mask));
}

void mw_arch_sa_to_ksa(const struct sigaction *sa, void *k)
{
	struct ksigaction ka;

	ka.handler = (void *)sa->sa_handler;
	ka.flags = (unsigned long)(unsigned)sa->sa_flags;
	ka.restorer = (const void *)sa->sa_restorer;
	memcpy(&ka.mask, &sa->sa_mask, sizeof(ka.mask));
	memcpy(k, &ka, sizeof(ka));
}

long mw_arch_sys_args(void *uc, long a[6])
{
	const greg_t *g = ((ucontext_t *)uc)->uc_mcontext.gregs;

	a[0] = g[REG_RDI];
	a[1] = g[REG_RSI];
	a[2] = g[REG_RDX];
	a[3] = g[REG_R10];
	a[4] = g[REG_R8];
	a[5] = g[REG_R9];
	return g[REG_RAX];      /* the kernel rolled RAX back to the number */
}

void mw_arch_sys_return(void *uc, long ret)
{
	((ucontext_t *)uc)->uc_mcontext.gregs[REG_RAX] = ret;
}

uintptr_t mw_arch_sys_site(void *uc)
{
	return (uintptr_t)((ucontext_t *)uc)->uc_mcontext.gregs[REG_RIP] - 2;
}

int mw_arch_sys_redo(void *uc, long nr, const long a[6], uintptr_t pc)
{
	greg_t *g = ((ucontext_t *)uc)->uc_mcontext.gregs;
	const greg_t args[6] = { g[REG_RDI], g[REG_RSI], g[REG_RDX], g[REG_R10], g[REG_R8], g[REG_R9] };
	unsigned char insn[2];

	if (g[REG_RAX] != -EINTR || (uintptr_t)g[REG_RIP] != pc ||
	    mw_probe_copy(insn, (const void *)(pc - 2), 2) != 0 || insn[0] != 0x0f || insn[1] != 0x05)
		return 0;
	for (int i = 0; i < 6; i++)
		if (args[i] != a[i])
			return 0;
	g[REG_RIP] = (greg_t)(pc - 2);  /* syscall again, */
	g[REG_RAX] = nr;                /* with the number the kernel overwrote */
	return 1;
}

void mw_arch_sys_altstack(void *uc, const stack_t *ss)
{
	uint64_t all = ~0ull, old;
	/* Below the interrupted code's red zone: a stack address of the
	 * thread's that is not the alternate stack this handler runs on. */
	uintptr_t sp = (mw_arch_sp(uc) - 256) & ~(uintptr_t)15;

	if (mw_gate_syscall(SYS_rt_sigprocmask, SIG_BLOCK, (long)&all, (long)&old, 8, 0, 0) < 0)
		return;
	mw_gate_syscall_sp(SYS_sigaltstack, (long)ss, 0, sp);
	mw_gate_syscall(SYS_rt_sigprocmask, SIG_SETMASK, (long)&old, 0, 8, 0, 0);
}

long mw_arch_sys_number_at(uintptr_t pc)
{
	unsigned char c[7];
	int32_t nr;

	/* mov $NR, %eax; syscall: b8 imm32 0f 05, as glibc's wrappers have it. */
	if (mw_probe_copy(c, (const void *)(pc - 7), 7) != 0 || c[0] != 0xb8 || c[5] != 0x0f ||
	    c[6] != 0x05)
		return -1;
	memcpy(&nr, c + 1, 4);
	return nr;
}

/* Whether the child of clone-like call NR shares the parent's memory (its
 * alternate signal stack with it, for vfork).  In doubt, yes: it then only
 * loses an alternate stack (the library gives it one again). */
static long shares_vm(long nr, const long a[6])
{
	if (nr == SYS_clone)
		return !!(a[0] & CLONE_VM);
#ifdef SYS_fork
	if (nr == SYS_fork)
		return 0;
#endif
#ifdef SYS_clone3
	if (nr == SYS_clone3) {
		uint64_t flags;         /* struct clone_args: flags at 0 */

		return (size_t)a[1] < 8 || mw_probe_copy(&flags, (const void *)a[0], 8) != 0 ||
		       (flags & CLONE_VM);
	}
#endif
	return 1;
}

long mw_arch_sys_clone(void *uc, long nr, const long a[6], uintptr_t sp, void (*early)(void))
{
	long nra[7] = { nr, a[0], a[1], a[2], a[3], a[4], a[5] };
	const greg_t *g = ((ucontext_t *)uc)->uc_mcontext.gregs;

	/* A child on a stack of its own may start after the parent left this
	 * handler and its frame is gone; a child that runs EARLY takes signals
	 * (its system calls dispatch) on a copy of our alternate stack, over
	 * this frame: either gets the registers on its stack, below the
	 * program's red zone and above where EARLY's frames go. */
	long how = shares_vm(nr, a), r;
	uint64_t all = ~0ull, old = 0;

	if (sp != (uintptr_t)g[REG_RSP] || early) {
		greg_t *copy = (greg_t *)((sp - 512) & ~(uintptr_t)15);

		if (mw_probe_copy(copy, g, sizeof(gregset_t)) == 0)
			g = copy;
	}
	/* A thread on a stack of its own: every signal blocked across the
	 * clone, so that none reaches the child before it has read the copy
	 * (gate-code.S); the mask to put back after it.  Not with EARLY,
	 * which takes its faults and system calls as signals. */
	if (g != ((ucontext_t *)uc)->uc_mcontext.gregs && !early && (how & 1) &&
	    mw_gate_syscall(SYS_rt_sigprocmask, SIG_SETMASK, (long)&all, (long)&old, 8, 0, 0) == 0) {
		if (mw_probe_copy((greg_t *)g + NGREG, &old, sizeof(old)) == 0)
			how |= 2;
		else
			mw_gate_syscall(SYS_rt_sigprocmask, SIG_SETMASK, (long)&old, 0, 8, 0, 0);
	}
	r = mw_gate_clone(nra, g, sp, early, how);
	if (how & 2)
		mw_gate_syscall(SYS_rt_sigprocmask, SIG_SETMASK, (long)&old, 0, 8, 0, 0);
	return r;
}

uintptr_t mw_arch_sys_child_sp(void *uc, long nr, const long a[6])
{
	uintptr_t sp = (uintptr_t)((ucontext_t *)uc)->uc_mcontext.gregs[REG_RSP];

	if (nr == SYS_clone && a[1])
		return (uintptr_t)a[1];         /* clone(flags, stack, ...) */
#ifdef SYS_clone3
	if (nr == SYS_clone3 && (size_t)a[1] >= 56) {
		uint64_t stack[2];      /* struct clone_args: stack, stack_size at 40 */

		if (mw_probe_copy(stack, (const char *)a[0] + 40, sizeof(stack)) == 0 && stack[0])
			return (uintptr_t)(stack[0] + stack[1]);
	}
#endif
	return sp;
}

sigset_t *mw_arch_sys_sigreturn(void *uc)
{
	greg_t *g = ((ucontext_t *)uc)->uc_mcontext.gregs;

	/* At glibc's __restore_rt the frame's ucontext is at RSP (the handler's
	 * `ret` popped the return address); the kernel reads it there too. */
	g[REG_RIP] = (greg_t)(uintptr_t)mw_gate_sigreturn;
	return &((ucontext_t *)(uintptr_t)g[REG_RSP])->uc_sigmask;
}

/* SPDX-License-Identifier: MIT */
/*
 * perthread.h - what each thread needs while watches exist.
 *
 * A watched page may be on a thread's stack (a local variable): the
 * kernel cannot push the SIGSEGV frame there, so every thread gets an
 * alternate signal stack of the library's (unless it has one), where the
 * library's handlers run (SA_ONSTACK).  And some pages of a thread can
 * never be watched: its thread control block with the rseq area (the
 * kernel writes it at every signal delivery) and its static TLS.  Each
 * thread registers them the first time it passes through the library's
 * signal handlers while watches exist (its first system call, or the
 * broadcast of the first watch, see sys/dispatch.h).
 *
 * Each registered thread also has its own dispatch switch: a thread that
 * blocks SIGSYS must not dispatch (the kernel would kill the process).
 * One that blocks it when watches begin stays off until it unblocks it:
 * then the broadcast's SIGSYS, pending meanwhile, reaches it.
 */
#ifndef MW_PERTHREAD_H
#define MW_PERTHREAD_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* [thread] Once, at initialization: the bytes of static TLS of the modules
 * loaded so far (below the thread pointer on x86-64 and most others). */
void mw_threads_init(size_t static_tls);
/* [fault path] The calling thread: register it, give it an alternate
 * stack.  Cheap after the first call.  UC: the signal context it runs in,
 * or NULL: rt_sigreturn sets the alternate stack the context holds. */
void mw_thread_seen(void *uc);
/* [fault path] The calling thread's dispatch switch: on while watches
 * exist, unless it blocks SIGSYS in the signal context UC. */
void mw_thread_switch_self(void *uc);
/* [fault path] Whether the calling thread's system calls dispatch now (its
 * switch is on): a patched system-call site performs them as dispatch
 * would only then. */
bool mw_thread_dispatching(void);
/* [thread] HOLD: the calling thread's own system calls go straight to the
 * kernel (it holds the library lock: they are the library's); 0 puts its
 * switch back as the watches want.  Nests. */
void mw_thread_hold(int hold);
/* [thread] Every other registered thread's switch off (ON 0); ON 1 does
 * nothing: each thread switches itself on when asked (perthread.c). */
void mw_threads_switch(int on);
/* [thread] Register the calling thread and switch dispatch on for it (its
 * switch stays as mw_threads_switch sets it).  0 or -errno. */
int mw_thread_enable_self(void);
/* [fault path] The program set the calling thread's alternate signal stack
 * (sys/bounce.c performs sigaltstack): LO, SIZE (0: none). */
void mw_thread_altstack(uintptr_t lo, size_t size);
/* [fault path] The alternate stack the library gave the calling thread
 * (the program did not set one): into SS, and true; false if none. */
bool mw_thread_our_altstack(stack_t *ss);
/* [fault path] Whether SP is on the alternate stack the library gave the
 * calling thread. */
bool mw_thread_on_ours(uintptr_t sp);
/* [fault path] SI's signal sent again to the calling thread, as it was
 * (its siginfo, or a plain tgkill if that cannot be). */
void mw_thread_resend(const siginfo_t *si);
/* [fault path] Whether the calling thread runs on its alternate signal
 * stack with less than NEED bytes left (the program's own may be small). */
int mw_thread_stack_short(size_t need);
/* [thread] Whether the calling thread, holding the library lock, runs on
 * its alternate signal stack: 1 or 0 when known without a system call
 * (it dispatched when its hold began: every sigaltstack of the program's
 * went through the library since), else -1. */
int mw_thread_on_altstack(void);
/* [thread] Whether thread TID of this process blocks SIGSYS now (its
 * /proc status's SigBlk). */
bool mw_thread_blocks_sigsys(pid_t tid);
/* [thread] Whether thread TID blocks signal SIG now. */
bool mw_thread_blocks(pid_t tid, int sig);

/*
 * The program's view of SIGSEGV and SIGSYS in its masks.  Watches need both
 * delivered in every thread: a thread that blocked them (all signals
 * blocked in main before the first watch, the sigwait pattern) gets them
 * unblocked, and the bits it believes blocked are kept in its view.  While
 * system calls dispatch, rt_sigprocmask reports them and updates the view
 * (sys/dispatch.c), so the program sees the mask it set.
 */
#define MW_THREAD_NEEDED ((1ull << (SIGSEGV - 1)) | (1ull << (SIGSYS - 1)))
/* [thread] Unblocks SIGSEGV and SIGSYS in the calling thread if it blocks
 * them, into its view; returns the bits it unblocked. */
uint64_t mw_thread_unblock_own(void);
/* [thread] Blocks again the bits of BITS that are in the calling thread's
 * view (no watch left), and drops them from the view. */
void mw_thread_reblock_own(uint64_t bits);
/* [fault path] The calling thread's view: the bits of MW_THREAD_NEEDED it
 * believes blocked. */
uint64_t *mw_thread_view(void);
/*
 * SIGSEGV and SIGSYS sent by kill, tgkill, sigqueue (si_code <= 0) to a
 * thread whose view blocks them would reach the library's handlers at
 * once; the program expects them pending until it unblocks them (or takes
 * them with sigwaitinfo).  They are held here instead: per thread when
 * sent to the thread (SI_TKILL), one of each.  One sent to the process is
 * posted (mw_thread_post) to another thread whose view lets it through,
 * as the kernel would have given it to that one; held per process, one
 * of each, only when every thread's view blocks it.
 */
/* [fault path] SIG arrived with SI in the calling thread: true if it is a
 * sent SIGSEGV or SIGSYS its view blocks, now held. */
bool mw_thread_hold_sent(int sig, const siginfo_t *si);
/* [fault path] The same for SIG just taken from the slot with
 * mw_thread_take_posted: held for the thread when it was sent to the
 * thread (pthread_sigqueue's SI_QUEUE too), else as sent to the process. */
bool mw_thread_hold_posted(int sig, const siginfo_t *si);
/* [fault path] The held signals the calling thread can see (its own and the
 * process's), as a mask. */
uint64_t mw_thread_held(void);
/* [fault path] Takes a held signal of SET into *SI: its number, or 0. */
int mw_thread_take_held(uint64_t set, siginfo_t *si);
/* [fault path or thread] Sends the held signals of BITS again to the
 * calling thread (its view or mask no longer blocks them, or blocks them
 * for real again); HOLD: blocked until the running handler returns. */
void mw_thread_release_held(uint64_t bits, int hold);
/*
 * The kernel keeps a standard signal pending once: a SIGSEGV or SIGSYS one
 * thread sends another while the library's own is pending for it (a
 * watched access, a dispatched system call) is merged with it and lost.
 * Sent by the program's threads, it is posted instead: written to the
 * target's slot, then a carrier of the library's is sent, a SIGSEGV
 * (SI_QUEUE, a value of its own) which, merged or not, runs the target's
 * SIGSEGV handler of the library's; each entry of that handler takes what
 * was posted (the SIGSYS through the hook of the system-call layer).
 */
/* [fault path] Posts SI (a SIGSEGV or SIGSYS sent to thread TID of this
 * process) and sends the carrier: the result of that (0, -errno); 1 if
 * TID is not a thread the library knows (send it as it is). */
int mw_thread_post(pid_t tid, const siginfo_t *si);
/* [fault path] Takes the SIG posted to the calling thread into *SI: true,
 * or false if there is none. */
bool mw_thread_take_posted(int sig, siginfo_t *si);
/* [fault path] Whether SI is a carrier (nothing of its own to deliver). */
bool mw_thread_carrier(const siginfo_t *si);
/* [thread] FN delivers a SIGSYS posted to the calling thread, as the
 * SIGSYS handler would (held for the view already looked at). */
void mw_thread_set_posted_sys(void (*fn)(int sig, siginfo_t *si, void *uc));
/* [fault path] Delivers the SIGSYS posted to the calling thread, if any,
 * with FN; UC: the context the handler interrupted. */
void mw_thread_posted_sys(void *uc);
/* [thread] Threads TIDS (N of them) block SIGSYS (and SIGSEGV), or wait
 * for it in sigwaitinfo, out of reach of the library's signals: a helper
 * process traces each for a moment and clears both from its mask (what it
 * blocked goes to its view when it is first seen); where SEND[i], it then
 * queues SI (a SIGSYS) for it while it is stopped, its wait ended.
 * Returns how many it changed: 0 where tracing is not allowed (a debugger
 * attached, no ptrace permission). */
int mw_threads_unblock(const pid_t *tids, const bool *send, int n, const siginfo_t *si);
/* [thread] Whether thread TID waits in rt_sigtimedwait (sigwait,
 * sigwaitinfo) for a set with SIG in it. */
bool mw_thread_waits_for(pid_t tid, int sig);
/* [thread] In a forked child: its one thread registers anew. */
void mw_threads_forked(void);
/* [thread] Whether [lo, hi) holds a registered thread's control block,
 * rseq area or static TLS. */
int mw_threads_refuse(uintptr_t lo, uintptr_t hi);

#endif /* MW_PERTHREAD_H */

/* SPDX-License-Identifier: MIT */
/*
 * frame.h - system calls about the calling thread's signals, performed on
 * the SIGSYS frame: made from inside the handler they would act on the
 * handler, not on the program (its mask, its alternate stack), or replace
 * the library's own handlers.  Each returns the call's result.
 * All: [fault path].
 */
#ifndef MW_FRAME_H
#define MW_FRAME_H

/* rt_sigprocmask, on the mask the signal frame will restore; SIGSEGV and
 * SIGSYS stay deliverable, and what the program blocks of them is kept in
 * the thread's view (perthread.h), which the old mask it gets shows. */
long mw_sys_sigprocmask_frame(void *uc, const long a[6]);
/* sigaltstack, on the frame's uc_stack; the library's own stack shows as
 * none. */
long mw_sys_sigaltstack_frame(void *uc, const long a[6]);
/* rt_sigaction of SIGSEGV or SIGSYS: the program's handler becomes the one
 * genuine faults (SIGSYS not dispatch's) go to, ours stays installed.  1:
 * the call goes to the kernel instead. */
long mw_sys_sigaction_frame(const long a[6]);

/* [fault path] rt_sigaction of another signal while watches exist: a
 * handler goes behind the relay (relay.h) with SA_ONSTACK (and no SIGSEGV,
 * SIGSYS in its mask), the old action shows the handler and flags the
 * program gave; the kernel's accesses to watched actions are logged.  1: the call goes to the kernel as it is. */
long mw_sys_sigaction_onstack(void *uc, const long a[6]);

/* rt_sigpending and rt_sigtimedwait see the SIGSEGV and SIGSYS held for
 * the thread's view (threads/perthread.h): pending, and taken by the wait.
 * And kill, tkill, tgkill, rt_sigqueueinfo or rt_tgsigqueueinfo (NR, A) of a
 * signal to the calling thread (or its process, when the thread does not
 * block it) whose action is the default and kills the process: sent with
 * the signal blocked until the handler returns, so that it arrives on the
 * program's context, right after its system call, as without the library
 * (a core shows the program's frames on top, not the library's).  1: not
 * such a call, it goes on as usual. */
long mw_sys_selfsignal_frame(void *uc, long nr, const long a[6]);

#endif /* MW_FRAME_H */

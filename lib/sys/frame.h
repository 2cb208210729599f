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

#endif /* MW_FRAME_H */

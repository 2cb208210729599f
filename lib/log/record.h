/* SPDX-License-Identifier: MIT */
/*
 * record.h - turning a performed access into log records.
 *
 * Two steps around the arch's performing of an access: before it (the
 * registers still as the program left them) the backtrace and the old
 * values are taken; after it, one record per (access, watch it touched with
 * a kind the watch catches), clipped to the watch, goes into the ring, and
 * each watch touched counts the instruction once (mw_count).
 * All: [fault path].
 */
#ifndef MW_RECORD_H
#define MW_RECORD_H

#include <stdint.h>
#include <sys/types.h>

#include "arch/arch.h"

void mw_record_before(struct mw_fault *f);
/* Returns the seq of the first record made, 0 if none. */
uint64_t mw_record_after(struct mw_fault *f);

/*
 * While it records, the log holds the program's asynchronous signals (all
 * but SIGSEGV, SIGSYS and the synchronous SIGBUS, SIGFPE, SIGILL, SIGTRAP):
 * a handler of the program's that interrupted the recording would have its
 * own watched accesses taken for the library's (neither counted nor
 * logged), and a fast timer's would nest backtrace in backtrace.  One
 * rt_sigprocmask from the gate when mw_record_before starts recording;
 * the mask comes back at the end of mw_record_after for a system call's
 * access (f->kernel: the call may block next), else when the handler
 * returns (rt_sigreturn restores it) or by mw_record_release.
 */
/* Puts back the mask mw_record_before changed, if it did. */
void mw_record_release(struct mw_fault *f);

/* [fault path] A MW_KIND_GONE record for watch W, whose memory the system
 * call at PC (in signal context UC) takes away. */
void mw_record_gone(const struct mw_watch_obj *w, uintptr_t pc);

#endif /* MW_RECORD_H */

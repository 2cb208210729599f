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
 * While it records, the log needs the program's asynchronous signals held
 * (MW_RECORD_HELD: all but SIGSEGV, SIGSYS and the synchronous SIGBUS,
 * SIGFPE, SIGILL, SIGTRAP): a handler of the program's that interrupted
 * the recording would have its own watched accesses taken for the
 * library's (neither counted nor logged), and a fast timer's would nest
 * backtrace in backtrace.  The SIGSEGV handler is installed with them in
 * its mask (fault.c): the kernel holds them, rt_sigreturn gives them back,
 * no system call per access.  For a system call's access (f->kernel: the
 * SIGSYS handler holds nothing, its calls may block) mw_record_before
 * holds them with one rt_sigprocmask and mw_record_after gives them back.
 */
#define MW_RECORD_HELD (~((1ull << (SIGSEGV - 1)) | (1ull << (SIGSYS - 1)) | \
			  (1ull << (SIGBUS - 1)) | (1ull << (SIGFPE - 1)) | \
			  (1ull << (SIGILL - 1)) | (1ull << (SIGTRAP - 1))))

/* A patched site's access (arch.h) is not in a handler whose mask holds
 * the asynchronous signals: its caller holds them with a system call pair
 * (mw_record_hold below) - unless no signal of MW_RECORD_HELD has a
 * handler of the program's, when nothing of the program's can interrupt.
 * The system-call layer says which have one: ALL: exactly BITS (when it
 * starts to see every sigaction, and ~0 when it stops); else BITS have
 * one now (said before the handler is installed).  [any] */
void mw_record_handlers(uint64_t bits, int all);
/* BITS have none now (said after the handler is gone).  [any] */
void mw_record_unhandled(uint64_t bits);

/* [fault path] For a patched site's whole call (fault.c), not only its
 * recording: holds the asynchronous signals if a handler of the program's
 * may run for one - 1 if it did, the mask before in *OLD - so that no
 * handler of the program's runs inside the table's epoch (one that
 * siglongjmps out would leave it held for good, and the next mw_unwatch
 * would wait for it forever).  The fault's `held` is then 2: the log
 * leaves the mask to mw_record_release, called after the epoch. */
int mw_record_hold(uint64_t *old);
void mw_record_release(const uint64_t *old);

/* Set by the debugger side: which writes of a watch to count and log
 * (record.c).  [fault path] */
extern int (*volatile mw_record_keep)(int watch, uintptr_t lo, const uint8_t *old,
				      const uint8_t *new, size_t n);

/* [fault path] A MW_KIND_GONE record for watch W, whose memory the system
 * call at PC (in signal context UC) takes away. */
void mw_record_gone(const struct mw_watch_obj *w, uintptr_t pc);

#endif /* MW_RECORD_H */

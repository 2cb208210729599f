/* SPDX-License-Identifier: MIT */
/*
 * memwatch.h - unlimited software watchpoints for C and C++ on Linux x86-64.
 *
 * A watch makes the pages that hold the watched bytes inaccessible (or
 * read-only, for write watches).  Every access to them raises one SIGSEGV,
 * which the library takes: it decodes the instruction, performs it on a
 * second, read-write view of the same physical memory, counts the access if it
 * touched watched bytes of a matching kind, and resumes after the instruction.
 * The watched pages are never opened, so no thread can slip past a watch.
 *
 * Context of each call (see doc/memwatch.3):
 *   thread:   may block and allocate; must not be called from a signal handler.
 *   any:      async-signal-safe, any thread, never blocks.
 *
 * Errors are negative errno values; mw_strerror() explains them.
 */
#ifndef MEMWATCH_H
#define MEMWATCH_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#pragma GCC visibility push(default)

/* Kinds of access a watch catches.  0 means MW_WRITE, like GDB's `watch`:
 * the pages stay readable, so reads cost nothing. */
#define MW_READ   0x1u
#define MW_WRITE  0x2u
#define MW_ACCESS (MW_READ | MW_WRITE)

/*
 * mw_watch - start watching LEN bytes at ADDR.                      [thread]
 *
 *   addr   first watched byte: heap, .data/.bss/.rodata, anonymous,
 *          private or shared file mappings, shared memory, stacks
 *          (read-only memory too: a write to it stays the fault it was)
 *   len    number of bytes, > 0; any size, any alignment
 *   flags  MW_READ, MW_WRITE or both; 0 means MW_WRITE
 *
 * Watches may overlap, be adjacent or share pages with other watches.
 * Returns the watch id (> 0; after INT_MAX, ids start again from 1,
 * skipping those of existing watches), or:
 *   -EINVAL     addr is NULL, len is 0, or flags has unknown bits
 *   -EOVERFLOW  addr + len wraps around the address space
 *   -EFAULT     part of the range is unmapped (also beyond the end of the
 *               address space) or has no access (PROT_NONE); comes before
 *               -ENOTSUP
 *   -ENOTSUP    memory that cannot be watched (yet): a thread's control
 *               block, rseq area or static TLS, the lowest page of the main
 *               stack, an executable mapping (execute-only too), a kernel
 *               special mapping ([vdso]...), memwatch's own data or its
 *               decoder's and unwinder's (see mw_watch(3))
 *   -ENOMEM     out of memory or mappings
 * On error nothing has changed.
 */
int mw_watch(const void *addr, size_t len, unsigned flags);

/*
 * mw_unwatch - stop watch ID.                                       [thread]
 *
 * The pages get back exactly the protection and contents they had (with all
 * writes made while watched).  Returns 0, or -ENOENT for an id that
 * mw_watch() never returned or that was already unwatched (until
 * mw_watch() gives it again, after INT_MAX ids).
 */
int mw_unwatch(int id);

/*
 * mw_count - accesses caught by watch ID.                              [any]
 *
 * An access is one execution of one instruction that touched at least one
 * byte of the watch with a kind the watch catches (a read-modify-write counts
 * for MW_READ and for MW_WRITE watches; a `rep` string instruction counts
 * once).  Returns 0 and stores the count, or -ENOENT.
 */
int mw_count(int id, uint64_t *count);

/*
 * mw_total_count - accesses caught by all watches, also unwatched ones.  [any]
 *
 * An access that touched several watches counts once here.
 */
uint64_t mw_total_count(void);

/*
 * mw_strerror - a sentence for an error returned by this library.      [any]
 *
 *   err  a return value of a memwatch call (negative errno; the sign is
 *        ignored)
 *
 * Returns a static string; never NULL.
 */
const char *mw_strerror(int err);

/*
 * mw_syscalls - system call dispatch on (1, the default) or off (0), for the
 * watches that exist and those to come.                             [thread]
 *
 * While watches exist, every system call is a SIGSYS that the library
 * handles (about 2 us; under a debugger, a stop), so that the kernel can
 * read and write watched memory and its accesses are logged.  Off, system
 * calls run at full speed, but one that touches a watched page fails with
 * EFAULT as the kernel meets the protection (a mutex in a watched struct
 * makes the C library abort), and the kernel's accesses are not logged.
 * MEMWATCH_SYSCALLS=0 in the environment turns it off from the start.
 * Returns the setting before (1 or 0), or a negative errno of the
 * library's initialization.  Turning it on where dispatch cannot work (no
 * syscall user dispatch in the kernel, MEMWATCH_SYSCALLS=0) says so once.
 */
int mw_syscalls(int on);

/* ------------------------------------------------------------------ log */

/*
 * Every access a watch catches leaves a record in a fixed-size, lock-free
 * ring (a flight recorder: the newest records are kept).  An access that
 * touches several watches leaves one record per watch, each clipped to the
 * bytes of its watch.
 */

/* Record kinds. */
#define MW_KIND_READ    1u
#define MW_KIND_WRITE   2u
#define MW_KIND_RMW     3u      /* read-modify-write: MW_KIND_READ|MW_KIND_WRITE */
#define MW_KIND_KERNEL  4u      /* by the kernel, in a system call (pc: the call) */
#define MW_KIND_GONE    8u      /* not an access: the watch ended because its
				 * memory was unmapped or replaced, or made
				 * executable (pc: the system call; addr,
				 * size: the watch) */

/* Record flags. */
#define MW_REC_CUT      0x1u    /* the access was wider than MW_VALUE_MAX: values cut */
#define MW_REC_NOOLD    0x2u    /* a write whose old value is not known (beyond
				   the first 256 bytes of a long access) */
#define MW_REC_ATOMIC   0x4u    /* old value from the atomic instruction's result */

#define MW_VALUE_MAX    64
#define MW_FRAMES_MAX   32

struct mw_record {
	uint64_t seq;           /* 1, 2, 3, ... in the order records were started */
	uint64_t time_ns;       /* CLOCK_MONOTONIC */
	uint64_t addr;          /* first byte accessed, clipped to the watch */
	uint64_t pc;            /* the accessing instruction */
	uint32_t tid;           /* gettid() of the accessing thread */
	int32_t watch;          /* the watch id */
	uint32_t size;          /* bytes accessed, clipped to the watch */
	uint8_t kind;           /* MW_KIND_* */
	uint8_t flags;          /* MW_REC_* */
	uint8_t nframes;        /* 0 with depth 0; else frames[0] == pc, then the
				   callers' return addresses */
	uint8_t value_len;      /* bytes in old_value/new_value: min(size, MW_VALUE_MAX) */
	uint8_t old_value[MW_VALUE_MAX];        /* writes: before the access; reads: 0 */
	uint8_t new_value[MW_VALUE_MAX];        /* writes: after; reads: the value read */
	uint64_t frames[MW_FRAMES_MAX];
};

/* Iteration from a cursor: records come oldest first. */
struct mw_log_cursor {
	uint64_t next;          /* the seq to read next */
};

/*
 * mw_log_begin - position CUR at the oldest record still in the ring.  [any]
 */
void mw_log_begin(struct mw_log_cursor *cur);

/*
 * mw_log_next - copy the next record at or after CUR into *REC.       [any]
 *
 * Records overwritten since the cursor was placed are skipped (the cursor
 * moves on to the oldest one left).  Returns 1 with a record, 0 when there
 * is none (yet), -EINVAL for NULL arguments.
 */
int mw_log_next(struct mw_log_cursor *cur, struct mw_record *rec);

struct mw_log_stats {
	uint64_t records;       /* records started since the last mw_log_clear */
	uint64_t overwritten;   /* complete records pushed out by newer ones */
	uint64_t dropped;       /* records never written (must stay 0) */
	uint64_t capacity;      /* ring size, records (a power of two) */
	unsigned depth;         /* backtrace frames per record, 0..MW_FRAMES_MAX */
	/* Appended (mw_log_stats_sized): what watching cost that no record
	 * shows.  Faults on neighbours: accesses to watched pages that no
	 * watch counted (unwatched bytes, or a kind no watch catches), each
	 * one signal. */
	uint64_t neighbour_faults;
	uint64_t fault_ns;      /* the least time seen between two faults of a
				   thread: one fault's round trip, when a thread
				   faults back to back (0: not seen) */
	uint64_t neighbour_ns;  /* their cost, estimated: for each, the time
				   since its thread's previous fault, at most 4
				   times fault_ns */
	uint64_t hot_pc;        /* the instruction with the most of them (0: none) */
	uint64_t hot_pc_faults; /* its faults on neighbours, and its accesses
				   run in its stub (neighbour_stub) */
	uint64_t hot_addr;      /* the address of its first one */
	uint64_t syscalls;      /* system calls dispatched (one SIGSYS each) */
	uint64_t syscall_ns;    /* as fault_ns, for two dispatched calls */
	uint64_t syscalls_ns;   /* as neighbour_ns, for the dispatched calls */
	int64_t top_syscall;    /* the number dispatched most (-1: none) */
	uint64_t top_syscall_calls;
	/* Accesses to watched pages that no watch counted, run by a patched
	 * instruction's stub on the alias itself: no signal, some tens of
	 * nanoseconds each; not among neighbour_faults (memwatch(3),
	 * "Patched sites"). */
	uint64_t neighbour_stub;
};

/*
 * mw_log_descriptor - for debuggers: 64-bit words (magic "MEMWLOG1",
 * version 1, the ring's address, sizes and every record field's offset,
 * and, word 27, the address of the cost counters of lib/log/cost.h;
 * see lib/log/ring.h and mw_log_next(3)) that let GDB decode the log from raw
 * memory of a stopped process or a core file, without calling into it and
 * without debug info.  Filled at the library's initialization.
 */
extern uint64_t mw_log_descriptor[];

/*
 * mw_log_stats - counters of the log and of what watching costs.     [any]
 * 0, or -EINVAL for NULL.
 *
 * A macro: it calls mw_log_stats_sized(st, sizeof(struct mw_log_stats)),
 * which fills the first SIZE bytes of the structure, so that a program
 * built with an older memwatch.h (whose binary calls the function
 * mw_log_stats, which fills the fields up to depth) keeps working with a
 * newer library.
 */
int mw_log_stats(struct mw_log_stats *st);
int mw_log_stats_sized(struct mw_log_stats *st, size_t size);
#define mw_log_stats(st) mw_log_stats_sized((st), sizeof(struct mw_log_stats))

/*
 * mw_neighbour_faults - faults on the pages of watch ID that touched no  [any]
 * byte any watch counted (its neighbours, or its bytes with a kind it does
 * not catch): what watching its pages costs beyond its own accesses.
 * 0 for an id never seen (and after mw_log_clear).
 */
uint64_t mw_neighbour_faults(int id);

/*
 * mw_syscall_name - the name of system call NR ("getppid"), or NULL for a
 * number this library does not know.                                 [any]
 */
const char *mw_syscall_name(long nr);

/*
 * mw_log_configure - ring size and backtrace depth.                 [thread]
 *
 *   records  ring capacity, rounded up to a power of two, 2 .. 2^24; 0 keeps
 *            the current one
 *   depth    frames per record, 0 (no backtraces) .. MW_FRAMES_MAX
 *
 * The ring size can only be changed before the first mw_watch (-EBUSY
 * after, unless RECORDS rounds to the current size); the depth at any time.  The environment sets the defaults:
 * MEMWATCH_RING (16384), MEMWATCH_DEPTH (16).  Returns 0 or -EINVAL/-EBUSY.
 */
int mw_log_configure(size_t records, unsigned depth);

/* mw_log_clear - forget the records so far and reset the counters; the
 * sequence numbers go on.                                           [thread] */
void mw_log_clear(void);

/* ------------------------------------------------------- patched sites */

/*
 * An instruction that keeps faulting on watched pages is patched with a
 * jump to a stub of the library's that does without a signal what the
 * fault does (memwatch(3), "Patched sites").  mw_patch_info(I, &what):
 * how many instructions ended as outcome I, and what I means in words in
 * *WHAT: I = 0 patched, 1 patched and then restored, 2 on: refused, by
 * reason.  Hot system-call sites are patched too: their outcomes are the
 * ones whose words start with "system-call sites" ("system-call sites
 * patched" first, then refusals).  -1 past the last I.             [any] */
long mw_patch_info(int i, const char **what);

/*
 * mw_log_dump - the log as text on FD, one access per block, oldest first,
 * frames named (function+offset, module) where the library can.    [thread]
 * Returns the number of records written, or -errno.
 *
 * With MEMWATCH_LOG=path in the environment, the log is written there at
 * exit, and when the process dies of a fatal signal (then with raw
 * addresses and the module map: naming is not safe in a signal handler).
 */
int mw_log_dump(int fd);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif

#endif /* MEMWATCH_H */

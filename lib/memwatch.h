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
 *   addr   first watched byte: heap, .data/.bss/.rodata, anonymous or
 *          private file mapping (read-only memory too: a write to it stays
 *          the fault it was)
 *   len    number of bytes, > 0; any size, any alignment
 *   flags  MW_READ, MW_WRITE or both; 0 means MW_WRITE
 *
 * Watches may overlap, be adjacent or share pages with other watches.
 * Returns the watch id (> 0), or:
 *   -EINVAL     addr is NULL, len is 0, or flags has unknown bits
 *   -EOVERFLOW  addr + len wraps around the address space
 *   -EFAULT     part of the range is unmapped or has no access (PROT_NONE)
 *   -ENOTSUP    memory that cannot be watched (yet): a stack, a shared or
 *               executable mapping, a kernel special mapping ([vdso]...)
 *   -ENOMEM     out of memory or mappings
 * On error nothing has changed.
 */
int mw_watch(const void *addr, size_t len, unsigned flags);

/*
 * mw_unwatch - stop watch ID.                                       [thread]
 *
 * The pages get back exactly the protection and contents they had (with all
 * writes made while watched).  Returns 0, or -ENOENT for an id that
 * mw_watch() never returned or that was already unwatched.
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

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif

#endif /* MEMWATCH_H */

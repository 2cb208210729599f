/* SPDX-License-Identifier: MIT */
/*
 * memwatcher.h - the API of the original MemWatcher, kept for programs
 * written for it.  Link with -lmemwatch; see memwatcher(3).
 *
 * Unlike the original, every access is caught with one signal, from any
 * thread, on heap, global and mmap'ed memory alike.
 */
#ifndef MEMWATCHER_H
#define MEMWATCHER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>

#ifdef __cplusplus
extern "C" {
#endif

#pragma GCC visibility push(default)

/* Watch SIZE bytes at ADDR.  PROT is the protection the watched pages get:
 * PROT_NONE catches reads and writes, PROT_READ only writes.  Errors are
 * reported on stderr. */
void _watch_address(void *addr, size_t size, int prot);

/* Stop the watch whose region starts at ADDR; its pages get back the
 * protection they had before the watch (PROT is accepted and ignored). */
void _unwatch_address(void *addr, int prot);

/* Accesses that touched watched bytes, in all threads, since the start. */
uint32_t _get_trap_count(void);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif

#endif /* MEMWATCHER_H */

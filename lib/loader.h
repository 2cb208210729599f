/* SPDX-License-Identifier: MIT */
/*
 * loader.h - the dynamic loader's data that the unwinder reads.
 *
 * libunwind looks modules up with dl_iterate_phdr, with every signal
 * blocked.  dl_iterate_phdr reads each module's link_map and the calling
 * thread's DTV, which glibc allocates on the heap for threads and dlopen'ed
 * modules.  If one of those sits on a read-watched (PROT_NONE) page, the
 * SIGSEGV of that read is blocked, and the kernel kills the process.  So the
 * log takes no backtrace while that is the case.
 */
#ifndef MW_LOADER_H
#define MW_LOADER_H

#include <stdbool.h>

struct mw_snapshot;

/* [thread] Whether a read-watched page of S holds a module's link_map. */
bool mw_loader_read_watched(const struct mw_snapshot *s);

#endif /* MW_LOADER_H */

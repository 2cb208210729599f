/* SPDX-License-Identifier: MIT */
/*
 * sigsafe.h - include LAST in every fault-path file.
 *
 * Code on the fault path runs inside a SIGSEGV handler, in any thread, while
 * the interrupted code may hold any lock (malloc's, stdio's, the loader's).
 * It may only call async-signal-safe functions and the library's own
 * lock-free code.  This header makes the usual suspects a compile error.
 */
#ifndef MW_SIGSAFE_H
#define MW_SIGSAFE_H

#pragma GCC poison malloc calloc realloc free aligned_alloc posix_memalign
#pragma GCC poison printf fprintf sprintf snprintf vprintf vfprintf vsnprintf
#pragma GCC poison puts fputs fputc putchar fwrite perror strerror
#pragma GCC poison pthread_mutex_lock pthread_mutex_unlock
#pragma GCC poison dlopen dlsym dladdr dl_iterate_phdr

#endif /* MW_SIGSAFE_H */

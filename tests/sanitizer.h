/* SPDX-License-Identifier: MIT */
/*
 * sanitizer.h - what a test needs to know when it is built with sanitizers
 * (configure --enable-sanitizers).
 *
 *   MW_ASAN, MW_TSAN  1 when built with AddressSanitizer / ThreadSanitizer
 */
#ifndef MW_SANITIZER_H
#define MW_SANITIZER_H

#ifndef __has_feature
#define __has_feature(x) 0
#endif

#if defined(__SANITIZE_ADDRESS__) || __has_feature(address_sanitizer)
#define MW_ASAN 1
#else
#define MW_ASAN 0
#endif

#if defined(__SANITIZE_THREAD__) || __has_feature(thread_sanitizer)
#define MW_TSAN 1
#else
#define MW_TSAN 0
#endif

#endif /* MW_SANITIZER_H */

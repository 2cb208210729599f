/* SPDX-License-Identifier: MIT */
/*
 * tap.h - a tiny TAP producer for memwatch's tests (header only).
 *
 *   plan(n); ok(cond, "fmt", ...); is_int(got, want, "name"); ...
 *   return done();
 *
 * Exit codes: 0 pass, 1 fail, 99 the harness broke (bail()).  skip_all()
 * prints the TAP plan "1..0 # SKIP why" and exits 0: automake's TAP driver
 * reports the skip from the plan and would call exit 77 an error.
 */
#ifndef MW_TAP_H
#define MW_TAP_H

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_n, tap_failed, tap_planned;

static inline void plan(int n)
{
	tap_planned = n;
	printf("1..%d\n", n);
	fflush(stdout);
}

/* A description containing "# TODO" marks a known gap: TAP reports it, and
 * it does not fail the test. */
static inline int vok(int cond, const char *fmt, va_list ap)
{
	char text[1024];

	vsnprintf(text, sizeof(text), fmt, ap);
	tap_n++;
	printf("%sok %d - %s\n", cond ? "" : "not ", tap_n, text);
	fflush(stdout);
	if (!cond && !strstr(text, "# TODO"))
		tap_failed++;
	return cond;
}

__attribute__((format(printf, 2, 3)))
static inline int ok(int cond, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	cond = vok(cond, fmt, ap);
	va_end(ap);
	return cond;
}

__attribute__((format(printf, 1, 2)))
static inline void diag(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	printf("# ");
	vprintf(fmt, ap);
	printf("\n");
	fflush(stdout);
	va_end(ap);
}

#define is_int(got, want, ...) do { \
	long long g_ = (long long)(got), w_ = (long long)(want); \
	if (!ok(g_ == w_, __VA_ARGS__)) diag("  got %lld, want %lld", g_, w_); \
} while (0)

#define is_u64(got, want, ...) do { \
	uint64_t g_ = (uint64_t)(got), w_ = (uint64_t)(want); \
	if (!ok(g_ == w_, __VA_ARGS__)) diag("  got %" PRIu64 ", want %" PRIu64, g_, w_); \
} while (0)

#define is_str(got, want, ...) do { \
	const char *g_ = (got), *w_ = (want); \
	if (!ok(g_ && w_ && strcmp(g_, w_) == 0, __VA_ARGS__)) \
		diag("  got \"%s\", want \"%s\"", g_ ? g_ : "(null)", w_ ? w_ : "(null)"); \
} while (0)

__attribute__((format(printf, 1, 2), noreturn))
static inline void skip_all(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	printf("1..0 # SKIP ");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
	exit(0);
}

__attribute__((format(printf, 1, 2), noreturn))
static inline void bail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	printf("Bail out! ");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
	exit(99);
}

static inline int done(void)
{
	if (tap_planned && tap_n != tap_planned)
		diag("planned %d tests, ran %d", tap_planned, tap_n);
	return tap_failed || (tap_planned && tap_n != tap_planned) ? 1 : 0;
}

#endif /* MW_TAP_H */

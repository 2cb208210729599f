# SPDX-License-Identifier: MIT
# The core tests: API contract, kinds of memory, overlap, unwatch, threads,
# genuine faults, libc on watched buffers, the MemWatcher API, exported
# symbols, instructions the library declines.
core_tests = tests/t-api tests/t-memory tests/t-overlap tests/t-unwatch \
	tests/t-threads tests/t-genuine tests/t-libc tests/t-legacy tests/t-decline \
	tests/t-memwatcher
check_PROGRAMS += $(core_tests)
TESTS += $(core_tests)

tests_t_api_SOURCES = tests/t-api.c
tests_t_api_LDADD = $(MW_TEST_LIBS)
tests_t_memory_SOURCES = tests/t-memory.c
tests_t_memory_LDADD = $(MW_TEST_LIBS)
tests_t_overlap_SOURCES = tests/t-overlap.c
tests_t_overlap_LDADD = $(MW_TEST_LIBS)
tests_t_unwatch_SOURCES = tests/t-unwatch.c
tests_t_unwatch_LDADD = $(MW_TEST_LIBS)
tests_t_threads_SOURCES = tests/t-threads.c
tests_t_threads_LDADD = $(MW_TEST_LIBS)
tests_t_genuine_SOURCES = tests/t-genuine.c
tests_t_genuine_LDADD = $(MW_TEST_LIBS)
tests_t_libc_SOURCES = tests/t-libc.c
tests_t_libc_LDADD = $(MW_TEST_LIBS)
tests_t_legacy_SOURCES = tests/t-legacy.c
tests_t_legacy_LDADD = $(MW_TEST_LIBS)
tests_t_memwatcher_SOURCES = tests/t-memwatcher.c
tests_t_memwatcher_LDADD = $(MW_TEST_LIBS)
tests_t_decline_SOURCES = tests/t-decline.c
tests_t_decline_LDADD = $(MW_TEST_LIBS)

dist_check_SCRIPTS += tests/t-symbols.sh
TESTS += tests/t-symbols.sh

# lib/'s layers call downward only.
dist_check_SCRIPTS += tests/t-layers.sh
TESTS += tests/t-layers.sh

# A program that dies of a signal it sends itself while watching leaves a
# core with its own frames on top.  core-prog: a plain binary for GDB.
check_PROGRAMS += tests/core-prog
tests_core_prog_SOURCES = tests/core-prog.c
tests_core_prog_LDADD = $(MW_TEST_LIBS)
tests_core_prog_LDFLAGS = -no-install
dist_check_SCRIPTS += tests/t-core.sh
TESTS += tests/t-core.sh

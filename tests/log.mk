# SPDX-License-Identifier: MIT
# The access log: records of every kind of access, threads and the ring,
# backtraces (without frame pointers), no allocation on the fault path,
# mw_log_dump's text, and MEMWATCH_LOG / MEMWATCH_RING / MEMWATCH_DEPTH.
log_tests = tests/t-log tests/t-log-threads tests/t-log-bt tests/t-log-nomalloc \
	tests/t-cost
check_PROGRAMS += $(log_tests) tests/log-dump-prog
TESTS += $(log_tests)

tests_t_log_SOURCES = tests/t-log.c
tests_t_log_LDADD = $(MW_TEST_LIBS)
tests_t_log_threads_SOURCES = tests/t-log-threads.c
tests_t_log_threads_LDADD = $(MW_TEST_LIBS)
# Optimized and without frame pointers: the unwinder must use the unwind
# tables.  (CFLAGS from configure come after these and may override them.)
tests_t_log_bt_SOURCES = tests/t-log-bt.c
tests_t_log_bt_CFLAGS = $(AM_CFLAGS) -O2 -fomit-frame-pointer
tests_t_log_bt_LDADD = $(MW_TEST_LIBS)
tests_t_log_nomalloc_SOURCES = tests/t-log-nomalloc.c
tests_t_log_nomalloc_LDADD = $(MW_TEST_LIBS)
tests_t_cost_SOURCES = tests/t-cost.c
tests_t_cost_LDADD = $(MW_TEST_LIBS)

# Not a test: the program that t-log-dump.sh and t-log-env.sh run.
tests_log_dump_prog_SOURCES = tests/log-dump-prog.c
tests_log_dump_prog_LDADD = $(MW_TEST_LIBS)

dist_check_SCRIPTS += tests/t-log-dump.sh tests/t-log-env.sh
TESTS += tests/t-log-dump.sh tests/t-log-env.sh
EXTRA_DIST += tests/log-dump.expected

# The log holds the program's memory: its files are private (0600, no
# symbolic link, no file of another user), MEMWATCH_* is ignored in secure
# execution, and no descriptor of memwatch's reaches a program the watched
# one runs.  private-prog: a plain program that dlopens the library.
check_PROGRAMS += tests/private-prog
tests_private_prog_SOURCES = tests/private-prog.c
dist_check_SCRIPTS += tests/t-private.sh
TESTS += tests/t-private.sh

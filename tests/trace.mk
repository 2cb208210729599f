# SPDX-License-Identifier: MIT
# The timeline (memwatch --trace, mwatch-log -trace) of trace-prog, a plain
# program (not linked with memwatch) whose accesses the tests know, checked
# by trace-check.py.
check_PROGRAMS += tests/trace-prog
tests_trace_prog_SOURCES = tests/trace-prog.c
tests_trace_prog_CFLAGS = $(AM_CFLAGS) -g -O1 -pthread
EXTRA_DIST += tests/trace-check.py
dist_check_SCRIPTS += tests/t-trace-cli.sh
TESTS += tests/t-trace-cli.sh
dist_check_SCRIPTS += tests/t-trace-gdb.sh
TESTS += tests/t-trace-gdb.sh

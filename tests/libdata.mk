# SPDX-License-Identifier: MIT
# Watches on the data of libc, the loader, libunwind, libdw and memwatch's
# own: the program runs to the end, or mw_watch refuses with -ENOTSUP.
check_PROGRAMS += tests/t-libdata
TESTS += tests/t-libdata
tests_t_libdata_SOURCES = tests/t-libdata.c
tests_t_libdata_CFLAGS = $(AM_CFLAGS) $(LIBUNWIND_CFLAGS)
tests_t_libdata_LDADD = $(MW_TEST_LIBS) -ldl $(LIBUNWIND_LIBS)

# The same through the memwatch command (tests/cli-prog, cli.mk).
dist_check_SCRIPTS += tests/t-libdata-cli.sh
TESTS += tests/t-libdata-cli.sh

# SPDX-License-Identifier: MIT
# The memwatch command (cli/) and the bundled examples' bug hunts.
# cli-prog: a plain program (not linked with memwatch), -g so that lines show.
check_PROGRAMS += tests/cli-prog
tests_cli_prog_SOURCES = tests/cli-prog.c
tests_cli_prog_CFLAGS = $(AM_CFLAGS) -g
dist_check_SCRIPTS += tests/t-cli.sh
TESTS += tests/t-cli.sh

# mwatch-map in GDB, live and on a core file.
dist_check_SCRIPTS += tests/t-map-gdb.sh
TESTS += tests/t-map-gdb.sh

# The bug hunts of examples/README.md, with the commands it shows.
dist_check_SCRIPTS += tests/t-examples.sh
TESTS += tests/t-examples.sh
# The same, not position-independent: symbols at their link-time address.
check_PROGRAMS += tests/cli-prog-nopie
tests_cli_prog_nopie_SOURCES = tests/cli-prog.c
tests_cli_prog_nopie_CFLAGS = $(AM_CFLAGS) -g -fno-pie
tests_cli_prog_nopie_LDFLAGS = -no-pie

# The command's log reader (cli/log.c) on damaged logs, from a real one that
# corrupt-prog saves (or damages) under the command.
check_PROGRAMS += tests/corrupt-prog tests/t-corrupt
tests_corrupt_prog_SOURCES = tests/corrupt-prog.c
tests_corrupt_prog_CFLAGS = $(AM_CFLAGS) -g
TESTS += tests/t-corrupt
tests_t_corrupt_SOURCES = tests/t-corrupt.c cli/log.c cli/report.c cli/sym.c \
	cli/summary.c cli/map.c cli/cost.c lib/log/symbolize.c lib/log/sysname.c \
	lib/log/text.c lib/base/say.c
tests_t_corrupt_CFLAGS = $(AM_CFLAGS) $(LIBDW_CFLAGS)
tests_t_corrupt_LDADD = $(LIBDW_LIBS) -lelf

# What watching costs beyond the records (neighbours, system calls), said
# by the command with exact counts: cost-prog writes a neighbour and calls
# getppid as many times as it is told.
check_PROGRAMS += tests/cost-prog
tests_cost_prog_SOURCES = tests/cost-prog.c
tests_cost_prog_CFLAGS = $(AM_CFLAGS) -g
dist_check_SCRIPTS += tests/t-cost-cli.sh
TESTS += tests/t-cost-cli.sh

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

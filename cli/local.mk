# SPDX-License-Identifier: MIT
# The memwatch command: runs a program with libmemwatch preloaded and writes
# its log when it ends (doc/memwatch.1).  It reads symbols and names frames
# with elfutils (libelf, libdw) in its own process.  It does not link
# libmemwatch: the library's symbolizer and record text are compiled in, so
# that the report and mw_log_dump(3) are one code.
bin_PROGRAMS = cli/memwatch
cli_memwatch_SOURCES = cli/memwatch.c cli/cli.h cli/symbols.c cli/log.c \
	cli/sym.c cli/report.c cli/summary.c cli/patches.c cli/map.c cli/trace.c cli/cost.c \
	lib/log/symbolize.c lib/log/sysname.c lib/log/text.c lib/base/say.c lib/base/private.c
cli_memwatch_CPPFLAGS = $(AM_CPPFLAGS) \
	-DMWC_PRELOAD='"$(libdir)/libmemwatch.so.0:$(pkglibdir)/memwatch-run.so"'
cli_memwatch_CFLAGS = $(AM_CFLAGS) $(LIBDW_CFLAGS)
cli_memwatch_LDADD = $(LIBDW_LIBS) -lelf

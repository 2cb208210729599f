# SPDX-License-Identifier: MIT
# Benchmarks: `make bench` builds and runs them; not part of make check.
# bench-store: the library alone.  bench-gdb.sh: under GDB, with
# bench/gdb-target (a plain program, not linked with memwatch); only when
# configure found gdb.
EXTRA_PROGRAMS = bench/bench-store bench/gdb-target
EXTRA_PROGRAMS += bench/bench-log bench/bench-watch
bench_bench_watch_SOURCES = bench/bench-watch.c bench/bench.c bench/bench.h
bench_bench_watch_LDADD = lib/libmemwatch.la
bench_bench_log_SOURCES = bench/bench-log.c bench/bench.c bench/bench.h
bench_bench_log_LDADD = lib/libmemwatch.la -lpthread
bench_bench_store_SOURCES = bench/bench-store.c bench/bench.c bench/bench.h
bench_bench_store_LDADD = lib/libmemwatch.la
bench_gdb_target_SOURCES = bench/gdb-target.c
bench_gdb_target_CFLAGS = $(AM_CFLAGS) -g
EXTRA_DIST += bench/bench-gdb.sh
CLEANFILES += $(EXTRA_PROGRAMS)

bench: bench/bench-store$(EXEEXT) bench/gdb-target$(EXEEXT) gdbsupport/memwatch-build.gdb
	bench/bench-store$(EXEEXT)
	@if test -n "$(GDB)"; then \
	  echo; \
	  echo "GDB=$(GDB) $(SHELL) $(srcdir)/bench/bench-gdb.sh"; \
	  GDB='$(GDB)' GDB_TARGET=bench/gdb-target$(EXEEXT) \
	    MEMWATCH_GDB=gdbsupport/memwatch-build.gdb \
	    $(SHELL) $(srcdir)/bench/bench-gdb.sh; \
	else \
	  echo "bench-gdb: configure found no gdb: skipped"; \
	fi
.PHONY: bench

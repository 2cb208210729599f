# SPDX-License-Identifier: MIT
# Benchmarks: `make bench` builds and runs them; not part of make check.
# doc/memwatch-performance.7 says what each figure means.
# bench-store: one access.  bench-log: the log's throughput, threads.
# bench-watch: mw_watch/mw_unwatch by size.  bench-scale: by the number
# of live watches (100 000 in 4 MiB, 10 000 pages, a pair and a store).  bench-syscall: what system
# calls cost while watching.  bench-callgrind.sh: unwatched
# code's instructions (bench/unwatched*; skipped without valgrind).
# bench-gdb.sh: under GDB, with bench/gdb-target (a plain program, not
# linked with memwatch); only when configure found gdb.
EXTRA_PROGRAMS = bench/bench-store bench/gdb-target
EXTRA_PROGRAMS += bench/bench-log bench/bench-watch bench/bench-syscall bench/bench-scale
EXTRA_PROGRAMS += bench/unwatched bench/unwatched-plain
bench_unwatched_SOURCES = bench/unwatched.c
bench_unwatched_CFLAGS = $(AM_CFLAGS) -g
bench_unwatched_LDADD = lib/libmemwatch.la
# A real executable, not libtool's wrapper script: valgrind runs it.
bench_unwatched_LDFLAGS = -no-install
bench_unwatched_plain_SOURCES = bench/unwatched.c
bench_unwatched_plain_CFLAGS = $(AM_CFLAGS) -g
bench_unwatched_plain_CPPFLAGS = $(AM_CPPFLAGS) -DBENCH_PLAIN
bench_bench_watch_SOURCES = bench/bench-watch.c bench/bench.c bench/bench.h
bench_bench_watch_LDADD = lib/libmemwatch.la
bench_bench_scale_SOURCES = bench/bench-scale.c bench/bench.c bench/bench.h
bench_bench_scale_LDADD = lib/libmemwatch.la
bench_bench_log_SOURCES = bench/bench-log.c bench/bench.c bench/bench.h
bench_bench_log_LDADD = lib/libmemwatch.la -lpthread
bench_bench_store_SOURCES = bench/bench-store.c bench/bench.c bench/bench.h
bench_bench_store_LDADD = lib/libmemwatch.la
bench_bench_syscall_SOURCES = bench/bench-syscall.c
bench_bench_syscall_LDADD = lib/libmemwatch.la
bench_gdb_target_SOURCES = bench/gdb-target.c
bench_gdb_target_CFLAGS = $(AM_CFLAGS) -g
EXTRA_DIST += bench/bench-gdb.sh bench/bench-callgrind.sh
CLEANFILES += $(EXTRA_PROGRAMS)

BENCH_BINS = bench/bench-store$(EXEEXT) bench/bench-log$(EXEEXT) \
	bench/bench-watch$(EXEEXT) bench/unwatched$(EXEEXT) \
	bench/unwatched-plain$(EXEEXT) bench/gdb-target$(EXEEXT) \
	bench/bench-syscall$(EXEEXT) bench/bench-scale$(EXEEXT)

# Every part runs, also after one that failed; the status says if any did.
bench: $(BENCH_BINS) gdbsupport/memwatch-build.gdb
	@st=0; \
	for p in bench-store bench-log bench-watch bench-scale bench-syscall; do \
	  echo "bench/$$p"; bench/$$p$(EXEEXT) || st=1; echo; \
	done; \
	echo "MEMWATCH_PATCH=1 bench/bench-store"; \
	MEMWATCH_PATCH=1 bench/bench-store$(EXEEXT) || st=1; echo; \
	echo "$(SHELL) $(srcdir)/bench/bench-callgrind.sh"; \
	UNWATCHED=bench/unwatched$(EXEEXT) UNWATCHED_PLAIN=bench/unwatched-plain$(EXEEXT) \
	  $(SHELL) $(srcdir)/bench/bench-callgrind.sh || st=1; \
	echo; \
	if test -n "$(GDB)"; then \
	  echo "GDB=$(GDB) $(SHELL) $(srcdir)/bench/bench-gdb.sh"; \
	  GDB='$(GDB)' GDB_TARGET=bench/gdb-target$(EXEEXT) \
	    MEMWATCH_GDB=gdbsupport/memwatch-build.gdb \
	    $(SHELL) $(srcdir)/bench/bench-gdb.sh || st=1; \
	else \
	  echo "bench-gdb: configure found no gdb: skipped"; \
	  echo "metric gdb_segv_pass skipped=yes reason=no_gdb"; \
	fi; \
	exit $$st
.PHONY: bench

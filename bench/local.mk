# SPDX-License-Identifier: MIT
# Benchmarks: `make bench` builds and runs them; not part of make check.
EXTRA_PROGRAMS = bench/bench-store
bench_bench_store_SOURCES = bench/bench-store.c
bench_bench_store_LDADD = lib/libmemwatch.la
CLEANFILES += $(EXTRA_PROGRAMS)

bench: bench/bench-store$(EXEEXT)
	bench/bench-store$(EXEEXT)
.PHONY: bench

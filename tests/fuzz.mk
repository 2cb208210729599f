# SPDX-License-Identifier: MIT
# Fuzzing the instruction path.  `make check` runs a few seconds of each with
# a fixed seed; `make fuzz` runs each for FUZZ_SECONDS (default 600) with a
# new seed (or FUZZ_SEED), printed for replay.

# Random memory-operand instructions, run unwatched and watched.
check_PROGRAMS += tests/t-fuzz-exec
TESTS += tests/t-fuzz-exec
tests_t_fuzz_exec_SOURCES = tests/t-fuzz-exec.c
tests_t_fuzz_exec_LDADD = $(MW_TEST_LIBS) $(ZYDIS_LIBS)

# libFuzzer over decode, classify and rewrite (lib/arch/x86_64/insn.c, with
# xsave.c), built with
# configure's FUZZ_CC (clang); the test skips without it.
dist_check_SCRIPTS += tests/t-fuzz-insn.sh
TESTS += tests/t-fuzz-insn.sh
EXTRA_DIST += tests/fuzz-insn.c
FUZZ_INSN_SRC = $(srcdir)/tests/fuzz-insn.c $(srcdir)/lib/arch/x86_64/insn.c \
	$(srcdir)/lib/arch/x86_64/xsave.c
if HAVE_LIBFUZZER
check_DATA = tests/fuzz-insn
endif
tests/fuzz-insn: $(FUZZ_INSN_SRC) $(srcdir)/lib/arch/x86_64/insn.h
	$(AM_V_CCLD)$(FUZZ_CC) -D_GNU_SOURCE -g -O1 \
		-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
		$(MW_WARN_CFLAGS) -I$(srcdir)/lib \
		$(FUZZ_INSN_SRC) $(ZYDIS_LIBS) -o $@
CLEANFILES += tests/fuzz-insn

FUZZ_SECONDS = 600
fuzz: tests/t-fuzz-exec $(check_DATA)
	@seed=$${FUZZ_SEED:-$$(date +%s)}; \
	if test -x tests/fuzz-insn; then \
	  mkdir -p tests/fuzz-insn.corpus; \
	  echo "fuzz-insn: seed $$seed, $(FUZZ_SECONDS) s"; \
	  tests/fuzz-insn -seed=$$seed -max_total_time=$(FUZZ_SECONDS) -max_len=20 \
	    -print_final_stats=1 -artifact_prefix=tests/ tests/fuzz-insn.corpus || exit 1; \
	else echo "fuzz-insn: skipped (no clang with libFuzzer)"; fi; \
	echo "t-fuzz-exec: seed $$seed, $(FUZZ_SECONDS) s"; \
	FUZZ_SEED=$$seed FUZZ_SECONDS=$(FUZZ_SECONDS) $(LIBTOOL) --mode=execute tests/t-fuzz-exec
.PHONY: fuzz

# SPDX-License-Identifier: MIT
# Built with sanitizers (configure --enable-sanitizers): the tests run with
# these options, before the user's own ASAN_OPTIONS.  ASan's deadly-signal
# handlers would turn the genuine faults the tests expect into a report and
# exit(1); LeakSanitizer's scan reads every heap page directly and dies on a
# watched (PROT_NONE) one; the GDB tests preload the library, which brings
# libasan in after other libraries.  MW_SANITIZERS tells the shell tests.
MW_SAN_ENV = MW_SANITIZERS='$(MW_SANITIZERS)' \
	ASAN_OPTIONS="detect_leaks=0:handle_segv=0:handle_sigbus=0:handle_sigfpe=0:verify_asan_link_order=0:$${ASAN_OPTIONS:-}" \
	UBSAN_OPTIONS="print_stacktrace=1:$${UBSAN_OPTIONS:-}"
AM_TESTS_ENVIRONMENT += $(MW_SAN_ENV); export MW_SANITIZERS ASAN_OPTIONS UBSAN_OPTIONS;
EXTRA_DIST += tests/sanitizer.h

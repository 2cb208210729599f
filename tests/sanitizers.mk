# SPDX-License-Identifier: MIT
# Built with sanitizers (configure --enable-sanitizers): the tests run with
# these options, before the user's own ASAN_OPTIONS.  ASan's deadly-signal
# handlers would turn the genuine faults the tests expect into a report and
# exit(1); LeakSanitizer's scan reads every heap page directly and dies on a
# watched (PROT_NONE) one; the GDB tests preload the library, which brings
# libasan in after other libraries.  MW_SANITIZERS tells the shell tests.
# MEMWATCH_SYSCALLS=0: no system call dispatch (memwatch(3)): with it, the
# instrumented handlers outgrow the alternate stacks ASan gives each
# thread; the tests of dispatch itself skip.
MW_SAN_ENV = MW_SANITIZERS='$(MW_SANITIZERS)' \
	MEMWATCH_SYSCALLS=`test -n '$(MW_SANITIZERS)' && echo 0` \
	ASAN_OPTIONS="detect_leaks=0:handle_segv=0:handle_sigbus=0:handle_sigfpe=0:verify_asan_link_order=0:$${ASAN_OPTIONS:-}" \
	UBSAN_OPTIONS="print_stacktrace=1:$${UBSAN_OPTIONS:-}"
AM_TESTS_ENVIRONMENT += $(MW_SAN_ENV); export MW_SANITIZERS MEMWATCH_SYSCALLS ASAN_OPTIONS UBSAN_OPTIONS;
EXTRA_DIST += tests/sanitizer.h

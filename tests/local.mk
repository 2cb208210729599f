# SPDX-License-Identifier: MIT
# make check: TAP tests.  Exit 77 = skip, 99 = the harness broke.
LOG_DRIVER = env AM_TAP_AWK='$(AWK)' $(SHELL) $(top_srcdir)/build-aux/tap-driver.sh
TEST_EXTENSIONS = .sh
SH_LOG_DRIVER = $(LOG_DRIVER)
AM_TESTS_ENVIRONMENT = top_builddir='$(top_builddir)' top_srcdir='$(top_srcdir)' NM='$(NM)' \
	MW_LIBRARY_DEBUG_INFO='$(MW_LIBRARY_DEBUG_INFO)'; \
	export top_builddir top_srcdir NM MW_LIBRARY_DEBUG_INFO;

MW_TEST_LIBS = lib/libmemwatch.la -lpthread
EXTRA_DIST += tests/tap.h tests/tap.sh tests/section.h tests/dispatch.h tests/traced.h tests/gather8.h \
	tests/watch.h tests/maplimit.h tests/cli-env.sh tests/log-normalize.sh tests/README.md

include tests/core.mk
include tests/corpus.mk
include tests/log.mk
include tests/gdb.mk

# A debugger's view of the log: records decoded through mw_log_descriptor.
check_PROGRAMS += tests/t-log-desc
TESTS += tests/t-log-desc
tests_t_log_desc_SOURCES = tests/t-log-desc.c
tests_t_log_desc_LDADD = $(MW_TEST_LIBS)

# A large sparse range: values kept, only existing pages copied.
check_PROGRAMS += tests/t-sparse
TESTS += tests/t-sparse
tests_t_sparse_SOURCES = tests/t-sparse.c
tests_t_sparse_LDADD = $(MW_TEST_LIBS)

# Watched memory unmapped and replaced by the program.
check_PROGRAMS += tests/t-replaced
TESTS += tests/t-replaced
tests_t_replaced_SOURCES = tests/t-replaced.c
tests_t_replaced_LDADD = $(MW_TEST_LIBS)

# A division that faults reading a watched divisor: the same SIGFPE.
check_PROGRAMS += tests/t-divide
TESTS += tests/t-divide
tests_t_divide_SOURCES = tests/t-divide.c
tests_t_divide_LDADD = $(MW_TEST_LIBS)

# System calls on watched memory: no EFAULT, logged as the kernel's.
check_PROGRAMS += tests/t-syscalls
TESTS += tests/t-syscalls
tests_t_syscalls_SOURCES = tests/t-syscalls.c
tests_t_syscalls_LDADD = $(MW_TEST_LIBS)
# Memory protection keys on watched pages.
check_PROGRAMS += tests/t-syscalls-pkey
TESTS += tests/t-syscalls-pkey
tests_t_syscalls_pkey_SOURCES = tests/t-syscalls-pkey.c
tests_t_syscalls_pkey_LDADD = $(MW_TEST_LIBS)
# Calls added from going through the system call table.
check_PROGRAMS += tests/t-syscalls-table
TESTS += tests/t-syscalls-table
tests_t_syscalls_table_SOURCES = tests/t-syscalls-table.c
tests_t_syscalls_table_LDADD = $(MW_TEST_LIBS)
check_PROGRAMS += tests/t-procfd
TESTS += tests/t-procfd
tests_t_procfd_SOURCES = tests/t-procfd.c
tests_t_procfd_LDADD = $(MW_TEST_LIBS)
check_PROGRAMS += tests/t-firstwatch
TESTS += tests/t-firstwatch
tests_t_firstwatch_SOURCES = tests/t-firstwatch.c
tests_t_firstwatch_LDADD = $(MW_TEST_LIBS) -lpthread
# Threads only starting at the first watch: not said to block SIGSYS.
check_PROGRAMS += tests/t-starting
TESTS += tests/t-starting
tests_t_starting_SOURCES = tests/t-starting.c
tests_t_starting_LDADD = $(MW_TEST_LIBS) -lpthread

# Shared memory watched: the other side sees every write.
check_PROGRAMS += tests/t-shared
TESTS += tests/t-shared
tests_t_shared_SOURCES = tests/t-shared.c
tests_t_shared_LDADD = $(MW_TEST_LIBS)

include tests/cli.mk
include tests/trace.mk

# Stacks: locals of this and other threads; control blocks refused.
check_PROGRAMS += tests/t-stack
TESTS += tests/t-stack
tests_t_stack_SOURCES = tests/t-stack.c
tests_t_stack_LDADD = $(MW_TEST_LIBS)

# The program changes its address space under watches.
check_PROGRAMS += tests/t-addrspace
TESTS += tests/t-addrspace
check_LTLIBRARIES += tests/addr-mod.la
tests_addr_mod_la_SOURCES = tests/addr-mod.c
tests_addr_mod_la_LDFLAGS = -module -avoid-version -rpath /nowhere
tests_t_addrspace_SOURCES = tests/t-addrspace.c
tests_t_addrspace_CPPFLAGS = $(AM_CPPFLAGS) -DMODULE='"$(abs_builddir)/tests/.libs/addr-mod.so"'
tests_t_addrspace_LDADD = $(MW_TEST_LIBS) -ldl

# The environment of the sanitizer builds.
include tests/sanitizers.mk

# Stress: watch, unwatch and accesses from several threads (make stress).
include tests/stress.mk

include tests/fuzz.mk

# The program's own fault handlers while watching; faults beyond a watch.
check_PROGRAMS += tests/t-handlers
TESTS += tests/t-handlers
tests_t_handlers_SOURCES = tests/t-handlers.c
tests_t_handlers_LDADD = $(MW_TEST_LIBS)
# Signals the program sends its own process while watching: as without.
check_PROGRAMS += tests/t-handlers-sent
TESTS += tests/t-handlers-sent
tests_t_handlers_sent_SOURCES = tests/t-handlers-sent.c
tests_t_handlers_sent_LDADD = $(MW_TEST_LIBS) -lpthread
# Threads blocking every signal since before the first watch.
check_PROGRAMS += tests/t-handlers-blocked
TESTS += tests/t-handlers-blocked
tests_t_handlers_blocked_SOURCES = tests/t-handlers-blocked.c
tests_t_handlers_blocked_LDADD = $(MW_TEST_LIBS) -lpthread
# What a program's handler sees of its stack while watches exist.
check_PROGRAMS += tests/t-handlers-masks
TESTS += tests/t-handlers-masks
tests_t_handlers_masks_SOURCES = tests/t-handlers-masks.c
tests_t_handlers_masks_LDADD = $(MW_TEST_LIBS) -lpthread

check_PROGRAMS += tests/t-handlers-merged
TESTS += tests/t-handlers-merged
tests_t_handlers_merged_SOURCES = tests/t-handlers-merged.c
tests_t_handlers_merged_LDADD = $(MW_TEST_LIBS) -lpthread

check_PROGRAMS += tests/t-handlers-stack
TESTS += tests/t-handlers-stack
tests_t_handlers_stack_SOURCES = tests/t-handlers-stack.c
tests_t_handlers_stack_LDADD = $(MW_TEST_LIBS) -lpthread

# The mappings read as text, as on kernels before 6.11.
dist_check_SCRIPTS += tests/t-maps-text.sh
TESTS += tests/t-maps-text.sh
# Patched access sites (issue 16): on, and off (MEMWATCH_PATCH=0).
check_PROGRAMS += tests/t-patch
TESTS += tests/t-patch
tests_t_patch_SOURCES = tests/t-patch.c tests/tap.h
tests_t_patch_LDADD = $(MW_TEST_LIBS) -lpthread
check_PROGRAMS += tests/t-syspatch
TESTS += tests/t-syspatch
tests_t_syspatch_SOURCES = tests/t-syspatch.c tests/tap.h
tests_t_syspatch_LDADD = $(MW_TEST_LIBS) -lpthread
# Threads created while watches come and go (a dispatched clone).
check_PROGRAMS += tests/t-clone-race
TESTS += tests/t-clone-race
tests_t_clone_race_SOURCES = tests/t-clone-race.c tests/tap.h
tests_t_clone_race_LDADD = $(MW_TEST_LIBS) -lpthread
# Accesses beside the watches, in the stubs (finemap.h).
check_PROGRAMS += tests/t-neighbours
TESTS += tests/t-neighbours
tests_t_neighbours_SOURCES = tests/t-neighbours.c tests/tap.h
tests_t_neighbours_LDADD = $(MW_TEST_LIBS) -lpthread
dist_check_SCRIPTS += tests/t-neighbours-off.sh
TESTS += tests/t-neighbours-off.sh
dist_check_SCRIPTS += tests/t-patch-off.sh
TESTS += tests/t-patch-off.sh

include tests/libdata.mk

# The xsave family: the bytes its mask asks for, not every XCR0 component.
check_PROGRAMS += tests/t-xsave
TESTS += tests/t-xsave
tests_t_xsave_SOURCES = tests/t-xsave.c
tests_t_xsave_LDADD = $(MW_TEST_LIBS)

# No writable view of the instruction stubs while nothing is watched.
check_PROGRAMS += tests/t-codeview
TESTS += tests/t-codeview
tests_t_codeview_SOURCES = tests/t-codeview.c
tests_t_codeview_LDADD = $(MW_TEST_LIBS)

# AVX2 gathers: records of the watched lanes, a lane faulting genuinely.
check_PROGRAMS += tests/t-gather
TESTS += tests/t-gather
tests_t_gather_SOURCES = tests/t-gather.c
tests_t_gather_LDADD = $(MW_TEST_LIBS)

# Many watches at once: 100 000 with threads, pages of their own, random.
check_PROGRAMS += tests/t-scale
TESTS += tests/t-scale
tests_t_scale_SOURCES = tests/t-scale.c
tests_t_scale_LDADD = $(MW_TEST_LIBS)

# Memfd space made once and reused: adjacent pages one mapping, no old bytes.
check_PROGRAMS += tests/t-reuse
TESTS += tests/t-reuse
tests_t_reuse_SOURCES = tests/t-reuse.c
tests_t_reuse_LDADD = $(MW_TEST_LIBS)

# A first watch after the last one, again and again: nothing kept shows.
check_PROGRAMS += tests/t-rewatch
TESTS += tests/t-rewatch
tests_t_rewatch_SOURCES = tests/t-rewatch.c
tests_t_rewatch_LDADD = $(MW_TEST_LIBS)

# At vm.max_map_count: how many isolated pages, and every unwatch succeeds.
check_PROGRAMS += tests/t-maplimit
TESTS += tests/t-maplimit
tests_t_maplimit_SOURCES = tests/t-maplimit.c
tests_t_maplimit_LDADD = $(MW_TEST_LIBS)

# Stashes of isolated pages share a mapping: two mappings a page, any order.
check_PROGRAMS += tests/t-stash
TESTS += tests/t-stash
tests_t_stash_SOURCES = tests/t-stash.c
tests_t_stash_LDADD = $(MW_TEST_LIBS)

# AVX-512 gathers and scatters (k masks): every form against the same run
# without a watch, the records of the watched lanes, a lane faulting
# genuinely.  Skipped without AVX-512F.
check_PROGRAMS += tests/t-gather512
TESTS += tests/t-gather512
tests_t_gather512_SOURCES = tests/t-gather512.c
tests_t_gather512_LDADD = $(MW_TEST_LIBS)

# Loops the compiler turns into gathers and scatters (-O3 -march=native),
# over watched elements: exact results, one count and record per watch.
check_PROGRAMS += tests/t-gatherloop
TESTS += tests/t-gatherloop
tests_t_gatherloop_SOURCES = tests/t-gatherloop.c
tests_t_gatherloop_CFLAGS = $(AM_CFLAGS) -O3 -march=native
tests_t_gatherloop_LDADD = $(MW_TEST_LIBS)

# A SIGSEGV or SIGSYS sent to the process while main blocks it goes to the
# thread that does not, not kept pending for main.
check_PROGRAMS += tests/t-handlers-routed
TESTS += tests/t-handlers-routed
tests_t_handlers_routed_SOURCES = tests/t-handlers-routed.c
tests_t_handlers_routed_LDADD = $(MW_TEST_LIBS)

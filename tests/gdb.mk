# SPDX-License-Identifier: MIT
# GDB sessions with gdbsupport/memwatch-build.gdb (tests/t-gdb.sh): each
# tests/gdb/CASE.gdb runs against one of these programs and its output is
# compared with tests/gdb/CASE.expected.  The programs are plain binaries,
# not linked with libmemwatch (the GDB file preloads it) and not libtool
# wrappers.  -O1: the stops the expected files record depend on the code;
# the sources also say `#pragma GCC optimize("O1")`, since configure's
# CFLAGS come after these.
gdb_test_programs = tests/gdb/basic tests/gdb/step tests/gdb/threads \
	tests/gdb/crash tests/gdb/attach tests/gdb/kernel tests/gdb/plt tests/gdb/cost tests/gdb/cond \
	tests/gdb/sysstep \
	tests/gdb/scope tests/gdb/until tests/gdb/bitf tests/gdb/follow tests/gdb/patch
check_PROGRAMS += $(gdb_test_programs)
dist_check_SCRIPTS += tests/t-gdb.sh
TESTS += tests/t-gdb.sh

gdb_test_cflags = $(AM_CFLAGS) -g -O1
tests_gdb_basic_SOURCES = tests/gdb/basic.c
tests_gdb_basic_CFLAGS = $(gdb_test_cflags)
tests_gdb_step_SOURCES = tests/gdb/step.c
tests_gdb_step_CFLAGS = $(gdb_test_cflags)
tests_gdb_threads_SOURCES = tests/gdb/threads.c
tests_gdb_threads_CFLAGS = $(gdb_test_cflags) -pthread
tests_gdb_crash_SOURCES = tests/gdb/crash.c
tests_gdb_crash_CFLAGS = $(gdb_test_cflags)
tests_gdb_attach_SOURCES = tests/gdb/attach.c
tests_gdb_attach_CFLAGS = $(gdb_test_cflags)
tests_gdb_sysstep_SOURCES = tests/gdb/sysstep.c
tests_gdb_sysstep_CFLAGS = $(gdb_test_cflags)
tests_gdb_kernel_SOURCES = tests/gdb/kernel.c
tests_gdb_cond_SOURCES = tests/gdb/cond.c
tests_gdb_cond_CFLAGS = $(gdb_test_cflags)
tests_gdb_kernel_CFLAGS = $(gdb_test_cflags)
tests_gdb_until_SOURCES = tests/gdb/until.c
tests_gdb_until_CFLAGS = $(gdb_test_cflags)
tests_gdb_bitf_SOURCES = tests/gdb/bitf.c
tests_gdb_bitf_CFLAGS = $(gdb_test_cflags)
tests_gdb_follow_SOURCES = tests/gdb/follow.c
tests_gdb_follow_CFLAGS = $(gdb_test_cflags)
tests_gdb_scope_SOURCES = tests/gdb/scope.c
tests_gdb_scope_CFLAGS = $(gdb_test_cflags)
tests_gdb_patch_SOURCES = tests/gdb/patch.c
tests_gdb_patch_CFLAGS = $(gdb_test_cflags)
tests_gdb_cost_SOURCES = tests/gdb/cost.c
tests_gdb_cost_CFLAGS = $(gdb_test_cflags)
# plt calls tests/gdb/libmwplt.so through PLT entries the dynamic linker
# binds at the first call (-z lazy), found through its run path
# (-no-install: a plain binary, not a libtool wrapper).
check_LTLIBRARIES += tests/gdb/libmwplt.la
tests_gdb_libmwplt_la_SOURCES = tests/gdb/plt-lib.c tests/gdb/plt-lib.h
tests_gdb_libmwplt_la_CFLAGS = $(gdb_test_cflags)
tests_gdb_libmwplt_la_LDFLAGS = -avoid-version -rpath /nowhere
tests_gdb_plt_SOURCES = tests/gdb/plt.c
tests_gdb_plt_CFLAGS = $(gdb_test_cflags)
tests_gdb_plt_LDFLAGS = -no-install -Wl,-z,lazy
tests_gdb_plt_LDADD = tests/gdb/libmwplt.la

EXTRA_DIST += tests/gdb/cost.gdb tests/gdb/cost.expected
EXTRA_DIST += tests/gdb/step-mi.mi tests/gdb/step-mi.expected \
	tests/gdb/kernel-mi.mi tests/gdb/kernel-mi.expected \
	tests/gdb/cond-mi.mi tests/gdb/cond-mi.expected \
	tests/gdb/scope-mi.mi tests/gdb/scope-mi.expected \
	tests/gdb/scope-newui.mi tests/gdb/scope-newui.expected tests/gdb/newui.py \
	tests/gdb/follow-expr.gdb tests/gdb/follow-expr.expected \
	tests/gdb/follow-local.gdb tests/gdb/follow-local.expected \
	tests/gdb/basic-rerun.gdb tests/gdb/basic-rerun.expected \
	tests/gdb/basic-keep.gdb tests/gdb/basic-keep.expected \
	tests/gdb/threads-thread.gdb tests/gdb/threads-thread.expected
EXTRA_DIST += tests/gdb/sysstep-patched.gdb tests/gdb/sysstep-patched.expected
EXTRA_DIST += tests/gdb/patch-stop.gdb tests/gdb/patch-stop.expected \
	tests/gdb/patch-record.gdb tests/gdb/patch-record.expected \
	tests/gdb/patch-break.gdb tests/gdb/patch-break.expected \
	tests/gdb/patch-step.gdb tests/gdb/patch-step.expected \
	tests/gdb/patch-crash.gdb tests/gdb/patch-crash.expected \
	tests/gdb/patch-short.gdb tests/gdb/patch-short.expected
EXTRA_DIST += tests/gdb/attach.expected tests/gdb/attach.gdb \
	tests/gdb/scope-local.expected tests/gdb/scope-local.gdb \
	tests/gdb/basic-exit.expected tests/gdb/basic-exit.gdb \
	tests/gdb/until-loop.expected tests/gdb/until-loop.gdb \
	tests/gdb/kernel-stop.expected tests/gdb/kernel-stop.gdb \
	tests/gdb/bitf-stop.expected tests/gdb/bitf-stop.gdb \
	tests/gdb/cond-value.expected tests/gdb/cond-value.gdb \
	tests/gdb/cond-expr.expected tests/gdb/cond-expr.gdb \
	tests/gdb/basic-breakinsn.expected tests/gdb/basic-breakinsn.gdb \
	tests/gdb/kernel-read.expected tests/gdb/kernel-read.gdb \
	tests/gdb/kernel-local.expected tests/gdb/kernel-local.gdb \
	tests/gdb/kernel-up.expected tests/gdb/kernel-up.gdb \
	tests/gdb/kernel-calls.expected tests/gdb/kernel-calls.gdb \
	tests/gdb/basic-commands.expected tests/gdb/basic-commands.gdb \
	tests/gdb/basic-nolines.expected tests/gdb/basic-nolines.gdb \
	tests/gdb/basic-delete.expected tests/gdb/basic-delete.gdb \
	tests/gdb/basic-read.expected tests/gdb/basic-read.gdb \
	tests/gdb/basic-record.expected tests/gdb/basic-record.gdb \
	tests/gdb/basic-set.expected tests/gdb/basic-set.gdb \
	tests/gdb/basic-stop.expected tests/gdb/basic-stop.gdb \
	tests/gdb/basic-unwatch.expected tests/gdb/basic-unwatch.gdb \
	tests/gdb/basic-typo.expected tests/gdb/basic-typo.gdb \
	tests/gdb/basic-size.expected tests/gdb/basic-size.gdb \
	tests/gdb/crash-core.expected tests/gdb/crash-core.gdb \
	tests/gdb/crash-damaged.expected tests/gdb/crash-damaged.gdb \
	tests/gdb/crash-genuine.expected tests/gdb/crash-genuine.gdb \
	tests/gdb/crash-stub.expected tests/gdb/crash-stub.gdb \
	tests/gdb/crash-recover.expected tests/gdb/crash-recover.gdb \
	tests/gdb/step-break-displaced-off.expected \
	tests/gdb/step-break-displaced-off.gdb \
	tests/gdb/step-break-displaced-on.expected \
	tests/gdb/step-break-displaced-on.gdb tests/gdb/step-matrix.expected \
	tests/gdb/step-matrix.gdb tests/gdb/step-record.expected \
	tests/gdb/step-record.gdb tests/gdb/step-record-break.expected \
	tests/gdb/step-record-break.gdb tests/gdb/step-plt.expected \
	tests/gdb/step-plt.gdb tests/gdb/plt-step.expected tests/gdb/plt-step.gdb \
	tests/gdb/plt-access.expected tests/gdb/plt-access.gdb \
	tests/gdb/plt-object.expected tests/gdb/plt-object.gdb \
	tests/gdb/threads-stop.expected \
	tests/gdb/threads-stop.gdb tests/gdb/threads-record.expected \
	tests/gdb/threads-record.gdb
# What the runs leave: the normalized outputs and their diffs, the core file
# and the pid of crash-core and attach (if a run was interrupted).
CLEANFILES += tests/gdb/out/*.out tests/gdb/out/*.diff tests/gdb/crash.core \
	tests/gdb/crash-damaged.core \
	tests/gdb/attach.pid.gdb

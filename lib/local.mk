# SPDX-License-Identifier: MIT
lib_LTLIBRARIES += lib/libmemwatch.la
include_HEADERS += lib/memwatch.h lib/memwatcher.h

lib_libmemwatch_la_SOURCES = \
	lib/api.c lib/api.h lib/legacy.c \
	lib/table.c lib/table.h \
	lib/epoch.c lib/epoch.h \
	lib/alias.c lib/alias.h lib/fork.c lib/fork.h \
	lib/maps.c lib/maps.h \
	lib/fault.c lib/fault.h \
	lib/say.c lib/say.h lib/sigsafe.h \
	lib/ring.c lib/ring.h lib/logshare.c lib/logshare.h lib/record.c lib/record.h lib/unwind.c lib/unwind.h \
	lib/log.c lib/dump.c lib/dump.h lib/kindname.h lib/symbolize.c lib/symbolize.h \
	lib/sysdispatch.c lib/sysdispatch.h lib/sysbounce.c lib/sysbounce.h \
	lib/sysfutex.c lib/sysfutex.h lib/sysredo.c lib/sysredo.h lib/procfd.c lib/procfd.h lib/sigview.h lib/perthread.c lib/perthread.h \
	lib/loader.c lib/loader.h lib/selfread.c lib/selfread.h lib/gdb.c lib/gdb.h lib/codefile.c lib/codefile.h \
	lib/arch.h \
	lib/x86_64/perform.c lib/x86_64/insn.c lib/x86_64/insn.h \
	lib/x86_64/cache.c lib/x86_64/cache.h lib/x86_64/regs.h \
	lib/x86_64/run.S lib/x86_64/probe.S lib/x86_64/probe.h \
	lib/x86_64/jit.c lib/x86_64/jit.h \
	lib/x86_64/entry.c lib/x86_64/entry.h \
	lib/x86_64/gate-code.S lib/x86_64/gate.c lib/x86_64/onstack.S
lib_libmemwatch_la_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden -fno-strict-aliasing \
	$(LIBUNWIND_CFLAGS) $(LIBDW_CFLAGS)
lib_libmemwatch_la_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/lib/$(MW_ARCH)
lib_libmemwatch_la_LIBADD = $(ZYDIS_LIBS) $(LIBUNWIND_LIBS) $(LIBDW_LIBS) -lpthread
# -z now: no lazy PLT resolution inside the signal handler.
lib_libmemwatch_la_LDFLAGS = -version-info 0:0:0 -Wl,-z,now -Wl,-z,noexecstack \
	-Wl,--version-script=$(top_srcdir)/lib/libmemwatch.map $(MW_LIB_STRIP_LDFLAGS)
EXTRA_lib_libmemwatch_la_DEPENDENCIES = lib/libmemwatch.map
EXTRA_DIST += lib/libmemwatch.map

# memwatch-run.so: the preload part of the memwatch command (cli/): sets the
# command's watches at the start of main.  A module of its own, installed in
# $(pkglibdir), because it interposes libc's __libc_start_main.
pkglib_LTLIBRARIES = lib/memwatch-run.la
lib_memwatch_run_la_SOURCES = lib/run.c
lib_memwatch_run_la_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden
lib_memwatch_run_la_LIBADD = lib/libmemwatch.la -ldl
lib_memwatch_run_la_LDFLAGS = -module -avoid-version -shared -Wl,-z,now $(MW_LIB_STRIP_LDFLAGS)

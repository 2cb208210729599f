# SPDX-License-Identifier: MIT
lib_LTLIBRARIES += lib/libmemwatch.la
include_HEADERS += lib/memwatch.h lib/memwatcher.h

# In layers, lowest first; each calls only the ones above it in this list
# (doc/HACKING.md).
lib_libmemwatch_la_SOURCES = \
	lib/base/say.c lib/base/say.h lib/base/sigsafe.h lib/base/tid.c lib/base/tid.h \
	lib/base/procfd.c lib/base/procfd.h lib/base/maps.c lib/base/maps.h \
	lib/base/epoch.c lib/base/epoch.h lib/base/selfread.c lib/base/selfread.h \
	lib/base/codefile.c lib/base/codefile.h \
	lib/watch/table.c lib/watch/table.h lib/watch/chunk.h lib/watch/snap.c lib/watch/ids.c \
	lib/watch/arena.c lib/watch/arena.h \
	lib/watch/alias.c lib/watch/alias.h lib/watch/pool.c lib/watch/pool.h \
	lib/watch/stash.c lib/watch/stash.h \
	lib/watch/protect.c lib/watch/protect.h lib/watch/pagemap.c lib/watch/pagemap.h \
	lib/watch/finemap.c lib/watch/finemap.h \
	lib/arch/arch.h \
	lib/arch/x86_64/perform.c lib/arch/x86_64/access.c lib/arch/x86_64/access.h \
	lib/arch/x86_64/string.c lib/arch/x86_64/stackop.c lib/arch/x86_64/gather.c \
	lib/arch/x86_64/insn.c lib/arch/x86_64/insn.h lib/arch/x86_64/xsave.c \
	lib/arch/x86_64/cache.c lib/arch/x86_64/cache.h lib/arch/x86_64/regs.h \
	lib/arch/x86_64/run.S lib/arch/x86_64/probe.S lib/arch/x86_64/probe.h lib/arch/x86_64/cfi.h \
	lib/arch/x86_64/jit.c lib/arch/x86_64/jit.h lib/arch/x86_64/resume.c \
	lib/arch/x86_64/entry.c lib/arch/x86_64/entry.h \
	lib/arch/x86_64/gate-code.S lib/arch/x86_64/gate.c lib/arch/x86_64/onstack.S \
	lib/arch/x86_64/patch.c lib/arch/x86_64/patch.h lib/arch/x86_64/hot.S \
	lib/arch/x86_64/sites.c lib/arch/x86_64/sites.h lib/arch/x86_64/syspatch.c \
	lib/arch/x86_64/sysquick.S lib/arch/x86_64/hotstack.h lib/arch/x86_64/sigframe.c \
	lib/threads/perthread.c lib/threads/perthread.h lib/threads/lock.c lib/threads/lock.h \
	lib/log/ring.c lib/log/ring.h lib/log/logshare.c lib/log/logshare.h \
	lib/log/record.c lib/log/record.h lib/log/cost.c lib/log/cost.h lib/log/sysname.c lib/log/unwind.c lib/log/unwind.h \
	lib/log/loader.c lib/log/loader.h lib/log/log.c lib/log/kindname.h \
	lib/log/dump.c lib/log/dump.h lib/log/text.c lib/log/text.h \
	lib/log/symbolize.c lib/log/symbolize.h \
	lib/fault/fault.c lib/fault/fault.h lib/fault/sigview.h \
	lib/fault/debugger.c lib/fault/debugger.h \
	lib/sys/dispatch.c lib/sys/dispatch.h lib/sys/quick.c lib/sys/quick.h lib/sys/bounce.c lib/sys/bounce.h \
	lib/sys/kernelmem.c lib/sys/kernelmem.h lib/sys/rules.c lib/sys/rules.h \
	lib/sys/call.c lib/sys/call.h \
	lib/sys/frame.c lib/sys/frame.h lib/sys/relay.c lib/sys/relay.h \
	lib/sys/addrspace.c lib/sys/addrspace.h \
	lib/sys/futex.c lib/sys/futex.h lib/sys/redo.c lib/sys/redo.h \
	lib/sys/waitmask.c lib/sys/waitmask.h \
	lib/sys/fork.c lib/sys/fork.h \
	lib/front/init.c lib/front/init.h lib/front/api.c lib/front/api.h lib/front/query.c \
	lib/front/legacy.c lib/front/gdb.c lib/front/gdb.h
lib_libmemwatch_la_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden -fno-strict-aliasing \
	$(LIBUNWIND_CFLAGS) $(LIBDW_CFLAGS)
lib_libmemwatch_la_CPPFLAGS = $(AM_CPPFLAGS) 
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
lib_memwatch_run_la_SOURCES = lib/front/run.c
lib_memwatch_run_la_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden
lib_memwatch_run_la_LIBADD = lib/libmemwatch.la -ldl
lib_memwatch_run_la_LDFLAGS = -module -avoid-version -shared -Wl,-z,now $(MW_LIB_STRIP_LDFLAGS)
# base: MEMWATCH_* through one door, ignored in secure execution (env.h);
# files that hold the program's memory, opened like a core dump (private.h).
lib_libmemwatch_la_SOURCES += lib/base/env.c lib/base/env.h lib/base/private.c lib/base/private.h
lib_memwatch_run_la_SOURCES += lib/base/env.c lib/base/env.h

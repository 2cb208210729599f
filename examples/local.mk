# SPDX-License-Identifier: MIT
# The bundled examples.
#
# demo: the library's API (make && examples/demo).
noinst_PROGRAMS += examples/demo
examples_demo_SOURCES = examples/demo.c
examples_demo_LDADD = lib/libmemwatch.la -lpthread

# hours: a plain buggy program, not linked with memwatch, for the GDB session
# examples/hours.gdb (README.md).  Built -g -O1 whatever CFLAGS say, so that
# the session shows the same lines everywhere: hence a rule of its own, as
# automake puts the user's CFLAGS last.
EXTRA_DIST += examples/hours.c examples/hours.gdb
CLEANFILES += examples/hours$(EXEEXT)
all-local: examples/hours$(EXEEXT)
examples/hours$(EXEEXT): examples/hours.c
	$(AM_V_CCLD)mkdir -p examples && $(CC) $(CPPFLAGS) $(MW_WARN_CFLAGS) $(CFLAGS) -g -O1 \
		$(LDFLAGS) -o $@ `test -f examples/hours.c || echo '$(srcdir)/'`examples/hours.c

# The bug hunts of examples/README.md, plain programs like hours (tested by
# tests/t-examples.sh, with the commands the README shows).
mw_example_cc = $(CC) $(CPPFLAGS) $(MW_WARN_CFLAGS) $(CFLAGS) -g -O1 $(LDFLAGS)
mw_example_src = `test -f examples/$(@F).c || echo '$(srcdir)/'`examples/$(@F).c
EXTRA_DIST += examples/README.md examples/overrun.c examples/uaf.c examples/uaf.gdb \
	examples/threads.c examples/slowcache.c
CLEANFILES += examples/overrun$(EXEEXT) examples/uaf$(EXEEXT) examples/threads$(EXEEXT) \
	examples/slowcache$(EXEEXT)
all-local: examples/overrun$(EXEEXT) examples/uaf$(EXEEXT) examples/threads$(EXEEXT) \
	examples/slowcache$(EXEEXT)
examples/overrun$(EXEEXT): examples/overrun.c
	$(AM_V_CCLD)mkdir -p examples && $(mw_example_cc) -o $@ $(mw_example_src)
examples/uaf$(EXEEXT): examples/uaf.c
	$(AM_V_CCLD)mkdir -p examples && $(mw_example_cc) -o $@ $(mw_example_src)
examples/threads$(EXEEXT): examples/threads.c
	$(AM_V_CCLD)mkdir -p examples && $(mw_example_cc) -pthread -o $@ $(mw_example_src)
examples/slowcache$(EXEEXT): examples/slowcache.c
	$(AM_V_CCLD)mkdir -p examples && $(mw_example_cc) -o $@ $(mw_example_src)

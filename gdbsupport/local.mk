# SPDX-License-Identifier: MIT
# memwatch.gdb: the GDB commands, one file made of sections.  Installed to
# $(pkgdatadir), and as libmemwatch's auto-load script in GDB's safe path.
# memwatch-build.gdb: the same, pointing at the library in this build tree
# (for the tests and for trying it without installing).
gdb_sections = gdbsupport/memwatch.gdb.in gdbsupport/ring.gdb gdbsupport/log.gdb \
	gdbsupport/map.gdb gdbsupport/cost.gdb gdbsupport/follow.gdb
EXTRA_DIST += $(gdb_sections)
pkgdata_DATA = gdbsupport/memwatch.gdb
noinst_DATA = gdbsupport/memwatch-build.gdb
CLEANFILES += gdbsupport/memwatch.gdb gdbsupport/memwatch-build.gdb

mw_gdb_subst = sed -e 's|@pkgdatadir[@]|$(pkgdatadir)|g'

gdbsupport/memwatch.gdb: $(gdb_sections) Makefile
	$(AM_V_GEN)mkdir -p gdbsupport && cat $(gdb_sections:%=$(srcdir)/%) | \
	$(mw_gdb_subst) -e 's|@LIBMEMWATCH[@]|$(libdir)/libmemwatch.so.0|g' > $@

gdbsupport/memwatch-build.gdb: $(gdb_sections) Makefile
	$(AM_V_GEN)mkdir -p gdbsupport && cat $(gdb_sections:%=$(srcdir)/%) | \
	$(mw_gdb_subst) -e 's|@LIBMEMWATCH[@]|$(abs_top_builddir)/lib/.libs/libmemwatch.so.0|g' > $@

# GDB auto-loads <library realpath>-gdb.gdb from its safe path.
gdbautoloaddir = $(datadir)/gdb/auto-load$(libdir)
install-data-hook: install-memwatch-autoload
install-memwatch-autoload:
	$(MKDIR_P) $(DESTDIR)$(gdbautoloaddir)
	$(INSTALL_DATA) gdbsupport/memwatch.gdb \
		$(DESTDIR)$(gdbautoloaddir)/libmemwatch.so.0.0.0-gdb.gdb
uninstall-hook:
	rm -f $(DESTDIR)$(gdbautoloaddir)/libmemwatch.so.0.0.0-gdb.gdb
.PHONY: install-memwatch-autoload

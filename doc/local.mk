# SPDX-License-Identifier: MIT
# Man pages, section 3.  memwatch.3 is the overview.
dist_man3_MANS += \
	doc/memwatch.3 \
	doc/mw_watch.3 \
	doc/mw_unwatch.3 \
	doc/mw_count.3 \
	doc/mw_total_count.3 \
	doc/mw_strerror.3 \
	doc/mw_log_next.3 \
	doc/mw_log_begin.3 \
	doc/mw_log_stats.3 \
	doc/mw_log_stats_sized.3 \
	doc/mw_neighbour_faults.3 \
	doc/mw_syscall_name.3 \
	doc/mw_syscalls.3 \
	doc/mw_patch_info.3 \
	doc/mw_log_configure.3 \
	doc/mw_log_clear.3 \
	doc/mw_log_dump.3 \
	doc/memwatcher.3

# Section 7: the GDB commands, guarantees, instructions, what memwatch
# costs (make bench).
dist_man7_MANS = doc/memwatch-gdb.7 doc/memwatch-guarantees.7 doc/memwatch-instructions.7
dist_man7_MANS += doc/memwatch-performance.7

# Section 1: the memwatch command.
dist_man1_MANS = doc/memwatch.1
EXTRA_DIST += doc/HACKING.md tests/README.md

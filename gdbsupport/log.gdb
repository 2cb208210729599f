# SPDX-License-Identifier: MIT
#
# log.gdb - `mwatch-log`: the access log of memwatch, read by GDB.
#
# One section of memwatch.gdb, after ring.gdb (the descriptor, the records'
# fields, the byte printer); with ring.gdb it also works on its own:
#     gdb -x gdbsupport/ring.gdb -x gdbsupport/log.gdb PROGRAM [CORE]
#
# The log is decoded from raw memory only, through the descriptor the
# library exports (mw_log_descriptor, see ring.gdb): no call into the
# process, no debug info needed.  It works on a process stopped anywhere
# (also inside the library's signal handler, with other threads in malloc)
# and on a core file.
#
# Pure GDB command language: no Python, so it works in gdb-minimal.  Traps of
# the CLI this section avoids:
#   - no string literal is ever an argument of an expression GDB evaluates
#     (`printf "%s", "x"`, string-valued `?:`): GDB would copy it into the
#     inferior with the inferior's malloc.  Words are printed by format
#     strings without arguments; arguments are kept in convenience variables.
#   - an error aborts the user's whole command list: arguments are checked
#     character by character before anything is done, and the descriptor is
#     checked before the ring is read.
# Convenience variables of this section start with $mwl_, internal commands
# with mwl--.
#
# ---------------------------------------------------------------- mwatch-log

define mwl--usage
  printf "Usage: mwatch-log [N] [-w ID] [-bt [DEPTH]]\n"
end
document mwl--usage
Internal (mwatch-log): print the usage line of mwatch-log.
Usage: mwl--usage
end

# Prints the $mwl_vn bytes of a recorded value at $mwl_vp in hex: at most
# 8, then "...".
define mwl--bytes
  mw--hex $mwl_vp $mwl_vn 8
  if $mwl_vn > 8
    printf " ..."
  end
end
document mwl--bytes
Internal (mwatch-log): print the bytes of a recorded value in hex.
Usage: mwl--bytes   (reads $mwl_vp, the address, and $mwl_vn, the length)
end

# Prints the record in the slot at $mwl_p (complete, seq $mwl_s): one line,
# then with $mwl_bt its backtrace, at most $mwl_depth frames.
define mwl--record
  set $mwl_kind = MWG_REC_KIND($mwl_p)
  set $mwl_flags = MWG_REC_FLAGS($mwl_p)
  printf "#%llu  thread %u  ", $mwl_s, MWG_REC_TID($mwl_p)
  if $mwl_kind == 1
    printf "read "
  end
  if $mwl_kind == 2
    printf "write"
  end
  if $mwl_kind == 3
    printf "rmw  "
  end
  if $mwl_kind == 5
    printf "kernel-read"
  end
  if $mwl_kind == 6
    printf "kernel-write"
  end
  if $mwl_kind == 8
    printf "gone "
  end
  if $mwl_kind < 1 || ($mwl_kind > 6 && $mwl_kind != 8) || $mwl_kind == 4
    printf "kind %u", $mwl_kind
  end
  printf "  watch %d  ", MWG_REC_WATCH($mwl_p)
  set print symbol-filename off
  output/a MWG_REC_ADDR($mwl_p)
  set $mwl_vn = MWG_REC_SIZE($mwl_p)
  if $mwl_vn == 1
    printf "  1 byte  "
  else
    printf "  %u bytes  ", $mwl_vn
  end
  set $mwl_vn = MWG_REC_VALUE_LEN($mwl_p)
  if $mwl_kind == 8
    printf "the watch ended: its memory was unmapped or replaced"
  end
  if $mwl_kind != 8 && ($mwl_kind & 2)
    if $mwl_flags & 2
      printf "old ?"
    else
      set $mwl_vp = MWG_REC_OLD($mwl_p)
      mwl--bytes
    end
    printf " -> "
  end
  if $mwl_kind != 8 && !($mwl_kind & 2)
    printf "value "
  end
  if $mwl_kind != 8
    set $mwl_vp = MWG_REC_NEW($mwl_p)
    mwl--bytes
  end
  if $mwl_flags & 1
    printf " (cut)"
  end
  if $mwl_flags & 4
    printf " (atomic)"
  end
  printf "  at "
  set print symbol-filename on
  output/a MWG_REC_PC($mwl_p)
  printf "\n"
  if $mwl_bt
    set $mwl_nf = MWG_REC_NFRAMES($mwl_p)
    if $mwl_nf > $mw_ring_frames_max
      set $mwl_nf = $mw_ring_frames_max
    end
    if $mwl_nf == 0
      printf "    (no backtrace recorded)\n"
    end
    set $mwl_f = 0
    while $mwl_f < $mwl_nf && $mwl_f < $mwl_depth
      set $mwl_fa = MWG_REC_FRAME($mwl_p, $mwl_f)
      # Callers' frames are return addresses: name the call (address - 1),
      # whose line is the caller's line, as `bt` does.
      if $mwl_f > 0 && $mwl_fa > 0
        set $mwl_fa = $mwl_fa - 1
      end
      printf "    #%-2u ", $mwl_f
      output/a $mwl_fa
      printf "\n"
      set $mwl_f = $mwl_f + 1
    end
    if $mwl_f + 1 == $mwl_nf
      printf "    (1 more frame)\n"
    end
    if $mwl_f + 1 < $mwl_nf
      printf "    (%u more frames)\n", $mwl_nf - $mwl_f
    end
  end
end
document mwl--record
Internal (mwatch-log): print one record of the log.
Usage: mwl--record   (reads $mwl_p, the slot, $mwl_s, its seq, $mwl_bt, $mwl_depth)
end

define mwatch-log
  # Arguments, checked character by character: nothing is done on a bad one.
  set $mwl_n = 10
  set $mwl_haven = 0
  set $mwl_w = 0
  set $mwl_bt = 0
  set $mwl_depth = 1000
  set $mwl_bad = 0
  # 1: the next argument must be -w's ID; 2: it may be -bt's DEPTH
  set $mwl_want = 0
  set $mwl_i = 0
  while $mwl_i < $argc && $mwl_bad == 0
    eval "set $mwl_a = \"$arg%d\"", $mwl_i
    set $mwl_len = 0
    set $mwl_num = 0
    set $mwl_isnum = 1
    while $mwl_a[$mwl_len] != 0
      if $mwl_a[$mwl_len] >= '0' && $mwl_a[$mwl_len] <= '9' && $mwl_len < 9
        set $mwl_num = $mwl_num * 10 + ($mwl_a[$mwl_len] - '0')
      else
        set $mwl_isnum = 0
      end
      set $mwl_len = $mwl_len + 1
    end
    if $mwl_len == 0
      set $mwl_isnum = 0
    end
    if $mwl_want == 1
      set $mwl_want = 0
      if $mwl_isnum && $mwl_num > 0
        set $mwl_w = $mwl_num
      else
        set $mwl_bad = 1
      end
    else
      if $mwl_want == 2 && $mwl_isnum
        set $mwl_want = 0
        set $mwl_depth = $mwl_num
      else
        set $mwl_want = 0
        if $mwl_isnum
          if $mwl_haven
            set $mwl_bad = 1
          else
            set $mwl_haven = 1
            set $mwl_n = $mwl_num
          end
        else
          set $mwl_bad = 1
          if $mwl_len == 2
            if $mwl_a[0] == '-' && $mwl_a[1] == 'w' && $mwl_w == 0
              set $mwl_bad = 0
              set $mwl_want = 1
            end
          end
          if $mwl_len == 3
            if $mwl_a[0] == '-' && $mwl_a[1] == 'b' && $mwl_a[2] == 't' && $mwl_bt == 0
              set $mwl_bad = 0
              set $mwl_bt = 1
              set $mwl_want = 2
            end
          end
        end
      end
    end
    set $mwl_i = $mwl_i + 1
  end
  if $mwl_want == 1
    set $mwl_bad = 1
  end
  if $mwl_bad
    mwl--usage
  else
    mw--log-open
  end
  if $mwl_bad == 0 && $mw_log_ok
    set $mwl_symfn = $_gdb_setting("print symbol-filename")
    mw--log-range
    # Newest first: find where the last N (matching) records start.
    set $mwl_found = 0
    set $mwl_torn = 0
    set $mwl_first = $mw_log_head + 1
    set $mwl_s = $mw_log_head
    while $mwl_s >= $mw_log_oldest && $mwl_found < $mwl_n
      set $mwl_p = MWG_SLOT($mwl_s)
      if MWG_COMPLETE($mwl_p, $mwl_s)
        if $mwl_w == 0 || MWG_REC_WATCH($mwl_p) == $mwl_w
          set $mwl_found = $mwl_found + 1
          set $mwl_first = $mwl_s
        end
      else
        set $mwl_torn = $mwl_torn + 1
      end
      set $mwl_s = $mwl_s - 1
    end
    # Then oldest first.
    set $mwl_shown = 0
    set $mwl_s = $mwl_first
    while $mwl_s <= $mw_log_head && $mwl_shown < $mwl_found
      set $mwl_p = MWG_SLOT($mwl_s)
      if MWG_COMPLETE($mwl_p, $mwl_s)
        if $mwl_w == 0 || MWG_REC_WATCH($mwl_p) == $mwl_w
          mwl--record
          set $mwl_shown = $mwl_shown + 1
        end
      end
      set $mwl_s = $mwl_s + 1
    end
    if $mwl_symfn
      set print symbol-filename on
    else
      set print symbol-filename off
    end
    if $mwl_shown == 1
      printf "memwatch: 1 record shown"
    else
      printf "memwatch: %llu records shown", $mwl_shown
    end
    set $mwl_r = $mw_log_head - $mw_log_base
    set $mwl_o = $mw_log_oldest - $mw_log_base - 1
    printf "; %llu in the log, %llu overwritten, %llu dropped\n", $mwl_r, $mwl_o, $mw_log_dropped
    if $mwl_torn == 1
      printf "memwatch: 1 slot skipped: its record is being written or was overwritten\n"
    end
    if $mwl_torn > 1
      printf "memwatch: %llu slots skipped: their records are being written or were overwritten\n", $mwl_torn
    end
    mw--cost-footer
  end
end
document mwatch-log
Show the last records of memwatch's access log, oldest first.
Usage: mwatch-log [N] [-w ID] [-bt [DEPTH]]
  N           how many records (default 10); the newest N are shown
  -w ID       only records of watch ID
  -bt [DEPTH] each record's backtrace, DEPTH frames at most (default: all
              recorded); a number right after -bt is the DEPTH
One line per record:
  #SEQ  thread TID  KIND  watch ID  ADDRESS <symbol+off>  SIZE bytes  VALUES  at PC <func+off at file:line>
KIND is read, write, rmw (read-modify-write), kernel-read or
kernel-write (by a system call; PC is the call), or gone: the watch
ended because the program unmapped or replaced its memory.  VALUES are hex
bytes, at most 8 then "...": "value V" for reads, "OLD -> NEW" for writes
("old ?" when not known); "(cut)" when the access was wider than the
record holds, "(atomic)" when the old value came from the atomic
instruction itself.  Backtrace lines name the call for callers' frames
(return address - 1).  Then: how many records are shown, in the log since
the last clear, overwritten (the ring keeps the newest) and dropped.
The log is read from memory through mw_log_descriptor: no call into the
process; it works on a core file too.
end

# SPDX-License-Identifier: MIT
#
# log.gdb - `mwatch-log`: the access log of memwatch, read by GDB.
#
# One section of memwatch.gdb; it also works on its own:
#     gdb -x gdbsupport/log.gdb PROGRAM [CORE]
#
# The log is decoded from raw memory only, through the words of the
# descriptor the library exports (mw_log_descriptor, lib/log/ring.h, version 1):
# no call into the process, no debug info needed.  It works on a process
# stopped anywhere (also inside the library's signal handler, with other
# threads in malloc) and on a core file.
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
# Descriptor words (version 1): 0 magic, 1 version, 2 words, 3 slots,
# 4 capacity, 5 slot size, 6 &head, 7 &dropped, 8 &base, 9 off commit,
# 10 off seq, 11 off time, 12 off addr, 13 off pc, 14 off tid, 15 off watch,
# 16 off size, 17 off kind, 18 off flags, 19 off nframes, 20 off value_len,
# 21 off old, 22 off new, 23 off frames, 24 value max, 25 frames max, 26 &depth.
# Record seq S is in slot (S - 1) & (capacity - 1), complete iff that slot's
# commit word is 2 * S.

# ---------------------------------------------------------------- mwatch-log

define mwl--usage
  printf "Usage: mwatch-log [N] [-w ID] [-bt [DEPTH]]\n"
end
document mwl--usage
Internal (mwatch-log): print the usage line of mwatch-log.
Usage: mwl--usage
end

# Sets $mwl_ok = 1 and $mwl_d (the descriptor's words) if there is a
# process or core with a usable memwatch log; else says why.
define mwl--open
  set $mwl_ok = 0
  if $_thread == 0
    printf "memwatch: no process and no core file: run or attach to the program, or load a core file\n"
  else
    pipe info variables ^mw_log_descriptor$ | grep "[[:space:]]mw_log_descriptor" > /dev/null
    if $_shell_exitcode != 0
      printf "memwatch: libmemwatch is not loaded in this process\n"
    else
      set $mwl_d = (unsigned long long *) &mw_log_descriptor
      if $mwl_d[0] != 0x31474f4c574d454d
        if $mwl_d[0] == 0
          printf "memwatch: libmemwatch has not set up its log (yet): no records\n"
        else
          printf "memwatch: mw_log_descriptor does not start with memwatch's magic number (it has 0x%llx)\n", $mwl_d[0]
        end
      else
        if $mwl_d[1] != 1
          printf "memwatch: the library in this process has log format version %llu; this memwatch.gdb reads version 1\n", $mwl_d[1]
        else
          # Version 1 has 27 words; the ring's shape must be sane before
          # reading it (a read error would abort the user's command list).
          if $mwl_d[2] < 27 || $mwl_d[3] == 0 || $mwl_d[4] < 2 || ($mwl_d[4] & ($mwl_d[4] - 1)) != 0 || $mwl_d[5] < $mwl_d[23] + 8 * $mwl_d[25] || $mwl_d[6] == 0 || $mwl_d[7] == 0 || $mwl_d[8] == 0
            printf "memwatch: mw_log_descriptor is damaged (%llu words, ring at 0x%llx of %llu slots of %llu bytes)\n", $mwl_d[2], $mwl_d[3], $mwl_d[4], $mwl_d[5]
          else
            set $mwl_ok = 1
          end
        end
      end
    end
  end
end
document mwl--open
Internal (mwatch-log): check that the process or core has memwatch's log.
Usage: mwl--open
Sets $mwl_ok to 1 and $mwl_d to the descriptor's words if the log can be
read, else prints why not and sets $mwl_ok to 0.
end

# Prints $mwl_vn hex bytes at $mwl_vp: at most 8, then "...".
define mwl--bytes
  set $mwl_j = 0
  while $mwl_j < $mwl_vn && $mwl_j < 8
    if $mwl_j > 0
      printf " "
    end
    printf "%02x", *(unsigned char *) ($mwl_vp + $mwl_j)
    set $mwl_j = $mwl_j + 1
  end
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
  set $mwl_kind = *(unsigned char *) ($mwl_p + $mwl_d[17])
  set $mwl_flags = *(unsigned char *) ($mwl_p + $mwl_d[18])
  printf "#%llu  thread %u  ", $mwl_s, *(unsigned int *) ($mwl_p + $mwl_d[14])
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
  printf "  watch %d  ", *(int *) ($mwl_p + $mwl_d[15])
  set print symbol-filename off
  output/a *(unsigned long long *) ($mwl_p + $mwl_d[12])
  set $mwl_vn = *(unsigned int *) ($mwl_p + $mwl_d[16])
  if $mwl_vn == 1
    printf "  1 byte  "
  else
    printf "  %u bytes  ", $mwl_vn
  end
  set $mwl_vn = *(unsigned char *) ($mwl_p + $mwl_d[20])
  if $mwl_kind == 8
    printf "the watch ended: its memory was unmapped or replaced"
  end
  if $mwl_kind != 8 && ($mwl_kind & 2)
    if $mwl_flags & 2
      printf "old ?"
    else
      set $mwl_vp = $mwl_p + $mwl_d[21]
      mwl--bytes
    end
    printf " -> "
  end
  if $mwl_kind != 8 && !($mwl_kind & 2)
    printf "value "
  end
  if $mwl_kind != 8
    set $mwl_vp = $mwl_p + $mwl_d[22]
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
  output/a *(unsigned long long *) ($mwl_p + $mwl_d[13])
  printf "\n"
  if $mwl_bt
    set $mwl_nf = *(unsigned char *) ($mwl_p + $mwl_d[19])
    if $mwl_nf > $mwl_d[25]
      set $mwl_nf = $mwl_d[25]
    end
    if $mwl_nf == 0
      printf "    (no backtrace recorded)\n"
    end
    set $mwl_f = 0
    while $mwl_f < $mwl_nf && $mwl_f < $mwl_depth
      set $mwl_fa = *(unsigned long long *) ($mwl_p + $mwl_d[23] + 8 * $mwl_f)
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
Usage: mwl--record   (reads $mwl_p, the slot, $mwl_s, its seq, $mwl_d, $mwl_bt, $mwl_depth)
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
    mwl--open
  end
  if $mwl_bad == 0 && $mwl_ok
    set $mwl_symfn = $_gdb_setting("print symbol-filename")
    set $mwl_slots = $mwl_d[3]
    set $mwl_mask = $mwl_d[4] - 1
    set $mwl_ssz = $mwl_d[5]
    set $mwl_head = *(unsigned long long *) $mwl_d[6]
    set $mwl_dropped = *(unsigned long long *) $mwl_d[7]
    set $mwl_base = *(unsigned long long *) $mwl_d[8]
    # The oldest seq still in the ring, and after the last mw_log_clear.
    set $mwl_oldest = 1
    if $mwl_head > $mwl_d[4]
      set $mwl_oldest = $mwl_head - $mwl_d[4] + 1
    end
    if $mwl_oldest <= $mwl_base
      set $mwl_oldest = $mwl_base + 1
    end
    # Newest first: find where the last N (matching) records start.
    set $mwl_found = 0
    set $mwl_torn = 0
    set $mwl_first = $mwl_head + 1
    set $mwl_s = $mwl_head
    while $mwl_s >= $mwl_oldest && $mwl_found < $mwl_n
      set $mwl_p = $mwl_slots + (($mwl_s - 1) & $mwl_mask) * $mwl_ssz
      if *(unsigned long long *) ($mwl_p + $mwl_d[9]) == 2 * $mwl_s
        if $mwl_w == 0 || *(int *) ($mwl_p + $mwl_d[15]) == $mwl_w
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
    while $mwl_s <= $mwl_head && $mwl_shown < $mwl_found
      set $mwl_p = $mwl_slots + (($mwl_s - 1) & $mwl_mask) * $mwl_ssz
      if *(unsigned long long *) ($mwl_p + $mwl_d[9]) == 2 * $mwl_s
        if $mwl_w == 0 || *(int *) ($mwl_p + $mwl_d[15]) == $mwl_w
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
    set $mwl_r = $mwl_head - $mwl_base
    set $mwl_o = $mwl_oldest - $mwl_base - 1
    printf "; %llu in the log, %llu overwritten, %llu dropped\n", $mwl_r, $mwl_o, $mwl_dropped
    if $mwl_torn == 1
      printf "memwatch: 1 slot skipped: its record is being written or was overwritten\n"
    end
    if $mwl_torn > 1
      printf "memwatch: %llu slots skipped: their records are being written or were overwritten\n", $mwl_torn
    end
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

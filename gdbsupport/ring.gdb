# SPDX-License-Identifier: MIT
#
# ring.gdb - the access log's descriptor, its records and the byte printer:
# the one reader that the watch report (memwatch.gdb), mwatch-log (log.gdb)
# and mwatch-map (map.gdb) share.
#
# One section of memwatch.gdb, before log.gdb and map.gdb; with log.gdb
# alone:   gdb -x gdbsupport/ring.gdb -x gdbsupport/log.gdb PROGRAM [CORE]
#
# The log is decoded from raw memory only, through the words of the
# descriptor the library exports (mw_log_descriptor, lib/log/ring.h
# MW_DESC_*, version 1): no call into the process, no debug info needed.
# mw--log-open checks the descriptor and copies its words into the named
# convenience variables $mw_ring_*; a record's fields are read with the
# macros MWG_REC_* below (`macro define`: GDB's own expression functions,
# no Python), a watch's words (mw_gdb_watch_at) with MWG_WATCH_*.  No word
# index or field offset is written anywhere else.
#
# Record seq S is in slot (S - 1) & (capacity - 1), complete iff that slot's
# commit word is 2 * S.

# ---------------------------------------------------------------- records

# Macro parameters are upper case: no convenience variable's name has one.
# The slot of record seq S, an address (an integer), and whether the record
# in slot P is complete and has seq S.
macro define MWG_SLOT(S) ($mw_ring_slots + (((S) - 1) & ($mw_ring_capacity - 1)) * $mw_ring_slot_size)
macro define MWG_COMPLETE(P, S) (*(unsigned long long *) ((P) + $mw_ring_off_commit) == 2 * (S))
# The fields of the record in slot P (struct mw_record, lib/memwatch.h).
macro define MWG_REC_TIME(P) (*(unsigned long long *) ((P) + $mw_ring_off_time))
macro define MWG_REC_ADDR(P) (*(unsigned long long *) ((P) + $mw_ring_off_addr))
macro define MWG_REC_PC(P) (*(unsigned long long *) ((P) + $mw_ring_off_pc))
macro define MWG_REC_TID(P) (*(unsigned int *) ((P) + $mw_ring_off_tid))
macro define MWG_REC_WATCH(P) (*(int *) ((P) + $mw_ring_off_watch))
macro define MWG_REC_SIZE(P) (*(unsigned int *) ((P) + $mw_ring_off_size))
macro define MWG_REC_KIND(P) (*(unsigned char *) ((P) + $mw_ring_off_kind))
macro define MWG_REC_FLAGS(P) (*(unsigned char *) ((P) + $mw_ring_off_flags))
macro define MWG_REC_NFRAMES(P) (*(unsigned char *) ((P) + $mw_ring_off_nframes))
macro define MWG_REC_VALUE_LEN(P) (*(unsigned char *) ((P) + $mw_ring_off_value_len))
# The addresses of the old and the new value's bytes, and frame I.
macro define MWG_REC_OLD(P) ((P) + $mw_ring_off_old)
macro define MWG_REC_NEW(P) ((P) + $mw_ring_off_new)
macro define MWG_REC_FRAME(P, I) (*(unsigned long long *) ((P) + $mw_ring_off_frames + 8 * (I)))

# The library's watches (a live process only: a call into it):
# mw_gdb_watch_at(I) is the I-th watch by number as five words, or 0.
macro define MWG_WATCH_AT(I) (((unsigned long long *(*)(int)) mw_gdb_watch_at)(I))
macro define MWG_WATCH_ID(W) ((W)[0])
macro define MWG_WATCH_FLAGS(W) ((W)[1])
macro define MWG_WATCH_START(W) ((W)[2])
macro define MWG_WATCH_LENGTH(W) ((W)[3])
macro define MWG_WATCH_HITS(W) ((W)[4])

# ---------------------------------------------------------------- descriptor

# The descriptor and the ring may be damaged (a core file cut short or
# overwritten, a program that scribbled over the library's data): nothing
# is read through a descriptor word before it is checked, and a read error
# would abort the user's whole command list, so the memory the ring and its
# counters need is first looked up in the target's map.  Each check says
# "memwatch: the log is damaged: WHY" and clears $mw_log_ok.

# Sets $mw_log_ok = 0 with one line saying why the log is damaged: ARG0 is
# a printf format for one 64-bit number, ARG1 that number.
define mw--log-damaged
  printf "memwatch: the log is damaged: "
  printf $arg0, $arg1
  printf "\n"
  set $mw_log_ok = 0
end
document mw--log-damaged
Internal: say that the log is damaged.
Usage: mw--log-damaged FORMAT VALUE   (one printf format, one number)
end

# Whether the memory the ring and its counters need is all in the target's
# map: for a core file its sections (`info files`: loadN), for a process
# its readable mappings (`info proc mappings`).  Sets $mw_ring_readable.
# The ranges are checked by awk over the listing (hex parsed by hand: no
# strtonum in POSIX awk); a range may span adjacent sections.
# The last ring found readable (its address, size and counters): every stop
# report opens the log, and the look at the mappings costs a shell or two.
set $mw_rr_slots = 0
set $mw_rr_size = 0
set $mw_rr_counters = 0

define mw--ring-readable
  set $mw_ring_readable = 0
  set $mw_rr_end = $mw_ring_slots + $mw_ring_capacity * $mw_ring_slot_size
  set $mw_rr_i = 0
  if $mw_rr_slots == $mw_ring_slots && $mw_rr_size == $mw_rr_end - $mw_ring_slots && $mw_rr_counters == ($mw_ring_head_at ^ ($mw_ring_dropped_at << 1) ^ ($mw_ring_base_at << 2))
    set $mw_ring_readable = 1
    set $mw_rr_i = 2
  end
  while $mw_rr_i < 2 && $mw_ring_readable == 0
    if $mw_rr_i == 0
      set $mw_rr_cmd = "info files"
    else
      set $mw_rr_cmd = "info proc mappings"
    end
    eval "pipe %s | awk -v x=0123456789abcdef -v a1=%llu -v b1=%llu -v a2=%llu -v b2=%llu -v a3=%llu -v b3=%llu -v a4=%llu -v b4=%llu 'function h(s, i, v, c) { v = 0; s = tolower(s); if (substr(s, 1, 2) ~ /^0x$/) s = substr(s, 3); for (i = 1; i <= length(s); i++) { c = index(x, substr(s, i, 1)); if (c == 0) return -1; v = v * 16 + c - 1 } return v } function cov(a, b, p, i, m) { p = a; m = 1; while (m && p < b) { m = 0; for (i = 1; i <= n; i++) if (L[i] <= p && p < H[i]) { p = H[i]; m = 1 } } return p >= b } { lo = -1 } $2 ~ /^-$/ && $4 ~ /^is$/ && $5 ~ /^load/ { lo = h($1); hi = h($3) } $1 ~ /^0x/ && $2 ~ /^0x/ && $5 ~ /^r/ { lo = h($1); hi = h($2) } lo >= 0 && hi > lo { n++; L[n] = lo; H[n] = hi } END { exit !(cov(a1, b1) && cov(a2, b2) && cov(a3, b3) && cov(a4, b4)) }' > /dev/null", $mw_rr_cmd, $mw_ring_slots, $mw_rr_end, $mw_ring_head_at, $mw_ring_head_at + 8, $mw_ring_dropped_at, $mw_ring_dropped_at + 8, $mw_ring_base_at, $mw_ring_base_at + 8
    if $_shell_exitcode == 0
      set $mw_ring_readable = 1
      set $mw_rr_slots = $mw_ring_slots
      set $mw_rr_size = $mw_rr_end - $mw_ring_slots
      set $mw_rr_counters = $mw_ring_head_at ^ ($mw_ring_dropped_at << 1) ^ ($mw_ring_base_at << 2)
    end
    set $mw_rr_i = $mw_rr_i + 1
  end
end
document mw--ring-readable
Internal: whether the ring's memory can be read, after mw--log-open's checks.
Usage: mw--ring-readable   (sets $mw_ring_readable)
end

# Sets $mw_log_ok = 1 and the descriptor's words in $mw_ring_* if there is a
# process or core with a usable memwatch log; else says why.  Checked, in
# order: the magic number, the version, the word count, the capacity (a
# power of two from 2 to 2^24), the slot size (a multiple of 8 from 64 to
# 4096), every field's offset and width within a slot, the counters'
# addresses (non-zero, aligned), the ring's and counters' memory present in
# the process or core, and the counters (head below 2^62, base and dropped
# not above it).  Every loop over the ring is then bounded by the capacity.
define mw--log-open
  set $mw_log_ok = 0
  if $_thread == 0
    printf "memwatch: no process and no core file: run or attach to the program, or load a core file\n"
  else
    pipe info variables ^mw_log_descriptor$ | grep "[[:space:]]mw_log_descriptor" > /dev/null
    if $_shell_exitcode != 0
      printf "memwatch: libmemwatch is not loaded in this process\n"
    else
      set $mw_d = (unsigned long long *) &mw_log_descriptor
      set $mw_ring_magic = $mw_d[0]
      set $mw_ring_version = $mw_d[1]
      if $mw_ring_magic != 0x31474f4c574d454d
        if $mw_ring_magic == 0
          printf "memwatch: libmemwatch has not set up its log (yet): no records\n"
        else
          mw--log-damaged "mw_log_descriptor does not start with memwatch's magic number (it has 0x%llx)" $mw_ring_magic
        end
      else
        if $mw_ring_version != 1
          mw--log-damaged "its descriptor has version %llu, this memwatch.gdb reads version 1 (another libmemwatch?)" $mw_ring_version
        else
          # Version 1's words, in the order of MW_DESC_* (lib/log/ring.h).
          set $mw_ring_words = $mw_d[2]
          set $mw_ring_slots = $mw_d[3]
          set $mw_ring_capacity = $mw_d[4]
          set $mw_ring_slot_size = $mw_d[5]
          set $mw_ring_head_at = $mw_d[6]
          set $mw_ring_dropped_at = $mw_d[7]
          set $mw_ring_base_at = $mw_d[8]
          set $mw_ring_off_commit = $mw_d[9]
          set $mw_ring_off_seq = $mw_d[10]
          set $mw_ring_off_time = $mw_d[11]
          set $mw_ring_off_addr = $mw_d[12]
          set $mw_ring_off_pc = $mw_d[13]
          set $mw_ring_off_tid = $mw_d[14]
          set $mw_ring_off_watch = $mw_d[15]
          set $mw_ring_off_size = $mw_d[16]
          set $mw_ring_off_kind = $mw_d[17]
          set $mw_ring_off_flags = $mw_d[18]
          set $mw_ring_off_nframes = $mw_d[19]
          set $mw_ring_off_value_len = $mw_d[20]
          set $mw_ring_off_old = $mw_d[21]
          set $mw_ring_off_new = $mw_d[22]
          set $mw_ring_off_frames = $mw_d[23]
          set $mw_ring_value_max = $mw_d[24]
          set $mw_ring_frames_max = $mw_d[25]
          set $mw_ring_depth_at = $mw_d[26]
          set $mw_log_ok = 1
          set $mw_z = $mw_ring_slot_size
          # Version 1 has 27 words; the ring's shape must be sane before
          # reading it.  The first failing check speaks.
          if $mw_ring_words < 27 || $mw_ring_words > 4096
            mw--log-damaged "the descriptor says it has %llu words, version 1 has 27" $mw_ring_words
          end
          if $mw_log_ok && ($mw_ring_capacity < 2 || $mw_ring_capacity > 0x1000000 || ($mw_ring_capacity & ($mw_ring_capacity - 1)) != 0)
            mw--log-damaged "ring capacity %llu is not a power of two from 2 to 16777216" $mw_ring_capacity
          end
          if $mw_log_ok && ($mw_z < 64 || $mw_z > 4096 || $mw_z % 8 != 0)
            mw--log-damaged "slot size %llu is not a multiple of 8 from 64 to 4096" $mw_z
          end
          # Each field's offset plus its width within the slot (the
          # values: at least the 8 bytes mwatch-log prints).
          if $mw_log_ok && ($mw_ring_off_commit > $mw_z - 8 || $mw_ring_off_seq > $mw_z - 8 || $mw_ring_off_time > $mw_z - 8 || $mw_ring_off_addr > $mw_z - 8 || $mw_ring_off_pc > $mw_z - 8 || $mw_ring_off_tid > $mw_z - 4 || $mw_ring_off_watch > $mw_z - 4 || $mw_ring_off_size > $mw_z - 4 || $mw_ring_off_kind > $mw_z - 1 || $mw_ring_off_flags > $mw_z - 1 || $mw_ring_off_nframes > $mw_z - 1 || $mw_ring_off_value_len > $mw_z - 1)
            mw--log-damaged "a record field's offset is outside the %llu-byte slot" $mw_z
          end
          if $mw_log_ok && ($mw_ring_value_max < 8 || $mw_ring_value_max > 255 || $mw_ring_off_old > $mw_z || $mw_ring_value_max > $mw_z - $mw_ring_off_old || $mw_ring_off_new > $mw_z || $mw_ring_value_max > $mw_z - $mw_ring_off_new)
            mw--log-damaged "values of %llu bytes do not fit a slot" $mw_ring_value_max
          end
          if $mw_log_ok && ($mw_ring_frames_max > 255 || $mw_ring_off_frames > $mw_z || 8 * $mw_ring_frames_max > $mw_z - $mw_ring_off_frames)
            mw--log-damaged "%llu frames do not fit a slot" $mw_ring_frames_max
          end
          if $mw_log_ok && ($mw_ring_slots == 0 || $mw_ring_slots % 8 != 0 || $mw_ring_slots > 0xffffffffffffffff - $mw_ring_capacity * $mw_z)
            mw--log-damaged "the ring's address 0x%llx is not an address" $mw_ring_slots
          end
          if $mw_log_ok && ($mw_ring_head_at == 0 || $mw_ring_head_at % 8 != 0 || $mw_ring_dropped_at == 0 || $mw_ring_dropped_at % 8 != 0 || $mw_ring_base_at == 0 || $mw_ring_base_at % 8 != 0 || $mw_ring_head_at > 0xfffffffffffffff0 || $mw_ring_dropped_at > 0xfffffffffffffff0 || $mw_ring_base_at > 0xfffffffffffffff0)
            mw--log-damaged "the address of a counter (head, dropped or base) is not an address (head at 0x%llx)" $mw_ring_head_at
          end
          if $mw_log_ok
            mw--ring-readable
            if $mw_ring_readable == 0
              mw--log-damaged "the ring at 0x%llx or its counters are not in the memory of this process or core" $mw_ring_slots
            end
          end
          if $mw_log_ok
            mw--log-range
            if $mw_log_head >= 0x4000000000000000 || $mw_log_base > $mw_log_head || $mw_log_dropped > $mw_log_head
              mw--log-damaged "its counters are out of range (head %llu)" $mw_log_head
            end
          end
        end
      end
    end
  end
end
document mw--log-open
Internal: check that the process or core has memwatch's log.
Usage: mw--log-open
Sets $mw_log_ok to 1 and $mw_ring_* to the descriptor's words if the log
can be read, else prints why not (for a damaged log one line "memwatch: the
log is damaged: ...") and sets $mw_log_ok to 0.
end

# After mw--log-open: the ring's counters now.  $mw_log_head is the newest
# seq started, $mw_log_base the seq of the last mw_log_clear,
# $mw_log_dropped the records lost, $mw_log_oldest the oldest seq still in
# the ring and after the last clear: mw--log-open made sure that
# $mw_log_head - $mw_log_oldest < $mw_ring_capacity and that counting up to
# $mw_log_head does not wrap.
define mw--log-range
  set $mw_log_head = *(unsigned long long *) $mw_ring_head_at
  set $mw_log_dropped = *(unsigned long long *) $mw_ring_dropped_at
  set $mw_log_base = *(unsigned long long *) $mw_ring_base_at
  set $mw_log_oldest = 1
  if $mw_log_head > $mw_ring_capacity
    set $mw_log_oldest = $mw_log_head - $mw_ring_capacity + 1
  end
  if $mw_log_oldest <= $mw_log_base
    set $mw_log_oldest = $mw_log_base + 1
  end
end
document mw--log-range
Internal: the seqs in the ring, after mw--log-open.
Usage: mw--log-range
Sets $mw_log_head, $mw_log_base, $mw_log_dropped and $mw_log_oldest.
end

# ---------------------------------------------------------------- bytes

# Prints the first bytes of N at ADDR in hex, at most MAX, separated by
# spaces (the caller says whether there were more).  ADDR, N and MAX are
# single words: convenience variables or numbers.
define mw--hex
  set $mw_hex_p = (unsigned char *) ($arg0)
  set $mw_hex_i = 0
  while $mw_hex_i < $arg1 && $mw_hex_i < $arg2
    if $mw_hex_i > 0
      printf " "
    end
    printf "%02x", $mw_hex_p[$mw_hex_i]
    set $mw_hex_i = $mw_hex_i + 1
  end
end
document mw--hex
Internal: print bytes in hex.
Usage: mw--hex ADDR N MAX   (the first N bytes at ADDR, at most MAX)
end

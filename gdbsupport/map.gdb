# SPDX-License-Identifier: MIT
#
# map.gdb - `mwatch-map`: a heat map of the bytes of a watch, from the
# access log.
#
# One section of memwatch.gdb, after ring.gdb (the descriptor and the
# records' fields).  Like mwatch-log it reads the records from memory
# through mw_log_descriptor only, so it works on a core file too.  The counts come from the records
# in the ring: accesses the ring has pushed out are not in the picture (the
# last line says how many there were).
#
# A picture has at most 32 rows of 16 cells; a cell is one byte for a watch
# of up to 512 bytes, else a power of two of bytes.  GDB's CLI has no
# arrays: the cells are convenience variables $mwm_n<I> (accesses) and
# $mwm_k<I> (kinds seen), made with eval; so the memory is bounded too.
# Convenience variables of this section start with $mwm_, internal commands
# with mwm--.

define mwm--usage
  printf "Usage: mwatch-map [ID]\n"
end
document mwm--usage
Internal (mwatch-map): print the usage line of mwatch-map.
Usage: mwm--usage
end

# The map of watch $mwm_id: $mwm_lo, $mwm_size bytes, from the records
# $mw_log_oldest .. $mw_log_head (mw--log-range).
define mwm--one
  set $mwm_per = 1
  while $mwm_size / $mwm_per > 512
    set $mwm_per = $mwm_per * 2
  end
  set $mwm_ncell = ($mwm_size + $mwm_per - 1) / $mwm_per
  set $mwm_i = 0
  while $mwm_i < $mwm_ncell
    eval "set $mwm_n%llu = 0", $mwm_i
    eval "set $mwm_k%llu = 0", $mwm_i
    set $mwm_i = $mwm_i + 1
  end
  set $mwm_reads = 0
  set $mwm_writes = 0
  set $mwm_rmws = 0
  set $mwm_first = $mwm_size
  set $mwm_s = $mw_log_oldest
  while $mwm_s <= $mw_log_head
    set $mwm_p = MWG_SLOT($mwm_s)
    if MWG_COMPLETE($mwm_p, $mwm_s) && MWG_REC_WATCH($mwm_p) == $mwm_id
      set $mwm_a = MWG_REC_ADDR($mwm_p)
      set $mwm_z = MWG_REC_SIZE($mwm_p)
      set $mwm_kind = MWG_REC_KIND($mwm_p)
      if $mwm_a >= $mwm_lo && $mwm_z > 0 && $mwm_a + $mwm_z <= $mwm_lo + $mwm_size
        # Each access once, by its kind: a read-modify-write is neither
        # a read nor a write more.
        if ($mwm_kind & 3) == 1
          set $mwm_reads = $mwm_reads + 1
        end
        if ($mwm_kind & 3) == 2
          set $mwm_writes = $mwm_writes + 1
        end
        if ($mwm_kind & 3) == 3
          set $mwm_rmws = $mwm_rmws + 1
        end
        if $mwm_a - $mwm_lo < $mwm_first
          set $mwm_first = $mwm_a - $mwm_lo
        end
        set $mwm_i = ($mwm_a - $mwm_lo) / $mwm_per
        while $mwm_i <= ($mwm_a + $mwm_z - 1 - $mwm_lo) / $mwm_per
          eval "set $mwm_n%llu = $mwm_n%llu + 1", $mwm_i, $mwm_i
          eval "set $mwm_k%llu = $mwm_k%llu | %u", $mwm_i, $mwm_i, $mwm_kind & 3
          set $mwm_i = $mwm_i + 1
        end
      end
    end
    set $mwm_s = $mwm_s + 1
  end
  printf "memwatch: map of watch %d: %llu bytes at ", $mwm_id, $mwm_size
  output/a (void *) $mwm_lo
  if $mwm_per == 1
    printf ", 1 byte per cell"
  else
    printf ", %llu bytes per cell", $mwm_per
  end
  printf "; %llu reads, %llu writes", $mwm_reads, $mwm_writes
  if $mwm_rmws > 0
    printf ", %llu read-modify-writes", $mwm_rmws
  end
  printf "\n"
  printf "offset  "
  set $mwm_i = 0
  while $mwm_i < 16
    printf " %3llx", $mwm_i * $mwm_per
    set $mwm_i = $mwm_i + 1
  end
  printf "\n"
  set $mwm_i = 0
  while $mwm_i < $mwm_ncell
    if $mwm_i % 16 == 0
      if $mwm_i > 0
        printf "\n"
      end
      printf "+%-7llx", $mwm_i * $mwm_per
    end
    eval "set $mwm_c = $mwm_n%llu", $mwm_i
    eval "set $mwm_ck = $mwm_k%llu", $mwm_i
    # 4 columns, right-aligned: "   .", "  w1", " b12", " r++"
    if $mwm_c == 0
      printf "   ."
    else
      if $mwm_c < 10
        printf "  "
      else
        printf " "
      end
      if $mwm_ck == 3
        printf "b"
      end
      if $mwm_ck == 2
        printf "w"
      end
      if $mwm_ck == 1
        printf "r"
      end
      if $mwm_c < 100
        printf "%llu", $mwm_c
      else
        printf "++"
      end
    end
    set $mwm_i = $mwm_i + 1
  end
  printf "\n"
  if $mwm_first < $mwm_size
    printf "first byte accessed: +0x%llx (", $mwm_first
    output/a (void *) ($mwm_lo + $mwm_first)
    printf ")\n"
  else
    printf "no access recorded\n"
  end
end
document mwm--one
Internal (mwatch-map): print the map of one watch.
Usage: mwm--one   (reads $mwm_id, $mwm_lo, $mwm_size, $mw_log_oldest, $mw_log_head)
end

# In a core file GDB cannot ask the library for the watch's range: the map
# spans the bytes the watch's records touched.  Sets $mwm_lo, $mwm_size
# (0 when watch $mwm_id has no record).
define mwm--span
  set $mwm_lo = ~0ULL
  set $mwm_hi = 0
  set $mwm_s = $mw_log_oldest
  while $mwm_s <= $mw_log_head
    set $mwm_p = MWG_SLOT($mwm_s)
    if MWG_COMPLETE($mwm_p, $mwm_s) && MWG_REC_WATCH($mwm_p) == $mwm_id
      set $mwm_a = MWG_REC_ADDR($mwm_p)
      if $mwm_a < $mwm_lo
        set $mwm_lo = $mwm_a
      end
      if $mwm_a + MWG_REC_SIZE($mwm_p) > $mwm_hi
        set $mwm_hi = $mwm_a + MWG_REC_SIZE($mwm_p)
      end
    end
    set $mwm_s = $mwm_s + 1
  end
  set $mwm_size = 0
  if $mwm_hi > $mwm_lo
    set $mwm_size = $mwm_hi - $mwm_lo
  end
end
document mwm--span
Internal (mwatch-map): the range the records of watch $mwm_id touched.
Usage: mwm--span
end

define mwatch-map
  set $mwm_bad = 0
  set $mwm_want = 0
  if $argc > 1
    set $mwm_bad = 1
  end
  if $argc == 1
    set $mwm_a = "$arg0"
    set $mwm_want = 0
    set $mwm_i = 0
    while $mwm_a[$mwm_i] != 0 && $mwm_bad == 0
      if $mwm_a[$mwm_i] >= '0' && $mwm_a[$mwm_i] <= '9' && $mwm_i < 9
        set $mwm_want = $mwm_want * 10 + ($mwm_a[$mwm_i] - '0')
      else
        set $mwm_bad = 1
      end
      set $mwm_i = $mwm_i + 1
    end
    if $mwm_want == 0
      set $mwm_bad = 1
    end
  end
  if $mwm_bad
    mwm--usage
  else
    mw--log-open
  end
  if $mwm_bad == 0 && $mw_log_ok
    mw--log-range
    # A live process, started or attached (mw--live), not a core file.
    mw--live
    set $mwm_shown = 0
    if $mw_live
      # The watches, from the library: the I-th by id (mw--watch-at, on
      # the library's stack: a watched local may be under the program's).
      mw--watch-at 0
      set $mwm_w = $mw_w
      set $mwm_j = 0
      while $mwm_w != 0
        if $mwm_want == 0 || MWG_WATCH_ID($mwm_w) == $mwm_want
          set $mwm_id = MWG_WATCH_ID($mwm_w)
          set $mwm_lo = MWG_WATCH_START($mwm_w)
          set $mwm_size = MWG_WATCH_LENGTH($mwm_w)
          mwm--one
          set $mwm_shown = $mwm_shown + 1
        end
        set $mwm_j = $mwm_j + 1
        mw--watch-at $mwm_j
        set $mwm_w = $mw_w
      end
    else
      # A core file: the watch ids the records name, each over its span.
      set $mwm_id = 1
      set $mwm_max = $mwm_want
      if $mwm_want == 0
        set $mwm_s = $mw_log_oldest
        while $mwm_s <= $mw_log_head
          set $mwm_p = MWG_SLOT($mwm_s)
          if MWG_REC_WATCH($mwm_p) > $mwm_max
            set $mwm_max = MWG_REC_WATCH($mwm_p)
          end
          set $mwm_s = $mwm_s + 1
        end
      else
        set $mwm_id = $mwm_want
      end
      while $mwm_id <= $mwm_max
        mwm--span
        if $mwm_size > 0
          printf "memwatch: a core file: the map spans the bytes the records of watch %d touched\n", $mwm_id
          mwm--one
          set $mwm_shown = $mwm_shown + 1
        end
        set $mwm_id = $mwm_id + 1
      end
    end
    if $mwm_shown == 0
      if $mwm_want
        printf "memwatch: no watch %d\n", $mwm_want
      else
        printf "memwatch: no watches\n"
      end
    else
      printf "legend: . not accessed; rN read N times; wN written N times; bN read and written, N accesses in all; ++ 100 or more; offsets in hex\n"
      if $mw_log_oldest > $mw_log_base + 1
        printf "note: the oldest %llu accesses were pushed out of the ring and are not counted\n", $mw_log_oldest - $mw_log_base - 1
      end
    end
  end
end
document mwatch-map
A heat map of the bytes of a watch: which were read, written, how often.
Usage: mwatch-map [ID]
One picture per watch (or watch ID): rows of 16 cells, each row labelled
with its offset from the watch's first byte (hex), each cell:
  .    not accessed        rN  read N times       wN  written N times
  bN   read and written, N accesses in all        ++  100 or more
A cell is one byte for watches of up to 512 bytes; for larger ones a power
of two of bytes (the header says how many), so that a picture has at most
32 rows.  Then the first byte accessed: where an overrun starts.
The counts come from the records in the log (see mwatch-log): accesses the
ring has pushed out are not counted (the last line says how many).  In a
core file the watches' ranges are not known: the map spans the bytes each
watch's records touched.
end

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
  printf "Usage: mwatch-log [N] [-w ID] [-bt [DEPTH]] [-trace FILE]\n"
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

# ---------------------------------------------------------------- -trace

# The timeline: mwatch-log -trace FILE writes the records in the
# trace-event JSON format of Chrome's tracing and the Perfetto UI, the form
# of the memwatch command's --trace (cli/trace.c).  GDB cannot escape a
# string it prints (a symbol's or a file's name, a thread's name), nor
# create a file privately, so it prints the records as lines to a shell
# through `pipe` (mwl--trace-pipe), where awk writes the JSON with every
# string escaped and the shell creates FILE like the library's log
# (lib/base/private.h): never through a symbolic link, nor into another
# user's file or one with other hard links, and 0600 (a new file from
# mktemp, renamed over FILE when complete).  The lines:
#   @check FILE | @write FILE     what to do (the first line)
#   @inferiors, `info inferiors`  the pid and the program
#   @threads, `thread find .`     the threads' names and LWPs
#   @records, then per record:
#     R SEQ USEC NSEC TID KIND WATCH SIZE FLAGS VALUE_LEN
#     O BYTES / N BYTES           old and new value in hex (O: writes only)
#     A ADDRESS <symbol+off>      P PC <func+off at file:line>
#     F FRAME                     per frame, callers' as mwatch-log names them
#   @end
# The awk program has no single quote (it is one in the shell's) and the
# lines no '#'; the JSON's strings are escaped by esc(): quotes,
# backslashes, control characters and bytes that are not UTF-8 as \u00XX.

# Prints the record in the slot at $mwl_p (seq $mwl_s) as trace lines.
define mwl--trace-record
  set $mwl_kind = MWG_REC_KIND($mwl_p)
  set $mwl_flags = MWG_REC_FLAGS($mwl_p)
  set $mwl_vn = MWG_REC_VALUE_LEN($mwl_p)
  if $mwl_vn > $mw_ring_value_max
    set $mwl_vn = $mw_ring_value_max
  end
  printf "R %llu %llu %03llu %u %u %d %u %u %u\n", $mwl_s, MWG_REC_TIME($mwl_p) / 1000, MWG_REC_TIME($mwl_p) % 1000, MWG_REC_TID($mwl_p), $mwl_kind, MWG_REC_WATCH($mwl_p), MWG_REC_SIZE($mwl_p), $mwl_flags, $mwl_vn
  if $mwl_kind != 8
    if ($mwl_kind & 2) && !($mwl_flags & 2)
      printf "O "
      set $mwl_vp = MWG_REC_OLD($mwl_p)
      mw--hex $mwl_vp $mwl_vn $mwl_vn
      printf "\n"
    end
    printf "N "
    set $mwl_vp = MWG_REC_NEW($mwl_p)
    mw--hex $mwl_vp $mwl_vn $mwl_vn
    printf "\n"
  end
  set print symbol-filename off
  printf "A "
  output/a MWG_REC_ADDR($mwl_p)
  printf "\n"
  set print symbol-filename on
  printf "P "
  output/a MWG_REC_PC($mwl_p)
  printf "\n"
  set $mwl_nf = MWG_REC_NFRAMES($mwl_p)
  if $mwl_nf > $mw_ring_frames_max
    set $mwl_nf = $mw_ring_frames_max
  end
  set $mwl_f = 0
  while $mwl_f < $mwl_nf && $mwl_f < $mwl_depth
    set $mwl_fa = MWG_REC_FRAME($mwl_p, $mwl_f)
    if $mwl_f > 0 && $mwl_fa > 0
      set $mwl_fa = $mwl_fa - 1
    end
    printf "F "
    output/a $mwl_fa
    printf "\n"
    set $mwl_f = $mwl_f + 1
  end
end
document mwl--trace-record
Internal (mwatch-log -trace): print one record as lines for the trace writer.
Usage: mwl--trace-record   (reads $mwl_p, the slot, $mwl_s, its seq, $mwl_depth)
end

define mwl--trace-check
  printf "@check %s\n", $mwl_file
end
document mwl--trace-check
Internal (mwatch-log -trace): the first line, to check that FILE can be written.
Usage: mwl--trace-check   (reads $mwl_file)
end

define mwl--trace-body
  printf "@write %s\n", $mwl_file
  printf "@inferiors\n"
  info inferiors
  printf "@threads\n"
  thread find .
  printf "@records\n"
  mwl--each
  printf "@end\n"
end
document mwl--trace-body
Internal (mwatch-log -trace): the lines the trace writer reads.
Usage: mwl--trace-body   (reads what mwl--each reads, and $mwl_file)
end

# ARG0 (mwl--trace-check or mwl--trace-body) into the shell that checks
# FILE and, for @write, writes it with awk.  Sets $_shell_exitcode: 0 done.
define mwl--trace-pipe
  pipe $arg0 | /bin/sh -c ' \
    read -r m f || exit 2; \
    case $f in "~/"*) f=$HOME/${f#"~/"} ;; esac; \
    case $f in /*) p=$f ;; *) p=./$f ;; esac; \
    w=; \
    if [ -L "$p" ]; then w="it is a symbolic link"; \
    elif [ -d "$p" ]; then w="it is a directory"; \
    elif [ -e "$p" ] && [ ! -f "$p" ] && [ ! -c "$p" ]; then w="it is not a regular file"; \
    elif [ -f "$p" ] && [ ! -O "$p" ]; then w="it belongs to another user"; \
    elif [ -f "$p" ] && [ -n "$(find "$p" -prune -links +1)" ]; then w="it has other hard links"; fi; \
    if [ -n "$w" ]; then echo "memwatch: refusing to write the trace to $f: $w"; cat > /dev/null; exit 1; fi; \
    if [ -c "$p" ]; then [ "$m" = @check ] && exit 0; LC_ALL=C awk "$0" > "$p"; exit; fi; \
    d=$(dirname -- "$p"); \
    umask 077; \
    t=$(mktemp "$d/.mwatch-trace.XXXXXX" 2> /dev/null) || { echo "memwatch: cannot write the trace to $f: no new file can be made in $d"; cat > /dev/null; exit 1; }; \
    if [ "$m" = @check ]; then rm -f -- "$t"; exit 0; fi; \
    if LC_ALL=C awk "$0" > "$t" && mv -f -- "$t" "$p"; then exit 0; fi; \
    rm -f -- "$t"; echo "memwatch: cannot write the trace to $f"; exit 1' ' \
    function esc(s,  o, i, n, c, b, k, j, lo, hi, ok) { \
      if (s !~ /[^ -~]/ && index(s, "\\") == 0 && index(s, "\"") == 0) return s; \
      o = ""; n = length(s); \
      for (i = 1; i <= n; i++) { \
        c = substr(s, i, 1); b = ord[c]; \
        if (c == "\"" || c == "\\") { o = o "\\" c; continue } \
        if (b < 128) { if (b < 32 || b == 127) o = o sprintf("\\u%04x", b); else o = o c; continue } \
        k = (b >= 194 && b <= 223) ? 2 : (b >= 224 && b <= 239) ? 3 : (b >= 240 && b <= 244) ? 4 : 0; \
        lo = b == 224 ? 160 : b == 240 ? 144 : 128; \
        hi = b == 237 ? 159 : b == 244 ? 143 : 191; \
        ok = k > 0 && i + k - 1 <= n; \
        for (j = 1; ok && j < k; j++) { c = ord[substr(s, i + j, 1)]; ok = j == 1 ? c >= lo && c <= hi : c >= 128 && c <= 191 } \
        if (ok) { o = o substr(s, i, k); i += k - 1 } else o = o sprintf("\\u%04x", b) \
      } \
      return o \
    } \
    function kname(k) { return k == 1 ? "read" : k == 2 ? "write" : k == 3 ? "rmw" : k == 5 ? "kernel-read" : k == 6 ? "kernel-write" : k == 8 ? "gone" : "?" } \
    function bit(v, b) { return int(v / b) % 2 } \
    function quoted(v,  i) { i = index(v, "\047"); v = substr(v, i + 1); sub(/\047$/, "", v); return v } \
    function flush(  kn, a, an, wn, i) { \
      if (!have) return; \
      have = 0; kn = kname(rk); a = ra; an = ""; i = index(a, "<"); \
      if (i) { an = substr(a, i + 1); sub(/>$/, "", an); a = substr(a, 1, i - 1) } \
      sub(/ +$/, "", a); wn = an; sub(/\+[0-9]+$/, "", wn); if (wn == "") wn = "watch " rw; \
      printf ",\n{\"ph\":\"i\",\"s\":\"t\",\"name\":\"%s\",\"cat\":\"%s\",\"ts\":%s.%s,\"pid\":%s,\"tid\":%s", esc(kn " " wn), kn, rt1, rt2, pid, rtid; \
      printf ",\"args\":{\"seq\":%s,\"kind\":\"%s\",\"watch\":%s,\"watch_name\":\"%s\",\"address\":\"%s\",\"address_name\":\"%s\",\"size\":%s", rseq, kn, rw, esc(wn), esc(a), esc(an), rsize; \
      if (rk == 8) printf ",\"gone\":\"the watch ended: its memory was unmapped or replaced\""; \
      else if (bit(rk, 2)) printf ",\"old\":\"%s\",\"new\":\"%s\"", bit(rf, 2) ? "not known" : ro, rn; \
      else printf ",\"value\":\"%s\"", rn; \
      if (bit(rf, 1)) printf ",\"cut\":\"the values are the first %d bytes\"", rv; \
      if (bit(rf, 4)) printf ",\"atomic\":true"; \
      printf ",\"pc\":\"%s\",\"frames\":[%s]}}", esc(rp), rfr; \
      if (!(rtid in tseen)) { tseen[rtid] = 1; tord[++nt] = rtid } \
      nrec++ \
    } \
    BEGIN { for (i = 1; i < 256; i++) ord[sprintf("%c", i)] = i; pid = 1 } \
    $0 == "@inferiors" { sec = "i"; next } \
    $0 == "@threads" { sec = "t"; next } \
    $0 == "@end" { flush(); sec = ""; done = 1; next } \
    $0 == "@records" { \
      sec = "r"; \
      for (g in lw) if (g in nm) tname[lw[g]] = nm[g]; \
      printf "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":%s,\"tid\":%s,\"args\":{\"name\":\"%s\"}}", pid, pid, esc(exe); \
      next \
    } \
    sec == "i" && /^\* / { \
      if (match($0, /process [0-9]+/)) pid = substr($0, RSTART + 8, RLENGTH - 8); \
      if (match($0, / \([^)]*\) +[^ ]/)) exe = substr($0, RSTART + RLENGTH - 1); else exe = $NF; \
      sub(/ +$/, "", exe) \
    } \
    sec == "t" && $1 == "Thread" && $3 == "has" { \
      if ($4 == "name") { nm[$2] = quoted($0); un[$2] = 1 } \
      else if ($4 == "target" && $5 == "name" && !($2 in un)) nm[$2] = quoted($0); \
      else if ($4 == "target" && $5 == "id" && match($0, /(LWP|process) [0-9]+/)) { v = substr($0, RSTART, RLENGTH); sub(/^[a-zA-Z]+ /, "", v); lw[$2] = v } \
    } \
    sec == "r" && /^R [0-9]+ [0-9]+ [0-9]+ [0-9]+ [0-9]+ -?[0-9]+ [0-9]+ [0-9]+ [0-9]+$/ { \
      flush(); have = 1; rseq = $2; rt1 = $3; rt2 = $4; rtid = $5; rk = $6 + 0; rw = $7; rsize = $8; rf = $9 + 0; rv = $10 + 0; \
      ro = ""; rn = ""; ra = ""; rp = ""; rfr = ""; next \
    } \
    sec == "r" && have && /^O [0-9a-f ]*$/ { ro = substr($0, 3); next } \
    sec == "r" && have && /^N [0-9a-f ]*$/ { rn = substr($0, 3); next } \
    sec == "r" && have && /^A / { ra = substr($0, 3); next } \
    sec == "r" && have && /^P / { rp = substr($0, 3); next } \
    sec == "r" && have && /^F / { rfr = rfr (rfr == "" ? "" : ",") "\"" esc(substr($0, 3)) "\""; next } \
    END { \
      if (!done) exit 1; \
      b = exe; sub(/.*\//, "", b); \
      for (i = 1; i <= nt; i++) { \
        t = tord[i]; n = (t in tname) ? tname[t] : t == pid ? b : "thread " t; \
        printf ",\n{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":%s,\"tid\":%s,\"args\":{\"name\":\"%s\"}}", pid, t, esc(n); \
        printf ",\n{\"ph\":\"M\",\"name\":\"thread_sort_index\",\"pid\":%s,\"tid\":%s,\"args\":{\"sort_index\":%d}}", pid, t, t == pid ? 0 : 1 \
      } \
      printf "\n],\"otherData\":{\"producer\":\"memwatch mwatch-log\",\"program\":\"%s\",\"records\":%d,\"time\":\"microseconds of CLOCK_MONOTONIC\"}}\n", esc(exe), nrec \
    }'
end
document mwl--trace-pipe
Internal (mwatch-log -trace): check FILE, or write the trace into it.
Usage: mwl--trace-pipe mwl--trace-check | mwl--trace-body
end

# The records mwatch-log shows, from seq $mwl_first: $mwl_found of them
# (of watch $mwl_w, or all), as text or (with $mwl_trace) trace lines.
# Sets $mwl_shown.
define mwl--each
  set $mwl_shown = 0
  set $mwl_s = $mwl_first
  while $mwl_s <= $mw_log_head && $mwl_shown < $mwl_found
    set $mwl_p = MWG_SLOT($mwl_s)
    if MWG_COMPLETE($mwl_p, $mwl_s)
      if $mwl_w == 0 || MWG_REC_WATCH($mwl_p) == $mwl_w
        if $mwl_trace
          mwl--trace-record
        else
          mwl--record
        end
        set $mwl_shown = $mwl_shown + 1
      end
    end
    set $mwl_s = $mwl_s + 1
  end
end
document mwl--each
Internal (mwatch-log): print the records chosen, as text or trace lines.
Usage: mwl--each   (reads $mwl_first, $mwl_found, $mwl_w, $mwl_trace)
end

define mwatch-log
  # Arguments, checked character by character: nothing is done on a bad one.
  set $mwl_n = 10
  set $mwl_haven = 0
  set $mwl_w = 0
  set $mwl_bt = 0
  set $mwl_depth = 1000
  set $mwl_bad = 0
  set $mwl_trace = 0
  # 1: the next argument must be -w's ID; 2: it may be -bt's DEPTH; 3: it
  # must be -trace's FILE
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
    if $mwl_want == 3
      set $mwl_want = 0
      if $mwl_len > 0
        set $mwl_file = $mwl_a
      else
        set $mwl_bad = 1
      end
    else
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
            if $mwl_len == 6
              if $mwl_a[0] == '-' && $mwl_a[1] == 't' && $mwl_a[2] == 'r' && $mwl_a[3] == 'a' && $mwl_a[4] == 'c' && $mwl_a[5] == 'e' && $mwl_trace == 0
                set $mwl_bad = 0
                set $mwl_trace = 1
                set $mwl_want = 3
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
    end
    set $mwl_i = $mwl_i + 1
  end
  if $mwl_want == 1 || $mwl_want == 3
    set $mwl_bad = 1
  end
  if $mwl_bad
    mwl--usage
  else
    mw--log-open
  end
  if $mwl_bad == 0 && $mw_log_ok
    set $mwl_symfn = $_gdb_setting("print symbol-filename")
    # The timeline: every record in the ring unless N is given.
    if $mwl_trace && $mwl_haven == 0
      set $mwl_n = $mw_ring_capacity
    end
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
    # Then oldest first: as text, or the timeline into the file.
    set $mwl_written = 0
    if $mwl_trace
      mwl--trace-pipe mwl--trace-check
      if $_shell_exitcode == 0
        mwl--trace-pipe mwl--trace-body
        if $_shell_exitcode == 0
          set $mwl_written = 1
        end
      end
    else
      mwl--each
    end
    if $mwl_symfn
      set print symbol-filename on
    else
      set print symbol-filename off
    end
    if $mwl_trace == 0
      if $mwl_shown == 1
        printf "memwatch: 1 record shown"
      else
        printf "memwatch: %llu records shown", $mwl_shown
      end
    end
    if $mwl_trace && $mwl_written == 0
      printf "memwatch: no trace written"
    end
    if $mwl_written
      if $mwl_shown == 1
        printf "memwatch: 1 record written to %s", $mwl_file
      else
        printf "memwatch: %llu records written to %s", $mwl_shown, $mwl_file
      end
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
Usage: mwatch-log [N] [-w ID] [-bt [DEPTH]] [-trace FILE]
  N           how many records (default 10; with -trace all in the log);
              the newest N are shown
  -w ID       only records of watch ID
  -bt [DEPTH] each record's backtrace, DEPTH frames at most (default: all
              recorded); a number right after -bt is the DEPTH
  -trace FILE write the records to FILE as a timeline instead, in the
              trace-event JSON format that the Perfetto UI and
              chrome://tracing open: a track per thread, an event per
              record with its values and frames (all recorded, or DEPTH).
              FILE is made private (0600, never through a symbolic link)
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
process; it works on a core file too.  -trace needs a shell and awk.
end

# SPDX-License-Identifier: MIT
#
# memwatch.gdb - GDB commands for memwatch: unlimited watchpoints.
#
# Load it with   gdb -x /usr/local/share/memwatch/memwatch.gdb PROGRAM
# (or let GDB auto-load it: see memwatch-gdb(7)).  Pure GDB command language,
# no Python: it works in gdb-minimal too.
#
#   mwatch EXPR SIZE [read|write|access]   watch SIZE bytes at EXPR
#   mwatch -l LVALUE [read|write|access]   watch an object
#   munwatch N | all                       stop watching
#   mwatch-list                            the watches and their hits
#   mwatch-log [N] [-w ID] [-bt [DEPTH]]   the history of accesses
#   mwatch-clear                           forget the history
#   mwatch-stop on|off                     stop after each access, or only record
#   mwatch-set LVALUE VALUE                write watched memory
#
# The library (/usr/local/lib/libmemwatch.so.0) is preloaded for `run` (after the
# program's own LD_PRELOAD), or dlopen'ed into a process GDB attached to at
# the first `mwatch`.  The log is read from memory only, through the
# descriptor the library exports (mw_log_descriptor): `mwatch-log` works on a
# stopped process anywhere and on a core file.
#
# Traps of the CLI this file avoids: strings passed to the inferior make GDB
# call its malloc (deadlock-prone while threads are stopped), so strings stay
# in GDB; an error aborts a whole command list, so arguments are checked
# before anything is done.

# ---------------------------------------------------------------- set-up

set $mw_armed = 0
set $mw_crash = 0
set $mw_lib_loaded = 0

# Preload the library into programs started with `run`, after the user's own
# LD_PRELOAD (the shell that starts the program expands it).
set exec-wrapper env "LD_PRELOAD=/usr/local/lib/libmemwatch.so.0${LD_PRELOAD:+:$LD_PRELOAD}"

# Internal: is the library in the process?  Sets $mw_lib_loaded.
define mw--check-loaded
  set $mw_lib_loaded = 0
  if $_inferior_thread_count > 0 || $_isvoid($_siginfo) == 0
    pipe info sharedlibrary | grep -q libmemwatch
    if $_shell_exitcode == 0
      set $mw_lib_loaded = 1
    end
  end
end

# Internal: make sure there is a process with the library in it; dlopen it
# into an attached process.  Sets $mw_ok.
define mw--need-process
  set $mw_ok = 0
  if $_inferior_thread_count == 0
    printf "memwatch: no process: start the program with `run` (or `start`), or attach to it\n"
  else
    mw--check-loaded
    if $mw_lib_loaded == 0
      printf "memwatch: loading /usr/local/lib/libmemwatch.so.0 into the process\n"
      call (void) dlopen("/usr/local/lib/libmemwatch.so.0", 2)
      mw--check-loaded
    end
    if $mw_lib_loaded == 0
      printf "memwatch: cannot load /usr/local/lib/libmemwatch.so.0 into the process (is it installed? see memwatch-gdb(7))\n"
    else
      set $mw_ok = 1
      mw--arm
    end
  end
end

# Internal: the breakpoints through which the library reports.
define mw--arm
  if $mw_armed == 0
    set var *(int *) &mw_gdb_attached = 1
    set var *(int *) &mw_gdb_stop_mode = 1
    # Watched accesses are SIGSEGVs the library handles: let them through.
    pipe handle SIGSEGV nostop noprint pass | cat > /dev/null
    # Stop mode: after a watched access the library calls this hook; stop
    # the thread at the instruction after the access, in its own frame.
    pipe break mw_gdb_stop_hook | cat > /dev/null
    commands
      silent
      mw--after-access
    end
    # A genuine crash: stop at the faulting instruction, as without memwatch.
    pipe break mw_gdb_crash_hook | cat > /dev/null
    commands
      silent
      set var *(int *) &mw_gdb_refault = 1
      set $mw_crash = 1
      set scheduler-locking on
      pipe handle SIGSEGV stop print | cat > /dev/null
      continue
    end
    set $mw_armed = 1
  end
end

# Internal, from the stop hook's breakpoint: $rdi = the record's seq,
# $rsi = where the thread resumes, $rdx = its tid.
define mw--after-access
  set $mw_seq = $rdi
  set $mw_resume = $rsi
  set scheduler-locking on
  eval "pipe tbreak *0x%lx thread %d | cat > /dev/null", $mw_resume, $_thread
  commands
    silent
    set scheduler-locking replay
    mw--report $mw_seq
    frame
  end
  continue
end

# ---------------------------------------------------------------- records

# Internal: the descriptor's words, in $mw_d_*; $mw_log_ok = 1 if usable.
define mw--descriptor
  set $mw_log_ok = 0
  mw--check-loaded
  if $mw_lib_loaded == 0
    printf "memwatch: libmemwatch is not loaded in this process\n"
  else
    set $mw_d = (unsigned long long *) &mw_log_descriptor
    if $mw_d[0] != 0x31474f4c574d454d
      printf "memwatch: the log descriptor has no valid magic number (the library has not started?)\n"
    else
      if $mw_d[1] != 1
        printf "memwatch: the library's log has format version %llu; this memwatch.gdb reads version 1\n", $mw_d[1]
      else
        set $mw_log_ok = 1
      end
    end
  end
end

# Internal: prints record SEQ in one line (the watchpoint report).
define mw--report
  mw--descriptor
  if $mw_log_ok
    set $mw_s = (char *) ($mw_d[3] + (($arg0 - 1) & ($mw_d[4] - 1)) * $mw_d[5])
    if *(unsigned long long *) ($mw_s + $mw_d[9]) == 2 * $arg0
      set $mw_kind = *(unsigned char *) ($mw_s + $mw_d[17])
      set $mw_len = *(unsigned char *) ($mw_s + $mw_d[20])
      printf "\nmemwatch: watch %d: ", *(int *) ($mw_s + $mw_d[15])
      if $mw_kind == 1
        printf "read"
      end
      if $mw_kind == 2
        printf "write"
      end
      if $mw_kind == 3
        printf "read-modify-write"
      end
      printf " of %u bytes at ", *(unsigned int *) ($mw_s + $mw_d[16])
      output/a *(void **) ($mw_s + $mw_d[12])
      printf "\n"
      if $mw_kind & 2
        printf "Old value = "
        set $mw_b = $mw_s + $mw_d[21]
        mw--bytes $mw_b $mw_len
        printf "\nNew value = "
      else
        printf "Value = "
      end
      set $mw_b = $mw_s + $mw_d[22]
      mw--bytes $mw_b $mw_len
      printf "\n"
    end
  end
end

# Internal: the N bytes at ADDR: as an integer too when N is 1, 2, 4 or 8,
# then in hex (at most 16).
define mw--bytes
  set $mw_p = (unsigned char *) ($arg0)
  if $arg1 == 1
    printf "%d (", *(signed char *) $mw_p
  end
  if $arg1 == 2
    printf "%d (", *(short *) $mw_p
  end
  if $arg1 == 4
    printf "%d (", *(int *) $mw_p
  end
  if $arg1 == 8
    printf "%lld (", *(long long *) $mw_p
  end
  set $mw_i = 0
  while $mw_i < $arg1 && $mw_i < 16
    if $mw_i > 0
      printf " "
    end
    printf "%02x", $mw_p[$mw_i]
    set $mw_i = $mw_i + 1
  end
  if $arg1 > 16
    printf "..."
  end
  if $arg1 == 1 || $arg1 == 2 || $arg1 == 4 || $arg1 == 8
    printf ")"
  end
end

# ---------------------------------------------------------------- commands

define mwatch
  # Syntax first, then the process, then the expressions (an error in
  # one would abort the command).
  set $mw_args_ok = 1
  set $mw_flags = 2
  set $mw_lv = 0
  if $argc == 0 || $argc > 3
    set $mw_args_ok = 0
  else
    if "$arg0"[0] == '-'
      if "$arg0"[1] != 'l' || "$arg0"[2] != 0 || $argc < 2
        set $mw_args_ok = 0
      else
        set $mw_lv = 1
        if $argc == 3
          mw--kind "$arg2"
        end
      end
    else
      if $argc < 2
        set $mw_args_ok = 0
      end
      if $argc == 3
        mw--kind "$arg2"
      end
    end
  end
  if $mw_args_ok == 0
    printf "usage: mwatch EXPR SIZE [read|write|access]\n       mwatch -l LVALUE [read|write|access]\n"
  else
    mw--need-process
    if $mw_ok
      if $mw_lv
        set $mw_addr = (unsigned long) &($arg1)
        set $mw_size = (unsigned long) sizeof($arg1)
      else
        set $mw_addr = (unsigned long) (void *) ($arg0)
        set $mw_size = (unsigned long) ($arg1)
      end
      if $mw_size == 0
        printf "memwatch: SIZE is 0: give the number of bytes to watch\n"
      else
        set $mw_id = ((int (*)(void *, unsigned long, unsigned int)) mw_watch)((void *) $mw_addr, $mw_size, $mw_flags)
        if $mw_id > 0
          printf "memwatch: watch %d: %lu bytes at ", $mw_id, $mw_size
          output/a (void *) $mw_addr
          if $mw_flags == 1
            printf ", reads\n"
          end
          if $mw_flags == 2
            printf ", writes\n"
          end
          if $mw_flags == 3
            printf ", reads and writes\n"
          end
        else
          printf "memwatch: cannot watch %lu bytes at 0x%lx: %s\n", $mw_size, $mw_addr, ((const char *(*)(int)) mw_strerror)($mw_id)
        end
      end
    end
  end
end
document mwatch
Watch memory: every access of the chosen kind is caught and recorded.
Usage: mwatch EXPR SIZE [read|write|access]
       mwatch -l LVALUE [read|write|access]
EXPR is an address: a pointer, an array or a number; SIZE bytes from it
are watched.  With -l, the object LVALUE itself (its address and sizeof).
The kind defaults to write, like `watch`; read and access (both) are
the others.  Any number of watches, of any size.  With mwatch-stop on
(the default), the program stops after each watched access, in the
accessing thread's own frame, with the old and new value.
See also munwatch, mwatch-list, mwatch-log, mwatch-stop.
end

# Internal: the kind word in $arg0 (a string) to $mw_flags.
define mw--kind
  if $arg0[0] == 'r'
    set $mw_flags = 1
  else
    if $arg0[0] == 'w'
      set $mw_flags = 2
    else
      if $arg0[0] == 'a'
        set $mw_flags = 3
      else
        set $mw_args_ok = 0
      end
    end
  end
end

define munwatch
  if $argc != 1
    printf "usage: munwatch N | all\n"
  else
    mw--check-loaded
    if $mw_lib_loaded == 0
      printf "memwatch: libmemwatch is not loaded in this process\n"
    else
      if "$arg0"[0] == 'a'
        set $mw_n = ((int (*)(void)) mw_gdb_unwatch_all)()
        printf "memwatch: %d watch(es) removed\n", $mw_n
      else
        set $mw_r = ((int (*)(int)) mw_unwatch)($arg0)
        if $mw_r == 0
          printf "memwatch: watch %d removed\n", $arg0
        else
          printf "memwatch: watch %d: %s\n", $arg0, ((const char *(*)(int)) mw_strerror)($mw_r)
        end
      end
    end
  end
end
document munwatch
Stop watching: one watch by number, or all.
Usage: munwatch N | all
The memory gets back its protection and contents as if never watched.
end

define mwatch-list
  mw--check-loaded
  if $mw_lib_loaded == 0
    printf "memwatch: libmemwatch is not loaded in this process\n"
  else
    set $mw_i = 0
    set $mw_w = ((unsigned long long *(*)(int)) mw_gdb_watch_at)(0)
    if $mw_w == 0
      printf "memwatch: no watches\n"
    else
      printf "Num  Kind    Size        Hits  Address\n"
    end
    while $mw_w != 0
      printf "%-4llu ", $mw_w[0]
      if $mw_w[1] == 1
        printf "read  "
      end
      if $mw_w[1] == 2
        printf "write "
      end
      if $mw_w[1] == 3
        printf "access"
      end
      printf "  %-10llu  %4llu  ", $mw_w[3], $mw_w[4]
      output/a (void *) $mw_w[2]
      printf "\n"
      set $mw_i = $mw_i + 1
      set $mw_w = ((unsigned long long *(*)(int)) mw_gdb_watch_at)($mw_i)
    end
  end
end
document mwatch-list
List the watches: number, kind, size, hits, address and symbol.
Usage: mwatch-list
end

define mwatch-clear
  mw--check-loaded
  if $mw_lib_loaded == 0
    printf "memwatch: libmemwatch is not loaded in this process\n"
  else
    call ((void (*)(void)) mw_log_clear)()
    printf "memwatch: the log is empty\n"
  end
end
document mwatch-clear
Forget the access history (mwatch-log starts again from here).
Usage: mwatch-clear
end

define mwatch-stop
  if $argc != 1
    printf "usage: mwatch-stop on|off\n"
  else
    mw--check-loaded
    if $mw_lib_loaded == 0
      printf "memwatch: libmemwatch is not loaded in this process\n"
    else
      if "$arg0"[1] == 'n'
        set var *(int *) &mw_gdb_stop_mode = 1
        printf "memwatch: the program stops after each watched access\n"
      else
        if "$arg0"[1] == 'f'
          set var *(int *) &mw_gdb_stop_mode = 0
          printf "memwatch: watched accesses are recorded only (see mwatch-log)\n"
        else
          printf "usage: mwatch-stop on|off\n"
        end
      end
    end
  end
end
document mwatch-stop
Whether the program stops after each watched access.
Usage: mwatch-stop on|off
On (the default): like a watchpoint, GDB stops after the access in the
accessing thread's frame and prints the old and new value.  Off: accesses
are only recorded; mwatch-log shows them.
end

define mwatch-set
  if $argc != 2
    printf "usage: mwatch-set LVALUE VALUE\n"
  else
    mw--check-loaded
    if $mw_lib_loaded == 0
      set var $arg0 = $arg1
    else
      set $mw_tmp = $arg1
      set $mw_alias = ((void *(*)(const void *)) mw_gdb_alias)(&($arg0))
      set var *(__typeof__($arg0) *) $mw_alias = $mw_tmp
      printf "memwatch: "
      output $arg0
      printf "\n"
    end
  end
end
document mwatch-set
Write to watched memory (`set var` cannot: the page is protected).
Usage: mwatch-set LVALUE VALUE
The write goes through the library's second view of the page; it is not
recorded as an access of the program.
end

# ---------------------------------------------------------------- stepping

# step, next, stepi, nexti, until, advance and finish over a watched access:
# the library performs the access and resumes after it, which GDB's
# stepping does not expect; instead, stop there, reported like a watchpoint.
define mw--stepping
  if $mw_armed
    set var *(int *) &mw_gdb_stepping = 1
  end
end
define hook-step
  mw--stepping
end
define hook-next
  mw--stepping
end
define hook-stepi
  mw--stepping
end
define hook-nexti
  mw--stepping
end
define hook-until
  mw--stepping
end
define hook-advance
  mw--stepping
end
define hook-finish
  mw--stepping
end

define hook-stop
  if $mw_armed
    if $_inferior_thread_count > 0
      set var *(int *) &mw_gdb_stepping = 0
    end
    if $mw_crash
      set $mw_crash = 0
      set scheduler-locking replay
      pipe handle SIGSEGV nostop noprint pass | cat > /dev/null
    end
  end
end
# SPDX-License-Identifier: MIT
#
# log.gdb - `mwatch-log`: the access log of memwatch, read by GDB.
#
# One section of memwatch.gdb; it also works on its own:
#     gdb -x gdbsupport/log.gdb PROGRAM [CORE]
#
# The log is decoded from raw memory only, through the words of the
# descriptor the library exports (mw_log_descriptor, lib/ring.h, version 1):
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
    pipe info variables ^mw_log_descriptor$ | grep -q "[[:space:]]mw_log_descriptor"
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
  if $mwl_kind == 4
    printf "kernel"
  end
  if $mwl_kind < 1 || $mwl_kind > 4
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
  if $mwl_kind & 2
    if $mwl_flags & 2
      printf "old ?"
    else
      set $mwl_vp = $mwl_p + $mwl_d[21]
      mwl--bytes
    end
    printf " -> "
  else
    printf "value "
  end
  set $mwl_vp = $mwl_p + $mwl_d[22]
  mwl--bytes
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
KIND is read, write, rmw (read-modify-write) or kernel.  VALUES are hex
bytes, at most 8 then "...": "value V" for reads, "OLD -> NEW" for writes
("old ?" when not known); "(cut)" when the access was wider than the
record holds, "(atomic)" when the old value came from the atomic
instruction itself.  Backtrace lines name the call for callers' frames
(return address - 1).  Then: how many records are shown, in the log since
the last clear, overwritten (the ring keeps the newest) and dropped.
The log is read from memory through mw_log_descriptor: no call into the
process; it works on a core file too.
end

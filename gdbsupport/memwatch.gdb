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

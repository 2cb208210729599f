# ------------------------------------------------------------ costs
#
# cost.gdb - what watching cost that no record shows (lib/log/cost.h):
# faults on watched pages that no watch counted (the watches' neighbours),
# by watch and by instruction, and the system calls dispatched, by number.
# Read from memory through mw_log_descriptor's word 27 (MW_DESC_COST), on
# a live process or a core file; mwatch-list and mwatch-log print them.
# The area's words (version 1): 0 magic "MEMWCST1", 1 version, 2..4 the
# tables' sizes (128, 64, 512), 5 faults on neighbours, 7 the least time
# between two faults of a thread (ns), 8 system calls dispatched, 9 the
# same for them, 11 and 12 the estimated time of each (ns); from word 16 the instructions (pc, address, faults,
# watch), from 528 the watches (id, faults), from 656 the calls by number.

set $mw_cost_said = 0

# Internal: after mw--log-open, sets $mw_cost_ok and $mw_c (the area's
# words) if the area is there: in the library's data, next to its ring
# counters (a memwatch command's file, mapped elsewhere, is not read).
define mw--cost-open
  set $mw_cost_ok = 0
  if $mw_log_ok && $mw_ring_words > 27
    set $mw_c = (unsigned long long *) $mw_d[27]
    set $mw_cc = (unsigned long long) $mw_c
    if $mw_cc != 0 && $mw_cc % 8 == 0 && $mw_cc + 0x100000 > $mw_ring_head_at && $mw_cc < $mw_ring_head_at + 0x100000
      if $mw_c[0] == 0x31545343574d454d && $mw_c[1] == 1 && $mw_c[2] == 128 && $mw_c[3] == 64 && $mw_c[4] == 512
        set $mw_cost_ok = 1
      end
    end
  end
end
document mw--cost-open
Internal: find the cost counters through the log's descriptor.
Usage: mw--cost-open (after mw--log-open)
Sets $mw_cost_ok to 1 and $mw_c to the counters' words if they are there.
end

# Internal: "N us", "N ms" or "N.N s" for $arg0 ns.
define mw--cost-time
  if $arg0 < 1000000
    printf "%llu us", $arg0 / 1000
  else
    if $arg0 < 1000000000
      printf "%llu ms", $arg0 / 1000000
    else
      printf "%.1f s", $arg0 / 1e9
    end
  end
end

# Internal: the line about faults on neighbours, when there are 1000 or
# more (fewer cost little, and their time is not known well: for each,
# the time since its thread's previous fault, at most 4 least ones); with
# $arg0 = 1
# also the watches charged and the three hottest instructions.
define mw--cost-neighbours
  set $mwc_n = $mw_c[5]
  if $mwc_n >= 1000
    printf "memwatch: %llu faults on watched pages touched no byte a watch counts (no record)", $mwc_n
    if $mw_c[11] > 0
      printf ", about "
      mw--cost-time $mw_c[11]
      printf " (%.1f us each)", $mw_c[11] / 1000.0 / $mwc_n
    end
    printf "\n"
    if $arg0
      set $mwc_i = 0
      while $mwc_i < 64
        if $mw_c[528 + 2 * $mwc_i] != 0 && $mw_c[529 + 2 * $mwc_i] != 0
          printf "memwatch:   on the pages of watch %llu: %llu\n", $mw_c[528 + 2 * $mwc_i], $mw_c[529 + 2 * $mwc_i]
        end
        set $mwc_i = $mwc_i + 1
      end
      set $mwc_symfn = $_gdb_setting("print symbol-filename")
      set print symbol-filename on
      # The instructions seen, once over the table ($mwc_p_K: their
      # indexes), then the three hottest among them.
      set $mwc_np = 0
      set $mwc_i = 0
      while $mwc_i < 128
        if $mw_c[16 + 4 * $mwc_i] != 0
          eval "set $mwc_p_%d = %d", $mwc_np, $mwc_i
          set $mwc_np = $mwc_np + 1
        end
        set $mwc_i = $mwc_i + 1
      end
      set $mwc_prev = 0xffffffffffffffff
      set $mwc_prevpc = 0
      set $mwc_k = 0
      while $mwc_k < 3
        # The next hottest: the most faults below the previous one's (or
        # as many, at a higher pc).
        set $mwc_best = -1
        set $mwc_j = 0
        while $mwc_j < $mwc_np
          eval "set $mwc_i = $mwc_p_%d", $mwc_j
          set $mwc_f = $mw_c[18 + 4 * $mwc_i]
          set $mwc_pc = $mw_c[16 + 4 * $mwc_i]
          if $mwc_f > 0 && ($mwc_f < $mwc_prev || ($mwc_f == $mwc_prev && $mwc_pc > $mwc_prevpc))
            if $mwc_best < 0
              set $mwc_best = $mwc_i
            else
              if $mwc_f > $mw_c[18 + 4 * $mwc_best] || ($mwc_f == $mw_c[18 + 4 * $mwc_best] && $mwc_pc < $mw_c[16 + 4 * $mwc_best])
                set $mwc_best = $mwc_i
              end
            end
          end
          set $mwc_j = $mwc_j + 1
        end
        if $mwc_best < 0
          set $mwc_k = 3
        else
          set $mwc_prev = $mw_c[18 + 4 * $mwc_best]
          set $mwc_prevpc = $mw_c[16 + 4 * $mwc_best]
          printf "memwatch:   %llu by ", $mwc_prev
          output/a (void *) $mwc_prevpc
          printf ", touching "
          set print symbol-filename off
          output/a (void *) $mw_c[17 + 4 * $mwc_best]
          set print symbol-filename on
          printf "\n"
          if $mwc_k == 0
            set $mwc_hot = $mwc_best
          end
          set $mwc_k = $mwc_k + 1
        end
      end
      # They dominate: more of them than records, and many.
      if $mwc_n >= 1000 && $mwc_n > $mw_log_head - $mw_log_base && $mwc_prev != 0xffffffffffffffff
        printf "memwatch: most faults were on a neighbour: "
        set print symbol-filename off
        output/a (void *) $mw_c[17 + 4 * $mwc_hot]
        printf ", on the page of watch %llu, is hot: watch a copy of the watched variable, or move it or its neighbour to a page of its own\n", $mw_c[19 + 4 * $mwc_hot]
      end
      if $mwc_symfn
        set print symbol-filename on
      else
        set print symbol-filename off
      end
    end
  end
end

# Internal: the line about dispatched system calls, when there are 1000 or
# more, with the three most made ($arg0 = 1: named by a call into the live
# process, else by number); then, once per session, when they outnumber
# the faults, what turning dispatch off trades.
define mw--cost-syscalls
  set $mwc_s = $mw_c[8]
  if $mwc_s >= 1000
    printf "memwatch: %llu system calls dispatched (one SIGSYS each while watches exist, under GDB a debugger stop)", $mwc_s
    if $mw_c[12] > 0
      printf ", about "
      mw--cost-time $mw_c[12]
      printf " (%.1f us each)", $mw_c[12] / 1000.0 / $mwc_s
    end
    # The numbers called, once over the table ($mwc_q_K), then the three
    # most called among them.
    set $mwc_nq = 0
    set $mwc_i = 0
    while $mwc_i < 512
      if $mw_c[656 + $mwc_i] != 0
        eval "set $mwc_q_%d = %d", $mwc_nq, $mwc_i
        set $mwc_nq = $mwc_nq + 1
      end
      set $mwc_i = $mwc_i + 1
    end
    set $mwc_prev = 0xffffffffffffffff
    set $mwc_prevnr = -1
    set $mwc_k = 0
    while $mwc_k < 3
      set $mwc_best = -1
      set $mwc_j = 0
      while $mwc_j < $mwc_nq
        eval "set $mwc_i = $mwc_q_%d", $mwc_j
        set $mwc_f = $mw_c[656 + $mwc_i]
        if $mwc_f < $mwc_prev || ($mwc_f == $mwc_prev && $mwc_i > $mwc_prevnr)
          if $mwc_best < 0 || $mwc_f > $mw_c[656 + $mwc_best]
            set $mwc_best = $mwc_i
          end
        end
        set $mwc_j = $mwc_j + 1
      end
      if $mwc_best < 0
        set $mwc_k = 3
      else
        set $mwc_prev = $mw_c[656 + $mwc_best]
        set $mwc_prevnr = $mwc_best
        if $mwc_k == 0
          printf ": "
        else
          printf ", "
        end
        set $mwc_name = 0
        if $arg0 && $mwc_best < 511
          mw--call-begin
          set $mwc_name = ((const char *(*)(long)) mw_syscall_name)($mwc_best)
          mw--call-end
        end
        if $mwc_name != 0
          printf "%s %llu", $mwc_name, $mwc_prev
        else
          if $mwc_best == 511
            printf "others %llu", $mwc_prev
          else
            printf "#%d %llu", $mwc_best, $mwc_prev
          end
        end
        set $mwc_k = $mwc_k + 1
      end
    end
    printf "\n"
    if $mw_cost_said == 0 && $mwc_s > $mw_c[5] + $mw_log_head - $mw_log_base
      set $mw_cost_said = 1
      printf "memwatch: most of the cost is system calls: `mwatch-set syscalls off` runs them at full speed, but the kernel's accesses to watched memory are then neither performed nor logged (a call that touches a watched page fails with EFAULT)\n"
    end
  end
end

# Internal: mwatch-list's lines about costs, after its table of watches
# (a live process with the library: its descriptor read directly, without
# mw--log-open's checks, which take half a second).
define mw--cost-list
  set $mw_log_ok = 0
  set $mw_d = (unsigned long long *) &mw_log_descriptor
  if $mw_d[0] == 0x31474f4c574d454d && $mw_d[1] == 1 && $mw_d[2] > 27 && $mw_d[2] < 4096 && $mw_d[6] != 0 && $mw_d[8] != 0
    set $mw_ring_words = $mw_d[2]
    set $mw_ring_head_at = $mw_d[6]
    set $mw_log_head = *(unsigned long long *) $mw_d[6]
    set $mw_log_base = *(unsigned long long *) $mw_d[8]
    set $mw_log_ok = 1
    mw--cost-open
    set $mw_log_ok = 0
    if $mw_cost_ok
      mw--cost-neighbours 1
      mw--cost-syscalls 1
    end
  end
end
document mw--cost-list
Internal: what the watches cost beyond their records, for mwatch-list.
Usage: mw--cost-list
end

# Internal: mwatch-log's last line, after mw--log-open and mw--log-range:
# the faults on neighbours, if any (no call into the process).
define mw--cost-footer
  mw--cost-open
  if $mw_cost_ok
    mw--cost-neighbours 0
  end
end
document mw--cost-footer
Internal: the faults on neighbours, for mwatch-log's footer.
Usage: mw--cost-footer (after mw--log-open and mw--log-range)
end

# Internal: mwatch-set syscalls on|off ($arg0: 1 or 0).  Before the program
# runs there is no library to ask: the environment does it.
define mw--set-syscalls
  mw--check-loaded
  if $mw_lib_loaded == 0
    printf "memwatch: no process with the library yet: `set environment MEMWATCH_SYSCALLS 0` before `run` starts the program with system call dispatch off\n"
  else
    mw--need-live mwatch-set
    if $mw_ok
      set $mw_sc_on = $arg0
      mw--call-begin
      set $mw_sc_was = ((int (*)(int)) mw_syscalls)($mw_sc_on)
      mw--call-end
      if $mw_sc_on
        printf "memwatch: system calls are dispatched while watches exist: the kernel's accesses to watched memory are performed and logged\n"
      else
        printf "memwatch: system calls run at full speed: those that touch a watched page fail with EFAULT, and the kernel's accesses are not logged\n"
      end
    end
  end
end
document mw--set-syscalls
Internal: mwatch-set syscalls on|off.
Usage: mw--set-syscalls 1|0
end

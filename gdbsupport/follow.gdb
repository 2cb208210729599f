# SPDX-License-Identifier: MIT
#
# follow.gdb - a section of memwatch.gdb (gdbsupport/local.mk): watches of
# expressions that follow what their address depends on (mwatch EXPR), as
# GDB's `watch EXPR` does.  Called from memwatch.gdb.in's mwatch (after
# the watch of the expression is made) and at the dependencies' stops.

# mwatch EXPR (no SIZE, no -l): as GDB's `watch EXPR`, the watch follows
# what the address of EXPR depends on: the pointer of ptr->val and *p, the
# index and a pointer base of a[i], at every level (p->q->v: p->q and p).
# Each of those is watched too (writes), with a breakpoint of its own
# whose commands (mw--follow) move the watch of EXPR to its new address
# when they change it, and stop, with the old and new value of EXPR, when
# that changed (a watch whose value stays the same goes on silently, as
# GDB's does).  A text is split by the characters GDB's command language
# can index ($mw_fx[i]); what is not an lvalue (a number, a cast) is not
# followed.

# Internal, after mwatch made the watch $mw_id of EXPR $mw_lvtext in slot
# $mw_k: its dependencies, as a list of texts to look at ($mw_fw_N, and
# $mw_fwd_N: 1 if it is one to watch), at most 16.
define mw--follow-setup
  set $mw_fk = $mw_k
  set $mw_fmid = $mw_id
  eval "set $mw_fexpr_%d = $mw_lvtext", $mw_fk
  eval "set $mw_faddr_%d = %lu", $mw_fk, $mw_addr
  eval "set $mw_fsize_%d = %lu", $mw_fk, $mw_size
  eval "set $mw_fflags_%d = %d", $mw_fk, $mw_flags
  eval "set $mw_fok_%d = 1", $mw_fk
  set $mw_fw_0 = $mw_lvtext
  set $mw_fwd_0 = 0
  set $mw_fwn = 1
  set $mw_fwi = 0
  set $mw_fnd = 0
  while $mw_fwi < $mw_fwn
    eval "set $mw_fx = $mw_fw_%d", $mw_fwi
    eval "set $mw_fxd = $mw_fwd_%d", $mw_fwi
    if $mw_fxd
      mw--follow-dep
    end
    mw--follow-scan
    set $mw_fwi = $mw_fwi + 1
  end
  eval "set $mw_fhas_%d = %d", $mw_fk, $mw_fnd
  # A local among them (cur->val, with cur a local): the watch ends when
  # its frame returns, as GDB's does (the first such frame's).
  set $mw_fj3 = 0
  eval "set $mw_fsc = $mw_sscope_%d", $mw_fk
  while $mw_fj3 < $mw_nslots && $mw_fsc == 0
    eval "set $mw_fdm = $mw_fmain_%d", $mw_fj3
    if $mw_fdm == $mw_fk
      eval "set $mw_addr = $mw_fdaddr_%d", $mw_fj3
      eval "set $mw_size = $mw_fdsize_%d", $mw_fj3
      set $mw_k = $mw_fk
      set $mw_id = $mw_fmid
      set $mw_sc_dep = 1
      mw--scope
      set $mw_sc_dep = 0
      eval "set $mw_fsc = $mw_sscope_%d", $mw_fk
    end
    set $mw_fj3 = $mw_fj3 + 1
  end
  set $mw_k = $mw_fk
  set $mw_id = $mw_fmid
end

# Internal: $mw_fl = the length of the text $mw_fx.
define mw--follow-len
  set $mw_fl = 0
  while $mw_fx[$mw_fl] != 0
    set $mw_fl = $mw_fl + 1
  end
end

# Internal: $mw_ft = the characters ARG0 to ARG1 - 1 of $mw_fx.
define mw--follow-sub
  set $mw_ft = $mw_fx
  set $mw_fi2 = 0
  while $arg0 + $mw_fi2 < $arg1
    set $mw_ft[$mw_fi2] = $mw_fx[$arg0 + $mw_fi2]
    set $mw_fi2 = $mw_fi2 + 1
  end
  set $mw_ft[$mw_fi2] = 0
end

# Internal: $mw_ft goes on the list, to watch if ARG0 and it looks like an
# lvalue (not a number, not a cast).
define mw--follow-push
  set $mw_fc = $mw_ft[0]
  if $mw_fwn < 16 && $mw_fc != 0 && !($mw_fc >= '0' && $mw_fc <= '9') && $mw_fc != '(' && $mw_fc != '-' && $mw_fc != '\''
    eval "set $mw_fw_%d = $mw_ft", $mw_fwn
    eval "set $mw_fwd_%d = %d", $mw_fwn, $arg0
    set $mw_fwn = $mw_fwn + 1
  end
  if $mw_fwn < 16 && $mw_fc == '(' && $arg0 == 0
    # (*p).v: the parenthesized base, looked at without its parentheses.
    eval "set $mw_fw_%d = $mw_ft", $mw_fwn
    eval "set $mw_fwd_%d = 0", $mw_fwn
    set $mw_fwn = $mw_fwn + 1
  end
end

# Internal: the parts of $mw_fx its address depends on, pushed.
define mw--follow-scan
  mw--follow-len
  set $mw_fa0 = 0
  set $mw_fa1 = $mw_fl
  # (X): X.
  if $mw_fl > 2 && $mw_fx[0] == '(' && $mw_fx[$mw_fl - 1] == ')'
    set $mw_fd = 0
    set $mw_fi = 0
    set $mw_fclose = -1
    while $mw_fi < $mw_fl && $mw_fclose < 0
      set $mw_fd = $mw_fd + ($mw_fx[$mw_fi] == '(') - ($mw_fx[$mw_fi] == ')')
      if $mw_fd == 0
        set $mw_fclose = $mw_fi
      end
      set $mw_fi = $mw_fi + 1
    end
    if $mw_fclose == $mw_fl - 1
      mw--follow-sub 1 $mw_fl-1
      set $mw_fx = $mw_ft
      mw--follow-len
    end
  end
  set $mw_fdone = 0
  if $mw_fl > 1 && $mw_fx[0] == '*'
    # *X: X.
    mw--follow-sub 1 $mw_fl
    mw--follow-push 1
    set $mw_fdone = 1
  end
  if $mw_fdone == 0 && $mw_fl > 2 && $mw_fx[$mw_fl - 1] == ']'
    # B[I]: I, and B if it is a pointer (an array is where it is).
    set $mw_fd = 0
    set $mw_fi = $mw_fl - 1
    set $mw_fopen = -1
    while $mw_fi >= 0 && $mw_fopen < 0
      set $mw_fd = $mw_fd + ($mw_fx[$mw_fi] == ']') - ($mw_fx[$mw_fi] == '[')
      if $mw_fd == 0
        set $mw_fopen = $mw_fi
      end
      set $mw_fi = $mw_fi - 1
    end
    if $mw_fopen > 0
      set $mw_fdone = 1
      mw--follow-sub $mw_fopen+1 $mw_fl-1
      mw--follow-push 1
      mw--follow-sub 0 $mw_fopen
      eval "set $mw_fptr = (unsigned long) &(%s) != (unsigned long) (%s)", $mw_ft, $mw_ft
      mw--follow-push $mw_fptr
    end
  end
  if $mw_fdone == 0
    # B->F: B; B.F: what B depends on.  The last one outside brackets.
    set $mw_fd = 0
    set $mw_fi = $mw_fl - 1
    set $mw_fsep = -1
    while $mw_fi > 0 && $mw_fsep < 0
      set $mw_fc = $mw_fx[$mw_fi]
      set $mw_fd = $mw_fd + ($mw_fc == ']' || $mw_fc == ')') - ($mw_fc == '[' || $mw_fc == '(')
      if $mw_fd == 0 && ($mw_fc == '.' || ($mw_fc == '>' && $mw_fx[$mw_fi - 1] == '-'))
        set $mw_fsep = $mw_fi
      end
      set $mw_fi = $mw_fi - 1
    end
    if $mw_fsep > 0
      if $mw_fx[$mw_fsep] == '.'
        mw--follow-sub 0 $mw_fsep
        mw--follow-push 0
      else
        mw--follow-sub 0 $mw_fsep-1
        mw--follow-push 1
      end
    end
  end
end

# Internal: watch the dependency $mw_fx of the watch in slot $mw_fk (its
# writes), with a breakpoint whose commands follow (mw--follow).
define mw--follow-dep
  eval "set $mw_addr = (unsigned long) &(%s)", $mw_fx
  eval "set $mw_size = (unsigned long) sizeof(%s)", $mw_fx
  set $mw_flags = 2
  mw--call-begin
  set $mw_id = ((int (*)(void *, unsigned long, unsigned int)) mw_watch)((void *) $mw_addr, $mw_size, $mw_flags)
  mw--call-end
  if $mw_id > 0
    set $mw_ws_quiet = 1
    set $mw_fthr = $mw_thrn
    set $mw_thrn = 0
    mw--watch-stop
    set $mw_thrn = $mw_fthr
    set $mw_ws_quiet = 0
    if $mw_sa != 0
      eval "set $mw_fmain_%d = %d", $mw_k, $mw_fk
      eval "set $mw_fdtext_%d = $mw_fx", $mw_k
      eval "set $mw_fdaddr_%d = %lu", $mw_k, $mw_addr
      eval "set $mw_fdsize_%d = %lu", $mw_k, $mw_size
      eval "set $mw_fdok_%d = 1", $mw_k
      mw--call-begin
      set $mw_r = ((int (*)(int, int, int, int, long long)) mw_gdb_watch_set)($mw_id, $mw_wbp, -2, 0, 0)
      mw--call-end
      commands $mw_wbp
        silent
        mw--follow
        if $mw_fstop == 0
          continue
        end
      end
      eval "printf \"memwatch: watch %%d follows %%s: watch %%d (breakpoint %%d) moves it when %%s changes\\n\", $mw_fmid, $mw_fexpr_%d, $mw_id, $mw_wbp, $mw_fx", $mw_fk
      set $mw_fnd = $mw_fnd + 1
    end
  else
    mw--strerror $mw_id
    eval "printf \"memwatch: watch %%d cannot follow %%s: %%s\\n\", $mw_fmid, $mw_fx, $mw_err"
  end
end

# Internal, in the commands of a dependency's breakpoint, at its stop
# (hook-stop made it: slot $mw_stop_k; in record-only mode too, the
# library stops for these): the watch of the expression moves
# to where the expression is now; $mw_fstop = whether its value changed
# (then reported, as GDB's watch reports it, and the program stays
# stopped).  An address that cannot be watched (a null pointer's) leaves
# the expression without a watch until it moves again.
define mw--follow
  set $mw_fstop = 0
  eval "set $mw_fk = $mw_fmain_%d", $mw_stop_k
  if $mw_fk >= 0
    eval "set $mw_fe = $mw_fexpr_%d", $mw_fk
    eval "set $mw_fo = $mw_faddr_%d", $mw_fk
    eval "set $mw_fs = $mw_fsize_%d", $mw_fk
    eval "set $mw_ffl = $mw_fflags_%d", $mw_fk
    eval "set $mw_fwas = $mw_fok_%d", $mw_fk
    eval "set $mw_fi = $mw_sid_%d", $mw_fk
    mw--follow-deps
    eval "set $mw_fn = (unsigned long) &(%s)", $mw_fe
    if $mw_fn != $mw_fo
      mw--call-begin
      if $mw_fwas
        set $mw_r = ((int (*)(int)) mw_unwatch)($mw_fi)
      end
      set $mw_fni = ((int (*)(void *, unsigned long, unsigned int)) mw_watch)((void *) $mw_fn, $mw_fs, $mw_ffl)
      if $mw_fni > 0
        set $mw_r = ((int (*)(int, int, unsigned long)) mw_gdb_watch_rebind)($mw_fi, $mw_fni, $mw_fn)
      end
      mw--call-end
      set $mw_fnow = $mw_fni > 0
      if $mw_fnow
        eval "set $mw_sid_%d = %d", $mw_fk, $mw_fni
      end
      set $mw_fdiff = $mw_fwas != $mw_fnow
      if $mw_fwas && $mw_fnow
        set $mw_fj = 0
        while $mw_fj < $mw_fs && $mw_fdiff == 0
          set $mw_fdiff = *(unsigned char *) ($mw_fo + $mw_fj) != *(unsigned char *) ($mw_fn + $mw_fj)
          set $mw_fj = $mw_fj + 1
        end
      end
      eval "set $mw_faddr_%d = %lu", $mw_fk, $mw_fn
      eval "set $mw_fok_%d = %d", $mw_fk, $mw_fnow
      # (Record-only: the watch moves, and the program goes on.)
      if $mw_fdiff && $mw_stop_mode != 0
        set $mw_fstop = 1
        if $mw_fnow
          printf "\nmemwatch: watch %d: %s is now watch %d, at ", $mw_fi, $mw_fe, $mw_fni
          output/a (void *) $mw_fn
        else
          printf "\nmemwatch: watch %d: %s is now at 0x%lx, which cannot be watched: unwatched until it moves", $mw_fi, $mw_fe, $mw_fn
        end
        printf "\nOld value = "
        if $mw_fwas
          eval "output {__typeof__(%s)} %lu", $mw_fe, $mw_fo
        else
          printf "<unreadable>"
        end
        printf "\nNew value = "
        if $mw_fnow
          eval "output {__typeof__(%s)} %lu", $mw_fe, $mw_fn
        else
          printf "<unreadable>"
        end
        printf "\n"
        mw--print-frame 1
      end
    end
  end
end

# Internal, in mw--follow: the watches of the dependencies of slot $mw_fk
# move too (list->next when list changed).
define mw--follow-deps
  set $mw_fj2 = 0
  while $mw_fj2 < $mw_nslots
    eval "set $mw_fdm = $mw_fmain_%d", $mw_fj2
    if $mw_fdm == $mw_fk
      eval "set $mw_fdt = $mw_fdtext_%d", $mw_fj2
      eval "set $mw_fdo = $mw_fdaddr_%d", $mw_fj2
      eval "set $mw_fds = $mw_fdsize_%d", $mw_fj2
      eval "set $mw_fdok2 = $mw_fdok_%d", $mw_fj2
      eval "set $mw_fdi2 = $mw_sid_%d", $mw_fj2
      eval "set $mw_fda2 = (unsigned long) &(%s)", $mw_fdt
      if $mw_fda2 != $mw_fdo
        mw--call-begin
        if $mw_fdok2
          set $mw_r = ((int (*)(int)) mw_unwatch)($mw_fdi2)
        end
        set $mw_fdn = ((int (*)(void *, unsigned long, unsigned int)) mw_watch)((void *) $mw_fda2, $mw_fds, 2)
        if $mw_fdn > 0
          set $mw_r = ((int (*)(int, int, unsigned long)) mw_gdb_watch_rebind)($mw_fdi2, $mw_fdn, $mw_fda2)
        end
        mw--call-end
        if $mw_fdn > 0
          eval "set $mw_sid_%d = %d", $mw_fj2, $mw_fdn
        end
        eval "set $mw_fdaddr_%d = %lu", $mw_fj2, $mw_fda2
        eval "set $mw_fdok_%d = %d", $mw_fj2, $mw_fdn > 0
      end
    end
    set $mw_fj2 = $mw_fj2 + 1
  end
end

# Internal: the dependencies' watches of slot ARG0 go (their watches too
# if ARG1).
define mw--follow-drop
  set $mw_fdj = 0
  while $mw_fdj < $mw_nslots
    eval "set $mw_fdm = $mw_fmain_%d", $mw_fdj
    eval "set $mw_fdi = $mw_sid_%d", $mw_fdj
    if $mw_fdm == $arg0 && $mw_fdi != 0
      if $arg1
        mw--call-begin
        set $mw_r = ((int (*)(int)) mw_unwatch)($mw_fdi)
        set $mw_r = ((int (*)(int)) mw_gdb_watch_release)($mw_fdi)
        mw--call-end
      end
      eval "set $mw_fmain_%d = -1", $mw_fdj
      eval "set $mw_fdb = $mw_sbp_%d", $mw_fdj
      eval "set $mw_sbp_%d = 0", $mw_fdj
      eval "set $mw_sid_%d = 0", $mw_fdj
      if $mw_fdb != 0
        eval "pipe info breakpoints %d | grep '^%d ' > /dev/null", $mw_fdb, $mw_fdb
        if $_shell_exitcode == 0
          eval "delete %d", $mw_fdb
        end
      end
    end
    set $mw_fdj = $mw_fdj + 1
  end
end


# SPDX-License-Identifier: MIT
# A thread stopped inside one of the library's generated stubs (the
# instruction re-encoded for the alias) has an unbroken backtrace: the stub
# area is registered through GDB's JIT interface with its unwind rules, so
# `bt` goes from memwatch_stub through the library's handler and the signal
# frame to the program's store() and main() (target: crash.c).
set filename-display basename
break crash.c:45
run
mwatch -l watched
mwatch-stop off
break mw_x86_run
continue
delete
set $n = 0
while $pc != (unsigned long) memwatch_stub && $n < 100
  pipe stepi | cat > /dev/null
  set $n = $n + 1
end
x/i $pc
# The library's own frames in between depend on its inlining: show the
# ends of the chain, which must all be there.
pipe bt | grep -E "memwatch_stub|signal handler called| store | main " | sed "s/^#[0-9]* *//"
print watched
kill

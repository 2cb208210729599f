#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# newui.py GDB GDBFILE PROG MIFILE: a front end that adds a GDB/MI channel
# to a CLI session (`new-ui mi TTY`, as VS Code's and Emacs' do): GDB runs
# with the CLI on a pipe, the MI commands of MIFILE are written to a
# pseudo-terminal of its own; prints what the MI channel got, then what
# the console printed (after "=== the console").  For tests/t-gdb.sh.
import os
import pty
import select
import subprocess
import sys
import time
import tty

gdb, gdbfile, prog, mifile = sys.argv[1:5]
master, slave = pty.openpty()
tty.setraw(slave)               # no echo, no line editing
name = os.ttyname(slave)
cli = subprocess.Popen([gdb, "-nx", "-q", "-x", gdbfile, "-ex", "new-ui mi " + name, prog],
                       stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT)
out = b""
deadline = time.time() + 60
# The commands once the MI channel is up (its first prompt): GDB sets the
# terminal up as it opens it, which would drop what was written before.
while b"(gdb)" not in out and time.time() < deadline:
    r, _, _ = select.select([master], [], [], 1.0)
    if r:
        out += os.read(master, 65536)
os.close(slave)                 # GDB's is the only one left: EIO when it exits
with open(mifile, "rb") as f:
    os.write(master, f.read())
while time.time() < deadline:
    r, _, _ = select.select([master], [], [], 1.0)
    if not r:
        if cli.poll() is not None:
            break
        continue
    try:
        data = os.read(master, 65536)
    except OSError:             # EIO: GDB closed the terminal (it exited)
        break
    if not data:
        break
    out += data
try:
    cli.stdin.close()
    cli.wait(timeout=max(1, deadline - time.time()))
except subprocess.TimeoutExpired:
    cli.kill()
    cli.wait()
console = cli.stdout.read()
sys.stdout.write(out.decode(errors="replace").replace("\r\n", "\n"))
sys.stdout.write("=== the console\n")
# (The console's prompt, printed once when it starts, is not followed by a
# newline: the next line would begin with it.)
sys.stdout.write(console.decode(errors="replace").replace("(gdb) ", ""))

# SPDX-License-Identifier: MIT
# trace-check.py - checks a timeline of tests/trace-prog (memwatch --trace,
# mwatch-log -trace in GDB) against what the program did.  Prints one line
# per test point, always the same 10: "0 WHAT" (ok) or "1 WHAT: WHY", for
# the shell test to turn into TAP.
#
# Usage: python3 trace-check.py TRACE BASE MAIN WRITER READER WATCHNAME WRITERNAME
#   BASE      the address of tr_slots (hex)
#   MAIN ...  the threads' ids (trace-prog's "TIDS" line)
#   WATCHNAME what the events call the watch ("tr_slots:rw" for the command)
#   WRITERNAME the threads' expected names: "-" for "thread TID" (the
#             command; a core file), "@named" for the names trace-prog
#             gives them (GDB on the live process)
import json
import sys

path, base, main, writer, reader, wname, writer_name = sys.argv[1:8]
base = int(base, 16)
main, writer, reader = int(main), int(writer), int(reader)
points = []


def point(what, why):
    points.append("%d %s%s" % (1 if why else 0, what, ": " + why if why else ""))


# (offset in tr_slots, kind, size, old, new or value, thread): trace-prog.c
want = [
    (0, "write", 4, "00 00 00 00", "44 33 22 11", main),
    (0, "read", 4, None, "44 33 22 11", main),
    (4, "write", 4, "00 00 00 00", "a0 00 00 00", writer),
    (4, "write", 4, "a0 00 00 00", "a1 00 00 00", writer),
    (4, "write", 4, "a1 00 00 00", "a2 00 00 00", writer),
    (4, "read", 4, None, "a2 00 00 00", reader),
    (8, "rmw", 4, "07 00 00 00", "0c 00 00 00", main),
    (8, "write", 8, "0c 00 00 00 00 00 00 00", "03 00 00 00 04 00 00 00", main),
    (12, "kernel-write", 4, "04 00 00 00", "21 22 23 24", main),
]


def reject(c):
    raise ValueError("not JSON: " + c)


try:
    with open(path, "rb") as f:
        raw = f.read()
    doc = json.loads(raw.decode("utf-8", "strict"), parse_constant=reject)
    point("the file is valid JSON in UTF-8", None)
except Exception as e:  # noqa: BLE001 - any failure is the point's
    point("the file is valid JSON in UTF-8", str(e)[:300])
    for i in range(9):
        point("(not checked: no JSON)", "no JSON")
    print("\n".join(points))
    sys.exit(0)

ev = doc.get("traceEvents") if isinstance(doc, dict) else None
if not isinstance(ev, list):
    ev = []
    point("a traceEvents array", "none")
else:
    point("a traceEvents array", None)

inst = [e for e in ev if isinstance(e, dict) and e.get("ph") == "i"]
meta = [e for e in ev if isinstance(e, dict) and e.get("ph") == "M"]
bad = [e for e in ev if not isinstance(e, dict) or e.get("ph") not in ("i", "M")
       or not isinstance(e.get("pid"), int) or not isinstance(e.get("tid"), int)
       or not isinstance(e.get("name"), str) or not isinstance(e.get("args"), dict)]
bad += [e for e in inst if e.get("s") != "t" or not isinstance(e.get("ts"), (int, float))]
point("every event has ph, name, pid, tid, args; instant events s t and ts",
      "%d bad, the first %r" % (len(bad), bad[0]) if bad else None)

point("one instant event per record: %d" % len(want),
      None if len(inst) == len(want) else "%d" % len(inst))

why = None
for i, (w, e) in enumerate(zip(want, inst)):
    a = e.get("args", {})
    off, kind, size, old, new, tid = w
    got = (int(str(a.get("address", "0")), 16) - base, a.get("kind"), a.get("size"),
           a.get("old"), a.get("value") if kind == "read" else a.get("new"), e.get("tid"))
    if got != w or e.get("cat") != kind:
        why = "event %d is %r, wants %r" % (i + 1, got, w)
        break
point("each record's kind, address, size, values and thread", why)

seqs = [e.get("args", {}).get("seq") for e in inst]
ts = [e.get("ts") for e in inst]
ok = all(isinstance(s, int) for s in seqs) and seqs == sorted(set(seqs)) and ts == sorted(ts)
point("oldest first: seq increasing, ts not decreasing", None if ok else "%r %r" % (seqs, ts))

pids = {e.get("pid") for e in ev}
point("one process, pid %d" % main, None if pids == {main} else "%r" % pids)

names = {e.get("tid"): e.get("args", {}).get("name") for e in meta if e.get("name") == "thread_name"}
wn = "thread %d" % writer if writer_name == "-" else "wr\"it\\er\x01\u00ff"
rn = "thread %d" % reader if writer_name == "-" else "reader"
why = None
if names.get(writer) != wn or names.get(reader) != rn or not names.get(main):
    why = "%r" % names
point("one named track per thread", why)

procs = [e for e in meta if e.get("name") == "process_name"]
point("the process named", None if len(procs) == 1 and procs[0]["args"].get("name") else "%r" % procs)

why = None
for e in inst:
    n = "%s %s" % (e["args"].get("kind"), wname)
    if e.get("name") != n or e["args"].get("watch") != 1:
        why = "%r, wants %r of watch 1" % (e.get("name"), n)
        break
    fr = e["args"].get("frames")
    fn = "writer" if e.get("tid") == writer else "reader" if e.get("tid") == reader else "main"
    # The kernel's write: read() in the C library, called by main.
    top = fr[1] if isinstance(fr, list) and len(fr) > 1 and e["args"].get("kind") == "kernel-write" \
        else fr[0] if isinstance(fr, list) and fr else ""
    if fn not in str(top) or "trace-prog.c:" not in str(top):
        why = "frames %r: %s at trace-prog.c is missing" % (fr, fn)
        break
point("events named by their watch, frames symbolized", why)
print("\n".join(points))

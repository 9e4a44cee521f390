#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Split each swap's window (the DM_DEV_SUSPEND ioctl of one `vmhop dm swap`)
into on-CPU time, time preempted while runnable (sched_switch prev_state R/R+)
and time asleep (D, S), from an ftrace text dump with the events
sched:sched_switch, syscalls:sys_enter_ioctl, syscalls:sys_exit_ioctl and
trace_marker lines "=== LABEL" written before each swap (tools/bench/bridge.sh
--trace).  Usage: bridge-trace.py TRACE"""
import re, sys, statistics as st, collections

DM_DEV_SUSPEND = 0xc138fd06
ev = re.compile(r"^\s*(.+?)-(\d+)\s+\[\d+\]\s+\S+\s+([\d.]+):\s+(\w+):?\s*(.*)$")
label, plabel = None, {}
open_ioctl, win = {}, {}
off = {}            # pid -> (t, state) when switched out
rows = []
for line in open(sys.argv[1], errors="replace"):
    m = ev.match(line)
    if not m:
        continue
    comm, pid, t, name, rest = m.group(1).strip(), int(m.group(2)), float(m.group(3)), m.group(4), m.group(5)
    if name == "tracing_mark_write":
        lm = re.search(r"=== (.*)", rest)
        if lm:
            label = lm.group(1).rsplit(" ", 1)[0]
        continue
    if name == "sys_ioctl" and "cmd:" in rest:
        cmd = int(re.search(r"cmd: ([0-9a-f]+)", rest).group(1), 16)
        if cmd == DM_DEV_SUSPEND and comm == "vmhop":
            open_ioctl[pid] = t
            win[pid] = collections.Counter()
            plabel[pid] = label
        continue
    if name == "sys_ioctl" and "->" in rest and pid in open_ioctl:
        t0 = open_ioctl.pop(pid)
        c = win.pop(pid)
        rows.append((plabel[pid], (t - t0) * 1e3, c))
        continue
    if name == "sched_switch":
        pp = int(re.search(r"prev_pid=(\d+)", rest).group(1))
        st_ = re.search(r"prev_state=(\S+)", rest).group(1)
        np_ = int(re.search(r"next_pid=(\d+)", rest).group(1))
        ncomm = re.search(r"next_comm=(.*?) next_pid", rest).group(1)
        if pp in win:
            off[pp] = (t, "preempted" if st_.startswith("R") else "asleep-" + st_[0])
        if np_ in off and np_ in win:
            t1, why = off.pop(np_)
            win[np_][why] += (t - t1) * 1e3
by = collections.defaultdict(list)
for lab, w, c in rows:
    by[lab].append((w, c))
print("%-20s %3s %8s %8s %10s %8s %8s" % ("case", "n", "win-med", "win-max", "preempt-med", "D-med", "S-med"))
for lab in sorted(by):
    v = by[lab]
    med = lambda xs: st.median(xs) if xs else 0
    print("%-20s %3d %8.2f %8.2f %10.2f %8.2f %8.2f" % (lab, len(v), med([w for w, _ in v]), max(w for w, _ in v),
          med([c["preempted"] for _, c in v]), med([c["asleep-D"] for _, c in v]),
          med([c["asleep-S"] for _, c in v])))
print("per swap (ms): case window preempted asleep-D asleep-S")
for lab, w, c in rows:
    print("  %-20s %7.2f %7.2f %7.2f %7.2f" % (lab, w, c["preempted"], c["asleep-D"], c["asleep-S"]))

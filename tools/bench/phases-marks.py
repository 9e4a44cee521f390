#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# Summarise the traces of `tools/bench/phases.sh --marks DIR` (or --strace):
# per command, its length under strace, when its role lookup, libvirt and
# liblvm2cmd began, and counts that do not depend on the machine's load:
# rtnetlink dumps (link RTM_GETLINK, address RTM_GETADDR), LVM commands
# (each opens /run/lvm/hints read-write once: one device scan), libvirt
# loads, DRBD genl sockets, journal writes.
#   tools/bench/phases-marks.py DIR/*.trace
import re
import sys


def events(path):
    out = []
    for line in open(path, errors="replace"):
        m = re.match(r"(\d+)\s+(\d+\.\d+)\s+(.*)", line)
        if m:
            out.append((float(m.group(2)), m.group(3)))
    return out


print("| trace | ms | link dumps | addr dumps | LVM commands | libvirt loaded at | liblvm2cmd loaded at | genl sockets | journal writes |")
print("|---|---|---|---|---|---|---|---|---|")
for path in sys.argv[1:]:
    ev = events(path)
    if not ev:
        continue
    t0 = ev[0][0]

    def at(pred):
        for t, s in ev:
            if pred(s):
                return "%.0f" % ((t - t0) * 1000)
        return "-"
    link = sum(1 for _, s in ev if s.startswith("sendto(") and "nlmsg_type=0x12" in s)
    addr = sum(1 for _, s in ev if s.startswith("sendto(") and "nlmsg_type=0x16" in s)
    lvm = sum(1 for _, s in ev if '"/run/lvm/hints", O_RDWR' in s)
    genl = sum(1 for _, s in ev if s.startswith("socket(") and "NETLINK_GENERIC" in s)
    jw = sum(1 for _, s in ev if ".journal.tmp" in s and s.startswith("openat("))
    print("| %s | %.0f | %d | %d | %d | %s | %s | %d | %d |" % (
        path.split("/")[-1].replace(".trace", ""), (ev[-1][0] - t0) * 1000, link, addr, lvm,
        at(lambda s: 'libvirt.so.0"' in s), at(lambda s: "liblvm2cmd.so" in s), genl, jw))

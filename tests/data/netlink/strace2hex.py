#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Turn `strace -f -yy -e read=all -e write=all` output of a netlink client into hex files.

Usage: strace2hex.py TRACE OUTDIR PREFIX
Writes OUTDIR/PREFIX-NN-req.hex for every datagram written to a netlink
socket and OUTDIR/PREFIX-NN-reply.hex with the datagrams read back before
the next request (separated by "--" lines, as tests/unit/support_netlink.c
reads them).  Only calls on sockets strace annotates as NETLINK count; the
bytes come from strace's full hex dumps (-e read=/write=), not from its
decoded view; MSG_PEEK reads are skipped (the same datagram is read again).
"""
import re
import sys

SEND = ("write", "send", "sendto", "sendmsg")
RECV = ("read", "recv", "recvfrom", "recvmsg")
CALL = re.compile(r'^(?:\d+\s+)?(\w+)\((\d+)<NETLINK:[^>]*>, (.*)\) += (-?\d+)')
DUMP = re.compile(r'^(?:\d+\s+)? \| ([0-9a-f]{5})  (.{48})')


def main():
    trace, outdir, prefix = sys.argv[1:4]
    pairs = []  # [request bytes, [reply datagrams]]
    cur = None  # (kind, bytearray) of the call whose dump follows
    for line in open(trace):
        d = DUMP.match(line)
        if d:
            if cur is not None:
                cur[1].extend(int(x, 16) for x in d.group(2).split())
            continue
        if line.lstrip("0123456789 ").startswith("* "):
            continue  # " * 716 bytes in buffer 0" before a recvmsg's dump
        cur = None
        m = CALL.match(line)
        if not m:
            continue
        call, args, ret = m.group(1), m.group(3), int(m.group(4))
        if ret <= 0 or "MSG_PEEK" in args:
            continue
        if call in SEND:
            pairs.append([bytearray(), []])
            cur = ("req", pairs[-1][0])
        elif call in RECV and pairs:
            pairs[-1][1].append(bytearray())
            cur = ("reply", pairs[-1][1][-1])

    def dump(f, b):
        for i in range(0, len(b), 16):
            f.write(" ".join("%02x" % x for x in b[i:i + 16]) + "\n")

    for n, (req, replies) in enumerate(pairs):
        with open("%s/%s-%02d-req.hex" % (outdir, prefix, n), "w") as f:
            f.write("# %s request %d, recorded from the real kernel (strace)\n" % (prefix, n))
            dump(f, req)
        with open("%s/%s-%02d-reply.hex" % (outdir, prefix, n), "w") as f:
            f.write("# %s reply to request %d, recorded from the real kernel (strace)\n" % (prefix, n))
            for i, r in enumerate(replies):
                if i:
                    f.write("--\n")
                dump(f, r)
    print("%s: %d requests" % (prefix, len(pairs)))


if __name__ == "__main__":
    main()

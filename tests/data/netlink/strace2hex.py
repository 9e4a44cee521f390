#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Turn `strace -f -xx -yy -s 65535` output of a netlink client into hex files.

Usage: strace2hex.py TRACE OUTDIR PREFIX
Writes OUTDIR/PREFIX-NN-req.hex for every datagram written to a netlink
socket and OUTDIR/PREFIX-NN-reply.hex with the datagrams read back before
the next request (separated by "--" lines, as tests/unit/support_netlink.c
reads them).  Only calls on sockets strace annotates as NETLINK count.
"""
import re
import sys

SEND = ("write", "send", "sendto", "sendmsg")
RECV = ("read", "recv", "recvfrom", "recvmsg")
CALL = re.compile(r'^(?:\d+\s+)?(\w+)\((\d+)<NETLINK:[^>]*>, (.*)\) = (-?\d+)')
STR = re.compile(r'"((?:\\x[0-9a-f]{2})*)"')


def data(args, ret):
    m = STR.search(args)
    if not m:
        return None
    raw = bytes(int(h, 16) for h in m.group(1).split("\\x")[1:])
    return raw[:ret]


def main():
    trace, outdir, prefix = sys.argv[1:4]
    pairs = []  # [request bytes, [reply datagrams]]
    for line in open(trace):
        m = CALL.match(line)
        if not m:
            continue
        call, _fd, args, ret = m.group(1), m.group(2), m.group(3), int(m.group(4))
        if ret <= 0:
            continue
        b = data(args, ret)
        if b is None:
            continue
        if call in SEND:
            pairs.append([b, []])
        elif call in RECV and pairs:
            pairs[-1][1].append(b)

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

#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The lab guests run no syslog daemon: a stand-in that keeps what programs
send to /dev/log, for a scenario to read (vmhop's records, docs/events.md,
"The log").

    devlog.py FILE    bind /dev/log (a unix datagram socket, as journald's
                      and rsyslog's), append each message to FILE as one
                      line, until SIGTERM or SIGINT; then remove /dev/log

Only the one socket: no forwarding, no rotation.  A /dev/log that exists is
replaced (the guest has no other listener).
"""
import os
import signal
import socket
import sys

PATH = "/dev/log"


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: devlog.py FILE")
    out = open(sys.argv[1], "ab", buffering=0)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    try:
        os.unlink(PATH)
    except FileNotFoundError:
        pass
    s.bind(PATH)
    os.chmod(PATH, 0o666)

    def stop(signum, frame):
        try:
            os.unlink(PATH)
        finally:
            sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    while True:
        msg = s.recv(65536).rstrip(b"\0\n")
        out.write(msg.replace(b"\n", b" ") + b"\n")


main()

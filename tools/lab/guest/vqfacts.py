#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""vqfacts.py NAME: the busy VM's virtio-blk queue, as QEMU and the guest see it.

For a VM whose disk requests fail without QEMU counting a failed or invalid
write (busyvm's "ERR 0000000C": SeaBIOS's virtio-blk driver returns that for
any status but OK, and its status byte starts as UNSUPP, so a request it
reaps before QEMU completed it reads as failed).  One line each:
  - QEMU's queue state (x-query-virtio-queue-status): last avail index,
    used index, requests in use, the ring's addresses;
  - the ring's indices in guest memory: avail->idx (the driver's) and
    used->idx (the device's);
  - SeaBIOS's own last_used_idx, found in its struct vring_virtqueue (the
    struct vring {num, desc, avail, used} with the same addresses, then
    free_head and last_used_idx), searched for after the ring.
A used->idx ahead of last_used_idx while no request is in use means the
driver reaps completions that are not its requests': every request fails.
"""
import json
import re
import subprocess
import sys

VIRSH = ["virsh", "-q", "-c", "qemu:///system"]


def qmp(name, cmd, **args):
    msg = {"execute": cmd}
    if args:
        msg["arguments"] = args
    out = subprocess.run(VIRSH + ["qemu-monitor-command", name, json.dumps(msg)],
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out)["return"]


def words(name, addr, count, size="w"):
    """count words (w: 32-bit, h: 16-bit) of guest-physical memory at addr."""
    out = qmp(name, "human-monitor-command", **{"command-line": "xp /%d%sx 0x%x" % (count, size, addr)})
    vals = []
    for line in out.splitlines():
        if ":" in line:
            vals += [int(v, 16) for v in re.findall(r"0x[0-9a-f]+", line.split(":", 1)[1])]
    return vals


def main(name):
    devs = [d for d in qmp(name, "x-query-virtio") if d.get("name") == "virtio-blk"]
    if not devs:
        print("vqfacts: no virtio-blk device in %s" % name)
        return 1
    q = qmp(name, "x-query-virtio-queue-status", path=devs[0]["path"], queue=0)
    print("vqfacts: QEMU: last-avail-idx %d shadow-avail-idx %d used-idx %d inuse %d "
          "signalled-used %d num %d desc 0x%x avail 0x%x used 0x%x" %
          (q["last-avail-idx"], q["shadow-avail-idx"], q["used-idx"], q["inuse"],
           q["signalled-used"], q["vring-num"], q["vring-desc"], q["vring-avail"], q["vring-used"]))
    avail = words(name, q["vring-avail"], 2, "h")
    used = words(name, q["vring-used"], 2, "h")
    print("vqfacts: guest memory: avail flags %d idx %d; used flags %d idx %d" %
          (avail[0], avail[1], used[0], used[1]))
    # SeaBIOS's struct vring follows its ring (the ring is its first member)
    start = q["vring-used"] + 4 + 8 * q["vring-num"]
    mem = words(name, start, 256)
    pat = [q["vring-num"], q["vring-desc"], q["vring-avail"], q["vring-used"]]
    for i in range(len(mem) - 5):
        if mem[i:i + 4] == pat:
            free_head, last_used = mem[i + 4] & 0xffff, mem[i + 4] >> 16
            print("vqfacts: SeaBIOS at 0x%x: free_head %d last_used_idx %d (used idx %d ahead by %d)" %
                  (start + 4 * i, free_head, last_used, used[1], (used[1] - last_used) & 0xffff))
            return 0
    print("vqfacts: SeaBIOS's struct vring not found in 1 KiB after the ring at 0x%x" % start)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1]))
    except (subprocess.CalledProcessError, KeyError, ValueError, IndexError) as err:
        print("vqfacts: %s: %s" % (type(err).__name__, getattr(err, "stderr", "") or err))
        sys.exit(1)

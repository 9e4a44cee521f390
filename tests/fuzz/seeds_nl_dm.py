#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""(Re)make the seed corpora of fuzz_nl_* and fuzz_dm_* from tests/data:

  corpus/nl_ctrl/    nlctrl's answers to the family lookups (NAME-00-reply.hex)
  corpus/nl_reply/   the kernel's replies to DRBD requests (NAME-01/02-reply.hex):
                     every datagram, and each reply's datagrams back to back
  corpus/nl_events/  event datagrams (events-*, vmhop-events-*), FZ_SPLIT-joined
  corpus/dm_table/   tests/data/dm/*.bin (replies recorded from the lab kernel)
  corpus/dm_list/    DM_LIST_DEVICES replies in the kernel's list_devices() layout
  corpus/dm_info/    DM_DEV_STATUS / DM_VERSION reply headers

Run from the top of the tree: tests/fuzz/seeds_nl_dm.py"""
import glob, hashlib, os, re, struct

DATA = "tests/data"
OUT = "tests/fuzz/corpus"
SPLIT = b"\xff\xfe\xfd\xfc"
HDR = struct.Struct("<3I I I I i I I I Q 128s 129s 7s")   # struct dm_ioctl, 312 bytes


def datagrams(path):
    parts, cur = [], bytearray()
    for line in open(path):
        if line.startswith("#"):
            continue
        if line.startswith("--"):
            parts.append(bytes(cur))
            cur = bytearray()
            continue
        cur += bytes(int(x, 16) for x in line.split())
    parts.append(bytes(cur))
    return [normalise(p) for p in parts if p]


def normalise(d):
    """seq and pid are the recording process's (the harness renumbers): zero them."""
    b, off = bytearray(d), 0
    while off + 16 <= len(b):
        n = struct.unpack_from("<I", b, off)[0]
        if n < 16 or n > len(b) - off:
            break
        b[off + 8:off + 16] = bytes(8)
        off += (n + 3) & ~3
    return bytes(b)


def put(kind, blob, seen):
    d = os.path.join(OUT, kind)
    os.makedirs(d, exist_ok=True)
    h = hashlib.sha1(blob).hexdigest()[:16]
    if h in seen:
        return
    seen.add(h)
    with open(os.path.join(d, h), "wb") as f:
        f.write(blob)


def dm_header(data_size, flags=0, target_count=0, name=b"", uuid=b"", dev=0, open_count=0):
    return HDR.pack(4, 48, 0, data_size, HDR.size, target_count, open_count, flags, 0, 0, dev,
                    name, uuid, b"")


def dm_list(devs):
    body = bytearray()
    prev = None
    for major, minor, name, uuid in devs:
        at = len(body)
        if prev is not None:
            struct.pack_into("<I", body, prev + 8, at - prev)
        kdev = (minor & 0xff) | (major << 8) | ((minor & ~0xff) << 12)
        body += struct.pack("<QI", kdev, 0) + name + b"\0"
        body += b"\0" * (-len(body) % 8)
        body += struct.pack("<II", 3, 4 if uuid else 8)    # event_nr, HAS_UUID / DOESNT_HAVE
        if uuid:
            body += uuid + b"\0"
        body += b"\0" * (-len(body) % 8)
        prev = at
    return dm_header(HDR.size + len(body)) + bytes(body)


def main():
    seen = set()
    for p in sorted(glob.glob(DATA + "/netlink/*-00-reply.hex")):
        for d in datagrams(p):
            put("nl_ctrl", d, seen)
    # the module is not loaded: NLMSG_ERROR -ENOENT echoing a 36-byte request
    put("nl_ctrl", struct.pack("<IHHII", 36, 2, 0x100, 0, 0) + struct.pack("<i", -2) +
        struct.pack("<IHHII", 36, 0x10, 5, 0, 0), seen)
    for p in sorted(glob.glob(DATA + "/netlink/*-0[12]-reply.hex")):
        if "events" in p:
            continue
        ds = datagrams(p)
        for d in ds:
            put("nl_reply", d, seen)
        if len(ds) > 1:
            put("nl_reply", b"".join(ds), seen)
    for p in sorted(glob.glob(DATA + "/netlink/*events-0[12]-reply.hex")):
        ds = datagrams(p)
        put("nl_events", SPLIT.join(ds), seen)
        for d in ds:
            put("nl_events", d, seen)
    for p in sorted(glob.glob(DATA + "/dm/*.bin")):
        put("dm_table", open(p, "rb").read(), seen)
    put("dm_list", dm_list([(254, 0, b"vg-lv", b"LVM-xyz"), (254, 1, b"vg-lv.copy",
                             b"VMHOP-vg-lv.copy"), (254, 300, b"nouuid", None)]), seen)
    put("dm_list", dm_header(HDR.size), seen)                       # no devices (6.1)
    put("dm_list", dm_header(HDR.size, flags=1 << 8), seen)         # DM_BUFFER_FULL_FLAG
    put("dm_info", dm_header(305, flags=(1 << 1) | (1 << 5), name=b"vg-lv", uuid=b"LVM-xyz",
                             dev=(254 << 8) | 3, open_count=2, target_count=1), seen)
    put("dm_info", dm_header(305), seen)


main()

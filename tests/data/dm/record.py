#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Record raw device-mapper ioctl replies from a real kernel (run as root in
the lab) so that unit tests parse what the kernel really sends.

    record.py DMNAME OUTDIR

writes OUTDIR/table-status-frag.bin (DM_TABLE_STATUS with DM_STATUS_TABLE_FLAG,
16 KiB buffer, the bytes the kernel filled) and OUTDIR/table-status-full.bin
(the same with a buffer too small: the kernel answers DM_BUFFER_FULL_FLAG).
The matching text is `dmsetup table DMNAME` (the caller saves it)."""
import fcntl, os, struct, sys

HDR = struct.Struct("<3I I I I i I I I Q 128s 129s 7s")   # struct dm_ioctl, 312 bytes
assert HDR.size == 312
DM_TABLE_STATUS = 0xC138FD0C
DM_STATUS_TABLE_FLAG = 1 << 4

def table_status(fd, name, size):
    buf = bytearray(size)
    HDR.pack_into(buf, 0, 4, 0, 0, size, HDR.size, 0, 0, DM_STATUS_TABLE_FLAG, 0, 0, 0,
                  name.encode(), b"", b"")
    fcntl.ioctl(fd, DM_TABLE_STATUS, buf, True)
    data_size = struct.unpack_from("<I", buf, 12)[0]
    return bytes(buf[:max(data_size, HDR.size)])

def main():
    name, out = sys.argv[1], sys.argv[2]
    fd = os.open("/dev/mapper/control", os.O_RDWR)
    with open(os.path.join(out, "table-status-frag.bin"), "wb") as f:
        f.write(table_status(fd, name, 16384))
    with open(os.path.join(out, "table-status-full.bin"), "wb") as f:
        f.write(table_status(fd, name, HDR.size + 48))
    os.close(fd)

main()

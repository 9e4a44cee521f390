#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Benchmark: what it costs to start vmhop, against drbdsetup-84.  Each
# command runs N times (30), the commands in turn; for each the median CPU
# time (user + system of the child, from wait4) and the median wall time:
#   drbdsetup-84 --help
#   vmhop --help              no libvirt, no libxml2
#   vmhop dm ls               the same, plus a device-mapper ioctl
#   vmhop virt state test     loads libvirt; libvirt's in-process test
#                             driver (test:///default), so no libvirtd needed
# Then checks that --help and dm ls load no libvirt (ldd, LD_DEBUG=files).
#
#   tools/bench/startup.sh [N]             on this machine
#   tools/bench/startup.sh --lab [N]       in hv1 (lab started: tools/lab/lab.sh start)
#   VMHOP=path/to/vmhop tools/bench/startup.sh    another build
#   BASE=path/to/old/vmhop tools/bench/startup.sh  also an older build, in the same round robin
#
# Prints numbers; asserts nothing about speed.
set -euo pipefail

REPO=$(cd "$(dirname "$0")/../.." && pwd)
cd "$REPO"
if [ "${1:-}" = --lab ]; then
	shift
	exec "$REPO/tools/lab/lab.sh" run hv1 \
		"VMHOP=${VMHOP:-build/vmhop} BASE=${BASE:-} tools/bench/startup.sh ${1:-30}"
fi
N=${1:-30}
V=${VMHOP:-build/vmhop}
DRBDSETUP=$(command -v drbdsetup-84 || echo /usr/lib/drbd/drbdsetup-84)
PY=/usr/bin/python3
[ -x "$V" ] || { echo "startup.sh: no $V (make all)" >&2; exit 2; }
[ -x "$DRBDSETUP" ] || { echo "startup.sh: no drbdsetup-84" >&2; exit 2; }

B=${BASE:-}
cmds=("$DRBDSETUP --help")
for v in "$V" ${B:+"$B"}; do
	cmds+=("$v --help" "$v dm ls" "$v virt state test --uri test:///default")
done
echo "# $(uname -n), $(nproc) cpus, load $(cut -d' ' -f1-3 /proc/loadavg); $V: $(ldd "$V" | wc -l) shared libraries${B:+, $B: $(ldd "$B" | wc -l)}; median of $N"
"$PY" - "$N" "${cmds[@]}" <<'EOF'
import os, statistics, sys, time

n = int(sys.argv[1])
cmds = sys.argv[2:]
cpu = {c: [] for c in cmds}
wall = {c: [] for c in cmds}
codes = {c: set() for c in cmds}
# Round robin, so that a change in the machine's load hits every command alike.
for _ in range(n):
    for cmd in cmds:
        argv = cmd.split()
        t0 = time.perf_counter()
        pid = os.fork()
        if pid == 0:
            fd = os.open("/dev/null", os.O_WRONLY)
            os.dup2(fd, 1)
            os.dup2(fd, 2)
            os.execv(argv[0], argv)
        _, status, ru = os.wait4(pid, 0)
        wall[cmd].append(time.perf_counter() - t0)
        cpu[cmd].append(ru.ru_utime + ru.ru_stime)
        codes[cmd].add(os.waitstatus_to_exitcode(status))
rows = [(c, statistics.median(cpu[c]) * 1e3, statistics.median(wall[c]) * 1e3, codes[c]) for c in cmds]
ref = rows[0][1]
width = max(len(c) for c in cmds)
print("%-*s %9s %9s %6s  %s" % (width, "command", "cpu ms", "wall ms", "x cpu", "exit"))
for cmd, c, w, codes in rows:
    print("%-*s %9.2f %9.2f %6.1f  %s" % (width, cmd, c, w, c / ref, ",".join(map(str, sorted(codes)))))
EOF

loads() {	# the shared objects a command opens, by soname; fails as the command does
	LD_DEBUG=files "$@" 2>&1 >/dev/null |
		sed -n 's/.*file=\([^ ]*\) \[0\];  \(needed\|dynamically loaded\) by.*/\1/p' | sort -u
}
which_loaded() {	# which of the three big libraries @list names
	local l=$1 lib out=

	for lib in libvirt.so.0 libxml2.so.2 liblvm2cmd.so.2.03; do
		grep -qxF "$lib" <<<"$l" && out+=" ${lib%%.so*}"
	done
	echo "${out:- none of libvirt, libxml2, liblvm2cmd}"
}
echo "ldd $V: $(ldd "$V" | wc -l) shared libraries linked; of the big three:$(which_loaded "$(ldd "$V" | awk '{print $1}')")"
for cmd in "--help" "dm ls" "virt state test --uri test:///default"; do
	l=$(loads "$V" $cmd || true)	# the command's own failure (no device-mapper here) is not ours
	echo "$V $cmd: $(grep -c . <<<"$l") shared objects opened; of the big three:$(which_loaded "$l")"
done

# What the binary declares it loads on first use (systemd's .note.dlopen).
if command -v objcopy >/dev/null; then
	objcopy -O binary --only-section=.note.dlopen "$V" /dev/stdout 2>/dev/null | "$PY" -c '
import json, struct, sys
b = sys.stdin.buffer.read()
off = 0
while off + 12 <= len(b):
    nsz, dsz, typ = struct.unpack_from("<III", b, off)
    off += 12
    owner = b[off:off + nsz].rstrip(b"\0").decode()
    off += (nsz + 3) & ~3
    desc = b[off:off + dsz].rstrip(b"\0").decode()
    off += (dsz + 3) & ~3
    for f in json.loads(desc):
        print(".note.dlopen (%s 0x%x): %s %s %s" % (owner, typ, f["priority"], ",".join(f["soname"]), f["feature"]))
'
fi

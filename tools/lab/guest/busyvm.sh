#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The lab's busy test VM (runs inside a lab guest).
#
#   busyvm.sh create NAME [SIZE_MIB]   LV vg/NAME (200 MiB) holding the busyvm boot sector,
#                                      a libvirt domain NAME on it, started: it writes at once
#   busyvm.sh counter NAME             writes the VM has reported complete (serial log)
#   busyvm.sh wait-writes NAME N [S]   wait until the counter reaches N (S seconds, 60)
#   busyvm.sh check NAME               stop the VM and prove every completed write is on disk
#   busyvm.sh check-paused NAME        the same with the VM paused (QEMU drains its I/O
#                                      when it stops), then resumed: it writes on, and
#                                      a later check proves the writes since (ring: 8192)
#   busyvm.sh destroy NAME             stop, undefine, remove the LV
#
# The domain: type='qemu', 32 MiB, disk type='block' /dev/vg/NAME, virtio, cache='none',
# io='native', serial console appended to /var/log/libvirt/qemu/NAME.serial.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/../../.." && pwd)
BIN=${BUSYVM_BIN_DIR:-$REPO/build/lab-bin}
VIRSH="virsh -q -c qemu:///system"

serial() { echo "/var/log/libvirt/qemu/$1.serial"; }

xml() {
	cat <<XML
<domain type='qemu'>
  <name>$1</name>
  <memory unit='MiB'>32</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type><boot dev='hd'/></os>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>destroy</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <disk type='block' device='disk'>
      <driver name='qemu' type='raw' cache='none' io='native'/>
      <source dev='/dev/vg/$1'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <serial type='file'>
      <source path='$(serial "$1")' append='on'/>
      <target port='0'/>
    </serial>
    <memballoon model='none'/>
  </devices>
</domain>
XML
}

# qemu_facts NAME: the running QEMU's block descriptors (device numbers, open
# flags), QEMU's statistics of the disk, the LV's node and size now, the disk's
# virtio queue (vqfacts.py).
qemu_facts() {
	local - pid fd
	set +e	# a record: every line it can get
	pid=$(cat "/run/libvirt/qemu/$1.pid")
	echo "busyvm: QEMU pid $pid, its block devices:"
	for fd in /proc/"$pid"/fd/*; do
		[ -b "$fd" ] || continue
		echo "  fd ${fd##*/} -> $(readlink "$fd") dev $(stat -L -c '%t:%T' "$fd") $(grep -E '^flags' "/proc/$pid/fdinfo/${fd##*/}" | tr -s '\t ' ' ')"
	done
	echo "busyvm: /dev/vg/$1 -> $(readlink -f "/dev/vg/$1") dev $(stat -L -c '%t:%T' "/dev/vg/$1"), $(blockdev --getsize64 "/dev/vg/$1") bytes"
	echo "busyvm: QEMU's blockstats: $($VIRSH qemu-monitor-command "$1" '{"execute":"query-blockstats"}' |
		python3 -c 'import json,sys; s=json.load(sys.stdin)["return"][0]["stats"]; print({k: v for k, v in s.items() if "wr_" in k and "time" not in k})')"
	echo "busyvm: QEMU's block: $($VIRSH qemu-monitor-command "$1" '{"execute":"query-block"}' |
		python3 -c 'import json,sys; b=json.load(sys.stdin)["return"][0]; i=b.get("inserted", {}); print(b.get("io-status"), i.get("ro"), i.get("file"), i.get("image", {}).get("virtual-size"))')"
	echo "busyvm: dmsetup info: $(dmsetup info -c --noheadings -o name,major,minor,attr,open 2>&1 | paste -sd' ')"
	# the virtio queue as QEMU and SeaBIOS see it (ERR 0000000C with no
	# failed write counted: a completion reaped before it came?)
	python3 "$REPO/tools/lab/guest/vqfacts.py" "$1" 2>&1 | sed 's/^vqfacts: /busyvm: /'
	echo "busyvm: the kernel's last lines of block devices and DRBD:"
	dmesg | grep -E 'drbd|dm-|device-mapper|vd[a-z]|I/O|blk_' | tail -n 8
}

counter() {
	local last=0
	[ -e "$(serial "$1")" ] && last=$(awk '/^SEQ / { v = $2 } END { sub(/\r/, "", v); print v ? v : 0 }' "$(serial "$1")")
	echo $((16#$last))
}

case ${1:-} in
create)
	name=${2:?name}; size=${3:-200}
	lvcreate -q -y -W y -Z n -n "$name" -L "${size}M" vg >/dev/null
	# Boot sector at LBA 0, the ring (LBA 1..8192) zeroed: a fresh LV may hold old data.
	dd if=/dev/zero of="/dev/vg/$name" bs=1M count=5 oflag=direct status=none
	dd if="$BIN/busyvm.img" of="/dev/vg/$name" bs=512 count=1 oflag=direct conv=notrunc status=none
	rm -f "$(serial "$name")"
	xml "$name" > "/tmp/$name.xml"
	$VIRSH define "/tmp/$name.xml" >/dev/null
	$VIRSH start "$name" >/dev/null
	echo "busyvm: $name started on $(hostname), disk /dev/vg/$name (${size} MiB)"
	;;
counter)
	counter "${2:?name}"
	;;
wait-writes)
	name=${2:?name}; want=${3:?count}; limit=${4:-60}
	end=$((SECONDS + limit))
	while [ "$SECONDS" -lt "$end" ]; do
		n=$(counter "$name")
		[ "$n" -ge "$want" ] && { echo "$n"; exit 0; }
		sleep 0.5
	done
	echo "busyvm: $name reported $(counter "$name") writes, not $want, within ${limit}s" >&2
	# What the VM was doing: its state and reason, QEMU's count of its disk's
	# requests (do they still move?), the serial log's end.
	(
		set +e	# a record: every line it can get
		echo "busyvm: $name: state $($VIRSH domstate --reason "$name" 2>&1 | head -n1)"
		echo "busyvm: $name: vda $($VIRSH domblkstat "$name" vda 2>&1 | paste -sd' ')"
		sleep 2
		echo "busyvm: $name: vda 2 s later $($VIRSH domblkstat "$name" vda 2>&1 | paste -sd' ')"
		echo "busyvm: $name: $(serial "$name"): $(stat -c '%s bytes' "$(serial "$name")" 2>&1), ends: $(tail -c 200 "$(serial "$name")" 2>&1 | tr -c '[:print:]' '.')"
		echo "busyvm: $name: dm $(dmsetup info -c --noheadings -o name,attr,open "vg-$name" 2>&1)"
		echo "busyvm: $name: serial log's other lines: $(grep -a -v '^SEQ' "$(serial "$name")" 2>&1 | tr -d '\r' | paste -sd' ' | cut -c1-300)"
		! grep -aq '^ERR' "$(serial "$name")" 2>/dev/null || qemu_facts "$name" 2>&1 | sed '/^busyvm: /!s/^/busyvm: /'
	) >&2
	exit 1
	;;
check)
	name=${2:?name}
	state=$($VIRSH domstate --reason "$name" 2>&1 | head -n1) || true
	# A VM that saw a disk error: what its QEMU holds, while it still runs
	# (which device each descriptor is, QEMU's counts of failed and invalid
	# writes, the size it sees), for the failed check's log below.
	qemu_facts=
	if grep -aq '^ERR' "$(serial "$name")" 2>/dev/null; then
		qemu_facts=$(qemu_facts "$name" 2>&1) || true
	fi
	blkerr=$($VIRSH domblkerror "$name" 2>&1 | paste -sd' ') || true
	$VIRSH destroy "$name" >/dev/null 2>&1 || true
	rc=0
	"$BIN/seqcheck" "/dev/vg/$name" "$(serial "$name")" || rc=$?
	# A failed check keeps what the VM and QEMU said, in the lab's background
	# logs (lab_state_dump and the kept logs print them).
	mkdir -p /tmp/lab-bg
	rm -f "/tmp/lab-bg/check-$name.log"	# an earlier check's record is not this one's
	[ "$rc" -eq 0 ] || (
		set +e	# a record: every line it can get
		echo "busyvm: $name on $(hostname) failed its check (seqcheck exit $rc); state was $state; domblkerror: $blkerr"
		echo "busyvm: serial log: $(grep -a -c '^SEQ' "$(serial "$name")") SEQ lines, the last $(grep -a '^SEQ' "$(serial "$name")" | tail -n 1 | tr -d '\r'); the others: $(grep -a -v '^SEQ' "$(serial "$name")" | tr -d '\r' | sort | uniq -c | sort -rn | head -n 4 | awk '{c = $1; $1 = ""; printf "%s%s x%d", s, $0, c; s = ","}')"
		[ -z "$qemu_facts" ] || printf '%s\n' "$qemu_facts"
		echo "busyvm: dm: $(dmsetup table "vg-$name" 2>&1) / $(dmsetup info -c --noheadings -o name,attr,open "vg-$name" 2>&1); sector sizes $(blockdev --getss --getpbsz "/dev/vg/$name" 2>&1 | paste -sd' ')"
		echo "busyvm: QEMU's log after its command line:"
		tail -n 60 "/var/log/libvirt/qemu/$name.log" 2>&1 | grep -v -e '^-' -e '^LC_ALL' -e '^[A-Z_]*=' | tail -n 8
	) > "/tmp/lab-bg/check-$name.log" 2>&1 || true
	exit $rc
	;;
check-paused)
	name=${2:?name}
	$VIRSH suspend "$name" >/dev/null
	rc=0
	"$BIN/seqcheck" "/dev/vg/$name" "$(serial "$name")" || rc=$?
	$VIRSH resume "$name" >/dev/null
	exit $rc
	;;
destroy)
	name=${2:?name}
	$VIRSH destroy "$name" >/dev/null 2>&1 || true
	$VIRSH undefine "$name" >/dev/null 2>&1 || true
	lvremove -q -y "vg/$name" >/dev/null 2>&1 || true
	rm -f "$(serial "$name")" "/tmp/$name.xml"
	;;
xml)
	xml "${2:?name}"
	;;
*)
	sed -n '3,12p' "$0" | sed 's/^# \{0,1\}//'
	exit 2
	;;
esac

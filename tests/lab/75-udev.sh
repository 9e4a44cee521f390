#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Lab scenario: a move between hypervisors that run udev and Debian's own
# lvm.conf, of a VM whose disks hold the guest's LVM (issue 22, item 2;
# docs/dm.md, "Device nodes and udev").
#   1. The busy VM vh75 on hv1 with two more disks, made before udev runs:
#      vdb a whole-disk PV of the guest's VG g75w (LV data, random bytes),
#      vdc an MBR partition table whose partition 1 is a PV of VG g75p (LV
#      data, random bytes).  Then on both hosts: /etc/lvm/lvm.conf is this
#      machine's Debian one (the lab's filter and udev-off settings gone),
#      systemd-udevd runs, every device is triggered as at boot and udev
#      settles; vmhop and LVM run without DM_DISABLE_UDEV.  Before the move
#      neither host has activated g75w or g75p (the baseline: LVM's
#      scan_lvs=0 keeps the guest's PVs inside the host's LVs unseen).  The
#      danger shown: a plain dm copy of vdb's LV made by `dmsetup create`
#      (udev's cookie, none of vmhop's flags) has udev see the guest's PV
#      and activate g75w on hv1 at once; then undone.
#   2. vmhop send on hv1 and receive on hv2 (both exit 0) while
#      `udevadm monitor` logs every block event on both hosts.
#   3. Afterwards: the VM runs on hv2 with its three disks, vdb's and vdc's
#      LVs have the same sha256 on hv2 as on hv1 before; on neither host is
#      a device of g75w or g75p, nor an online record of them in /run/lvm
#      (what udev's pvscan writes before it activates a VG); udev saw events
#      for the DRBD minor and for the .copy device (it was watching), and
#      none of them carried the guest's PV (ID_FS_TYPE=LVM2_member) or
#      LVM_VG_NAME_COMPLETE (what makes 69-lvm.rules activate a VG); nothing
#      of vmhop is left on either host; the writer's ring check passes on
#      hv2.  udev then stops and the lab's lvm.conf comes back.
# timeout: 900
. "$(dirname "$0")/lib.sh"
T0=$(now)
BUILD=${BUILD:-build}
V="env -u DM_DISABLE_UDEV $BUILD/vmhop"
BV="BUSYVM_BIN_DIR=$REPO/$BUILD/lab-bin $BUSYVM"
VIRSH="virsh -q -c qemu:///system"
N=vh75
SIZE=64
STATE=/var/lib/vmhop
PLAN=/tmp/$N.plan.json
HELPER=/sys/module/drbd/parameters/usermode_helper
# udev's events during the move: udevadm monitor's output (lab_bg "mon")
MON=/tmp/lab-bg/mon.log
# The guest's LVM, made by the host's LVM before udev runs: it sees only
# these two (the lab's filter sees /dev/vda alone) and may look inside LVs.
GC='devices { filter=[ "a|^/dev/vg/vh75w$|", "a|^/dev/mapper/vh75p1$|", "r|.*|" ] global_filter=[ "a|^/dev/vg/vh75w$|", "a|^/dev/mapper/vh75p1$|", "r|.*|" ] scan_lvs=1 }'

jget() { python3 -c 'import json,sys; d=json.load(sys.stdin)
for k in sys.argv[1].split("."): d=d[int(k)] if isinstance(d,list) else d[k]
print(d)' "$1"; }

# Back to the lab as the other scenarios have it: no udev, the lab's
# lvm.conf, no VM, nothing of vmhop.
cleanup() {
	set +e
	for h in hv1 hv2; do
		lab_run $h "pkill -9 -f 'vmhop.*(send|receive)'; [ -s /tmp/lab-bg/mon.pid ] && kill \$(cat /tmp/lab-bg/mon.pid)
			$VIRSH destroy $N; $VIRSH undefine $N
			for r in \$(drbdsetup-84 show | awk '/^resource vh-/ {print \$2}'); do drbdsetup-84 down \$r; done
			for d in \$(dmsetup ls | awk '/\\.copy|^g75|vh75p1|ctl75/ {print \$1}'); do dmsetup remove \$d; done
			for l in \$(lvs --noheadings -o lv_name vg | grep '\\.vhmd'); do lvremove -q -y vg/\$l; done
			$BUILD/vmhop drbd helper restore; $BV destroy $N; lvremove -q -y vg/${N}w vg/${N}p
			udevadm control --exit; [ -f /tmp/lvm.conf.lab ] && cp /tmp/lvm.conf.lab /etc/lvm/lvm.conf
			rm -rf $STATE $PLAN $MON /run/lvm/pvs_online /run/lvm/vgs_online /run/lvm/pvs_lookup" >/dev/null 2>&1
	done
}
trap 'rc=$?; [ $rc -eq 0 ] || lab_state_dump; cleanup' EXIT

[ -x /lib/systemd/systemd-udevd ] && command -v udevadm >/dev/null ||
	fail "no systemd-udevd on this machine (Debian's udev package: make deps installs it)"
# Debian's lvm.conf sets nothing (every setting commented out): LVM's
# built-in defaults, scan_lvs=0 and event activation on among them.
set_lines=$(grep -Ev '^[[:space:]]*(#|$)' /etc/lvm/lvm.conf | grep -Ev '^[a-z_]+ \{$|^\}$' || true)
[ -z "$set_lines" ] || say "note: this machine's lvm.conf sets: $(tr '\n' ' ' <<< "$set_lines")"
for h in hv1 hv2; do cp /etc/lvm/lvm.conf "$LAB_DIR/$h/share/lvm.conf.debian"; done

# ---- 1. the VM, its guest LVM, then udev ------------------------------------
MBR="import sys
b = bytearray(512)
n = int(sys.argv[1])
# partition 1: bootable no, CHS unused (0xfeffff), type 0x8e (Linux LVM), LBA 2048, n sectors
b[446:462] = bytes([0, 0xfe, 0xff, 0xff, 0x8e, 0xfe, 0xff, 0xff]) + (2048).to_bytes(4, 'little') + n.to_bytes(4, 'little')
b[510:512] = b'\x55\xaa'
sys.stdout.buffer.write(b)"
out=$(lab_out hv1 "$(lab_seq "lvcreate -q -y -W y -Z n -n $N -L ${SIZE}M vg >/dev/null &&
	dd if=/dev/zero of=/dev/vg/$N bs=1M count=5 oflag=direct status=none &&
	dd if=$LABBIN/busyvm.img of=/dev/vg/$N bs=512 count=1 oflag=direct conv=notrunc status=none &&
	lvcreate -q -y -W y -Z n -n ${N}w -L 24M vg >/dev/null && lvcreate -q -y -W y -Z n -n ${N}p -L 24M vg >/dev/null &&
	dd if=/dev/zero of=/dev/vg/${N}w bs=1M count=2 oflag=direct status=none &&
	dd if=/dev/zero of=/dev/vg/${N}p bs=1M count=2 oflag=direct status=none" \
	"pvcreate -q -ff -y --config '$GC' /dev/vg/${N}w && vgcreate -q --config '$GC' g75w /dev/vg/${N}w &&
	lvcreate -q -y -W y -Z n --config '$GC' -n data -L 12M g75w >/dev/null &&
	dd if=/dev/urandom of=/dev/g75w/data bs=1M count=12 oflag=direct status=none && vgchange -q -an --config '$GC' g75w" \
	"python3 -c \"$MBR\" $((24 * 2048 - 2048)) | dd of=/dev/vg/${N}p bs=512 count=1 oflag=direct conv=notrunc status=none &&
	dmsetup create ${N}p1 --table '0 $((24 * 2048 - 2048)) linear /dev/vg/${N}p 2048' &&
	pvcreate -q -ff -y --config '$GC' /dev/mapper/${N}p1 && vgcreate -q --config '$GC' g75p /dev/mapper/${N}p1 &&
	lvcreate -q -y -W y -Z n --config '$GC' -n data -L 12M g75p >/dev/null &&
	dd if=/dev/urandom of=/dev/g75p/data bs=1M count=12 oflag=direct status=none && vgchange -q -an --config '$GC' g75p &&
	dmsetup remove ${N}p1" \
	"blkid -p -o value -s TYPE /dev/vg/${N}w; blkid -p -o value -s PTTYPE /dev/vg/${N}p" \
	"sha256sum /dev/vg/${N}w /dev/vg/${N}p | awk '{print \$1}' | paste -sd' '" \
	"rm -f /var/log/libvirt/qemu/$N.serial &&
	$BV xml $N | sed \"s|</disk>|</disk><disk type='block' device='disk'><driver name='qemu' type='raw' cache='none' io='native'/><source dev='/dev/vg/${N}w'/><target dev='vdb' bus='virtio'/></disk><disk type='block' device='disk'><driver name='qemu' type='raw' cache='none' io='native'/><source dev='/dev/vg/${N}p'/><target dev='vdc' bus='virtio'/></disk>|\" > /tmp/$N.xml &&
	$VIRSH define /tmp/$N.xml >/dev/null && $VIRSH start $N >/dev/null && $BV wait-writes $N 64 120 >/dev/null")")
assert_eq "$(lab_field 4 <<< "$out" | grep . | paste -sd' ')" "LVM2_member dos" "hv1: vdb holds a PV, vdc a partition table"
SHA=$(lab_field 5 <<< "$out")
# udev on both hosts, as a Debian hypervisor boots: every device added, settled.
UDEV_ON="unset DM_DISABLE_UDEV; cp /etc/lvm/lvm.conf /tmp/lvm.conf.lab && cp /lab/lvm.conf.debian /etc/lvm/lvm.conf &&
	/lib/systemd/systemd-udevd --daemon --resolve-names=never &&
	udevadm trigger --type=subsystems --action=add && udevadm trigger --type=devices --action=add &&
	udevadm settle --timeout=180"
# What the host's LVM made of the guest's VGs: their devices, their online records.
# (pvscan's records: /run/lvm/vgs_online/VG, and /run/lvm/pvs_online/PVID
# naming its VG; LVM's hints file names devices, not VGs of a guest.)
GUEST_SEEN="echo dm=\$(dmsetup ls | grep -c '^g75' || true) online=\$( (ls /run/lvm/vgs_online 2>/dev/null | grep '^g75'; grep -ls 'g75' /run/lvm/pvs_online/* 2>/dev/null) | wc -l)"
lab_both "$(lab_seq "$UDEV_ON" "pidof systemd-udevd >/dev/null && echo udev" "$GUEST_SEEN" "cat $HELPER")" \
	"$(lab_seq "$UDEV_ON" "pidof systemd-udevd >/dev/null && echo udev" "$GUEST_SEEN" "cat $HELPER")"
declare -A HELP
for h in 1 2; do
	o=OUT$h
	assert_eq "$(lab_field 2 <<< "${!o}")" udev "hv$h: systemd-udevd runs"
	assert_eq "$(lab_field 3 <<< "${!o}")" "dm=0 online=0" "hv$h: before the move, the guest's VGs not active nor online"
	HELP[hv$h]=$(lab_field 4 <<< "${!o}")
done
say "hv1: vh75 with vdb (PV of g75w) and vdc (MBR, PV of g75p on partition 1); udev runs on both hosts with Debian's lvm.conf, the guest's VGs unseen [$(elapsed "$T0") s]"
# The danger, shown (and that the checks below see it): a plain dm copy of
# vdb's LV, made as `dmsetup create` makes one (udev's cookie, none of
# vmhop's flags), and udev activates the guest's VG on the host at once.
# Then it goes: the VG deactivated, the copy removed, pvscan's records.
out=$(lab_out hv1 "$(lab_seq "unset DM_DISABLE_UDEV; dmsetup create ctl75 --table '0 $((24 * 2048)) linear /dev/vg/${N}w 0' && udevadm settle --timeout=120" \
	"udevadm info -q property /dev/mapper/ctl75 | grep -E '^(ID_FS_TYPE|LVM_VG_NAME_COMPLETE)=' | sort | paste -sd' '" \
	"$GUEST_SEEN" \
	"unset DM_DISABLE_UDEV; vgchange -q -an g75w >/dev/null && dmsetup remove ctl75 && udevadm settle --timeout=120 &&
	rm -rf /run/lvm/pvs_online/* /run/lvm/vgs_online/* && $GUEST_SEEN")")
assert_eq "$(lab_field 2 <<< "$out")" "ID_FS_TYPE=LVM2_member LVM_VG_NAME_COMPLETE=g75w" "hv1: udev saw the guest's PV on a plain dm copy"
assert_match "$(lab_field 3 <<< "$out")" "^dm=[1-9][0-9]* online=[1-9]" "hv1: udev activated the guest's VG from the plain copy"
assert_eq "$(lab_field 4 <<< "$out")" "dm=0 online=0" "hv1: the guest's VG deactivated again, the copy gone"
say "hv1: a plain dm copy of vdb (dmsetup create): udev saw the guest's PV and activated g75w ($(lab_field 3 <<< "$out")); undone"

# ---- 2. the move, udev watching ----------------------------------------------
PLAN_JSON=$(lab_out hv1 "rm -f $PLAN
	$V plan $N --to hv2 --dest-uri qemu+tcp://hv2/system --minor 75 --port 7875 -o $PLAN >/tmp/$N.plan.out 2>&1 ||
		{ cat /tmp/$N.plan.out; exit 1; }
	cat $PLAN")
lab_out hv2 "umask 077; cat > $PLAN <<'EOF'
$PLAN_JSON
EOF" >/dev/null
assert_eq "$(python3 -c 'import json,sys; print(len(json.load(sys.stdin)["disks"]))' <<< "$PLAN_JSON")" 3 "the plan has the three disks"
for h in hv1 hv2; do lab_bg $h mon "udevadm monitor --udev --property --subsystem-match=block"; done
t1=$(now)
lab_bg hv1 send "$V send --plan $PLAN"
lab_bg hv2 recv "$V receive --plan $PLAN"
rc_s=0; lab_bg_wait hv1 send 600 || rc_s=$?
rc_r=0; lab_bg_wait hv2 recv 300 || rc_r=$?
if [ "$rc_s$rc_r" != 00 ]; then
	lab_bg_log hv1 send | tail -n 30 >&2; lab_bg_log hv2 recv | tail -n 30 >&2
	fail "send exited $rc_s, receive $rc_r"
fi
say "moved in $(elapsed "$t1") s: $(lab_bg_log hv1 send | grep -Eo 'freeze window [^;]*' | head -n 3 | paste -sd';')"

# ---- 3. what udev and LVM did ------------------------------------------------
# udev's events on each host, one line each: action, device, DM name, and
# whether it carried the guest's PV or a VG to activate.
EVENTS="udevadm settle --timeout=60; sleep 1; awk -v RS= '{ a = d = n = \"-\"; fs = lv = \"\"
	for (i = 1; i <= NF; i++) {
		if (\$i ~ /^ACTION=/) a = substr(\$i, 8); else if (\$i ~ /^DEVNAME=/) d = substr(\$i, 9)
		else if (\$i ~ /^DM_NAME=/) n = substr(\$i, 9); else if (\$i ~ /^ID_FS_TYPE=/) fs = substr(\$i, 12)
		else if (\$i ~ /^LVM_VG_NAME_COMPLETE=/) lv = substr(\$i, 22) }
	if (d != \"-\") print a, d, n, (fs == \"\" ? \"-\" : fs), (lv == \"\" ? \"-\" : lv) }' $MON"
lab_both "$(lab_seq "$EVENTS" "$GUEST_SEEN" \
	"echo minors=\$(ls /sys/block | grep -c '^drbd' || true) copies=\$(dmsetup ls | grep -c '\\.copy' || true) md=\$(lvs --noheadings -o lv_name vg | grep -c '\\.vhmd' || true) helper=\$(cat $HELPER)" \
	"$VIRSH domstate $N >/dev/null 2>&1 && echo defined || echo none; lvs --noheadings vg/$N vg/${N}w vg/${N}p 2>/dev/null | wc -l")" \
	"$(lab_seq "$EVENTS" "$GUEST_SEEN" \
	"echo minors=\$(ls /sys/block | grep -c '^drbd' || true) copies=\$(dmsetup ls | grep -c '\\.copy' || true) md=\$(lvs --noheadings -o lv_name vg | grep -c '\\.vhmd' || true) helper=\$(cat $HELPER)" \
	"$VIRSH domstate $N; $VIRSH domblklist $N | awk '{print \$1}' | paste -sd' '" \
	"sha256sum /dev/vg/${N}w /dev/vg/${N}p | awk '{print \$1}' | paste -sd' '" \
	"$BV check $N 2>&1 | tail -n1")"
for h in 1 2; do
	o=OUT$h
	ev=$(lab_field 1 <<< "${!o}")
	[ -n "$ev" ] || fail "hv$h: udev's monitor logged no block event during the move"
	drbd=$(awk '$2 ~ /^\/dev\/drbd/' <<< "$ev")
	copy=$(awk '$3 ~ /\.copy$/' <<< "$ev")
	[ -n "$drbd" ] || fail "hv$h: udev saw no event of a DRBD minor (was it watching?)"
	[ $h = 2 ] || [ -n "$copy" ] || fail "hv1: udev saw no event of the .copy device"
	bad=$(awk '$4 == "LVM2_member" || $5 != "-"' <<< "$drbd"$'\n'"$copy" | grep . || true)
	[ -z "$bad" ] || fail "hv$h: udev saw the guest's PV on vmhop's devices: $(paste -sd';' <<< "$bad")"
	any=$(awk '$5 != "-" && $5 ~ /g75/' <<< "$ev" | grep . || true)
	[ -z "$any" ] || fail "hv$h: udev would activate the guest's VG: $(paste -sd';' <<< "$any")"
	assert_eq "$(lab_field 2 <<< "${!o}")" "dm=0 online=0" "hv$h: after the move, the guest's VGs not active nor online"
	assert_eq "$(lab_field 3 <<< "${!o}")" "minors=0 copies=0 md=0 helper=${HELP[hv$h]}" "hv$h: nothing of vmhop left"
	say "hv$h: udev events: $(wc -l <<< "$ev") in all, DRBD minor $(wc -l <<< "$drbd") ($(awk '{print $1}' <<< "$drbd" | sort | uniq -c | awk '{print $2 "x" $1}' | paste -sd' ')), .copy $(grep -c . <<< "$copy" || true); none with the guest's PV"
done
assert_eq "$(lab_field 4 <<< "$OUT1")" "$(printf 'none\n0')" "hv1 keeps no domain and no LV of the VM"
assert_eq "$(lab_field 4 <<< "$OUT2")" "$(printf 'running\nvda vdb vdc')" "the VM runs on hv2 with its three disks"
assert_eq "$(lab_field 5 <<< "$OUT2")" "$SHA" "vdb's and vdc's LVs on hv2 as they were on hv1"
ring=$(lab_field 6 <<< "$OUT2")
assert_match "$ring" "^seqcheck: ok " "the ring check on hv2"
say "the VM runs on hv2 (vda vdb vdc), the guest's disks' sha256 as on hv1, nothing of vmhop left, the guest's VGs never active on either host; $ring [$(elapsed "$T0") s]"

#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The lab itself: kernel, DRBD 8.4 and its genl family, device-mapper, the VG on
# both hosts, libvirt across the link, and the busy test VM writing verifiable data.
# timeout: 420
. "$(dirname "$0")/lib.sh"
t0=$(now)

for h in hv1 hv2; do
	facts=$(lab_out $h 'uname -r; cat /sys/module/drbd/version; genl ctrl list | grep -c "^Name: drbd$";
		genl ctrl get name drbd | sed -n "s/.*Version: 0x\([0-9a-f]*\).*header size: \([0-9]*\).*/\1 \2/p" | head -n1;
		stat -c %t:%T /dev/mapper/control; vgs --noheadings -o vg_name,pv_count vg | xargs;
		cat /sys/module/drbd/parameters/usermode_helper')
	mapfile -t f <<< "$facts"
	say "$h: kernel ${f[0]}, drbd ${f[1]}, genl family drbd (version/header ${f[3]}), /dev/mapper/control ${f[4]}, VG '${f[5]}', usermode_helper ${f[6]}"
	assert_match "${f[0]}" '^6\.1\.' "$h kernel"
	assert_match "${f[1]}" '^8\.4\.[0-9]+' "$h drbd version"
	assert_eq "${f[2]}" 1 "$h genl family drbd registered"
	assert_eq "${f[3]}" "1 8" "$h drbd genl version and header size"
	assert_eq "${f[4]}" "a:ec" "$h /dev/mapper/control is 10:236"
	assert_eq "${f[5]}" "vg 1" "$h volume group"
	# Loaded as a real host would load it: the tool must cope with the default helper.
	assert_eq "${f[6]}" "/sbin/drbdadm" "$h drbd usermode_helper"
done

remote=$(lab_out hv1 'virsh -c qemu+tcp://hv2/system uri; virsh -c qemu+tcp://hv2/system hostname')
say "hv1 reaches libvirtd on hv2: $(echo "$remote" | tr '\n' ' ')"
assert_match "$remote" 'qemu\+tcp://hv2/system' "remote libvirt URI"
assert_match "$remote" 'hv2' "remote libvirt host name"

say "starting the busy test VM on hv1"
lab_out hv1 "$BUSYVM create smoke"
c1=$(lab_out hv1 "$BUSYVM wait-writes smoke 256 120")
sleep 3
c2=$(lab_out hv1 "$BUSYVM wait-writes smoke $((c1 + 128)) 120")
say "writer counter advancing: $c1 -> $c2"
[ "$c2" -gt "$c1" ] || fail "the VM's writer did not advance"
state=$(lab_out hv1 'virsh -q -c qemu:///system domstate smoke')
assert_eq "$state" running "test VM state"
check=$(lab_out hv1 "$BUSYVM check smoke")
say "$check"
assert_match "$check" '^seqcheck: ok ' "data check"
lab_out hv1 "$BUSYVM destroy smoke" >/dev/null
left=$(lab_out hv1 'lvs --noheadings -o lv_name vg | xargs; virsh -q -c qemu:///system list --all --name | xargs')
assert_eq "$left" "" "nothing left behind on hv1"
say "smoke wall time $(elapsed "$t0") s"

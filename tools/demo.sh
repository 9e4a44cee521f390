#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# `make demo`: boot the two-hypervisor lab, start a busy VM on hv1, make the
# plan, and move the VM to hv2 with `vmhop receive` on hv2 and `vmhop send` on
# hv1 side by side; then prove its data.  Prints each phase with its wall time.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
export LAB=$REPO/tools/lab/lab.sh
export LAB_DIR=${LAB_DIR:-$REPO/build/lab-demo}
export LAB_PORT=${LAB_PORT:-47750}
BUSYVM=$REPO/tools/lab/guest/busyvm.sh
V=build/vmhop
VIRSH="virsh -q -c qemu:///system"
SIZE=${DEMO_SIZE_MIB:-128}
PLAN=/tmp/demo.plan.json
t_all=$(date +%s.%N)
phase() { printf '\n== %s\n' "$*"; t_phase=$(date +%s.%N); }
took() { awk -v a="$t_phase" -v b="$(date +%s.%N)" 'BEGIN { printf "   (%.1f s)\n", b - a }'; }
run() { timeout 600 "$LAB" run "$@"; }
trap '"$LAB" stop >/dev/null 2>&1 || true' EXIT

cat <<EOF
vmhop demo: two hypervisors, hv1 and hv2, each a real Debian 12 kernel under QEMU with
DRBD 8.4, LVM and libvirtd, and no storage shared between them.  A busy VM (a boot
sector that writes numbered sectors without pause, on a ${SIZE} MiB LV, cache=none) starts
on hv1 and moves to hv2 while it writes: vmhop receive on hv2 and vmhop send on hv1,
one process each, shown side by side.  Then the VM's writes are checked on hv2's disk.
About 2-4 minutes on 2 cores (the hypervisors are emulated: TCG, not KVM).
EOF

phase "boot hv1 and hv2 (Debian $(cat "$REPO/build/kernel/version") under QEMU, DRBD 8.4, LVM, libvirtd)"
timeout 600 "$LAB" start
took

phase "start the busy VM 'demo' on hv1 (LV vg/demo, ${SIZE} MiB, cache=none; it writes from its first instruction)"
run hv1 "$BUSYVM create demo $SIZE"
run hv1 "$BUSYVM wait-writes demo 128 180 >/dev/null"
run hv1 "
	a=\$($BUSYVM counter demo); t0=\$(date +%s.%N); sleep 4; b=\$($BUSYVM counter demo)
	awk -v a=\$a -v b=\$b -v t=\$t0 -v n=\$(date +%s.%N) 'BEGIN { printf \"   %d writes completed so far, %.0f writes/s (a VM inside an emulated host)\\n\", b, (b - a) / (n - t) }'"
took

phase "make the plan on hv1 and hand it to hv2"
echo "   hv1# vmhop plan demo --to hv2 --dest-uri qemu+tcp://hv2/system --max-downtime 300 -o $PLAN"
run hv1 "rm -f $PLAN; $V plan demo --to hv2 --dest-uri qemu+tcp://hv2/system --max-downtime 300 -o $PLAN" | sed 's/^/   /'
plan=$(run hv1 "cat $PLAN")
run hv2 "umask 077; cat > $PLAN <<'EOF'
$plan
EOF"
echo "   (the plan, mode 0600 since it holds the DRBD secret, copied to hv2's $PLAN)"
took

phase "the move: hv2# vmhop receive --plan $PLAN   and   hv1# vmhop send --plan $PLAN"
before=$(run hv1 "c=\$($BUSYVM counter demo); $BUSYVM wait-writes demo \$((c + 1)) 60")
( run hv2 "$V receive --plan $PLAN" 2>&1 | sed -u 's/^/   hv2 | /' ) &
recv=$!
sleep 1
rc_s=0
run hv1 "$V send --plan $PLAN" 2>&1 | sed -u 's/^/   hv1 | /' || rc_s=$?
rc_r=0
wait "$recv" || rc_r=$?
took
if [ "$rc_s" -ne 0 ] || [ "$rc_r" -ne 0 ]; then
	echo "demo: the move failed (send exit $rc_s, receive exit $rc_r)" >&2
	exit 1
fi

phase "where the VM is now"
run hv1 "echo \"   hv1: VM demo \$($VIRSH list --all --name | grep -cx demo || true) defined, LV vg/demo \$(lvs --noheadings vg/demo 2>/dev/null | wc -l) present, DRBD minors \$(ls /sys/block | grep -c '^drbd' || true)\""
run hv2 "echo \"   hv2: VM demo \$($VIRSH domstate demo), its LV's table: \$(dmsetup table vg-demo), DRBD minors \$(ls /sys/block | grep -c '^drbd' || true)\""
after=$(run hv2 "c=\$($BUSYVM counter demo); $BUSYVM wait-writes demo \$((c + 64)) 60")
echo "   the VM's write counter went on across the move: $before on hv1 before it, $after on hv2 now"

phase "data check on hv2: stop the VM and verify every write it completed on hv2 is on hv2's disk, in order"
run hv2 "$BUSYVM check demo" | sed 's/^/   /'
took

awk -v a="$t_all" -v b="$(date +%s.%N)" 'BEGIN { printf "\ndemo: done in %.0f s\n", b - a }'

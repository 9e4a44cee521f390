#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Lab scenario: many moves at once (issue 21).  Concurrent moves from one
# host are a supported mode: N sends on hv1 and N receives on hv2 at once,
# nothing shared but the module's usermode helper (held per resource).
#   1. three busy VMs on hv1 planned one after the other (three vmhop plan
#      calls, no --minor/--port): distinct minors, ports and resources;
#      `vmhop status` on hv1 lists the three moves PLANNED.  Three receives
#      on hv2 and three sends on hv1 started together: all three move
#      (exit 0), the ring check passes on hv2 for each VM, both hosts clean.
#   2. a port taken on hv2 by another program (a listener on hv2's address):
#      hv2's preflight refuses, naming the program ("program python3 (pid N)"),
#      exit 5; nothing changes on hv2 (no journal, no DRBD, no LV).
#   3, 4. three VMs moving, two of them with UUIDs that share their first 8
#      hex digits (defined with chosen UUIDs): distinct resources
#      (vh-<8 hex>-<nonce>); one, the third, is aborted (send SIGINTed during
#      its slowed sync; its receive cleans hv2 by itself): the two alike move
#      at once, the aborted VM runs on on hv1 (ring checks on both hosts);
#      both hosts clean.  (One part since 2026-12-08: the UUIDs' own move took
#      2 min of the check.)
# timeout: 2400
. "$(dirname "$0")/lib.sh"
T0=$(now)
say_t() { say "$* [$(elapsed "$T0") s]"; }
BUILD=${BUILD:-build}
V=$BUILD/vmhop
BV="BUSYVM_BIN_DIR=$REPO/$BUILD/lab-bin $BUSYVM"
VIRSH="virsh -q -c qemu:///system"
SIZE=32
STATE=/var/lib/vmhop
HELPER=/sys/module/drbd/parameters/usermode_helper
VMS="vh80a vh80b vh80c"
# SECTIONS="1 3" runs only those parts (all by default).
want() { [[ " ${SECTIONS:-1 2 3 4} " == *" $1 "* ]]; }

jget() { python3 -c 'import json,sys; d=json.load(sys.stdin)
for k in sys.argv[1].split("."): d=d[int(k)] if isinstance(d,list) else d[k]
print(d)' "$1"; }

cleanup() {
	set +e
	for h in hv1 hv2; do
		lab_run $h "pkill -9 -f 'vmhop.*(send|receive)'; [ -s /tmp/vh80-listen.pid ] && kill \$(cat /tmp/vh80-listen.pid)
			for n in $VMS vh80x vh80y; do $VIRSH destroy \$n; $VIRSH undefine \$n; $BV destroy \$n; done
			for r in \$(drbdsetup-84 show | awk '/^resource vh-/ {print \$2}'); do drbdsetup-84 down \$r; done
			for d in \$(dmsetup ls | awk '/\\.copy/ {print \$1}'); do dmsetup remove \$d; done
			for l in \$(lvs --noheadings -o lv_name vg | grep '\\.vhmd'); do lvremove -q -y vg/\$l; done
			$V drbd helper restore; rm -rf $STATE /tmp/vh80 /tmp/vh80-listen.pid" >/dev/null 2>&1
	done
}
trap 'rc=$?; [ $rc -eq 0 ] || lab_state_dump; cleanup' EXIT
lab_events_watch

CLEAN="echo minors=\$(ls /sys/block | grep -c '^drbd' || true) \
copies=\$(dmsetup ls | grep -c '\\.copy' || true) \
md=\$(lvs --noheadings -o lv_name vg | grep -c '\\.vhmd' || true) \
helper=\$(cat $HELPER)"
declare -A HELP MIN PORT RESN
for h in hv1 hv2; do
	out=$(lab_out $h "cat $HELPER; $CLEAN")
	mapfile -t X <<< "$out"
	HELP[$h]=${X[0]}
	assert_eq "${X[1]}" "minors=0 copies=0 md=0 helper=${HELP[$h]}" "$h: nothing of vmhop left (before)"
done
assert_clean() {	# assert_clean WHAT: nothing of vmhop on either host
	local h
	for h in hv1 hv2; do
		assert_eq "$(lab_out $h "$CLEAN")" "minors=0 copies=0 md=0 helper=${HELP[$h]}" "$h: nothing of vmhop left ($1)"
	done
}
# put_hv2 VM JSON: the plan file on hv2 (0600).
put_hv2() {
	lab_out hv2 "mkdir -p /tmp/vh80; umask 077; cat > /tmp/vh80/$1.plan <<'PLANEOF'
$2
PLANEOF
chmod 600 /tmp/vh80/$1.plan" >/dev/null
}
# plan_to_hv2 VM: vmhop plan on hv1 (no --minor/--port: its own choices),
# the same file on hv2; its JSON in PJ.
plan_to_hv2() {
	PJ=$(lab_out hv1 "mkdir -p /tmp/vh80; rm -f /tmp/vh80/$1.plan
		$V plan $1 --to hv2 --dest-uri qemu+tcp://hv2/system --max-downtime 300 --resync-rate 8M -o /tmp/vh80/$1.plan >/dev/null && cat /tmp/vh80/$1.plan")
	put_hv2 $1 "$PJ"
}
# ring_on HOST VM: the VM runs there, its ring check passes (then it goes).
ring_on() {
	local out
	out=$(lab_out $1 "$VIRSH domstate $2; $BV check $2 2>&1 | tail -n1; $BV destroy $2")
	assert_match "$out" "^running" "$2 runs on $1"
	[[ $out =~ "seqcheck: ok writes=" ]] ||
		fail "ring check of $2 on $1: '$out'; what the host kept of it:
$(lab_run $1 "cat /tmp/lab-bg/check-$2.log; grep -a \"domain '$2'\" /tmp/lab-bg/events.log | tail -n 12" 2>&1)"
}
# move_all VM...: every receive on hv2, then every send on hv1, together;
# each must exit 0; the ring check on hv2 for each; hv1 keeps none of them.
move_all() {
	local n
	for n in "$@"; do lab_bg hv2 r-$n "$V receive --plan /tmp/vh80/$n.plan"; done
	for n in "$@"; do lab_bg hv1 s-$n "$V send --plan /tmp/vh80/$n.plan"; done
	for n in "$@"; do
		lab_bg_wait hv1 s-$n 900 || fail "send of $n exited $?: $(lab_bg_log hv1 s-$n | tail -n 3)"
		lab_bg_wait hv2 r-$n 300 || fail "receive of $n exited $?: $(lab_bg_log hv2 r-$n | tail -n 3)"
	done
	for n in "$@"; do
		ring_on hv2 $n
		assert_eq "$(lab_out hv1 "$VIRSH list --all --name | grep -cx $n || true")" 0 "hv1 keeps no $n"
	done
}
new_vms() {	# new_vms VM...: busy VMs on hv1, writing
	local n
	for n in "$@"; do lab_out hv1 "$BV create $n $SIZE >/dev/null" >/dev/null; done
	lab_out hv1 "for n in $*; do $BV wait-writes \$n 32 180 >/dev/null || exit 1; done" >/dev/null
}

# ---- 1. three VMs planned one after the other, moved together ------------------
if want 1; then
new_vms $VMS
for n in $VMS; do
	plan_to_hv2 $n
	MIN[$n]=$(jget disks.0.minor <<< "$PJ"); PORT[$n]=$(jget port <<< "$PJ"); RESN[$n]=$(jget resource <<< "$PJ")
done
assert_eq "$(printf '%s\n' "${MIN[@]}" | sort -u | wc -l)" 3 "three plans in a row: distinct minors (${MIN[*]})"
assert_eq "$(printf '%s\n' "${PORT[@]}" | sort -u | wc -l)" 3 "three plans in a row: distinct ports (${PORT[*]})"
assert_eq "$(printf '%s\n' "${RESN[@]}" | sort -u | wc -l)" 3 "distinct resources (${RESN[*]})"
st=$(lab_out hv1 "$V status")
for n in $VMS; do
	assert_match "$st" "${RESN[$n]}  VM $n  source  last phase none  PLANNED" "status lists $n as planned"
done
say_t "three plans: minors ${MIN[*]}, ports ${PORT[*]}, resources ${RESN[*]}"
move_all $VMS
assert_clean "after three moves at once"
lab_out hv1 "rm -rf $STATE" >/dev/null; lab_out hv2 "rm -rf $STATE" >/dev/null
say_t "three VMs moved at once, ring checks pass on hv2, both hosts clean"
fi

# ---- 2. a port taken on hv2 by another program -----------------------------
if want 2; then
new_vms vh80x
plan_to_hv2 vh80x
p=$(jget port <<< "$PJ")
out=$(lab_out hv2 "setsid python3 -c 'import socket,time; s=socket.socket(); s.bind((\"169.254.77.2\", $p)); s.listen(); time.sleep(600)' >/dev/null 2>&1 &
	echo \$! > /tmp/vh80-listen.pid; sleep 2
	$V preflight --plan /tmp/vh80/vh80x.plan 2>&1; echo rc=\$?
	ls $STATE/*.journal 2>/dev/null | wc -l; $CLEAN; lvs --noheadings vg/vh80x 2>/dev/null | wc -l
	kill \$(cat /tmp/vh80-listen.pid); rm -f /tmp/vh80-listen.pid")
assert_match "$out" "port $p on 169.254.77.2 is in use on this host by program python3 \\(pid [0-9]+\\)" "hv2's preflight names the program"
assert_match "$out" "rc=5" "exit 5 (busy)"
assert_match "$out" "$(printf 'rc=5\n0\nminors=0 copies=0 md=0 helper=%s\n0' "${HELP[hv2]}")" "nothing changed on hv2"
lab_out hv1 "$BV destroy vh80x; rm -rf $STATE" >/dev/null
say_t "a port held by a program on hv2: preflight refuses naming it, nothing changed"
fi

# ---- 3 and 4. an abort in a batch of three touches nothing of the other two,
# two of which have UUIDs that share their first 8 hex digits (the resource's
# name holds them: a nonce must tell the two apart) -------------------------
if want 3 || want 4; then
new_vms vh80a
for n in vh80b vh80c; do
	u=80808080-0000-4000-8000-00000000000${n: -1}
	lab_out hv1 "$BV create $n $SIZE >/dev/null && $VIRSH dumpxml $n > /tmp/$n.xml && $VIRSH destroy $n >/dev/null &&
		$VIRSH undefine $n >/dev/null && sed -i 's|<uuid>.*</uuid>|<uuid>$u</uuid>|' /tmp/$n.xml &&
		$VIRSH define /tmp/$n.xml >/dev/null && $VIRSH start $n >/dev/null && $BV wait-writes $n 32 180 >/dev/null" >/dev/null
done
for n in $VMS; do plan_to_hv2 $n; RESN[$n]=$(jget resource <<< "$PJ"); done
for n in vh80b vh80c; do
	assert_match "${RESN[$n]}" "^vh-80808080-[0-9a-f]{6}\$" "$n: resource of the shared UUID prefix and a nonce"
done
[ "${RESN[vh80b]}" != "${RESN[vh80c]}" ] || fail "two VMs with UUIDs alike got one resource ${RESN[vh80b]}"
# vh80a's sync slowed (1 MiB/s) so that the SIGINT lands in it
PJ=$(lab_out hv1 "python3 -c 'import json,sys
p = json.load(open(sys.argv[1])); p[\"drbd\"][\"resync_rate_kib\"] = 1024; p[\"drbd\"][\"c_max_rate_kib\"] = 1024
json.dump(p, open(sys.argv[1], \"w\"))' /tmp/vh80/vh80a.plan && cat /tmp/vh80/vh80a.plan")
put_hv2 vh80a "$PJ"
for n in $VMS; do lab_bg hv2 r-$n "$V receive --plan /tmp/vh80/$n.plan"; done
for n in $VMS; do lab_bg hv1 s-$n "$V send --plan /tmp/vh80/$n.plan"; done
wait_for hv1 "drbdsetup-84 sh-status ${RESN[vh80a]} 2>/dev/null | grep -q '^_cstate=SyncSource'" 300 "vh80a's resync" >/dev/null
lab_bg_kill hv1 s-vh80a INT
rc=0; lab_bg_wait hv1 s-vh80a 300 || rc=$?
assert_eq "$rc" 13 "send of vh80a aborted: $(lab_bg_log hv1 s-vh80a | tail -n 3)"
rc=0; lab_bg_wait hv2 r-vh80a 300 || rc=$?
assert_eq "$rc" 13 "receive of vh80a aborted by itself"
for n in vh80b vh80c; do
	lab_bg_wait hv1 s-$n 900 || fail "send of $n (vh80a aborted meanwhile) exited $?: $(lab_bg_log hv1 s-$n | tail -n 3)"
	lab_bg_wait hv2 r-$n 300 || fail "receive of $n exited $?"
	ring_on hv2 $n
done
ring_on hv1 vh80a
assert_clean "after a batch of three with one aborted"
say_t "one move of three aborted: the other two (UUIDs alike: ${RESN[vh80b]}, ${RESN[vh80c]}) moved at once, the aborted VM runs on on hv1, both clean"
fi
say_t "passed"

#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Lab scenario: the whole move through the phase commands (src/core/engine).
#   1. happy path, one disk: the busy VM moves hv1 -> hv2, each phase run on
#      its host in order (preflight, prepare on hv1, bridge on hv1, prepare on
#      hv2, wait-sync on both, migrate --leave-paused on hv1); while the VM is
#      paused on hv2 the sha256 of hv1's and hv2's whole LV are equal; then
#      vmhop resume, release and cleanup on both.  A phase run again does
#      nothing.  Afterwards: the VM runs on hv2 from its own LV with a plain
#      linear table on hv2's disk, nothing of vmhop is left on either host (no
#      DRBD minor, no .copy, no meta-data LV, the usermode helper as before,
#      the journal done), hv1's LV is gone, and the writer's ring check passes.
#      Prints the freeze window and each phase's time.
#   2. abort after bridge on hv1: the VM keeps running on hv1 on its own
#      table; both hosts clean; abort exits 13 ("undone").
#   3. bad input: a plan for a VM that does not exist (exit 3, nothing
#      created), a plan for hosts this host is not (exit 4).
# timeout: 900
. "$(dirname "$0")/lib.sh"
t0=$(now)
BUILD=${BUILD:-build}
V=$BUILD/vmhop
BV="BUSYVM_BIN_DIR=$REPO/$BUILD/lab-bin $BUSYVM"
VIRSH="virsh -q -c qemu:///system"
N=vh60
SIZE=64
HELPER=/sys/module/drbd/parameters/usermode_helper
STATE=/var/lib/vmhop

jget() { python3 -c 'import json,sys; d=json.load(sys.stdin)
for k in sys.argv[1].split("."): d=d[int(k)] if isinstance(d,list) else d[k]
print(str(d).lower() if isinstance(d,bool) else d)' "$1"; }

# mkplan NAME UUID SIZE_BYTES [SRC_ADDR DST_ADDR]: a plan as `vmhop plan` writes it.
mkplan() {
	local md
	md=$(lab_out hv1 "$V --json meta size $3 --flexible" | jget min_md_bytes)
	python3 - "$1" "$2" "$3" "$md" "${4:-169.254.77.1}" "${5:-169.254.77.2}" <<'PY'
import json, sys
name, uuid, size, md, src, dst = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5], sys.argv[6]
res = "vh-" + uuid.replace("-", "")[:8]
print(json.dumps({
  "vmhop_plan": 1, "vm": {"name": name, "uuid": uuid}, "resource": res, "port": 7860,
  "source": {"host": "hv1", "address": src}, "dest": {"host": "hv2", "address": dst},
  "disks": [{"target": "vda", "vg": "vg", "lv": name, "size": size, "volume": 0, "minor": 60,
             "copy": res + "-0.copy", "meta": {"lv": res + "_0.vhmd", "index": "flexible", "bytes": md}}],
  "drbd": {"protocol": "C", "cram_hmac_alg": "sha256", "shared_secret": "lab-secret-0123456789abcdef",
           "resync_rate_kib": 102400, "c_plan_ahead": 0, "c_delay_target": 10,
           "c_fill_target_sectors": 0, "c_max_rate_kib": 102400, "c_min_rate_kib": 4096,
           "after_sb_0pri": "disconnect", "after_sb_1pri": "disconnect",
           "after_sb_2pri": "disconnect", "rr_conflict": "disconnect"},
  "migration": {"uri": "qemu+tcp://hv2/system", "max_downtime_ms": 300, "bandwidth_mib": 0,
                "keep_source": False},
  "timeouts": {"connect_s": 60, "sync_s": 300, "stall_s": 60, "migrate_s": 300, "gate_s": 30}}, indent=1))
PY
}
# vmhop plan on hv1 (as an operator would run it), the same file on hv2.
real_plan() {
	lab_out hv1 "rm -f $PLAN; $V plan $N --to hv2 --uri qemu+tcp://hv2/system --minor 60 --port 7860 --max-downtime 300 -o $PLAN" >/dev/null
	put_plan $PLAN "$(lab_out hv1 "cat $PLAN")"
}
put_plan() {	# put_plan FILE JSON: the same plan on both hosts
	local h
	for h in hv1 hv2; do lab_out $h "cat > $1 <<'EOF'
$2
EOF
chmod 600 $1" >/dev/null; done
}

# Nothing of vmhop on HOST: no DRBD minor, no copy device, no meta-data LV, helper as $2.
assert_clean() {
	local h=$1 helper=$2 out
	out=$(lab_out $h "echo minors=\$(ls /sys/block | grep -c '^drbd' || true) \
		copies=\$(dmsetup ls | grep -c '\\.copy' || true) \
		md=\$(lvs --noheadings -o lv_name vg | grep -c '\\.vhmd' || true) \
		helper=\$(cat $HELPER)")
	assert_eq "$out" "minors=0 copies=0 md=0 helper=$helper" "$h: nothing of vmhop left ($3)"
}

cleanup() {
	set +e
	for h in hv1 hv2; do
		lab_run $h "$VIRSH destroy $N; $VIRSH undefine $N
			for r in \$(drbdsetup-84 show | awk '/^resource vh-/ {print \$2}'); do drbdsetup-84 down \$r; done
			for d in \$(dmsetup ls | awk '/\\.copy/ {print \$1}'); do dmsetup remove \$d; done
			for l in \$(lvs --noheadings -o lv_name vg | grep '\\.vhmd'); do lvremove -q -y vg/\$l; done
			$V drbd helper restore; $BV destroy $N; rm -rf $STATE" >/dev/null 2>&1
	done
}
trap cleanup EXIT

declare -A HELP
for h in hv1 hv2; do
	HELP[$h]=$(lab_out $h "cat $HELPER")
	left=$(lab_out $h "$VIRSH list --all --name | grep -cx '$N' || true; lvs --noheadings vg/$N 2>/dev/null | wc -l")
	assert_eq "$(echo $left)" "0 0" "$h is clean before the scenario"
	assert_clean $h "${HELP[$h]}" "before"
done

lab_out hv1 "$BV create $N $SIZE" >/dev/null
lab_out hv1 "$BV wait-writes $N 64 120" >/dev/null
UUID=$(lab_out hv1 "$VIRSH domuuid $N")
RES=vh-${UUID:0:8}
PLAN=/tmp/$N.plan.json
real_plan
say "busy VM $N on hv1 (LV vg/$N, $SIZE MiB), plan for resource $RES on both hosts; helper hv1=${HELP[hv1]} hv2=${HELP[hv2]}"

# phase HOST NAME [ARGS]: run it with --json, keep its output in $OUT, print its time
declare -A T
phase() {
	local h=$1 p=$2 s rc=0
	shift 2
	s=$(now)
	OUT=$(lab_run $h "$V --json $p --plan $PLAN $*" 2>/tmp/$N-$p-$h.err) || rc=$?
	local t; t=$(elapsed "$s"); T[$p@$h]=${T[$p@$h]:-$t}
	if [ "$rc" -ne "${EXPECT_RC:-0}" ]; then
		printf '%s\n' "$OUT" >&2; cat /tmp/$N-$p-$h.err >&2
		fail "$h: vmhop $p exited $rc, want ${EXPECT_RC:-0}"
	fi
	say "  $p on $h: $t s ($(jget steps <<< "$OUT" 2>/dev/null || echo ?) steps, outcome $(jget outcome <<< "$OUT" 2>/dev/null || echo ?))"
}

# ---- 1. happy path --------------------------------------------------------
move_t0=$(now)
phase hv1 preflight
phase hv2 preflight
phase hv1 prepare
assert_eq "$(lab_out hv1 "drbdsetup-84 sh-status $RES | sed -n 's/^_cstate=//p;s/^_role=//p' | tr '\n' ' '")" "StandAlone Primary " "hv1 after prepare: Primary while StandAlone"
assert_eq "$(lab_out hv1 "dmsetup table vg-$N | awk '{print \$3}'")" linear "hv1: the VM's LV still on its own table after prepare"
phase hv1 bridge
FREEZE_NS=$(jget freeze_ns.0 <<< "$OUT")
assert_eq "$(lab_out hv1 "dmsetup table vg-$N")" "0 $((SIZE * 2048)) linear 147:60 0" "hv1: the VM's LV maps /dev/drbd60 after bridge"
phase hv1 bridge
assert_eq "$(jget steps <<< "$OUT")" 0 "bridge run again does nothing"
phase hv2 prepare
lab_bg hv1 ws1 "$V --json wait-sync --plan $PLAN"
phase hv2 wait-sync
lab_bg_wait hv1 ws1 300 || { lab_bg_log hv1 ws1 >&2; fail "hv1: wait-sync failed"; }
assert_eq "$(lab_out hv1 "drbdsetup-84 sh-status $RES | sed -n 's/^_cstate=//p;s/^_disk=//p;s/^_pdsk=//p' | tr '\n' ' '")" "Connected UpToDate UpToDate " "hv1 in sync"
n1=$(lab_out hv1 "c=\$($BV counter $N); $BV wait-writes $N \$((c + 32)) 60")
say "  the VM writes on through DRBD (counter $n1)"
phase hv1 migrate --leave-paused
assert_eq "$(jget gate <<< "$OUT")" pass "gate with --leave-paused"
assert_eq "$(lab_out hv2 "$VIRSH domstate $N")" paused "VM paused on hv2 after migrate --leave-paused"
assert_eq "$(lab_out hv1 "$VIRSH domstate $N")" "shut off" "VM stopped (still defined) on hv1"
sum1=$(lab_out hv1 "dd if=/dev/vg/$N bs=1M iflag=direct status=none | sha256sum | cut -c1-64")
sum2=$(lab_out hv2 "dd if=/dev/vg/$N bs=1M iflag=direct status=none | sha256sum | cut -c1-64")
assert_eq "$sum2" "$sum1" "whole-LV sha256 of hv1 and hv2 while paused on hv2"
say "  paused on hv2: sha256 of vg/$N equal on both hosts (${sum1:0:16}...)"
phase hv1 resume
assert_eq "$(jget gate <<< "$OUT")" pass "gate at resume"
assert_eq "$(lab_out hv2 "$VIRSH domstate $N")" running "VM runs on hv2 after resume"
assert_eq "$(lab_out hv1 "$VIRSH list --all --name | grep -cx $N || true")" 0 "VM undefined on hv1"
n2=$(lab_out hv2 "c=\$($BV counter $N); $BV wait-writes $N \$((c + 32)) 60")
say "  the VM writes on hv2 (counter $n2)"
phase hv2 release
phase hv1 release
phase hv1 cleanup
phase hv2 cleanup
phase hv1 cleanup
assert_eq "$(jget steps <<< "$OUT")" 0 "cleanup run again does nothing"
MOVE_S=$(elapsed "$move_t0")

for h in hv1 hv2; do
	assert_clean $h "${HELP[$h]}" "after the move"
	assert_eq "$(lab_out $h "python3 -c 'import json; j = json.load(open(\"$STATE/$UUID.journal\")); print([s[\"state\"] for s in j[\"steps\"] if s[\"id\"] == \"done\"], sum(s[\"state\"] == \"started\" for s in j[\"steps\"]))'")" "['done'] 0" "$h: journal marked done, no step left started"
done
assert_eq "$(lab_out hv1 "lvs --noheadings vg/$N 2>/dev/null | wc -l")" 0 "hv1's LV removed"
tbl=$(lab_out hv2 "dmsetup table vg-$N")
pv=$(lab_out hv2 "stat -L -c '%t:%T' \$(pvs --noheadings -o pv_name | head -n1 | tr -d ' ')")
pvdev=$(printf '%d:%d' "0x${pv%%:*}" "0x${pv##*:}")
assert_match "$tbl" "^0 $((SIZE * 2048)) linear $pvdev [0-9]+$" "hv2: the VM's LV is a plain linear table on hv2's disk"
assert_eq "$(lab_out hv2 "$VIRSH domstate $N")" running "VM still runs on hv2"
chk=$(lab_out hv2 "$BV check $N")
say "  ring check on hv2: $(tail -n1 <<< "$chk")"
say "happy path: moved in $MOVE_S s; freeze window $FREEZE_NS ns ($(awk -v n=$FREEZE_NS 'BEGIN{printf "%.1f", n/1000}') us)"
say "  phase times: preflight ${T[preflight@hv1]}/${T[preflight@hv2]} s, prepare hv1 ${T[prepare@hv1]} s, bridge ${T[bridge@hv1]} s, prepare hv2 ${T[prepare@hv2]} s, wait-sync hv2 ${T[wait-sync@hv2]} s, migrate ${T[migrate@hv1]} s, resume ${T[resume@hv1]} s, release hv2 ${T[release@hv2]} s / hv1 ${T[release@hv1]} s, cleanup hv2 ${T[cleanup@hv2]} s"
lab_out hv2 "$BV destroy $N; rm -rf $STATE" >/dev/null
lab_out hv1 "rm -rf $STATE" >/dev/null

# ---- 2. abort after bridge --------------------------------------------------
lab_out hv1 "$BV create $N $SIZE" >/dev/null
lab_out hv1 "$BV wait-writes $N 64 120" >/dev/null
UUID=$(lab_out hv1 "$VIRSH domuuid $N")
RES=vh-${UUID:0:8}
real_plan
own=$(lab_out hv1 "dmsetup table vg-$N")
phase hv1 prepare
phase hv1 bridge
phase hv2 prepare
EXPECT_RC=13 phase hv1 abort
assert_eq "$(jget outcome <<< "$OUT")" undone "abort on hv1"
EXPECT_RC=13 phase hv2 abort
EXPECT_RC=13 phase hv1 abort
assert_eq "$(jget steps <<< "$OUT")" 0 "abort run again does nothing"
assert_eq "$(lab_out hv1 "dmsetup table vg-$N")" "$own" "hv1: the VM's LV back on its own table"
assert_eq "$(lab_out hv1 "$VIRSH domstate $N")" running "VM still runs on hv1 after abort"
assert_eq "$(lab_out hv2 "lvs --noheadings vg/$N 2>/dev/null | wc -l")" 0 "hv2's LV (created by the move) removed"
for h in hv1 hv2; do assert_clean $h "${HELP[$h]}" "after abort"; done
n3=$(lab_out hv1 "c=\$($BV counter $N); $BV wait-writes $N \$((c + 32)) 60")
chk=$(lab_out hv1 "$BV check $N")
say "abort after bridge: hv1 on its own table, VM ran on (counter $n3), both clean; ring check: $(tail -n1 <<< "$chk")"
lab_out hv1 "$BV destroy $N; rm -rf $STATE" >/dev/null
lab_out hv2 "rm -rf $STATE" >/dev/null

# ---- 3. bad input -----------------------------------------------------------
put_plan $PLAN "$(mkplan nosuchvm 01234567-89ab-cdef-0123-456789abcdef 67108864)"
rc=0; out=$(lab_run hv1 "$V prepare --plan $PLAN 2>&1") || rc=$?
assert_eq "$rc" 3 "prepare for an unknown VM (exit)"
assert_eq "$(wc -l <<< "$out")" 1 "one line: $out"
assert_eq "$(lab_out hv1 "ls /sys/block | grep -c '^drbd' || true; lvs --noheadings -o lv_name vg | grep -c vhmd || true" | tr '\n' ' ')" "0 0 " "nothing created for an unknown VM"
say "unknown VM: exit 3, '$out'"
put_plan $PLAN "$(mkplan $N 01234567-89ab-cdef-0123-456789abcdef 67108864 169.254.77.101 169.254.77.102)"
rc=0; out=$(lab_run hv1 "$V prepare --plan $PLAN 2>&1") || rc=$?
assert_eq "$rc" 4 "a plan for other hosts (exit)"
say "plan for hosts that are neither: exit 4, '$out'"

cleanup
trap - EXIT
say "ok in $(elapsed "$t0") s"

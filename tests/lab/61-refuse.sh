#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Lab scenario: what the destination refuses, and status without a plan.
# Every part runs on hv2 (D) with a plan made on hv1 (no VM needs to run: D's
# checks are about D), and checks that a refusal changes nothing: no LV, no
# DRBD minor, no .copy, no meta-data LV, no journal.
#   a. the plan's port listened on by another program on hv2's address:
#      preflight and prepare exit 5 naming the port and the address; the
#      same port configured on another DRBD resource (drbdsetup-84): exit 5.
#   b. the plan's minor taken on hv2 by a drbdsetup-84 resource: exit 5.
#   c. hv2's VG too small for the disk: exit 6.
#   d. a move prepared on hv2 (LV, meta-data, .copy, DRBD waiting for hv1),
#      its journal truncated in a copy of the state directory: status --plan,
#      status RESOURCE and the phase commands exit 4 naming the file, and
#      change nothing (the file, DRBD, the LVs); status with no argument
#      lists it as unreadable and still succeeds.
#   e. status with no argument lists the move, status RESOURCE shows it with
#      the facts read from hv2 (its LV on its own table, the .copy, the
#      meta-data LV, DRBD WFConnection, the VM not defined here); abort on
#      hv2 then leaves it clean (exit 13).
# timeout: 400
. "$(dirname "$0")/lib.sh"
t0=$(now)
BUILD=${BUILD:-build}
V=$BUILD/vmhop
N=vh61
UUID=61a2b3c4-0000-4000-8000-000000000061
RES=vh-61a2b3c4
MINOR=61
PORT=7861
D_ADDR=169.254.77.2
STATE=/var/lib/vmhop
COPY=/tmp/vh61-state
PLAN=/tmp/$N.plan.json

jget() { python3 -c 'import json,sys; d=json.load(sys.stdin)
for k in sys.argv[1].split("."): d=d[int(k)] if isinstance(d,list) else d[k]
print(str(d).lower() if isinstance(d,bool) else d)' "$1"; }

# mkplan SIZE_BYTES: the plan, as `vmhop plan` on hv1 writes it (the meta-data
# size from hv1's vmhop), on both hosts.
mkplan() {
	local md json
	md=$(lab_out hv1 "$V --json meta size $1 --flexible" | jget min_md_bytes)
	json=$(python3 - "$N" "$UUID" "$1" "$md" "$RES" "$MINOR" "$PORT" <<'PY'
import json, sys
name, uuid, size, md, res, minor, port = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5], int(sys.argv[6]), int(sys.argv[7])
print(json.dumps({
  "vmhop_plan": 1, "vm": {"name": name, "uuid": uuid}, "resource": res, "port": port,
  "source": {"host": "hv1", "address": "169.254.77.1"}, "dest": {"host": "hv2", "address": "169.254.77.2"},
  "disks": [{"target": "vda", "vg": "vg", "lv": name, "size": size, "volume": 0, "minor": minor,
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
)
	for h in hv1 hv2; do lab_out $h "cat > $PLAN <<'EOF'
$json
EOF
chmod 600 $PLAN" >/dev/null; done
	lab_out hv1 "$V plan --check $PLAN" >/dev/null
}

cleanup() {
	set +e
	lab_run hv2 "[ -s /tmp/vh61-listen.pid ] && kill \$(cat /tmp/vh61-listen.pid)
		for r in $RES r61; do drbdsetup-84 down \$r; done
		dmsetup remove $RES-0.copy; lvremove -q -y vg/$N vg/${RES}_0.vhmd vg/vh61fill
		$V drbd helper restore; rm -rf $STATE $COPY /tmp/vh61-listen.pid" >/dev/null 2>&1
	lab_run hv1 "rm -f $PLAN" >/dev/null 2>&1
}
trap cleanup EXIT

# Nothing of this move on hv2 ($1: what was refused).
assert_nothing() {
	local out
	out=$(lab_out hv2 "echo lv=\$(lvs --noheadings -o lv_name vg | grep -Ec '^ *($N|${RES}_0\\.vhmd)\$' || true) \
		minor=\$([ -e /sys/block/drbd$MINOR ] && echo yes || echo no) \
		res=\$(drbdsetup-84 show $RES >/dev/null 2>&1 && echo yes || echo no) \
		copy=\$(dmsetup ls | grep -c '\\.copy' || true) \
		journal=\$(ls $STATE/*.journal 2>/dev/null | wc -l)")
	assert_eq "$out" "lv=0 minor=no res=no copy=0 journal=0" "hv2: nothing created ($1)"
}

# refused HOST RC PATTERN CMD...: CMD exits RC with one line on stderr matching PATTERN.
refused() {
	local h=$1 want=$2 pat=$3 rc=0 err
	shift 3
	err=$(lab_run $h "$* 2>&1 >/dev/null") || rc=$?
	[ "$rc" -eq "$want" ] || { printf '%s\n' "$err" >&2; fail "$h: '$*' exited $rc, want $want"; }
	assert_match "$err" "$pat" "$h: '$*' says why"
	assert_eq "$(printf '%s\n' "$err" | grep -c .)" 1 "$h: '$*': one line on stderr"
}

SIZE=$((64 << 20))
mkplan $SIZE
say "plan for $RES (minor $MINOR, port $PORT, 64 MiB) on hv1 and hv2"
assert_nothing "before"

# ---- a. the port -----------------------------------------------------------
lab_out hv2 "setsid python3 -c '
import socket, time
s = socket.socket(); s.bind((\"$D_ADDR\", $PORT)); s.listen(1)
open(\"/tmp/vh61-listen.pid\", \"w\").write(str(__import__(\"os\").getpid()))
time.sleep(300)' > /dev/null 2>&1 < /dev/null &
	for i in \$(seq 1 100); do [ -s /tmp/vh61-listen.pid ] && ss -ltn | grep -q '$D_ADDR:$PORT ' && exit 0; sleep 0.1; done; exit 1" >/dev/null
for p in preflight prepare; do
	refused hv2 5 "port $PORT on $D_ADDR is in use" "$V $p --plan $PLAN"
done
assert_nothing "port listened on"
lab_out hv2 "kill \$(cat /tmp/vh61-listen.pid); rm -f /tmp/vh61-listen.pid
	for i in \$(seq 1 100); do ss -ltn | grep -q '$D_ADDR:$PORT ' || exit 0; sleep 0.1; done; exit 1" >/dev/null
say "a. port $PORT listened on by python on hv2: preflight and prepare exit 5, nothing created"

# the same port configured on another DRBD resource (no volume, so not the minor)
lab_out hv2 "drbdsetup-84 new-resource r61 && drbdsetup-84 connect r61 ipv4:$D_ADDR:$PORT ipv4:169.254.77.1:$PORT --protocol=C" >/dev/null
refused hv2 5 "port $PORT is configured on DRBD resource r61" "$V preflight --plan $PLAN"
lab_out hv2 "drbdsetup-84 down r61" >/dev/null
assert_nothing "port configured on r61"
say "a. port $PORT configured on DRBD resource r61 on hv2: exit 5"

# ---- b. the minor ------------------------------------------------------------
lab_out hv2 "drbdsetup-84 new-resource r61 && drbdsetup-84 new-minor r61 $MINOR 0" >/dev/null
for p in preflight prepare; do
	refused hv2 5 "DRBD minor $MINOR is in use on this host \\(resource r61\\)" "$V $p --plan $PLAN"
done
lab_out hv2 "drbdsetup-84 down r61" >/dev/null
assert_nothing "minor taken"
say "b. minor $MINOR taken by drbdsetup-84 resource r61 on hv2: exit 5, nothing created"

# ---- c. the VG too small -------------------------------------------------------
read -r vgfree extent < <(lab_out hv2 "vgs --noheadings --units b --nosuffix -o vg_free,vg_extent_size vg")
big=$(( (vgfree / extent + 1) * extent ))
mkplan $big
for p in preflight prepare; do
	refused hv2 6 "VG vg has [0-9]+ bytes free, the move needs" "$V $p --plan $PLAN"
done
assert_nothing "VG too small"
say "c. a disk of $big bytes, hv2's VG has $vgfree free: exit 6, nothing created"

# ---- d, e. a prepared move; status; a truncated journal ---------------------------
mkplan $SIZE
lab_out hv2 "$V preflight --plan $PLAN && $V prepare --plan $PLAN" >/dev/null
J=$STATE/$UUID.journal
out=$(lab_out hv2 "$V status")
assert_match "$out" "^$RES  VM $N  dest  last phase prepare  next: vmhop wait-sync" "status lists the move"
js=$(lab_out hv2 "$V --json status")
assert_eq "$(jget 0.resource <<< "$js"),$(jget 0.role <<< "$js"),$(jget 0.last_phase <<< "$js"),$(jget 0.aborted <<< "$js")" \
	"$RES,dest,prepare,false" "status --json lists the move"
st=$(lab_out hv2 "$V --json status $RES")
d0() { jget disks.0.$1 <<< "$st"; }
assert_eq "$(jget journal <<< "$st")" "$J" "status RESOURCE found the journal"
assert_eq "$(d0 lv_here) $(d0 lv_maps) $(d0 copy_here) $(d0 md_lv_here)" \
	"present its own table present present" "status RESOURCE: hv2's LV, .copy, meta-data LV"
assert_eq "$(d0 cstate) $(d0 role) $(jget vm_here <<< "$st")" "WFConnection Secondary not defined" \
	"status RESOURCE: DRBD and the VM on hv2"
table=$(lab_out hv2 "dmsetup table vg-$N")
assert_eq "$(d0 lv_table)" "$table" "status shows the LV's table as dmsetup does"
assert_eq "$(lab_out hv2 "$V --json status --plan $PLAN" | jget disks.0.lv_maps)" "its own table" \
	"status --plan shows the same"
say "e. status lists $RES (dest, prepare) and status $RES reads hv2: $(d0 lv_maps), copy $(d0 copy_here), $(d0 cstate)"

before=$(lab_out hv2 "rm -rf $COPY && cp -a $STATE $COPY && truncate -s 300 $COPY/$UUID.journal &&
	sha256sum $COPY/$UUID.journal | cut -c1-64; drbdsetup-84 sh-status $RES | sort; lvs --noheadings -o lv_name,lv_size vg | sort")
for c in "status --plan $PLAN" "status $RES" "preflight --plan $PLAN" "prepare --plan $PLAN" \
	 "wait-sync --plan $PLAN" "abort --plan $PLAN"; do
	refused hv2 4 "journal $COPY/$UUID.journal is corrupt or truncated" "$V $c --state-dir $COPY"
done
after=$(lab_out hv2 "sha256sum $COPY/$UUID.journal | cut -c1-64; drbdsetup-84 sh-status $RES | sort; lvs --noheadings -o lv_name,lv_size vg | sort")
assert_eq "$after" "$before" "the truncated journal, DRBD and the LVs are as they were"
out=$(lab_out hv2 "$V status --state-dir $COPY")
assert_match "$out" "^$COPY/$UUID.journal: unreadable: journal $COPY/$UUID.journal is corrupt or truncated" \
	"status lists the unreadable journal"
say "d. journal truncated to 300 bytes: status --plan, status $RES, preflight, prepare, wait-sync, abort exit 4 naming it; nothing changed"

rc=0
lab_run hv2 "$V abort --plan $PLAN" >/dev/null || rc=$?
assert_eq "$rc" 13 "abort on hv2: undone"
out=$(lab_out hv2 "$V status")
assert_match "$out" "^$RES  VM $N  dest  .*ABORTED  next: nothing: the move was aborted" "status lists the aborted move"
lab_out hv2 "rm -f $STATE/$UUID.journal" >/dev/null	# the aborted move's journal stays; assert_nothing wants none
assert_nothing "after abort"
out=$(lab_out hv2 "$V status")
assert_eq "$out" "no move has a journal in $STATE" "status with nothing left"
say "abort on hv2: exit 13, clean; scenario took $(elapsed "$t0") s"

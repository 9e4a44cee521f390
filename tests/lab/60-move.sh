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
#      Prints the freeze window and each phase's time.  SIGKILL in the middle
#      of prepare, of bridge and of release, on hv1 here and on hv2 in part 4:
#      killed while a step is under way (the step is printed), status names
#      it, the phase run again finishes and the move goes on.  The bridge and
#      hv1's release are killed inside their dm swap, between its load and its
#      resume (ioctls slowed under strace; the guest waits for the table in
#      the inactive slot): the LV is left running on its old table, the new
#      one waiting inactive (status: lv_inactive), and the phase run again
#      swaps.
#   2. abort after bridge on hv1: the VM keeps running on hv1 on its own
#      table; both hosts clean; abort exits 13 ("undone").  Before it, 2a:
#      the bridge killed inside its swap and abort run at once: it clears
#      DRBD's table from the inactive slot (it holds /dev/drbd60 open) before
#      DRBD goes down; hv1 clean.
#   2b. lvchange --refresh of the VM's LV on hv1 after the bridge (it puts the
#      LV back on its extents): migrate refuses and says so, the VM runs on
#      on hv1, abort on both hosts leaves both clean.
#   2c. the DRBD port cut on hv1 while libvirt migrates (a short gate; the
#      migration held before its first byte until the VM has written blocks
#      hv2 lacks): migrate stops with exit 14, the VM paused on hv2, status
#      shows the blocks hv2 lacks, abort refuses (exit 5); the link restored,
#      DRBD resyncs, both LVs' sha256 equal, vmhop resume passes the gate, the
#      move finishes, both hosts clean, the ring check passes on hv2.
#   2d. the same cut, and the link never comes back: migrate exits 14, status
#      names vmhop restart; hv1's disk holds every acknowledged write (ring
#      check while the VM is shut off there and paused on hv2); vmhop restart
#      on hv1 (13) removes the VM on hv2 and starts it on hv1 from its own
#      table; abort on hv2 (13) removes hv2's stale LV; both hosts clean.
#   2e. the VM's LV's dm table: (1) a snapshot of it (lvcreate -s puts it on
#      a snapshot-origin table): vmhop plan, preflight and prepare exit 8
#      naming it, nothing created; (2) the LV extended (lvextend, 64 -> 72
#      MiB) between prepare and bridge: the bridge exits 1 (ESTALE) naming
#      the change, the LV stays on its own 72 MiB table, the VM runs on;
#      abort on both hosts leaves both clean, the ring check passes.
#   4. two disks: a second LV hot-plugged into the busy VM (vdb, random
#      data); one resource, two volumes; both LVs' sha256 equal while paused
#      on hv2; both moved, both hosts clean, the VM on hv2 has both disks.
#   5. the fence (docs/engine.md, "The fence"): the phases in order, then a
#      plain `vmhop migrate` on hv1, libvirt's kill of S's QEMU delayed:
#      D's Finish is seen from hv2's event and the VM resumes on hv2 behind
#      the fence, before libvirt's Confirm ended (migrate's JSON:
#      early_switch, fenced); the twin: as soon as the VM runs on hv2, S's
#      QEMU is resumed by hand (`cont` on a QMP monitor of the test's own):
#      QEMU's count of completed writes does not move; after it hv1's LV is
#      on an error table (dmsetup table), a direct write to it and a direct
#      read from it both fail (dd: EIO); release on hv2 and hv1 (hv1's own
#      table back: linear), cleanup on both; the ring check passes on hv2,
#      both hosts clean.
#   3. bad input: a plan for a VM that does not exist (exit 3, nothing
#      created), a plan for hosts this host is not (exit 4).
# Parts 2, 2b and 2c share one busy VM: 2 and 2b leave it running on hv1 on its
# own table, their ring checks with the VM paused (then it writes on), each
# covering the writes since the check before.  A host's several checks in a row
# are one `lab.sh run`; the two hosts' checks run at the same time.
# timeout: 1800
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
# SECTIONS="1 2c" runs only those parts (all by default).
want() { [[ " ${SECTIONS:-1 2 2b 2c 2d 2e 4 5 3} " == *" $1 "* ]]; }

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
sha_cmd() { echo "dd if=/dev/vg/$1 bs=1M iflag=direct status=none | sha256sum | cut -c1-64"; }	# of the whole LV vg/$1
counter_cmd() { echo "c=\$($BV counter $N); $BV wait-writes $N \$((c + 32)) 60"; }	# the VM writes on

# vmhop plan on hv1 (as an operator would run it), the same file on hv2; the
# plan's text in PLAN_JSON.  real_plan [PORT [PLAN OPTIONS]]: a port of its own
# per part (a connection cut in 2c leaves orphaned sockets on 7860 for a while).
real_plan() {
	local port=${1:-7860}
	shift $(( $# ? 1 : 0 ))
	PLAN_JSON=$(lab_out hv1 "rm -f $PLAN; $V plan $N --to hv2 --dest-uri qemu+tcp://hv2/system --minor 60 --port $port --max-downtime 300 $* -o $PLAN >/dev/null && cat $PLAN")
	put_plan $PLAN "$PLAN_JSON" hv2
	# the resource carries the plan's nonce (docs/engine.md, "Names")
	RES=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["resource"])' <<< "$PLAN_JSON")
}
put_plan() {	# put_plan FILE JSON [HOST]: the same plan on both hosts (or HOST)
	local cmd="umask 077; cat > $1 <<'EOF'
$2
EOF
chmod 600 $1"
	if [ -n "${3:-}" ]; then lab_out $3 "$cmd" >/dev/null; else lab_both "$cmd" "$cmd"; fi
}

# Nothing of vmhop on a host: no DRBD minor, no copy device, no meta-data LV,
# the helper as HELPER.  clean_cmd prints the command; assert_clean HOST HELPER
# WHAT [OUT] checks its output OUT (run on HOST when not given).
clean_cmd() {
	echo "echo minors=\$(ls /sys/block | grep -c '^drbd' || true) \
		copies=\$(dmsetup ls | grep -c '\\.copy' || true) \
		md=\$(lvs --noheadings -o lv_name vg | grep -c '\\.vhmd' || true) \
		helper=\$(cat $HELPER)"
}
assert_clean() {
	assert_eq "${4-$(lab_out $1 "$(clean_cmd)")}" "minors=0 copies=0 md=0 helper=$2" "$1: nothing of vmhop left ($3)"
}

cleanup() {
	set +e
	for h in hv1 hv2; do
		lab_run $h "$VIRSH destroy $N; $VIRSH undefine $N
			for r in \$(drbdsetup-84 show | awk '/^resource vh-/ {print \$2}'); do drbdsetup-84 down \$r; done
			for d in \$(dmsetup ls | awk '/\\.copy/ {print \$1}'); do dmsetup remove \$d; done
			for l in \$(lvs --noheadings -o lv_name vg | grep '\\.vhmd'); do lvremove -q -y vg/\$l; done
			$V drbd helper restore; $BV destroy $N; lvremove -q -y vg/${N}b; rm -rf $STATE" >/dev/null 2>&1 &
	done
	wait
}
trap cleanup EXIT

declare -A HELP
pre="$(lab_seq "cat $HELPER" "$VIRSH list --all --name | grep -cx '$N' || true; lvs --noheadings vg/$N 2>/dev/null | wc -l" "$(clean_cmd)")"
lab_both "$pre" "$pre"
for h in hv1 hv2; do
	[ $h = hv1 ] && out=$OUT1 || out=$OUT2
	HELP[$h]=$(lab_field 1 <<< "$out")
	assert_eq "$(echo $(lab_field 2 <<< "$out"))" "0 0" "$h is clean before the scenario"
	assert_clean $h "${HELP[$h]}" "before" "$(lab_field 3 <<< "$out")"
done

PLAN=/tmp/$N.plan.json

# The busy VM running on hv1, writing, in UUID and RES: the one the part
# before left there (VM_ON_HV1=1: that part ended with it running on its own
# table on hv1, its ring checked with check-paused), else a new one.  Saves a
# QEMU start (TCG in TCG, SeaBIOS) per part.
VM_ON_HV1=
vm_on_hv1() {
	if [ -n "$VM_ON_HV1" ]; then
		say "  the busy VM $N as the part before left it, running on hv1"
	else
		UUID=$(lab_out hv1 "$(lab_seq "$BV create $N $SIZE >/dev/null" "$BV wait-writes $N 64 120 >/dev/null" "$VIRSH domuuid $N")" | lab_field 3)
		LAST_CHECK=0
	fi
	VM_ON_HV1=
	RES=vh-${UUID:0:8}
}
# ring_note CHECK_OUTPUT: RING_SAY is the seqcheck line and how many writes it
# covers since the check before on the same VM (the ring holds 8192).
ring_note() {
	local w
	w=$(sed -n 's/.*seqcheck: ok writes=\([0-9]*\).*/\1/p' <<< "$1" | tail -n1)
	RING_SAY="$(tail -n1 <<< "$1") ($(( ${w:-0} - LAST_CHECK )) of them since the VM started or its ring was checked before)"
	LAST_CHECK=${w:-0}
}
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

# kill_in HOST PHASE STEP [WRAP]: run PHASE on HOST in the background (as
# lab_bg does) and
# SIGKILL it while a step is under way.  The guest polls the journal's
# engine.doing (the step named, and saved, before it acts) until it names a
# step beginning with STEP, stops vmhop (SIGSTOP), reads the journal again
# and, if a step is still under way, kills it there with SIGKILL (else it
# lets vmhop go on and polls again).  WRAP (strace ... --) runs vmhop under
# strace to slow down a step too short to catch: vmhop is then killed as
# soon as the step is named.  vmhop runs here at the priority of the shell
# that polls (VMHOP_NICE=0): at its default, nice -10, it ended a whole
# prepare before that shell, at nice 0, had started polling.  Says which
# step the journal names once vmhop
# is dead; vmhop status (in the same run) must show it interrupted.  The
# caller runs the phase again.
NL_SLOW="strace -f -qq -o /dev/null -e trace=sendto -e inject=sendto:delay_exit=300000 --"
kill_in() {
	local h=$1 p=$2 step=$3 wrap=${4:-} s st at out
	s=$(now)
	# One run starts PHASE and polls (a second run's start can come after a
	# short phase has ended, as it did for release on hv2 in a loaded lab).
	out=$(lab_out $h "{ $(lab_bg_cmd kill-$p "env VMHOP_NICE=0 $wrap $V --json $p --plan $PLAN")
} >/dev/null && bash -s $STATE/$UUID.journal /tmp/lab-bg/kill-$p '$step' '$wrap' <<'EOF' && echo @@ && $V --json status --plan $PLAN
j=\$1 bg=\$2 want=\$3 wrap=\$4 re='\"doing\": *\"([^\"]*)\"' end=\$((SECONDS + 300)) pid=
while [ -z \"\$pid\" ]; do	# under strace: vmhop is its child
	pid=\$(<\$bg.pid)
	[ -z \"\$wrap\" ] || pid=\$(cat /proc/\$pid/task/\$pid/children 2>/dev/null) || pid=
	pid=\${pid%% *}
done
while :; do
	[ ! -s \$bg.rc ] || { echo \"\$(<\$bg.log)\"; echo \"ended (\$(<\$bg.rc)) before a step '\$want'\"; exit 1; }
	[ \$SECONDS -lt \$end ] || { echo \"no step '\$want' in 300 s\"; exit 1; }
	t=; { read -r -d '' t < \$j; } 2>/dev/null
	[[ \$t =~ \$re && \${BASH_REMATCH[1]} == \"\$want\"* ]] || continue
	[ -z \"\$wrap\" ] || break
	kill -STOP \$pid
	t=; { read -r -d '' t < \$j; } 2>/dev/null
	[[ \$t =~ \$re && -n \${BASH_REMATCH[1]} ]] && break
	kill -CONT \$pid
done
kill -KILL \$pid
while [ ! -s \$bg.rc ]; do sleep 0.05; done
[ \"\$(<\$bg.rc)\" = 137 ] || { echo \"exit \$(<\$bg.rc), not killed\"; exit 1; }
t=; { read -r -d '' t < \$j; } 2>/dev/null
[[ \$t =~ \$re && -n \${BASH_REMATCH[1]} ]] || { echo \"the kill landed between two steps\"; exit 1; }
echo \"\${BASH_REMATCH[1]}\"
EOF")
	at=$(lab_field 1 <<< "$out")
	at=${at//'\/'/'/'}	# JSON's escaped slashes
	st=$(lab_field 2 <<< "$out")	# status, run right after the kill
	assert_eq "$(jget state.doing <<< "$st")" "$at" "$h: status after the kill in $p shows the step under way"
	assert_match "$(jget next.text <<< "$st")" "interrupted: run the same phase again" "$h: status's next action after the kill in $p"
	say "  SIGKILL in $p on $h${wrap:+ (under strace, syscalls slowed)}: in step '$at'; killed run and status $(elapsed "$s") s; status: next '$(jget next.text <<< "$st")'"
}
# lv_after_kill HOST LV OWN: after a kill, the LV's live table is DRBD's or
# OWN (its own), and it is not suspended; says which, and any inactive table.
lv_after_kill() {
	local h=$1 lv=$2 own=$3 tbl info out
	out=$(lab_out $h "$(lab_seq "dmsetup table vg-$lv" "dmsetup info vg-$lv")")
	tbl=$(lab_field 1 <<< "$out"); info=$(lab_field 2 <<< "$out")
	[[ $tbl == "$own" || $tbl == "0 $((SIZE * 2048)) linear 147:60 0" ]] ||
		fail "$h: vg-$lv's table after the kill is neither DRBD's nor its own: $tbl"
	[[ $info != *SUSPENDED* ]] || fail "$h: vg-$lv left suspended by the kill: $info"
	say "  $h after the kill: vg-$lv $([[ $tbl == "$own" ]] && echo "on its own table" || echo "still on /dev/drbd60"), $(sed -n 's/^State: *//p' <<< "$info"), tables: $(sed -n 's/^Tables present: *//p' <<< "$info")"
}

# kill_in_swap HOST PHASE LV: run PHASE on HOST in the background under strace
# with every ioctl's return delayed by 2 s, and SIGKILL vmhop between the
# load and the resume of its swap of vg-LV: the guest polls the device until
# it has a table in its inactive slot (the load done, the resume not yet
# begun: it comes after the load's 2 s; one poll, a dmsetup, takes up to half
# a second in a loaded TCG guest), then kills.  Fails if the phase
# ends first or the kill comes after the resume.  vmhop status must name the
# swap's step under way.
kill_in_swap() {
	local h=$1 p=$2 lv=$3 s st at
	s=$(now)
	# started by the same guest command that watches it
	at=$(lab_out $h "$(lab_bg_cmd swapkill-$p "strace -f -qq -o /dev/null -e trace=ioctl -e inject=ioctl:delay_exit=2000000 -- $V --json $p --plan $PLAN") || { echo 'not started'; exit 1; }
bash -s /tmp/lab-bg/swapkill-$p vg-$lv $STATE/$UUID.journal <<'EOF'
bg=\$1 dev=\$2 j=\$3 re='\"doing\": *\"([^\"]*)\"' end=\$((SECONDS + 120)) pid=
while [ -z \"\$pid\" ]; do pid=\$(cat /proc/\$(<\$bg.pid)/task/\$(<\$bg.pid)/children 2>/dev/null) || pid=; pid=\${pid%% *}; done
until dmsetup info \$dev 2>/dev/null | grep -q '^Tables present: *LIVE & INACTIVE'; do
	[ ! -s \$bg.rc ] || { cat \$bg.log; echo \"ended (\$(<\$bg.rc)) before its swap loaded\"; exit 1; }
	[ \$SECONDS -lt \$end ] || { echo \"no inactive table on \$dev in 120 s\"; exit 1; }
done
kill -KILL \$pid
while [ ! -s \$bg.rc ]; do sleep 0.05; done
dmsetup info \$dev | grep -q '^Tables present: *LIVE & INACTIVE' || { echo \"the kill came after the resume\"; exit 1; }
t=; { read -r -d '' t < \$j; } 2>/dev/null
[[ \$t =~ \$re && -n \${BASH_REMATCH[1]} ]] || { echo \"the journal names no step under way\"; exit 1; }
echo \"\${BASH_REMATCH[1]}\"
EOF") || fail "$h: SIGKILL inside $p's swap of vg-$lv: $at"
	at=${at//'\/'/'/'}
	st=$(lab_out $h "$V --json status --plan $PLAN")
	assert_eq "$(jget state.doing <<< "$st")" "$at" "$h: status after the kill in $p's swap shows the step under way"
	say "  SIGKILL in $p on $h between the load and the resume of its swap of vg-$lv (ioctls slowed under strace): in step '$at'; status: lv_inactive '$(jget disks.0.lv_inactive_text <<< "$st")'; $(elapsed "$s") s"
}

# cut_in_migration PORT: vmhop migrate on hv1 in the background, and DRBD's
# PORT cut on hv1 while libvirt's migration is held before its first byte:
# hv2 stalls libvirt's migration ports (fault.sh stall) before migrate starts,
# so QEMU's connection hangs, and the VM runs and writes on on hv1, until
# hv1's DRBD has seen the loss and the VM has written blocks hv2 lacks since;
# then the stall ends and the migration goes on (TCP retries the connection).
# A freshly booted VM's RAM is mostly zero pages, cheap to send: unheld, its
# migration ended before a cut made 3 s into it, in CI.  The cut (nothing
# passes) comes with a reset of DRBD's connections on hv1, so that DRBD sees
# the loss at once instead of after its ping timeout; the cut keeps it from
# reconnecting.  migrate's status in RC, its output in OUT.
cut_in_migration() {
	lab_out hv2 "$FAULT stall 49152/0xffc0" >/dev/null
	lab_bg hv1 mig "$V --json migrate --plan $PLAN"
	wait_for hv1 "$VIRSH domjobinfo $N 2>/dev/null | grep -q Unbounded" 180 "libvirt's migration job" \
		"$FAULT cut $1 && $FAULT reset $1" >/dev/null
	# hv1's reset reaches no further than its cut: hv2 would see the loss
	# only at its ping timeout, and until then still say Connected,
	# UpToDate/UpToDate, even once the link is back (2c's wait for the
	# resync would pass on its stale view).  So hv2's connections are reset too.
	lab_out hv2 "$FAULT reset $1 >/dev/null 2>&1 || true" >/dev/null
	wait_for hv2 "! drbdsetup-84 sh-status $RES | grep -q '^_cstate=Connected'" 60 "DRBD's loss of its link" >/dev/null
	wait_for hv1 "! drbdsetup-84 sh-status $RES | grep -q '^_cstate=Connected' && grep -q ' oos:[1-9]' /proc/drbd" 60 \
		"DRBD's loss of its link, and a write of the VM's since" \
		"$VIRSH domstate $N | grep -qx running || { echo 'the VM stopped running on hv1 before the loss'; exit 1; }" >/dev/null
	lab_out hv2 "$FAULT unstall" >/dev/null
	RC=0; lab_bg_wait hv1 mig 400 || RC=$?
	OUT=$(lab_bg_log hv1 mig)
}

# ---- 1. happy path --------------------------------------------------------
if want 1; then
vm_on_hv1
real_plan
say "busy VM $N on hv1 (LV vg/$N, $SIZE MiB), plan for resource $RES on both hosts; helper hv1=${HELP[hv1]} hv2=${HELP[hv2]}"
move_t0=$(now)
phase hv1 preflight
phase hv2 preflight
kill_in hv1 prepare "create LV"
phase hv1 prepare
# The baseline (the third command): vmhop dm swap of the same LV onto its own
# table, same writer.
out=$(lab_out hv1 "$(lab_seq "drbdsetup-84 sh-status $RES | sed -n 's/^_cstate=//p;s/^_role=//p' | tr '\n' ' '" \
	"dmsetup table vg-$N | awk '{print \$3}'" \
	"$V --json dm swap vg-$N --copy vg-$N --repeat 5 --interval-ms 200")")
assert_eq "$(lab_field 1 <<< "$out")" "StandAlone Primary " "hv1 after prepare: Primary while StandAlone"
assert_eq "$(lab_field 2 <<< "$out")" linear "hv1: the VM's LV still on its own table after prepare"
BASE=$(lab_field 3 <<< "$out" | jget window_median_ns)
# The bridge killed between its swap's load and its resume: the LV still on
# its own table, DRBD's waiting in the inactive slot; bridge run again swaps.
own=$(lab_out hv1 "dmsetup table vg-$N")
kill_in_swap hv1 bridge $N
out=$(lab_out hv1 "$(lab_seq "dmsetup table vg-$N" "dmsetup table --inactive vg-$N")")
assert_eq "$(lab_field 1 <<< "$out")" "$own" "hv1: the LV on its own table after the kill in the bridge's swap"
assert_eq "$(lab_field 2 <<< "$out")" "0 $((SIZE * 2048)) linear 147:60 0" "hv1: DRBD's table waiting in the inactive slot"
phase hv1 bridge
FREEZE_NS=$(jget freeze_ns.0 <<< "$OUT")
assert_eq "$(lab_out hv1 "dmsetup table vg-$N")" "0 $((SIZE * 2048)) linear 147:60 0" "hv1: the VM's LV maps /dev/drbd60 after bridge"
phase hv1 bridge
assert_eq "$(jget steps <<< "$OUT")" 0 "bridge run again does nothing"
phase hv2 prepare
lab_bg hv1 ws1 "$V --json wait-sync --plan $PLAN"
phase hv2 wait-sync
lab_bg_wait hv1 ws1 300 || { lab_bg_log hv1 ws1 >&2; fail "hv1: wait-sync failed"; }
out=$(lab_out hv1 "$(lab_seq "drbdsetup-84 sh-status $RES | sed -n 's/^_cstate=//p;s/^_disk=//p;s/^_pdsk=//p' | tr '\n' ' '" "$(counter_cmd)")")
assert_eq "$(lab_field 1 <<< "$out")" "Connected UpToDate UpToDate " "hv1 in sync"
n1=$(lab_field 2 <<< "$out")
# the plan's net options as the kernel has them: 0.1 s, not ping-timeout's
# 0.5 s, between DRBD's sockets being up and its handshake
for h in hv1 hv2; do
	lab_run $h "drbdsetup-84 show $RES | grep -qE 'socket-check-timeout[[:space:]]+1;'" ||
		fail "$h: drbdsetup-84 show has no socket-check-timeout 1 (the plan's net options)"
done
say "  the VM writes on through DRBD (counter $n1)"
phase hv1 migrate --leave-paused
assert_eq "$(jget gate <<< "$OUT")" pass "gate with --leave-paused"
# Both hosts at once: the state, then the whole LV's sha256.
lab_both "$(lab_seq "$VIRSH domstate $N" "$(sha_cmd $N)")" "$(lab_seq "$VIRSH domstate $N" "$(sha_cmd $N)")"
assert_eq "$(lab_field 1 <<< "$OUT2")" paused "VM paused on hv2 after migrate --leave-paused"
assert_eq "$(lab_field 1 <<< "$OUT1")" "shut off" "VM stopped (still defined) on hv1"
sum1=$(lab_field 2 <<< "$OUT1"); sum2=$(lab_field 2 <<< "$OUT2")
assert_eq "$sum2" "$sum1" "whole-LV sha256 of hv1 and hv2 while paused on hv2"
say "  paused on hv2: sha256 of vg/$N equal on both hosts (${sum1:0:16}...)"
phase hv1 resume
assert_eq "$(jget gate <<< "$OUT")" pass "gate at resume"
lab_both "$VIRSH list --all --name | grep -cx $N || true" "$(lab_seq "$VIRSH domstate $N" "$(counter_cmd)")"
assert_eq "$(lab_field 1 <<< "$OUT2")" running "VM runs on hv2 after resume"
assert_eq "$OUT1" 0 "VM undefined on hv1"
n2=$(lab_field 2 <<< "$OUT2")
say "  the VM writes on hv2 (counter $n2)"
phase hv2 release
# S's release killed while it puts the LV back on its own table (a dm swap),
# between the swap's load and its resume: the LV still on DRBD's table, its
# own waiting in the inactive slot, never left suspended; release run again
# finishes.
own=$(lab_out hv1 "dmsetup table $RES-0.copy")
kill_in_swap hv1 release $N
lv_after_kill hv1 $N "$own"
assert_eq "$(lab_out hv1 "dmsetup table vg-$N; dmsetup table --inactive vg-$N")" "$(printf '0 %s linear 147:60 0\n%s' $((SIZE * 2048)) "$own")" "hv1: still on DRBD, its own table in the inactive slot, after the kill in release's swap"
phase hv1 release
out=$(lab_out hv1 "$(lab_seq "dmsetup table vg-$N" "dmsetup info vg-$N | grep -c SUSPENDED || true")")
assert_eq "$(lab_field 1 <<< "$out")" "$own" "hv1: the LV on its own table after release run again"
assert_eq "$(lab_field 2 <<< "$out")" 0 "hv1: the LV not suspended after release run again"
phase hv1 cleanup
phase hv2 cleanup
phase hv1 cleanup
assert_eq "$(jget steps <<< "$OUT")" 0 "cleanup run again does nothing"
MOVE_S=$(elapsed "$move_t0")

# Both hosts at once; on hv2 then the ring check (it stops the VM), the VM removed.
journal="python3 -c 'import json; j = json.load(open(\"$STATE/$UUID.journal\")); print([s[\"state\"] for s in j[\"steps\"] if s[\"id\"] == \"done\"], sum(s[\"state\"] == \"started\" for s in j[\"steps\"]))'"
lab_both "$(lab_seq "$(clean_cmd)" "$journal" "lvs --noheadings vg/$N 2>/dev/null | wc -l" "rm -rf $STATE")" \
	"$(lab_seq "$(clean_cmd)" "$journal" "dmsetup table vg-$N" \
		"stat -L -c '%t:%T' \$(pvs --noheadings -o pv_name | head -n1 | tr -d ' ')" \
		"$VIRSH domstate $N" "$BV check $N" "$BV destroy $N; rm -rf $STATE")"
for h in hv1 hv2; do
	[ $h = hv1 ] && out=$OUT1 || out=$OUT2
	assert_clean $h "${HELP[$h]}" "after the move" "$(lab_field 1 <<< "$out")"
	assert_eq "$(lab_field 2 <<< "$out")" "['done'] 0" "$h: journal marked done, no step left started"
done
assert_eq "$(lab_field 3 <<< "$OUT1")" 0 "hv1's LV removed"
tbl=$(lab_field 3 <<< "$OUT2")
pv=$(lab_field 4 <<< "$OUT2")
pvdev=$(printf '%d:%d' "0x${pv%%:*}" "0x${pv##*:}")
assert_match "$tbl" "^0 $((SIZE * 2048)) linear $pvdev [0-9]+$" "hv2: the VM's LV is a plain linear table on hv2's disk"
assert_eq "$(lab_field 5 <<< "$OUT2")" running "VM still runs on hv2"
ring_note "$(lab_field 6 <<< "$OUT2")"
say "  ring check on hv2: $RING_SAY"
say "happy path: moved in $MOVE_S s; freeze window $FREEZE_NS ns ($(awk -v n=$FREEZE_NS 'BEGIN{printf "%.1f", n/1000}') us); vmhop dm swap of the same LV onto its own table just before: median of 5 $BASE ns"
say "  phase times: preflight ${T[preflight@hv1]}/${T[preflight@hv2]} s, prepare hv1 ${T[prepare@hv1]} s, bridge ${T[bridge@hv1]} s, prepare hv2 ${T[prepare@hv2]} s, wait-sync hv2 ${T[wait-sync@hv2]} s, migrate ${T[migrate@hv1]} s, resume ${T[resume@hv1]} s, release hv2 ${T[release@hv2]} s / hv1 ${T[release@hv1]} s, cleanup hv2 ${T[cleanup@hv2]} s"

fi

# ---- 2. abort after bridge --------------------------------------------------
# 2, 2b and 2c share one busy VM: 2 and 2b end with it running on hv1 on its
# own table, and check its ring paused (the writes since the check before).
if want 2; then
vm_on_hv1
real_plan
own=$(lab_out hv1 "dmsetup table vg-$N")
# 2a. abort after a bridge killed in its swap: the inactive table cleared,
# then DRBD down (the table held /dev/drbd60 open).
phase hv1 prepare
kill_in_swap hv1 bridge $N
out=$(lab_run hv1 "$V abort --plan $PLAN 2>&1; echo rc=\$?")
assert_match "$out" "rc=13" "abort on hv1 after the killed bridge: undone"
assert_match "$out" "clear the inactive table of vg-$N" "abort cleared the table the killed swap left"
assert_eq "$(lab_out hv1 "dmsetup table vg-$N; dmsetup info vg-$N | sed -n 's/^Tables present: *//p'")" "$(printf '%s\nLIVE' "$own")" "hv1: the LV on its own table, nothing inactive, after abort"
assert_clean hv1 "${HELP[hv1]}" "after abort of a killed bridge"
say "  abort after the bridge was killed in its swap: inactive table cleared, DRBD down, hv1 clean"
lab_out hv1 "rm -rf $STATE" >/dev/null
real_plan
phase hv1 prepare
phase hv1 bridge
phase hv2 prepare
EXPECT_RC=13 phase hv1 abort
assert_eq "$(jget outcome <<< "$OUT")" undone "abort on hv1"
EXPECT_RC=13 phase hv2 abort
EXPECT_RC=13 phase hv1 abort
assert_eq "$(jget steps <<< "$OUT")" 0 "abort run again does nothing"
lab_both "$(lab_seq "dmsetup table vg-$N" "$VIRSH domstate $N" "$(clean_cmd)" "$(counter_cmd)" "$BV check-paused $N" "rm -rf $STATE")" \
	"$(lab_seq "lvs --noheadings vg/$N 2>/dev/null | wc -l" "$(clean_cmd)" "rm -rf $STATE")"
assert_eq "$(lab_field 1 <<< "$OUT1")" "$own" "hv1: the VM's LV back on its own table"
assert_eq "$(lab_field 2 <<< "$OUT1")" running "VM still runs on hv1 after abort"
assert_eq "$(lab_field 1 <<< "$OUT2")" 0 "hv2's LV (created by the move) removed"
assert_clean hv1 "${HELP[hv1]}" "after abort" "$(lab_field 3 <<< "$OUT1")"
assert_clean hv2 "${HELP[hv2]}" "after abort" "$(lab_field 2 <<< "$OUT2")"
n3=$(lab_field 4 <<< "$OUT1")
ring_note "$(lab_field 5 <<< "$OUT1")"
VM_ON_HV1=1
say "abort after bridge: hv1 on its own table, VM ran on (counter $n3), both clean; ring check (paused): $RING_SAY"

fi

# ---- 2b. lvchange --refresh takes the bridge away: migrate refuses ---------
if want 2b; then
vm_on_hv1
real_plan
phase hv1 prepare
phase hv1 bridge
phase hv2 prepare
tbl=$(lab_out hv1 "lvchange --refresh vg/$N >/dev/null && dmsetup table vg-$N")
[[ $tbl != *147:60* ]] || fail "hv1: lvchange --refresh did not take the bridge away: $tbl"
phase hv2 wait-sync
phase hv1 wait-sync
st=$(lab_out hv1 "$V --json status --plan $PLAN")
assert_eq "$(jget disks.0.cstate <<< "$st")" Connected "status on hv1 shows DRBD"
EXPECT_RC=1 phase hv1 migrate
MIG_OUT=$OUT
assert_match "$OUT $(cat /tmp/$N-migrate-hv1.err)" "no longer maps /dev/drbd60" "migrate says the bridge is gone"
lab_both "$VIRSH domstate $N" "$VIRSH list --all --name | grep -cx $N || true"
assert_eq "$OUT1" running "VM still runs on hv1"
assert_eq "$OUT2" 0 "no domain on hv2"
EXPECT_RC=13 phase hv1 abort
EXPECT_RC=13 phase hv2 abort
lab_both "$(lab_seq "$(clean_cmd)" "$BV check-paused $N" "rm -rf $STATE")" "$(lab_seq "$(clean_cmd)" "rm -rf $STATE")"
assert_clean hv1 "${HELP[hv1]}" "after abort of a lost bridge" "$(lab_field 1 <<< "$OUT1")"
assert_clean hv2 "${HELP[hv2]}" "after abort of a lost bridge" "$(lab_field 1 <<< "$OUT2")"
ring_note "$(lab_field 2 <<< "$OUT1")"
VM_ON_HV1=1
say "lost bridge: migrate refused ($(grep '^{' <<< "$MIG_OUT" | jget error.message | cut -c1-90)...), VM still on hv1, aborted on both; ring check (paused): $RING_SAY"

fi

# ---- 2c. the DRBD link lost while libvirt migrates: the gate stops ----------
if want 2c; then
vm_on_hv1
# A short gate, and the link cut while libvirt's migration is held (cut_in_migration).
# The gate then waits its 5 s for a link that stays cut (it passes only when in sync).
real_plan 7860 --bandwidth 1 --on-link-loss continue --timeout gate=5
phase hv1 prepare
phase hv1 bridge
phase hv2 prepare
phase hv2 wait-sync
phase hv1 wait-sync
cut_in_migration 7860
assert_eq "$RC" 14 "migrate with the DRBD link cut: exit 14 (state left); $OUT"
assert_eq "$(jget outcome <<< "$(grep -v '^vmhop' <<< "$OUT")")" state-left "migrate outcome"
lab_both "$(lab_seq "$VIRSH domstate $N" "$V --json status --plan $PLAN" "rc=0; $V abort --plan $PLAN >/dev/null 2>&1 || rc=\$?; echo \$rc")" \
	"$VIRSH domstate $N"
assert_eq "$OUT2" paused "VM left paused on hv2"
assert_eq "$(lab_field 1 <<< "$OUT1")" "shut off" "VM stopped on hv1 (still defined)"
st=$(lab_field 2 <<< "$OUT1")
oos=$(jget disks.0.out_of_sync_kib <<< "$st")
[ "$(jget disks.0.cstate <<< "$st")" != Connected ] || fail "status: DRBD still Connected with the link cut"
assert_ge "$oos" 4 "status: blocks D misses"
assert_eq "$(lab_field 3 <<< "$OUT1")" 5 "abort refuses once the VM has left hv1"
say "link cut during the migration: gate stopped (exit 14), VM paused on hv2, hv1 $(jget disks.0.cstate <<< "$st") with $oos KiB D lacks; abort refused"
# The link back; each host waits for DRBD in sync in its own view, then its sha256.
synced="for i in \$(seq 1 240); do s=\$(drbdsetup-84 sh-status $RES | tr '\n' ' ');
	case \$s in *_cstate=Connected*_disk=UpToDate*_pdsk=UpToDate*) exit 0;; esac; sleep 0.5; done; echo \$s; exit 1"
lab_both "$(lab_seq "$FAULT restore >/dev/null" "( $synced )" "$(sha_cmd $N)")" \
	"$(lab_seq "( $synced )" "$(sha_cmd $N)")"
sum1=$(lab_field 3 <<< "$OUT1"); sum2=$(lab_field 2 <<< "$OUT2")
assert_eq "$sum2" "$sum1" "after the link came back and DRBD resynced, sha256 equal"
phase hv1 resume
assert_eq "$(jget gate <<< "$OUT")" pass "gate after the resync"
assert_eq "$(lab_out hv2 "$VIRSH domstate $N")" running "VM runs on hv2"
phase hv2 release
phase hv1 release
phase hv1 cleanup
phase hv2 cleanup
lab_both "$(lab_seq "$(clean_cmd)" "rm -rf $STATE")" "$(lab_seq "$(clean_cmd)" "$BV check $N" "$BV destroy $N; rm -rf $STATE")"
assert_clean hv1 "${HELP[hv1]}" "after the gate's detour" "$(lab_field 1 <<< "$OUT1")"
assert_clean hv2 "${HELP[hv2]}" "after the gate's detour" "$(lab_field 1 <<< "$OUT2")"
ring_note "$(lab_field 2 <<< "$OUT2")"
say "link back: DRBD resynced the $oos KiB, sha256 equal, vmhop resume passed the gate; ring check on hv2: $RING_SAY"

fi

# ---- 2d. the DRBD link lost while libvirt migrates, for good: restart on S --
if want 2d; then
vm_on_hv1
# As in 2c: a short gate, the link cut while libvirt's migration is held, then
# libvirt lets it finish.
real_plan 7862 --bandwidth 1 --on-link-loss continue --timeout gate=5
own=$(lab_out hv1 "dmsetup table vg-$N")
phase hv1 prepare
phase hv1 bridge
phase hv2 prepare
phase hv2 wait-sync
phase hv1 wait-sync
cut_in_migration 7862
assert_eq "$RC" 14 "migrate with the DRBD link cut for good: exit 14; $OUT"
# hv1: the status, then the ring check: nothing the VM was told is written is
# missing from hv1's disk (the VM is shut off here, paused on hv2, and never
# ran there).
lab_both "$(lab_seq "$V --json status --plan $PLAN" "$BV check $N" "wc -l < /var/log/libvirt/qemu/$N.serial")" "$VIRSH domstate $N"
assert_eq "$OUT2" paused "VM left paused on hv2"
st=$(lab_field 1 <<< "$OUT1")
oos=$(jget disks.0.out_of_sync_kib <<< "$st")
assert_ge "$oos" 4 "status: blocks hv2 misses"
assert_match "$(jget next.text <<< "$st")" "vmhop restart" "status names the cold start on hv1"
chk=$(lab_field 2 <<< "$OUT1")
assert_match "$(tail -n1 <<< "$chk")" "^seqcheck: ok" "hv1's disk holds every acknowledged write"
lines=$(lab_field 3 <<< "$OUT1")
EXPECT_RC=13 phase hv1 restart
assert_eq "$(jget outcome <<< "$OUT")" undone "restart on hv1"
lab_both "$(lab_seq "$VIRSH domstate $N" "dmsetup table vg-$N" \
		"for i in \$(seq 1 120); do [ \$(wc -l < /var/log/libvirt/qemu/$N.serial) -gt $((lines + 4)) ] && { echo writes; exit 0; }; sleep 0.5; done; echo 'no writes'")" \
	"$VIRSH list --all --name | grep -cx $N || true"
assert_eq "$(lab_field 1 <<< "$OUT1")" running "VM runs on hv1 again"
assert_eq "$OUT2" 0 "no domain left on hv2"
assert_eq "$(lab_field 2 <<< "$OUT1")" "$own" "hv1: the VM's LV on its own table"
assert_eq "$(lab_field 3 <<< "$OUT1")" writes "the restarted VM writes on hv1"
EXPECT_RC=13 phase hv1 restart
assert_eq "$(jget steps <<< "$OUT")" 0 "restart run again does nothing"
EXPECT_RC=13 phase hv2 abort
lab_both "$(lab_seq "$FAULT restore >/dev/null" "$(clean_cmd)" "$BV destroy $N; rm -rf $STATE")" \
	"$(lab_seq "lvs --noheadings vg/$N 2>/dev/null | wc -l" "$(clean_cmd)" "rm -rf $STATE")"
assert_eq "$(lab_field 1 <<< "$OUT2")" 0 "hv2's LV (stale, made by the move) removed"
assert_clean hv1 "${HELP[hv1]}" "after the restart on hv1" "$(lab_field 2 <<< "$OUT1")"
assert_clean hv2 "${HELP[hv2]}" "after the restart on hv1" "$(lab_field 2 <<< "$OUT2")"
say "link cut for good during the migration: gate stopped (exit 14) with $oos KiB hv2 lacks; $(tail -n1 <<< "$chk") on hv1 before the restart; vmhop restart (13): the VM on hv2 destroyed and undefined, started on hv1 from its own table, writing; abort on hv2 (13); both clean"

fi

# ---- 2e. the VM's LV's dm table: a snapshot refused, a changed table too ----
if want 2e; then
vm_on_hv1
real_plan 7864
# (the plan's own journal on hv1, "planned": its claim; the refusals add none)
own=$(lab_out hv1 "dmsetup table vg-$N")
j0=$(lab_out hv1 "ls $STATE/*.journal 2>/dev/null | wc -l")
# (1) a snapshot of the VM's LV (lvcreate -s): LVM puts the running VM's LV
# on a snapshot-origin table; plan, preflight and prepare refuse it by name,
# exit 8, and create nothing.
ask_rc() { echo "rc=0; $1 2>&1 >/dev/null || rc=\$?; echo rc=\$rc"; }
# The guests load only the lab's modules (lab.sh): LVM's snapshot target
# (dm-snapshot, and dm-bufio under it) from the lab's kernel tree.
SNAPMOD="m=$REPO/build/kernel/root/lib/modules/\$(uname -r)/kernel/drivers/md
	for k in dm-bufio dm-snapshot; do grep -q \"^\${k//-/_} \" /proc/modules || insmod \$m/\$k.ko || exit 1; done"
out=$(lab_out hv1 "$(lab_seq "$SNAPMOD; lvcreate -q -y -s -L 8M -n ${N}snap vg/$N >/dev/null && dmsetup table vg-$N | awk '{print \$3}'" \
	"$(ask_rc "$V plan $N --to hv2 --dest-uri qemu+tcp://hv2/system --minor 60 --port 7865 -o /tmp/$N-snap.plan"); ls /tmp/$N-snap.plan 2>/dev/null | wc -l" \
	"$(ask_rc "$V preflight --plan $PLAN")" "$(ask_rc "$V prepare --plan $PLAN")" \
	"$(clean_cmd)" "ls $STATE/*.journal 2>/dev/null | wc -l" "lvs --noheadings -o lv_name vg | sort | xargs" \
	"lvremove -q -y vg/${N}snap >/dev/null && dmsetup table vg-$N")")
assert_eq "$(lab_field 1 <<< "$out")" snapshot-origin "hv1: the VM's LV with a snapshot is a snapshot-origin"
for k in 2 3 4; do
	f=$(lab_field $k <<< "$out")
	assert_match "$f" "vg/$N is a snapshot-origin LV \\(it has snapshots\\).*vmhop moves linear and striped LVs only" "hv1: refusal $k names the snapshot-origin"
	assert_match "$f" "rc=8" "hv1: refusal $k exits 8 (unsupported)"
done
assert_eq "$(tail -n1 <<< "$(lab_field 2 <<< "$out" | grep .)")" 0 "vmhop plan wrote no plan file"
assert_clean hv1 "${HELP[hv1]}" "after the snapshot-origin refusals" "$(lab_field 5 <<< "$out" | grep .)"
assert_eq "$(lab_field 6 <<< "$out" | grep .)" "$j0" "hv1: no journal added by the refusals (the plan's claim only)"
assert_eq "$(lab_field 7 <<< "$out" | grep .)" "$N ${N}snap" "hv1: no new LV (only the VM's and its snapshot)"
assert_eq "$(lab_field 8 <<< "$out" | grep .)" "$own" "hv1: the VM's LV back on its own table once the snapshot is gone"
say "snapshot of vg/$N: plan, preflight, prepare exit 8 ('$(grep -o 'vg/[^:]*: vmhop moves[^;]*' <<< "$(lab_field 3 <<< "$out")" | head -1)'), nothing created"
# (2) the VM's LV extended between prepare and bridge: the bridge refuses
# (-ESTALE, exit 1) naming the change and swaps nothing (before, it put the
# 64 MiB DRBD table in: the VM's disk shrank under it); abort on both hosts.
phase hv1 prepare
phase hv2 prepare
out=$(lab_out hv1 "$(lab_seq "lvextend -q -L +8M vg/$N >/dev/null 2>&1 && dmsetup table vg-$N" "blockdev --getsize64 /dev/mapper/vg-$N")")
ext=$(lab_field 1 <<< "$out" | grep .)
assert_eq "$(lab_field 2 <<< "$out" | grep .)" $(( (SIZE + 8) << 20 )) "hv1: vg/$N extended to $((SIZE + 8)) MiB"
EXPECT_RC=1 phase hv1 bridge
msg=$(grep '^{' <<< "$OUT" | jget error.message)
assert_match "$msg" "the VM's LV vg/$N \\(dm vg-$N\\) no longer has the table the .copy was built from at prepare: its size changed from $((SIZE * 2048)) to $(( (SIZE + 8) * 2048 )) sectors" "bridge names the change"
assert_eq "$(grep '^{' <<< "$OUT" | jget error.errno)" 116 "bridge: ESTALE"
out=$(lab_out hv1 "$(lab_seq "dmsetup table vg-$N" "blockdev --getsize64 /dev/mapper/vg-$N" "$VIRSH domstate $N")")
assert_eq "$(lab_field 1 <<< "$out" | grep .)" "$ext" "hv1: the VM's LV still on its (extended) table, not DRBD's"
assert_eq "$(lab_field 2 <<< "$out" | grep .)" $(( (SIZE + 8) << 20 )) "hv1: the VM's disk did not shrink"
assert_eq "$(lab_field 3 <<< "$out" | grep .)" running "hv1: the VM runs on"
EXPECT_RC=13 phase hv1 abort
EXPECT_RC=13 phase hv2 abort
lab_both "$(lab_seq "dmsetup table vg-$N" "$VIRSH domstate $N" "$(clean_cmd)" "$(counter_cmd)" "$BV check-paused $N" "$BV destroy $N; rm -rf $STATE")" \
	"$(lab_seq "lvs --noheadings vg/$N 2>/dev/null | wc -l" "$(clean_cmd)" "rm -rf $STATE")"
assert_eq "$(lab_field 1 <<< "$OUT1" | grep .)" "$ext" "hv1: the VM's LV on its own table after abort"
assert_eq "$(lab_field 2 <<< "$OUT1" | grep .)" running "VM still runs on hv1 after abort"
assert_eq "$(lab_field 1 <<< "$OUT2" | grep .)" 0 "hv2's LV (created by the move) removed"
assert_clean hv1 "${HELP[hv1]}" "after abort of a stale bridge" "$(lab_field 3 <<< "$OUT1" | grep .)"
assert_clean hv2 "${HELP[hv2]}" "after abort of a stale bridge" "$(lab_field 2 <<< "$OUT2" | grep .)"
ring_note "$(lab_field 5 <<< "$OUT1")"
say "vg/$N extended to $((SIZE + 8)) MiB after prepare: bridge exit 1 ('${msg:0:140}...'), LV still $((SIZE + 8)) MiB on its own table; abort on both (13), both clean; ring check (paused): $RING_SAY"
fi

# ---- 4. two disks ------------------------------------------------------------
if want 4; then
# The busy VM as busyvm.sh makes it, defined with a second LV disk (vdb,
# random data; the lab's machine has no PCI hot-plug).
out=$(lab_out hv1 "$(lab_seq "lvcreate -q -y -W y -Z n -n $N -L ${SIZE}M vg >/dev/null &&
	dd if=/dev/zero of=/dev/vg/$N bs=1M count=5 oflag=direct status=none &&
	dd if=$LABBIN/busyvm.img of=/dev/vg/$N bs=512 count=1 oflag=direct conv=notrunc status=none &&
	lvcreate -q -y -W y -Z n -n ${N}b -L 32M vg >/dev/null &&
	dd if=/dev/urandom of=/dev/vg/${N}b bs=1M count=32 oflag=direct status=none &&
	rm -f /var/log/libvirt/qemu/$N.serial &&
	$BV xml $N | sed \"s|</disk>|</disk><disk type='block' device='disk'><driver name='qemu' type='raw' cache='none' io='native'/><source dev='/dev/vg/${N}b'/><target dev='vdb' bus='virtio'/></disk>|\" > /tmp/$N-2.xml &&
	$VIRSH define /tmp/$N-2.xml >/dev/null && $VIRSH start $N >/dev/null" \
	"$BV wait-writes $N 64 120 >/dev/null" "$VIRSH domuuid $N")")
UUID=$(lab_field 3 <<< "$out")
RES=vh-${UUID:0:8}
LAST_CHECK=0
real_plan 7870
assert_eq "$(python3 -c 'import json,sys; print(len(json.load(sys.stdin)["disks"]))' <<< "$PLAN_JSON")" 2 "the plan has both disks"
phase hv1 prepare
phase hv1 bridge
F2="$(jget freeze_ns.0 <<< "$OUT") $(jget freeze_ns.1 <<< "$OUT")"
# attach and down are netlink requests, too short to catch by polling under
# load: strace delays the return of each of vmhop's sends by 0.3 s.
kill_in hv2 prepare "attach" "$NL_SLOW"
phase hv2 prepare
lab_bg hv1 ws1 "$V --json wait-sync --plan $PLAN"
phase hv2 wait-sync
lab_bg_wait hv1 ws1 300 || { lab_bg_log hv1 ws1 >&2; fail "hv1: wait-sync failed"; }
phase hv1 migrate --leave-paused
lab_both "$(lab_seq "$(sha_cmd $N)" "$(sha_cmd ${N}b)")" "$(lab_seq "$VIRSH domstate $N" "$(sha_cmd $N)" "$(sha_cmd ${N}b)")"
assert_eq "$(lab_field 1 <<< "$OUT2")" paused "two disks: paused on hv2"
assert_eq "$(lab_field 2 <<< "$OUT2")" "$(lab_field 1 <<< "$OUT1")" "two disks: sha256 of vg/$N on both hosts at the gate"
assert_eq "$(lab_field 3 <<< "$OUT2")" "$(lab_field 2 <<< "$OUT1")" "two disks: sha256 of vg/${N}b on both hosts at the gate"
phase hv1 resume
# D's release killed while it takes DRBD down; the VM runs on; release run
# again finishes.
kill_in hv2 release "down" "$NL_SLOW"
out=$(lab_out hv2 "$(lab_seq "echo resource: \$(drbdsetup-84 show $RES >/dev/null 2>&1 && echo present || echo gone), minors: \$(ls /sys/block | grep '^drbd' | tr '\n' ' ')" "$VIRSH domstate $N")")
say "  hv2 after the kill: $(lab_field 1 <<< "$out")"
assert_eq "$(lab_field 2 <<< "$out")" running "two disks: the VM runs on hv2 after the kill in release"
phase hv2 release
phase hv1 release
phase hv1 cleanup
phase hv2 cleanup
lab_both "$(lab_seq "$(clean_cmd)" "lvs --noheadings vg/$N vg/${N}b 2>/dev/null | wc -l" "rm -rf $STATE")" \
	"$(lab_seq "$(clean_cmd)" "dmsetup table vg-${N}b" "$VIRSH domblklist $N | awk '{print \$1}' | tr '\n' ' '" "$BV check $N" \
		"$BV destroy $N; lvremove -q -y vg/${N}b; rm -rf $STATE")"
assert_clean hv1 "${HELP[hv1]}" "after the two-disk move" "$(lab_field 1 <<< "$OUT1")"
assert_clean hv2 "${HELP[hv2]}" "after the two-disk move" "$(lab_field 1 <<< "$OUT2")"
assert_eq "$(lab_field 2 <<< "$OUT1")" 0 "hv1's two LVs removed"
assert_match "$(lab_field 2 <<< "$OUT2")" "^0 65536 linear " "hv2: the second LV on its own linear table"
assert_eq "$(lab_field 3 <<< "$OUT2")" "vda vdb " "the VM on hv2 has both disks"
ring_note "$(lab_field 4 <<< "$OUT2")"
say "two disks: both LVs' sha256 equal at the gate, freeze windows $F2 ns, moved and clean; ring check on hv2: $RING_SAY"
fi

# ---- 5. the fence: the switch at D's Finish ---------------------------------
if want 5; then
# The busy VM with a second QMP monitor of its own (libvirt holds the first):
# the operator's hand on S's QEMU for the twin below.
QMP=/run/$N-qmp.sock
out=$(lab_out hv1 "$(lab_seq "lvcreate -q -y -W y -Z n -n $N -L ${SIZE}M vg >/dev/null &&
	dd if=/dev/zero of=/dev/vg/$N bs=1M count=5 oflag=direct status=none &&
	dd if=$LABBIN/busyvm.img of=/dev/vg/$N bs=512 count=1 oflag=direct conv=notrunc status=none &&
	rm -f /var/log/libvirt/qemu/$N.serial &&
	$BV xml $N | sed -e \"s|<domain type='\\([a-z]*\\)'|<domain type='\\1' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'|\" \
		-e \"s|</domain>|<qemu:commandline><qemu:arg value='-qmp'/><qemu:arg value='unix:$QMP,server=on,wait=off'/></qemu:commandline></domain>|\" > /tmp/$N-5.xml &&
	$VIRSH define /tmp/$N-5.xml >/dev/null && $VIRSH start $N >/dev/null" \
	"$BV wait-writes $N 64 120 >/dev/null" "$VIRSH domuuid $N")")
UUID=$(lab_field 3 <<< "$out")
LAST_CHECK=0
real_plan 7880
phase hv1 prepare
phase hv1 bridge
phase hv2 prepare
lab_bg hv1 ws1 "$V --json wait-sync --plan $PLAN"
phase hv2 wait-sync
lab_bg_wait hv1 ws1 300 || { lab_bg_log hv1 ws1 >&2; fail "hv1: wait-sync failed"; }
# libvirt's Confirm on hv1 kills S's QEMU late (each kill(2) of libvirtd
# delayed 3 s under strace): D's Finish is then always seen while S's QEMU
# lives (as it is without the delay, about 100 ms before the exit, in the
# lab's bench), and S's QEMU is still there after the switch for the twin.
lab_bg hv1 slowkill "strace -f -qq -o /dev/null -e trace=kill -e inject=kill:delay_enter=3000000 -p \$(pidof libvirtd || pidof virtqemud)"
wait_for hv1 "! grep -l 'TracerPid:[[:space:]]*0\$' /proc/\$(pidof libvirtd || pidof virtqemud)/task/*/status >/dev/null 2>&1" 60 \
	"strace on every thread of libvirtd"
# The twin: as soon as the VM runs on hv2 (hv1's LV then goes onto the final
# fence, seen locally at once), S's QEMU is resumed by hand through its own
# QMP monitor (as libvirt would after a lost Finish reply).
# QEMU's own count of its disk's writes says whether any landed.
lab_out hv1 "cat > /tmp/$N-twin.py <<'PY'
import json, socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
f = s.makefile('rw')
def rd():
    while True:
        m = json.loads(f.readline())
        if 'event' not in m:
            return m
def cmd(c):
    f.write(json.dumps({'execute': c}) + '\n'); f.flush()
    return rd()
rd(); cmd('qmp_capabilities')
def wr():
    b = [x for x in cmd('query-blockstats')['return'] if x.get('qdev', '').find('virtio-disk0') >= 0 or x.get('device') == 'drive-virtio-disk0']
    b = b[0] if b else cmd('query-blockstats')['return'][0]
    return b['stats']['wr_operations'], b['stats']['failed_wr_operations']
st0 = cmd('query-status')['return']['status']
w0 = wr()
r = cmd('cont')
# its stats as long as it lives (libvirt's Confirm kills it), 2 s at most
st1, w1 = st0, w0
for i in range(20):
    try:
        time.sleep(0.1)
        st1 = cmd('query-status')['return']['status']
        w1 = wr()
    except (OSError, ValueError):
        st1 = st1 + '-then-killed'
        break
print(st0, 'cont:' + ('ok' if 'return' in r else r['error']['desc'].replace(' ', '_')), st1,
      'writes', w0[0], w1[0], 'failed', w0[1], w1[1])
PY" >/dev/null
lab_bg hv1 mig "$V --json migrate --plan $PLAN"
twin=$(wait_for hv1 "dmsetup table vg-$N 2>/dev/null | grep -q ' error'" 300 \
	"hv1's LV on the final fence (the VM resumed on hv2)" "python3 /tmp/$N-twin.py $QMP || { ls -la /run/*.sock; $VIRSH domstate $N; pgrep -a qemu-system | cut -c1-400; exit 1; }")
RC=0; lab_bg_wait hv1 mig 400 || RC=$?
OUT=$(lab_bg_log hv1 mig)
lab_out hv1 "pkill -x strace; true" >/dev/null
assert_eq "$RC" 0 "migrate with the twin resumed by hand: exit 0; $OUT"
OUT=$(sed -n '/^{/,$p' <<< "$OUT")	# (the phase's JSON object, after any stderr line)
assert_eq "$(jget early_switch <<< "$OUT")" true "migrate switched before libvirt's return"
assert_eq "$(jget fenced <<< "$OUT")" true "migrate switched at D's Finish, behind the fence"
SW=$(python3 -c 'import json,sys; d=json.load(sys.stdin)["switch_steps_ms"]; print(" ".join("%s %s" % kv for kv in d.items()))' <<< "$OUT")
# The twin: resumed, its guest's writes tried and failed, none completed.
read -r t_st0 t_cont t_st1 _ t_w0 t_w1 _ t_f0 t_f1 <<< "$twin"
assert_eq "$t_cont" "cont:ok" "the twin on hv1 was resumed (QMP cont: $twin)"
assert_ge "$t_f1" $((t_f0 + 1)) "the twin on hv1 tried to write, and failed (QEMU's failed_wr_operations: $twin)"
assert_eq "$t_w1" "$t_w0" "the twin on hv1 completed no write (QEMU's wr_operations: $twin)"
say "  twin on hv1 after the switch: $t_st0, $t_cont, then $t_st1; writes completed $t_w0 -> $t_w1, failed $t_f0 -> $t_f1"
# Behind the fence: hv1's LV fails every request, of anyone.
out=$(lab_out hv1 "$(lab_seq "dmsetup table vg-$N" \
	"dd if=/dev/zero of=/dev/vg/$N bs=4k count=1 seek=100 oflag=direct conv=notrunc status=none 2>&1 && echo wrote || echo refused" \
	"dd if=/dev/vg/$N of=/dev/null bs=4k count=1 iflag=direct status=none 2>&1 && echo read || echo refused" \
	"$VIRSH domstate $N 2>/dev/null || echo undefined")")
assert_eq "$(lab_field 1 <<< "$out")" "0 $((SIZE * 2048)) error " "hv1: the LV on the error table after the switch"
assert_match "$(lab_field 2 <<< "$out")" "refused" "hv1: a write to the fenced LV fails"
assert_match "$(lab_field 3 <<< "$out")" "refused" "hv1: a read of the fenced LV fails"
assert_eq "$(lab_field 4 <<< "$out")" undefined "hv1: the twin gone (libvirt's Confirm killed it), the VM undefined there"
assert_eq "$(lab_out hv2 "$VIRSH domstate $N")" running "the VM runs on hv2"
phase hv2 release
phase hv1 release
assert_match "$(lab_out hv1 "dmsetup table vg-$N")" "^0 $((SIZE * 2048)) linear " "hv1: the LV on its own table after release"
phase hv1 cleanup
phase hv2 cleanup
lab_both "$(lab_seq "$(clean_cmd)" "rm -rf $STATE /tmp/$N-twin.py")" \
	"$(lab_seq "$(clean_cmd)" "$BV check $N" "$BV destroy $N; rm -rf $STATE")"
assert_clean hv1 "${HELP[hv1]}" "after the fenced move" "$(lab_field 1 <<< "$OUT1")"
assert_clean hv2 "${HELP[hv2]}" "after the fenced move" "$(lab_field 1 <<< "$OUT2")"
ring_note "$(lab_field 2 <<< "$OUT2")"
say "fence: switched at D's Finish ($SW ms), the twin wrote nothing, hv1's LV on the error table (write and read refused: $(lab_field 2 <<< "$out" | grep -o 'Input/output error' | head -n1)); released, clean; ring check on hv2: $RING_SAY"
fi

# ---- 3. bad input -----------------------------------------------------------
if want 3; then
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

fi
cleanup
trap - EXIT
say "ok in $(elapsed "$t0") s"

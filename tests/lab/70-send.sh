#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Lab scenario: the move with one command per host, vmhop send (hv1) and
# vmhop receive (hv2), each one process (src/core/run.c).
#   1. receive started 30 s after send: the busy VM moves hv1 -> hv2; both
#      exit 0; send's terminal output has each phase, the freeze window and
#      the summary; receive's --json output is one JSON event per line ending
#      in a summary "moved"; the VM runs on hv2 from a plain linear table,
#      nothing of vmhop is left on either host, hv1's LV is gone, the ring
#      check passes.
#   3. hv2's libvirtd stopped during the sync (before the migration): send's
#      migrate fails, send aborts (exit 13), the VM runs on on hv1 on its own
#      table; libvirtd started again, receive sees the VM never came and
#      hv1 gone, and aborts by itself (exit 13); both hosts clean.
#   4. send killed with SIGKILL after the bridge, then vmhop abort on hv1
#      (exit 13); receive notices hv1 went away and cleans hv2 by itself
#      (exit 13); the VM runs on on hv1, both hosts clean.
#   8. DRBD's connection dropped by hv2 while libvirt migrates: hv1's DRBD
#      loses its peer at once (WFConnection); send sees it in the migration's
#      poll loop and cancels libvirt's job (the plan's on_link_loss: cancel,
#      the default); the VM keeps running on hv1, still writing; send aborts
#      (exit 13), receive cleans hv2 by itself (exit 13), both hosts clean.
#   6. Ctrl-C (SIGINT) to send during the sync: send aborts (exit 13) within
#      a second or so of the signal, the VM runs on on hv1, hv1 clean;
#      receive sees hv1 go and aborts by itself (exit 13), hv2 clean.
#   5. hv2 powered off (its QEMU killed) during the sync: send waits for the
#      link for timeouts.connect, then aborts (exit 13), the VM runs on on
#      hv1, hv1 clean; hv2 boots again clean.
#   7. receive started first (2 s before send, which runs with --json: a
#      freeze event, a summary "moved"); the DRBD port cut on hv1 for 15 s
#      during the sync, then restored: DRBD loses the connection (the kernel
#      logs it), reconnects and resyncs; send and receive ride it out and
#      finish the move (exit 0), the ring check passes on hv2, both hosts clean.
# Parts 4, 8, 6 and 5 move the VM that the part before aborted (the same
# UUID, the same journal name): each host finds that move's ended journal,
# keeps it as .prev and starts a fresh one.
# Each part ends with the writer's ring check passing where the VM runs.
# timeout: 1500
. "$(dirname "$0")/lib.sh"
T0=$(now)
say_t() { say "$* [$(elapsed "$T0") s]"; }
BUILD=${BUILD:-build}
V=$BUILD/vmhop
BV="BUSYVM_BIN_DIR=$REPO/$BUILD/lab-bin $BUSYVM"
VIRSH="virsh -q -c qemu:///system"
N=vh70
SIZE=64
HELPER=/sys/module/drbd/parameters/usermode_helper
STATE=/var/lib/vmhop
PLAN=/tmp/$N.plan.json
# SECTIONS="1 4" runs only those parts (all by default).
want() { [[ " ${SECTIONS:-1 3 4 8 6 5 7} " == *" $1 "* ]]; }

jget() { python3 -c 'import json,sys; d=json.load(sys.stdin)
for k in sys.argv[1].split("."): d=d[int(k)] if isinstance(d,list) else d[k]
print(str(d).lower() if isinstance(d,bool) else d)' "$1"; }

cleanup() {
	set +e
	for h in hv1 hv2; do
		lab_run $h "pkill -9 -f 'vmhop.*(send|receive)'; $FAULT libvirtd start; $VIRSH destroy $N; $VIRSH undefine $N
			for r in \$(drbdsetup-84 show | awk '/^resource vh-/ {print \$2}'); do drbdsetup-84 down \$r; done
			for d in \$(dmsetup ls | awk '/\\.copy/ {print \$1}'); do dmsetup remove \$d; done
			for l in \$(lvs --noheadings -o lv_name vg | grep '\\.vhmd'); do lvremove -q -y vg/\$l; done
			$V drbd helper restore; $BV destroy $N; rm -rf $STATE $PLAN" >/dev/null 2>&1
	done
}
trap cleanup EXIT

# Nothing of vmhop on HOST: no DRBD minor, no copy device, no meta-data LV, helper as before.
declare -A HELP
assert_clean() {
	local h=$1 out
	out=$(lab_out $h "echo minors=\$(ls /sys/block | grep -c '^drbd' || true) \
		copies=\$(dmsetup ls | grep -c '\\.copy' || true) \
		md=\$(lvs --noheadings -o lv_name vg | grep -c '\\.vhmd' || true) \
		helper=\$(cat $HELPER)")
	assert_eq "$out" "minors=0 copies=0 md=0 helper=${HELP[$h]}" "$h: nothing of vmhop left ($2)"
}
# The VM runs on HOST on its own LV: a plain linear table, writes going on.
assert_runs_on() {
	local h=$1 c
	assert_eq "$(lab_out $h "$VIRSH domstate $N")" running "VM runs on $h ($2)"
	assert_eq "$(lab_out $h "dmsetup table vg-$N | awk '{print \$3}' | sort -u")" linear "$h: the VM's LV on its own table ($2)"
	c=$(lab_out $h "c=\$($BV counter $N); $BV wait-writes $N \$((c + 16)) 60")
}
# make_plan FROM TO [plan options]: vmhop plan on FROM, the same file on TO.
make_plan() {
	local from=$1 to=$2 json h
	shift 2
	lab_out $from "rm -f $PLAN; $V plan $N --to $to --uri qemu+tcp://$to/system --minor 70 --port 7870 --max-downtime 300 $* -o $PLAN" >/dev/null
	json=$(lab_out $from "cat $PLAN")
	for h in hv1 hv2; do lab_out $h "cat > $PLAN <<'EOF'
$json
EOF
chmod 600 $PLAN" >/dev/null; done
}
# wait_for HOST 'test' SECS WHAT: until the shell test holds in HOST.
wait_for() {
	lab_run $1 "end=\$((SECONDS + $3)); until $2; do [ \$SECONDS -lt \$end ] || exit 1; sleep 0.2; done" >/dev/null ||
		fail "$1: $4 not seen within $3 s"
}
# bg_rc HOST NAME SECS: the exit status of a background command (it must end).
bg_rc() {
	local rc=0
	lab_bg_wait $1 $2 $3 >/dev/null || rc=$?
	[ "$rc" -ne 124 ] || { lab_bg_log $1 $2 >&2; fail "$1: $2 did not end within $3 s"; }
	echo $rc
}
ring_check() { lab_out $1 "$BV check $N" | tail -n1; }
# The ring check stops the VM: start the same domain again (its UUID, so the
# same journal name), its ring cleared and a new serial log (the old one
# would mix two runs).
restart_vm() {
	lab_out $1 "dd if=/dev/zero of=/dev/vg/$N bs=512 seek=1 count=8192 oflag=direct conv=notrunc status=none
		rm -f /var/log/libvirt/qemu/$N.serial; $VIRSH start $N >/dev/null; $BV wait-writes $N 16 120" >/dev/null
}
# The part before aborted a move of this same VM (its journal ended on both
# hosts): set by each part that leaves the VM running on hv1 after an abort.
ABORTED=
# assert_prev HOST...: that move's ended journal kept as .prev, a fresh one
# for this move (only when the part before ran).
assert_prev() {
	local h uuid
	[ -n "$ABORTED" ] || return 0
	uuid=$(lab_out hv1 "$VIRSH domuuid $N")
	for h in "$@"; do
		assert_eq "$(lab_out $h "ls $STATE/$uuid.journal $STATE/$uuid.journal.prev 2>/dev/null | wc -l")" 2 \
			"$h: the aborted move's ended journal kept as .prev, this move's a fresh one"
	done
}

for h in hv1 hv2; do
	HELP[$h]=$(lab_out $h "cat $HELPER")
	assert_eq "$(lab_out $h "$VIRSH list --all --name | grep -cx '$N' || true")" 0 "$h is clean before the scenario"
	assert_clean $h "before"
done
lab_out hv1 "$BV create $N $SIZE" >/dev/null
lab_out hv1 "$BV wait-writes $N 64 120" >/dev/null
say_t "busy VM $N on hv1 (LV vg/$N, $SIZE MiB)"

# ---- 1. receive 30 s after send ------------------------------------------
if want 1; then
make_plan hv1 hv2
t1=$(now)
lab_bg hv1 send "$V send --plan $PLAN"
sleep 30
lab_bg hv2 recv "$V --json receive --plan $PLAN"
rc_s=$(bg_rc hv1 send 400); rc_r=$(bg_rc hv2 recv 200)
out_s=$(lab_bg_log hv1 send); out_r=$(lab_bg_log hv2 recv)
[ "$rc_s$rc_r" = 00 ] || { printf '%s\n---\n%s\n' "$out_s" "$out_r" >&2; fail "send exited $rc_s, receive $rc_r"; }
for p in prepare bridge wait-sync migrate release cleanup; do
	assert_match "$out_s" "\] $p: (done|nothing to do|in sync) in" "send's output reports $p"
done
assert_match "$out_s" "freeze window vg/$N: [0-9.]+ ms" "send prints the freeze window"
assert_match "$out_s" "send summary \(source, VM $N, vh-[0-9a-f]{8}\): MOVED" "send's summary"
printf '%s\n' "$out_r" | python3 -c '
import json, sys
ev = [json.loads(l) for l in sys.stdin if l.strip()]
kinds = [e["event"] for e in ev]
assert kinds[0] == "start" and kinds[-1] == "summary", kinds
s = ev[-1]
assert s["outcome"] == "moved" and s["ok"] is True, s
ph = [e["phase"] for e in ev if e["event"] == "phase-end"]
assert ph == ["prepare", "wait-sync", "wait-vm", "release", "cleanup"], ph
assert all(e["ok"] for e in ev if e["event"] == "phase-end"), ev
' || { printf '%s\n' "$out_r" >&2; fail "receive's --json events"; }
assert_runs_on hv2 "after send/receive"
assert_eq "$(lab_out hv1 "$VIRSH list --all --name | grep -cx $N || true; lvs --noheadings vg/$N 2>/dev/null | wc -l")" "$(printf '0\n0')" "hv1: VM undefined, its LV removed"
assert_clean hv1 "after the move"; assert_clean hv2 "after the move"
say_t "moved hv1 -> hv2 with receive 30 s after send, in $(elapsed $t1) s: $(grep -o 'freeze window vg[^ ]* [0-9.]* ms' <<< "$out_s" | head -n1); $(grep -E '^  (wait-sync|migrate) ' <<< "$out_s" | tr -s ' ' | tr '\n' ';')"
printf '%s\n' "$out_s" | sed "s/^/[$SCENARIO]   hv1| /" | grep -v '^.*|   - ' | tail -n 12
say_t "ring check on hv2: $(ring_check hv2)"
fi

# The faults start from the VM on hv1 (after part 1 it runs on hv2: a new one).
if [ "$(lab_run hv1 "$VIRSH domstate $N" 2>/dev/null)" != running ]; then
	lab_run hv2 "$BV destroy $N" >/dev/null 2>&1 || true
	lab_out hv1 "$BV destroy $N; $BV create $N $SIZE; $BV wait-writes $N 16 120" >/dev/null
fi

# A slow sync (4 MiB/s: about 16 s) so a fault lands in it; short waits.
FAULT_OPTS="--resync-rate 4M --timeout connect=20 --timeout stall=20 --timeout gate=20"

# ---- 3. libvirtd on hv2 stopped before the migration ------------------------
if want 3; then
make_plan hv1 hv2 $FAULT_OPTS
t3=$(now)
lab_bg hv2 recv "$V receive --plan $PLAN"
lab_bg hv1 send "$V send --plan $PLAN"
wait_for hv1 "drbdsetup-84 sh-status 2>/dev/null | grep -q '^_cstate=SyncSource'" 120 "the sync"
lab_out hv2 "$FAULT libvirtd stop" >/dev/null
rc_s=$(bg_rc hv1 send 300)
out_s=$(lab_bg_log hv1 send)
assert_eq "$rc_s" 13 "send with hv2's libvirtd stopped: exit (undone); $(tail -n 3 <<< "$out_s")"
assert_match "$out_s" "migrate FAILED" "send says the migration failed"
assert_runs_on hv1 "send undone"
assert_clean hv1 "send undone"
lab_out hv2 "$FAULT libvirtd start" >/dev/null
rc_r=$(bg_rc hv2 recv 120)
out_r=$(lab_bg_log hv2 recv)
assert_eq "$rc_r" 13 "receive once hv1 gave up: exit (undone); $(tail -n 3 <<< "$out_r")"
assert_match "$out_r" "never arrived" "receive says why it gave up"
assert_clean hv2 "receive undone"
assert_eq "$(lab_out hv2 "lvs --noheadings vg/$N 2>/dev/null | wc -l")" 0 "hv2: the LV receive created is gone"
say_t "hv2's libvirtd stopped during the sync: send undone (13), receive undone by itself (13), in $(elapsed $t3) s; ring check on hv1: $(ring_check hv1)"
restart_vm hv1
ABORTED=3
fi

# ---- 4. send SIGKILLed after the bridge, abort on hv1 -----------------------
if want 4; then
make_plan hv1 hv2 $FAULT_OPTS
t4=$(now)
lab_bg hv2 recv "$V receive --plan $PLAN"
lab_bg hv1 send "$V send --plan $PLAN"
wait_for hv1 "dmsetup table vg-$N | grep -q ' 147:70 '" 120 "the bridge"
lab_bg_kill hv1 send KILL
rc_s=$(bg_rc hv1 send 30)
assert_eq "$rc_s" 137 "send killed (SIGKILL)"
rc=0; out=$(lab_run hv1 "$V abort --plan $PLAN" 2>&1) || rc=$?
assert_eq "$rc" 13 "vmhop abort on hv1 after send was killed: exit (undone); $out"
assert_runs_on hv1 "send killed, aborted"
assert_clean hv1 "send killed, aborted"
rc_r=$(bg_rc hv2 recv 120)
out_r=$(lab_bg_log hv2 recv)
assert_eq "$rc_r" 13 "receive after hv1 aborted: exit (undone); $(tail -n 3 <<< "$out_r")"
assert_clean hv2 "receive undone"
assert_eq "$(lab_out hv2 "lvs --noheadings vg/$N 2>/dev/null | wc -l")" 0 "hv2: the LV receive created is gone"
assert_prev hv1 hv2
say_t "send SIGKILLed after the bridge + abort on hv1 (13); receive cleaned hv2 by itself (13), in $(elapsed $t4) s; ring check on hv1: $(ring_check hv1)"
restart_vm hv1
ABORTED=4
fi

# ---- 8. DRBD's link lost while libvirt migrates: the migration cancelled -----
if want 8; then
# Not $FAULT cut: with the port's segments dropped, the VM's writes hang
# (protocol C) until DRBD's ping times out (10-12 s here), the idle VM lets
# QEMU's pre-copy converge, and its stop-and-copy waits for those writes: the
# migration ends in the instant DRBD declares the loss, before any poll can
# act (measured: the abort comes too late, libvirt answers "domain is not
# running", the gate takes over and send stops with 14, as 60-move 2c shows).
# A peer that drops the connection is seen at once, the VM's writes go on
# locally; a 1 ms max downtime keeps the pre-copy of the writing VM from ever
# converging (1 MiB/s), so only the cancel (or migrate_s) ends the job.
make_plan hv1 hv2 --bandwidth 1 --max-downtime 1 --timeout migrate=60 --timeout connect=20 --timeout stall=20 --timeout gate=20
assert_eq "$(lab_out hv1 "python3 -c 'import json; print(json.load(open(\"$PLAN\"))[\"migration\"][\"on_link_loss\"])'")" cancel "the plan's on_link_loss by default"
t8=$(now)
lab_bg hv2 recv "$V receive --plan $PLAN"
lab_bg hv1 send "$V send --plan $PLAN"
wait_for hv1 "$VIRSH domjobinfo $N 2>/dev/null | grep -q Unbounded" 180 "libvirt's migration job"
c8=$(lab_out hv1 "$BV counter $N")
lab_out hv2 "drbdsetup-84 disconnect ipv4:169.254.77.2:7870 ipv4:169.254.77.1:7870" >/dev/null
tc8=$(now)
rc_s=$(bg_rc hv1 send 300)
ts8=$(elapsed "$tc8")
out_s=$(lab_bg_log hv1 send)
assert_eq "$rc_s" 13 "send with DRBD's link lost in the migration: exit (undone); $(tail -n 3 <<< "$out_s")"
assert_match "$out_s" "DRBD lost its link during the migration: /dev/drbd70 [A-Za-z]+ UpToDate/[A-Za-z]+: cancelling libvirt's job" "send saw the loss in the migration's loop"
assert_match "$out_s" "migrate FAILED after [0-9.]+ s: DRBD lost its link to hv2 during the migration \(/dev/drbd70 [^)]*\): libvirt's job was cancelled, the VM still runs here" "send's one-line error"
assert_match "$out_s" "abort: undone" "send aborted"
assert_eq "$(lab_out hv1 "$VIRSH domjobinfo $N | awk '/^Job type/ {print \$3}'")" None "hv1: no migration job left"
assert_runs_on hv1 "migration cancelled"
assert_ge "$(lab_out hv1 "$BV counter $N")" "$((c8 + 16))" "hv1: the VM went on writing through the cancelled migration"
assert_eq "$(lab_out hv2 "$VIRSH list --all --name | grep -cx $N || true")" 0 "hv2: no VM defined there"
assert_clean hv1 "migration cancelled"
rc_r=$(bg_rc hv2 recv 120)
out_r=$(lab_bg_log hv2 recv)
assert_eq "$rc_r" 13 "receive after hv1 cancelled the migration: exit (undone); $(tail -n 3 <<< "$out_r")"
assert_clean hv2 "receive undone"
assert_eq "$(lab_out hv2 "lvs --noheadings vg/$N 2>/dev/null | wc -l")" 0 "hv2: the LV receive created is gone"
assert_prev hv1 hv2
say_t "DRBD's link lost while libvirt migrated: libvirt's job cancelled, send undone (13) $ts8 s after the loss (seen from here), the VM ran on on hv1; receive undone by itself (13), in $(elapsed $t8) s; ring check on hv1: $(ring_check hv1)"
restart_vm hv1
ABORTED=8
fi

# ---- 6. Ctrl-C to send during the sync ----------------------------------------
if want 6; then
make_plan hv1 hv2 $FAULT_OPTS
t6=$(now)
lab_bg hv2 recv "$V receive --plan $PLAN"
lab_bg hv1 send "$V send --plan $PLAN"
wait_for hv1 "drbdsetup-84 sh-status 2>/dev/null | grep -q '^_cstate=SyncSource'" 120 "the sync"
ti=$(now)
lab_bg_kill hv1 send INT
rc_s=$(bg_rc hv1 send 60)
out_s=$(lab_bg_log hv1 send)
assert_eq "$rc_s" 13 "send after SIGINT in the sync: exit (undone); $(tail -n 3 <<< "$out_s")"
assert_match "$out_s" "interrupted" "send says it was interrupted"
assert_match "$out_s" "abort: undone" "send aborted"
si=$(elapsed "$ti")
assert_runs_on hv1 "send interrupted"
assert_clean hv1 "send interrupted"
rc_r=$(bg_rc hv2 recv 120)
assert_eq "$rc_r" 13 "receive after hv1 was interrupted: exit (undone); $(lab_bg_log hv2 recv | tail -n 3)"
assert_clean hv2 "receive undone"
assert_prev hv1 hv2
say_t "SIGINT to send in the sync: undone on hv1 (13, $si s from the signal to its exit, abort included), receive undone by itself (13), in $(elapsed $t6) s; ring check on hv1: $(ring_check hv1)"
restart_vm hv1
ABORTED=6
fi

# ---- 5. hv2 powered off during the sync -------------------------------------
if want 5; then
make_plan hv1 hv2 $FAULT_OPTS
t5=$(now)
lab_bg hv2 recv "$V receive --plan $PLAN"
lab_bg hv1 send "$V send --plan $PLAN"
wait_for hv1 "drbdsetup-84 sh-status 2>/dev/null | grep -q '^_cstate=SyncSource'" 120 "the sync"
lab_poweroff hv2 >/dev/null
rc_s=$(bg_rc hv1 send 300)
out_s=$(lab_bg_log hv1 send)
assert_eq "$rc_s" 13 "send with hv2 powered off: exit (undone); $(tail -n 3 <<< "$out_s")"
assert_runs_on hv1 "hv2 powered off"
assert_clean hv1 "hv2 powered off"
assert_prev hv1
say_t "hv2 powered off during the sync: send undone (13) in $(elapsed $t5) s; ring check on hv1: $(ring_check hv1)"
lab_boot hv2 >/dev/null
assert_clean hv2 "booted again"
say_t "hv2 booted again: clean"
fi

# ---- 7. the link cut during the sync, and back --------------------------------
if want 7; then
lab_run hv2 "$BV destroy $N" >/dev/null 2>&1 || true
lab_out hv1 "$BV destroy $N; $BV create $N $SIZE; $BV wait-writes $N 16 120" >/dev/null
make_plan hv1 hv2 --resync-rate 4M --timeout connect=60 --timeout stall=60 --timeout gate=20
t7=$(now)
lab_bg hv2 recv "$V receive --plan $PLAN"
sleep 2		# receive first: it waits for send
lab_bg hv1 send "$V --json send --plan $PLAN"
wait_for hv1 "drbdsetup-84 sh-status 2>/dev/null | grep -q '^_cstate=SyncSource'" 120 "the sync"
lab_out hv1 "$FAULT cut 7870" >/dev/null
sleep 15
lab_out hv1 "$FAULT restore" >/dev/null
rc_s=$(bg_rc hv1 send 300); rc_r=$(bg_rc hv2 recv 200)
out_s=$(lab_bg_log hv1 send)
[ "$rc_s$rc_r" = 00 ] || { printf '%s\n' "$out_s" >&2; lab_bg_log hv2 recv >&2; fail "link cut in the sync: send exited $rc_s, receive $rc_r"; }
lost=$(lab_out hv1 "dmesg | grep -cE 'conn\( (SyncSource|Connected) -> (NetworkFailure|Timeout|BrokenPipe|Unconnected|ProtocolError)' || true")
[ "$lost" -ge 1 ] || { lab_out hv1 "dmesg | grep -i drbd | tail -n 20" >&2; fail "the cut did not break DRBD's connection (nothing in hv1's kernel log)"; }
fz=$(printf '%s\n' "$out_s" | python3 -c 'import json,sys
ev=[json.loads(l) for l in sys.stdin if l.strip()]
print([e["ns"] for e in ev if e["event"] == "freeze"][0], ev[-1]["outcome"], ev[-1]["downtime_ms"])')
assert_match "$fz" "^[0-9]+ moved [0-9]+$" "send --json: a freeze event, the summary"
assert_runs_on hv2 "after the link came back"
assert_clean hv1 "link cut"; assert_clean hv2 "link cut"
say_t "receive first; DRBD's port cut for 15 s in the sync ($lost connection loss(es) in hv1's kernel log): DRBD reconnected and resynced, moved in $(elapsed $t7) s (freeze ns, outcome, libvirt downtime ms: $fz); ring check on hv2: $(ring_check hv2)"
fi

say_t "PASS"

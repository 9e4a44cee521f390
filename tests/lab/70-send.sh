#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Lab scenario: the move with one command per host, vmhop send (hv1) and
# vmhop receive (hv2), each one process (src/core/run.c).
#   deb. (with part 1) the Debian package `make deb` built,
#      $BUILD/deb/vmhop_*.deb (without it the scenario fails at once, naming
#      it), installed with dpkg -i on hv1 and hv2 (the guests run this
#      machine's / with its dpkg database: the package's dependencies are
#      this machine's): dpkg knows it installed, /usr/sbin/vmhop says the
#      package's version, dpkg -L lists the package's files (those of
#      dpkg-deb -c), man -w finds vmhop(8), the bash completion
#      completes 'vmhop se' to send, the tmpfiles.d entry is there and the
#      postinst created /var/lib/vmhop 0700 root:root (none before).  Part
#      1's move is then made by the installed /usr/sbin/vmhop (plan, send,
#      receive).  After it, dpkg -r: the package's files gone, /var/lib/vmhop
#      (the move's journal) kept; dpkg -P: /var/lib/vmhop gone, dpkg knows
#      no vmhop, nothing of it left (no file of its list, no
#      /var/lib/dpkg/info/vmhop.*).  dpkg runs with --no-triggers: man-db's
#      trigger would re-index every man page over 9p, under TCG.
#   1. receive started once send waits for it (send prepared and bridged,
#      its DRBD in WFConnection, still so and send not ended 5 s later): the
#      busy VM moves hv1 -> hv2; both
#      exit 0; send's terminal output has each phase, the freeze window, the
#      switch made on S's QEMU's exit (the early switch) and the summary; receive's --json output is one JSON event per line ending
#      in a summary "moved"; the VM runs on hv2 from a plain linear table,
#      nothing of vmhop is left on either host, hv1's LV is gone, the ring
#      check passes.  The system log (docs/events.md, "The log"; a listener
#      on /dev/log in each guest, which run no syslog daemon): each host has
#      one record per phase, ok, and a summary "moved", every record with the
#      move's resource= and vm=; hv1 has the freeze window, the switch's
#      steps, and the records of bridge and of migrate each in one block
#      ending in the phase's record (written at the phase's end).
#   3. hv2's libvirtd stopped during the sync (before the migration): send's
#      migrate fails, send aborts (exit 13), the VM runs on on hv1 on its own
#      table; libvirtd started again, receive sees the VM never came and
#      hv1 gone, and aborts by itself (exit 13); both hosts clean.
#   4. send killed with SIGKILL after the bridge, then vmhop abort on hv1
#      (exit 13); receive notices hv1 went away and cleans hv2 by itself
#      (exit 13); the VM runs on on hv1, both hosts clean.
#   8. DRBD's connection dropped by hv2 while libvirt migrates (the migration
#      held by the link: 128 kbit/s to hv2's migration ports): hv1's DRBD
#      loses its peer at once (WFConnection); send sees it in the migration's
#      poll loop and cancels libvirt's job (the plan's on_link_loss: cancel,
#      the default); the VM keeps running on hv1, still writing; send tries
#      again once DRBD is back (--migrate-retries 1, the default), but hv2
#      stays StandAlone: no connection within timeouts.connect, send aborts
#      (exit 13), receive cleans hv2 by itself (exit 13), both hosts clean.
#   9. DRBD's TCP connections reset on hv2 while libvirt migrates (held by
#      the link as in part 8; nothing cut: DRBD reconnects by itself and
#      resyncs): send sees the loss, cancels libvirt's job, waits for the
#      resync and migrates again (the link back to full speed); the
#      move finishes (both exit 0), the VM runs on hv2, the ring check
#      passes there, both hosts clean; then a new busy VM on hv1.
#   6. Ctrl-C (SIGINT) to send during the sync: send aborts (exit 13) within
#      a second or so of the signal, the VM runs on on hv1, hv1 clean;
#      receive sees hv1 go and aborts by itself (exit 13), hv2 clean.
#   5. hv2 powered off (its QEMU killed) during the sync: send waits for the
#      link for timeouts.connect, then aborts (exit 13), the VM runs on on
#      hv1, hv1 clean; hv2 boots again clean.
#   7. receive started first (2 s before send, which runs with --json: a
#      freeze event, a summary "moved"); 3 s into the resync `vmhop status`
#      shows the kernel's rate and time left; then (same call, still in the
#      resync: asserted) the DRBD port cut on hv1 until hv1's kernel logs the
#      connection loss (a line after the cut's mark, at most 60 s) and 3 s
#      more, then restored: DRBD reconnects and
#      resyncs; send and receive ride it out and finish the move (exit 0),
#      the ring check passes on hv2, both hosts clean.
#  10. send SIGKILLed while libvirt's peer-to-peer job runs, held before its
#      first byte (hv2 stalls libvirt's migration ports once send syncs: S's preflight probes
#      them; QEMU's connect
#      hangs): libvirtd does not cancel a p2p job when its client dies, in
#      any phase (docs/engine.md, "libvirt's job when send dies").  vmhop
#      abort at once: refused (exit 5, "busy"), nothing changed (the LV still
#      on DRBD, the job still on hv1, the incoming VM on hv2); send run again
#      waits for the job (still waiting 5 s later); the stall lifted, the
#      job ends with the VM paused on hv2, send passes the gate and finishes
#      the move (exit 0) with the receive started before; the VM runs on hv2,
#      the ring check passes there, hv1 keeps no domain and no LV, both clean.
#  11. Ctrl-C (SIGINT) to send as its "resume" step event comes (held in
#      the switch: once the VM runs on hv2): it stops before the end
#      (exit not 0); send run again finishes (exit 0); hv1 keeps no domain
#      definition and no LV, the VM runs on hv2, ring check, both clean.
#  12. the migration's controls: a plan with auto-converge, 2 parallel
#      connections and a migrate URI (hv2's link address), the sync at
#      1 MiB/s: vmhop tune on hv1 in the sync sets 100M (drbdsetup-84 show
#      on both hosts agrees); moved (both exit 0); hv1's libvirtd's log of
#      QEMU's monitor (on for this part, virt-admin) has auto-converge
#      and multifd on, 2 channels, the URI; ring check on hv2, hv1 clean.
#  13. a migration that sends, held (hv1 sends to hv2's migration ports at
#      128 kbit/s: tc's tbf; once send's events count bytes sent, those ports
#      stalled on hv1): vmhop tune --max-downtime 100 --bandwidth 3 on hv1:
#      virsh migrate-getmaxdowntime and migrate-getspeed read back 100 and 3,
#      the migration still running; the plan's completion policy
#      converge:40 then comes (send's migrate events say converging, none
#      before 37 s of libvirt's job) and libvirt reads back a max downtime of
#      600000 ms, the migration still running; the link back, the move ends
#      (both exit 0); ring check on hv2, hv1 clean.
#  14. the overlap (vmhop plan --overlap 2), the sync at 6 MiB/s (about
#      11 s): send runs no wait-sync; libvirt's migration begins before the
#      sync's end, and not more than 15 s before it; no migrate event says
#      held and sent 2 s after the end; moved (both exit 0), no converging; ring check on
#      hv2, hv1 clean.  Said, not asserted: the bytes sent while held, and
#      when hv1's libvirt stopped the VM for the switchover (lifecycle event
#      "Suspended Migrated", on hv1's clock) against the sync's end.
# Parts 10 to 14 start from a new busy VM on hv1 (RUNNING: each alone).
# Parts 4, 8, 9, 6 and 5 move the VM that the part before aborted (the same
# UUID, the same journal name): each host finds that move's ended journal,
# keeps it as .prev and starts a fresh one; part 7 moves the VM part 5 left.
# Each part ends with the writer's ring check passing where the VM runs: the
# VM stopped after a move (parts 1, 7), paused and resumed after an undone
# one (3, 4, 8, 6, 5: the next part moves it on); each check covers every
# write since the one before (fewer than the ring's 8192 in between: writes=).
# timeout: 1800
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
KLOG=$REPO/tools/lab/guest/klog.sh
STATE=/var/lib/vmhop
PLAN=/tmp/$N.plan.json
# What vmhop sent to /dev/log (part 1: tools/lab/guest/devlog.py).
SYSLOG=/tmp/$N.syslog
# SECTIONS="1 4" runs only those parts (all by default); "deb" runs part 1
# with the package installed (and part 1 even if not named).
want() { [[ " ${SECTIONS:-deb 1 3 4 8 9 6 5 7 10 11 12 13 14} " == *" $1 "* ]]; }

jget() { python3 -c 'import json,sys; d=json.load(sys.stdin)
for k in sys.argv[1].split("."): d=d[int(k)] if isinstance(d,list) else d[k]
print(str(d).lower() if isinstance(d,bool) else d)' "$1"; }

cleanup() {
	set +e
	for h in hv1 hv2; do
		lab_run $h "pkill -9 -f 'vmhop.*(send|receive)'; $FAULT restore; $FAULT libvirtd start; $VIRSH destroy $N; $VIRSH undefine $N
			for r in \$(drbdsetup-84 show | awk '/^resource vh-/ {print \$2}'); do drbdsetup-84 down \$r; done
			for d in \$(dmsetup ls | awk '/\\.copy/ {print \$1}'); do dmsetup remove \$d; done
			for l in \$(lvs --noheadings -o lv_name vg | grep '\\.vhmd'); do lvremove -q -y vg/\$l; done
			$V drbd helper restore; $BV destroy $N; rm -rf $STATE $PLAN
			[ ! -e /var/lib/dpkg/info/vmhop.list ] || dpkg -P --no-triggers vmhop
			[ -s /tmp/lab-bg/devlog.pid ] && kill \$(cat /tmp/lab-bg/devlog.pid); rm -f /dev/log $SYSLOG" >/dev/null 2>&1
	done
}
# A failure prints what the hosts hold first (DRBD, the VM, dm, the faults,
# vmhop's output): cleanup removes it, and a temporary clone's files go.
trap 'rc=$?; [ $rc -eq 0 ] || lab_state_dump; cleanup' EXIT
lab_events_watch

# Each call to a guest forks bash and tools under TCG (seconds each): what one
# host is asked in a row goes in one call, each answer asserted on its own.
# The ring check (the VM stopped): seqcheck's line, its status in \$rc there.
RING="$BV check $N 2>&1 | tail -n1; rc=\${PIPESTATUS[0]}"
# The same with the VM paused, then resumed: it writes on for the next part.
RING_PAUSED="$BV check-paused $N 2>&1 | tail -n1; rc=\${PIPESTATUS[0]}"
# Nothing of vmhop on a host: no DRBD minor, no copy device, no meta-data LV, helper as before.
CLEAN="echo minors=\$(ls /sys/block | grep -c '^drbd' || true) \
copies=\$(dmsetup ls | grep -c '\\.copy' || true) \
md=\$(lvs --noheadings -o lv_name vg | grep -c '\\.vhmd' || true) \
helper=\$(cat $HELPER)"
declare -A HELP
UUID=
# check_host HOST WHAT FLAGS [EXTRA]: one call to HOST.  FLAGS (words):
#   runs  the VM runs there on its own LV: a plain linear table, writes going on
#   prev  the aborted move's ended journal kept as .prev, this move's a fresh one
#         (only when the part before aborted a move of this VM)
# and always: nothing of vmhop left there.  Then EXTRA runs: its output lines in
# the array X, its status the call's (a failing ring check fails the scenario).
check_host() {
	local h=$1 what=$2 flags=" $3 " cmd='' out i=0 lines
	local prev=; [[ $flags == *" prev "* && -n $ABORTED ]] && prev=1
	if [[ $flags == *" runs "* ]]; then
		cmd="$VIRSH domstate $N; dmsetup table vg-$N | awk '{print \$3}' | sort -u | paste -sd,
			c=\$($BV counter $N); $BV wait-writes $N \$((c + 16)) 60 >/dev/null || exit 1
			"
	fi
	cmd+="$CLEAN
		"
	[ -z "$prev" ] || cmd+="ls $STATE/$UUID.journal $STATE/$UUID.journal.prev 2>/dev/null | wc -l
		"
	cmd+=${4:-true}
	out=$(lab_out $h "$cmd")
	mapfile -t lines <<< "$out"
	if [[ $flags == *" runs "* ]]; then
		assert_eq "${lines[0]}" running "VM runs on $h ($what)"
		assert_eq "${lines[1]}" linear "$h: the VM's LV on its own table ($what)"
		i=2
	fi
	assert_eq "${lines[i]}" "minors=0 copies=0 md=0 helper=${HELP[$h]}" "$h: nothing of vmhop left ($what)"
	i=$((i + 1))
	if [ -n "$prev" ]; then
		assert_eq "${lines[i]}" 2 "$h: the aborted move's ended journal kept as .prev, this move's a fresh one"
		i=$((i + 1))
	fi
	X=("${lines[@]:i}")
}
# ring_ok LINE: a ring check passed (its line, from RING or RING_PAUSED), on
# the VM the check before saw (its writes went on from there).  The ring holds
# the last 8192 writes: the check covers every write since the check before
# (or the VM's start) when fewer happened in between (so far always: about
# 4000-5500 on CI); a slower lab writes more in a part, so say so when not.
RING_W=0
ring_ok() {
	local w
	w=$(sed -n 's/^seqcheck: ok writes=\([0-9]*\) .*/\1/p' <<< "$1")
	[ -n "$w" ] || fail "ring check: '$1'"
	assert_ge "$w" "$RING_W" "the ring check: the same VM as the check before, writing on"
	[ $((w - RING_W)) -le 8192 ] ||
		say "note: $((w - RING_W)) writes since the last ring check, more than the ring holds: this one covers the last 8192"
	RING_W=$w
}
# make_plan FROM TO [plan options]: vmhop plan on FROM (0600), the same file on TO.
make_plan() {
	local from=$1 to=$2
	shift 2
	PLAN_JSON=$(lab_out $from "rm -f $PLAN
		$V plan $N --to $to --dest-uri qemu+tcp://$to/system --minor 70 --port 7870 --max-downtime 300 $* -o $PLAN >/tmp/$N.plan.out 2>&1 ||
			{ cat /tmp/$N.plan.out; exit 1; }
		cat $PLAN")
	lab_out $to "umask 077; cat > $PLAN <<'EOF'
$PLAN_JSON
EOF
chmod 600 $PLAN" >/dev/null
	UUID=$(jget vm.uuid <<< "$PLAN_JSON")
}
# bg_end HOST NAME SECS ['first']: wait until a background command ends (it
# must); its status in RC, its output in OUT.  'first' runs before, in the same
# call: its output opens OUT.
bg_end() {
	local rc=0
	OUT=$(lab_run $1 "${4:+$4 || exit 126
		}end=\$((SECONDS + $3))
		while [ ! -s /tmp/lab-bg/$2.rc ] && [ \$SECONDS -lt \$end ]; do sleep 0.2; done
		cat /tmp/lab-bg/$2.log
		[ -s /tmp/lab-bg/$2.rc ] || exit 124
		exit \$(cat /tmp/lab-bg/$2.rc)") || rc=$?
	[ "$rc" -ne 124 ] || { printf '%s\n' "$OUT" >&2; fail "$1: $2 did not end within $3 s"; }
	[ "$rc" -ne 126 ] || { printf '%s\n' "$OUT" >&2; fail "$1: '$4' failed"; }
	RC=$rc
}
# The part before aborted a move of this same VM (its journal ended on both
# hosts): set by each part that leaves the VM running on hv1 after an abort.
ABORTED=

# The package (section deb): found before anything else is done.
PKG=
if want deb; then
	debs=("$REPO/$BUILD"/deb/vmhop_*.deb)
	[ -e "${debs[0]}" ] || fail "section deb: no package to install: $BUILD/deb/vmhop_*.deb does not exist (run 'make deb' first; make check does), or leave deb out of SECTIONS"
	[ ${#debs[@]} -eq 1 ] || fail "section deb: more than one package in $BUILD/deb: ${debs[*]##*/}"
	PKG=${debs[0]}
	say_t "section deb: $BUILD/deb/${PKG##*/}, built $(( ($(date +%s) - $(stat -c %Y "$PKG")) / 60 )) min ago"
fi

for h in hv1 hv2; do
	out=$(lab_out $h "cat $HELPER; $VIRSH list --all --name | grep -cx '$N' || true; $CLEAN")
	mapfile -t X <<< "$out"
	HELP[$h]=${X[0]}
	assert_eq "${X[1]}" 0 "$h is clean before the scenario"
	assert_eq "${X[2]}" "minors=0 copies=0 md=0 helper=${HELP[$h]}" "$h: nothing of vmhop left (before)"
done
lab_out hv1 "$BV create $N $SIZE && $BV wait-writes $N 64 120" >/dev/null
say_t "busy VM $N on hv1 (LV vg/$N, $SIZE MiB)"

# ---- deb. the package installed on both hosts: part 1 moves with it ---------
# The files of the package (dpkg-deb -c), as dpkg -L lists them installed.
PKG_FILES="/usr/lib/tmpfiles.d/vmhop.conf /usr/sbin/vmhop /usr/share/bash-completion/completions/vmhop"
PKG_FILES+=" /usr/share/doc/vmhop/changelog.gz /usr/share/doc/vmhop/copyright /usr/share/man/man8/vmhop.8.gz"
if want deb; then
	assert_eq "$(dpkg-deb -c "$PKG" | awk '$1 !~ /^d/ { sub(/^\./, "", $6); print $6 }' | LC_ALL=C sort | xargs)" \
		"$PKG_FILES" "the package's files (dpkg-deb -c ${PKG##*/})"
	pver=$(dpkg-deb -f "$PKG" Version)
	t0=$(now)
	# /var/lib/vmhop removed first (this machine's / has one, and a scenario
	# before may have left one): the postinst must create it.
	inst=$(lab_seq "rm -rf $STATE; out=\$(dpkg -i --no-triggers $PKG 2>&1) || { echo \"\$out\"; exit 1; }; grep '^Setting up vmhop' <<< \"\$out\"" \
		"dpkg-query -W -f='\${db:Status-Abbrev}\${Version}' vmhop" \
		"/usr/sbin/vmhop --version" \
		"dpkg -L vmhop | while read -r f; do [ -d \"\$f\" ] || echo \"\$f\"; done | LC_ALL=C sort | xargs" \
		"stat -c '%a %U:%G %F' $STATE" \
		"man -w vmhop" \
		"bash -c '. /usr/share/bash-completion/completions/vmhop; COMP_WORDS=(vmhop se); COMP_CWORD=1; _vmhop vmhop se vmhop; echo \"\${COMPREPLY[*]}\"'" \
		"grep -c '^d /var/lib/vmhop 0700 root root' /usr/lib/tmpfiles.d/vmhop.conf")
	lab_both "$inst" "$inst"
	for h in hv1 hv2; do
		[ $h = hv1 ] && out=$OUT1 || out=$OUT2
		assert_match "$(lab_field 1 <<< "$out")" "^Setting up vmhop \\($pver\\)" "$h: dpkg -i ${PKG##*/}"
		assert_eq "$(lab_field 2 <<< "$out")" "ii $pver" "$h: dpkg-query: vmhop installed"
		assert_eq "$(lab_field 3 <<< "$out")" "vmhop $pver" "$h: /usr/sbin/vmhop --version"
		assert_eq "$(lab_field 4 <<< "$out")" "$PKG_FILES" "$h: dpkg -L vmhop (its files)"
		assert_eq "$(lab_field 5 <<< "$out")" "700 root:root directory" "$h: /var/lib/vmhop, made by the postinst (systemd-tmpfiles)"
		assert_eq "$(lab_field 6 <<< "$out")" /usr/share/man/man8/vmhop.8.gz "$h: man -w vmhop"
		assert_eq "$(lab_field 7 <<< "$out")" send "$h: the bash completion of 'vmhop se'"
		assert_eq "$(lab_field 8 <<< "$out")" 1 "$h: the tmpfiles.d entry"
	done
	V=/usr/sbin/vmhop
	say_t "section deb: ${PKG##*/} installed on hv1 and hv2 in $(elapsed "$t0") s: /usr/sbin/vmhop ($pver), vmhop(8), the completion, /var/lib/vmhop 0700; part 1 moves with it"
fi

# ---- 1. receive once send waits for it ----------------------------------------
if want 1 || want deb; then
make_plan hv1 hv2
# The guests run no syslog daemon: a listener on /dev/log keeps vmhop's
# records (part 1 only; it goes at the part's end).
for h in hv1 hv2; do
	lab_out $h "rm -f $SYSLOG; $(lab_bg_cmd devlog "python3 $REPO/tools/lab/guest/devlog.py $SYSLOG")
		for i in \$(seq 1 100); do [ -S /dev/log ] && break; sleep 0.1; done; [ -S /dev/log ]" >/dev/null ||
		fail "$h: no listener on /dev/log"
done
t1=$(now)
lab_bg hv1 send "$V send --plan $PLAN"
# send prepares and bridges, then waits for its peer (DRBD WFConnection): it
# must still wait there 5 s later, when receive starts.
w1=$(wait_for hv1 "drbdsetup-84 sh-status 2>/dev/null | grep -q '^_cstate=WFConnection'" 120 "send waiting for its peer" \
	"sleep 5; [ -s /tmp/lab-bg/send.rc ] && echo ended || echo waits; drbdsetup-84 sh-status | sed -n 's/^_cstate=//p'")
assert_eq "$w1" "$(printf 'waits\nWFConnection')" "send still waits for its peer 5 s after it began to, $(elapsed $t1) s after it started"
tr1=$(elapsed $t1)
lab_bg hv2 recv "$V --json receive --plan $PLAN"
bg_end hv1 send 400; rc_s=$RC; out_s=$OUT
bg_end hv2 recv 200; rc_r=$RC; out_r=$OUT
tm1=$(elapsed $t1)
[ "$rc_s$rc_r" = 00 ] || { printf '%s\n---\n%s\n' "$out_s" "$out_r" >&2; fail "send exited $rc_s, receive $rc_r"; }
for p in prepare bridge wait-sync migrate release cleanup; do
	assert_match "$out_s" "\] $p: (done|nothing to do|in sync) in" "send's output reports $p"
done
assert_match "$out_s" "freeze window vg/$N: [0-9.]+ ms" "send prints the freeze window"
# The switch ran at D's Finish behind the fence, or on S's QEMU's exit (if
# D's event came late), before libvirt's Confirm ended (docs/engine.md,
# "The early switch", "The fence").
assert_match "$out_s" "from (S's QEMU's exit|D's Finish, S's LVs fenced), before libvirt's Confirm ended" "send's early switch"
assert_match "$out_s" "send summary \(source, VM $N, vh-[0-9a-f]{8}-[0-9a-f]{6}\): MOVED" "send's summary"
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
# The system log: what each host's vmhop sent to /dev/log (each process has
# ended: its summary is there, or comes within a moment); the listener goes.
RES=$(jget resource <<< "$PLAN_JSON")
for h in hv1 hv2; do
	role=source; [ $h = hv2 ] && role=dest
	log=$(lab_out $h "for i in \$(seq 1 50); do grep -q ' event=summary ' $SYSLOG && break; sleep 0.2; done
		cat $SYSLOG; kill \$(cat /tmp/lab-bg/devlog.pid); rm -f /dev/log $SYSLOG /tmp/lab-bg/devlog.pid")
	n=$(printf '%s\n' "$log" | python3 -c '
import re, sys
host, role, res, vm, lv = sys.argv[1:6]
recs = []
for line in sys.stdin.read().splitlines():
    m = re.match(r"<(\d+)>.*? vmhop\[\d+\]: (resource=.*)$", line)
    if not m or " -- " not in m.group(2):
        continue
    fields = m.group(2).split(" -- ", 1)[0]
    kv = {k: v.strip(chr(34)) for k, v in re.findall(r"(\w+)=(\"(?:[^\"\\]|\\.)*\"|\S+)", fields)}
    kv["pri"] = int(m.group(1))
    recs.append(kv)
assert recs, "no record of vmhop"
for r in recs:
    assert (r.get("resource"), r.get("vm"), r.get("host"), r.get("role")) == (res, vm, host, role), r
ev = lambda e: [r for r in recs if r["event"] == e]
phases = [r["phase"] for r in ev("phase")]
want = ["prepare", "bridge", "wait-sync", "migrate", "release", "cleanup"] if role == "source" \
    else ["prepare", "wait-sync", "wait-vm", "release", "cleanup"]
assert phases == want, phases
assert all(r["outcome"] == "ok" and r["pri"] == 3 * 8 + 5 for r in ev("phase")), ev("phase")
s = ev("summary")
assert len(s) == 1 and s[0]["outcome"] == "moved" and s[0]["exit"] == "0", s
assert ev("step"), "no step"
if role == "source":
    fz = ev("freeze")
    assert len(fz) == 1 and fz[0]["disk"] == lv and int(fz[0]["freeze_ns"]) > 0, fz
    sw = [r["step"] for r in ev("switch")]
    assert {"journal", "disconnect", "journal2", "resume"} <= set(sw) and \
        ("fence" in sw or "check" in sw), sw
    mig = [r for r in ev("phase") if r["phase"] == "migrate"][0]
    assert mig["gate"] == "pass" and "disconnect:" in mig["switch_steps_ms"] and \
        "resume:" in mig["switch_steps_ms"] and float(mig["switch_ms"]) > 0, mig
    steps = [r["step"] for r in ev("step")]
    assert any(x.startswith("bridge ") for x in steps) and \
        any(x.startswith("disconnect ") for x in steps) and \
        any(x.startswith("resume ") for x in steps), steps
    # written at the phase end: the phase records in one block, its own last
    for ph in ("bridge", "migrate"):
        at = [i for i, r in enumerate(recs) if r.get("phase") == ph]
        assert at == list(range(at[0], at[-1] + 1)) and recs[at[-1]]["event"] == "phase", (ph, at)
print(len(recs))
' $h $role "$RES" $N vg/$N) || { printf '%s\n' "$log" >&2; fail "$h: vmhop's records in the system log"; }
	# kept for a reader (build/lab-results/...): what an operator's journal holds
	[ -z "${LAB_RESULTS:-}" ] || printf '%s\n' "$log" > "$LAB_RESULTS/70-send-syslog-$h.txt"
	say_t "$h: $n records of the move in the system log ($role), one per phase, the summary moved"
done
# hv2: the VM runs there, clean, the ring check (the VM stopped), then it goes:
# the faults start from a new VM on hv1.
check_host hv2 "after send/receive" runs "$RING; $BV destroy $N; exit \$rc"
ring1=${X[0]}; ring_ok "$ring1"
# hv1: the VM undefined, its LV removed, clean; then the new VM.
check_host hv1 "after the move" "" "$VIRSH list --all --name | grep -cx $N || true; lvs --noheadings vg/$N 2>/dev/null | wc -l
	$BV destroy $N; $BV create $N $SIZE >/dev/null && $BV wait-writes $N 16 120 >/dev/null"
assert_eq "${X[0]} ${X[1]}" "0 0" "hv1: VM undefined, its LV removed"
RING_W=0
say_t "moved hv1 -> hv2 with receive $tr1 s after send, in $tm1 s: $(grep -o 'freeze window vg[^ ]* [0-9.]* ms' <<< "$out_s" | head -n1); $(grep -E '^  (wait-sync|migrate) ' <<< "$out_s" | tr -s ' ' | tr '\n' ';')"
printf '%s\n' "$out_s" | sed "s/^/[$SCENARIO]   hv1| /" | grep -v '^.*|   - ' | tail -n 12
say_t "ring check on hv2: $ring1"
fi

# ---- deb. removed, then purged: nothing of it left ---------------------------
if want deb; then
	t0=$(now)
	V=$BUILD/vmhop
	rm_cmd=$(lab_seq "out=\$(dpkg -r --no-triggers vmhop 2>&1) || { echo \"\$out\"; exit 1; }" \
		"ls -d $PKG_FILES 2>/dev/null | wc -l; stat -c '%a %U:%G %F' $STATE; ls $STATE | grep -c '\.journal\$'; dpkg-query -W -f='\${db:Status-Abbrev}' vmhop" \
		"out=\$(dpkg -P --no-triggers vmhop 2>&1) || { echo \"\$out\"; exit 1; }" \
		"ls -d $PKG_FILES /usr/share/doc/vmhop $STATE /var/lib/dpkg/info/vmhop.* 2>/dev/null | xargs; dpkg-query -W vmhop >/dev/null 2>&1 && echo known || echo unknown")
	lab_both "$rm_cmd" "$rm_cmd"
	for h in hv1 hv2; do
		[ $h = hv1 ] && out=$OUT1 || out=$OUT2
		mapfile -t X <<< "$(lab_field 2 <<< "$out")"
		assert_eq "${X[0]}" 0 "$h: after dpkg -r, none of the package's files"
		assert_eq "${X[1]}" "700 root:root directory" "$h: after dpkg -r, /var/lib/vmhop kept"
		assert_ge "${X[2]}" 1 "$h: after dpkg -r, the move's journal kept in /var/lib/vmhop"
		assert_eq "${X[3]}" "rc " "$h: after dpkg -r, dpkg-query: removed, not purged"
		mapfile -t X <<< "$(lab_field 4 <<< "$out")"
		assert_eq "${X[0]}" "" "$h: after dpkg -P, nothing of the package left (its files, /var/lib/vmhop, dpkg's info)"
		assert_eq "${X[1]}" unknown "$h: after dpkg -P, dpkg knows no vmhop"
	done
	say_t "section deb: dpkg -r (files gone, /var/lib/vmhop and its journal kept), dpkg -P (nothing left) on hv1 and hv2 in $(elapsed "$t0") s"
fi

# A slow sync (4 MiB/s: about 16 s) so a fault lands in it; short waits.
FAULT_OPTS="--resync-rate 4M --timeout connect=20 --timeout stall=20 --timeout gate=20"

# Each fault part leaves the VM running on hv1 (its move undone) and ends with
# the ring check there, the VM paused and resumed: the next part moves it on.

# ---- 3. libvirtd on hv2 stopped before the migration ------------------------
if want 3; then
make_plan hv1 hv2 $FAULT_OPTS
t3=$(now)
lab_bg hv2 recv "$V receive --plan $PLAN"
lab_bg hv1 send "$V send --plan $PLAN"
# libvirtd stopped in the same call that sees the sync on hv2 (a round trip
# to the host in between, under load, ate into the 16 s of the sync), and
# DRBD's state there just before: the sync still ran, no migration yet.
cs3=$(wait_for hv2 "drbdsetup-84 sh-status 2>/dev/null | grep -q '^_cstate=SyncTarget'" 120 "the sync" \
	"drbdsetup-84 sh-status | sed -n 's/^_cstate=//p'; $FAULT libvirtd stop >/dev/null")
assert_eq "$cs3" SyncTarget "hv2's DRBD when its libvirtd was stopped (in the sync, before the migration)"
bg_end hv1 send 300; rc_s=$RC; out_s=$OUT
assert_eq "$rc_s" 13 "send with hv2's libvirtd stopped: exit (undone); $(tail -n 3 <<< "$out_s")"
assert_match "$out_s" "migrate FAILED" "send says the migration failed"
check_host hv1 "send undone" runs "$RING_PAUSED; exit \$rc"
ring=${X[0]}; ring_ok "$ring"
bg_end hv2 recv 120 "$FAULT libvirtd start >/dev/null"; rc_r=$RC; out_r=$OUT
assert_eq "$rc_r" 13 "receive once hv1 gave up: exit (undone); $(tail -n 3 <<< "$out_r")"
assert_match "$out_r" "never arrived" "receive says why it gave up"
check_host hv2 "receive undone" "" "lvs --noheadings vg/$N 2>/dev/null | wc -l"
assert_eq "${X[0]}" 0 "hv2: the LV receive created is gone"
say_t "hv2's libvirtd stopped during the sync: send undone (13), receive undone by itself (13), in $(elapsed $t3) s; ring check on hv1: $ring"
ABORTED=3
fi

# ---- 4. send SIGKILLed after the bridge, abort on hv1 -----------------------
if want 4; then
make_plan hv1 hv2 $FAULT_OPTS
t4=$(now)
lab_bg hv2 recv "$V receive --plan $PLAN"
lab_bg hv1 send "$V send --plan $PLAN"
# SIGKILL in the call that sees the bridge (no round trip to the host between).
wait_for hv1 "dmsetup table vg-$N | grep -q ' 147:70 '" 120 "the bridge" "kill -KILL \$(cat /tmp/lab-bg/send.pid)" >/dev/null
bg_end hv1 send 30; rc_s=$RC
assert_eq "$rc_s" 137 "send killed (SIGKILL)"
rc=0; out=$(lab_run hv1 "$V abort --plan $PLAN" 2>&1) || rc=$?
assert_eq "$rc" 13 "vmhop abort on hv1 after send was killed: exit (undone); $out"
check_host hv1 "send killed, aborted" "runs prev" "$RING_PAUSED; exit \$rc"
ring=${X[0]}; ring_ok "$ring"
bg_end hv2 recv 120; rc_r=$RC; out_r=$OUT
assert_eq "$rc_r" 13 "receive after hv1 aborted: exit (undone); $(tail -n 3 <<< "$out_r")"
check_host hv2 "receive undone" prev "lvs --noheadings vg/$N 2>/dev/null | wc -l"
assert_eq "${X[0]}" 0 "hv2: the LV receive created is gone"
say_t "send SIGKILLed after the bridge + abort on hv1 (13); receive cleaned hv2 by itself (13), in $(elapsed $t4) s; ring check on hv1: $ring"
ABORTED=4
fi

# ---- 8. DRBD's link lost while libvirt migrates: the migration cancelled -----
SLOW89=128kbit
if want 8; then
# Not $FAULT cut: with the port's segments dropped, the VM's writes hang
# (protocol C) until DRBD's ping times out (10-12 s here), the idle VM lets
# QEMU's pre-copy converge, and its stop-and-copy waits for those writes: the
# migration ends in the instant DRBD declares the loss, before any poll can
# act (measured: the abort comes too late, libvirt answers "domain is not
# running", the gate takes over and send stops with 14, as 60-move 2c shows).
# A peer that drops the connection is seen at once, the VM's writes go on
# locally.  1 MiB/s and a 1 ms max downtime do not keep the pre-copy from
# converging (a pass that finds no page dirty completes it: a CI run's part 9
# converged 0.8 s after QEMU began to send, its abort refused until then), so
# the link holds it: hv1 sends to hv2's migration ports at $SLOW89 (tc's
# tbf, as part 13), the first pass takes tens of seconds, and only the
# cancel ends the job.
make_plan hv1 hv2 --bandwidth 1 --max-downtime 1 --timeout migrate=60 --timeout connect=20 --timeout stall=20 --timeout gate=20
assert_eq "$(jget migration.on_link_loss <<< "$PLAN_JSON")" cancel "the plan's on_link_loss by default"
lab_out hv1 "$FAULT slow 49152/0xffc0 $SLOW89" >/dev/null
t8=$(now)
lab_bg hv2 recv "$V receive --plan $PLAN"
lab_bg hv1 send "$V send --plan $PLAN"
c8=$(wait_for hv1 "$VIRSH domjobinfo $N 2>/dev/null | grep -q Unbounded" 180 "libvirt's migration job" "$BV counter $N")
lab_out hv2 "drbdsetup-84 disconnect ipv4:169.254.77.2:7870 ipv4:169.254.77.1:7870" >/dev/null
tc8=$(now)
bg_end hv1 send 300; rc_s=$RC; out_s=$OUT
ts8=$(elapsed "$tc8")
lab_out hv1 "$FAULT unslow" >/dev/null
assert_eq "$rc_s" 13 "send with DRBD's link lost in the migration: exit (undone); $(tail -n 3 <<< "$out_s")"
assert_match "$out_s" "DRBD lost its link during the migration: /dev/drbd70 [A-Za-z]+ UpToDate/[A-Za-z]+: cancelling libvirt's job" "send saw the loss in the migration's loop"
assert_match "$out_s" "migrate FAILED after [0-9.]+ s: DRBD lost its link to hv2 during the migration \(/dev/drbd70 [^)]*\): libvirt's job was cancelled, the VM still runs here" "send's one-line error"
assert_match "$out_s" "the VM still runs here: migration retry 1 once DRBD has reconnected and resynced" "send waits to try again"
assert_match "$out_s" "wait-sync FAILED after [0-9.]+ s: /dev/drbd70: no connection to hv2 in 20 s" "hv2 did not come back: send gives up"
assert_match "$out_s" "abort: undone" "send aborted"
check_host hv1 "migration cancelled" "runs prev" "$VIRSH domjobinfo $N | awk '/^Job type/ {print \$3}'; $BV counter $N; $RING_PAUSED; exit \$rc"
assert_eq "${X[0]}" None "hv1: no migration job left"
assert_ge "${X[1]}" "$((c8 + 16))" "hv1: the VM went on writing through the cancelled migration"
ring=${X[2]}; ring_ok "$ring"
bg_end hv2 recv 120 "echo vms=\$($VIRSH list --all --name | grep -cx $N || true)"; rc_r=$RC; out_r=$OUT
assert_eq "$(head -n1 <<< "$out_r")" vms=0 "hv2: no VM defined there (the migration cancelled)"
assert_eq "$rc_r" 13 "receive after hv1 cancelled the migration: exit (undone); $(tail -n 3 <<< "$out_r")"
check_host hv2 "receive undone" prev "lvs --noheadings vg/$N 2>/dev/null | wc -l"
assert_eq "${X[0]}" 0 "hv2: the LV receive created is gone"
say_t "DRBD's link lost while libvirt migrated: libvirt's job cancelled, no connection again within 20 s, send undone (13) $ts8 s after the loss (seen from here), the VM ran on on hv1; receive undone by itself (13), in $(elapsed $t8) s; ring check on hv1: $ring"
ABORTED=8
fi

# ---- 9. DRBD's connections reset while libvirt migrates: tried again ---------
if want 9; then
# As in part 8, a migration held by the link ($SLOW89 to hv2's migration
# ports) until told to: only the cancel ends the first one.  Once the link is
# back the second one may converge before virsh lifts its limits (1 MiB/s
# and 1 ms hold nothing: cc14 saw "domain is not running"): that is no
# failure.  The reset (ss -K on hv2) aborts
# DRBD's two TCP connections and cuts nothing: DRBD reconnects by itself
# within a second or so and resyncs the VM's writes made meanwhile.  send
# sees the loss, cancels libvirt's job, waits for the resync and migrates
# again; the harness lets that second job converge (virsh
# migrate-setmaxdowntime and migrate-setspeed on the running job).
make_plan hv1 hv2 --bandwidth 1 --max-downtime 1 --timeout migrate=120 --timeout connect=30 --timeout stall=30 --timeout gate=20
lab_out hv1 "$FAULT slow 49152/0xffc0 $SLOW89" >/dev/null
t9=$(now)
lab_bg hv2 recv "$V --json receive --plan $PLAN"
lab_bg hv1 send "$V send --plan $PLAN"
wait_for hv1 "$VIRSH domjobinfo $N 2>/dev/null | grep -q Unbounded" 180 "libvirt's migration job" >/dev/null
rs9=$(lab_out hv2 "$FAULT reset 7870")
wait_for hv1 "grep -q 'migration retry 1' /tmp/lab-bg/send.log && $VIRSH domjobinfo $N 2>/dev/null | grep -q Unbounded" 180 \
	"the second migration job" "$FAULT unslow >/dev/null
		$VIRSH migrate-setmaxdowntime $N 300 2>/dev/null; $VIRSH migrate-setspeed $N 1000 2>/dev/null; true" >/dev/null
bg_end hv1 send 300; rc_s=$RC; out_s=$OUT
bg_end hv2 recv 200; rc_r=$RC; out_r=$OUT
[ "$rc_s$rc_r" = 00 ] || { printf '%s\n---\n%s\n' "$out_s" "$out_r" >&2; fail "DRBD's connections reset in the migration: send exited $rc_s, receive $rc_r"; }
assert_match "$out_s" "DRBD lost its link during the migration: /dev/drbd70 [A-Za-z]+ UpToDate/[A-Za-z]+: cancelling libvirt's job" "send saw the loss in the migration's loop"
assert_match "$out_s" "migrate FAILED after [0-9.]+ s: DRBD lost its link to hv2 during the migration" "the first migration cancelled"
assert_match "$out_s" "the VM still runs here: migration retry 1 once DRBD has reconnected and resynced" "send tries again"
assert_eq "$(grep -c '\] wait-sync: in sync in' <<< "$out_s")" 2 "wait-sync twice: the sync, then again once DRBD was back and had resynced"
assert_eq "$(grep -c '\] migrate FAILED after' <<< "$out_s")" 1 "one migration cancelled, the next one done"
assert_match "$out_s" "\] migrate: done in" "the second migration"
assert_match "$out_s" "send summary \(source, VM $N, vh-[0-9a-f]{8}-[0-9a-f]{6}\): MOVED" "send's summary"
assert_match "$out_s" "tried again 1 time after DRBD lost its link" "send's summary counts the retry"
printf '%s\n' "$out_r" | python3 -c '
import json, sys
ev = [json.loads(l) for l in sys.stdin if l.strip()]
s = ev[-1]
assert s["event"] == "summary" and s["outcome"] == "moved" and s["ok"] is True, s
ph = [e["phase"] for e in ev if e["event"] == "phase-end"]
assert ph == ["prepare", "wait-sync", "wait-vm", "release", "cleanup"], ph
' || { printf '%s\n' "$out_r" >&2; fail "receive's --json events"; }
check_host hv2 "after the migration tried again" "runs prev" "$RING; $BV destroy $N; exit \$rc"
ring=${X[0]}; ring_ok "$ring"
check_host hv1 "after the migration tried again" prev "$VIRSH list --all --name | grep -cx $N || true; lvs --noheadings vg/$N 2>/dev/null | wc -l
	$BV destroy $N; $BV create $N $SIZE >/dev/null && $BV wait-writes $N 16 120 >/dev/null"
assert_eq "${X[0]} ${X[1]}" "0 0" "hv1: VM undefined, its LV removed"
RING_W=0
say_t "DRBD's connections reset while libvirt migrated (${rs9#fault: }): libvirt's job cancelled, DRBD back and resynced, migrated again: moved in $(elapsed $t9) s; $(grep -E '^  migrate ' <<< "$out_s" | tr -s ' '); ring check on hv2: $ring"
ABORTED=
fi

# ---- 6. Ctrl-C to send during the sync ----------------------------------------
if want 6; then
make_plan hv1 hv2 $FAULT_OPTS
t6=$(now)
lab_bg hv2 recv "$V receive --plan $PLAN"
lab_bg hv1 send "$V send --plan $PLAN"
# SIGINT in the call that sees the sync, DRBD's state just before it.
cs6=$(wait_for hv1 "drbdsetup-84 sh-status 2>/dev/null | grep -q '^_cstate=SyncSource'" 120 "the sync" \
	"drbdsetup-84 sh-status | sed -n 's/^_cstate=//p'; kill -INT \$(cat /tmp/lab-bg/send.pid)")
ti=$(now)
assert_eq "$cs6" SyncSource "hv1's DRBD when send got SIGINT (in the sync)"
bg_end hv1 send 60; rc_s=$RC; out_s=$OUT
si=$(elapsed "$ti")
assert_eq "$rc_s" 13 "send after SIGINT in the sync: exit (undone); $(tail -n 3 <<< "$out_s")"
assert_match "$out_s" "interrupted" "send says it was interrupted"
assert_match "$out_s" "abort: undone" "send aborted"
check_host hv1 "send interrupted" "runs prev" "$RING_PAUSED; exit \$rc"
ring=${X[0]}; ring_ok "$ring"
bg_end hv2 recv 120; rc_r=$RC
assert_eq "$rc_r" 13 "receive after hv1 was interrupted: exit (undone); $(tail -n 3 <<< "$OUT")"
check_host hv2 "receive undone" prev
say_t "SIGINT to send in the sync: undone on hv1 (13, $si s from the signal's call to its exit, abort included), receive undone by itself (13), in $(elapsed $t6) s; ring check on hv1: $ring"
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
bg_end hv1 send 300; rc_s=$RC; out_s=$OUT
assert_eq "$rc_s" 13 "send with hv2 powered off: exit (undone); $(tail -n 3 <<< "$out_s")"
say_t "hv2 powered off during the sync: send undone (13) in $(elapsed $t5) s"
# hv2 boots again (a fresh disk) while hv1 is checked; the ring check on hv1
# after the boot, so that part 7's check covers the writes since.
lab_boot hv2 >/dev/null & boot=$!
check_host hv1 "hv2 powered off" "runs prev"
wait $boot || fail "hv2 did not boot again"
ring=$(lab_out hv1 "$RING_PAUSED; exit \$rc"); ring_ok "$ring"
check_host hv2 "booted again" ""
say_t "hv2 booted again: clean; ring check on hv1: $ring"
ABORTED=5
fi

# ---- 7. the link cut during the sync, and back --------------------------------
if want 7; then
if [ "$ABORTED" != 5 ]; then	# hv2 not booted afresh, or the VM not on hv1
	lab_run hv2 "$BV destroy $N" >/dev/null 2>&1 || true
	lab_out hv1 "$BV destroy $N; $BV create $N $SIZE >/dev/null && $BV wait-writes $N 16 120" >/dev/null
	RING_W=0
fi
make_plan hv1 hv2 --resync-rate 4M --timeout connect=120 --timeout stall=120 --timeout gate=20
t7=$(now)
lab_bg hv2 recv "$V receive --plan $PLAN"
sleep 2		# receive first: it waits for send
lab_bg hv1 send "$V --json send --plan $PLAN"
# DRBD's connection loss in hv1's kernel log: a line logged after the mark
# taken at the cut (klog.sh; not a count of all such lines before and after:
# once the 128 KiB log is full, as after the scenarios before this one, each
# new line pushes out an old one, perhaps an older loss, and the count stays).
LOSS_RE='conn\( (SyncSource|Connected) -> (NetworkFailure|Timeout|BrokenPipe|Unconnected|ProtocolError)'
LOST="$KLOG count \$k0 '$LOSS_RE'"
# vmhop status in the resync (4 MiB/s: 16 s for the 64 MiB): the kernel's
# rate and time left, from /proc/drbd, on the real kernel; then, in the same
# call (no round trip to the host between them: the resync must still run),
# the mark and the cut.  DRBD's state just before the cut is asserted: the
# cut lands in the resync.
out7=$(wait_for hv1 "drbdsetup-84 sh-status 2>/dev/null | grep -q '^_cstate=SyncSource'" 120 "the sync" \
	"sleep 3; $V --json status --plan $PLAN > /tmp/$N.st7 || { cat /tmp/$N.st7; exit 1; }
	$KLOG mark; drbdsetup-84 sh-status | sed -n 's/^_cstate=//p'; $FAULT cut 7870 >/dev/null; cat /tmp/$N.st7")
k0=$(sed -n 1p <<< "$out7")
cs7=$(sed -n 2p <<< "$out7")
st7=$(tail -n +3 <<< "$out7")
rs7=$(python3 -c 'import json,sys; d=json.load(sys.stdin)["disks"][0]
print(d.get("cstate"), d.get("resync_rate_kib_s", "-"), d.get("resync_eta_s", "-"), "|", d.get("sync_text"))' <<< "$st7")
assert_match "$rs7" "^SyncSource [1-9][0-9]* [0-9]+ \| SyncSource: [0-9.]+% of the resync done, [0-9.]+ MiB to go, [0-9.]+ MiB/s, [0-9]+ s left$" "status in the resync: the kernel's rate and time left"
assert_eq "$cs7" SyncSource "hv1's DRBD just before the cut (the cut lands in the resync)"
# DRBD notices the dead link by its own timers (ping-int 10 s, ping-timeout
# 0.5 s, the request timeout): 12.4 to 20.6 s into the cut in three lab runs
# of this resync.  So the cut stays until hv1's kernel has logged the loss, and 3 s
# more (D's reconnects fail meanwhile); a fixed 15 s ended a CI run before
# the loss.
tc7=$(now)
cut_s=$(lab_run hv1 "k0=$k0; end=\$((SECONDS + 60)); while [ \$($LOST) -lt 1 ]; do
		[ \$SECONDS -lt \$end ] || { drbdsetup-84 sh-status 2>&1 | grep -E '^_(cstate|disk|pdisk)='; tc -s filter show dev eth0 ingress; $KLOG since $k0; exit 97; }
		sleep 0.2; done") || {
	printf '%s\n' "$cut_s" >&2; lab_out hv1 "$FAULT restore" >/dev/null
	fail "the cut did not break DRBD's connection within 60 s (no loss in hv1's kernel log after $k0 s)"; }
tl7=$(elapsed "$tc7")
sleep 3
lab_out hv1 "$FAULT restore" >/dev/null
bg_end hv1 send 300; rc_s=$RC; out_s=$OUT
bg_end hv2 recv 200; rc_r=$RC; out_r=$OUT
[ "$rc_s$rc_r" = 00 ] || { printf '%s\n---\n%s\n' "$out_s" "$out_r" >&2; fail "link cut in the sync: send exited $rc_s, receive $rc_r"; }
fz=$(printf '%s\n' "$out_s" | python3 -c 'import json,sys
ev=[json.loads(l) for l in sys.stdin if l.strip()]
print([e["ns"] for e in ev if e["event"] == "freeze"][0], ev[-1]["outcome"], ev[-1]["downtime_ms"])')
assert_match "$fz" "^[0-9]+ moved [0-9]+$" "send --json: a freeze event, the summary"
check_host hv1 "link cut" "" "k0=$k0; $LOST"
lost=${X[0]}
[ "$lost" -ge 1 ] || { lab_out hv1 "$KLOG since $k0 drbd | tail -n 20" >&2; fail "the cut did not break DRBD's connection (nothing in hv1's kernel log after $k0 s)"; }
check_host hv2 "after the link came back" runs "$RING; exit \$rc"
ring=${X[0]}; ring_ok "$ring"
say_t "status in the resync: $rs7"
say_t "receive first; DRBD's port cut in the sync until hv1's kernel logged the loss ($tl7 s) and 3 s more ($lost connection loss(es) in hv1's kernel log): DRBD reconnected and resynced, moved in $(elapsed $t7) s (freeze ns, outcome, libvirt downtime ms: $fz); ring check on hv2: $ring"
fi

# fresh_vm: a new busy VM on hv1 (none on hv2), for a part that moves it.
fresh_vm() {
	lab_run hv2 "$BV destroy $N" >/dev/null 2>&1 || true
	lab_out hv1 "$BV destroy $N; $BV create $N $SIZE >/dev/null && $BV wait-writes $N 16 120" >/dev/null
	RING_W=0; ABORTED=
}
# libvirt's migration ports on hv2, seen from hv1 (QEMU's stream).
MIGP="( dport >= :49152 and dport <= :49215 )"
# hv1 after a move: the VM undefined, its LV removed (each line 0).
GONE="$VIRSH list --all --name | grep -cx $N || true; lvs --noheadings vg/$N 2>/dev/null | wc -l"

# ---- 10. send killed while libvirt's job runs; abort refused; send again -----
if want 10; then
fresh_vm
make_plan hv1 hv2 --timeout migrate=300 --resync-rate 4M
t10=$(now)
lab_bg hv2 recv "$V receive --plan $PLAN"
lab_bg hv1 send "$V send --plan $PLAN"
# The stall once send syncs (16 s at 4 MiB/s): before, S's preflight probe
# of hv2's migration port would find it dropped and refuse the move.  The
# connect is libvirtd's (it hands QEMU the socket), not vmhop's probe.
wait_for hv1 "grep -q '\] wait-sync\$' /tmp/lab-bg/send.log" 120 "send's sync" >/dev/null
lab_out hv2 "$FAULT stall 49152/0xffc0" >/dev/null
# Perform3: hv1's QEMU connects to hv2's migration port and hangs there.
wait_for hv1 "ss -Htnp state syn-sent '$MIGP' | grep -Eq 'libvirtd|qemu'" 240 "QEMU's connect to hv2's migration port" \
	"kill -KILL \$(cat /tmp/lab-bg/send.pid)" >/dev/null
bg_end hv1 send 30; rc_s=$RC
assert_eq "$rc_s" 137 "send killed (SIGKILL) in libvirt's migration"
# vmhop abort at once; then, in the same call, proof that the job still ran
# through it: QEMU still connecting, the VM's LV still on DRBD's table.
ta=$(now)
out=$(lab_run hv1 "rc=0; $V abort --plan $PLAN > /tmp/$N.abort 2>&1 || rc=\$?; echo \$rc
	ss -Htnp state syn-sent '$MIGP' | grep -Ec 'libvirtd|qemu'; dmsetup table vg-$N | awk '{print \$4}'; cat /tmp/$N.abort")
mapfile -t X <<< "$out"
sa=$(elapsed "$ta")
assert_eq "${X[0]}" 5 "vmhop abort while libvirt's job runs: exit (busy); ${X[*]:3}"
assert_match "${X[*]:3}" "job of VM $N still runs" "abort says why it refuses"
assert_eq "${X[1]}" 1 "libvirt's job still held (QEMU still connecting) after abort"
assert_eq "${X[2]}" 147:70 "hv1: the VM's LV still on DRBD after the refused abort"
st=$(lab_out hv2 "$VIRSH domstate --reason $N")
assert_eq "$st" "paused (migrating)" "hv2: the incoming VM still there after the refused abort"
# send again, while the job still runs: it waits.
lab_bg hv1 send2 "$V send --plan $PLAN"
w=$(lab_run hv1 "sleep 5; [ -s /tmp/lab-bg/send2.rc ] && { echo ended; cat /tmp/lab-bg/send2.log; } || echo waits")
assert_eq "$w" waits "send run again while libvirt's job runs: still waiting 5 s later"
lab_out hv2 "$FAULT unstall" >/dev/null
bg_end hv1 send2 400; rc_s=$RC; out_s=$OUT
[ "$rc_s" = 0 ] || { printf '%s\n' "$out_s" >&2; lab_run hv2 "$VIRSH domstate --reason $N" >&2; fail "after the refused abort: send again exited $rc_s"; }
bg_end hv2 recv 300; rc_r=$RC; out_r=$OUT
[ "$rc_r" = 0 ] || { printf '%s\n' "$out_r" >&2; fail "after the refused abort and send again: receive exited $rc_r"; }
assert_match "$out_s" "send summary \(source, VM $N, vh-[0-9a-f]{8}-[0-9a-f]{6}\): MOVED" "send's summary"
check_host hv2 "send killed in the job, then again" runs "$RING; $BV destroy $N; exit \$rc"
ring=${X[0]}; ring_ok "$ring"
check_host hv1 "send killed in the job, then again" "" "$GONE"
assert_eq "${X[0]} ${X[1]}" "0 0" "hv1: VM undefined, its LV removed"
say_t "send SIGKILLed in libvirt's p2p job (held before its first byte): abort refused (5) in $sa s with the job still running; send again waited, then moved the VM (0), receive 0, in $(elapsed $t10) s; ring check on hv2: $ring"
fi

# ---- 11. Ctrl-C to send right after the resume on hv2 ------------------------
if want 11; then
fresh_vm
make_plan hv1 hv2
t11=$(now)
lab_bg hv2 recv "$V receive --plan $PLAN"
lab_bg hv1 send "$V --json send --plan $PLAN"
# SIGINT the moment send's resume step event comes (a virsh query of hv2
# over TCP took longer than the rest of send; the switch's events are held
# until the VM runs on hv2, docs/events.md): the engine finishes the
# undefine here, then stops (docs/engine.md).  The log is followed (tail -F
# wakes on each write) and read by the shell itself: no program started per
# look, which a loaded TCG guest made slower than send's last steps.
lab_out hv1 "pid=\$(cat /tmp/lab-bg/send.pid)
	timeout 400 tail -F --pid=\$pid -n +1 /tmp/lab-bg/send.log 2>/dev/null | while IFS= read -r l; do
		if [[ \$l == *'\"what\":\"resume $N on hv2\"'* ]]; then kill -INT \$pid; break; fi; done; true" >/dev/null
bg_end hv1 send 60; rc_s=$RC; out_s=$OUT
[ "$rc_s" -ne 0 ] || { printf '%s\n' "$out_s" >&2; fail "send finished despite SIGINT right after the resume: the signal came too late to test anything"; }
ev=$(printf '%s\n' "$out_s" | python3 -c '
import json, sys
ev = [json.loads(l) for l in sys.stdin if l.strip().startswith("{")]
sm = next((e for e in reversed(ev) if e.get("event") == "summary"), {})
assert "error" in ev[-1] and ev[-1]["error"]["exit"] == sm.get("exit"), (ev[-1], sm)
print(",".join(e["what"].split()[0] for e in ev if e.get("event") == "step" and e.get("phase") in ("migrate", "release", "cleanup")), sm.get("outcome", "-"))')
lab_bg hv1 send2 "$V send --plan $PLAN"
bg_end hv1 send2 300; rc_s2=$RC; out_s2=$OUT
bg_end hv2 recv 200; rc_r=$RC; out_r=$OUT
[ "$rc_s2$rc_r" = 00 ] || { printf '%s\n---\n%s\n' "$out_s2" "$out_r" >&2; fail "after SIGINT past the resume: send again exited $rc_s2, receive $rc_r"; }
assert_match "$out_s2" "send summary \(source, VM $N, vh-[0-9a-f]{8}-[0-9a-f]{6}\): MOVED" "send again: the summary"
check_host hv2 "SIGINT after the resume, send again" runs "$RING; $BV destroy $N; exit \$rc"
ring=${X[0]}; ring_ok "$ring"
check_host hv1 "SIGINT after the resume, send again" "" "$GONE"
assert_eq "${X[0]} ${X[1]}" "0 0" "hv1: VM undefined, its LV removed"
say_t "SIGINT to send right after the resume on hv2: it exited $rc_s (its steps: $ev); send again moved it (0), receive 0, in $(elapsed $t11) s; ring check on hv2: $ring"
fi

# ---- 12. the migration's controls; vmhop tune in the sync ---------------------
# auto-converge, two parallel connections and QEMU's stream to hv2's link
# address (a migrate URI); the sync at 1 MiB/s, tuned up.  hv1's libvirtd
# logs what it tells QEMU (its monitor at debug, for this part only,
# virt-admin).  QEMU 7.2 limits the bandwidth of the main channel only: with
# parallel ones the migration converges at once (a lab run: 34 MB in about a
# second once it sent).  No migration that sends could be held in this lab
# (a fresh VM's RAM is mostly zero pages: one connection at 2 MiB/s and
# 1 ms converged at once too): part 13 holds one by the link to prove
# tune's libvirt knobs and the completion policy.
VADM="virt-admin -q -c libvirtd:///system"
MONLOG=/var/log/libvirt/mon.log
MON_ON="rm -f $MONLOG; $VADM daemon-log-outputs '1:file:$MONLOG 3:file:/var/log/libvirt/libvirtd.log' && $VADM daemon-log-filters '1:qemu.qemu_monitor 3:*'"
MON_OFF="$VADM daemon-log-filters '3:*'; $VADM daemon-log-outputs '3:file:/var/log/libvirt/libvirtd.log'"
# mon_has PATTERN...: how many times each is in hv1's monitor log, in a line
mon_has() {
	local cmd='' p
	for p in "$@"; do cmd+="grep -c -F '$p' $MONLOG || true; "; done
	lab_out hv1 "$cmd" | tr '\n' ' '
}
# moved_events: send's JSON events of a move that ended moved; prints the
# first elapsed_ms of a migrate event that says converging (none: -) and the
# highest throttle_pct; $1: converging may not come before this many ms
moved_events() {
	python3 -c '
import json, sys
lim = int(sys.argv[1])
ev = [json.loads(l) for l in sys.stdin if l.startswith("{")]
m = [e for e in ev if e.get("event") == "migrate"]
c = [e["elapsed_ms"] for e in m if e["converging"]]
assert all(x >= lim for x in c), (lim, c)
s = ev[-1]
assert s["event"] == "summary" and s["outcome"] == "moved", s
print(min(c) if c else "-", max([e["throttle_pct"] for e in m] or [0]))' "$1"
}
if want 12; then
fresh_vm
make_plan hv1 hv2 --resync-rate 1M --auto-converge --parallel 2 --migrate-uri tcp://169.254.77.2
RES12=$(jget resource <<< "$PLAN_JSON")
RATE="drbdsetup-84 show $RES12 | grep -oE 'resync-rate[[:space:]]+[0-9]+k' | tr -s ' \t' ' '"
assert_eq "$(jget migration.auto_converge <<< "$PLAN_JSON") $(jget migration.parallel <<< "$PLAN_JSON") $(jget migration.migrate_uri <<< "$PLAN_JSON")" \
	"true 2 tcp://169.254.77.2" "the plan holds the controls"
lab_out hv1 "$MON_ON" >/dev/null
t12=$(now)
lab_bg hv2 recv "$V receive --plan $PLAN"
lab_bg hv1 send "$V --json send --plan $PLAN"
# The sync at the plan's 1 MiB/s (64 s): vmhop tune on hv1 (S) sets 100M,
# and DRBD hands it to hv2 (the side that paces it).
wait_for hv1 "grep -q \"sync'ed:\" /proc/drbd" 120 "hv1's resync" >/dev/null
out=$(lab_out hv1 "$V tune --plan $PLAN --resync-rate 100M >/dev/null && $RATE")
peer=$(lab_out hv2 "$RATE")
assert_eq "$out|$peer" "resync-rate 102400k|resync-rate 102400k" "vmhop tune in the sync: DRBD's resync rate on hv1 and hv2 (drbdsetup-84 show)"
bg_end hv1 send 300; rc_s=$RC; out_s=$OUT
bg_end hv2 recv 200; rc_r=$RC; out_r=$OUT
[ "$rc_s$rc_r" = 00 ] || { lab_run hv1 "$MON_OFF" >/dev/null 2>&1; printf '%s\n---\n%s\n' "$out_s" "$out_r" >&2; fail "the move with the controls: send exited $rc_s, receive $rc_r"; }
ev=$(printf '%s\n' "$out_s" | moved_events 0) || { printf '%s\n' "$out_s" >&2; fail "send's events"; }
mon=$(mon_has '"capability":"auto-converge","state":true' '"capability":"multifd","state":true' \
	'"multifd-channels":2' '"uri":"tcp:169.254.77.2:')
lab_run hv1 "$MON_OFF" >/dev/null 2>&1
for i in 1 2 3 4; do
	n=$(cut -d' ' -f$i <<< "$mon")
	[ "${n:-0}" -ge 1 ] || fail "hv1's libvirtd log of QEMU's monitor lacks item $i of auto-converge on, multifd on, 2 channels, the migrate URI ($mon)"
done
check_host hv2 "the controls" runs "$RING; $BV destroy $N; exit \$rc"
ring=${X[0]}; ring_ok "$ring"
check_host hv1 "the controls" "" "$GONE"
assert_eq "${X[0]} ${X[1]}" "0 0" "hv1: VM undefined, its LV removed"
say_t "the controls: auto-converge, 2 parallel connections, migrate URI tcp://169.254.77.2 (QEMU's monitor on hv1 got each: $mon); vmhop tune in the sync: 1M -> 100M on both hosts; moved in $(elapsed $t12) s; ring check on hv2: $ring"
fi

# ---- 13. a migration that sends, held: tune in it; the completion policy --
# The lab's VM dirties too little memory to keep a migration from converging
# (part 12), so the link holds it: hv1 sends to hv2's migration ports at
# $SLOW13 (tc's tbf; libvirt's connection and DRBD's at full speed), which
# stretches the first pass over seconds (in a lab run: first bytes 6 s into
# libvirt's job, the end on its own 28 s in, at 256 kbit/s), and once the
# job has sent its first bytes those ports are stalled on hv1 (QEMU's
# stream waits in the middle of its first pass: nothing can complete it)
# until the policy has acted.
SLOW13=128kbit CONV13=40
if want 13; then
fresh_vm
make_plan hv1 hv2 --completion converge:$CONV13
assert_eq "$(jget migration.completion.action <<< "$PLAN_JSON") $(jget migration.completion.after_s <<< "$PLAN_JSON")" \
	"converge $CONV13" "the plan holds the completion policy"
lab_out hv1 "$FAULT slow 49152/0xffc0 $SLOW13" >/dev/null
t13=$(now)
lab_bg hv2 recv "$V receive --plan $PLAN"
lab_bg hv1 send "$V --json send --plan $PLAN"
# first bytes (send's migrate events count them), then the stall at once
wait_for hv1 "grep -q '\"data_processed\":[1-9]' /tmp/lab-bg/send.log" 300 "the migration's first bytes" \
	"$FAULT stall 49152/0xffc0 >/dev/null; [ ! -s /tmp/lab-bg/send.rc ] || { echo ended; cat /tmp/lab-bg/send.log; exit 1; }" >/dev/null
ts13=$(elapsed "$t13")
# vmhop tune; libvirt's values read back; the migration still running
out=$(lab_out hv1 "$V tune --plan $PLAN --max-downtime 100 --bandwidth 3 >/dev/null
	$VIRSH migrate-getmaxdowntime $N; $VIRSH migrate-getspeed $N
	[ -s /tmp/lab-bg/send.rc ] && echo ended || echo running
	grep -c '\"converging\":true' /tmp/lab-bg/send.log || true")
tt13=$(elapsed "$t13")
assert_eq "$(paste -sd' ' <<< "$out")" "100 3 running 0" "vmhop tune in a migration that sends: libvirt's max downtime and bandwidth (virsh migrate-getmaxdowntime, migrate-getspeed), the migration still running, the policy not yet come"
# the policy, CONV13 s into the job: send says converging, and libvirt's
# limits are lifted on the job that still runs
out=$(lab_out hv1 "end=\$((SECONDS + 120)); until grep -q '\"converging\":true' /tmp/lab-bg/send.log; do
		[ \$SECONDS -lt \$end ] || { echo none; exit 0; }; sleep 0.2; done
	$VIRSH migrate-getmaxdowntime $N; $VIRSH migrate-getspeed $N
	[ -s /tmp/lab-bg/send.rc ] && echo ended || echo running")
tc13=$(elapsed "$t13")
mapfile -t X <<< "$out"
[ "${X[0]}" != none ] || { lab_out hv1 "$FAULT restore" >/dev/null; fail "no 'converging' event from send within 120 s of the tune (the plan's converge:$CONV13)"; }
assert_eq "${X[0]} ${X[2]}" "600000 running" "the completion policy on the job that still runs: libvirt's max downtime (virsh migrate-getmaxdowntime), the migration held"
bw13=${X[1]}
lab_out hv1 "$FAULT restore" >/dev/null
bg_end hv1 send 400; rc_s=$RC; out_s=$OUT
bg_end hv2 recv 300; rc_r=$RC; out_r=$OUT
[ "$rc_s$rc_r" = 00 ] || { printf '%s\n---\n%s\n' "$out_s" "$out_r" >&2; fail "the move held by the link: send exited $rc_s, receive $rc_r"; }
# converging never before CONV13 s of libvirt's job (its clock starts a
# little after vmhop's: 3 s of slack)
ev=$(printf '%s\n' "$out_s" | moved_events $(( (CONV13 - 3) * 1000 ))) || { printf '%s\n' "$out_s" >&2; fail "send's events of the move held by the link"; }
check_host hv2 "the move held by the link" runs "$RING; $BV destroy $N; exit \$rc"
ring=${X[0]}; ring_ok "$ring"
check_host hv1 "the move held by the link" "" "$GONE"
assert_eq "${X[0]} ${X[1]}" "0 0" "hv1: VM undefined, its LV removed"
say_t "a migration that sends, held ($SLOW13 to hv2's migration ports, stalled once it sent, $ts13 s in): vmhop tune --max-downtime 100 --bandwidth 3: libvirt read back 100 ms and 3 MiB/s, still running ($tt13 s in); the plan's converge:$CONV13: converging from ${ev%% *} ms of libvirt's job, libvirt read back 600000 ms and $bw13 MiB/s, still running ($tc13 s in); the link back, moved (0/0) in $(elapsed "$t13") s; ring check on hv2: $ring"
fi

# ---- 14. the overlap: libvirt's migration during the end of the sync ---------
# The sync at 6 MiB/s (about 11 s); --overlap 2: libvirt's migration begins
# about 2 s before the sync's end, less than hv2's QEMU takes to start (3.4-9
# s in the lab), as the option is meant to be used.  (The hold is no lock: in
# a lab run with --overlap 15 the held job converged 8.6 s before the sync's
# end, and the VM waited paused on hv2 for it: docs/engine.md, "The
# overlap".)  send is started after `date` on hv1 and its
# events' times are from its start: the sync's end on hv1's clock, against
# hv1's libvirt's "Suspended Migrated" (QEMU stopped the VM to switch over),
# from `virsh event --timestamp` on hv1.
if want 14; then
fresh_vm
make_plan hv1 hv2 --overlap 2 --resync-rate 6M
assert_eq "$(jget migration.overlap_s <<< "$PLAN_JSON")" 2 "the plan holds the overlap"
t14=$(now)
lab_bg hv1 ev14 "timeout 300 $VIRSH event --domain $N --event lifecycle --loop --timestamp"
lab_bg hv2 recv "$V receive --plan $PLAN"
lab_bg hv1 send "sh -c 'date +%s.%N > /tmp/$N.t14; exec $V --json --debug send --plan $PLAN'"
bg_end hv1 send 300; rc_s=$RC; out_s=$OUT
bg_end hv2 recv 200; rc_r=$RC; out_r=$OUT
evs=$(lab_out hv1 "sleep 1; kill \$(cat /tmp/lab-bg/ev14.pid) 2>/dev/null; cat /tmp/lab-bg/ev14.log; echo; echo T0 \$(cat /tmp/$N.t14)")
[ "$rc_s$rc_r" = 00 ] || { printf '%s\n---\n%s\n' "$out_s" "$out_r" >&2; fail "the move with the overlap: send exited $rc_s, receive $rc_r"; }
ov=$( { printf '%s\n' "$out_s"; printf '%s\n' "$evs" | sed 's/^/EV /'; } | python3 -c '
import datetime, json, sys
def need(ok, *why):
    if not ok:
        print(*why)
        sys.exit(1)
ev, tr, t0, stop = [], [], None, None
for l in sys.stdin:
    if l.startswith("EV T0 "):
        t0 = float(l.split()[2])
    elif l.startswith("EV ") and "Suspended Migrated" in l:
        s = l[3:].split("+0000:")[0]
        stop = datetime.datetime.strptime(s, "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=datetime.timezone.utc).timestamp()
    elif l.startswith("{"):
        ev.append(json.loads(l))
    elif l.startswith("vmhop["):
        tr.append(l.strip())
need(t0 and stop, "no start time or no Suspended Migrated event on hv1", t0, stop)
ph = [e["phase"] for e in ev if e["event"] == "phase-start"]
need("wait-sync" not in ph, "a wait-sync phase:", ph)
sync = [e for e in ev if e["event"] == "sync"]
# the sync end said by the migration watch (total_kib 0: docs/json.md), not
# a progress report of 0 left while DRBD still says SyncSource
end = [e["t"] for e in sync if e["permille"] == 1000 and e["left_kib"] == 0 and e["total_kib"] == 0]
zero = [e["t"] for e in sync if e["left_kib"] == 0]
need(end, "no sync end reported; 0 left first at", zero[:1])
mig = [e for e in ev if e["event"] == "migrate"]
start = [e["t"] for e in ev if e["event"] == "step" and e["what"].startswith("migrate ")]
need(start and start[0] < end[0], "the migration did not start before the end of the sync", start, end[0])
need(start[0] > end[0] - 15, "the migration started too early for a lead of 2 s", start, end[0])
sent_held = [e for e in mig if e["held"] and e["data_total"] > 0 and e["t"] < end[0]]
late = [e for e in mig if e["held"] and e["data_total"] > 0 and e["t"] > end[0] + 2]
let_go = [e["t"] for e in mig if not e["held"] and e["t"] >= end[0]]
need(not late, "still held, sending, 2 s after the sync: end at", end[0], "0 left first at", zero[:1],
     "held and sending at", late[0]["t"] if late else 0, "to", late[-1]["t"] if late else 0, "(%d events)" % len(late),
     "let go at", let_go[:1], "trace:", [l for l in tr if "hold" in l or "downtime" in l][-3:])
need(let_go, "the hold never let go; trace:", [l for l in tr if "hold" in l or "downtime" in l][-3:])
need(not [e for e in mig if e["converging"]], "converging")
s = ev[-1]
need(s["event"] == "summary" and s["outcome"] == "moved", "no summary moved:", s)
# the hold is a bandwidth and a downtime, not a lock (docs/engine.md): when
# QEMU stopped the VM, against the end of the sync, is said, not asserted
gap = stop - (t0 + end[0])
print("%.1f %.1f %.1f %.1f %d %.3f %s" % (start[0], end[0], let_go[0] - end[0], gap, max([e["data_processed"] for e in sent_held] or [0]), s["switch_ms"] / 1e3, str(s["fenced"]).lower()))') ||
	{ printf '%s\n---\n%s\n' "$out_s" "$evs" >&2; fail "the overlap's events (send's, and hv1's libvirt's): $ov"; }
read -r mig14 sync14 go14 gap14 bytes14 sw14 fenced14 <<< "$ov"
check_host hv2 "the overlap" runs "$RING; $BV destroy $N; exit \$rc"
ring=${X[0]}; ring_ok "$ring"
check_host hv1 "the overlap" "" "$GONE"
assert_eq "${X[0]} ${X[1]}" "0 0" "hv1: VM undefined, its LV removed"
say_t "the overlap: no wait-sync; libvirt's migration began at ${mig14} s of send, the sync ended at ${sync14} s ($bytes14 bytes sent while held; the hold let go ${go14} s after), hv1's QEMU stopped the VM ${gap14} s after it (negative: before, the hold did not hold); switch ${sw14} s (fenced: $fenced14); moved (0/0) in $(elapsed "$t14") s; ring check on hv2: $ring"
fi

say_t "PASS"

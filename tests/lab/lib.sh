# SPDX-License-Identifier: LGPL-2.1-or-later
# Sourced by every lab scenario (tests/lab/NN-name.sh).  tests/lab/run.sh has
# started the lab and exported LAB, LAB_DIR, LAB_PORT and LAB_RESULTS.
set -euo pipefail
REPO=${REPO:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
SCENARIO=$(basename "$0" .sh)
: "${LAB:=$REPO/tools/lab/lab.sh}"
: "${LAB_RESULTS:=$REPO/build/lab-results}"
VMHOP=$REPO/build/vmhop
BUSYVM=$REPO/tools/lab/guest/busyvm.sh
LABBIN=$REPO/build/lab-bin

say() { printf '[%s] %s\n' "$SCENARIO" "$*"; }
fail() { printf '[%s] FAIL: %s\n' "$SCENARIO" "$*" >&2; exit 1; }

# lab_run HOST 'commands': run in the guest (cwd = repo), output on stdout, its status.
lab_run() { "$LAB" run "$@"; }

# lab_out HOST 'commands': like lab_run, but fail the scenario when the command fails.
lab_out() {
	local out rc=0
	out=$("$LAB" run "$@" 2>&1) || rc=$?
	if [ "$rc" -ne 0 ]; then
		printf '%s\n' "$out" >&2
		fail "$1: '$2' exited $rc"
	fi
	printf '%s\n' "$out"
}

assert_eq() { [ "$1" = "$2" ] || fail "${3:-values differ}: got '$1', want '$2'"; }
assert_match() { [[ $1 =~ $2 ]] || fail "${3:-no match}: '$1' does not match /$2/"; }
assert_ge() { [ "$1" -ge "$2" ] || fail "${3:-too small}: $1 < $2"; }

# Seconds since the epoch with nanoseconds, and a difference of two of them.
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# Background commands in a guest, for scenarios that must act while a command
# runs (kill it, cut the link under it).  CMD is one simple command (it is
# exec'ed, so NAME's pid is the command itself: a signal reaches it, not a shell).
#   lab_bg HOST NAME 'CMD'         start it; output in the guest's /tmp/lab-bg/NAME.log
#   lab_bg_wait HOST NAME [SECS]   wait until it ends (default 300 s); returns its
#                                  status (128+N when killed by signal N, 124 on time-out)
#   lab_bg_kill HOST NAME [SIG]    send SIG (TERM) to it
#   lab_bg_log HOST NAME           its output so far
lab_bg() { lab_out "$1" "$(lab_bg_cmd "$2" "$3")" >/dev/null; }
# lab_bg_cmd NAME 'CMD': the guest's shell text that lab_bg runs, for a caller
# that must act in the same guest command as the start (no agent round trip
# between them, which under load can outlast a short command).
lab_bg_cmd() {
	local n=$1 cmd=$2
	printf '%s' "mkdir -p /tmp/lab-bg && rm -f /tmp/lab-bg/$n.*
		( setsid bash -c 'echo \$\$ > /tmp/lab-bg/$n.pid; eval exec \"\$1\"' _ $(printf '%q' "$cmd") \
			> /tmp/lab-bg/$n.log 2>&1 < /dev/null; echo \$? > /tmp/lab-bg/$n.rc ) > /dev/null 2>&1 &
		for i in \$(seq 1 100); do [ -s /tmp/lab-bg/$n.pid ] && break; sleep 0.05; done
		[ -s /tmp/lab-bg/$n.pid ]"
}
lab_bg_wait() {
	local h=$1 n=$2 limit=${3:-300}
	lab_run "$h" "end=\$((SECONDS + $limit))
		while [ ! -s /tmp/lab-bg/$n.rc ] && [ \$SECONDS -lt \$end ]; do sleep 0.2; done
		[ -s /tmp/lab-bg/$n.rc ] || exit 124
		exit \$(cat /tmp/lab-bg/$n.rc)"
}
lab_bg_kill() { lab_out "$1" "kill -${3:-TERM} \$(cat /tmp/lab-bg/$2.pid)" >/dev/null; }
lab_bg_log() { lab_run "$1" "cat /tmp/lab-bg/$2.log"; }

# wait_for HOST 'test' SECS WHAT ['then']: until the shell test holds in HOST;
# then prints what 'then' prints there (in the same call).
wait_for() {
	local out rc=0
	out=$(lab_run $1 "end=\$((SECONDS + $3)); until $2; do [ \$SECONDS -lt \$end ] || exit 97; sleep 0.2; done
		${5:-true}") || rc=$?
	[ "$rc" -ne 97 ] || fail "$1: $4 not seen within $3 s"
	[ "$rc" -eq 0 ] || { printf '%s\n' "$out" >&2; fail "$1: '$5' (once $4 was seen) exited $rc"; }
	[ -z "${5:-}" ] || printf '%s\n' "$out"
}
# lab_state_dump: on stderr, what each running host holds now (DRBD, the VMs,
# dm tables, a cut link, the background commands' last output lines), each
# line prefixed with the host; bounded (60 s a host).  For a scenario's EXIT
# trap on failure, before its cleanup removes it: CI keeps only what a run
# prints, not build/lab-results/ of a temporary clone.
lab_state_dump() {
	local h
	for h in hv1 hv2; do
		LAB_TIMEOUT=60 "$LAB" run "$h" 'echo "== drbd"; cat /proc/drbd 2>&1 | tail -n +3; drbdsetup-84 sh-status 2>&1 | grep -E "^_(minor|cstate|role|peer|disk|pdsk|resynced_percent)="
			echo "== vms"; virsh -q -c qemu:///system list --all 2>&1
			echo "== dm"; dmsetup table 2>&1 | grep -v "^vg-root" | head -n 20
			echo "== tc"; tc filter show dev eth0 ingress 2>&1 | grep -c "action order" | sed "s/^/drop filters: /"
			echo "== memory"; free -m | sed -n 2p
			for f in /tmp/lab-bg/*.log; do [ -e "$f" ] || continue
				echo "== ${f##*/} (exit $(cat "${f%.log}.rc" 2>/dev/null || echo "none yet")), last lines"; tail -n 40 "$f"; done' 2>&1 |
			sed "s/^/[$SCENARIO] $h| /" >&2 || true
	done
}
# Faults: tools/lab/guest/fault.sh in the guest; a host's power from outside.
FAULT=$REPO/tools/lab/guest/fault.sh
lab_poweroff() { "$LAB" poweroff "$1"; }
lab_boot() { "$LAB" boot "$1"; }

# Several commands in one `lab.sh run` (each run forks bash and tools in a TCG
# guest, seconds each), and the two hosts at the same time (two QEMUs):
#   lab_seq 'CMD1' 'CMD2'...  one command line: the commands one after the other
#                             while each succeeds (a failing one fails the run,
#                             as its own lab_out would), their outputs separated
#                             by '@@' lines (an output without its last newline
#                             gets one)
#   lab_field K <<< "$out"    the output of the K-th of them, as $(...) would
#                             have it alone (trailing newlines go)
#   lab_both 'CMD1' 'CMD2'    lab_out hv1 CMD1 and lab_out hv2 CMD2 at once; their
#                             outputs in OUT1 and OUT2; either failing fails the
#                             scenario, as lab_out does
lab_seq() {
	local c s=
	for c in "$@"; do s+="${s:+ && echo && echo @@ && }{ $c
}"; done
	printf '%s' "$s"
}
lab_field() { awk -v k="$1" '$0 == "@@" { n++; next } n == k - 1'; }
lab_both() {
	local d rc1=0 rc2=0 p1 p2
	d=$(mktemp -d)
	lab_out hv1 "$1" > "$d/1" & p1=$!
	lab_out hv2 "$2" > "$d/2" & p2=$!
	wait $p1 || rc1=$?
	wait $p2 || rc2=$?
	OUT1=$(<"$d/1"); OUT2=$(<"$d/2")
	rm -rf "$d"
	[ $rc1 -eq 0 ] && [ $rc2 -eq 0 ] || fail "a command on hv1 or hv2 failed (above)"
}

# lab_events_watch: libvirt's events of every domain on both hosts, with
# their times, into the background log "events" (lab_state_dump prints its
# last lines when a scenario fails: what libvirt said of the VMs, an I/O
# error's reason among them).
lab_events_watch() {
	local h
	for h in hv1 hv2; do
		lab_out $h "[ -s /tmp/lab-bg/events.pid ] && kill \$(cat /tmp/lab-bg/events.pid) 2>/dev/null; true" >/dev/null
		lab_bg $h events "virsh -q -c qemu:///system event --all --loop --timestamp"
	done
}

#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The phase commands' own cost (docs/bench-move.md): moves the lab's busy VM
# hv1 -> hv2 with the phase commands, each run on its host, ROUNDS times, and
# prints each command's wall time as the guest's bash saw it ($EPOCHREALTIME
# around the one command, inside the guest: no harness, no agent) with the
# phase's own wall_ms from its --json.  Asserts nothing about speed; fails if
# a phase fails.
#
#   LAB_DIR=... LAB_PORT=... tools/bench/phases.sh [ROUNDS] [--strace DIR | --marks DIR]
#
# --strace DIR: each command runs under `strace -f -ttt -T`, its trace copied
# out to DIR/ROUND-PHASE-HOST.trace (every system call stops the process and
# is decoded: in these TCG guests a netlink dump then costs ~0.3 s a message,
# so the times are strace's, not vmhop's).  --marks DIR: the same with only a
# few landmark calls traced (--seccomp-bpf: the others run at full speed):
# opens, sockets, connects, sends, ioctls, fsyncs, sleeps.
# The lab must be running (tools/lab/lab.sh start).
set -euo pipefail
REPO=$(cd "$(dirname "$0")/../.." && pwd)
LAB=$REPO/tools/lab/lab.sh
ROUNDS=3
TRACE_DIR=
STRACE=
while [ $# -gt 0 ]; do
	case $1 in
	--strace) TRACE_DIR=$2; STRACE="strace -f -ttt -T"; shift 2 ;;
	--marks) TRACE_DIR=$2; STRACE="strace -f -ttt -T --seccomp-bpf -e trace=execve,openat,socket,connect,bind,sendto,sendmsg,ioctl,fsync,flock,clock_nanosleep,nanosleep,exit_group"; shift 2 ;;
	*) ROUNDS=$1; shift ;;
	esac
done
V=${VMHOP:-$REPO/build/vmhop}	# VMHOP=PATH: another build (under the repo: the guests see it)
BV="BUSYVM_BIN_DIR=$REPO/build/lab-bin $REPO/tools/lab/guest/busyvm.sh"
N=vh61b
PLAN=/tmp/$N.plan.json
run() { "$LAB" run "$@"; }

clean() {
	local h
	for h in hv1 hv2; do
		run $h "$BV destroy $N; rm -rf /var/lib/vmhop; rm -f $PLAN /tmp/$N-*.trace" >/dev/null 2>&1 || true
	done
}

# phase ROUND HOST NAME: one command, timed inside the guest
phase() {
	local round=$1 h=$2 p=$3 wrap= out
	[ -n "$TRACE_DIR" ] && wrap="$STRACE -o /tmp/$N-$p-$h.trace"
	out=$(run $h "s=\$EPOCHREALTIME; $wrap $V --json $p --plan $PLAN >/tmp/$N-$p.json; rc=\$?; e=\$EPOCHREALTIME
		echo \"\$s \$e \$rc \$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get(\"wall_ms\", \"?\"))' /tmp/$N-$p.json)\"")
	read -r s e rc wall <<< "$out"
	[ "$rc" = 0 ] || { echo "phases: $p on $h exited $rc" >&2; run $h "cat /tmp/$N-$p.json" >&2; exit 1; }
	python3 -c 'import sys; s,e,w=sys.argv[1:4]; print("%s %-9s %-3s %8.0f %8s" % (sys.argv[4], sys.argv[5], sys.argv[6], (float(e)-float(s))*1000, w if w=="?" else "%.0f" % float(w)))' \
		"$s" "$e" "$wall" "$round" "$p" "$h"
	if [ -n "$TRACE_DIR" ]; then
		mkdir -p "$TRACE_DIR"
		"$LAB" cp-out $h /tmp/$N-$p-$h.trace "$TRACE_DIR/$round-$p-$h.trace"
	fi
}

trap clean EXIT
clean
echo "# round phase host wall_ms(bash) wall_ms(vmhop json)"
for ((round = 1; round <= ROUNDS; round++)); do
	run hv1 "$BV create $N 64 >/dev/null && $BV wait-writes $N 64 120 >/dev/null"
	out=$(run hv1 "s=\$EPOCHREALTIME; $V plan $N --to hv2 --dest-uri qemu+tcp://hv2/system --minor 61 --port 7861 --max-downtime 300 -o $PLAN >/dev/null; e=\$EPOCHREALTIME; echo \$s \$e; cat $PLAN")
	read -r s e <<< "$(head -n1 <<< "$out")"
	python3 -c 'import sys; print("%s %-9s %-3s %8.0f %8s" % (sys.argv[3], "plan", "hv1", (float(sys.argv[2])-float(sys.argv[1]))*1000, "-"))' "$s" "$e" "$round"
	run hv2 "umask 077; cat > $PLAN <<'EOF'
$(tail -n +2 <<< "$out")
EOF
chmod 600 $PLAN"
	phase $round hv1 preflight
	phase $round hv2 preflight
	phase $round hv1 prepare
	phase $round hv1 bridge
	phase $round hv2 prepare
	phase $round hv2 wait-sync
	phase $round hv1 wait-sync
	phase $round hv1 migrate
	phase $round hv2 release
	phase $round hv1 release
	phase $round hv1 cleanup
	phase $round hv2 cleanup
	clean
done

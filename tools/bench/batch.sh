#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Benchmark: many moves at once (issue 21).  N busy test VMs
# (tools/lab/guest/busyvm.sh, SIZE MiB each, random data after busyvm's first
# 5 MiB) on hv1 are moved to hv2 with vmhop receive (hv2) and vmhop send (hv1),
# in two ways, alternated over ROUNDS rounds (serial, parallel, serial, ...):
#   serial    the N moves one after the other: receive started on hv2, send
#             on hv1, both waited for, then the next VM
#   parallel  all N at once: the N receives started on hv2, then the N sends
#             on hv1 together (as tests/lab/80-batch.sh part 1), all waited for
# Each batch starts from the same state (N fresh busy VMs on hv1, N plans
# made with `vmhop plan` one after the other and copied to hv2, nothing else
# on either host) and ends with each VM's data check on hv2 (busyvm.sh check)
# and both hosts clean.  The plans and the data checks are outside the timed
# window: the batch's wall time is from the first receive's start to the last
# receive's end.  Per move: send's own --json summary (total, wait-sync,
# synced KiB and rate, migrate, libvirt's downtime, the switch) and the stall
# (hv1's "Suspended Migrated" to hv2's "Resumed Unpaused" for that domain,
# both received by listeners on hv1: one clock).  At the end each way's
# medians and the ratio parallel / serial (tools/bench/batch-report.py, which
# can be run again on the logs).  It prints numbers and asserts nothing about
# speed; a failed move or data check fails that batch (and the script) loudly.
# Details and results: docs/bench-move.md, "Many moves at once (issue 21)".
#
#   LAB_DIR=... tools/bench/batch.sh [--vms N] [--size MIB] [--rounds N]
#                                    [--resync-rate R] [--only serial,parallel]
#       on the host, lab started (both hosts).  BATCH_VMS (3), BATCH_SIZE_MIB
#       (64), BATCH_ROUNDS (2), BATCH_RESYNC_RATE (empty: vmhop plan's default,
#       100 MiB/s) and BATCH_ONLY (serial,parallel) do the same.  Each batch's
#       raw log: build/bench-batch/MODE.ROUND.log (BENCH_OUT=DIR: build/DIR/).
#
# Like tools/bench/move.sh (whose agent, helpers and clean-up this sources),
# the procedure runs inside hv1; commands for hv2 go to the agent on hv2.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=tools/bench/move.sh
. "$REPO/tools/bench/move.sh"

# ---------------------------------------------------------------------------
# Inside hv1: one batch.  Output as move.sh's (STEP, VAL, @@FILE ... @@END).
plan_file() { echo "/tmp/bench-batch.$1.plan"; }

# recv_start VM: vmhop receive for VM on hv2, in the background (via the agent)
recv_start() {
	step "recv_start_$1" on_d "rm -f /tmp/bench-recv.$1.*; (setsid $V --json receive --plan $(plan_file "$1") > /tmp/bench-recv.$1.out 2>&1 < /dev/null; echo \$? > /tmp/bench-recv.$1.rc) > /dev/null 2>&1 &"
}
# recv_wait VM: until that receive has ended; its status
recv_wait() {
	step "recv_wait_$1" on_d "for i in \$(seq 6000); do [ -s /tmp/bench-recv.$1.rc ] && break; sleep 0.1; done; tail -n1 /tmp/bench-recv.$1.out; exit \$(cat /tmp/bench-recv.$1.rc)"
}
# send_bg VM: vmhop send for VM in the background; its times in $W/send.VM.step
send_bg() {
	( s0=$EPOCHREALTIME; rc=0
	  $V --json send --plan "$(plan_file "$1")" > "$W/send.$1.out" 2>&1 < /dev/null || rc=$?
	  echo "STEP send_$1 $s0 $EPOCHREALTIME" > "$W/send.$1.step"; echo "$rc" > "$W/send.$1.rc" ) &
	SENDS+=" $!"
}
# sends_done VM...: wait for the background sends; fail on any that failed
sends_done() {
	local n rc=0
	# shellcheck disable=SC2086
	wait $SENDS	# not a bare wait: the event listeners are this shell's jobs too
	SENDS=
	for n in "$@"; do
		cat "$W/send.$n.step"
		[ "$(cat "$W/send.$n.rc")" = 0 ] && continue
		tail -n 5 "$W/send.$n.out" >&2
		echo "bench: send of $n exited $(cat "$W/send.$n.rc")" >&2
		rc=1
	done
	return $rc
}

guest_batch() {
	local mode=$1 nvm=$2 rate=$3 n c
	guest_common "$4"
	V=$BUILD/vmhop SENDS=
	VMS=$(seq -f "bb%g" 1 "$nvm" | tr '\n' ' ')
	events_start
	for n in $VMS; do
		step "create_$n" $BV create "$n" "$SIZE"
		step "fill_$n" dd if=/dev/urandom of="/dev/vg/$n" bs=1M seek=5 count=$((SIZE - 5)) oflag=direct status=none
	done
	for n in $VMS; do step "writes_$n" $BV wait-writes "$n" 64 180; done
	for n in $VMS; do
		step "plan_$n" "$V" plan "$n" --to hv2 --dest-uri "$DEST_URI" --max-downtime 300 \
			${rate:+--resync-rate "$rate"} -o "$(plan_file "$n")" --force
		step "plan_D_$n" on_d "umask 077; base64 -d > $(plan_file "$n") <<< '$(base64 -w0 "$(plan_file "$n")")'"
	done
	echo "VAL vms $VMS"
	echo "VAL load_hv1_before $(cut -d' ' -f1-3 /proc/loadavg)"
	mark t0
	if [ "$mode" = serial ]; then
		for n in $VMS; do
			recv_start "$n"
			send_bg "$n"
			sends_done "$n"
			recv_wait "$n"
		done
	else
		for n in $VMS; do recv_start "$n"; done
		for n in $VMS; do send_bg "$n"; done
		# shellcheck disable=SC2086
		sends_done $VMS
		for n in $VMS; do recv_wait "$n"; done
	fi
	mark end
	echo "VAL load_hv1_after $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "VAL load_hv2_after $(on_d "cut -d' ' -f1-3 /proc/loadavg")"
	for n in $VMS; do dump "send_events.$n" "$W/send.$n.out"; done
	events_stop
	for n in $VMS; do		# the data checks, as move.sh's data_check
		c=$(on_d "$BV counter $n")
		step "writes_on_hv2_$n" on_d "$BV wait-writes $n $((c + 32)) 180"
		step "check_hv2_$n" on_d "$BV check $n"
		echo "VAL check_$n $(tr ' \n' ',;' < "$W/check_hv2_$n.out")"
	done
}

# ---------------------------------------------------------------------------
# On the host.
batch_clean() {	# batch_clean VM...: the host's commands that clean what a batch left
	local n
	for n in "$@"; do
		echo "[ -s $(plan_file "$n") ] && $BUILD/vmhop abort --plan $(plan_file "$n") >/dev/null 2>&1; rm -f $(plan_file "$n")"
		VM=$n clean_host
	done
}
batch_left() { local n; for n in "$@"; do VM=$n left_host; echo; done; }

batch_main() {
	local nvm=${BATCH_VMS:-3} size=${BATCH_SIZE_MIB:-64} rounds=${BATCH_ROUNDS:-2}
	local rate=${BATCH_RESYNC_RATE:-} only=${BATCH_ONLY:-serial,parallel} m r vms
	FAILED=
	local usage="usage: batch.sh [--vms N] [--size MIB] [--rounds N] [--resync-rate R] [--only serial,parallel]"
	while [ $# -gt 0 ]; do
		case $1 in
		--vms) nvm=${2:-}; shift 2 || { echo "$usage" >&2; exit 2; } ;;
		--size) size=${2:-}; shift 2 || { echo "$usage" >&2; exit 2; } ;;
		--rounds) rounds=${2:-}; shift 2 || { echo "$usage" >&2; exit 2; } ;;
		--resync-rate) rate=${2:-}; shift 2 || { echo "$usage" >&2; exit 2; } ;;
		--only) only=${2:-}; shift 2 || { echo "$usage" >&2; exit 2; } ;;
		*) echo "$usage" >&2; exit 2 ;;
		esac
	done
	[[ $nvm =~ ^[0-9]+$ ]] && [ "$nvm" -ge 1 ] && [ "$nvm" -le 8 ] || { echo "batch.sh: --vms: 1 to 8" >&2; exit 2; }
	[[ $size =~ ^[0-9]+$ ]] && [ "$size" -ge 8 ] || { echo "batch.sh: --size: a number of MiB >= 8" >&2; exit 2; }
	[[ $rounds =~ ^[0-9]+$ ]] && [ "$rounds" -ge 1 ] || { echo "batch.sh: --rounds: a number >= 1" >&2; exit 2; }
	[[ $rate =~ ^([0-9]+[KMG]?)?$ ]] || { echo "batch.sh: --resync-rate: as vmhop plan's (40M, 8192K)" >&2; exit 2; }
	for m in ${only//,/ }; do
		case $m in serial|parallel) ;; *) echo "batch.sh: unknown way '$m' ($usage)" >&2; exit 2 ;; esac
	done
	vms=$(seq -f "bb%g" 1 "$nvm" | tr '\n' ' ')
	bench_init batch
	# shellcheck disable=SC2086
	lab_out hv2 "$(batch_clean $vms)" >/dev/null
	agent_up
	say "$nvm VMs of ${size} MiB; resync rate ${rate:-the default of vmhop plan}; $rounds round(s) of: ${only//,/ }; one command on hv2 from hv1 (agent): $HOP ms"
	say "host: $(uptime); lab guests running on this machine: $(pgrep -fc 'qemu-system-x86_64 -name vmhop-lab' || true) (2 are ours)"
	for ((r = 1; r <= rounds; r++)); do
		for m in ${only//,/ }; do
			# shellcheck disable=SC2086
			bench_round "$m" "$r/$rounds" "tools/bench/batch.sh --guest batch $m $nvm '$rate' $size" \
				"$(batch_clean $vms)" "$(batch_left $vms)" '^STEP (send_|recv_wait)|^VAL (t0|end|check|load)'
		done
	done
	say "host at the end: $(uptime)"
	python3 "$REPO/tools/bench/batch-report.py" "$OUT" "$only" "$rounds"
	[ -z "$FAILED" ] || { say "FAILED:$FAILED" >&2; exit 1; }
}

case ${1:-} in
--guest) shift; shift; guest_batch "$@" ;;
*) batch_main "$@" ;;
esac

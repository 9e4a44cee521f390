#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Benchmark: the bridge's freeze window, repeated.  The busy VM
# (tools/lab/guest/busyvm.sh) writes to its LV; DRBD is set up under the LV as
# `vmhop prepare` does it (the LV's table copied to a .copy device, external
# flexible meta-data, new-resource, new-minor, attach, primary --force,
# StandAlone).  Then, in rounds, alternating, with `vmhop --json dm swap`:
#   own->own     the LV onto its own table (--copy LV): the baseline
#   own->drbd    the LV onto "0 SIZE linear /dev/drbdN 0": the bridge
#   drbd->own    and back onto its own table
#   drbd->drbd   the LV, while on DRBD, onto its own (DRBD) table
#   bridge-1st   the first swap onto DRBD of a process, after a pause
# each in mode resume (the bridge's: load, one resume ioctl) and in mode
# suspend-resume (the suspend ioctl timed on its own), with the VM writing and
# with the VM paused (virsh suspend).  Windows are vmhop's own CLOCK_MONOTONIC.
# Two variants, alternating in every round: "fifo", vmhop as it is (the window
# runs SCHED_FIFO, src/dm/swap.c), and "normal", vmhop without CAP_SYS_NICE
# (setpriv --bounding-set=-sys_nice), so its window runs at the normal
# priority, as before that change.  Each swap's JSON says which it got ("rt").
# Never writes to the VM's disk (only table swaps; DRBD's meta-data is on its
# own LV).
#
#   LAB_DIR=... tools/bench/bridge.sh [ROUNDS]   on the host, lab started (hv1 used)
#   tools/bench/bridge.sh --guest [ROUNDS]       inside a guest
#   tools/bench/bridge.sh --trace [N]            instead: N swaps of each case and
#       variant (mode resume, VM writing) under ftrace (sched_switch, the ioctl
#       syscalls), each window split by tools/bench/bridge-trace.py into time
#       on the CPU, preempted while runnable, and asleep
# Each round gives 4 own->own, 2 own->drbd, 2 drbd->own, 4 drbd->drbd and
# 1 bridge-1st per variant, mode and VM state (ROUNDS 16: 32 own->drbd, 32
# drbd->own).  BRIDGE_VARIANTS="fifo normal" (the default), or one of them.
set -euo pipefail

REPO=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-build}

# ftrace: the events only (no function tracer), into a buffer big enough
trace_swaps() {
	local n=$1 variants=$2 T=/sys/kernel/tracing i var sw
	mountpoint -q $T || mount -t tracefs nodev $T
	echo 0 > $T/tracing_on; echo nop > $T/current_tracer; echo > $T/trace
	echo 16384 > $T/buffer_size_kb
	for e in sched/sched_switch syscalls/sys_enter_ioctl syscalls/sys_exit_ioctl; do
		echo 1 > "$T/events/$e/enable"
	done
	echo 1 > $T/tracing_on
	for ((i = 0; i < n; i++)); do
		for var in $variants; do
			sw="$V --json dm swap $DM"
			[ "$var" = normal ] && sw="setpriv --bounding-set=-sys_nice $sw"
			echo "=== $var own->drbd $i" > $T/trace_marker
			$sw --linear "147:$MINOR" > /dev/null
			echo "=== $var drbd->own $i" > $T/trace_marker
			$sw --table-file "$W/orig.table" > /dev/null
			echo "=== $var own->own $i" > $T/trace_marker
			$sw --copy "$DM" > /dev/null
			sleep 0.2
		done
	done
	echo 0 > $T/tracing_on
	for e in sched/sched_switch syscalls/sys_enter_ioctl syscalls/sys_exit_ioctl; do
		echo 0 > "$T/events/$e/enable"
	done
	cp $T/trace "$W/trace.txt"; echo > $T/trace
	python3 tools/bench/bridge-trace.py "$W/trace.txt"
}

guest() {
	local ROUNDS=${1:-16}
	cd "$REPO"
	export DM_DISABLE_UDEV=1 LVM_SUPPRESS_FD_WARNINGS=1
	# globals: the EXIT trap needs them after a failure
	V=$BUILD/vmhop VM=bwvm MINOR=9 RES=bwres W=/tmp/bridge-bench
	DM=vg-$VM CP=$VM.copy META=/dev/vg/${VM}_m BV="bash tools/lab/guest/busyvm.sh"
	VIRSH="virsh -q -c qemu:///system"
	HELPER=/sys/module/drbd/parameters/usermode_helper
	rm -rf "$W"; mkdir -p "$W"
	cleanup() {
		set +e
		[ -s "$W/orig.table" ] && { dmsetup table "$DM" | cmp -s - "$W/orig.table" ||
			{ dmsetup load "$DM" "$W/orig.table"; dmsetup resume "$DM"; }; }
		drbdsetup-84 down "$RES" >/dev/null 2>&1
		[ -s "$W/helper" ] && cat "$W/helper" > "$HELPER"
		dmsetup remove "$CP" >/dev/null 2>&1
		rm -f "/dev/mapper/$CP"
		lvremove -q -y "$META" >/dev/null 2>&1
		$BV destroy "$VM" >/dev/null 2>&1
	}
	trap cleanup EXIT
	$BV create "$VM" 64 >/dev/null
	$BV wait-writes "$VM" 256 120 >/dev/null
	dmsetup table "$DM" > "$W/orig.table"
	local sectors drbd t0 t1 c0 c1
	sectors=$(blockdev --getsz "/dev/mapper/$DM")
	drbd=147:$MINOR
	# DRBD under the LV, as vmhop prepare does (the helper made harmless)
	cat "$HELPER" > "$W/helper"; echo /bin/true > "$HELPER"
	lvcreate -q -y -Wn -Zn -n "${VM}_m" -L 4M vg >/dev/null
	drbdmeta --force "$MINOR" v08 "$META" flex-external create-md >/dev/null 2>&1
	"$V" dm create "$CP" --copy "$DM" >/dev/null
	drbdsetup-84 new-resource "$RES"
	drbdsetup-84 new-minor "$RES" "$MINOR" 0
	drbdsetup-84 attach "$MINOR" "/dev/mapper/$CP" "$META" flexible
	drbdsetup-84 primary "$MINOR" --force
	grep -E "^ *$MINOR:" /proc/drbd | sed 's/^/bench: drbd /'
	local variants=${BRIDGE_VARIANTS:-fifo normal} var sw
	if [ -n "${BRIDGE_TRACE:-}" ]; then
		trace_swaps "$ROUNDS" "$variants"
		trap - EXIT
		cleanup
		return 0
	fi
	for state in running paused; do
		[ "$state" = paused ] && $VIRSH suspend "$VM" >/dev/null
		c0=$($BV counter "$VM"); t0=$EPOCHREALTIME
		for ((r = 0; r < ROUNDS; r++)); do
			for var in $variants; do
				sw="$V --json dm swap $DM"
				[ "$var" = normal ] && sw="setpriv --bounding-set=-sys_nice $sw"
				for mode in resume suspend-resume; do
					local p=$W/$var.$state.$mode.$r
					sleep 0.3
					$sw --linear "$drbd" --mode $mode > "$p.first.json"
					$sw --copy "$DM" --mode $mode --repeat 2 > "$p.dd.json"
					$sw --table-file "$W/orig.table" --mode $mode > "$p.back.json"
					$sw --copy "$DM" --mode $mode --repeat 2 > "$p.oo.json"
					$sw --linear "$drbd" --mode $mode --repeat 1 > "$p.od.json"
				done
			done
		done
		c1=$($BV counter "$VM"); t1=$EPOCHREALTIME
		echo "$state $c0 $c1 $t0 $t1" >> "$W/counter"
		[ "$state" = paused ] && $VIRSH resume "$VM" >/dev/null
	done
	dmsetup table "$DM" | cmp -s - "$W/orig.table"
	grep -E "^ *$MINOR:" /proc/drbd -A2 | sed 's/^/bench: drbd /'
	python3 - "$W" "$ROUNDS" $variants <<-'PY'
	import json, sys, glob
	W, R, VARS = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
	for l in open(W + "/counter"):
	    s, c0, c1, t0, t1 = l.split()
	    print("bench: VM %s: %d writes in %.1f s (%.0f/s)" % (s, int(c1) - int(c0),
	          float(t1) - float(t0), (int(c1) - int(c0)) / (float(t1) - float(t0))))
	def load(f):
	    return json.load(open(f))
	def swaps(f):
	    j = load(f)
	    return j["swaps"] if "swaps" in j else [j]
	q = lambda v, p: sorted(v)[min(len(v) - 1, int(p * len(v)))]
	def med(v):
	    v = sorted(v); n = len(v)
	    return v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2
	print("%-7s %-8s %-15s %-11s %4s %9s %9s %9s %9s %9s %9s" % ("variant", "VM", "mode", "case", "n",
	      "median", "p90", "max", "min", "susp-med", "susp-max"))
	for state, var, mode in ((s, v, m) for s in ("running", "paused") for m in ("resume", "suspend-resume")
	                         for v in VARS):
	        cases = {k: [] for k in ("own->own", "own->drbd", "drbd->own", "drbd->drbd", "bridge-1st")}
	        for r in range(R):
	            p = "%s/%s.%s.%s.%d." % (W, var, state, mode, r)
	            cases["bridge-1st"] += swaps(p + "first.json")
	            cases["drbd->drbd"] += swaps(p + "dd.json")
	            cases["drbd->own"] += swaps(p + "back.json")
	            cases["own->own"] += swaps(p + "oo.json")
	            od = swaps(p + "od.json")
	            cases["own->drbd"] += od[0::2]
	            cases["drbd->own"] += od[1::2]
	        for k, v in cases.items():
	            w = [s["window_ns"] / 1e6 for s in v]
	            su = [s.get("suspend_ns", 0) / 1e6 for s in v]
	            rt = set(s.get("rt", False) for s in v)
	            if rt != {var == "fifo"}:
	                sys.exit("bench: %s swaps ran with rt=%s" % (var, rt))
	            print("%-7s %-8s %-15s %-11s %4d %9.2f %9.2f %9.2f %9.2f %9s %9s" % (var, state, mode, k, len(w),
	                  med(w), q(w, .9), max(w), min(w),
	                  "%.2f" % med(su) if mode != "resume" else "-",
	                  "%.2f" % max(su) if mode != "resume" else "-"))
	PY
	trap - EXIT
	cleanup
	rm -rf "$W"
}

TRACE=
if [ "${1:-}" = "--trace" ]; then
	shift
	TRACE=1
fi
if [ "${1:-}" = "--guest" ]; then
	shift
	guest "$@"
	exit 0
fi
"$REPO/tools/lab/lab.sh" run hv1 "BUILD=$BUILD BRIDGE_TRACE=${TRACE:-${BRIDGE_TRACE:-}} BRIDGE_VARIANTS='${BRIDGE_VARIANTS:-fifo normal}' bash tools/bench/bridge.sh --guest ${1:-16}"

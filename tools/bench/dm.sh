#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Benchmark: the freeze window of `vmhop dm swap` against dmsetup's
# `load` then `suspend; resume`, on the same LV under the same O_DIRECT writer
# (tools/lab/dwriter.c).  For each method, N table swaps (alternating between
# the LV's own table and a linear map onto a copy device on the same extents):
#   vmhop          vmhop dm swap (load, then ONE resume ioctl)       window: vmhop's own CLOCK_MONOTONIC
#   vmhop-sr       vmhop dm swap --mode suspend-resume              window: idem
#   dmsetup        dmsetup load (outside); then dmsetup suspend; dmsetup resume
#                  window: from before `dmsetup suspend` starts to after `dmsetup resume` returns
#                  ($EPOCHREALTIME, a bash builtin: no fork for the clock)
# and, independently, the writer's worst write during each swap.
#
#   LAB_DIR=... tools/bench/dm.sh [N]      on the host, lab started (hv1 used)
#   tools/bench/dm.sh --guest [N]          inside a guest
set -euo pipefail

REPO=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-build}

guest() {
	local N=${1:-40}
	cd "$REPO"
	export DM_DISABLE_UDEV=1 LVM_SUPPRESS_FD_WARNINGS=1
	local V=$BUILD/vmhop DW=$BUILD/lab-bin/dwriter LV=dmbench DM=vg-dmbench CP=dmb-copy W=/tmp/dm-bench
	rm -rf "$W"; mkdir -p "$W"
	# (no /dev/fd in the guest: no process substitution)
	same_table() { dmsetup table "$1" > "$W/cur.table" 2>/dev/null && cmp -s "$W/cur.table" "$2"; }
	cleanup() {
		set +e
		[ -s "$W/dw.pid" ] && kill "$(cat "$W/dw.pid")" 2>/dev/null && sleep 1
		[ -s "$W/orig.table" ] && ! same_table "$DM" "$W/orig.table" &&
			{ dmsetup load "$DM" "$W/orig.table"; dmsetup resume "$DM"; }
		dmsetup remove "$CP" >/dev/null 2>&1
		rm -f "/dev/mapper/$CP"
		lvremove -y "vg/$LV" >/dev/null 2>&1
	}
	trap cleanup EXIT
	lvcreate -q -y -Wn -Zn -n "$LV" -L 64M vg >/dev/null
	dmsetup table "$DM" > "$W/orig.table"
	"$V" dm create "$CP" --copy "$DM" >/dev/null
	local cpdev sectors i t0 t1 on
	cpdev=$(dmsetup info -c --noheadings -o major,minor "$CP" | tr -d ' ')
	sectors=$(blockdev --getsz "/dev/mapper/$DM")
	echo "0 $sectors linear $cpdev 0" > "$W/copy.table"

	"$DW" "/dev/mapper/$DM" --blocks 2048 --pidfile "$W/dw.pid" --out "$W/dw.out" &
	for _ in $(seq 50); do [ -s "$W/dw.pid" ] && break; sleep 0.1; done
	sleep 1
	local pid
	pid=$(cat "$W/dw.pid")
	: > "$W/win"
	for mode in resume suspend-resume; do
		for ((i = 0; i < N; i++)); do
			on=$W/copy.table; [ $((i % 2)) -eq 1 ] && on=$W/orig.table
			kill -USR1 "$pid"
			"$V" --json dm swap "$DM" --table-file "$on" --mode "$mode" > "$W/s.json"
			echo "vmhop-$mode $(grep -o '"window_ns": [0-9]*' "$W/s.json" | awk '{print $2}')" >> "$W/win"
		done
	done
	for ((i = 0; i < N; i++)); do
		on=$W/copy.table; [ $((i % 2)) -eq 1 ] && on=$W/orig.table
		kill -USR1 "$pid"
		dmsetup load "$DM" "$on"
		t0=$EPOCHREALTIME
		dmsetup suspend "$DM"
		dmsetup resume "$DM"
		t1=$EPOCHREALTIME
		echo "dmsetup $t0 $t1" >> "$W/win"
	done
	kill "$pid"
	wait "$pid" || { cat "$W/dw.out"; echo "bench: the writer saw errors" >&2; exit 1; }
	rm -f "$W/dw.pid"
	same_table "$DM" "$W/orig.table"
	python3 - "$W/win" "$W/dw.out" <<-'PY'
	import sys, statistics as st
	rows = []
	for l in open(sys.argv[1]):
	    f = l.split()
	    if f[0] == "dmsetup":
	        # $EPOCHREALTIME is "seconds.microseconds": do it in integers
	        us = lambda s: int(s.split(".")[0]) * 1000000 + int(s.split(".")[1].ljust(6, "0")[:6])
	        rows.append(("dmsetup", (us(f[2]) - us(f[1])) * 1000))
	    else:
	        rows.append((f[0], int(f[1])))
	ep = {}
	for l in open(sys.argv[2]):
	    f = l.split()
	    if f[0] == "epoch":
	        ep[int(f[1])] = int(f[5])
	    elif f[0] in ("total", "verify"):
	        print("bench: writer", l.strip())
	q = lambda v, p: sorted(v)[min(len(v) - 1, int(p * len(v)))]
	res = {}
	for k, (name, w) in enumerate(rows):
	    r = res.setdefault(name, ([], []))
	    r[0].append(w)
	    r[1].append(ep.get(k + 1, 0))      # epoch k+1 began just before swap k
	print("%-22s %5s %12s %12s %14s %14s" % ("method", "n", "median us", "p99 us",
	      "worst write us", "median worst"))
	for name in ("vmhop-resume", "vmhop-suspend-resume", "dmsetup"):
	    w, ww = res[name]
	    print("%-22s %5d %12.1f %12.1f %14.1f %14.1f" % (name, len(w), st.median(w) / 1e3,
	          q(w, .99) / 1e3, max(ww) / 1e3, st.median(ww) / 1e3))
	a, b = st.median(res["vmhop-resume"][0]), st.median(res["dmsetup"][0])
	print("bench: median window dmsetup / vmhop = %.1f x" % (b / a))
	print("bench: median worst write dmsetup / vmhop = %.1f x" %
	      (st.median(res["dmsetup"][1]) / st.median(res["vmhop-resume"][1])))
	PY
	"$V" dm remove "$CP" >/dev/null
	lvremove -y "vg/$LV" >/dev/null
	trap - EXIT
	rm -rf "$W"
}

if [ "${1:-}" = "--guest" ]; then
	shift
	guest "$@"
	exit 0
fi
"$REPO/tools/lab/lab.sh" run hv1 "BUILD=$BUILD bash tools/bench/dm.sh --guest ${1:-40}"

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
	# globals, not locals: the EXIT trap needs them after a failure
	V=$BUILD/vmhop DW=$BUILD/lab-bin/dwriter LV=dmbench DM=vg-dmbench CP=dmb-copy W=/tmp/dm-bench
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
	local cpdev sectors i t0 t1 on mode
	cpdev=$(dmsetup info -c --noheadings -o major,minor "$CP" | tr -d ' ')
	sectors=$(blockdev --getsz "/dev/mapper/$DM")
	echo "0 $sectors linear $cpdev 0" > "$W/copy.table"

	"$DW" "/dev/mapper/$DM" --blocks 2048 --pidfile "$W/dw.pid" --out "$W/dw.out" --trace "$W/dw.trace" &
	for _ in $(seq 50); do [ -s "$W/dw.pid" ] && break; sleep 0.1; done
	sleep 1
	local pid
	pid=$(cat "$W/dw.pid")
	# vmhop: N swaps (N/2 round trips) in one process each mode, 20 ms apart
	for mode in resume suspend-resume; do
		"$V" --json dm swap "$DM" --table-file "$W/copy.table" --mode "$mode" \
			--repeat $(((N + 1) / 2)) --interval-ms 20 > "$W/vmhop-$mode.json"
	done
	# dmsetup: load outside, then suspend; resume -- timed around both commands
	: > "$W/dmsetup.win"
	for ((i = 0; i < N; i++)); do
		on=$W/copy.table; [ $((i % 2)) -eq 1 ] && on=$W/orig.table
		dmsetup load "$DM" "$on"
		t0=$EPOCHREALTIME
		dmsetup suspend "$DM"
		dmsetup resume "$DM"
		t1=$EPOCHREALTIME
		echo "$t0 $t1" >> "$W/dmsetup.win"
		sleep 0.02
	done
	sleep 0.3
	kill "$pid"
	wait "$pid" || { cat "$W/dw.out"; echo "bench: the writer saw errors" >&2; exit 1; }
	rm -f "$W/dw.pid"
	same_table "$DM" "$W/orig.table"
	python3 - "$W" <<-'PY'
	import json, sys, bisect, statistics as st
	W = sys.argv[1]
	out = {l.split()[0]: l.split() for l in open(W + "/dw.out")}
	print("bench: writer", " ".join(out["total"][1:]), "|", " ".join(out["verify"][1:]))
	off = int(out["clock"][2]) - int(out["clock"][4])   # realtime - monotonic
	tr = sorted(tuple(map(int, l.split())) for l in open(W + "/dw.trace"))
	starts = [t[0] for t in tr]
	def worst(a, b):
	    m = 0
	    for t0, lat in tr[bisect.bisect_left(starts, a - 10**10):bisect.bisect_right(starts, b)]:
	        if t0 + lat >= a:
	            m = max(m, lat)
	    return m
	us = lambda s: int(s.split(".")[0]) * 1000000 + int(s.split(".")[1].ljust(6, "0")[:6])
	cases = {}
	for mode in ("resume", "suspend-resume"):
	    sw = json.load(open("%s/vmhop-%s.json" % (W, mode)))["swaps"]
	    cases["vmhop " + mode] = [(s["window_ns"], worst(s["start_ns"], s["start_ns"] + s["window_ns"]))
	                              for s in sw]
	rows = []
	for l in open(W + "/dmsetup.win"):
	    a, b = (us(x) * 1000 - off for x in l.split())
	    rows.append((b - a, worst(a, b)))
	cases["dmsetup suspend;resume"] = rows
	q = lambda v, p: sorted(v)[min(len(v) - 1, int(p * len(v)))]
	print("%-24s %4s %11s %11s %13s %13s" % ("method", "n", "median us", "p99 us",
	      "worst-write", "worst-write"))
	print("%-24s %4s %11s %11s %13s %13s" % ("", "", "", "", "median us", "max us"))
	for k, v in cases.items():
	    w = [x[0] for x in v]; ww = [x[1] for x in v]
	    print("%-24s %4d %11.1f %11.1f %13.1f %13.1f" % (k, len(v), st.median(w) / 1e3,
	          q(w, .99) / 1e3, st.median(ww) / 1e3, max(ww) / 1e3))
	a = st.median([x[0] for x in cases["vmhop resume"]])
	b = st.median([x[0] for x in cases["dmsetup suspend;resume"]])
	print("bench: median window: dmsetup / vmhop = %.1f x" % (b / a))
	a = st.median([x[1] for x in cases["vmhop resume"]])
	b = st.median([x[1] for x in cases["dmsetup suspend;resume"]])
	print("bench: median worst write: dmsetup / vmhop = %.1f x" % (b / a))
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

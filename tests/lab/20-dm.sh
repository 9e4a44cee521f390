#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Lab scenario: device-mapper by ioctl (src/dm, `vmhop dm`) against the real
# kernel, cross-checked with dmsetup.
#   1. a fragmented LV (several segments): `vmhop dm table` == `dmsetup table`;
#      info and ls agree with dmsetup
#   2. a copy device made by vmhop maps the same extents (checksums equal), has
#      our UUID prefix and a /dev/mapper node although no udev runs
#   3. suspend (flush / noflush), resume, load + clear, remove with busy retry,
#      and the kernel's errors (ENXIO, EBUSY) and our refusal (EPERM)
#   4. while dwriter (O_DIRECT, sequence-numbered blocks) hammers the LV, swap
#      the LV onto the copy and back, 100 times each way: no I/O error, no lost
#      write, worst write per swap recorded
#   5. `vmhop dm swap --repeat` stopped by SIGINT / SIGTERM in the middle (both
#      modes, back-to-back swaps): it says so and exits 1, and the LV is ACTIVE,
#      not SUSPENDED, on one of the two tables, with no inactive table left
# Run on the host by tests/lab/run.sh (lab started); runs itself in hv1 with
# --guest.  Cleans up what it created.
# timeout: 420
set -euo pipefail

REPO=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-build}
ROUNDS=${DM_ROUNDS:-100}

guest() {
	cd "$REPO"
	# globals, not locals: the EXIT trap needs them after a failure
	V=$BUILD/vmhop DW=$BUILD/lab-bin/dwriter
	LV=dmtfrag DM=vg-dmtfrag CP=dmt-copy W=/tmp/dm-scenario
	export DM_DISABLE_UDEV=1 LVM_SUPPRESS_FD_WARNINGS=1
	rm -rf "$W"; mkdir -p "$W"
	# (no /dev/fd in the guest: no process substitution)
	same_table() { dmsetup table "$1" > "$W/cur.table" 2>/dev/null && cmp -s "$W/cur.table" "$2"; }
	fail() { echo "FAIL: $*" >&2; exit 1; }
	say() { echo "20-dm: $*"; }
	cleanup() {
		set +e
		[ -s "$W/dw.pid" ] && kill "$(cat "$W/dw.pid")" 2>/dev/null && sleep 1
		dmsetup info "$DM" >/dev/null 2>&1 && [ -s "$W/orig.table" ] &&
			! same_table "$DM" "$W/orig.table" &&
			{ dmsetup load "$DM" "$W/orig.table"; dmsetup resume "$DM"; }
		dmsetup resume "$DM" >/dev/null 2>&1
		dmsetup remove "$CP" >/dev/null 2>&1
		dmsetup remove dmt-empty >/dev/null 2>&1
		rm -f "/dev/mapper/$CP" "/dev/mapper/dmt-empty"
		lvremove -y "vg/$LV" >/dev/null 2>&1
	}
	trap cleanup EXIT

	# ---- 1. a fragmented LV --------------------------------------------
	local pv pe
	pv=$(pvs --noheadings -o pv_name -S vg_name=vg | head -n1 | tr -d ' ')
	pe=$(pvs --noheadings -o pv_pe_count "$pv" | tr -d ' ')
	[ -n "$pv" ] && [ "$pe" -gt 60 ] || fail "no PV with room in vg ($pv, $pe extents)"
	# three segments out of order on the PV: extents copied exactly or not at all
	lvcreate -q -y -Wn -Zn -n "$LV" -l 6 vg "$pv:$((pe - 20))-$((pe - 19))" \
		"$pv:$((pe - 40))-$((pe - 39))" "$pv:$((pe - 10))-$((pe - 9))" >/dev/null 2>&1 ||
		fail "lvcreate"
	dmsetup table "$DM" > "$W/orig.table"
	local segs
	segs=$(wc -l < "$W/orig.table")
	[ "$segs" -ge 2 ] || fail "LV has only $segs segment(s)"
	$V dm table "$DM" > "$W/vmhop.table" || fail "vmhop dm table"
	diff -u "$W/orig.table" "$W/vmhop.table" || fail "vmhop dm table differs from dmsetup table"
	say "table of $DM ($segs segments) equals dmsetup's:"; sed 's/^/    /' "$W/orig.table"
	local mm
	mm=$(dmsetup info -c --noheadings -o major,minor "$DM" | tr -d ' ')
	$V --json dm info "$DM" > "$W/info.json"
	python3 - "$W/info.json" "$mm" "$(dmsetup info -c --noheadings -o uuid "$DM")" "$segs" <<-'PY' || fail "vmhop dm info disagrees with dmsetup"
	import json, sys
	i = json.load(open(sys.argv[1]))
	assert i["dev"] == sys.argv[2], (i["dev"], sys.argv[2])
	assert i["uuid"] == sys.argv[3].strip(), (i["uuid"], sys.argv[3])
	assert i["state"] == "ACTIVE" and i["live_table"] and not i["inactive_table"], i
	assert i["target_count"] == int(sys.argv[4]), i
	PY
	$V --json dm info "$(echo "$mm" | tr -d ' ')" | grep -q "\"name\": \"$DM\"" || fail "info by MAJ:MIN"
	$V --json dm info "uuid:$(dmsetup info -c --noheadings -o uuid "$DM")" | grep -q "\"name\": \"$DM\"" ||
		fail "info by uuid"
	$V --json dm ls | grep -q "\"name\": \"$DM\"" || fail "ls does not list $DM"
	[ "$($V --json dm ls | grep -c '"name"')" -eq "$(dmsetup ls | grep -vc 'No devices')" ] ||
		fail "ls count differs from dmsetup ls"
	$V --json dm table "$DM" | grep -q '"device"' || fail "table --json has no decoded device"

	# ---- 2. a copy device on the same extents --------------------------
	dd if=/dev/urandom of="/dev/vg/$LV" bs=1M count=24 oflag=direct status=none || fail "fill LV"
	$V dm create "$CP" --copy "$DM" > "$W/create.out" || fail "vmhop dm create --copy"
	[ -b "/dev/mapper/$CP" ] || fail "no /dev/mapper/$CP node (no udev here: vmhop must make it)"
	[ "$(stat -c '%t:%T' "/dev/mapper/$CP")" = "$(dmsetup info -c --noheadings -o major,minor "$CP" |
		awk -F: '{printf "%x:%x", $1, $2}')" ] || fail "node's dev_t differs from the kernel's"
	[ "$(dmsetup info -c --noheadings -o uuid "$CP")" = "VMHOP-$CP" ] || fail "copy lacks our UUID prefix"
	same_table "$CP" "$W/orig.table" || fail "copy's table differs"
	local a b
	a=$(sha256sum < "/dev/vg/$LV" | cut -d' ' -f1)
	b=$(sha256sum < "/dev/mapper/$CP" | cut -d' ' -f1)
	[ "$a" = "$b" ] || fail "checksums differ: LV $a copy $b"
	say "copy $CP: same table, sha256 ${a:0:16}... equal, node made without udev"

	# ---- 3. the other operations and the kernel's errors ---------------
	local rc
	$V dm suspend "$CP" || fail "suspend"
	dmsetup info "$CP" | grep -q 'State: *SUSPENDED' || fail "not suspended after vmhop dm suspend"
	$V dm resume "$CP" || fail "resume"
	dmsetup info "$CP" | grep -q 'State: *ACTIVE' || fail "not active after vmhop dm resume"
	$V dm suspend --noflush --nolockfs "$CP" || fail "suspend --noflush"
	dmsetup info "$CP" | grep -q 'State: *SUSPENDED' || fail "not suspended (noflush)"
	$V dm resume "$CP" || fail "resume after noflush"
	# (only linear is built into this kernel's dm-mod; dm-zero is not loaded)
	$V dm load "$CP" --table "0 8 linear $mm 8" || fail "load"
	dmsetup info "$CP" | grep -q 'Tables present: *LIVE & INACTIVE' || fail "no inactive table after load"
	[ "$(dmsetup table --inactive "$CP")" = "0 8 linear $mm 8" ] ||
		fail "inactive table is '$(dmsetup table --inactive "$CP")'"
	[ "$($V dm table --inactive "$CP")" = "0 8 linear $mm 8" ] || fail "vmhop dm table --inactive"
	$V dm clear "$CP" || fail "clear"
	dmsetup info "$CP" | grep -q 'Tables present: *LIVE$' || fail "inactive table still there after clear"
	set +e
	$V dm info dmt-nonexistent 2> "$W/err"; rc=$?
	set -e
	[ $rc -eq 3 ] && grep -q ENXIO "$W/err" || fail "info of a missing device: exit $rc, $(cat "$W/err")"
	set +e
	$V dm create "$CP" --table "0 8 linear $mm 0" 2> "$W/err"; rc=$?
	set -e
	[ $rc -eq 5 ] && grep -q EBUSY "$W/err" || fail "create of an existing name: exit $rc, $(cat "$W/err")"
	set +e
	$V dm remove "$DM" 2> "$W/err"; rc=$?
	set -e
	[ $rc -eq 11 ] && dmsetup info "$DM" >/dev/null || fail "remove of LVM's device not refused (exit $rc)"
	set +e
	$V dm load "$CP" --table "0 8 linear 250:250 0" 2> "$W/err"; rc=$?
	set -e
	[ $rc -ne 0 ] && grep -q 'DM_TABLE_LOAD' "$W/err" || fail "bad table accepted (exit $rc)"
	# the same errno text as the kernel gave dmsetup for the same request
	local kmsg
	kmsg=$(dmsetup load "$CP" --table "0 8 linear 250:250 0" 2>&1 | sed -n 's/.*failed: //p' | head -n1) || true
	dmsetup clear "$CP" >/dev/null 2>&1 || true
	[ -n "$kmsg" ] && grep -qF "$kmsg" "$W/err" || fail "dmsetup got '$kmsg', vmhop said '$(cat "$W/err")'"
	say "kernel errors: $(head -c 200 "$W/err")"
	# create without a table, then remove while briefly held open: retried
	$V dm create dmt-empty > /dev/null || fail "create without table"
	dmsetup info dmt-empty 2>/dev/null | grep -q 'Tables present: *None' || fail "empty device has a table"
	$V dm remove dmt-empty || fail "remove dmt-empty"
	[ ! -e /dev/mapper/dmt-empty ] || fail "node of dmt-empty left behind"
	$V dm create dmt-empty --table "0 8 linear $mm 0" > /dev/null || fail "create dmt-empty again"
	( exec 3< /dev/mapper/dmt-empty; sleep 1 ) &
	sleep 0.2
	local t0 t1
	t0=$EPOCHREALTIME
	$V dm remove dmt-empty || fail "remove while held open for 1 s (busy retry)"
	t1=$EPOCHREALTIME
	wait
	dmsetup info dmt-empty >/dev/null 2>&1 && fail "dmt-empty still exists"
	say "remove retried EBUSY and succeeded after $(awk "BEGIN{printf \"%.2f\", $t1 - $t0}") s"

	# ---- 4. swap under an O_DIRECT writer ------------------------------
	local cpdev sectors
	cpdev=$(dmsetup info -c --noheadings -o major,minor "$CP" | tr -d ' ')
	sectors=$(blockdev --getsz "/dev/mapper/$DM")
	$DW "/dev/mapper/$DM" --blocks 2048 --pidfile "$W/dw.pid" --out "$W/dw.out" --trace "$W/dw.trace" &
	for _ in $(seq 50); do [ -s "$W/dw.pid" ] && break; sleep 0.1; done
	sleep 0.5
	# one swap by itself, checked against the kernel's table, and back
	$V --json dm swap "$DM" --linear "$cpdev" > "$W/one.json" || fail "swap onto the copy"
	[ "$(dmsetup table "$DM")" = "0 $sectors linear $cpdev 0" ] ||
		fail "after swap the LV maps '$(dmsetup table "$DM")'"
	$V --json dm swap "$DM" --table-file "$W/orig.table" >> "$W/one.json" || fail "swap back"
	same_table "$DM" "$W/orig.table" || fail "LV not back on its own table after one swap"
	# then $ROUNDS round trips in one process, 20 ms apart
	$V --json dm swap "$DM" --linear "$cpdev" --repeat "$ROUNDS" --interval-ms 20 > "$W/swaps.json" ||
		{ cat "$W/swaps.json"; fail "repeated swap"; }
	sleep 0.3
	kill "$(cat "$W/dw.pid")"
	wait "$(cat "$W/dw.pid")" || { cat "$W/dw.out"; fail "dwriter saw I/O errors or lost writes"; }
	rm -f "$W/dw.pid"
	same_table "$DM" "$W/orig.table" || fail "LV not back on its own table"
	dmsetup info "$DM" | grep -q 'State: *ACTIVE' || fail "LV not active"
	grep -q '^total writes [0-9]* errors 0 ' "$W/dw.out" || fail "write errors: $(grep total "$W/dw.out")"
	grep -q '^verify blocks 2048 bad 0$' "$W/dw.out" || fail "verify: $(grep verify "$W/dw.out")"
	python3 - "$W/swaps.json" "$W/dw.trace" "$ROUNDS" <<-'PY' || fail "swap figures"
	import json, sys, bisect, statistics as st
	sw = json.load(open(sys.argv[1]))
	n = 2 * int(sys.argv[3])
	assert sw["swaps_done"] == n and len(sw["swaps"]) == n, sw["swaps_done"]
	assert not any(s["rolled_back"] for s in sw["swaps"])
	tr = sorted(tuple(map(int, l.split())) for l in open(sys.argv[2]))
	starts = [t[0] for t in tr]
	worst, hit = [], 0
	for s in sw["swaps"]:
	    a, b = s["start_ns"], s["start_ns"] + s["window_ns"]
	    # writes that were in flight at some point of the window
	    i = bisect.bisect_left(starts, a - 10**10)
	    m = 0
	    for t0, lat in tr[i:bisect.bisect_right(starts, b)]:
	        if t0 + lat >= a:
	            m = max(m, lat)
	    worst.append(m)
	    hit += m > 0
	win = [s["window_ns"] for s in sw["swaps"]]
	q = lambda v, p: sorted(v)[min(len(v) - 1, int(p * len(v)))]
	print("20-dm: %d swaps under the writer, %d writes in all, %d swaps with a write in flight" %
	      (n, len(tr), hit))
	print("20-dm: vmhop window           median %8.1f us  p99 %8.1f us  max %8.1f us" %
	      (st.median(win) / 1e3, q(win, .99) / 1e3, max(win) / 1e3))
	print("20-dm: worst write per swap   median %8.1f us  p99 %8.1f us  max %8.1f us" %
	      (st.median(worst) / 1e3, q(worst, .99) / 1e3, max(worst) / 1e3))
	print("20-dm: worst write per swap (us):", " ".join("%.0f" % (w / 1e3) for w in worst))
	assert hit >= n // 2, "the writer was idle during most swaps: test proves nothing"
	PY
	say "swapped $((2 * ROUNDS + 2)) times under the writer: $(grep '^total' "$W/dw.out"), $(grep '^verify' "$W/dw.out"), LV back on its own table"

	# ---- 5. swaps stopped by a signal ------------------------------------
	local sig mode k pid live nd stopped=0
	for k in 1 2 3 4 5 6; do
		case $k in 1|3|5) sig=INT ;; *) sig=TERM ;; esac
		case $k in 1|2|5) mode=resume ;; *) mode=suspend-resume ;; esac
		# --debug: a trace line per swap tells when the loop runs (a signal
		# before the handlers are in place would just kill the program)
		# (set -m: without job control bash starts it with SIGINT ignored)
		set -m
		$V --json --debug dm swap "$DM" --linear "$cpdev" --mode "$mode" --repeat 100000 \
			--interval-ms 0 > "$W/sig.json" 2> "$W/sig.err" &
		pid=$!
		set +m
		for _ in $(seq 100); do grep -q 'window' "$W/sig.err" && break; sleep 0.1; done
		grep -q 'window' "$W/sig.err" || fail "swap --repeat did not start swapping"
		sleep "0.$((k * 7 % 5))$k"
		kill -s "$sig" "$pid"
		set +e
		wait "$pid"; rc=$?
		set -e
		# the device first: that is what matters
		dmsetup info "$DM" > "$W/sig.info"
		grep -q 'State: *ACTIVE' "$W/sig.info" ||
			fail "SIG$sig ($mode) left $DM: $(grep State "$W/sig.info"), after: $(tail -n1 "$W/sig.err")"
		grep -q 'Tables present: *LIVE$' "$W/sig.info" ||
			fail "SIG$sig ($mode) left an inactive table: $(grep Tables "$W/sig.info"), after: $(tail -n1 "$W/sig.err")"
		[ $rc -eq 1 ] || fail "swap --repeat killed by SIG$sig ($mode): exit $rc, $(tail -n3 "$W/sig.err")"
		grep -q "stopped by SIG$sig" "$W/sig.err" || fail "no 'stopped by SIG$sig': $(tail -n3 "$W/sig.err")"
		grep -q "\"stopped_by\": \"SIG$sig\"" "$W/sig.json" || fail "JSON lacks stopped_by: $(head -c 300 "$W/sig.json")"
		live=$(dmsetup table "$DM")
		if same_table "$DM" "$W/orig.table"; then
			:
		elif [ "$live" = "0 $sectors linear $cpdev 0" ]; then
			$V dm swap "$DM" --table-file "$W/orig.table" > /dev/null || fail "swap back after SIG$sig"
		else
			fail "SIG$sig ($mode) left $DM on neither table: '$live'"
		fi
		# (stdout: the {"error": ...} line, then the summary)
		nd=$(sed -n 's/.*"swaps_done": \([0-9]*\).*/\1/p' "$W/sig.json" | tail -n1)
		[ -n "$nd" ] || fail "no swaps_done in the summary"
		stopped=$((stopped + nd))
		say "SIG$sig during swap --repeat ($mode): $(grep -m1 'stopped by' "$W/sig.err")"
	done
	same_table "$DM" "$W/orig.table" || fail "LV not back on its own table after the signal rounds"
	say "6 signal rounds ($stopped swaps in all): each left $DM ACTIVE, one live table, no inactive one"

	$V dm remove "$CP" || fail "remove copy"
	[ ! -e "/dev/mapper/$CP" ] || fail "node of the copy left behind"
	lvremove -y "vg/$LV" >/dev/null || fail "lvremove"
	trap - EXIT
	rm -rf "$W"
	say "ok"
}

if [ "${1:-}" = "--guest" ]; then
	guest
	exit 0
fi

# shellcheck source=/dev/null
. "$REPO/tests/lab/lib.sh"
lab_run hv1 "BUILD=$BUILD DM_ROUNDS=$ROUNDS bash tests/lab/20-dm.sh --guest" || fail "device-mapper scenario failed in hv1"

#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Lab scenario: LVM through liblvm2cmd (src/lvm, `vmhop lvm`), cross-checked
# with the lvm tools, dmsetup and strace in hv1.
#   1. vg-info agrees with vgs
#   2. create LVs of exact and odd sizes: size rounded up to whole extents and
#      said so; lvs agrees on size, path, dm name, major:minor
#   3. an LV held open: info says open, remove is refused (exit 5), LV stays
#   4. refusals: existing LV (10), too big (6), no such VG (3), hostile names
#      (4) — and lvs shows nothing was created
#   5. the device filter: with a host lvm.conf that has no filter, plain `lvs`
#      opens /dev/drbd9 and a *.copy device, vmhop never does (strace)
#   6. remove: lvs no longer lists the LVs
# Runs itself in hv1 with --guest; cleans up what it created.
# timeout: 900
set -euo pipefail

REPO=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-build}

guest() {
	cd "$REPO"
	local V=$BUILD/vmhop W=/tmp/lvm-scenario P=lvt
	export DM_DISABLE_UDEV=1 LVM_SUPPRESS_FD_WARNINGS=1
	rm -rf "$W"; mkdir -p "$W"
	fail() { echo "FAIL: $*" >&2; exit 1; }
	say() { echo "10-lvm: $*"; }
	cleanup() {
		set +e
		[ -s "$W/hold.pid" ] && kill "$(cat "$W/hold.pid")" 2>/dev/null && sleep 0.5
		dmsetup remove "$P-a.copy" >/dev/null 2>&1
		rm -f "/dev/mapper/$P-a.copy"
		drbdsetup-84 del-minor 9 >/dev/null 2>&1
		drbdsetup-84 del-resource lvmt >/dev/null 2>&1
		for lv in a b c; do lvremove -f "vg/$P-$lv" >/dev/null 2>&1; done
		rm -rf "$W"
	}
	trap cleanup EXIT
	# Field from JSON on stdin.
	jf() { python3 -c 'import json,sys; v=json.load(sys.stdin)[sys.argv[1]]; print(str(v).lower() if isinstance(v,bool) else v)' "$1"; }
	lvs_b() { lvs --noheadings --units b --nosuffix -o "$2" "vg/$1" | tr -d ' '; }
	expect_rc() {	# expect_rc RC what cmd...
		local want=$1 what=$2 rc=0; shift 2
		"$@" >"$W/out" 2>"$W/err" || rc=$?
		[ "$rc" = "$want" ] || fail "$what: exit $rc, wanted $want ($(cat "$W/err"))"
	}
	for lv in a b c; do ! lvs "vg/$P-$lv" >/dev/null 2>&1 || fail "vg/$P-$lv exists already"; done

	# 1. VG facts
	$V --json lvm vg-info vg > "$W/vg.json"
	local ext free_count
	ext=$(jf extent_size < "$W/vg.json")
	free_count=$(jf free_count < "$W/vg.json")
	[ "$ext" = "$(vgs --noheadings --units b --nosuffix -o vg_extent_size vg | tr -d ' ')" ] || fail "extent size differs from vgs"
	[ "$free_count" = "$(vgs --noheadings -o vg_free_count vg | tr -d ' ')" ] || fail "free extents differ from vgs"
	[ "$(jf free < "$W/vg.json")" = "$(vgs --noheadings --units b --nosuffix -o vg_free vg | tr -d ' ')" ] || fail "free bytes differ from vgs"
	say "vg: extent $ext bytes, $free_count free extents (= vgs)"

	# 2. create: exact, odd, tiny
	local name size want t0 t1
	for spec in "a $((2 * ext)) $((2 * ext))" "b 10000001 $(( (10000001 + ext - 1) / ext * ext ))" "c 1 $ext"; do
		set -- $spec
		name=$P-$1 size=$2 want=$3
		t0=$(date +%s%N)
		$V --json lvm create "vg/$name" "$size" > "$W/c.json" 2> "$W/c.err" || fail "create $name: $(cat "$W/c.err")"
		t1=$(date +%s%N)
		[ "$(jf size < "$W/c.json")" = "$want" ] || fail "$name: vmhop says $(jf size < "$W/c.json"), wanted $want"
		[ "$(lvs_b "$name" lv_size)" = "$want" ] || fail "$name: lvs says $(lvs_b "$name" lv_size), wanted $want"
		if [ "$size" = "$want" ]; then
			[ "$(jf rounded < "$W/c.json")" = false ] || fail "$name: exact size reported as rounded"
			[ ! -s "$W/c.err" ] || fail "$name: exact size but a message: $(cat "$W/c.err")"
		else
			[ "$(jf rounded < "$W/c.json")" = true ] || fail "$name: rounding not reported"
			grep -q "rounded $size bytes up to" "$W/c.err" || fail "$name: no rounding message"
		fi
		[ "$(jf path < "$W/c.json")" = "$(lvs_b "$name" lv_path)" ] || fail "$name: path differs"
		[ "$(jf dm_path < "$W/c.json")" = "$(lvs_b "$name" lv_dm_path)" ] || fail "$name: dm path differs"
		[ "$(jf dm_name < "$W/c.json")" = "vg-${name//-/--}" ] || fail "$name: dm name $(jf dm_name < "$W/c.json")"
		[ "$(jf major < "$W/c.json"):$(jf minor < "$W/c.json")" = "$(dmsetup info -c --noheadings -o major,minor --separator : "vg-${name//-/--}")" ] ||
			fail "$name: major:minor differs from dmsetup"
		[ -b "$(jf path < "$W/c.json")" ] || fail "$name: no device node"
		say "created $name: asked $size, got $want bytes (= lvs, dmsetup) in $(( (t1 - t0) / 1000000 )) ms"
	done

	# 3. open LV
	sleep 600 < "/dev/vg/$P-a" & echo $! > "$W/hold.pid"
	sleep 0.3
	[ "$($V --json lvm info "vg/$P-a" | jf open)" = true ] || fail "open LV not seen as open"
	[ "$(lvs --noheadings -o lv_attr "vg/$P-a" | tr -d ' ' | cut -c6)" = o ] || fail "lvs does not see it open either"
	expect_rc 5 "remove of an open LV" $V lvm remove "vg/$P-a"
	lvs "vg/$P-a" >/dev/null 2>&1 || fail "open LV was removed"
	kill "$(cat "$W/hold.pid")"; wait "$(cat "$W/hold.pid")" 2>/dev/null || true; : > "$W/hold.pid"
	[ "$($V --json lvm info "vg/$P-b" | jf open)" = false ] || fail "closed LV seen as open"
	say "open LV: seen open (= lvs attr), remove refused with exit 5"

	# 4. refusals
	expect_rc 10 "existing LV" $V lvm create "vg/$P-a" 1M
	expect_rc 6 "too big" $V lvm create "vg/$P-x" "$(( (free_count + 1) * ext ))"
	expect_rc 3 "no such VG" $V lvm create "novg/$P-x" 1M
	expect_rc 3 "no such LV" $V lvm info "vg/$P-x"
	local long
	long=$(printf 'x%.0s' $(seq 128))
	for bad in "vg/$P x" "vg/$P'x" "vg/$P\"x" "vg/.." "vg/-$P" "vg/snapshot$P" "vg/${P}_rimage" "vg/$long" \
		   "vg/$P --config=x" "v g/$P" "vg/$P/x"; do
		expect_rc 4 "hostile name '$bad'" $V lvm create "$bad" 1M
	done
	[ "$(lvs --noheadings -o lv_name vg | grep -c "$P")" = 3 ] || fail "something else got created: $(lvs --noheadings -o lv_name vg)"
	say "refused: existing (10), too big (6), no VG (3), 11 hostile names (4); lvs shows only our 3 LVs"

	# 5. the filter: a DRBD minor and a .copy device next to the PV
	drbdsetup-84 new-resource lvmt && drbdsetup-84 new-minor lvmt 9 0 || fail "drbd minor 9"
	dmsetup create "$P-a.copy" --noudevsync --table "$(dmsetup table "vg-$P--a")" || fail "copy device"
	dmsetup mknodes "$P-a.copy"
	local cdev
	cdev=/dev/dm-$(dmsetup info -c --noheadings -o minor "$P-a.copy" | tr -d ' ')
	mkdir -p "$W/nofilter"
	grep -v filter /etc/lvm/lvm.conf > "$W/nofilter/lvm.conf"
	LVM_SYSTEM_DIR=$W/nofilter strace -f -e trace=openat,open -o "$W/lvs.trace" lvs >/dev/null 2>&1 || true
	grep -q '"/dev/drbd9"' "$W/lvs.trace" || fail "control: plain lvs without a filter did not open /dev/drbd9"
	grep -qE "\"(/dev/mapper/$P-a.copy|$cdev)\"" "$W/lvs.trace" || fail "control: plain lvs did not open the copy"
	for cmd in "lvm vg-info vg" "lvm info vg/$P-b"; do
		LVM_SYSTEM_DIR=$W/nofilter strace -f -e trace=openat,open -o "$W/vmhop.trace" $V $cmd >/dev/null ||
			fail "vmhop $cmd failed under a host config without filter"
		! grep -E "\"(/dev/drbd9|/dev/mapper/$P-a.copy|$cdev|/dev/block/147:9)\"" "$W/vmhop.trace" ||
			fail "vmhop $cmd opened a DRBD or copy device"
	done
	# and with the lab's own filter (accepts only /dev/vda), it is kept
	$V lvm filter | grep -qF '"r|[.]copy$|","a|^/dev/vda$|","r|.*|"]}' || fail "host filter not kept: $($V lvm filter)"
	say "filter: plain lvs opens /dev/drbd9 and $cdev ($P-a.copy); vmhop opens neither; host filter kept after ours"
	dmsetup remove "$P-a.copy"; rm -f "/dev/mapper/$P-a.copy"
	drbdsetup-84 del-minor 9; drbdsetup-84 del-resource lvmt

	# 6. remove
	for lv in a b c; do
		$V lvm remove "vg/$P-$lv" >/dev/null || fail "remove $P-$lv"
		! lvs "vg/$P-$lv" >/dev/null 2>&1 || fail "lvs still lists $P-$lv"
		[ ! -e "/dev/vg/$P-$lv" ] || fail "/dev/vg/$P-$lv left behind"
	done
	expect_rc 3 "remove of a missing LV" $V lvm remove "vg/$P-a"
	say "removed 3 LVs (lvs agrees); removing again: exit 3"
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
lab_run hv1 "BUILD=$BUILD bash tests/lab/10-lvm.sh --guest" || fail "LVM scenario failed in hv1"

#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Lab scenario: DRBD v08 meta-data written in-process (src/meta, `vmhop meta`)
# against the real DRBD 8.4 kernel, on LVs in hv1 (drbdsetup-84 attaches):
#   1. flexible: create on an LV sized by `vmhop meta size`; BLKZEROOUT used;
#      bytes equal drbdmeta create-md's on a twin LV; the kernel attaches
#      (Inconsistent), la-size = the backing LV; create/apply-al on the
#      attached device are refused (exit 5, O_EXCL); dump works (unclean)
#   2. Primary, writes, Secondary, detach: re-attach without apply-al is
#      refused by the kernel (unclean); our apply-al equals drbdmeta's on a
#      copy; then the kernel re-attaches (UpToDate)
#   3. Primary crash (forced detach while Primary and writing): apply-al marks
#      the hot extents; the kernel re-attaches and counts them out of sync
#   4. indexed (index 1 on a 256 MiB LV): create, attach, detach, apply-al,
#      re-attach
#   5. refusals: too small (6), existing meta-data (10), wipe then dump (4)
# Runs itself in hv1 with --guest; cleans up what it created.
# timeout: 420
set -euo pipefail

REPO=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-build}

guest() {
	cd "$REPO"
	local V=$REPO/$BUILD/vmhop W=/tmp/meta-scenario P=mt R=mtres M=42
	export DM_DISABLE_UDEV=1 LVM_SUPPRESS_FD_WARNINGS=1
	rm -rf "$W"; mkdir -p "$W"
	fail() { echo "FAIL: $*" >&2; [ -e /proc/drbd ] && cat /proc/drbd >&2; exit 1; }
	say() { echo "30-meta: $*"; }
	cleanup() {
		set +e
		drbdsetup-84 detach $M --force >/dev/null 2>&1
		drbdsetup-84 down $R >/dev/null 2>&1
		# LVM zeroes only the first 4 KiB of a new LV: leave no meta-data
		# behind for the next LV on these extents
		[ -e "/dev/vg/$P-mdi" ] && "$V" meta wipe "/dev/vg/$P-mdi" --index 1 --force >/dev/null 2>&1
		for lv in data mdf mdf2 mdi cp small; do
			lvremove -f "vg/$P-$lv" >/dev/null 2>&1
		done
		rm -rf "$W"
	}
	trap cleanup EXIT
	cleanup; mkdir -p "$W"
	jf() { python3 -c 'import json,sys; v=json.load(sys.stdin)[sys.argv[1]]; print(str(v).lower() if isinstance(v,bool) else v)' "$1"; }
	expect_rc() {	# expect_rc RC WHAT CMD...
		local want=$1 what=$2 rc=0; shift 2
		"$@" > "$W/out" 2>&1 || rc=$?
		[ "$rc" = "$want" ] || fail "$what: exit $rc, expected $want: $(cat "$W/out")"
	}
	dstate() { drbdsetup-84 dstate $M 2>&1 | head -n1; }
	oos_kib() { sed -n "s/.*oos:\([0-9]*\).*/\1/p" /proc/drbd | head -n1; }
	attach() {	# attach MDDEV INDEX
		drbdsetup-84 attach $M "/dev/vg/$P-data" "$1" "$2" > "$W/attach" 2>&1
	}

	local data_bytes=$((64 << 20)) need mdsz t0 t1
	lvcreate -q -y -L 64m -n "$P-data" vg >/dev/null
	[ "$(blockdev --getsize64 "/dev/vg/$P-data")" = $data_bytes ] || fail "data LV size"

	# 1. flexible
	need=$($V --json meta size $data_bytes --flexible | jf min_md_bytes)
	[ "$need" = 1048576 ] || fail "meta size for 64 MiB: $need"
	mdsz=$(( (need + 4194303) / 4194304 * 4 ))	# whole 4 MiB extents
	lvcreate -q -y -L "${mdsz}m" -n "$P-mdf" vg >/dev/null
	lvcreate -q -y -L "${mdsz}m" -n "$P-mdf2" vg >/dev/null
	# junk in both, so "the bitmap is zeroed" means something
	for lv in mdf mdf2; do
		dd if=/dev/urandom of="/dev/vg/$P-$lv" bs=1M count=$mdsz oflag=direct status=none
	done
	t0=$(date +%s%N)
	$V --json meta create "/dev/vg/$P-mdf" --flexible --backing-size $data_bytes > "$W/create.json" ||
		fail "meta create: $(cat "$W/create.json")"
	t1=$(date +%s%N)
	[ "$(jf zero_method < "$W/create.json")" = blkzeroout ] || fail "zero method: $(cat "$W/create.json")"
	[ "$(jf direct_io < "$W/create.json")" = true ] || fail "no O_DIRECT on an LV"
	drbdmeta --force 0 v08 "/dev/vg/$P-mdf2" flex-external create-md > "$W/drbdmeta.out" 2>&1 ||
		fail "drbdmeta create-md: $(cat "$W/drbdmeta.out")"
	cmp -n 36864 "/dev/vg/$P-mdf" "/dev/vg/$P-mdf2" || fail "superblock+AL differ from drbdmeta's"
	cmp "/dev/vg/$P-mdf" /dev/zero -i 36864 -n $(( mdsz * 1048576 - 36864 )) >/dev/null 2>&1 ||
		fail "bitmap not all zero"
	say "flexible: ${mdsz} MiB LV ($(jf zero_method < "$W/create.json"), in-process $(jf elapsed_ms < "$W/create.json") ms, process $(( (t1 - t0) / 1000000 )) ms); superblock+AL = drbdmeta's bytes, bitmap all zero"

	drbdsetup-84 new-resource $R
	drbdsetup-84 new-minor $R $M 0
	attach "/dev/vg/$P-mdf" flexible || fail "kernel refused our flexible meta-data: $(cat "$W/attach")"
	[ "$(dstate)" = "Inconsistent/DUnknown" ] || fail "dstate after attach: $(dstate)"
	expect_rc 5 "meta create on attached meta-data" $V meta create "/dev/vg/$P-mdf" --force
	grep -q "in use" "$W/out" || fail "create refusal: $(cat "$W/out")"
	expect_rc 5 "apply-al on attached meta-data" $V meta apply-al "/dev/vg/$P-mdf"
	$V --json meta dump "/dev/vg/$P-mdf" > "$W/dump.json" || fail "dump while attached"
	[ "$(jf la_size_sect < "$W/dump.json")" = $((data_bytes / 512)) ] ||
		fail "la_size_sect $(jf la_size_sect < "$W/dump.json") after attach"
	[ "$(jf magic < "$W/dump.json")" = 0x8374026c ] || fail "kernel-written magic: $(jf magic < "$W/dump.json")"
	say "kernel attached it: $(dstate); la-size-sect $(jf la_size_sect < "$W/dump.json"), magic 0x8374026c (unclean); create/apply-al on it: exit 5 (in use)"

	# 2. Primary, write, Secondary, detach, re-attach
	drbdsetup-84 primary $M --force || fail "primary --force"
	[ "$(dstate)" = "UpToDate/DUnknown" ] || fail "dstate after primary: $(dstate)"
	for mb in 1 9 33 62; do
		dd if=/dev/urandom of=/dev/drbd$M bs=64k count=4 seek=$((mb * 16)) oflag=direct status=none
	done
	drbdsetup-84 secondary $M
	drbdsetup-84 detach $M || fail "detach"
	if attach "/dev/vg/$P-mdf" flexible; then
		fail "kernel attached unclean meta-data without apply-al"
	fi
	grep -qi "unclean" "$W/attach" || fail "re-attach refusal: $(cat "$W/attach")"
	cp "$W/attach" "$W/refusal"
	dd if="/dev/vg/$P-mdf" of="/dev/vg/$P-mdf2" bs=1M oflag=direct status=none
	$V --json meta apply-al "/dev/vg/$P-mdf" > "$W/apply.json" || fail "apply-al: $(cat "$W/apply.json")"
	drbdmeta --force 0 v08 "/dev/vg/$P-mdf2" flex-external apply-al > "$W/drbdmeta.out" 2>&1 ||
		fail "drbdmeta apply-al: $(cat "$W/drbdmeta.out")"
	cmp "/dev/vg/$P-mdf" "/dev/vg/$P-mdf2" || fail "apply-al differs from drbdmeta's"
	attach "/dev/vg/$P-mdf" flexible || fail "re-attach after apply-al: $(cat "$W/attach")"
	[ "$(dstate)" = "UpToDate/DUnknown" ] || fail "dstate after re-attach: $(dstate)"
	drbdsetup-84 secondary $M
	say "after detach the kernel refuses to re-attach ($(grep -i unclean "$W/refusal" | head -n1)); apply-al (was_primary $(jf was_primary < "$W/apply.json"), hot $(jf hot_extents < "$W/apply.json")) = drbdmeta's bytes; re-attached: $(dstate)"

	# 3. a Primary that loses its disk while writing.  primary --force on fresh
	# meta-data marks the whole device out of sync, which would hide what
	# apply-al adds; so start from fresh meta-data made to look like an
	# UpToDate disk of this size (a test fixture: current UUID, consistent +
	# was-up-to-date, la-size = the LV) whose bitmap is all clear.
	drbdsetup-84 detach $M
	$V meta create "/dev/vg/$P-mdf" --force >/dev/null || fail "re-create"
	python3 - "/dev/vg/$P-mdf" $((data_bytes / 512)) <<'PY' || fail "superblock fixture"
import os, struct, sys
fd = os.open(sys.argv[1], os.O_RDWR)
sb = bytearray(os.pread(fd, 4096, 0))
struct.pack_into(">QQ", sb, 0, int(sys.argv[2]), 0x0123456789ABCDE0)
struct.pack_into(">I", sb, 56, 0x80 | 0x10 | 0x01)
os.pwrite(fd, bytes(sb), 0)
os.fsync(fd)
os.close(fd)
PY
	attach "/dev/vg/$P-mdf" flexible || fail "attach fixture: $(cat "$W/attach")"
	[ "$(dstate)" = "UpToDate/DUnknown" ] || fail "fixture dstate: $(dstate)"
	[ "$(oos_kib)" = 0 ] || fail "fixture oos $(oos_kib)"
	drbdsetup-84 primary $M || fail "primary"
	for mb in 5 21 45; do
		dd if=/dev/urandom of=/dev/drbd$M bs=64k count=2 seek=$((mb * 16)) oflag=direct status=none
	done
	drbdsetup-84 detach $M --force || fail "forced detach"
	$V --json meta dump "/dev/vg/$P-mdf" > "$W/dump.json"
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if "primary-ind" in d["flag_names"] else 1)' "$W/dump.json" ||
		fail "superblock after forced detach of a Primary lacks primary-ind: $(cat "$W/dump.json")"
	# The kernel flushed the bits of the writes it did as a peer-less Primary;
	# a crash would have lost them: clear the bitmap as a crash would have.
	say "after forced detach: $(jf bits_set < "$W/dump.json") bits set by the kernel itself; clearing them (the crash case)"
	dd if=/dev/zero of="/dev/vg/$P-mdf" bs=4096 seek=9 count=$(( mdsz * 256 - 9 )) oflag=direct status=none
	$V --json meta dump "/dev/vg/$P-mdf" > "$W/dump.json"
	[ "$(jf bits_set < "$W/dump.json")" = 0 ] || fail "bitmap not clear before apply-al: $(jf bits_set < "$W/dump.json")"
	dd if="/dev/vg/$P-mdf" of="/dev/vg/$P-mdf2" bs=1M oflag=direct status=none
	$V --json meta apply-al "/dev/vg/$P-mdf" > "$W/apply.json" || fail "apply-al (primary): $(cat "$W/apply.json")"
	drbdmeta --force 0 v08 "/dev/vg/$P-mdf2" flex-external apply-al > "$W/drbdmeta.out" 2>&1 ||
		fail "drbdmeta apply-al: $(cat "$W/drbdmeta.out")"
	cmp "/dev/vg/$P-mdf" "/dev/vg/$P-mdf2" || fail "apply-al (primary) differs from drbdmeta's"
	local hot bits
	hot=$(jf hot_extents < "$W/apply.json")
	bits=$(jf bits_set < "$W/apply.json")
	[ "$(jf was_primary < "$W/apply.json")" = true ] || fail "apply-al did not see a Primary"
	# the three written 4 MiB extents (1, 5, 11) must be among the hot ones
	[ "$hot" -ge 3 ] && [ "$bits" -ge $((3 * 1024)) ] || fail "hot $hot, bits $bits after writes to 3 extents"
	attach "/dev/vg/$P-mdf" flexible || fail "re-attach after apply-al (primary): $(cat "$W/attach")"
	# each set bit is 4 KiB the kernel now counts out of sync
	[ "$(oos_kib)" = $((bits * 4)) ] || fail "kernel oos $(oos_kib) KiB, apply-al set $bits bits"
	say "Primary losing its disk (forced detach): apply-al replayed $hot hot extents, set $bits bits (= drbdmeta's bytes); kernel re-attached: $(dstate), oos $(oos_kib) KiB"
	drbdsetup-84 secondary $M
	drbdsetup-84 detach $M

	# 4. indexed: index 1 on a 256 MiB LV
	lvcreate -q -y -L 256m -n "$P-mdi" vg >/dev/null
	t0=$(date +%s%N)
	# --force: a fresh LV may hold stale meta-data of an earlier LV at 128 MiB
	$V --json meta create "/dev/vg/$P-mdi" --index 1 --force --backing-size $data_bytes > "$W/create.json" ||
		fail "meta create --index 1: $(cat "$W/create.json")"
	t1=$(date +%s%N)
	attach "/dev/vg/$P-mdi" 1 || fail "kernel refused our indexed meta-data: $(cat "$W/attach")"
	[ "$(dstate)" = "Inconsistent/DUnknown" ] || fail "dstate after indexed attach: $(dstate)"
	drbdsetup-84 detach $M
	attach "/dev/vg/$P-mdi" 1 && fail "kernel attached unclean indexed meta-data"
	$V meta apply-al "/dev/vg/$P-mdi" --index 1 >/dev/null || fail "apply-al --index 1"
	attach "/dev/vg/$P-mdi" 1 || fail "re-attach indexed after apply-al: $(cat "$W/attach")"
	[ "$(dstate)" = "Inconsistent/DUnknown" ] || fail "dstate after indexed re-attach: $(dstate)"
	drbdsetup-84 detach $M
	$V --json meta dump "/dev/vg/$P-mdi" --index 1 > "$W/dump.json"
	[ "$(jf md_offset < "$W/dump.json")" = 134217728 ] || fail "index 1 md_offset"
	say "indexed 1: created (in-process $(jf elapsed_ms < "$W/create.json") ms, process $(( (t1 - t0) / 1000000 )) ms), attached, detached, apply-al, re-attached"
	drbdsetup-84 down $R

	# 5. refusals
	lvcreate -q -y -L 4m -n "$P-small" vg >/dev/null
	expect_rc 6 "indexed on 4 MiB" $V meta create "/dev/vg/$P-small" --index 0
	grep -q 134217728 "$W/out" || fail "too-small message: $(cat "$W/out")"
	expect_rc 6 "flexible 4 MiB for 1 TiB" $V meta create "/dev/vg/$P-small" --backing-size 1T
	grep -q 33591296 "$W/out" || fail "too-small message: $(cat "$W/out")"
	expect_rc 10 "create over existing meta-data" $V meta create "/dev/vg/$P-mdf"
	$V meta wipe "/dev/vg/$P-mdf" >/dev/null || fail "wipe"
	expect_rc 4 "dump after wipe" $V meta dump "/dev/vg/$P-mdf"
	grep -q "wrong magic" "$W/out" || fail "dump refusal: $(cat "$W/out")"
	drbdmeta --force 0 v08 "/dev/vg/$P-mdf" flex-external dump-md >/dev/null 2>&1 &&
		fail "drbdmeta still finds meta-data after our wipe"
	say "refusals: too small 6 (says 134217728 / 33591296 bytes), existing 10, after wipe dump 4 (drbdmeta agrees nothing is there)"

	trap - EXIT
	cleanup
	say "ok"
}

if [ "${1:-}" = "--guest" ]; then
	guest
	exit 0
fi

# shellcheck source=/dev/null
. "$REPO/tests/lab/lib.sh"
lab_run hv1 "BUILD=$BUILD bash tests/lab/30-meta.sh --guest" || fail "meta-data scenario failed in hv1"

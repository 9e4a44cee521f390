#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Benchmark: time to create DRBD v08 meta-data for a large backing device,
# `vmhop meta create` against `drbdmeta create-md`, on the same file (or on a
# block device given as $1; it is overwritten).  Not a test: prints numbers.
#
#   tools/bench/meta.sh [DEVICE]        BACKING=4T RUNS=7 VMHOP=build/vmhop
#
# For each layout it prints the median wall time of RUNS runs of each tool
# (whole process), vmhop's own in-process time (open to final flush), the
# same call as a small standalone program, and the ratios drbdmeta / vmhop
# and drbdmeta / standalone of the process times (> 1: ours is faster).
# drbdmeta also runs drbdsetup (and modprobe) to check the device is unused.
set -eu

VMHOP=${VMHOP:-build/vmhop}
BACKING=${BACKING:-4T}
RUNS=${RUNS:-7}
DEV=${1:-}
DRBDMETA=$(command -v drbdmeta || echo /usr/sbin/drbdmeta)
# drbdmeta locks /var/lock/drbd-147-<minor>: a minor of our own
MINOR=$(( 1000 + $$ % 100000 ))

[ -x "$VMHOP" ] || { echo "meta.sh: $VMHOP not built (make)" >&2; exit 2; }
[ -x "$DRBDMETA" ] || { echo "meta.sh: drbdmeta not installed" >&2; exit 2; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/vmhop-bench-meta.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

# The same library call in a program of its own: the vmhop binary links
# libvirt, liblvm2cmd, libnl (about 60 shared libraries), whose loading
# dominates a short command; this shows what the meta-data code costs as a
# process.  Built from libvmhop.a next to $VMHOP, if a compiler is at hand.
LIBVMHOP=$(dirname "$VMHOP")/libvmhop.a
SOLO=
if [ -f "$LIBVMHOP" ] && command -v cc >/dev/null 2>&1; then
	cat > "$tmp/solo.c" <<'C'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "meta/meta.h"
int main(int argc, char **argv)
{
	struct vmeta_create_opts o = { .index = VMETA_INDEX_FLEX, .force = true };
	struct vh_error e = { 0 };
	struct vmeta_info info;

	if (argc > 2 && strcmp(argv[2], "flexible"))
		o.index = atoi(argv[2]);
	if (argc < 2 || vmeta_create(argv[1], &o, &info, &e) < 0) {
		fprintf(stderr, "solo: %s\n", e.msg);
		return 1;
	}
	return 0;
}
C
	if cc -O2 -std=c11 -D_GNU_SOURCE -I"$(dirname "$0")/../../src" -o "$tmp/solo" "$tmp/solo.c" "$LIBVMHOP" 2>"$tmp/solo.err"; then
		SOLO=$tmp/solo
	fi
fi

now_ns() { date +%s%N; }

# median of the numbers on stdin
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

# run_n LABEL CMD... : time RUNS runs, print the median in ms
run_n() {
	label=$1; shift
	: > "$tmp/t.$label"
	i=0
	while [ $i -lt "$RUNS" ]; do
		t0=$(now_ns)
		"$@" > /dev/null 2>&1 || { echo "meta.sh: $label failed: $*" >&2; "$@"; exit 1; }
		t1=$(now_ns)
		echo $(( (t1 - t0) / 1000 )) >> "$tmp/t.$label"
		i=$((i + 1))
	done
	median < "$tmp/t.$label"
}

bench() {	# bench NAME INDEX-ARG-FOR-DRBDMETA VMHOP-INDEX-ARGS SIZE
	name=$1 didx=$2 vidx=$3 size=$4
	if [ -n "$DEV" ]; then
		target=$DEV
	else
		target=$tmp/md.$name
		rm -f "$target"
		truncate -s "$size" "$target"
	fi
	us_v=$(run_n "vmhop-$name" "$VMHOP" meta create "$target" $vidx --force)
	# in-process time (open to final flush), as vmhop measures it itself
	: > "$tmp/lib.$name"
	i=0
	while [ $i -lt "$RUNS" ]; do
		"$VMHOP" --json meta create "$target" $vidx --force > "$tmp/out.json"
		sed -n 's/.*"elapsed_ms": \([0-9.]*\).*/\1/p' "$tmp/out.json" >> "$tmp/lib.$name"
		i=$((i + 1))
	done
	lib_ms=$(median < "$tmp/lib.$name")
	method=$(sed -n 's/.*"zero_method": "\([^"]*\)".*/\1/p' "$tmp/out.json")
	us_s=-
	if [ -n "$SOLO" ]; then
		us_s=$(run_n "solo-$name" "$SOLO" "$target" "$([ "$didx" = flex-external ] && echo flexible || echo "$didx")")
		us_s=$(echo "$us_s" | awk '{ printf "%.2f", $1 / 1000 }')
	fi
	us_d=$(run_n "drbdmeta-$name" "$DRBDMETA" --force "$MINOR" v08 "$target" "$didx" create-md)
	ratio=$(awk -v d="$us_d" -v v="$us_v" 'BEGIN { printf "%.2f", d / v }')
	ratio_s=$( [ "$us_s" = - ] && echo - || awk -v d="$us_d" -v s="$us_s" 'BEGIN { printf "%.2f", d / 1000 / s }')
	printf '%-14s %10s B | vmhop %8.2f ms  in-process %6.2f ms (%s)  standalone %8s ms | drbdmeta %8.2f ms | ratio %s (standalone %s)\n' \
		"$name" "$size" "$(echo "$us_v" | awk '{ print $1 / 1000 }')" "$lib_ms" "$method" "$us_s" \
		"$(echo "$us_d" | awk '{ print $1 / 1000 }')" "$ratio" "$ratio_s"
}

flex=$("$VMHOP" --json meta size "$BACKING" --flexible | sed -n 's/.*"min_md_bytes": \([0-9]*\).*/\1/p')
# the caller rounds up to the VG extent size (4 MiB)
flex=$(( (flex + 4194303) / 4194304 * 4194304 ))
echo "backing device $BACKING, $RUNS runs each, median wall time (process start to exit)"
if [ -n "$DEV" ]; then
	bench "flexible($BACKING)" flex-external --flexible "$(blockdev --getsize64 "$DEV")"
	bench "indexed-0" 0 "--index 0" "$(blockdev --getsize64 "$DEV")"
else
	bench "flexible($BACKING)" flex-external --flexible "$flex"
	bench "indexed-0" 0 "--index 0" 134217728
	bench "indexed-3" 3 "--index 3" 536870912
fi

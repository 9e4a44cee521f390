#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Benchmark: what limits DRBD's resync in the lab.  A DRBD 8.4 resource on
# two fresh LVs of SIZE MiB (hv1 primary --force, hv2 secondary: a full sync,
# as a move's), set up with drbdsetup-84, timed from `connect` to Connected
# UpToDate/UpToDate, for each set of options below, with and without a
# writer on hv1 (4 KiB O_DIRECT writes in a loop over the first 4 MiB, as the
# busy test VM writes), alternated over ROUNDS.  Prints each run's MiB/s and
# the medians.  Asserts nothing about speed.
#
#   LAB_DIR=... tools/bench/resync.sh [SIZE_MIB] [ROUNDS]     on the host, lab started
#
# The sets:
#   plan       vmhop's plan today: resync-rate 100M, c-plan-ahead 0, c-min-rate 250k
#   minrate0   the same, c-min-rate 0 (DRBD never slows the resync for the
#              application's I/O)
#   buffers    minrate0 and max-buffers 8000, max-epoch-size 8000, sndbuf-size
#              and rcvbuf-size 4M
set -euo pipefail

REPO=$(cd "$(dirname "$0")/../.." && pwd)
LAB="$REPO/tools/lab/lab.sh"
SIZE=${1:-200}
ROUNDS=${2:-2}
A1=ipv4:169.254.77.1:7793
A2=ipv4:169.254.77.2:7793
NET="--protocol=C --cram-hmac-alg=sha256 --shared-secret=bench-secret"
declare -A DISK NETX
DISK[plan]="--resync-rate=102400k --c-plan-ahead=0 --c-min-rate=250k --c-max-rate=102400k"
NETX[plan]=""
DISK[minrate0]="--resync-rate=102400k --c-plan-ahead=0 --c-min-rate=0 --c-max-rate=102400k"
NETX[minrate0]=""
DISK[buffers]=${DISK[minrate0]}
NETX[buffers]="--max-buffers=8000 --max-epoch-size=8000 --sndbuf-size=4M --rcvbuf-size=4M"
SETS="plan minrate0 buffers"

FN='export DM_DISABLE_UDEV=1 LVM_SUPPRESS_FD_WARNINGS=1
down() { pkill -f "of=/dev/drbd9 " >/dev/null 2>&1; drbdsetup-84 down rsb >/dev/null 2>&1 || true; }
up() { down; drbdmeta --force 9 v08 /dev/vg/rsb_m flex-external create-md >/dev/null 2>&1
	drbdsetup-84 new-resource rsb && drbdsetup-84 new-minor rsb 9 0 &&
	drbdsetup-84 attach 9 /dev/vg/rsb_d /dev/vg/rsb_m flexible $1; }
'

cleanup() {
	for h in hv1 hv2; do
		"$LAB" run $h "$FN down; lvremove -y vg/rsb_d vg/rsb_m >/dev/null 2>&1
			echo /sbin/drbdadm > /sys/module/drbd/parameters/usermode_helper; true" >/dev/null || true
	done
}
trap cleanup EXIT

for h in hv1 hv2; do
	"$LAB" run $h "set -e; export DM_DISABLE_UDEV=1 LVM_SUPPRESS_FD_WARNINGS=1
		echo /bin/true > /sys/module/drbd/parameters/usermode_helper
		lvcreate -q -y -Wn -Zn -n rsb_d -L ${SIZE}M vg >/dev/null
		lvcreate -q -y -Wn -Zn -n rsb_m -L 4M vg >/dev/null"
done

declare -A RES
for ((r = 1; r <= ROUNDS; r++)); do
	for set in $SETS; do
		for w in idle writer; do
			"$LAB" run hv2 "$FN up '${DISK[$set]}' && drbdsetup-84 connect rsb $A2 $A1 $NET ${NETX[$set]}" >/dev/null
			out=$("$LAB" run hv1 "$FN up '${DISK[$set]}' && drbdsetup-84 primary 9 --force || exit 1
				if [ $w = writer ]; then
					(while :; do dd if=/dev/zero of=/dev/drbd9 bs=4k count=1024 oflag=direct conv=notrunc status=none || break; done) >/dev/null 2>&1 &
				fi
				t0=\$EPOCHREALTIME
				drbdsetup-84 connect rsb $A1 $A2 $NET ${NETX[$set]} || exit 1
				end=\$((SECONDS + 600))
				until drbdsetup-84 sh-status 9 2>/dev/null | grep -q '^_pdsk=UpToDate'; do
					[ \$SECONDS -lt \$end ] || { echo timeout; exit 1; }; sleep 0.05; done
				t1=\$EPOCHREALTIME
				pkill -f 'of=/dev/drbd9 ' >/dev/null 2>&1; true
				awk -v a=\$t0 -v b=\$t1 -v s=$SIZE 'BEGIN { printf \"%.2f %.1f\\n\", b - a, s / (b - a) }'")
			"$LAB" run hv1 "$FN down" >/dev/null; "$LAB" run hv2 "$FN down" >/dev/null
			echo "resync-bench: round $r $set $w: $SIZE MiB in ${out% *} s, ${out#* } MiB/s"
			RES[$set.$w]+="${out#* } "
		done
	done
done
for set in $SETS; do
	for w in idle writer; do
		med=$(printf '%s\n' ${RES[$set.$w]} | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
		printf 'resync-bench: %-9s %-6s median %6s MiB/s (%s)\n' "$set" "$w" "$med" "${RES[$set.$w]% }"
	done
done

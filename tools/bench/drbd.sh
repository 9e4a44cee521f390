#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Benchmark: setting up a DRBD resource, from new-resource to Connected, on
# hv1 (hv2 is the peer, already waiting), three ways:
#   drbdsetup   drbdsetup-84 new-resource; new-minor; attach; connect; wait-connect
#   vmhop-cli   the same five steps with `vmhop drbd ...` (one process per step)
#   vmhop-up    `vmhop drbd up` (the five steps in one process, one socket)
# For each: wall time (median of N runs, $EPOCHREALTIME around the sequence)
# and netlink round trips (requests written to netlink sockets, counted by
# strace in a separate run so that strace does not inflate the time).  Also the
# bare cost of starting each program (10 runs of `--version` / `help`).
#
#   LAB_DIR=... tools/bench/drbd.sh [N]      on the host, lab started
set -euo pipefail

REPO=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-build}
LAB="$REPO/tools/lab/lab.sh"
N=${1:-3}
A1=ipv4:169.254.77.1:7792
A2=ipv4:169.254.77.2:7792
NET="--protocol=C --allow-two-primaries=yes --cram-hmac-alg=sha256 --shared-secret=bench-secret"
# vmhop takes the secret from a root-owned 0600 file, never from its command line.
VNET="--protocol=C --allow-two-primaries=yes --cram-hmac-alg=sha256 --shared-secret-file=/tmp/nlb.secret"

# Shared shell functions, run inside the guests.
FN='set -e; export DM_DISABLE_UDEV=1 LVM_SUPPRESS_FD_WARNINGS=1
V='$BUILD'/vmhop
mkmeta() { drbdmeta --force 7 v08 /dev/vg/nlb_m flex-external create-md >/dev/null 2>&1; }
teardown() { drbdsetup-84 down nlb >/dev/null 2>&1 || true; }
peer_up() { teardown; mkmeta; drbdsetup-84 new-resource nlb; drbdsetup-84 new-minor nlb 7 0;
	drbdsetup-84 attach 7 /dev/vg/nlb_d /dev/vg/nlb_m flexible; drbdsetup-84 connect nlb '$A2' '$A1' '"$NET"'; }
# each step appends its end time to /tmp/nlb.steps, to see where the time goes
st() { echo "$1 $EPOCHREALTIME" >> /tmp/nlb.steps; }
seq_drbdsetup() { drbdsetup-84 new-resource nlb; st new-resource; drbdsetup-84 new-minor nlb 7 0; st new-minor;
	drbdsetup-84 attach 7 /dev/vg/nlb_d /dev/vg/nlb_m flexible; st attach;
	drbdsetup-84 connect nlb '$A1' '$A2' '"$NET"'; st connect; drbdsetup-84 wait-connect 7 --wfc-timeout=60 2>/dev/null; st connected; }
seq_vmhop_cli() { $V drbd new-resource nlb; st new-resource; $V drbd new-minor nlb 7 0; st new-minor;
	$V drbd attach 7 /dev/vg/nlb_d /dev/vg/nlb_m flexible; st attach;
	$V drbd connect nlb '$A1' '$A2' '"$VNET"' --keep-helper; st connect; $V drbd wait-connect 7 --timeout 60 >/dev/null 2>&1; st connected; }
seq_vmhop_up() { $V drbd up nlb 7 /dev/vg/nlb_d /dev/vg/nlb_m flexible '$A1' '$A2' '"$VNET"' --keep-helper --timeout 60 2>/dev/null; st connected; }
'

cleanup() {
	for h in hv1 hv2; do
		"$LAB" run $h "drbdsetup-84 down nlb >/dev/null 2>&1; lvremove -y vg/nlb_d vg/nlb_m >/dev/null 2>&1;
			echo /sbin/drbdadm > /sys/module/drbd/parameters/usermode_helper; true" >/dev/null || true
	done
}
trap cleanup EXIT

for h in hv1 hv2; do
	"$LAB" run $h "set -e; export DM_DISABLE_UDEV=1 LVM_SUPPRESS_FD_WARNINGS=1
		echo /bin/true > /sys/module/drbd/parameters/usermode_helper
		(umask 077; echo bench-secret > /tmp/nlb.secret)
		lvcreate -q -y -Wn -Zn -n nlb_d -L 64M vg >/dev/null
		lvcreate -q -y -Wn -Zn -n nlb_m -L 4M vg >/dev/null"
done

for method in drbdsetup vmhop_cli vmhop_up; do
	times=()
	for ((i = 0; i <= N; i++)); do
		"$LAB" run hv2 "$FN peer_up" >/dev/null
		if [ "$i" -lt "$N" ]; then
			out=$("$LAB" run hv1 "$FN teardown; mkmeta; rm -f /tmp/nlb.steps
				t0=\$EPOCHREALTIME; seq_$method >/dev/null 2>&1; t1=\$EPOCHREALTIME
				echo \"\$t0 \$t1\" | awk '{ printf \"%.1f\\n\", (\$2 - \$1) * 1000 }'
				awk -v t=\$t0 '{ printf \"%s +%.0f ms  \", \$1, (\$2 - t) * 1000 }' /tmp/nlb.steps")
			times+=("$(echo "$out" | head -n1)")
			echo "drbd-bench: $method run $i steps: $(echo "$out" | tail -n1)"
		else
			# one more run under strace, for the round trips (stderr too: no terminal in the guest)
			rt=$("$LAB" run hv1 "$FN teardown; mkmeta
				strace -f -yy -e trace=write,sendto,sendmsg -o /tmp/nlb.trace bash -c \"\$(declare -f st seq_$method); V=\$V; seq_$method\" >/dev/null 2>&1
				grep -c 'NETLINK' /tmp/nlb.trace")
		fi
	done
	med=$(printf '%s\n' "${times[@]}" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
	printf 'drbd-bench: %-10s setup to Connected: median %8s ms over %d runs (%s); netlink round trips: %s\n' \
		"$method" "$med" "$N" "${times[*]}" "$rt"
done
"$LAB" run hv1 "t0=\$EPOCHREALTIME; for i in 1 2 3 4 5 6 7 8 9 10; do $BUILD/vmhop --version >/dev/null; done; t1=\$EPOCHREALTIME
	for i in 1 2 3 4 5 6 7 8 9 10; do drbdsetup-84 help >/dev/null 2>&1; done; t2=\$EPOCHREALTIME
	echo \"\$t0 \$t1 \$t2\" | awk '{ printf \"drbd-bench: start-up of one process: vmhop %.0f ms, drbdsetup-84 %.0f ms\\n\", (\$2 - \$1) * 100, (\$3 - \$2) * 100 }'"
"$LAB" run hv2 "$FN teardown" >/dev/null

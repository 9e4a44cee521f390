#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Re-record the netlink bytes the unit tests replay (tests/data/netlink/*.hex):
# drbdsetup-84 run under strace in the lab guests against the real DRBD 8.4
# kernel module, then tests/data/netlink/strace2hex.py.  Run on the host with
# the lab started:  LAB_DIR=... tests/data/netlink/capture.sh
# Leaves nothing behind in the guests.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/../../.." && pwd)
OUT=$REPO/tests/data/netlink
LAB="$REPO/tools/lab/lab.sh"
W=/tmp/nlcap
A1=ipv4:169.254.77.1:7790
A2=ipv4:169.254.77.2:7790

prep='set -e; export DM_DISABLE_UDEV=1 LVM_SUPPRESS_FD_WARNINGS=1
	rm -rf '$W'; mkdir -p '$W'
	echo /bin/true > /sys/module/drbd/parameters/usermode_helper
	lvcreate -q -y -Wn -Zn -n nlcap_d -L 96M vg >/dev/null
	lvcreate -q -y -Wn -Zn -n nlcap_m -L 4M vg >/dev/null
	drbdmeta --force 0 v08 /dev/vg/nlcap_m flex-external create-md >/dev/null 2>&1'
# cap NAME drbdsetup-args...: one traced drbdsetup-84 call
fn='cap() { local n=$1; shift; strace -f -yy -e trace=write,sendto,sendmsg,read,recvfrom,recvmsg -e read=all -e write=all -o '$W'/$n.trace drbdsetup-84 "$@" > '$W'/$n.out 2>&1; echo "$n rc=$?"; }'
net="--shared-secret=vmhop-lab-secret --cram-hmac-alg=sha256 --protocol=C --after-sb-0pri=disconnect --after-sb-1pri=disconnect --after-sb-2pri=disconnect --allow-two-primaries=yes"

cleanup() {
	for h in hv1 hv2; do
		"$LAB" run $h 'drbdsetup-84 down r0 2>/dev/null; drbdsetup-84 down r1 2>/dev/null
			lvremove -y vg/nlcap_d vg/nlcap_m >/dev/null 2>&1
			echo /sbin/drbdadm > /sys/module/drbd/parameters/usermode_helper; true' || true
	done
}
trap cleanup EXIT

"$LAB" run hv1 "$prep"
"$LAB" run hv2 "$prep"
if [ "${1:-}" = vmhop-events ]; then
	# a whole forced sync seen by `vmhop drbd events` (its own sockets: the first reply
	# datagrams answer its dump, the later ones are multicast events)
	BUILD=${BUILD:-build}
	"$LAB" run hv2 "drbdsetup-84 new-resource r0 && drbdsetup-84 new-minor r0 0 0 &&
		drbdsetup-84 attach 0 /dev/vg/nlcap_d /dev/vg/nlcap_m flexible --resync-rate=20M --c-plan-ahead=0 &&
		drbdsetup-84 connect r0 $A2 $A1 $net"
	"$LAB" run hv1 "set -e; drbdsetup-84 new-resource r0; drbdsetup-84 new-minor r0 0 0
		drbdsetup-84 attach 0 /dev/vg/nlcap_d /dev/vg/nlcap_m flexible --resync-rate=20M --c-plan-ahead=0
		drbdsetup-84 connect r0 $A1 $A2 $net
		drbdsetup-84 wait-connect 0 --wfc-timeout=60 2>/dev/null
		( strace -f -yy -e trace=write,sendto,sendmsg,read,recvfrom,recvmsg -e read=all -e write=all \
			-o $W/vmhop-events.trace $REPO/$BUILD/vmhop drbd events --timeout 90 > $W/events.out 2>&1 & )
		for i in \$(seq 1 120); do grep -q '^minor=0' $W/events.out 2>/dev/null && break; sleep 0.5; done
		drbdsetup-84 primary 0 --force
		drbdsetup-84 wait-sync 0 --wfc-timeout=120 2>/dev/null
		for i in \$(seq 1 60); do grep -q 'connection=Connected disk=UpToDate peer_disk=UpToDate' $W/events.out && break; sleep 0.5; done
		sleep 1; pkill -f 'vmhop drbd events' || true; sleep 1; cat $W/events.out
		cd $REPO && python3 tests/data/netlink/strace2hex.py $W/vmhop-events.trace $W vmhop-events
		tar -C $W -cf $W.tar --exclude='*.trace' --exclude='*.out' ."
	"$LAB" cp-out hv1 $W.tar /tmp/nlcap.tar
	tar -C "$OUT" -xf /tmp/nlcap.tar
	echo "recorded vmhop events into $OUT"
	exit 0
fi
if [ "${1:-}" = events ]; then
	# only the events of a forced sync, with time for the tracer to start under load
	"$LAB" run hv2 "drbdsetup-84 new-resource r0 && drbdsetup-84 new-minor r0 0 0 &&
		drbdsetup-84 attach 0 /dev/vg/nlcap_d /dev/vg/nlcap_m flexible &&
		drbdsetup-84 connect r0 $A2 $A1 $net"
	"$LAB" run hv1 "set -e; drbdsetup-84 new-resource r0; drbdsetup-84 new-minor r0 0 0
		drbdsetup-84 attach 0 /dev/vg/nlcap_d /dev/vg/nlcap_m flexible --resync-rate=20M --c-plan-ahead=0
		drbdsetup-84 connect r0 $A1 $A2 $net
		drbdsetup-84 wait-connect 0 --wfc-timeout=60 2>/dev/null
		( timeout -s INT 120 strace -f -yy -e trace=write,sendto,sendmsg,read,recvfrom,recvmsg -e read=all -e write=all \
			-o $W/events.trace drbdsetup-84 events all > $W/events.out 2>&1 & )
		for i in \$(seq 1 120); do grep -q recvmsg $W/events.trace 2>/dev/null && break; sleep 0.5; done
		sleep 2
		drbdsetup-84 primary 0 --force
		drbdsetup-84 wait-sync 0 --wfc-timeout=120 2>/dev/null
		sleep 3; pkill -INT -f 'drbdsetup-84 events' || true; sleep 2
		cd $REPO && python3 tests/data/netlink/strace2hex.py $W/events.trace $W events
		tar -C $W -cf $W.tar --exclude='*.trace' --exclude='*.out' ."
	"$LAB" cp-out hv1 $W.tar /tmp/nlcap.tar
	tar -C "$OUT" -xf /tmp/nlcap.tar
	echo "recorded events into $OUT"
	exit 0
fi
"$LAB" run hv2 "drbdsetup-84 new-resource r0 && drbdsetup-84 new-minor r0 0 0 &&
	drbdsetup-84 attach 0 /dev/vg/nlcap_d /dev/vg/nlcap_m flexible &&
	drbdsetup-84 connect r0 $A2 $A1 $net"
"$LAB" run hv1 "$fn
	cap new-resource new-resource r0
	cap new-minor new-minor r0 0 0
	cap attach attach 0 /dev/vg/nlcap_d /dev/vg/nlcap_m flexible --on-io-error=detach \
		--resync-rate=20M --c-plan-ahead=0 --c-max-rate=400M --c-min-rate=4M
	cap attach-nominor attach 9 /dev/vg/nlcap_d /dev/vg/nlcap_m flexible
	cap connect connect r0 $A1 $A2 $net
	drbdsetup-84 wait-connect 0 --wfc-timeout=30
	cap status-connected sh-status 0
	( timeout -s INT 12 strace -f -yy -e trace=write,sendto,sendmsg,read,recvfrom,recvmsg -e read=all -e write=all \
		-o $W/events.trace drbdsetup-84 events all > $W/events.out 2>&1 & )
	sleep 1
	cap primary-force primary 0 --force
	drbdsetup-84 wait-sync 0 --wfc-timeout=60
	sleep 1
	cap status-synced sh-status 0
	cap show-all show
	cap primary primary 0
	cap disk-options disk-options 0 --resync-rate=50M
	cap net-options net-options $A1 $A2 --ping-timeout=10
	cap resource-options resource-options r0 --on-no-data-accessible=suspend-io
	exec 4</dev/drbd0
	cap secondary-busy secondary 0
	exec 4<&-
	cap secondary secondary 0
	cap disconnect disconnect $A1 $A2
	cap detach detach 0
	cap del-minor del-minor 0
	cap del-resource del-resource r0
	drbdsetup-84 new-resource r1
	cap down down r1
	sleep 10
	cd $REPO && for t in $W/*.trace; do n=\$(basename \$t .trace); python3 tests/data/netlink/strace2hex.py \$t $W \$n; done
	tar -C $W -cf $W.tar --exclude='*.trace' --exclude='*.out' ."
"$LAB" cp-out hv1 $W.tar /tmp/nlcap.tar
tar -C "$OUT" -xf /tmp/nlcap.tar
echo "recorded into $OUT"

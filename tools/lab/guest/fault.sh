#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Faults a lab scenario injects inside a lab guest.
#
#   fault.sh cut PORT          drop every TCP segment to or from PORT on the link
#                              (both directions, this host only): DRBD's connection
#                              dies, libvirt's does not
#   fault.sh cut-all           take the link down (every connection to the peer)
#   fault.sh reset PORT        abort every TCP connection to or from PORT at once
#                              (ss -K: each end sees a reset); nothing stays cut, so
#                              DRBD reconnects by itself: a link that breaks and is back
#   fault.sh stall PORT[/MASK] drop TCP to or from PORT (the ports that match it
#                              under MASK, e.g. 49152/0xffc0 for libvirt's
#                              migration ports 49152-49215) like cut, apart from it:
#                              a connection to them hangs until unstall
#   fault.sh unstall           undo stall only (a cut stays)
#   fault.sh slow PORT[/MASK] RATE
#                              what this host sends to PORT (under MASK) at RATE
#                              at most (tc's tbf, e.g. 96kbit), the rest of the
#                              link as it was: a migration stream that sends,
#                              slowly, without a cut
#   fault.sh unslow            undo slow only
#   fault.sh restore           undo all of the above
#   fault.sh libvirtd stop     stop libvirtd (and wait until it is gone)
#   fault.sh libvirtd start    start it again and wait until it answers
set -euo pipefail
DEV=${LAB_LINK_DEV:-eth0}

# cut_port PORT [MASK [PRIO]]: drop TCP segments to or from PORT (under MASK)
# both ways, with filters of priority PRIO (1: cut, 2: stall).
cut_port() {
	local p=$1 mask=${2:-0xffff} prio=${3:-1}
	tc qdisc replace dev "$DEV" root handle 1: prio
	tc qdisc replace dev "$DEV" handle ffff: ingress
	for dir in dport sport; do
		tc filter add dev "$DEV" parent 1: protocol ip prio "$prio" u32 match ip protocol 6 0xff match ip "$dir" "$p" "$mask" action drop
		tc filter add dev "$DEV" parent ffff: protocol ip prio "$prio" u32 match ip protocol 6 0xff match ip "$dir" "$p" "$mask" action drop
	done
}

case ${1:-} in
cut)
	cut_port "${2:?port}"
	echo "fault: $(hostname): TCP port $2 cut on $DEV"
	;;
stall)
	spec=${2:?port[/mask]}
	cut_port "${spec%%/*}" "$([[ $spec == */* ]] && echo "${spec#*/}" || echo 0xffff)" 2
	echo "fault: $(hostname): TCP port(s) $spec stalled on $DEV"
	;;
slow)
	spec=${2:?port[/mask]}; rate=${3:?rate}
	# band 3 of the root prio qdisc (used by nothing else here: its default
	# priomap puts no ordinary TOS there) gets the tbf and the port's segments
	tc qdisc replace dev "$DEV" root handle 1: prio
	tc qdisc replace dev "$DEV" parent 1:3 handle 30: tbf rate "$rate" burst 3000 latency 5s
	tc filter add dev "$DEV" parent 1: protocol ip prio 3 u32 match ip protocol 6 0xff \
		match ip dport "${spec%%/*}" "$([[ $spec == */* ]] && echo "${spec#*/}" || echo 0xffff)" flowid 1:3
	echo "fault: $(hostname): TCP to port(s) $spec at $rate on $DEV"
	;;
unslow)
	tc filter del dev "$DEV" parent 1: prio 3 2>/dev/null || true
	tc qdisc del dev "$DEV" parent 1:3 handle 30: 2>/dev/null || true
	echo "fault: $(hostname): slow undone"
	;;
unstall)
	tc filter del dev "$DEV" parent 1: prio 2 2>/dev/null || true
	tc filter del dev "$DEV" parent ffff: prio 2 2>/dev/null || true
	echo "fault: $(hostname): stall undone"
	;;
reset)
	p=${2:?port}
	n=$(ss -Htn state established "( sport = :$p or dport = :$p )" | wc -l)
	[ "$n" -gt 0 ] || { echo "fault: $(hostname): no connection on port $p to reset" >&2; exit 1; }
	ss -HtnK state established "( sport = :$p or dport = :$p )" >/dev/null
	echo "fault: $(hostname): $n connection(s) on TCP port $p reset"
	;;
cut-all)
	ip link set "$DEV" down
	echo "fault: $(hostname): $DEV down"
	;;
restore)
	tc qdisc del dev "$DEV" root 2>/dev/null || true
	tc qdisc del dev "$DEV" ingress 2>/dev/null || true
	ip link set "$DEV" up
	echo "fault: $(hostname): link restored"
	;;
libvirtd)
	case ${2:-} in
	stop)
		pkill -x libvirtd || true
		for _ in $(seq 1 100); do pgrep -x libvirtd >/dev/null || break; sleep 0.1; done
		if pgrep -x libvirtd >/dev/null; then pkill -9 -x libvirtd; sleep 0.5; fi
		pgrep -x libvirtd >/dev/null && { echo "fault: libvirtd did not stop" >&2; exit 1; }
		echo "fault: $(hostname): libvirtd stopped"
		;;
	start)
		libvirtd -d -l -f /etc/libvirt/libvirtd.conf
		for _ in $(seq 1 150); do virsh -q -c qemu:///system version >/dev/null 2>&1 && break; sleep 0.2; done
		virsh -q -c qemu:///system version >/dev/null 2>&1 || { echo "fault: libvirtd did not start" >&2; exit 1; }
		echo "fault: $(hostname): libvirtd started"
		;;
	*) echo "fault.sh libvirtd stop|start" >&2; exit 2 ;;
	esac
	;;
*)
	sed -n '3,19p' "$0" | sed 's/^# \{0,1\}//'
	exit 2
	;;
esac

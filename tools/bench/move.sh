#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Benchmark: the whole move of the busy test VM (tools/lab/guest/busyvm.sh) from
# hv1 to hv2, on one lab run, each method starting from the same state (a fresh
# busy VM of SIZE MiB on hv1, nothing else on either host) and ending with the
# VM's data check on hv2 and both hosts clean:
#   seed      the seed's procedure (shared/seed/000_05663b5637f39fcd.txt) with
#             the reference tools: drbdsetup-84 (8.3 commands mapped per
#             DRBD84-DM-SPEC.md §A.9), dmsetup, drbdmeta, virsh; with
#             DESIGN.md's corrections (the whole LV mapped onto /dev/drbd0,
#             each host restores only its own saved table, the usermode helper
#             made safe through sysfs and restored) and the seed's own VM pauses
#   copy      virsh migrate --live --p2p --persistent --undefinesource
#             --copy-storage-all (hv2's LV made beforehand, same size)
#   copysync  the same with --copy-storage-synchronous-writes
#   vmhop     vmhop's move through its phase commands ("not yet available",
#             exit 3, where the build has none)
#   send      vmhop's move with one process per host: vmhop receive on hv2
#             (started first, in the background) and vmhop send on hv1
# For each move: the total time, the VM-visible stall, libvirt's downtime, the
# sync or copy rate, and the overhead (total - sync - libvirt's migration).
# The stall is measured on one clock: hv1 listens to the lifecycle events of
# both hosts' libvirtd (hv2's over qemu+tcp), and the stall is hv1's
# "Suspended Migrated" to hv2's "Resumed Migrated" (a plain migration) or
# "Resumed Unpaused" (vmhop's: migrated paused, then resumed), both as hv1
# received them.  The methods alternate over ROUNDS rounds (send, copy,
# send, copy, ...), each move from the same clean state with its data check;
# at the end, each method's medians and the ratios vmhop / copy
# (tools/bench/move-report.py, which can be run again on the logs).  It
# prints numbers and asserts nothing about speed; a failed step or a failed
# data check fails that move (and the script) loudly.  Details:
# docs/bench-move.md.
#
#   LAB_DIR=... tools/bench/move.sh [--size MIB] [--rounds N]
#                                   [--only send,overlap,copy,copysync,vmhop,seed]
#       on the host, lab started (both hosts).  MOVE_SIZE_MIB (64),
#       MOVE_ROUNDS (3) and MOVE_ONLY (send,copy) do the same; MOVE_OVERLAP_S
#       (5) is the overlap method's --overlap.  Each move's
#       raw log: build/bench-move/METHOD.ROUND.log.
#
# The procedure runs inside hv1, as an operator with a shell on both hosts
# would run it: commands for hv2 go over the lab link to a small agent on hv2
# (started here, stopped at the end), so a hop costs a TCP round trip, not the
# lab harness's file exchange.  Step times are hv1's clock ($EPOCHREALTIME).
set -euo pipefail

REPO=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-build}
VM=bmove
RES=bmove
MINOR=0
DRBD_PORT=7788
AGENT_PORT=7899
S_ADDR=169.254.77.1
D_ADDR=169.254.77.2
DEST_URI=qemu+tcp://hv2/system
RESYNC_KIB=50000			# the seed's `syncer -r 50000`
MIGRATE="virsh -q -c qemu:///system migrate --live --p2p --persistent --undefinesource"

# ---------------------------------------------------------------------------
# The agent on hv2: runs one bash command per TCP connection from hv1 and
# sends back its output and status.  Lab only: it answers hv1's address only.
agent() {
	cd "$REPO"
	export DM_DISABLE_UDEV=1 LVM_SUPPRESS_FD_WARNINGS=1
	exec python3 - "$1" "$2" "$3" <<-'PY'
	import socketserver, subprocess, sys, time
	addr, port, peer = sys.argv[1], int(sys.argv[2]), sys.argv[3]
	class H(socketserver.StreamRequestHandler):
	    def handle(self):
	        if self.client_address[0] != peer:
	            return
	        line = self.rfile.readline()
	        if not line.strip():
	            return	# a probe: connected, sent nothing
	        if line.strip() == b"@clock":	# hv2's clock, answered at once
	            self.wfile.write(b"%.6f\n@@RC 0\n" % time.time())
	            return
	        n = int(line)
	        cmd = self.rfile.read(n).decode()
	        p = subprocess.run(["bash", "-c", cmd], stdin=subprocess.DEVNULL,
	                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
	        self.wfile.write(p.stdout + b"\n@@RC %d\n" % p.returncode)
	socketserver.ThreadingTCPServer.allow_reuse_address = True
	socketserver.ThreadingTCPServer.daemon_threads = True
	socketserver.ThreadingTCPServer((addr, port), H).serve_forever()
	PY
}

# ---------------------------------------------------------------------------
# Inside hv1 (S): the methods.  Output lines the host parses (times are hv1's
# $EPOCHREALTIME, printed raw: no process is started to do arithmetic):
#   STEP <name> <t0> <t1>       a step, from its start to its end
#   VAL <key> <value>
#   @@FILE <name> ... @@END     a raw log (libvirt's events, job info, dmesg)
# Steps run in this shell (functions) or as one process each: in these TCG
# guests starting a process costs ~0.1 s, so the harness starts none of its own
# between the steps it times.
guest_common() {
	cd "$REPO"
	export DM_DISABLE_UDEV=1 LVM_SUPPRESS_FD_WARNINGS=1 LC_ALL=C
	SIZE=$1
	VIRSH="virsh -q -c qemu:///system"
	BV="env BUSYVM_BIN_DIR=$REPO/$BUILD/lab-bin bash tools/lab/guest/busyvm.sh"
	W=/tmp/bench-move
	rm -rf "$W"; mkdir -p "$W"
	dmesg > "$W/dmesg0"
	clock_offset
	trap 'echo "bench: FAILED at step ${CUR_STEP:-?} (line $LINENO)" >&2' ERR
}

# on_d 'commands': run in hv2 through the agent; its output, its status.
# (bash builtins only: a length-prefixed request, the reply read to EOF)
on_d() {
	local out=
	exec 3<>"/dev/tcp/$D_ADDR/$AGENT_PORT"
	printf '%d\n%s' "${#1}" "$1" >&3
	IFS= read -r -d '' out <&3 || true
	exec 3<&-
	local rc=${out##*@@RC }
	rc=${rc%%$'\n'*}
	out=${out%@@RC *}
	while [[ $out == *$'\n' ]]; do out=${out%$'\n'}; done
	[ -n "$out" ] && printf '%s\n' "$out"
	[[ $rc =~ ^[0-9]+$ ]] || { echo "bench: no answer from hv2's agent" >&2; return 1; }
	return "$rc"
}

# hv2's clock minus hv1's, from the quickest of 5 round trips to the agent
# (its "@clock" answers without starting a process): VAL clock <offset s> <rtt s>
clock_offset() {
	local _ t0 t1 d
	for _ in 1 2 3 4 5; do
		exec 3<>"/dev/tcp/$D_ADDR/$AGENT_PORT"
		t0=$EPOCHREALTIME
		printf '@clock\n' >&3
		IFS= read -r d <&3
		t1=$EPOCHREALTIME
		exec 3<&-
		echo "CLK $t0 $d $t1"
	done
}

# step NAME CMD...: run CMD (output in $W/NAME.out), print its times; on
# failure print its output and fail.
step() {
	local name=$1 t0 t1 rc=0
	shift
	CUR_STEP=$name
	t0=$EPOCHREALTIME
	"$@" > "$W/$name.out" 2>&1 || rc=$?
	t1=$EPOCHREALTIME
	if [ "$rc" -ne 0 ]; then
		cat "$W/$name.out" >&2
		echo "bench: step '$name' failed (exit $rc): $*" >&2
		exit 1
	fi
	echo "STEP $name $t0 $t1"
}
sh_s() { eval "$1"; }
mark() { echo "VAL $1 $EPOCHREALTIME"; }
dump() { echo "@@FILE $1"; cat "$2" 2>/dev/null || true; echo "@@END"; }

# libvirt's own record: every event (lifecycle, migration iterations, job
# completed with its statistics, block jobs) with libvirt's timestamps.
# Three listeners: hv1's libvirtd and hv2's, each on its own host (libvirt's
# timestamps are the listening virsh's clock at receipt), and hv2's libvirtd
# again from hv1 over qemu+tcp (events.hv2r): hv1's events and this one are
# both on hv1's clock, so the stall (hv1's "Suspended Migrated" to hv2's
# "Resumed") needs no clock offset.
events_start() {
	local _ up=no
	setsid stdbuf -oL $VIRSH event --all --loop --timestamp > "$W/events" 2>&1 < /dev/null &
	echo $! > "$W/events.pid"
	setsid stdbuf -oL virsh -q -c "$DEST_URI" event --all --loop --timestamp > "$W/events.r" 2>&1 < /dev/null &
	echo $! > "$W/events.r.pid"
	on_d "rm -rf $W; mkdir -p $W; setsid stdbuf -oL $VIRSH event --all --loop --timestamp > $W/events 2>&1 < /dev/null &
		echo \$! > $W/events.pid"
	# the remote listener's connection to hv2's libvirtd is up (bounded: 10 s)
	for _ in $(seq 50); do
		ss -Htnp state established '( dport = :16509 )' | grep -q "pid=$(cat "$W/events.r.pid")," && { up=yes; break; }
		sleep 0.2
	done
	echo "VAL listener_hv2r $up"
	sleep 1
}
events_stop() {
	sleep 0.5
	kill -INT "$(cat "$W/events.pid")" "$(cat "$W/events.r.pid")" 2>/dev/null || true; sleep 0.3
	dump events.hv1 "$W/events"
	dump events.hv2r "$W/events.r"
	echo "@@FILE events.hv2"
	on_d "kill -INT \$(cat $W/events.pid) 2>/dev/null; sleep 0.3; cat $W/events" || true
	echo "@@END"
	# the kernel's lines since the method began (DRBD's resync: began / done)
	dmesg > "$W/dmesg1"
	echo "@@FILE dmesg.hv1"
	tail -n +"$(($(wc -l < "$W/dmesg0") + 1))" "$W/dmesg1" | grep -E 'drbd|resync' || true
	echo "@@END"
}

# The VM wrote on hv2 after the move, then its data check there.
data_check() {
	local c
	c=$(on_d "$BV counter $VM")
	step writes_on_hv2 on_d "$BV wait-writes $VM $((c + 32)) 120"
	step check_hv2 on_d "$BV check $VM"
	echo "VAL check $(tr ' ' ',' < "$W/check_hv2.out")"
}

# The completed migration job's statistics: from the source or, when the
# source has undefined the domain already, from the destination.
jobinfo() {
	if $VIRSH domjobinfo --completed "$VM" > "$W/jobinfo" 2>/dev/null && grep -q 'Total downtime' "$W/jobinfo"; then
		echo "VAL jobinfo_from hv1"
	elif on_d "$VIRSH domjobinfo --completed $VM" > "$W/jobinfo" 2>&1 && grep -q 'Total downtime' "$W/jobinfo"; then
		echo "VAL jobinfo_from hv2"
	else
		echo "VAL jobinfo_from none"
	fi
	dump jobinfo "$W/jobinfo"
}

start_vm() {
	step busyvm_create $BV create "$VM" "$SIZE"
	# the LV beyond busyvm's boot sector and ring (its first 5 MiB) filled with
	# random data, as a VM's disk would be: no copy may skip zeroes
	step fill_random dd if=/dev/urandom of="/dev/vg/$VM" bs=1M seek=5 count=$((SIZE - 5)) oflag=direct status=none
	step busyvm_writes $BV wait-writes "$VM" 64 120
	echo "VAL size_bytes $(blockdev --getsize64 "/dev/vg/$VM")"
	mark t0		# the move starts here
}

# ---- the seed's procedure -------------------------------------------------
guest_seed() {
	guest_common "$@"
	local DM=vg-$VM CP=vg-$VM.copy META=/dev/vg/$VM.drbdmeta sectors mb
	local DCONF="--protocol=C --allow-two-primaries=yes --sndbuf-size=10000000"
	local WFC="--wfc-timeout=600 --degr-wfc-timeout=600 --outdated-wfc-timeout=600"
	# the seed's meta-data size: max(capacity / 32768 + 4 MiB, 128 MiB), index 0
	mb=$(( (SIZE * 1048576 / 32768 + 4194304) > 134217728 ? (SIZE * 1048576 / 32768 + 4194304) : 134217728 ))
	sectors=$((SIZE * 2048))
	events_start
	start_vm
	# 1 - Pause VM
	step suspend $VIRSH suspend "$VM"
	# 2 - Set up DRBD (modprobe drbd usermode_helper=/bin/true -> sysfs, saved, restored)
	step helper_S sh_s "cat /sys/module/drbd/parameters/usermode_helper > $W/helper && echo /bin/true > /sys/module/drbd/parameters/usermode_helper"
	step helper_D on_d "mkdir -p $W; cat /sys/module/drbd/parameters/usermode_helper > $W/helper && echo /bin/true > /sys/module/drbd/parameters/usermode_helper"
	step lv_D on_d "lvcreate -q -y -Wn -n $VM -L ${SIZE}m vg"
	step meta_lv_S lvcreate -q -y -Wn -n "$VM.drbdmeta" -L "${mb}b" vg
	step meta_lv_D on_d "lvcreate -q -y -Wn -n $VM.drbdmeta -L ${mb}b vg"
	step copy_S sh_s "dmsetup table $DM > $W/table && dmsetup create $CP $W/table"
	step copy_D on_d "dmsetup table $DM > $W/table && dmsetup create $CP $W/table"
	step md_S sh_s "drbdmeta --force $MINOR v08 $META 0 wipe-md; drbdmeta --force $MINOR v08 $META 0 create-md"
	step md_D on_d "drbdmeta --force $MINOR v08 $META 0 wipe-md; drbdmeta --force $MINOR v08 $META 0 create-md"
	step disk_S sh_s "drbdsetup-84 new-resource $RES && drbdsetup-84 new-minor $RES $MINOR 0 && drbdsetup-84 attach $MINOR /dev/mapper/$CP $META 0"
	step disk_D on_d "drbdsetup-84 new-resource $RES && drbdsetup-84 new-minor $RES $MINOR 0 && drbdsetup-84 attach $MINOR /dev/mapper/$CP $META 0"
	step net_S drbdsetup-84 connect "$RES" "ipv4:$S_ADDR:$DRBD_PORT" "ipv4:$D_ADDR:$DRBD_PORT" $DCONF
	step net_D on_d "drbdsetup-84 connect $RES ipv4:$D_ADDR:$DRBD_PORT ipv4:$S_ADDR:$DRBD_PORT $DCONF"
	step syncer_S drbdsetup-84 disk-options "$MINOR" --resync-rate=$RESYNC_KIB --c-plan-ahead=0
	step syncer_D on_d "drbdsetup-84 disk-options $MINOR --resync-rate=$RESYNC_KIB --c-plan-ahead=0"
	step wait_connect_S drbdsetup-84 wait-connect "$MINOR" $WFC
	step wait_connect_D on_d "drbdsetup-84 wait-connect $MINOR $WFC"
	step primary_S drbdsetup-84 primary "$MINOR" --force
	step secondary_D on_d "drbdsetup-84 secondary $MINOR"
	# dual-primary before D's swap: device-mapper opens /dev/drbd0 read-write,
	# which DRBD refuses on a Secondary (the seed, too, makes D primary before
	# its swaps).  D may still be in the sync handshake: retry, bounded.
	step primary_D on_d "for i in \$(seq 50); do drbdsetup-84 primary $MINOR 2>$W/primary.err && echo attempts=\$i && exit 0; sleep 0.2; done; cat $W/primary.err; exit 1"
	# the whole LV (the seed mapped only the meta-data size)
	step swap_S sh_s "echo '0 $sectors linear /dev/drbd$MINOR 0' | dmsetup load $DM && dmsetup suspend $DM && dmsetup resume $DM"
	step swap_D on_d "echo '0 $sectors linear /dev/drbd$MINOR 0' | dmsetup load $DM && dmsetup suspend $DM && dmsetup resume $DM"
	# 3 - Resume VM
	step resume $VIRSH resume "$VM"
	# 4 - Wait for sync
	step wait_sync_S drbdsetup-84 wait-sync "$MINOR" $WFC
	step state_S grep -E " $MINOR: cs:Connected ro:Primary/Primary ds:UpToDate/UpToDate" /proc/drbd
	step state_D on_d "grep -E ' $MINOR: cs:Connected ro:Primary/Primary ds:UpToDate/UpToDate' /proc/drbd"
	# 5 - Migrate (the seed also sets VIR_MIGRATE_TUNNELLED: not here, as in libvirt's runs)
	step migrate $MIGRATE "$VM" "$DEST_URI"
	# 6 - Pause VM (now on hv2)
	step suspend_D on_d "$VIRSH suspend $VM"
	# 7 - Remove DRBD: each host puts back its own saved table first (DRBD
	# cannot go down while a dm table holds /dev/drbd0 open), then down
	step restore_D on_d "dmsetup load $DM $W/table && dmsetup suspend $DM && dmsetup resume $DM"
	step restore_S sh_s "dmsetup load $DM $W/table && dmsetup suspend $DM && dmsetup resume $DM"
	step down_D on_d "drbdsetup-84 down $RES"
	step down_S drbdsetup-84 down "$RES"
	# 8 - Resume VM (the seed resumes only after removing the copies and LVs below)
	step resume_D on_d "$VIRSH resume $VM"
	step rm_copy_S dmsetup remove "$CP"
	step rm_copy_D on_d "dmsetup remove $CP"
	step rm_meta_S lvremove -q -y "vg/$VM.drbdmeta"
	step rm_meta_D on_d "lvremove -q -y vg/$VM.drbdmeta"
	step rm_lv_S lvremove -q -y "vg/$VM"
	step helper_restore_S sh_s "cat $W/helper > /sys/module/drbd/parameters/usermode_helper"
	step helper_restore_D on_d "cat $W/helper > /sys/module/drbd/parameters/usermode_helper"
	mark end
	jobinfo
	events_stop
	data_check
}

# ---- libvirt's storage migration ------------------------------------------
guest_copy() {
	local extra=$2
	guest_common "$1"
	events_start
	# hv2's LV is made before the move starts: not in copy's total
	step lv_D on_d "lvcreate -q -y -Wn -n $VM -L ${SIZE}m vg"
	start_vm
	step migrate $MIGRATE --copy-storage-all $extra "$VM" "$DEST_URI"
	step rm_lv_S lvremove -q -y "vg/$VM"
	mark end
	jobinfo
	events_stop
	data_check
}

# ---- vmhop's move ---------------------------------------------------------
# vmhop's move through its phase commands (issue 10), with the same VM, size,
# resync rate and libvirt URI as the seed's run, each phase on its host in
# order (hv2's through the agent).  Where the phase commands are not in this
# build, it says "vmhop's move: not yet available" and fails (exit 3): no
# number is made up.
guest_vmhop() {
	guest_common "$@"
	local V=$BUILD/vmhop PLAN=/tmp/bench-move.plan.json
	if ! "$V" bridge --help >/dev/null 2>&1; then
		echo "bench: vmhop's move: not yet available (no phase commands in $V: issue 10's engine is not merged)" >&2
		exit 3
	fi
	events_start
	start_vm
	step plan "$V" plan "$VM" --to hv2 --dest-uri "$DEST_URI" --resync-rate "$RESYNC_KIB" --max-downtime 300 -o "$PLAN" --force
	step plan_D on_d "umask 077; base64 -d > $PLAN <<< '$(base64 -w0 "$PLAN")'"
	step preflight_S "$V" --json preflight --plan "$PLAN"
	step preflight_D on_d "$V --json preflight --plan $PLAN"
	step prepare_S "$V" --json prepare --plan "$PLAN"
	step bridge_S "$V" --json bridge --plan "$PLAN"
	echo "VAL bridge_json $(tr -d '\n ' < "$W/bridge_S.out")"
	step prepare_D on_d "$V --json prepare --plan $PLAN"
	step wait_sync_D on_d "$V --json wait-sync --plan $PLAN"
	step wait_sync_S "$V" --json wait-sync --plan "$PLAN"
	step migrate "$V" --json migrate --plan "$PLAN"
	echo "VAL migrate_json $(tr -d '\n ' < "$W/migrate.out")"
	step release_D on_d "$V --json release --plan $PLAN"
	step release_S "$V" --json release --plan "$PLAN"
	step cleanup_S "$V" --json cleanup --plan "$PLAN"
	step cleanup_D on_d "$V --json cleanup --plan $PLAN"
	mark end
	jobinfo
	events_stop
	data_check
}

# ---- vmhop send / receive --------------------------------------------------
# The same move with one process per host: receive started on hv2 in the
# background (through the agent), then send on hv1; the phases' times come
# from send's --json events (hv1's clock, relative to send's start).
guest_send() {
	guest_common "$@"
	local V=$BUILD/vmhop PLAN=/tmp/bench-move.plan.json
	if ! "$V" send --help >/dev/null 2>&1; then
		echo "bench: vmhop send: not yet available in $V" >&2
		exit 3
	fi
	events_start
	start_vm
	# vmhop's own resync rate (100 MiB/s), as libvirt's copy runs unlimited
	step plan "$V" plan "$VM" --to hv2 --dest-uri "$DEST_URI" --max-downtime 300 ${SEND_PLAN_OPTS:-} -o "$PLAN" --force
	step plan_D on_d "umask 077; base64 -d > $PLAN <<< '$(base64 -w0 "$PLAN")'"
	step receive_start on_d "rm -f /tmp/bench-recv.*; (setsid $V --json receive --plan $PLAN > /tmp/bench-recv.out 2>&1 < /dev/null; echo \$? > /tmp/bench-recv.rc) > /dev/null 2>&1 &"
	step send "$V" --json send --plan "$PLAN"
	dump send_events "$W/send.out"
	step receive_wait on_d "for i in \$(seq 1200); do [ -s /tmp/bench-recv.rc ] && break; sleep 0.1; done; tail -n1 /tmp/bench-recv.out; exit \$(cat /tmp/bench-recv.rc)"
	mark end
	jobinfo
	events_stop
	data_check
}

# send with the plan's overlap (vmhop plan --overlap SECONDS, MOVE_OVERLAP_S,
# 5 by default): libvirt's migration starts that long before the sync's end,
# held until DRBD is in sync.
guest_overlap() {
	SEND_PLAN_OPTS="--overlap ${2:-5}" guest_send "$1"
}

# ---------------------------------------------------------------------------
# On the host.
clean_host() {	# what any method may have left on one host, in reverse order
	echo "export DM_DISABLE_UDEV=1 LVM_SUPPRESS_FD_WARNINGS=1
	virsh -q -c qemu:///system destroy $VM >/dev/null 2>&1; virsh -q -c qemu:///system undefine $VM >/dev/null 2>&1
	W=/tmp/bench-move
	[ -s /tmp/bench-move.plan.json ] && $BUILD/vmhop abort --plan /tmp/bench-move.plan.json >/dev/null 2>&1
	if [ -s \$W/table ] && dmsetup table vg-$VM 2>/dev/null | grep -q ' 147:'; then
		dmsetup load vg-$VM \$W/table; dmsetup resume vg-$VM; fi
	drbdsetup-84 down $RES >/dev/null 2>&1
	for r in \$(drbdsetup-84 show 2>/dev/null | awk '/^resource vh-/ {print \$2}'); do drbdsetup-84 down \$r; done
	for d in \$(dmsetup ls | awk '/\\.copy/ {print \$1}'); do dmsetup remove \$d; done
	for l in \$(lvs --noheadings -o lv_name vg | grep '\\.vhmd'); do lvremove -q -y vg/\$l; done
	rm -rf /var/lib/vmhop /tmp/bench-move.plan.json
	dmsetup remove vg-$VM.copy >/dev/null 2>&1
	lvremove -q -y vg/$VM.drbdmeta >/dev/null 2>&1; lvremove -q -y vg/$VM >/dev/null 2>&1
	[ -s /tmp/bench-move.helper0 ] && cat /tmp/bench-move.helper0 > /sys/module/drbd/parameters/usermode_helper
	rm -f /var/log/libvirt/qemu/$VM.serial /tmp/$VM.xml; true"
}
# one line: what of ours is on the host (empty when clean)
left_host() {
	echo "{ virsh -q -c qemu:///system list --all --name | grep -x '$VM';
	lvs --noheadings -o lv_name vg | grep -E '$VM|\\.vhmd';
	dmsetup ls | grep -E '$VM|\\.copy';
	grep -E '^ *[0-9]+: cs:' /proc/drbd;
	[ \"\$(cat /sys/module/drbd/parameters/usermode_helper)\" = \"\$(cat /tmp/bench-move.helper0)\" ] || echo helper=\$(cat /sys/module/drbd/parameters/usermode_helper);
	} | tr '\n' ' '"
}

# bench_init NAME: lib.sh's helpers (say/fail prefixed bench-NAME), the lab's
# time-out for one run, and OUT (build/bench-NAME/) without its old logs.
bench_init() {
	# shellcheck source=tests/lab/lib.sh
	. "$REPO/tests/lab/lib.sh"
	SCENARIO=bench-$1
	export SCENARIO
	export LAB_TIMEOUT=${LAB_TIMEOUT:-1500}
	OUT=$REPO/$BUILD/${BENCH_OUT:-bench-$1}
	mkdir -p "$OUT"
	rm -f "$OUT"/*.log "$OUT"/*.err
}

# agent_up: each host's usermode helper saved (left_host compares with it),
# hv2's agent started (stopped when the script exits), and HOP set: one
# command on hv2 from hv1 through it, in ms (mean of 10).
agent_up() {
	local h
	for h in hv1 hv2; do
		lab_out $h "cat /sys/module/drbd/parameters/usermode_helper > /tmp/bench-move.helper0" >/dev/null
	done
	lab_bg hv2 agent "bash tools/bench/move.sh --agent $D_ADDR $AGENT_PORT $S_ADDR"
	trap 'lab_run hv2 "kill \$(cat /tmp/lab-bg/agent.pid)" >/dev/null 2>&1 || true' EXIT
	lab_out hv1 "for i in \$(seq 50); do (exec 3<>/dev/tcp/$D_ADDR/$AGENT_PORT) 2>/dev/null && exit 0; sleep 0.2; done; exit 1" >/dev/null ||
		fail "hv2's agent does not answer"
	HOP=$(lab_out hv1 "export D_ADDR=$D_ADDR AGENT_PORT=$AGENT_PORT; $(declare -f on_d)
		t0=\$EPOCHREALTIME; for i in 1 2 3 4 5 6 7 8 9 10; do on_d true; done; t1=\$EPOCHREALTIME
		awk -v a=\$t0 -v b=\$t1 'BEGIN { printf \"%.1f\", (b - a) * 100 }'")
}

# bench_round M R/ROUNDS 'SCRIPT ARGS' CLEAN LEFT PATTERN: one run of a
# guest procedure in hv1 (bash SCRIPT ARGS), between two cleanings of both
# hosts (CLEAN: the hosts' commands; LEFT: commands that print what is left,
# nothing when clean); raw log $OUT/M.R.log (its stderr M.R.err, the host's
# load average before and after as HOSTLOAD lines), its lines matching
# PATTERN shown; "M.R" added to FAILED when it fails or leaves something.
bench_round() {
	local m=$1 r=${2%/*} args=$3 clean=$4 leftc=$5 log=$OUT/$1.${2%/*} rc=0 h left
	for h in hv1 hv2; do lab_out $h "$clean" >/dev/null; done
	for h in hv1 hv2; do
		left=$(lab_out $h "$leftc")
		[ -z "$(tr -d ' \n' <<< "$left")" ] || fail "$h is not clean before $m (round $r): $left"
	done
	say "== round $2: $m (host load $(cut -d' ' -f1-3 /proc/loadavg))"
	echo "HOSTLOAD $(cut -d' ' -f1-3 /proc/loadavg)" > "$log.log"
	lab_run hv1 "BUILD=$BUILD bash $args" >> "$log.log" 2> "$log.err" || rc=$?
	echo "HOSTLOAD $(cut -d' ' -f1-3 /proc/loadavg)" >> "$log.log"
	grep -E "$6" "$log.log" | sed "s/^/[$SCENARIO]   /" || true
	for h in hv1 hv2; do lab_out $h "$clean" >/dev/null; done
	if [ "$rc" -ne 0 ]; then
		sed "s/^/[$SCENARIO]   $m: /" "$log.err" >&2
		say "== round $r: $m FAILED (exit $rc)" >&2
		FAILED+=" $m.$r"
		return 0
	fi
	for h in hv1 hv2; do
		left=$(lab_out $h "$leftc")
		[ -z "$(tr -d ' \n' <<< "$left")" ] || { say "$h not clean after $m (round $r): $left" >&2; FAILED+=" $m.$r"; }
	done
}

host_main() {
	local size=${MOVE_SIZE_MIB:-64} only=${MOVE_ONLY:-send,copy} rounds=${MOVE_ROUNDS:-3} m r
	FAILED=
	local usage="usage: move.sh [--size MIB] [--rounds N] [--only send,overlap,copy,copysync,vmhop,seed]"
	while [ $# -gt 0 ]; do
		case $1 in
		--size) size=${2:-}; shift 2 || { echo "$usage" >&2; exit 2; } ;;
		--only) only=${2:-}; shift 2 || { echo "$usage" >&2; exit 2; } ;;
		--rounds) rounds=${2:-}; shift 2 || { echo "$usage" >&2; exit 2; } ;;
		*) echo "$usage" >&2; exit 2 ;;
		esac
	done
	[[ $size =~ ^[0-9]+$ ]] && [ "$size" -ge 8 ] || { echo "move.sh: --size: a number of MiB >= 8" >&2; exit 2; }
	[[ $rounds =~ ^[0-9]+$ ]] && [ "$rounds" -ge 1 ] || { echo "move.sh: --rounds: a number >= 1" >&2; exit 2; }
	for m in ${only//,/ }; do
		case $m in
		seed|copy|copysync|vmhop|send|overlap) ;;
		*) echo "move.sh: unknown method '$m' ($usage)" >&2; exit 2 ;;
		esac
	done
	bench_init move
	lab_out hv2 "$(clean_host)" >/dev/null
	agent_up
	say "size ${size} MiB; $rounds round(s) of: ${only//,/ }; one command on hv2 from hv1 (agent round trip, 'true'): $HOP ms (mean of 10)"
	say "host load: $(cut -d' ' -f1-3 /proc/loadavg); lab guests running on this machine: $(pgrep -fc 'qemu-system-x86_64 -name vmhop-lab' || true) (2 are ours)"
	# The methods alternate within each round (send, copy, send, copy, ...),
	# so a change in the machine's load spreads over all of them.
	for ((r = 1; r <= rounds; r++)); do
		for m in ${only//,/ }; do
			case $m in
			seed) args="seed $size" ;;
			copy) args="copy $size ''" ;;
			copysync) args="copy $size --copy-storage-synchronous-writes" ;;
			vmhop) args="vmhop $size" ;;
			send) args="send $size" ;;
			overlap) args="overlap $size ${MOVE_OVERLAP_S:-5}" ;;
			esac
			bench_round "$m" "$r/$rounds" "tools/bench/move.sh --guest $args" "$(clean_host)" "$(left_host)" '^(STEP|VAL) '
		done
	done
	python3 "$REPO/tools/bench/move-report.py" "$OUT" "$only" "$rounds" "$HOP" "$size"
	[ -z "$FAILED" ] || { say "FAILED:$FAILED" >&2; exit 1; }
}

# Sourced (tools/bench/batch.sh): the functions and settings above only.
[ "${BASH_SOURCE[0]}" = "$0" ] || return 0
case ${1:-} in
--agent) shift; agent "$@" ;;
--guest)
	shift
	m=$1; shift
	"guest_$m" "$@"
	;;
*) host_main "$@" ;;
esac

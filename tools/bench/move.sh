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
# For each: the total time, the time the VM could not write, the sync or copy
# rate, and the overhead (total - sync - libvirt's migration).  It prints
# numbers and asserts nothing about speed; a failed step or a failed data
# check fails the method (and the script) loudly.  Details: docs/bench-move.md.
#
#   LAB_DIR=... tools/bench/move.sh [--size MIB] [--only seed,copy,copysync,vmhop,send]
#       on the host, lab started (both hosts).  MOVE_SIZE_MIB (64) and
#       MOVE_ONLY do the same.  Each method's raw log: build/bench-move/.
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
events_start() {
	setsid stdbuf -oL $VIRSH event --all --loop --timestamp > "$W/events" 2>&1 < /dev/null &
	echo $! > "$W/events.pid"
	on_d "rm -rf $W; mkdir -p $W; setsid stdbuf -oL $VIRSH event --all --loop --timestamp > $W/events 2>&1 < /dev/null &
		echo \$! > $W/events.pid"
	sleep 1
}
events_stop() {
	sleep 0.5
	kill -INT "$(cat "$W/events.pid")" 2>/dev/null || true; sleep 0.3
	dump events.hv1 "$W/events"
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
	start_vm
	step lv_D on_d "lvcreate -q -y -Wn -n $VM -L ${SIZE}m vg"
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
	step plan "$V" plan "$VM" --to hv2 --uri "$DEST_URI" --resync-rate "$RESYNC_KIB" --max-downtime 300 -o "$PLAN" --force
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
	step plan "$V" plan "$VM" --to hv2 --uri "$DEST_URI" --resync-rate "$RESYNC_KIB" --max-downtime 300 -o "$PLAN" --force
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

host_main() {
	local size=${MOVE_SIZE_MIB:-64} only=${MOVE_ONLY:-seed,copy,copysync,vmhop,send} m rc failed=
	while [ $# -gt 0 ]; do
		case $1 in
		--size) size=$2; shift 2 ;;
		--only) only=$2; shift 2 ;;
		*) echo "usage: move.sh [--size MIB] [--only seed,copy,copysync,vmhop,send]" >&2; exit 2 ;;
		esac
	done
	[[ $size =~ ^[0-9]+$ ]] && [ "$size" -ge 8 ] || { echo "move.sh: --size: a number of MiB >= 8" >&2; exit 2; }
	# shellcheck source=tests/lab/lib.sh
	. "$REPO/tests/lab/lib.sh"
	SCENARIO=bench-move	# say/fail prefix (lib.sh)
	export SCENARIO
	export LAB_TIMEOUT=${LAB_TIMEOUT:-1500}
	OUT=$REPO/$BUILD/bench-move
	mkdir -p "$OUT"
	for h in hv1 hv2; do
		lab_out $h "cat /sys/module/drbd/parameters/usermode_helper > /tmp/bench-move.helper0" >/dev/null
	done
	lab_out hv2 "$(clean_host)" >/dev/null
	lab_bg hv2 agent "bash tools/bench/move.sh --agent $D_ADDR $AGENT_PORT $S_ADDR"
	trap 'lab_run hv2 "kill \$(cat /tmp/lab-bg/agent.pid)" >/dev/null 2>&1 || true' EXIT
	lab_out hv1 "for i in \$(seq 50); do (exec 3<>/dev/tcp/$D_ADDR/$AGENT_PORT) 2>/dev/null && exit 0; sleep 0.2; done; exit 1" >/dev/null ||
		fail "hv2's agent does not answer"
	local hop
	hop=$(lab_out hv1 "export D_ADDR=$D_ADDR AGENT_PORT=$AGENT_PORT; $(declare -f on_d)
		t0=\$EPOCHREALTIME; for i in 1 2 3 4 5 6 7 8 9 10; do on_d true; done; t1=\$EPOCHREALTIME
		awk -v a=\$t0 -v b=\$t1 'BEGIN { printf \"%.1f\", (b - a) * 100 }'")
	say "size ${size} MiB; one command on hv2 from hv1 (agent round trip, 'true'): $hop ms (mean of 10)"
	say "host load: $(cut -d' ' -f1-3 /proc/loadavg); lab guests running on this machine: $(pgrep -fc 'qemu-system-x86_64 -name vmhop-lab' || true) (2 are ours)"
	for m in ${only//,/ }; do
		case $m in
		seed) args="seed $size" ;;
		copy) args="copy $size ''" ;;
		copysync) args="copy $size --copy-storage-synchronous-writes" ;;
		vmhop) args="vmhop $size" ;;
		send) args="send $size" ;;
		*) fail "unknown method $m" ;;
		esac
		for h in hv1 hv2; do lab_out $h "$(clean_host)" >/dev/null; done
		for h in hv1 hv2; do
			[ -z "$(lab_out $h "$(left_host)" | tr -d ' ')" ] || fail "$h is not clean before $m: $(lab_out $h "$(left_host)")"
		done
		say "== $m"
		rc=0
		lab_run hv1 "BUILD=$BUILD bash tools/bench/move.sh --guest $args" > "$OUT/$m.log" 2> "$OUT/$m.err" || rc=$?
		grep -E '^(STEP|VAL) ' "$OUT/$m.log" | sed "s/^/[bench-move]   /" || true
		for h in hv1 hv2; do lab_out $h "$(clean_host)" >/dev/null; done
		if [ "$rc" -ne 0 ]; then
			sed "s/^/[bench-move]   $m: /" "$OUT/$m.err" >&2
			say "== $m FAILED (exit $rc)" >&2
			failed+=" $m"
			continue
		fi
		for h in hv1 hv2; do
			left=$(lab_out $h "$(left_host)")
			[ -z "${left// /}" ] || { say "$h not clean after $m: $left" >&2; failed+=" $m"; }
		done
	done
	python3 - "$OUT" "$only" "$hop" <<-'PY'
	import datetime, json, os, re, sys
	out, only, hop = sys.argv[1], sys.argv[2].split(","), float(sys.argv[3])
	def ts(line):	# libvirt's event timestamp: "2026-12-01 08:50:12.345+0000: event ..."
	    m = re.match(r"(\d+-\d+-\d+ \d+:\d+:\d+\.\d+)\+0000: ", line)
	    if not m: return None
	    return datetime.datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S.%f").replace(
	        tzinfo=datetime.timezone.utc).timestamp()
	def pauses(lines):	# Suspended Paused -> Resumed Unpaused, as libvirt saw them
	    r, t = [], None
	    for l in lines:
	        if "'lifecycle'" in l and "Suspended Paused" in l: t = ts(l)
	        elif "'lifecycle'" in l and "Resumed Unpaused" in l and t is not None:
	            r.append((ts(l) - t) * 1000); t = None
	    return r
	def resync(lines):	# DRBD's own: kernel timestamps of "Began resync" and "Resync done"
	    b = d = None
	    for l in lines:
	        m = re.match(r"\[\s*(\d+\.\d+)\]", l)
	        if not m: continue
	        if "Began resync as SyncSource" in l: b = float(m.group(1))
	        elif "Resync done" in l and b is not None: d = float(m.group(1))
	    return (d - b) * 1000 if b is not None and d is not None else None
	f = lambda v, p="%.0f": (p % v) if v is not None else "?"
	label = {"seed": "seed procedure", "copy": "copy-storage-all",
	         "copysync": "copy-storage-all+sync-writes", "vmhop": "vmhop phases",
	         "send": "vmhop send/receive"}
	rows = []
	for m in only:
	    p = os.path.join(out, m + ".log")
	    if not os.path.exists(p): continue
	    st, val, files, cur, clk = {}, {}, {}, None, []
	    for l in open(p):
	        l = l.rstrip("\n")
	        if cur is not None:
	            if l == "@@END": cur = None
	            else: files[cur].append(l)
	            continue
	        w = l.split(" ")
	        if w[0] == "STEP" and len(w) == 4: st[w[1]] = (float(w[2]), float(w[3]))
	        elif w[0] == "VAL" and len(w) >= 3: val[w[1]] = " ".join(w[2:])
	        elif w[0] == "@@FILE": cur = w[1]; files[cur] = []
	        elif w[0] == "CLK" and len(w) == 4: clk.append(tuple(map(float, w[1:])))
	    if "end" not in val or "check" not in val:
	        rows.append((label[m], None)); continue
	    if m == "send":	# send's phases, from its events, in hv1's clock
	        sev = [json.loads(l) for l in files.get("send_events", []) if l.startswith("{")]
	        pt = {}
	        for e in sev:
	            if e["event"] in ("phase-start", "phase-end"):
	                pt.setdefault(e["phase"], [None, None])[e["event"] == "phase-end"] = st["send"][0] + e["t"]
	        for k, (a, b) in pt.items():
	            if a is not None and b is not None: st[k] = (a, b)
	        val["send_summary"] = json.dumps(sev[-1]) if sev else "{}"
	    dur = lambda a, b: (st[b][1] - st[a][0]) * 1000
	    ji = {}
	    for l in files.get("jobinfo", []):
	        k, _, v = l.partition(":")
	        ji[k.strip()] = v.strip()
	    # libvirt's "Total downtime" on hv2 is hv2's clock at the end minus
	    # hv1's at the stop: it carries the guests' clock offset (+890 ms in
	    # one run).  "Downtime w/o network" takes out the time the stats
	    # took from hv1 to hv2, and the offset with it; libvirt leaves it
	    # out when hv2's clock is behind (the total is then QEMU's own).
	    dk = "Downtime w/o network" if "Downtime w/o network" in ji else "Total downtime"
	    down = float(ji[dk].split()[0]) if dk in ji else None
	    total = (float(val["end"]) - float(val["t0"])) * 1000
	    mig = dur("migrate", "migrate")
	    size = int(val["size_bytes"])
	    ev1, ev2 = files.get("events.hv1", []), files.get("events.hv2", [])
	    # hv2's clock minus hv1's, from the quickest round trip
	    a, d, b = min(clk, key=lambda c: c[2] - c[0]) if clk else (0, 0, 0)
	    off, unc = d - (a + b) / 2, (b - a) / 2
	    # the destination's QEMU is up (libvirt's "Started Migrated" on hv2), in hv1's clock
	    t_up = next((ts(l) - off for l in ev2 if "Started Migrated" in l), None)
	    up = (t_up - st["migrate"][0]) * 1000 if t_up else None
	    # the switchover as libvirt's events show it: the VM stopped on hv1
	    # ("Suspended Migrated") until it runs on hv2 (the first "Resumed" there)
	    t_stop = next((ts(l) for l in ev1 if "Suspended Migrated" in l), None)
	    t_run = next((ts(l) - off for l in ev2 if "'lifecycle'" in l and "Resumed" in l), None)
	    sw = (t_run - t_stop) * 1000 if t_stop and t_run else None
	    clock = ("stopped on hv1 -> running on hv2 %s ms (libvirt's events); hv2's QEMU up %s ms into "
	             "the migration (clocks: hv2 - hv1 = %.0f ms +- %.0f)" % (f(sw), f(up), off * 1000, unc * 1000))
	    if m == "seed":
	        ev = pauses(ev1) + pauses(ev2)
	        vp = [dur("suspend", "resume"), dur("suspend_D", "resume_D")]
	        sync = resync(files.get("dmesg.hv1", [])) or dur("primary_S", "wait_sync_S")
	        # libvirt's record of the two pauses when it has both, else virsh's
	        stall = (sum(ev) if len(ev) == 2 else sum(vp)) + (down or 0)
	        names = list(st)
	        in1 = names[names.index("suspend") + 1:names.index("resume")]
	        in2 = names[names.index("suspend_D") + 1:names.index("resume_D")]
	        hops = sum(1 for n in in1 + in2 if n.endswith("_D")) + 2
	        detail = ("pauses %s ms (libvirt's events; virsh calls: %s ms); %d steps in them, %d on hv2 "
	                  "(a hop to hv2 costs ~%.0f ms of them)" % (" + ".join(f(x) for x in ev) or "?",
	                  " + ".join(f(x) for x in vp), len(in1) + len(in2) + 3, hops, hop))
	        overhead = total - sync - mig
	    elif m == "vmhop":
	        bj, mj = json.loads(val["bridge_json"]), json.loads(val["migrate_json"])
	        freeze = sum(bj.get("freeze_ns", [])) / 1e6
	        down = down if down is not None else mj.get("downtime_ms")
	        sync = resync(files.get("dmesg.hv1", [])) or dur("prepare_D", "wait_sync_S")
	        # libvirt's downtime + the gate + the resume on D = from the stop on
	        # hv1 to the run on hv2 (events); libvirt's downtime alone if no events
	        stall = freeze + (sw if sw is not None else (down or 0))
	        detail = ("bridge freeze %.3f ms + (libvirt downtime %s ms, then the gate and the resume on hv2): "
	                  "gate %s" % (freeze, f(down), mj.get("gate", "?")))
	        overhead = total - sync - mig
	    elif m == "send":
	        sj = json.loads(val["send_summary"])
	        freeze = sum(sj.get("freeze_ns", [])) / 1e6
	        down = down if down is not None else sj.get("downtime_ms")
	        sync = resync(files.get("dmesg.hv1", [])) or dur("wait-sync", "wait-sync")
	        stall = freeze + (sw if sw is not None else (down or 0))
	        detail = ("bridge freeze %.3f ms + (libvirt downtime %s ms, then the gate and the resume on hv2: "
	                  "%s ms by send's clock)" % (freeze, f(down), f(sj.get("switch_ms"))))
	        # The same stop -> run on hv1's clock alone, without the events'
	        # delivery delays: QEMU stopped on hv1 at the job's start + its
	        # elapsed time - its downtime (libvirt's job-completed event); the
	        # job's start is the earliest of send's progress events' t minus
	        # the elapsed time libvirt gave in it (each is read after libvirt
	        # computed it: the earliest is the tightest); it runs on hv2 when
	        # send goes on to the next step after the resume.
	        t_mig = min((e["t"] - e["elapsed_ms"] / 1000 for e in sev
	                     if e["event"] == "migrate" and e.get("elapsed_ms")), default=None)
	        t_next = next((e["t"] for e in sev if e["event"] == "step" and e["what"].startswith("undefine ")), None)
	        jc = {}
	        for l in ev1[next((i for i, l in enumerate(ev1) if "'job-completed'" in l), len(ev1)):]:
	            k, _, v = l.strip().partition(": ")
	            if k in ("time_elapsed", "downtime", "downtime_net") and k not in jc: jc[k] = float(v)
	        if "downtime_net" in jc: jc["downtime"] = jc["downtime_net"]
	        if t_mig is not None and t_next is not None and "time_elapsed" in jc and "downtime" in jc:
	            detail += ("; by hv1's clock alone, QEMU stopped on hv1 (job start + elapsed %.0f - downtime "
	                       "%.0f) -> running on hv2 (send's step after the resume) %.0f ms" % (jc["time_elapsed"],
	                       jc["downtime"], (t_next - t_mig) * 1000 - (jc["time_elapsed"] - jc["downtime"])))
	        overhead = total - sync - mig
	    else:
	        # the disk copy: libvirt starts the destination's QEMU with an NBD
	        # server, mirrors the disk, and migrates the memory once the mirror
	        # is ready: from "Started Migrated" on hv2 to "Block Copy ... ready" on hv1
	        t_ready = next((ts(l) for l in ev1 if "'block-job-2'" in l and "ready" in l), None)
	        sync = (t_ready - t_up) * 1000 if t_ready and t_up else None
	        stall = down
	        detail = "copy: from hv2's QEMU start to libvirt's block-copy ready event"
	        overhead = total - mig
	    detail += "; " + clock
	    rows.append((label[m], dict(total=total, stall=stall, down=down, sync=sync, mig=mig,
	                 rate=(size / 2**20) / (sync / 1000) if sync else None, overhead=overhead,
	                 check=val.get("check", "?"), detail=detail)))
	hdr = ("method", "total ms", "no-write ms", "libvirt dt", "sync ms", "MiB/s", "migrate ms", "overhead")
	fmt = "[bench-move] %-30s %9s %11s %10s %9s %7s %10s %9s"
	print(fmt % hdr)
	for name, r in rows:
	    if r is None:
	        print("[bench-move] %-30s %s" % (name, "FAILED or not available (see above)")); continue
	    print(fmt % (name, f(r["total"]), f(r["stall"]), f(r["down"]), f(r["sync"]),
	          f(r["rate"], "%.1f"), f(r["mig"]), f(r["overhead"])))
	for name, r in rows:
	    if r: print("[bench-move]   %s: %s; data check on hv2: %s" % (name, r["detail"], r["check"]))
	print("[bench-move]   overhead = total - sync - migrate (libvirt's runs: total - migrate, the copy is inside it)")
	PY
	[ -z "$failed" ] || { say "FAILED:$failed" >&2; exit 1; }
}

case ${1:-} in
--agent) shift; agent "$@" ;;
--guest)
	shift
	m=$1; shift
	"guest_$m" "$@"
	;;
*) host_main "$@" ;;
esac

#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The two-hypervisor lab: Debian 12's kernel under QEMU (TCG), the host's / as a
# read-only root with a tmpfs overlay, a virtio disk holding VG "vg" in each
# guest, a private link between them over a loopback socket, libvirtd in each.
#
#   lab.sh start            boot the guests and wait until each is ready
#   lab.sh run HOST CMD...  run CMD (bash) in HOST as root, cwd = this repo;
#                           prints its output, exits with its status
#   lab.sh cp-out HOST PATH DEST   copy a file out of a guest
#   lab.sh status           which guests run
#   lab.sh stop             kill every QEMU this lab started
#   lab.sh console HOST     print a guest's console log
#   lab.sh poweroff HOST    kill one guest's QEMU at once (a host that loses power)
#   lab.sh boot HOST        boot that guest again (fresh disk, fresh VG) and wait
#
# Environment: LAB_DIR (build/lab), LAB_PORT (47710, the link's loopback port),
# LAB_HOSTS (2: hv1 and hv2; 1 for hv1 alone), LAB_MEM (MiB, 1280),
# LAB_DISK_MB (2048), LAB_TIMEOUT (seconds for one `run`, 600),
# LAB_BOOT_TIMEOUT (seconds to be ready, 240), LAB_SLOTS (labs that may run at
# once on this machine, 2: a lab is two TCG guests and the machine has 2 cores; a
# `start` beyond that waits up to LAB_SLOT_WAIT seconds, 1800, for a slot),
# LAB_TRACE (a file: each `run`'s seconds, host, status and command appended).
set -euo pipefail

REPO=$(cd "$(dirname "$0")/../.." && pwd)
LAB_DIR=${LAB_DIR:-$REPO/build/lab}
case $LAB_DIR in /*) ;; *) LAB_DIR=$REPO/$LAB_DIR ;; esac
LAB_PORT=${LAB_PORT:-47710}
LAB_HOSTS=${LAB_HOSTS:-2}
LAB_MEM=${LAB_MEM:-1280}
LAB_DISK_MB=${LAB_DISK_MB:-2048}
LAB_TIMEOUT=${LAB_TIMEOUT:-600}
LAB_BOOT_TIMEOUT=${LAB_BOOT_TIMEOUT:-240}
KDIR=$REPO/build/kernel

die() { echo "lab: $*" >&2; exit 1; }
hosts() { local i; for ((i = 1; i <= LAB_HOSTS; i++)); do echo "hv$i"; done; }
# QEMU removes its own pidfile when it exits; launcher.pid is the QEMU process itself
# (setsid execs it), kept until stop.
alive() { local pid; pid=$(cat "$LAB_DIR/$1/launcher.pid" 2>/dev/null) && [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; }
now() { date +%s.%N; }

# Modules in load order (LAB.md); dependencies first.  The traffic-control ones
# let a scenario cut one TCP port of the link (or slow it: tbf), the socket-diag ones let it reset
# DRBD's connections (`ss -K`: a link that breaks and comes back; fault.sh).
# The bridge ones let a lab VM have a NIC on a host bridge (61-refuse, part g).
MODULES="virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci
lru_cache crc32c_generic libcrc32c drbd dm-mod failover net_failover virtio_net
virtio_blk netfs fscache 9pnet 9pnet_virtio 9p overlay
sch_prio sch_ingress sch_tbf cls_u32 act_gact inet_diag tcp_diag
llc stp bridge tun"

build_initramfs() {
	local ver out stage m path
	[ -f "$KDIR/ready" ] || die "no kernel in $KDIR: run 'make deps-lab'"
	ver=$(cat "$KDIR/version")
	out=$LAB_DIR/initramfs.cpio.gz
	if [ -f "$out" ] && [ "$out" -nt "$REPO/tools/lab/initramfs-init" ] && [ "$out" -nt "$KDIR/ready" ] && [ "$out" -nt "$0" ]; then
		return 0
	fi
	stage=$(mktemp -d "$LAB_DIR/initramfs.XXXXXX")
	mkdir -p "$stage"/{bin,proc,sys,dev,modules,mnt,newroot}
	cp /bin/busybox "$stage/bin/busybox"
	: > "$stage/modules.list"
	for m in $MODULES; do
		path=$(find "$KDIR/root/lib/modules/$ver" -name "$m.ko" -o -name "${m//-/_}.ko" | head -n1)
		if [ -z "$path" ]; then
			# Built into the kernel, then: nothing to load.
			grep -qE "/(${m}|${m//-/_})\.ko$" "$KDIR/root/lib/modules/$ver/modules.builtin" 2>/dev/null ||
				echo "lab: note: module $m not found" >&2
			continue
		fi
		cp "$path" "$stage/modules/$m.ko"
		echo "$m" >> "$stage/modules.list"
	done
	cp "$REPO/tools/lab/initramfs-init" "$stage/init"
	chmod +x "$stage/init"
	(cd "$stage" && find . | cpio -o -H newc --quiet | gzip -1) > "$out.tmp"
	mv "$out.tmp" "$out"
	rm -rf "$stage"
}

accel() {
	# LAB.md: KVM hangs on these machines.  Use it only when asked and it works.
	if [ "${LAB_KVM:-0}" = 1 ] && [ -w /dev/kvm ]; then echo "-accel kvm -cpu host"; else echo "-accel tcg -cpu max"; fi
}

start_host() {
	local h=$1 i=${1#hv} d=$LAB_DIR/$1 net
	mkdir -p "$d/share/cmd" "$d/share/out"
	rm -f "$d/share/ready" "$d/share/poweroff" "$d/share/boot.log" "$d/share/cmd/"* "$d/share/out/"*
	local lines="" j
	for ((j = 1; j <= LAB_HOSTS; j++)); do lines+="169.254.77.$j hv$j;"; done
	cat > "$d/share/config" <<CFG
LAB_HOST=$h
LAB_IP=169.254.77.$i
LAB_REPO=$REPO
LAB_HOSTS_LINES="$lines"
CFG
	rm -f "$d/disk.img"
	truncate -s "${LAB_DISK_MB}M" "$d/disk.img"
	net=()
	if [ "$LAB_HOSTS" -ge 2 ]; then
		if [ "$i" = 1 ]; then
			net=(-netdev "socket,id=n0,listen=127.0.0.1:$LAB_PORT")
		else
			net=(-netdev "socket,id=n0,connect=127.0.0.1:$LAB_PORT")
		fi
		net+=(-device "virtio-net-pci,netdev=n0,mac=52:54:00:77:00:0$i")
	else
		net=(-nic none)
	fi
	# shellcheck disable=SC2046
	setsid qemu-system-x86_64 -name "vmhop-lab-$h,process=vmhop-lab-$h" $(accel) \
		-m "$LAB_MEM" -smp 1 -nographic -no-reboot -monitor none \
		-serial "file:$d/console.log" \
		-kernel "$KDIR/vmlinuz" -initrd "$LAB_DIR/initramfs.cpio.gz" \
		-append "console=ttyS0 panic=-1 quiet loglevel=4" \
		-drive "file=$d/disk.img,if=virtio,format=raw,cache=unsafe,discard=unmap" \
		-virtfs "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap" \
		-virtfs "local,path=$REPO,mount_tag=repo,security_model=none,readonly=on,multidevs=remap" \
		-virtfs "local,path=$d/share,mount_tag=labshare,security_model=none,multidevs=remap" \
		"${net[@]}" \
		-pidfile "$d/qemu.pid" </dev/null >"$d/qemu.log" 2>&1 &
	echo $! > "$d/launcher.pid"
}

# A slot is a lock file held, for the lab's life, by a small watcher that lets go
# when `stop` removes $LAB_DIR/slot.held or every QEMU of this lab has gone.
take_slot() {
	local waited=0 i slot
	while :; do
		for ((i = 1; i <= ${LAB_SLOTS:-2}; i++)); do
			slot=/tmp/vmhop-lab-slot.$i
			if flock -n "$slot" true; then
				touch "$LAB_DIR/slot.held"
				setsid flock -n "$slot" bash -c '
					d=$1; sleep 20
					while [ -e "$d/slot.held" ]; do
						up=
						for p in "$d"/hv*/launcher.pid; do
							kill -0 "$(cat "$p" 2>/dev/null || echo x)" 2>/dev/null && up=1
						done
						[ -n "$up" ] || break
						sleep 2
					done' _ "$LAB_DIR" </dev/null >/dev/null 2>&1 &
				echo $! > "$LAB_DIR/slot.pid"
				sleep 0.2
				kill -0 "$(cat "$LAB_DIR/slot.pid")" 2>/dev/null && return 0
			fi
		done
		[ "$waited" -eq 0 ] && echo "lab: all ${LAB_SLOTS:-2} lab slots are busy on this machine; waiting" >&2
		[ "$waited" -ge "${LAB_SLOT_WAIT:-1800}" ] && die "no free lab slot after ${waited}s"
		sleep 5
		waited=$((waited + 5))
	done
}

cmd_start() {
	local h t0 deadline
	mkdir -p "$LAB_DIR"
	cmd_stop quiet
	take_slot
	build_initramfs
	t0=$(now)
	for h in $(hosts); do
		start_host "$h"
		# The listener must be up before the peer connects.
		for _ in $(seq 1 50); do [ -s "$LAB_DIR/$h/qemu.pid" ] && break; alive "$h" || break; sleep 0.1; done
		[ -s "$LAB_DIR/$h/qemu.pid" ] || { tail -5 "$LAB_DIR/$h/qemu.log" >&2; cmd_stop quiet; die "$h: QEMU did not start"; }
	done
	deadline=$(( $(date +%s) + LAB_BOOT_TIMEOUT ))
	for h in $(hosts); do
		until [ -e "$LAB_DIR/$h/share/ready" ]; do
			if ! alive "$h"; then
				tail -20 "$LAB_DIR/$h/console.log" >&2 || true
				cmd_stop quiet; die "$h: QEMU exited during boot (console above)"
			fi
			if [ "$(date +%s)" -ge "$deadline" ]; then
				tail -20 "$LAB_DIR/$h/console.log" >&2 || true
				cmd_stop quiet; die "$h: not ready after ${LAB_BOOT_TIMEOUT}s (console above)"
			fi
			sleep 0.5
		done
		if grep -qE 'failed|did not start' "$LAB_DIR/$h/share/boot.log"; then
			cat "$LAB_DIR/$h/share/boot.log" >&2
			cmd_stop quiet; die "$h: guest set-up failed"
		fi
	done
	awk -v a="$t0" -v b="$(now)" -v h="$(hosts | tr '\n' ' ')" 'BEGIN { printf "lab: %sready in %.1f s\n", h, b - a }'
}

cmd_run() {
	local h=${1:?host} id d out rc off=0 size deadline t0=
	shift
	d=$LAB_DIR/$h/share
	[ -e "$d/ready" ] || die "$h is not running (lab.sh start)"
	id=$(date +%s%N)-$$-$RANDOM
	[ -z "${LAB_TRACE:-}" ] || t0=$(now)
	echo "$LAB_TIMEOUT" > "$d/cmd/$id.timeout"
	printf '%s\n' "$*" > "$d/cmd/.$id.tmp"
	mv "$d/cmd/.$id.tmp" "$d/cmd/$id.sh"
	out=$d/out/$id.out
	deadline=$((SECONDS + LAB_TIMEOUT + 30))
	# Stream the output as it comes, then the rest once the status is written.
	while [ ! -s "$d/out/$id.rc" ]; do
		if [ -e "$out" ]; then
			size=$(stat -c %s "$out")
			if [ "$size" -gt "$off" ]; then
				tail -c +"$((off + 1))" "$out" | head -c "$((size - off))"
				off=$size
			fi
		fi
		if [ "$SECONDS" -ge "$deadline" ]; then
			echo "lab: $h: no answer after $((LAB_TIMEOUT + 30))s" >&2
			return 124
		fi
		if ! alive "$h"; then
			echo "lab: $h: QEMU is gone" >&2
			return 125
		fi
		sleep 0.1
	done
	[ -e "$out" ] && tail -c +"$((off + 1))" "$out"
	rc=$(cat "$d/out/$id.rc")
	rm -f "$d/out/$id".* "$d/cmd/$id".*
	# LAB_TRACE=FILE: one line per run (seconds, host, status, the command's start),
	# to find where a scenario's time goes.
	[ -z "${LAB_TRACE:-}" ] || printf '%s %s %s %s\n' "$(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }')" \
		"$h" "$rc" "$(printf '%s' "$*" | tr -s '\n\t ' ' ' | cut -c1-160)" >> "$LAB_TRACE"
	return "$rc"
}

cmd_stop() {
	local h pid any=
	for d in "$LAB_DIR"/hv*; do
		[ -d "$d" ] || continue
		for f in qemu.pid launcher.pid; do
			pid=$(cat "$d/$f" 2>/dev/null || true)
			[ -n "$pid" ] || continue
			if kill -0 "$pid" 2>/dev/null; then
				kill "$pid" 2>/dev/null || true
				any=1
			fi
		done
	done
	if [ -n "$any" ]; then
		sleep 0.5
		for d in "$LAB_DIR"/hv*; do
			for f in qemu.pid launcher.pid; do
				pid=$(cat "$d/$f" 2>/dev/null || true)
				[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null || true
			done
		done
	fi
	for d in "$LAB_DIR"/hv*; do
		[ -d "$d" ] || continue
		rm -f "$d/qemu.pid" "$d/launcher.pid" "$d/share/ready" "$d/disk.img"
	done
	rm -f "$LAB_DIR/slot.held"
	pid=$(cat "$LAB_DIR/slot.pid" 2>/dev/null || true)
	[ -n "$pid" ] && kill "$pid" 2>/dev/null || true
	rm -f "$LAB_DIR/slot.pid"
	[ "${1:-}" = quiet ] || echo "lab: stopped"
}

cmd_poweroff() {
	local h=${1:?host} f pid
	for f in qemu.pid launcher.pid; do
		pid=$(cat "$LAB_DIR/$h/$f" 2>/dev/null || true)
		[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null || true
	done
	for _ in $(seq 1 50); do alive "$h" || break; sleep 0.1; done
	alive "$h" && die "$h: QEMU did not die"
	rm -f "$LAB_DIR/$h/qemu.pid" "$LAB_DIR/$h/share/ready"
	echo "lab: $h powered off"
}

# Boot one guest of a running lab again (after poweroff).  hv1 holds the link's
# listening socket, which QEMU accepts again after its peer went away.
cmd_boot() {
	local h=${1:?host} t0 deadline
	alive "$h" && die "$h is running"
	t0=$(now)
	start_host "$h"
	deadline=$(( $(date +%s) + LAB_BOOT_TIMEOUT ))
	until [ -e "$LAB_DIR/$h/share/ready" ]; do
		alive "$h" || { tail -20 "$LAB_DIR/$h/console.log" >&2; die "$h: QEMU exited during boot"; }
		[ "$(date +%s)" -lt "$deadline" ] || { tail -20 "$LAB_DIR/$h/console.log" >&2; die "$h: not ready after ${LAB_BOOT_TIMEOUT}s"; }
		sleep 0.5
	done
	awk -v a="$t0" -v b="$(now)" -v h="$h" 'BEGIN { printf "lab: %s ready again in %.1f s\n", h, b - a }'
}

cmd_status() {
	local h
	for h in $(hosts); do
		if alive "$h"; then
			echo "$h: running (pid $(cat "$LAB_DIR/$h/launcher.pid"))$([ -e "$LAB_DIR/$h/share/ready" ] && echo ', ready')"
		else
			echo "$h: stopped"
		fi
	done
}

cmd_cp_out() {
	local h=${1:?host} path=${2:?path} dest=${3:?dest} name
	name=cp-$RANDOM-$(basename "$path")
	cmd_run "$h" "cp '$path' '/lab/out/$name'" || return
	mv "$LAB_DIR/$h/share/out/$name" "$dest"
}

case ${1:-} in
start) cmd_start ;;
run) shift; cmd_run "$@" ;;
cp-out) shift; cmd_cp_out "$@" ;;
stop) cmd_stop ;;
poweroff) shift; cmd_poweroff "$@" ;;
boot) shift; cmd_boot "$@" ;;
status) cmd_status ;;
console) cat "$LAB_DIR/${2:?host}/console.log" ;;
*) sed -n '4,23p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac

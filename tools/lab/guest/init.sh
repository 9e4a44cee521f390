#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# PID 1 of a lab guest (after switch_root): network, LVM, libvirt, then the agent
# that runs the commands the host drops into /lab/cmd.
set -u
. /lab/config
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/lib/drbd
export HOME=/root LANG=C.UTF-8 TERM=dumb
# No udev in the guests: libdevmapper makes its own /dev/mapper nodes.
export DM_DISABLE_UDEV=1
log() { echo "lab-guest[$LAB_HOST]: $*" > /dev/console; echo "$*" >> /lab/boot.log; }
cd /

# devtmpfs has no /dev/fd and friends (udev would make them); bash's <(...) needs them.
ln -sfn /proc/self/fd /dev/fd
ln -sfn /proc/self/fd/0 /dev/stdin
ln -sfn /proc/self/fd/1 /dev/stdout
ln -sfn /proc/self/fd/2 /dev/stderr

hostname "$LAB_HOST"
echo "$LAB_HOST" > /etc/hostname
ip link set lo up
LISTEN=$LAB_IP
if ip link show eth0 >/dev/null 2>&1; then
	ip link set eth0 up
	ip addr add "$LAB_IP/24" dev eth0
else
	# A lab of one host has no link: libvirtd listens on loopback instead.
	LISTEN=127.0.0.1
fi
{
	echo "127.0.0.1 localhost"
	echo "$LAB_HOSTS_LINES" | tr ';' '\n'
} > /etc/hosts

# LVM without udev, looking at the lab disk only.
mkdir -p /etc/lvm /run/lvm /run/lock/lvm
cat > /etc/lvm/lvm.conf <<'LVM'
devices {
	filter = [ "a|^/dev/vda$|", "r|.*|" ]
	global_filter = [ "a|^/dev/vda$|", "r|.*|" ]
	obtain_device_list_from_udev = 0
	external_device_info_source = "none"
	use_devicesfile = 0
}
activation {
	udev_sync = 0
	udev_rules = 0
	monitoring = 0
}
global {
	use_lvmetad = 0
	event_activation = 0
}
LVM
if pvcreate -ff -y /dev/vda >/tmp/lvm.log 2>&1 && vgcreate vg /dev/vda >>/tmp/lvm.log 2>&1; then
	log "vg ready"
else
	log "LVM setup failed: $(tr '\n' ' ' < /tmp/lvm.log)"
fi

# libvirt: root-run QEMU, no cgroups, no namespaces, TCP on the private link.
grep -q '^libvirt-qemu:' /etc/group || echo 'libvirt-qemu:x:64055:' >> /etc/group
grep -q '^libvirt-qemu:' /etc/passwd || echo 'libvirt-qemu:x:64055:64055:Libvirt Qemu,,,:/var/lib/libvirt:/usr/sbin/nologin' >> /etc/passwd
grep -q '^libvirt:' /etc/group || echo 'libvirt:x:64056:' >> /etc/group
mkdir -p /etc/libvirt /var/lib/libvirt /var/log/libvirt/qemu /var/cache/libvirt /run/libvirt
cat > /etc/libvirt/qemu.conf <<'QC'
user = "root"
group = "root"
dynamic_ownership = 0
remember_owner = 0
security_driver = "none"
cgroup_controllers = [ ]
namespaces = [ ]
QC
cat > /etc/libvirt/libvirtd.conf <<LC
listen_tls = 0
listen_tcp = 1
listen_addr = "$LISTEN"
auth_tcp = "none"
auth_unix_rw = "none"
unix_sock_group = "root"
log_outputs = "3:file:/var/log/libvirt/libvirtd.log"
LC
virtlogd -d
libvirtd -d -l -f /etc/libvirt/libvirtd.conf
for i in $(seq 1 100); do
	virsh -c qemu:///system version >/dev/null 2>&1 && break
	pgrep -x libvirtd >/dev/null || break	# it died: no point in waiting
	sleep 0.2
done
if virsh -c qemu:///system version >/dev/null 2>&1; then
	log "libvirtd ready"
else
	log "libvirtd did not start"
fi
echo ok > /lab/ready

# The agent: each /lab/cmd/ID.sh runs once, output to /lab/out/ID.out, status to
# /lab/out/ID.rc.  Idle, it forks nothing (bash builtins only; `read -t` on a FIFO
# that never gets data is the sleep): under TCG every fork costs.
mkdir -p /lab/cmd /lab/out
mkfifo /run/lab-agent.tick
exec 9<> /run/lab-agent.tick
shopt -s nullglob
declare -A seen
while :; do
	for f in /lab/cmd/*.sh; do
		id=${f##*/}
		id=${id%.sh}
		[ -n "${seen[$id]:-}" ] && continue
		seen[$id]=1
		(
			limit=600
			[ -e "/lab/cmd/$id.timeout" ] && read -r limit < "/lab/cmd/$id.timeout"
			cd "$LAB_REPO" 2>/dev/null || cd /
			exec > "/lab/out/$id.out" 2>&1 < /dev/null 9<&-
			timeout -k 5 "$limit" bash "$f"
			echo $? > "/lab/out/$id.rc"
		) &
	done
	[ -e /lab/poweroff ] && { sync; echo o > /proc/sysrq-trigger; }
	read -r -t 0.1 -u 9 _
done

#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Lab scenario: the harness the fault scenarios rely on works as they assume.
#   1. a background command: its status comes back; killed with SIGTERM it
#      ends 143, and the signal reached the command itself, not a wrapper
#   2. cutting one TCP port of the link stops that port only (libvirt's TCP
#      port from hv1 to hv2 here; another port is still carried), and restore
#      brings it back
#   3. libvirtd stopped on hv2 refuses hv1's connection; started, it answers
#   4. hv2 powered off (QEMU killed) and booted again: fresh VG, libvirtd, link
# timeout: 420
. "$(dirname "$0")/lib.sh"
t0=$(now)
VIRSH2="virsh -q -c qemu+tcp://hv2/system"
cleanup() {
	set +e
	lab_run hv1 "$FAULT restore" >/dev/null 2>&1
	lab_run hv2 "pgrep -x libvirtd >/dev/null || $FAULT libvirtd start" >/dev/null 2>&1
}
trap cleanup EXIT

# 1. background commands
lab_bg hv1 ok "bash -c 'echo hello; exit 7'"
rc=0; lab_bg_wait hv1 ok 30 || rc=$?
assert_eq "$rc" 7 "status of a background command"
assert_eq "$(lab_bg_log hv1 ok)" hello "its output"
lab_bg hv1 sleeper "sleep 300"
pid=$(lab_out hv1 "cat /tmp/lab-bg/sleeper.pid")
assert_eq "$(lab_out hv1 "cat /proc/$pid/comm")" sleep "the pid is the command's own"
lab_bg_kill hv1 sleeper TERM
rc=0; lab_bg_wait hv1 sleeper 30 || rc=$?
assert_eq "$rc" 143 "killed by SIGTERM"
say "background command: status, output and signal as expected"

# 2. one port cut, the others not.  A connect to a port nobody listens on is
# refused at once (exit 1) while the link carries TCP; a cut port times out (124).
probe() { local rc=0; lab_run hv1 "timeout 5 bash -c '</dev/tcp/169.254.77.2/$1'" >/dev/null 2>&1 || rc=$?; echo $rc; }
assert_eq "$(probe 16509)" 0 "libvirtd on hv2 reachable before the cut"
lab_out hv1 "$FAULT cut 16509" >/dev/null
assert_eq "$(probe 16509)" 124 "port 16509 after the cut"
assert_eq "$(probe 7)" 1 "another port after the cut: refused by hv2, so the link still carries TCP"
lab_out hv1 "$FAULT restore" >/dev/null
assert_eq "$(probe 16509)" 0 "port 16509 after restore"
say "port cut: 16509 dropped, other ports still carried, restored"

# 3. libvirtd stop/start
lab_out hv2 "$FAULT libvirtd stop" >/dev/null
lab_run hv1 "timeout 8 $VIRSH2 version" >/dev/null 2>&1 && fail "virsh reached a stopped libvirtd"
lab_out hv2 "$FAULT libvirtd start" >/dev/null
lab_out hv1 "timeout 20 $VIRSH2 version" >/dev/null
say "libvirtd on hv2 stopped and started"

# 4. power off hv2 and boot it again
lab_poweroff hv2
lab_run hv2 true >/dev/null 2>&1 && fail "hv2 still answers after poweroff"
lab_boot hv2
assert_eq "$(lab_out hv2 "vgs --noheadings -o vg_name vg | tr -d ' '")" vg "hv2's VG after the reboot"
lab_out hv1 "timeout 30 $VIRSH2 version" >/dev/null
lab_out hv2 "grep -qx drbd <(cut -d' ' -f1 /proc/modules)"
say "hv2 powered off and booted again: VG, drbd and libvirtd there, link up"
say "passed in $(elapsed "$t0") s"

#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Install with apt only what is missing, and fetch Debian's kernel for the lab.
# Idempotent: a second run installs and downloads nothing.
#
#   tools/deps.sh build   what building vmhop, `make unit`, `make fuzz` and
#                         `make deb` need (`make deps`): no lab, nothing a
#                         production build host does not need
#   tools/deps.sh lab     the lab's packages and Debian's kernel (`make
#                         deps-lab`, after `make deps`)
#   tools/deps.sh [all]   both
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
what=${1:-all}
case $what in build | lab | all) ;; *) echo "usage: $0 [build|lab|all]" >&2; exit 2 ;; esac

# Build: compiler, pkg-config and the -dev packages vmhop builds against
# (debian/control's Build-Depends); cmocka, clang and its sanitizer run-time
# for `make unit` and `make fuzz`; python3 for tests/unit/json-docs-check.sh,
# man-db for install-check.sh's rendering of the man page; debhelper for
# `make deb`.  (No libdevmapper: src/dm speaks the ioctls itself, with
# <linux/dm-ioctl.h> from linux-libc-dev; liblvm2-dev still pulls
# libdevmapper-dev in for LVM.)
BUILD_PKGS="build-essential pkg-config binutils libnl-3-dev libnl-genl-3-dev liblvm2-dev
	libvirt-dev libjson-c-dev libxml2-dev libcmocka-dev clang libclang-rt-14-dev python3
	man-db dpkg-dev debhelper"
# Lab: the guests run the host's own programs through a read-only 9p root.
# drbd-utils is the lab's reference (drbdsetup-84, drbdmeta, the module's
# default helper /sbin/drbdadm) and the unit tests' too: without drbdmeta
# they skip their comparisons of vmhop's meta-data with drbdmeta's.
# udev: systemd-udevd and Debian's rules, run in the guests by
# tests/lab/75-udev.sh only (the lab runs without udev otherwise).
# systemd for systemd-tmpfiles, which the package's postinst runs in the
# guests (tests/lab/70-send.sh installs it there).
LAB_PKGS="qemu-system-x86 qemu-utils seabios busybox-static cpio kmod lvm2 libvirt-daemon
	libvirt-daemon-driver-qemu libvirt-clients drbd-utils iproute2 strace xz-utils
	coreutils util-linux procps python3 systemd udev"
case $what in
build) want=$BUILD_PKGS ;;
lab) want=$LAB_PKGS ;;
all) want="$BUILD_PKGS $LAB_PKGS" ;;
esac

missing=()
for p in $want; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	[ "$(id -u)" -eq 0 ] || { echo "deps: need root to install: ${missing[*]}" >&2; exit 1; }
	echo "deps: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	# Package scripts must not start daemons on the build machine.
	policy_added=
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
		chmod +x /usr/sbin/policy-rc.d
		policy_added=1
	fi
	timeout 600 apt-get update -q >/dev/null
	timeout 1200 apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
	[ -z "$policy_added" ] || rm -f /usr/sbin/policy-rc.d
fi

[ "$what" != build ] || exit 0

# Debian 12's kernel (it has drbd 8.4 and dm-mod as modules), unpacked under build/kernel.
kdir=$BUILD/kernel
if [ ! -f "$kdir/ready" ]; then
	mkdir -p "$kdir"
	rm -rf "$kdir/root" "$kdir"/*.deb
	meta=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/{print $2; exit}')
	if [ -z "$meta" ]; then
		timeout 600 apt-get update -q >/dev/null
		meta=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/{print $2; exit}')
	fi
	echo "deps: fetching $meta for the lab"
	(cd "$kdir" && timeout 600 apt-get download -q "$meta" 2>&1 | grep -v '^W: Download is performed unsandboxed' || true)
	deb=$(ls "$kdir"/linux-image-*.deb | head -n1)
	dpkg-deb -x "$deb" "$kdir/root"
	ver=$(ls "$kdir/root/lib/modules" | head -n1)
	depmod -b "$kdir/root" "$ver"
	ln -sfn "root/boot/vmlinuz-$ver" "$kdir/vmlinuz"
	echo "$ver" > "$kdir/version"
	rm -f "$deb"
	touch "$kdir/ready"
fi

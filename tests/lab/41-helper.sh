#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Lab scenario: the usermode-helper policy (src/netlink/helper.c,
# docs/netlink.md) on the real kernel, with the module's default helper
# /sbin/drbdadm:
#   1. two vmhop resources brought up at the same moment on each host (two
#      `vmhop drbd up` at once): /bin/true in place, both recorded as held
#   2. the first goes down on both hosts: the helper stays /bin/true; then the
#      second resyncs 16 MiB to the end (drbdadm would have dropped it: exit 1
#      for a minor it does not know)
#   3. the second goes down: /sbin/drbdadm is back, the record is gone
#   4. a resource vmhop does not hold (made with drbdsetup-84 on hv1): `vmhop
#      drbd up` refuses (exit 5), names it and says what to do; the helper
#      stays /sbin/drbdadm and nothing is created
#   5. --override-helper: /bin/true with a warning naming it; down puts
#      /sbin/drbdadm back although that resource is still there
# Run on the host by tests/lab/run.sh (lab started).  Cleans up in both guests.
# 150 s (measured, after 40-drbd in the same lab).
# timeout: 420
set -euo pipefail

REPO=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-build}
# shellcheck source=tests/lab/lib.sh
. "$REPO/tests/lab/lib.sh"

RA=h41a RB=h41b MA=46 MB=47 PA=7846 PB=7847
FOREIGN=r0
HELPER=/sys/module/drbd/parameters/usermode_helper
OPTS="--resync-rate=100M --c-plan-ahead=0 --protocol=C"
G="set -e; cd $REPO; export DM_DISABLE_UDEV=1 LVM_SUPPRESS_FD_WARNINGS=1; V=$BUILD/vmhop"
me() { [ "$1" = hv1 ] && echo 169.254.77.1 || echo 169.254.77.2; }
peer() { [ "$1" = hv1 ] && echo 169.254.77.2 || echo 169.254.77.1; }
# helper_state HOST: the parameter, and what `vmhop drbd helper show` says, on one line
helper_state() {
	local out
	out=$(lab_out "$1" "cat $HELPER; $BUILD/vmhop --json drbd helper show")
	python3 -c '
import json, sys
cur, text = sys.argv[1].split("\n", 1)
j = json.loads(text)
assert j["usermode_helper"] == cur, (j, cur)
print("param=%s saved=%s held=%s not_held=%s" % (cur, j["saved_original"],
      ",".join(sorted(x["resource"] for x in j["held"])), ",".join(j["not_held"])))' "$out"
}

cleanup() {
	set +e
	for h in hv1 hv2; do
		lab_run $h "$G; set +e
			for r in $RA $RB $FOREIGN; do drbdsetup-84 down \$r >/dev/null 2>&1; done
			[ -e /run/vmhop/helper.state ] && \$V drbd helper restore >/dev/null
			lvremove -y vg/h41a_d vg/h41a_m vg/h41b_d vg/h41b_m >/dev/null 2>&1
			rm -f /tmp/h41-*; true" >/dev/null 2>&1
	done
}
trap cleanup EXIT
t0=$(now)

# ---- 0. LVs (hv1: random data in the second resource) and fresh meta-data ----
for h in hv1 hv2; do
	lab_out $h "$G
		h=\$(cat $HELPER); [ \"\$h\" = /sbin/drbdadm ] || { echo \"helper is \$h\"; exit 1; }
		[ ! -e /run/vmhop/helper.state ]
		for r in h41a h41b; do
			lvcreate -q -y -Wn -Zn -n \${r}_d -L 16M vg >/dev/null
			lvcreate -q -y -Wn -Zn -n \${r}_m -L 4M vg >/dev/null
		done
		if [ $h = hv1 ]; then src=/dev/urandom; else src=/dev/zero; fi
		dd if=\$src of=/dev/vg/h41b_d bs=1M count=16 oflag=direct status=none
		drbdmeta --force $MA v08 /dev/vg/h41a_m flex-external create-md >/dev/null 2>&1
		drbdmeta --force $MB v08 /dev/vg/h41b_m flex-external create-md >/dev/null 2>&1" >/dev/null
done
say "LVs ready; usermode_helper is /sbin/drbdadm on both, no record"

# ---- 1. two vmhop resources at once -----------------------------------------
for h in hv2 hv1; do
	lab_out $h "$G
		for x in a:$MA:$PA b:$MB:$PB; do
			IFS=: read -r n m p <<< \"\$x\"
			(set +e; \$V drbd up h41\$n \$m /dev/vg/h41\${n}_d /dev/vg/h41\${n}_m flexible \
				ipv4:$(me $h):\$p ipv4:$(peer $h):\$p $OPTS --timeout 90 \
				> /tmp/h41-up-\$n.out 2>&1; echo \$? > /tmp/h41-up-\$n.rc) </dev/null >/dev/null 2>&1 &
		done" >/dev/null
done
for h in hv1 hv2; do
	out=$(lab_out $h "for i in \$(seq 1 400); do [ -e /tmp/h41-up-a.rc ] && [ -e /tmp/h41-up-b.rc ] && break; sleep 0.5; done
		for n in a b; do echo \"up h41\$n rc=\$(cat /tmp/h41-up-\$n.rc)\"; sed 's/^/  /' /tmp/h41-up-\$n.out; done")
	printf '%s\n' "$out" | sed "s/^/    $h: /"
	assert_match "$out" "up h41a rc=0" "$h: up h41a"
	assert_match "$out" "up h41b rc=0" "$h: up h41b"
	# exactly one of the two replaced the helper, and said so
	n=$(printf '%s\n' "$out" | grep -c 'usermode_helper /sbin/drbdadm would abort resyncs' || true)
	assert_eq "$n" 1 "$h: processes that replaced the helper"
	st=$(helper_state $h)
	echo "    $h: $st"
	assert_eq "$st" "param=/bin/true saved=/sbin/drbdadm held=h41a,h41b not_held=" "$h: after two concurrent ups"
done
say "two concurrent ups on each host: one replaced drbdadm, both resources recorded as held"

# ---- 2. the first goes down; the second still resyncs ------------------------
for h in hv1 hv2; do
	out=$(lab_out $h "$G; \$V drbd down $RA 2>&1")
	printf '%s\n' "$out" | sed "s/^/    $h: /"
	assert_match "$out" "usermode_helper stays /bin/true: vmhop still holds h41b" "$h: down of the first resource"
	assert_eq "$(helper_state $h)" "param=/bin/true saved=/sbin/drbdadm held=h41b not_held=" "$h: after the first down"
done
s0=$(now)
out=$(lab_out hv1 "$G; \$V drbd primary $MB --force; \$V drbd wait-sync $MB --timeout 120 2>&1
	echo cstate=\$(drbdsetup-84 cstate $MB) dstate=\$(drbdsetup-84 dstate $MB)")
printf '%s\n' "$out" | tail -n 3 | sed 's/^/    hv1: /'
assert_match "$out" "cstate=Connected dstate=UpToDate/UpToDate" "hv1: the second resource's resync"
sync_s=$(elapsed "$s0")
h1=$(lab_out hv1 "sha256sum < /dev/vg/h41b_d" | awk '{print $1}')
h2=$(lab_out hv2 "sha256sum < /dev/vg/h41b_d" | awk '{print $1}')
assert_eq "$h2" "$h1" "hv2's copy of h41b"
# the kernel ran the helper for the resync, and it answered 0 on both sides
for x in hv1:source hv2:target; do
	h=${x%%:*}
	k=$(lab_out $h "dmesg | grep 'drbd$MB: helper command: /bin/true before-resync-${x#*:} minor-$MB exit code' | tail -n 1")
	echo "    $h: ${k#*] }"
	assert_match "$k" "exit code 0 \\(0x0\\)" "$h: before-resync-${x#*:} helper"
done
say "first resource down on both: helper stayed /bin/true; 16 MiB resync of the second completed in ${sync_s} s, data equal"

# ---- 3. the second goes down ---------------------------------------------------
for h in hv1 hv2; do
	out=$(lab_out $h "$G; \$V drbd down $RB 2>&1
		[ -e /run/vmhop/helper.state ] && echo record=present || echo record=gone")
	printf '%s\n' "$out" | sed "s/^/    $h: /"
	assert_match "$out" "usermode_helper /sbin/drbdadm put back" "$h: last down"
	assert_match "$out" "record=gone" "$h: record after the last down"
	assert_eq "$(helper_state $h)" "param=/sbin/drbdadm saved=None held= not_held=" "$h: after the last down"
done
say "second resource down: /sbin/drbdadm back on both, record gone"

# ---- 4. a resource vmhop does not hold: refused --------------------------------
out=$(lab_out hv1 "$G; drbdsetup-84 new-resource $FOREIGN
	drbdmeta --force $MA v08 /dev/vg/h41a_m flex-external create-md >/dev/null 2>&1
	set +e; \$V drbd up $RA $MA /dev/vg/h41a_d /dev/vg/h41a_m flexible ipv4:169.254.77.1:$PA \
		ipv4:169.254.77.2:$PA $OPTS --timeout 10 2>&1; echo rc=\$?; set -e
	echo helper=\$(cat $HELPER)
	[ -e /run/vmhop/helper.state ] && echo record=present || echo record=none
	[ -z \"\$(drbdsetup-84 show $RA 2>/dev/null)\" ] && echo created=nothing || echo created=$RA")
printf '%s\n' "$out" | sed 's/^/    hv1: /'
assert_match "$out" "rc=5" "up with a resource vmhop does not hold: exit code"
assert_match "$out" "has DRBD resources vmhop does not hold \\($FOREIGN\\)" "the refusal names the resource"
assert_match "$out" "--override-helper" "the refusal says what to do"
assert_eq "$(printf '%s\n' "$out" | grep -c '^vmhop')" 1 "lines of the refusal"
assert_match "$out" "helper=/sbin/drbdadm" "helper after the refusal"
assert_match "$out" "record=none" "record after the refusal"
assert_match "$out" "created=nothing" "resources after the refusal"
say "with $FOREIGN (drbdsetup-84) on hv1: up refused with exit 5, helper still /sbin/drbdadm, nothing created"

# ---- 5. --override-helper ------------------------------------------------------
out=$(lab_out hv1 "$G; \$V drbd new-resource $RA
	\$V drbd connect $RA ipv4:169.254.77.1:$PA ipv4:169.254.77.2:$PA --override-helper 2>&1")
printf '%s\n' "$out" | sed 's/^/    hv1: /'
assert_match "$out" "warning: --override-helper: the handlers of $FOREIGN answer success" "override warning"
assert_eq "$(helper_state hv1)" "param=/bin/true saved=/sbin/drbdadm held=$RA not_held=$FOREIGN" "with --override-helper"
out=$(lab_out hv1 "$G; \$V drbd down $RA 2>&1
	[ -n \"\$(drbdsetup-84 show $FOREIGN 2>/dev/null)\" ] && echo foreign=still-there
	set +e; \$V drbd helper make-safe $RA 2>&1; echo make-safe-rc=\$?")
printf '%s\n' "$out" | sed 's/^/    hv1: /'
assert_match "$out" "usermode_helper /sbin/drbdadm put back" "down with $FOREIGN still there"
assert_match "$out" "foreign=still-there" "$FOREIGN untouched"
assert_match "$out" "make-safe-rc=5" "make-safe without override while $FOREIGN exists"
assert_eq "$(helper_state hv1)" "param=/sbin/drbdadm saved=None held= not_held=$FOREIGN" "after down with $FOREIGN still there"
lab_out hv1 "drbdsetup-84 del-resource $FOREIGN; [ \"\$(cat $HELPER)\" = /sbin/drbdadm ]" >/dev/null
say "--override-helper: /bin/true with a warning naming $FOREIGN; down restored /sbin/drbdadm with $FOREIGN still up"

trap - EXIT
cleanup
say "ok in $(elapsed "$t0") s"

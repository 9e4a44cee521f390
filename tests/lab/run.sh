#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Boot the lab once, run the lab scenarios (tests/lab/NN-*.sh) against it, stop it.
#
#   tests/lab/run.sh [NAME...]     only the scenarios whose file name contains NAME
#   tests/lab/run.sh --tools       only check that the programs the scenarios use exist
#
# First it checks that every program the scenarios (and the guests, which run the
# host's own programs) use is installed, and fails naming the missing ones: a
# scenario must never pass because a reference tool it compares against is absent.
# Each scenario runs under its own timeout (a "# timeout: N" line in it, else 300 s).
# Whatever happens, every QEMU started here is killed on exit.  When a scenario
# fails, its output and the guests' consoles, boot logs and dmesg are kept under
# build/lab-results/, and the lab is booted again for the scenarios after it.
set -uo pipefail
REPO=$(cd "$(dirname "$0")/../.." && pwd)
export REPO
export LAB=$REPO/tools/lab/lab.sh
export LAB_DIR=${LAB_DIR:-$REPO/build/lab-check}
export LAB_PORT=${LAB_PORT:-47720}
export LAB_RESULTS=$REPO/build/lab-results/$(date +%Y%m%d-%H%M%S)
# The guests' PATH (tools/lab/guest/init.sh), which finds drbdsetup-84 in /lib/drbd.
GUEST_PATH=${LAB_GUEST_PATH:-/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/lib/drbd}
# Run in the guests: the reference tools the scenarios compare against, and what they drive.
GUEST_TOOLS="drbdsetup-84 drbdmeta drbdadm dmsetup virsh libvirtd virtlogd lvm lvcreate lvremove
	lvs vgs pvcreate vgcreate strace sha256sum blockdev cmp dd flock ip insmod rmmod timeout
	setsid awk python3 dpkg dpkg-query man systemd-tmpfiles"
# Run on the host by run.sh, lab.sh and the scenarios.
HOST_TOOLS="qemu-system-x86_64 busybox cpio python3 timeout setsid awk dpkg-deb"
need_tools() {
	local t missing=()
	for t in $GUEST_TOOLS; do PATH=$GUEST_PATH command -v "$t" >/dev/null 2>&1 || missing+=("$t"); done
	for t in $HOST_TOOLS; do command -v "$t" >/dev/null 2>&1 || missing+=("$t"); done
	# the module's default helper, which 40-drbd and 41-helper expect in place
	[ -x /sbin/drbdadm ] || missing+=(/sbin/drbdadm)
	if [ ${#missing[@]} -gt 0 ]; then
		echo "lab: missing programs the lab tests need: ${missing[*]} (run 'make deps-lab')" >&2
		return 1
	fi
}
if [ "${1:-}" = --tools ]; then
	need_tools && echo "lab: every program the scenarios use is installed"
	exit
fi
need_tools || exit 1
mkdir -p "$LAB_RESULTS"

scenarios=()
for f in "$REPO"/tests/lab/[0-9][0-9]-*.sh; do
	if [ $# -eq 0 ]; then
		scenarios+=("$f")
	else
		for want in "$@"; do [[ $(basename "$f") == *"$want"* ]] && scenarios+=("$f"); done
	fi
done
[ ${#scenarios[@]} -gt 0 ] || { echo "lab: no scenario matches: $*" >&2; exit 2; }

# keep_logs NAME: after scenario NAME failed, each guest's console, boot log,
# kernel log (last 200 lines) and the scenario's background commands' output
# (/tmp/lab-bg/*.log: vmhop send/receive...) go to build/lab-results/; and
# their tails are printed, since a run from a temporary clone (CI) loses that
# folder: what it printed is all that is left of a failure.
keep_logs() {
	local h n f
	for h in "$LAB_DIR"/hv*; do
		[ -d "$h" ] || continue
		n=$(basename "$h")
		cp "$h/console.log" "$LAB_RESULTS/$n.console.log" 2>/dev/null || true
		cp "$h/share/boot.log" "$LAB_RESULTS/$n.boot.log" 2>/dev/null || true
		LAB_TIMEOUT=60 timeout 100 "$LAB" run "$n" 'dmesg | tail -n 200' \
			> "$LAB_RESULTS/$n.dmesg" 2>&1 || true
		LAB_TIMEOUT=60 timeout 100 "$LAB" run "$n" 'for f in /tmp/lab-bg/*.log; do [ -e "$f" ] || continue
			echo "=== $f (exit $(cat "${f%.log}.rc" 2>/dev/null || echo "none yet"))"; tail -n 300 "$f"; done' \
			> "$LAB_RESULTS/$n.bg.log" 2>&1 || true
	done
	echo "lab: logs kept in ${LAB_RESULTS#$REPO/}; their last lines:"
	for f in "$LAB_RESULTS"/hv*.console.log "$LAB_RESULTS"/hv*.dmesg "$LAB_RESULTS"/hv*.bg.log; do
		[ -s "$f" ] || continue
		echo "--- ${f##*/} (last 60 lines)"
		tail -n 60 "$f" | sed "s#^#${1:-lab}: ${f##*/}| #"
	done
	echo "--- end of the kept logs"
}
cleanup() { "$LAB" stop >/dev/null 2>&1 || true; }
trap cleanup EXIT
trap 'cleanup; exit 130' INT TERM

t0=$(date +%s)
# The boot has 600 s; waiting for a lab slot (other labs on this machine) comes on top.
if ! timeout --kill-after=10 $(( ${LAB_SLOT_WAIT:-1800} + 600 )) "$LAB" start; then
	keep_logs start
	echo "lab: 0 passed, ${#scenarios[@]} failed (the lab did not start)"
	exit 1
fi

pass=0 failed=() broken=
for f in "${scenarios[@]}"; do
	name=$(basename "$f" .sh)
	if [ -n "$broken" ]; then
		failed+=("$name")
		echo "=== $name: NOT RUN (the lab did not start again)"
		continue
	fi
	limit=$(sed -n 's/^# timeout: \([0-9]*\).*/\1/p' "$f" | head -n1)
	limit=${limit:-300}
	echo "=== $name (timeout ${limit}s)"
	s0=$(date +%s)
	timeout --kill-after=10 "$limit" bash "$f" 2>&1 | tee "$LAB_RESULTS/$name.log"
	rc=${PIPESTATUS[0]}
	if [ "$rc" -eq 0 ]; then
		pass=$((pass + 1))
		echo "=== $name: passed in $(( $(date +%s) - s0 ))s"
		rm -f "$LAB_RESULTS/$name.log"
	else
		failed+=("$name")
		[ "$rc" -eq 124 ] && echo "=== $name: TIMED OUT after ${limit}s" || echo "=== $name: FAILED (exit $rc) after $(( $(date +%s) - s0 ))s"
		keep_logs "$name"
		# What the failed scenario left (a DRBD device, a VM, a cut link) must
		# not fail the ones after it: they get freshly booted hosts.
		if [ "$f" != "${scenarios[-1]}" ]; then
			echo "lab: booting the lab again, so that the next scenarios start from clean hosts"
			"$LAB" stop >/dev/null 2>&1 || true
			timeout --kill-after=10 $(( ${LAB_SLOT_WAIT:-1800} + 600 )) "$LAB" start || broken=1
		fi
	fi
done
# The reason of each failure once more, last, and short: CI shows only the
# last 1.7 KB or so of a run, and the kept logs above push the scenario's
# own FAIL line out of it.  So: the FAIL line, vmhop's last error lines
# before it (the command that failed printed them), and what busyvm recorded
# of a VM that could not write; each line cut at 240 characters.
for name in "${failed[@]}"; do
	f=$LAB_RESULTS/$name.log
	[ -s "$f" ] || continue
	echo "lab: $name failed:"
	awk -v n="$name" 'index($0, "[" n "] FAIL: ") == 1 { print; exit }' "$f" | cut -c1-400 | sed "s#^#lab: $name| #"
	# vmhop's error and next lines before the FAIL line (as a command printed
	# them, or as lab_state_dump showed a background command's log)
	awk -v n="$name" 'index($0, "[" n "] FAIL: ") == 1 { exit }
		/(^|\| )(vmhop: |  error: |  next: )/ { l[++k] = $0 }
		END { for (i = (k > 3 ? k - 2 : 1); i <= k; i++) print l[i] }' "$f" | cut -c1-240 | sed "s#^#lab: $name< #"
	grep -a -E '^busyvm: .*(failed its check|serial log|blockstats|writes, not)' "$f" | tail -n 3 | cut -c1-240 | sed "s#^#lab: $name| #"
done
echo "lab: wall time $(( $(date +%s) - t0 ))s"
echo "lab: $pass passed, ${#failed[@]} failed${failed[*]:+ (${failed[*]})}"
[ ${#failed[@]} -eq 0 ] && rmdir "$LAB_RESULTS" 2>/dev/null
[ ${#failed[@]} -eq 0 ]

#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Boot the lab once, run the lab scenarios (tests/lab/NN-*.sh) against it, stop it.
#
#   tests/lab/run.sh [NAME...]     only the scenarios whose file name contains NAME
#
# Each scenario runs under its own timeout (a "# timeout: N" line in it, else 300 s).
# Whatever happens, every QEMU started here is killed on exit.  When a scenario
# fails, its output and the guests' consoles, boot logs and dmesg are kept under
# build/lab-results/.
set -uo pipefail
REPO=$(cd "$(dirname "$0")/../.." && pwd)
export REPO
export LAB=$REPO/tools/lab/lab.sh
export LAB_DIR=${LAB_DIR:-$REPO/build/lab-check}
export LAB_PORT=${LAB_PORT:-47720}
export LAB_RESULTS=$REPO/build/lab-results/$(date +%Y%m%d-%H%M%S)
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

keep_logs() {
	local h
	for h in "$LAB_DIR"/hv*; do
		[ -d "$h" ] || continue
		cp "$h/console.log" "$LAB_RESULTS/$(basename "$h").console.log" 2>/dev/null || true
		cp "$h/share/boot.log" "$LAB_RESULTS/$(basename "$h").boot.log" 2>/dev/null || true
		timeout 60 "$LAB" run "$(basename "$h")" 'dmesg | tail -n 200' \
			> "$LAB_RESULTS/$(basename "$h").dmesg" 2>&1 || true
	done
	echo "lab: logs kept in ${LAB_RESULTS#$REPO/}"
}
cleanup() { "$LAB" stop >/dev/null 2>&1 || true; }
trap cleanup EXIT
trap 'cleanup; exit 130' INT TERM

t0=$(date +%s)
if ! timeout --kill-after=10 600 "$LAB" start; then
	keep_logs
	echo "lab: 0 passed, ${#scenarios[@]} failed (the lab did not start)"
	exit 1
fi

pass=0 failed=()
for f in "${scenarios[@]}"; do
	name=$(basename "$f" .sh)
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
		keep_logs
	fi
done
echo "lab: wall time $(( $(date +%s) - t0 ))s"
echo "lab: $pass passed, ${#failed[@]} failed${failed[*]:+ (${failed[*]})}"
[ ${#failed[@]} -eq 0 ] && rmdir "$LAB_RESULTS" 2>/dev/null
[ ${#failed[@]} -eq 0 ]

# SPDX-License-Identifier: LGPL-2.1-or-later
# Sourced by every lab scenario (tests/lab/NN-name.sh).  tests/lab/run.sh has
# started the lab and exported LAB, LAB_DIR, LAB_PORT and LAB_RESULTS.
set -euo pipefail
REPO=${REPO:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
SCENARIO=$(basename "$0" .sh)
: "${LAB:=$REPO/tools/lab/lab.sh}"
: "${LAB_RESULTS:=$REPO/build/lab-results}"
VMHOP=$REPO/build/vmhop
BUSYVM=$REPO/tools/lab/guest/busyvm.sh
LABBIN=$REPO/build/lab-bin

say() { printf '[%s] %s\n' "$SCENARIO" "$*"; }
fail() { printf '[%s] FAIL: %s\n' "$SCENARIO" "$*" >&2; exit 1; }

# lab_run HOST 'commands': run in the guest (cwd = repo), output on stdout, its status.
lab_run() { "$LAB" run "$@"; }

# lab_out HOST 'commands': like lab_run, but fail the scenario when the command fails.
lab_out() {
	local out rc=0
	out=$("$LAB" run "$@" 2>&1) || rc=$?
	if [ "$rc" -ne 0 ]; then
		printf '%s\n' "$out" >&2
		fail "$1: '$2' exited $rc"
	fi
	printf '%s\n' "$out"
}

assert_eq() { [ "$1" = "$2" ] || fail "${3:-values differ}: got '$1', want '$2'"; }
assert_match() { [[ $1 =~ $2 ]] || fail "${3:-no match}: '$1' does not match /$2/"; }
assert_ge() { [ "$1" -ge "$2" ] || fail "${3:-too small}: $1 < $2"; }

# Seconds since the epoch with nanoseconds, and a difference of two of them.
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

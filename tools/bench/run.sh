#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# `make bench`: every benchmark script, the lab ones in a lab of their own.
# Prints numbers; it is not a test and asserts nothing about speed.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/../.." && pwd)
export LAB=$REPO/tools/lab/lab.sh
export LAB_DIR=${LAB_DIR:-$REPO/build/lab-bench}
export LAB_PORT=${LAB_PORT:-47740}
trap '"$LAB" stop >/dev/null 2>&1 || true' EXIT

echo "== meta-data creation (this machine, regular file)"
timeout 1200 "$REPO/tools/bench/meta.sh"
timeout 600 "$LAB" start
echo "== DRBD set-up (lab)"
timeout 1800 "$REPO/tools/bench/drbd.sh"
echo "== device-mapper freeze window (lab)"
timeout 1800 "$REPO/tools/bench/dm.sh"
echo "== the bridge's freeze window, repeated, onto /dev/drbdN and back (lab)"
timeout 1800 "$REPO/tools/bench/bridge.sh"
echo "== the whole move: vmhop send/receive against libvirt's storage migration, 3 rounds alternated (lab)"
timeout 3600 "$REPO/tools/bench/move.sh" --rounds "${MOVE_ROUNDS:-3}" --only "${MOVE_ONLY:-send,copy}"
echo "== many moves at once: 3 moves in parallel against the same 3 in a row, alternated (lab)"
timeout 3600 "$REPO/tools/bench/batch.sh" --rounds "${BATCH_ROUNDS:-2}"

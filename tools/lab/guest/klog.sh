#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The kernel log from a point on (runs inside a lab guest).
#
#   klog.sh mark               the time stamp (s since boot) of the log's last line
#   klog.sh count MARK ERE     how many lines logged after MARK match ERE
#   klog.sh since MARK [ERE]   those lines (all lines after MARK without ERE)
#
# A scenario that must see a new kernel line marks the log first and counts
# after the mark: counting all matching lines before and after does not work
# once the log is full (128 KiB in the lab's kernel, reached after a few
# scenarios of DRBD messages), since then each new line pushes out the oldest,
# which may be an older match: the count stays the same or goes down.
set -euo pipefail

# "[ 1234.567890] text": the stamp; lines without one (continuations) are 0.
after() {
	# the ERE through the environment: awk -v would take its backslashes as escapes
	dmesg | KLOG_RE=${2:-} awk -v m="$1" '
		{ ts = 0 }
		/^\[ *[0-9]+\.[0-9]+\]/ { ts = substr($0, 2, index($0, "]") - 2) + 0 }
		ts > m && (ENVIRON["KLOG_RE"] == "" || $0 ~ ENVIRON["KLOG_RE"])'
}

case ${1:-} in
mark)
	dmesg | awk '/^\[ *[0-9]+\.[0-9]+\]/ { ts = substr($0, 2, index($0, "]") - 2) }
		END { gsub(/ /, "", ts); print ts == "" ? "0" : ts }'
	;;
count)
	after "${2:?mark}" "${3:?ERE}" | wc -l
	;;
since)
	after "${2:?mark}" "${3:-}"
	;;
*)
	sed -n '3,8p' "$0" | sed 's/^# \{0,1\}//'
	exit 2
	;;
esac

#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Lab scenario: what the destination refuses, and status without a plan.
# The busy VM runs on hv1 and `vmhop plan` there makes the plan; every part
# runs on hv2 (D) with it and checks that a refusal changes nothing: no LV,
# no DRBD minor, no .copy, no meta-data LV, no journal.
#   a. the plan's port listened on by another program on hv2's address:
#      preflight and prepare exit 5 naming the port and the address; the
#      same port configured on another DRBD resource (drbdsetup-84): exit 5.
#   b. the plan's minor taken on hv2 by a drbdsetup-84 resource: preflight
#      accepts it (a minor is D's own: prepare takes a free one, issue 21)
#      and creates nothing.
#   c. hv2's VG too small for the disk (filled by another LV first): exit 6.
#      hv2's VG on extents that cannot give the 64 MiB disk exactly
#      (vgchange -s): preflight and prepare exit 4 naming the extent size.
#   d. a move prepared on hv2 (LV, meta-data, .copy, DRBD waiting for hv1),
#      its journal truncated in a copy of the state directory: status --plan,
#      status RESOURCE and the phase commands exit 4 naming the file, and
#      change nothing (the file, DRBD, the LVs); status with no argument
#      lists it as unreadable and still succeeds.
#   e. status with no argument lists the move, status RESOURCE shows it with
#      the facts read from hv2 (its LV on its own table, the .copy, the
#      meta-data LV, DRBD WFConnection, the VM not defined here, the
#      usermode helper as sysfs has it and held by vmhop with the original
#      saved, the sync as a percentage matching /proc/drbd's oos:); abort on
#      hv2 then leaves it clean (exit 13) and status shows drbdadm back.
#   f. on hv1 (S): the plan's minor taken by a drbdsetup-84 resource
#      (preflight and prepare exit 5), its port configured on one (exit 5),
#      the VM restarted with cache='writeback' since the plan (preflight exit
#      4 naming it); nothing created on hv1.
#   g. on hv1 (S), what hv2's libvirt can tell before anything changes: the
#      VM restarted with a NIC on a libvirt network and one on a bridge that
#      hv1 has; hv2's libvirtd stopped: preflight and prepare exit 12 naming
#      hv2's libvirt; then another VM named like it defined on hv2, hv2
#      without the network and the bridge, QEMU's migration ports dropped
#      there: exit 10, the four problems in one line; the network defined
#      on hv2, not started: exit 3; started (hv2's bridge has no port):
#      preflight passes; nothing created on hv1.
# timeout: 500
. "$(dirname "$0")/lib.sh"
t0=$(now)
BUILD=${BUILD:-build}
V=$BUILD/vmhop
BV="BUSYVM_BIN_DIR=$REPO/$BUILD/lab-bin $BUSYVM"
VIRSH="virsh -q -c qemu:///system"
N=vh61
SIZE=64
MINOR=61
PORT=7861
D_ADDR=169.254.77.2
STATE=/var/lib/vmhop
COPY=/tmp/vh61-state
PLAN=/tmp/$N.plan.json

jget() { python3 -c 'import json,sys; d=json.load(sys.stdin)
for k in sys.argv[1].split("."): d=d[int(k)] if isinstance(d,list) else d[k]
print(str(d).lower() if isinstance(d,bool) else d)' "$1"; }

# jmany KEY...: the values of several keys of the JSON on stdin, joined by '|'.
jmany() { python3 -c 'import json,sys; r=json.load(sys.stdin)
def g(k):
	d=r
	for p in k.split("."): d=d[int(p)] if isinstance(d,list) else d[p]
	return str(d).lower() if isinstance(d,bool) else str(d)
print("|".join(g(k) for k in sys.argv[1:]))' "$@"; }

EXT=	# hv2's VG extent size while part c changes it (bytes)
cleanup() {
	set +e
	lab_run hv2 "[ -s /tmp/vh61-listen.pid ] && kill \$(cat /tmp/vh61-listen.pid)
		for r in ${RES:-vh-none} r61; do drbdsetup-84 down \$r; done
		dmsetup remove ${RES:-vh-none}-0.copy; lvremove -q -y vg/$N vg/${RES:-vh-none}_0.vhmd vg/vh61fill
		[ -z \"$EXT\" ] || vgchange -q -s $((${EXT:-0} >> 10))k vg
		$V drbd helper restore; rm -rf $STATE $COPY /tmp/vh61-listen.pid $PLAN" >/dev/null 2>&1
	lab_run hv1 "drbdsetup-84 down r61; $BV destroy $N; rm -f $PLAN /tmp/$N.wb.xml" >/dev/null 2>&1
}
trap cleanup EXIT

# Each call into a guest forks bash and tools under TCG (seconds each): what
# one host is asked in a row goes in one call, each answer asserted on its own.
# Q: a shell function for those calls: "q CMD..." runs CMD quiet (its output,
# warnings too, only shown when it fails), as `lab_out ... >/dev/null` did.
Q='q() { local o; o=$("$@" 2>&1) || { printf "%s\n" "$o"; return 1; }; }'
# Nothing of this move on hv2: LINE is NOTHING's output there ($2: what was refused).
assert_nothing() { assert_eq "$1" "lv=0 minor=no res=no copy=0 journal=0" "hv2: nothing created ($2)"; }

# refused HOST RC PATTERN CMD...: each CMD (one call into HOST, in order) exits
# RC with one line on stderr matching PATTERN.
refused() {
	local h=$1 want=$2 pat=$3 cmd='' c out line err='' k=0 rc
	shift 3
	for c in "$@"; do
		cmd+="err=\$($c 2>&1 >/dev/null); rc=\$?; printf '%s\\n' \"\$err\"; echo \"@@ \$rc\"
"
	done
	out=$(lab_out $h "$cmd")
	local -a cmds=("$@")
	while IFS= read -r line; do
		if [[ $line =~ ^@@\ ([0-9]+)$ ]]; then
			rc=${BASH_REMATCH[1]} c=${cmds[k]}
			err=${err%$'\n'}
			[ "$rc" -eq "$want" ] || { printf '%s\n' "$err" >&2; fail "$h: '$c' exited $rc, want $want"; }
			assert_match "$err" "$pat" "$h: '$c' says why"
			assert_eq "$(printf '%s\n' "$err" | grep -c .)" 1 "$h: '$c': one line on stderr"
			err='' k=$((k + 1))
		else
			err+=$line$'\n'
		fi
	done <<< "$out"
	assert_eq "$k" "$#" "$h: every refused command ran"
}

out=$(lab_out hv1 "$Q; q env $BV create $N $SIZE && $VIRSH domuuid $N &&
	rm -f $PLAN && q $V plan $N --to hv2 --dest-uri qemu+tcp://hv2/system --minor $MINOR --port $PORT -o $PLAN && cat $PLAN")
UUID=$(head -n1 <<< "$out")
plan=$(tail -n +2 <<< "$out")
RES=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["resource"])' <<< "$plan")
# NOTHING: the shell line that prints what assert_nothing compares.
NOTHING="echo lv=\$(lvs --noheadings -o lv_name vg | grep -Ec '^ *($N|${RES}_0\\.vhmd)\$' || true) \
minor=\$([ -e /sys/block/drbd$MINOR ] && echo yes || echo no) \
res=\$(drbdsetup-84 show $RES >/dev/null 2>&1 && echo yes || echo no) \
copy=\$(dmsetup ls | grep -c '\\.copy' || true) \
journal=\$(ls $STATE/*.journal 2>/dev/null | wc -l)"
out=$(lab_out hv2 "umask 077; cat > $PLAN <<'EOF'
$plan
EOF
chmod 600 $PLAN; $NOTHING")
say "busy VM $N on hv1, plan for $RES (minor $MINOR, port $PORT, $SIZE MiB) made there, the same on hv2"
assert_nothing "$out" "before"

# ---- a. the port -----------------------------------------------------------
lab_out hv2 "setsid python3 -c '
import socket, time
s = socket.socket(); s.bind((\"$D_ADDR\", $PORT)); s.listen(1)
open(\"/tmp/vh61-listen.pid\", \"w\").write(str(__import__(\"os\").getpid()))
time.sleep(300)' > /dev/null 2>&1 < /dev/null &
	for i in \$(seq 1 100); do [ -s /tmp/vh61-listen.pid ] && ss -ltn | grep -q '$D_ADDR:$PORT ' && exit 0; sleep 0.1; done; exit 1" >/dev/null
refused hv2 5 "port $PORT on $D_ADDR is in use" "$V preflight --plan $PLAN" "$V prepare --plan $PLAN"
# then the listener goes, and the same port is configured on another DRBD
# resource (no volume, so not the minor)
out=$(lab_out hv2 "$Q; $NOTHING; kill \$(cat /tmp/vh61-listen.pid); rm -f /tmp/vh61-listen.pid
	for i in \$(seq 1 100); do ss -ltn | grep -q '$D_ADDR:$PORT ' || break; sleep 0.1; done
	! ss -ltn | grep -q '$D_ADDR:$PORT ' || { echo 'the listener did not go'; exit 1; }
	q drbdsetup-84 new-resource r61 && q drbdsetup-84 connect r61 ipv4:$D_ADDR:$PORT ipv4:169.254.77.1:$PORT --protocol=C")
assert_nothing "$out" "port listened on"
say "a. port $PORT listened on by python on hv2: preflight and prepare exit 5, nothing created"
refused hv2 5 "port $PORT is configured on DRBD resource r61" "$V preflight --plan $PLAN"
out=$(lab_out hv2 "$Q; q drbdsetup-84 down r61 && $NOTHING && q drbdsetup-84 new-resource r61 && q drbdsetup-84 new-minor r61 $MINOR 0")
assert_nothing "$out" "port configured on r61"
say "a. port $PORT configured on DRBD resource r61 on hv2: exit 5"

# ---- b. the minor ------------------------------------------------------------
b=$(lab_out hv2 "rc=0; $V preflight --plan $PLAN > /tmp/vh61.b 2>&1 || rc=\$?; echo \$rc; cat /tmp/vh61.b")
assert_eq "$(head -n1 <<< "$b")" 0 "hv2: preflight with the plan's minor $MINOR taken there: accepted (D takes its own minor); $(tail -n +2 <<< "$b")"
out=$(lab_out hv2 "$Q; q drbdsetup-84 down r61 && $NOTHING && q lvcreate -q -y -Zn -Wn -l 100%FREE -n vh61fill vg")
assert_nothing "$out" "minor taken"
say "b. minor $MINOR taken by drbdsetup-84 resource r61 on hv2: preflight accepts it (D's own minor at prepare), nothing created"

# ---- c. the VG too small -------------------------------------------------------
refused hv2 6 "VG vg has [0-9]+ bytes free, the move needs" "$V preflight --plan $PLAN" "$V prepare --plan $PLAN"
# c2. the extent size: an extent size that cannot give S's 64 MiB exactly.
# LVM changes a VG's extent size only to one that fits its PV exactly (and
# every LV: the filler goes first), so it is F times the current one, F the
# PV's smallest divisor that is not a power of two up to 16 (F x 4 MiB does
# not divide 64 MiB); the extent size is put back afterwards.
out=$(lab_out hv2 "$Q; $NOTHING && q lvremove -q -y vg/vh61fill &&
	vgs --noheadings --units b --nosuffix -o vg_extent_size,vg_extent_count vg")
assert_nothing "$(head -n1 <<< "$out")" "VG too small"
say "c. hv2's VG filled by another LV: preflight and prepare exit 6, nothing created"
read -r EXT count <<< "$(tail -n1 <<< "$out")"
f=3
while [ $f -le 64 ] && { [ $((count % f)) -ne 0 ] || [ $(( (SIZE << 20) % (f * EXT) )) -eq 0 ]; }; do f=$((f + 1)); done
[ $f -le 64 ] || fail "hv2: no extent size that fits hv2's $count extents and not $SIZE MiB"
new_ext=$((f * EXT))
lab_out hv2 "$Q; q vgchange -s $((f * EXT >> 10))k vg" >/dev/null
refused hv2 4 "VG vg has $((f * EXT))-byte extents: it cannot give exactly $((SIZE << 20)) bytes" "$V preflight --plan $PLAN" "$V prepare --plan $PLAN"
out=$(lab_out hv2 "$Q; q vgchange -s $((EXT >> 10))k vg && vgs --noheadings --units b --nosuffix -o vg_extent_size vg | tr -d ' ' && $NOTHING")
assert_eq "$(head -n1 <<< "$out")" "$EXT" "hv2's VG back on its own extent size"
EXT=
assert_nothing "$(tail -n1 <<< "$out")" "extent size"
say "c. hv2's VG on $((new_ext >> 10)) KiB extents: preflight and prepare exit 4 (cannot give exactly $SIZE MiB), nothing created"
# ---- d, e. a prepared move; status; a truncated journal ---------------------------
# the move is prepared and status asked every way (one call)
out=$(lab_out hv2 "$Q; $NOTHING && q $V preflight --plan $PLAN && q $V prepare --plan $PLAN &&
	echo @@ && $V status && echo @@ && $V --json status && echo @@ && $V --json status $RES && echo @@ && dmsetup table vg-$N &&
	echo @@ && $V --json status --plan $PLAN && echo @@ && cat /sys/module/drbd/parameters/usermode_helper &&
	grep -A1 '^ *$MINOR: cs:' /proc/drbd | grep -o 'oos:[0-9]*' && $V status $RES")
# part K (0: before the first @@) of that output
part() { awk -v k="$1" '/^@@$/ { n++; next } n == k' <<< "$out"; }
assert_nothing "$(part 0)" "before the move is prepared"
J=$STATE/$UUID.journal
assert_match "$(part 1)" "^$RES  VM $N  dest  last phase prepare  next: vmhop wait-sync" "status lists the move"
js=$(part 2)
assert_eq "$(jget moves.0.resource <<< "$js"),$(jget moves.0.role <<< "$js"),$(jget moves.0.last_phase <<< "$js"),$(jget moves.0.aborted <<< "$js")" \
	"$RES,dest,prepare,false" "status --json lists the move"
st=$(part 3)
d0() { jget disks.0.$1 <<< "$st"; }
assert_eq "$(jget journal <<< "$st")" "$J" "status RESOURCE found the journal"
assert_eq "$(d0 lv_here) $(d0 lv_maps) $(d0 copy_here) $(d0 md_lv_here)" \
	"present own present present" "status RESOURCE: hv2's LV, .copy, meta-data LV"
assert_eq "$(d0 cstate) $(d0 role) $(jget vm_here <<< "$st")" "WFConnection Secondary undefined" \
	"status RESOURCE: DRBD and the VM on hv2"
assert_eq "$(d0 lv_table)" "$(part 4)" "status shows the LV's table as dmsetup does"
assert_eq "$(part 5 | jget disks.0.lv_maps)" "own" "status --plan shows the same"
assert_eq "$(part 5 | jget disks.0.lv_maps_text)" "its own table" "status --plan: the words beside the value"
# the usermode helper: the module's parameter as sysfs has it, held by vmhop for this
# move, the original in vmhop's record and in the journal; the sync as a percentage
# of what DRBD's bitmap covers, equal to the kernel's own oos: in /proc/drbd.
both=$(part 6)
human=$(tail -n +3 <<< "$both")
IFS='|' read -r cur held mine saved jorig hold oos size pct words <<< "$(jmany usermode_helper.current \
	usermode_helper.held_by_vmhop usermode_helper.held_for_this_move usermode_helper.saved_original \
	usermode_helper.journal_original usermode_helper.holds.0.resource disks.0.out_of_sync_kib \
	disks.0.size_kib disks.0.in_sync_percent disks.0.sync_text <<< "$st")"
assert_eq "$cur" "$(head -1 <<< "$both")" "status: the helper as sysfs has it"
assert_eq "$cur,$held,$mine,$saved,$jorig,$hold" "/bin/true,true,true,/sbin/drbdadm,/sbin/drbdadm,$RES" \
	"status: the helper held by vmhop for $RES, the original saved"
assert_eq "oos:$oos" "$(sed -n 2p <<< "$both")" "status: out of sync as /proc/drbd has it"
pm=$(( (size - oos) * 1000 / size ))
want="$((pm / 10)).$((pm % 10))"
assert_eq "$pct" "$want" "status: in_sync_percent from size_kib and out_of_sync_kib"
assert_match "$words" "^$want% in sync" "status: the sync in words"
assert_eq "$(grep -c '"resync_' <<< "$st")" 0 "status: no resync figures while WFConnection"
[ -n "${LAB_RESULTS:-}" ] && printf '%s\n\n%s\n' "$human" "$st" > "$LAB_RESULTS/61-status-sample.txt"
assert_match "$human" $'\nusermode_helper:\n  current: /bin/true\n' "status (text): the helper"
assert_match "$human" $'\n    sync: '"$want% in sync" "status (text): the sync"
say "e. status $RES: helper $cur held for $RES (original $saved), disk $words"
say "e. status lists $RES (dest, prepare) and status $RES reads hv2: $(d0 lv_maps), copy $(d0 copy_here), $(d0 cstate)"

SNAP="sha256sum $COPY/$UUID.journal | cut -c1-64; drbdsetup-84 sh-status $RES | sort; lvs --noheadings -o lv_name,lv_size vg | sort"
before=$(lab_out hv2 "rm -rf $COPY && cp -a $STATE $COPY && truncate -s 300 $COPY/$UUID.journal && $SNAP")
refused hv2 4 "journal $COPY/$UUID.journal is corrupt or truncated" \
	"$V status --plan $PLAN --state-dir $COPY" "$V status $RES --state-dir $COPY" "$V preflight --plan $PLAN --state-dir $COPY" \
	"$V prepare --plan $PLAN --state-dir $COPY" "$V wait-sync --plan $PLAN --state-dir $COPY" "$V abort --plan $PLAN --state-dir $COPY"
# what they left, status of the copy, then abort on hv2 and status after it (one call)
out=$(lab_out hv2 "$SNAP; echo @@; $V status --state-dir $COPY || exit 1; echo @@
	$V abort --plan $PLAN >/dev/null 2>&1; echo \$?; echo @@; cat /sys/module/drbd/parameters/usermode_helper && $V --json status $RES &&
	echo @@ && $V status && rm -f $STATE/$UUID.journal && echo @@ && $NOTHING && echo @@ && $V status")
assert_eq "$(part 0)" "$before" "the truncated journal, DRBD and the LVs are as they were"
assert_match "$(part 1)" "^$COPY/$UUID.journal: unreadable: journal $COPY/$UUID.journal is corrupt or truncated" \
	"status lists the unreadable journal"
say "d. journal truncated to 300 bytes: status --plan, status $RES, preflight, prepare, wait-sync, abort exit 4 naming it; nothing changed"
assert_eq "$(part 2)" 13 "abort on hv2: undone"
both=$(part 3)
assert_eq "$(head -1 <<< "$both")|$(tail -n +2 <<< "$both" | jmany usermode_helper.current usermode_helper.held_by_vmhop \
	usermode_helper.held_for_this_move usermode_helper.journal_original disks.0.cstate disks.0.sync disks.0.sync_text)" \
	"/sbin/drbdadm|/sbin/drbdadm|false|false|/sbin/drbdadm|none|no-device|no DRBD device" \
	"status after abort: the original helper back (sysfs and status), no hold, no DRBD device"
say "abort: status shows /sbin/drbdadm back, no hold, no DRBD device"
assert_match "$(part 4)" "^$RES  VM $N  dest  .*ABORTED  next: nothing: the move was aborted" "status lists the aborted move"
# the aborted move's journal stays; it was removed (above) for assert_nothing
assert_nothing "$(part 5)" "after abort"
assert_eq "$(part 6)" "no move has a journal in $STATE" "status with nothing left"
# ---- f. on the source (hv1): the minor, the port, an unsafe cache mode --------
# Nothing of this move on hv1: NOTHING_S prints what assert_nothing_s compares
# ($2: what was refused).
NOTHING_S="echo md=\$(lvs --noheadings -o lv_name vg | grep -c '${RES}_0\\.vhmd' || true) \
res=\$(drbdsetup-84 show $RES >/dev/null 2>&1 && echo yes || echo no) \
copy=\$(dmsetup ls | grep -c '\\.copy' || true) table=\$(dmsetup table vg-$N | awk '{print \$3}') \
journal=\$(ls $STATE/*.journal 2>/dev/null | wc -l)"
# (journal=1: the plan's own claim on hv1, written by vmhop plan; issue 21)
assert_nothing_s() { assert_eq "$1" "md=0 res=no copy=0 table=linear journal=1" "hv1: nothing created ($2)"; }
t1=$(now)
lab_out hv1 "drbdsetup-84 new-resource r61 && drbdsetup-84 new-minor r61 $MINOR 0" >/dev/null
refused hv1 5 "DRBD minor $MINOR is in use \\(resource r61\\) on this host" "$V preflight --plan $PLAN" "$V prepare --plan $PLAN"
out=$(lab_out hv1 "$Q; q drbdsetup-84 down r61 && $NOTHING_S && q drbdsetup-84 new-resource r61 &&
	q drbdsetup-84 connect r61 ipv4:169.254.77.1:$PORT ipv4:$D_ADDR:$PORT --protocol=C")
assert_nothing_s "$out" "minor taken"
refused hv1 5 "port $PORT is configured on DRBD resource r61" "$V preflight --plan $PLAN"
# cache='writeback' set since the plan was made (the VM restarted with it):
# its live XML no longer matches what the plan needs.
out=$(lab_out hv1 "$Q; q drbdsetup-84 down r61 && $NOTHING_S &&
	$VIRSH dumpxml $N | sed \"s/cache='none' io='native'/cache='writeback'/\" > /tmp/$N.wb.xml &&
	q $VIRSH destroy $N && q $VIRSH define /tmp/$N.wb.xml && q $VIRSH start $N")
assert_nothing_s "$out" "port configured on r61"
refused hv1 4 "cache='writeback'" "$V preflight --plan $PLAN"
assert_nothing_s "$(lab_out hv1 "$NOTHING_S")" "cache=writeback"
say "f. on hv1: minor $MINOR taken (preflight, prepare: 5), port $PORT on resource r61 (5), the VM restarted with cache=writeback (preflight: 4); nothing created ($(elapsed "$t1") s)"
# ---- g. on the source (hv1): what D's libvirt can tell, before the sync -----
# The VM back on cache='none', with two NICs: one on libvirt network vhnet61
# (a network over host bridge vhbr61, forward mode bridge: no firewall rules
# needed), one straight on bridge vhbr61.  hv1 has both; hv2 neither.
t1=$(now)
MAC1=52:54:00:61:00:01 MAC2=52:54:00:61:00:02
NET="<network><name>vhnet61</name><forward mode='bridge'/><bridge name='vhbr61'/></network>"
NIC="<interface type='network'><mac address='$MAC1'/><source network='vhnet61'/><model type='e1000'/><rom enabled='no'/></interface>"
NIC+="<interface type='bridge'><mac address='$MAC2'/><source bridge='vhbr61'/><model type='e1000'/><rom enabled='no'/></interface>"
out=$(lab_out hv1 "$Q; q ip link add vhbr61 type bridge && q ip link set vhbr61 up &&
	echo \"$NET\" > /tmp/vhnet61.xml && q $VIRSH net-define /tmp/vhnet61.xml && q $VIRSH net-start vhnet61 &&
	sed \"s/cache='writeback'/cache='none'/; s|</devices>|$NIC</devices>|\" /tmp/$N.wb.xml > /tmp/$N.nic.xml &&
	q $VIRSH destroy $N && q $VIRSH define /tmp/$N.nic.xml && q $VIRSH start $N && $NOTHING_S")
assert_nothing_s "$out" "the VM restarted with NICs on vhnet61 and vhbr61"
# hv2's libvirtd stopped: refused at once, naming D's libvirt (the peer: 12)
lab_out hv2 "$FAULT libvirtd stop" >/dev/null
refused hv1 12 "hv2's libvirt \\(qemu\\+tcp://hv2/system\\) cannot be asked whether it can take VM $N" \
	"$V preflight --plan $PLAN" "$V prepare --plan $PLAN"
assert_nothing_s "$(lab_out hv1 "$NOTHING_S")" "hv2's libvirtd stopped"
# libvirtd back; on hv2 another VM named $N (libvirt gives it a UUID of its
# own), neither vhnet61 nor vhbr61, QEMU's migration ports dropped: the four
# problems in one line, the first one's code (10: the name)
lab_out hv2 "$Q; q $FAULT libvirtd start && $BV xml $N > /tmp/other.xml && q $VIRSH define /tmp/other.xml &&
	q $FAULT stall 49152/0xffc0" >/dev/null
refused hv1 10 "hv2 \\(the destination\\) cannot take VM $N: a domain named $N exists on hv2, but not the plan's \\(UUID $UUID\\): another VM; network vhnet61 \\(NIC $MAC1\\) does not exist there; bridge vhbr61 \\(NIC $MAC2\\) does not exist there; QEMU's migration port 49152 on hv2: no answer in 3 s \\(open 49152-49215 there to this host, or plan --tunnelled\\)\$" \
	"$V preflight --plan $PLAN" "$V prepare --plan $PLAN"
assert_nothing_s "$(lab_out hv1 "$NOTHING_S")" "four problems on hv2"
# put right but the network, defined and not started there: exit 3, alone
out=$(lab_out hv2 "$Q; q $FAULT unstall && q $VIRSH undefine $N && q ip link add vhbr61 type bridge &&
	echo \"$NET\" > /tmp/vhnet61.xml && q $VIRSH net-define /tmp/vhnet61.xml && $VIRSH list --all --name | grep -cx $N || true")
assert_eq "$out" 0 "hv2: the other $N undefined"
refused hv1 3 "hv2 \\(the destination\\) cannot take VM $N: network vhnet61 \\(NIC $MAC1\\) is not active there\$" \
	"$V preflight --plan $PLAN"
# the network started (hv2's vhbr61 has no port: its link down is enough): passes
lab_out hv2 "$VIRSH net-start vhnet61" >/dev/null
out=$(lab_out hv1 "$V preflight --plan $PLAN 2>&1; echo rc=\$?; $NOTHING_S")
assert_match "$out" "rc=0" "hv1: preflight passes once hv2 has the network and the bridge"
assert_nothing_s "$(tail -n1 <<< "$out")" "preflight passed"
say "g. on hv1, what hv2's libvirt tells: libvirtd stopped (preflight, prepare: 12); another VM named $N, no network vhnet61, no bridge vhbr61, QEMU's migration ports dropped: all four in one line (10); the network defined, inactive (3); started: preflight passes; nothing created ($(elapsed "$t1") s)"
say "abort on hv2: exit 13, clean; scenario took $(elapsed "$t0") s"

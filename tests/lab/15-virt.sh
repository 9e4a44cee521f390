#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Lab scenario: libvirt (src/virt, `vmhop virt`) against libvirtd/QEMU in the
# lab, cross-checked with virsh.
#   1. the busy VM on hv1: `vmhop virt disk` finds its LV disk (bus, cache) as
#      virsh dumpxml says; an unsafe cache mode is reported and refused
#   2. suspend and resume, timed: virsh sees paused/running, the VM's write
#      counter stops and goes on; the same with virsh for comparison
#   3. a migration that cannot finish in time is cancelled (exit 9): the VM
#      still runs on hv1 and hv2 has no domain
#   4. live migration hv1 -> hv2 (p2p, tunnelled, persistent, undefine source)
#      with progress; virsh: running and persistent on hv2, gone from hv1;
#      lifecycle events resumed/migrated on hv2, stopped/migrated on hv1; the
#      writer goes on on hv2.  Then back hv2 -> hv1 the same way.
# The disk exists on both hosts at the same path (an LV of the same size made
# on hv2 with `vmhop lvm create`); the data is not the point here.
# timeout: 300
. "$(dirname "$0")/lib.sh"
t0=$(now)
BUILD=${BUILD:-build}
V=$BUILD/vmhop
BV="BUSYVM_BIN_DIR=$REPO/$BUILD/lab-bin $BUSYVM"
N=vh15
SIZE=64

jget() { python3 -c 'import json,sys; d=json.load(sys.stdin)
for k in sys.argv[1].split("."): d=d[k]
print(str(d).lower() if isinstance(d,bool) else d)' "$1"; }

cleanup() {
	set +e
	for h in hv1 hv2; do
		lab_run $h "virsh -q -c qemu:///system destroy $N; virsh -q -c qemu:///system undefine $N;
			virsh -q -c qemu:///system undefine ${N}w; $BV destroy $N; lvremove -q -y vg/$N" >/dev/null 2>&1 &
	done
	wait
}
trap cleanup EXIT
# Both hosts at once (lab_both), several commands in one run (lab_seq).
left="virsh -q -c qemu:///system list --all --name | grep -cx '$N\\|${N}w' || true; lvs --noheadings vg/$N 2>/dev/null | wc -l"
lab_both "$(lab_seq "$left" "$BV create $N $SIZE >/dev/null" "$BV wait-writes $N 64 120 >/dev/null")" \
	"$(lab_seq "$left" "$V lvm create vg/$N ${SIZE}M >/dev/null")"
assert_eq "$(echo $(lab_field 1 <<< "$OUT1"))" "0 0" "hv1 is clean before the scenario"
assert_eq "$(echo $(lab_field 1 <<< "$OUT2"))" "0 0" "hv2 is clean before the scenario"
say "busy VM $N running on hv1, LV vg/$N (${SIZE} MiB) on both hosts"

# 1. disk discovery
out=$(lab_out hv1 "$(lab_seq "$V --json virt disk $N" "virsh -q -c qemu:///system dumpxml $N" \
	"$V --json virt disk $N /dev/mapper/vg-$N" \
	"$BV xml ${N}w | sed \"s/cache='none' io='native'/cache='writeback'/; s|<source path='[^']*'|<source path='/tmp/${N}w.serial'|\" > /tmp/${N}w.xml &&
	virsh -q -c qemu:///system define /tmp/${N}w.xml >/dev/null" \
	"$V --json virt disk ${N}w" \
	"rc=0; $V virt migrate ${N}w qemu+tcp://hv2/system 2>&1 || rc=\$?; echo rc=\$rc" \
	"virsh -q -c qemu:///system undefine ${N}w >/dev/null")")
disk=$(lab_field 1 <<< "$out")
xml=$(lab_field 2 <<< "$out")
assert_eq "$(jget disk.source <<< "$disk")" "/dev/vg/$N" "disk source"
assert_eq "$(jget disk.bus <<< "$disk")" virtio "disk bus"
assert_eq "$(jget disk.cache <<< "$disk")" none "disk cache"
assert_eq "$(jget disk.target <<< "$disk")" vda "disk target"
assert_match "$xml" "cache='none'" "virsh dumpxml cache"
assert_match "$xml" "<target dev='vda' bus='virtio'/>" "virsh dumpxml target"
assert_eq "$(jget migration_safe <<< "$disk")" true "cache none is safe"
by_mapper=$(lab_field 3 <<< "$out")
assert_eq "$(jget disk.target <<< "$by_mapper")" vda "disk found by its /dev/mapper name"
w=$(lab_field 5 <<< "$out")
assert_eq "$(jget migration_safe <<< "$w")" false "cache writeback is unsafe"
mig=$(lab_field 6 <<< "$out")
assert_eq "$(tail -n1 <<< "$mig")" rc=4 "migration of a writeback-cache VM refused (exit)"
assert_match "$(sed '$d' <<< "$mig")" "cache='writeback'" "refusal names the cache mode"
say "disk: /dev/vg/$N vda virtio cache=none (= virsh dumpxml); writeback refused (exit 4)"

# 2. suspend / resume
sr=$(lab_out hv1 "
	s=\$($V --json virt suspend $N); st1=\$(virsh -q -c qemu:///system domstate $N)
	c1=\$($BV counter $N); sleep 2; c2=\$($BV counter $N)
	r=\$($V --json virt resume $N); st2=\$(virsh -q -c qemu:///system domstate $N)
	c3=\$($BV wait-writes $N \$((c2 + 32)) 60)
	t0=\$(date +%s%N); virsh -q -c qemu:///system suspend $N >/dev/null; t1=\$(date +%s%N)
	virsh -q -c qemu:///system resume $N >/dev/null; t2=\$(date +%s%N)
	echo \"\$(echo \"\$s\" | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"call_us\"])') \$st1 \$c1 \$c2 \$(echo \"\$r\" | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"call_us\"])') \$st2 \$c3 \$(( (t1 - t0) / 1000 )) \$(( (t2 - t1) / 1000 ))\"")
read -r s_us st1 c1 c2 r_us st2 c3 vs_us vr_us <<< "$sr"
assert_eq "$st1" paused "state after vmhop virt suspend"
assert_eq "$c1" "$c2" "no writes while paused"
assert_eq "$st2" running "state after vmhop virt resume"
assert_ge "$c3" "$((c2 + 32))" "writes go on after resume"
say "suspend: libvirt call ${s_us} us, resume ${r_us} us (virsh suspend ${vs_us} us, resume ${vr_us} us, whole program); counter $c1 held while paused, then $c3"

# 3. cancelled migration: 1 MiB/s cannot move 32 MiB of RAM in 3 s
rc=0; out=$(lab_run hv1 "$V virt migrate $N qemu+tcp://hv2/system --bandwidth 1 --timeout 3 --interval 500 --no-events 2>&1") || rc=$?
assert_eq "$rc" 9 "migration past its timeout is aborted (exit)"
assert_match "$out" "aborted after 3000 ms" "abort message"
assert_match "$out" "progress=migrate" "progress shown before the abort"
lab_both "$(lab_seq "virsh -q -c qemu:///system domstate $N" "c=\$($BV counter $N); $BV wait-writes $N \$((c + 32)) 60")" \
	"virsh -q -c qemu:///system list --all --name | grep -cx $N || true"
assert_eq "$(lab_field 1 <<< "$OUT1")" running "VM still runs on hv1 after the abort"
assert_eq "$OUT2" 0 "no domain on hv2 after the abort"
c4=$(lab_field 2 <<< "$OUT1")
say "timed-out migration aborted (exit 9); VM still running on hv1, writer at $c4"

# 4. there and back
migrate() {	# migrate FROM TO
	local from=$1 to=$2 out res p n
	out=$(lab_out "$from" "$V --json virt migrate $N qemu+tcp://$to/system --max-downtime 300 --interval 500")
	res=$(grep -v '"progress"' <<< "$out")
	p=$(grep -c '"progress"' <<< "$out" || true)
	assert_ge "$p" 1 "progress reports during the migration $from -> $to"
	assert_eq "$(jget dest_event <<< "$res")" resumed/migrated "lifecycle event on $to"
	assert_eq "$(jget source_event <<< "$res")" stopped/migrated "lifecycle event on $from"
	local on_to on_from
	on_to=$(lab_seq "virsh -q -c qemu:///system domstate $N" "virsh -q -c qemu:///system dominfo $N" \
		"c=\$($BV counter $N); $BV wait-writes $N \$((c + 32)) 60")
	on_from="virsh -q -c qemu:///system list --all --name | grep -cx $N || true"
	if [ "$to" = hv2 ]; then lab_both "$on_from" "$on_to"; on_to=$OUT2 on_from=$OUT1
	else lab_both "$on_to" "$on_from"; on_to=$OUT1 on_from=$OUT2; fi
	assert_eq "$(lab_field 1 <<< "$on_to")" running "state on $to"
	assert_match "$(lab_field 2 <<< "$on_to")" 'Persistent: +yes' "persistent on $to"
	assert_eq "$on_from" 0 "undefined on $from"
	n=$(lab_field 3 <<< "$on_to")
	say "migrated $from -> $to in $(jget wall_ms <<< "$res") ms, $p progress lines, downtime $(jget job.downtime_ms <<< "$res" 2>/dev/null || echo '?') ms (libvirt's figure), events: $to resumed/migrated at $(jget dest_event_ms <<< "$res") ms, $from stopped/migrated at $(jget source_event_ms <<< "$res") ms; writer at $n on $to"
	grep '"progress"' <<< "$out" | grep -v '"data_total":0,' | tail -n 1 | sed "s/^/[$SCENARIO]   last progress: /" || true
}
migrate hv1 hv2
migrate hv2 hv1

cleanup
trap - EXIT
left="virsh -q -c qemu:///system list --all --name | grep -c . || true; lvs --noheadings vg/$N 2>/dev/null | wc -l"
lab_both "$left" "$left"
assert_eq "$(echo $OUT1)" "0 0" "hv1 is clean after the scenario"
assert_eq "$(echo $OUT2)" "0 0" "hv2 is clean after the scenario"
say "ok in $(elapsed "$t0") s"

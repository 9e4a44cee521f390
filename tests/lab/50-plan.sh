#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Lab scenario: `vmhop plan` (src/core/plan*.c) on hv1 against the real
# libvirt, LVM, DRBD and routing table.
#   1. the busy VM on hv1: the plan (mode 0600) names it and its UUID as
#      virsh does, its one disk as lvs does (VG, LV, size in bytes), S's
#      address as `ip route get` does (found over rtnetlink), a free minor and
#      port, a 48-character secret; `plan --check` says "source" on hv1 and
#      "dest" on hv2, and exit 4 for a plan of two other hosts
#   1b. a VM with two LV disks and a CD-ROM: two volumes, sizes as lvs says,
#      consecutive minors; the CD-ROM is left out
#   2. a port something listens on is skipped, and refused when asked (exit 5)
#   3. refusals: no such VM (exit 3), a VM whose disk is a file (exit 4), a VM
#      with cache='writeback' (exit 4); an existing -o file is kept (exit 10)
#   4. a plan others can read (0644) or a link to the plan: preflight refuses
#      it (exit 11), nothing changed; a plan whose migration.uri is
#      qemu+ext:///system?command=PROG: preflight, plan --check and plan --dest-uri
#      refuse it (exit 4) and PROG never runs (virsh, given the same URI,
#      does run it: the control)
# timeout: 400
. "$(dirname "$0")/lib.sh"
t0=$(now)
say_t() { say "$* [$(elapsed "$t0") s]"; }
BUILD=${BUILD:-build}
V="VMHOP_STATE_DIR=/tmp/vh50-state $BUILD/vmhop"
BV="BUSYVM_BIN_DIR=$REPO/$BUILD/lab-bin $BUSYVM"
N=vh50
VIRSH="virsh -q -c qemu:///system"

jget() { python3 -c 'import json,sys; d=json.load(sys.stdin)
for k in sys.argv[1].split("."): d=d[int(k)] if isinstance(d,list) else d[k]
print(str(d).lower() if isinstance(d,bool) else d)' "$1"; }

cleanup() {
	set +e
	lab_run hv1 "$VIRSH destroy ${N}f; $VIRSH destroy ${N}w; $VIRSH destroy ${N}m;
		lvremove -q -y vg/${N}m vg/${N}m2; rm -f /tmp/${N}m.iso; $VIRSH undefine ${N}w;
		$BV destroy ${N}w; $BV destroy $N; rm -f /tmp/${N}f.img /tmp/p.json /tmp/p2.json;
		rm -f /tmp/p3.json /tmp/p4.json /tmp/p5.json /tmp/p6.json /tmp/$N.cmd /tmp/$N.ran;
		[ -e /tmp/$N.listen.pid ] && kill \$(cat /tmp/$N.listen.pid);
		rm -rf /var/lib/vmhop" >/dev/null 2>&1
	lab_run hv2 "rm -f /tmp/p.json" >/dev/null 2>&1
}
trap cleanup EXIT
# Several commands in one run of the guest (lab_seq, lab_field: tests/lab/lib.sh).
out=$(lab_out hv1 "$(lab_seq "$VIRSH list --all --name | grep -c '^$N' || true" \
	"$BV create $N 64 >/dev/null" "$BV wait-writes $N 16 120 >/dev/null")")
assert_eq "$(lab_field 1 <<< "$out")" 0 "hv1 is clean before the scenario"
say_t "busy VM $N running on hv1"

# 1. the plan
out=$(lab_out hv1 "$(lab_seq "rm -f /tmp/p.json; $V plan $N --to 169.254.77.2 -o /tmp/p.json >/dev/null && cat /tmp/p.json" \
	"stat -c %a /tmp/p.json; $VIRSH domuuid $N;
	lvs --noheadings --units b --nosuffix -o lv_size vg/$N | tr -d ' ';
	ip -j route get 169.254.77.2 | python3 -c 'import json,sys; print(json.load(sys.stdin)[0][\"prefsrc\"])'")")
plan=$(lab_field 1 <<< "$out")
facts=$(lab_field 2 <<< "$out")
read -r mode uuid lvsize prefsrc <<< "$(echo $facts)"
assert_eq "$mode" 600 "plan file mode"
assert_eq "$(jget vmhop_plan <<< "$plan")" 1 "plan version"
assert_eq "$(jget vm.name <<< "$plan")" "$N" "vm.name"
assert_eq "$(jget vm.uuid <<< "$plan")" "$uuid" "vm.uuid = virsh domuuid"
res=$(jget resource <<< "$plan")
assert_match "$res" "^vh-${uuid:0:8}-[0-9a-f]{6}\$" "resource from the UUID and the plan's nonce"
assert_eq "$(python3 -c 'import json,sys; print(len(json.load(sys.stdin)["disks"]))' <<< "$plan")" 1 "one disk"
assert_eq "$(jget disks.0.vg <<< "$plan")" vg "disk VG"
assert_eq "$(jget disks.0.lv <<< "$plan")" "$N" "disk LV"
assert_eq "$(jget disks.0.size <<< "$plan")" "$lvsize" "disk size = lvs lv_size"
assert_eq "$(jget disks.0.target <<< "$plan")" vda "disk target"
assert_eq "$(jget disks.0.copy <<< "$plan")" "$res-0.copy" "copy device name"
assert_eq "$(jget disks.0.meta.lv <<< "$plan")" "${res}_0.vhmd" "meta-data LV name"
assert_eq "$(jget source.address <<< "$plan")" "$prefsrc" "source address = ip route get prefsrc"
assert_eq "$prefsrc" 169.254.77.1 "hv1's link address"
assert_eq "$(jget dest.address <<< "$plan")" 169.254.77.2 "dest address"
assert_eq "$(jget migration.uri <<< "$plan")" "qemu+ssh://169.254.77.2/system" "default libvirt URI"
secret=$(jget drbd.shared_secret <<< "$plan")
assert_match "$secret" '^[0-9a-f]{48}$' "secret: 48 hex characters"
minor=$(jget disks.0.minor <<< "$plan"); port=$(jget port <<< "$plan")
# hv1: the minor and port free, a second plan (another secret), plan --check,
# and a plan for two other hosts; hv2 (at the same time): plan --check.
b64=$(base64 -w0 <<< "$plan")
lab_both "$(lab_seq "[ -e /dev/drbd$minor ] && echo minor-exists; ss -Htln 'sport = :$port' | wc -l" \
		"$V plan $N --to 169.254.77.2 -o /tmp/p2.json >/dev/null" \
		"python3 -c 'import json; print(json.load(open(\"/tmp/p2.json\"))[\"drbd\"][\"shared_secret\"])'" \
		"$V --json plan --check /tmp/p.json" \
		"rc=0; umask 077; python3 -c 'import json; p=json.load(open(\"/tmp/p.json\"));
p[\"source\"][\"address\"]=\"203.0.113.1\"; p[\"dest\"][\"address\"]=\"203.0.113.2\"
json.dump(p, open(\"/tmp/p2.json\", \"w\"))'; $V plan --check /tmp/p2.json 2>&1 || rc=\$?; echo rc=\$rc")" \
	"umask 077; echo $b64 | base64 -d > /tmp/p.json; $V --json plan --check /tmp/p.json"
assert_eq "$(echo $(lab_field 1 <<< "$OUT1"))" 0 "minor $minor has no device and nothing listens on port $port"
secret2=$(lab_field 3 <<< "$OUT1")
[ "$secret" != "$secret2" ] || fail "two plans got the same secret"
say_t "plan: $N $uuid, vg/$N $lvsize bytes, minor $minor, port $port, $prefsrc -> 169.254.77.2, mode 0600"

# Which side: source on hv1, dest on hv2, neither for other hosts (exit 4).
assert_eq "$(jget role <<< "$(lab_field 4 <<< "$OUT1")")" source "hv1 is the source"
assert_eq "$(jget role <<< "$OUT2")" dest "hv2 is the destination"
out=$(lab_field 5 <<< "$OUT1")
assert_eq "$(tail -n1 <<< "$out")" rc=4 "a plan for two other hosts (exit)"
assert_match "$(sed '$d' <<< "$out")" "plan is for hosts 203.0.113.1 and 203.0.113.2; this host has neither address" "neither"
say_t "plan --check: source on hv1, dest on hv2, neither elsewhere (exit 4)"

# 1b. two LV disks and a CD-ROM
out=$(lab_out hv1 "$(lab_seq "lvcreate -q -y -W y -Z n -n ${N}m -L 8M vg >/dev/null && lvcreate -q -y -W y -Z n -n ${N}m2 -L 12M vg >/dev/null
	dd if=$REPO/$BUILD/lab-bin/busyvm.img of=/dev/vg/${N}m bs=512 count=1 oflag=direct conv=notrunc status=none
	dd if=/dev/zero of=/tmp/${N}m.iso bs=1M count=1 status=none
	$BV xml ${N}m | sed \"s|</disk>|</disk><disk type='block' device='disk'><driver name='qemu' type='raw' cache='directsync'/><source dev='/dev/mapper/vg-${N}m2'/><target dev='vdb' bus='virtio'/></disk><disk type='file' device='cdrom'><driver name='qemu' type='raw'/><source file='/tmp/${N}m.iso'/><target dev='hdc' bus='ide'/><readonly/></disk>|\" > /tmp/${N}m.xml
	$VIRSH create /tmp/${N}m.xml >/dev/null" \
	"$V plan ${N}m --to 169.254.77.2" \
	"lvs --noheadings --units b --nosuffix -o lv_size vg/${N}m vg/${N}m2 | tr -d ' '" \
	"$VIRSH destroy ${N}m >/dev/null && lvremove -q -y vg/${N}m vg/${N}m2 >/dev/null")")
m=$(lab_field 2 <<< "$out")
sizes=$(lab_field 3 <<< "$out")
read -r s1 s2 <<< "$(echo $sizes)"
assert_eq "$(python3 -c 'import json,sys; print(len(json.load(sys.stdin)["disks"]))' <<< "$m")" 2 "two disks, no CD-ROM"
assert_eq "$(jget disks.0.lv <<< "$m") $(jget disks.0.size <<< "$m")" "${N}m $s1" "first disk"
assert_eq "$(jget disks.1.lv <<< "$m") $(jget disks.1.size <<< "$m") $(jget disks.1.target <<< "$m")" \
	"${N}m2 $s2 vdb" "second disk (named by its /dev/mapper path)"
assert_eq "$(jget disks.1.volume <<< "$m")" 1 "second volume"
m0=$(jget disks.0.minor <<< "$m"); m1=$(jget disks.1.minor <<< "$m")
assert_eq "$m1" "$((m0 + 1))" "consecutive free minors"
say_t "two LV disks + CD-ROM: volumes 0,1 (vg/${N}m $s1, vg/${N}m2 $s2 bytes), minors $m0,$m1"

# rc_of 'CMD': CMD (which may fail), its output with stderr, then "rc=" its status.
rc_of() { echo "rc=0; $1 2>&1 || rc=\$?; echo rc=\$rc"; }
rc_is() { tail -n1 <<< "$1"; }		# rc_is OUTPUT: "rc=N"
rc_out() { sed '$d' <<< "$1"; }		# rc_out OUTPUT: CMD's output

# 2. a port in use
out=$(lab_out hv1 "$(lab_seq "python3 -c 'import socket,time,os
s=socket.socket(); s.bind((\"169.254.77.1\", $port)); s.listen(); open(\"/tmp/$N.listen.pid\",\"w\").write(str(os.getpid())); time.sleep(120)' >/dev/null 2>&1 &
	for i in \$(seq 50); do ss -Htln 'sport = :$port' | grep -q . && break; sleep 0.1; done" \
	"$V plan $N --to 169.254.77.2 | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"port\"])'" \
	"$(rc_of "$V plan $N --to 169.254.77.2 --port $port")")")
next=$(lab_field 2 <<< "$out")
[ "$next" != "$port" ] || fail "port $port is listened on, and was chosen anyway"
out=$(lab_field 3 <<< "$out")
assert_eq "$(rc_is "$out")" rc=5 "a port in use, asked for (exit)"
assert_match "$(rc_out "$out")" "port $port" "names the port"
say_t "port $port listened on: skipped (got $next), refused when asked (exit 5)"

# 2b. a port with only a closed connection left (TIME_WAIT, as a resource just
# taken down leaves): DRBD binds it anyway (SO_REUSEADDR), so the plan takes it.
# The CI run of 2026-12-01 failed on exactly that before the probe set it.
tw=$((port + 7))
out=$(lab_out hv1 "$(lab_seq "python3 -c 'import socket
l=socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); l.bind((\"169.254.77.1\", $tw)); l.listen()
c=socket.create_connection((\"169.254.77.1\", $tw)); a,_=l.accept(); l.close(); a.close(); c.recv(1); c.close()' >/dev/null" \
	"ss -Htan state time-wait 'sport = :$tw'" \
	"$(rc_of "$V plan $N --to 169.254.77.2 --port $tw")")")
assert_match "$(lab_field 2 <<< "$out")" "169.254.77.1:$tw" "a TIME_WAIT socket is left on port $tw"
out=$(lab_field 3 <<< "$out")
assert_eq "$(rc_is "$out")" rc=0 "a port with only TIME_WAIT left, asked for (exit; $(rc_out "$out"))"
say_t "port $tw with a TIME_WAIT connection only: taken"

# 3. refusals (for cache=writeback one QEMU start: a transient domain on an LV
# that needs no content); then the ring check of the busy VM
out=$(lab_out hv1 "$(lab_seq "$(rc_of "$V plan nosuch$N --to 169.254.77.2")" \
	"dd if=/dev/zero of=/tmp/${N}f.img bs=1M count=8 status=none
	dd if=$REPO/$BUILD/lab-bin/busyvm.img of=/tmp/${N}f.img conv=notrunc status=none
	$BV xml ${N}f | sed \"s|<disk type='block'|<disk type='file'|; s/ cache='none' io='native'//; s|<source dev='/dev/vg/${N}f'/>|<source file='/tmp/${N}f.img'/>|\" > /tmp/${N}f.xml
	$VIRSH create /tmp/${N}f.xml >/dev/null" \
	"$(rc_of "$V plan ${N}f --to 169.254.77.2")" \
	"lvcreate -q -y -W y -Z n -n ${N}w -L 4M vg >/dev/null
	$BV xml ${N}w | sed \"s/cache='none' io='native'/cache='writeback'/\" > /tmp/${N}w.xml
	$VIRSH create /tmp/${N}w.xml >/dev/null" \
	"$(rc_of "$V plan ${N}w --to 169.254.77.2")" \
	"$(rc_of "$V plan $N --to 169.254.77.2 -o /tmp/p.json")" \
	"cat /tmp/p.json" \
	"$BV check $N >/dev/null")")
r=$(lab_field 1 <<< "$out")
assert_eq "$(rc_is "$r")" rc=3 "no such VM (exit)"
r=$(lab_field 3 <<< "$out")
assert_eq "$(rc_is "$r")" rc=4 "a file-backed disk (exit)"
assert_match "$(rc_out "$r")" "disk vda \\(type='file', /tmp/${N}f.img\\) is not on an LV" "names the disk"
r=$(lab_field 5 <<< "$out")
assert_eq "$(rc_is "$r")" rc=4 "cache=writeback (exit)"
assert_match "$(rc_out "$r")" "cache='writeback'" "names the cache mode"
r=$(lab_field 6 <<< "$out")
assert_eq "$(rc_is "$r")" rc=10 "an existing -o file (exit)"
assert_eq "$(lab_field 7 <<< "$out")" "$plan" "the existing plan is unchanged"
say_t "refused: unknown VM (3), file disk (4), cache=writeback (4), existing file (10)"

# 4. plans vmhop must not trust: open to others, a link, a URI that runs a program
MARK=/tmp/$N.ran
PROG=/tmp/$N.cmd
EXT="qemu+ext:///system?command=$PROG"
SNAP="echo state=\$(ls -A /tmp/vh50-state 2>/dev/null | tr '\n' ,) copies=\$(dmsetup ls | grep -c '\\.copy' || true) drbd=\$(grep -c ' cs:' /proc/drbd 2>/dev/null || true)"
out=$(lab_out hv1 "$(lab_seq "rm -f $MARK /tmp/p3.json /tmp/p4.json /tmp/p5.json /tmp/p6.json
	printf '#!/bin/sh\ntouch $MARK\n' > $PROG && chmod 755 $PROG
	cp /tmp/p.json /tmp/p3.json && chmod 644 /tmp/p3.json && ln -s /tmp/p.json /tmp/p4.json
	umask 077; python3 -c 'import json; p=json.load(open(\"/tmp/p.json\")); p[\"migration\"][\"uri\"]=\"$EXT\"
json.dump(p, open(\"/tmp/p5.json\", \"w\"))'
	stat -c %a /tmp/p3.json; $SNAP" \
	"$(rc_of "$V preflight --plan /tmp/p3.json")" \
	"$(rc_of "$V preflight --plan /tmp/p4.json")" \
	"$SNAP" \
	"$(rc_of "$V preflight --plan /tmp/p5.json")" \
	"$(rc_of "$V plan --check /tmp/p5.json")" \
	"$(rc_of "$V plan $N --to 169.254.77.2 --dest-uri '$EXT' -o /tmp/p6.json")" \
	"[ -e $MARK ] && echo ran || echo not-ran; [ -e /tmp/p6.json ] && echo written || echo not-written" \
	"virsh -q -c '$EXT' version >/dev/null 2>&1 || true; [ -e $MARK ] && echo ran || echo not-ran")")
before=$(lab_field 1 <<< "$out")
assert_eq "$(head -n1 <<< "$before")" 644 "the copied plan is world-readable"
before=$(tail -n1 <<< "$before")
r=$(lab_field 2 <<< "$out")
assert_eq "$(rc_is "$r")" rc=11 "preflight of a 0644 plan (exit)"
assert_match "$(rc_out "$r")" "plan /tmp/p3.json is open to others \\(mode 0644" "names the file and its mode"
r=$(lab_field 3 <<< "$out")
assert_eq "$(rc_is "$r")" rc=11 "preflight of a link to the plan (exit)"
assert_match "$(rc_out "$r")" "plan /tmp/p4.json is a symbolic link" "says it is a link"
assert_eq "$(lab_field 4 <<< "$out")" "$before" "nothing changed (state directory, copies, DRBD)"
say_t "a 0644 plan and a link to the plan: preflight refuses both (exit 11), nothing changed"
r=$(lab_field 5 <<< "$out")
assert_eq "$(rc_is "$r")" rc=4 "preflight of a plan with a qemu+ext URI (exit)"
assert_match "$(rc_out "$r")" "migration.uri 'qemu.ext:///system.command=$PROG': transport 'ext' is refused" "names the transport"
r=$(lab_field 6 <<< "$out")
assert_eq "$(rc_is "$r")" rc=4 "plan --check of that plan (exit)"
r=$(lab_field 7 <<< "$out")
assert_eq "$(rc_is "$r")" rc=4 "vmhop plan --dest-uri $EXT (exit)"
assert_match "$(rc_out "$r")" "transport 'ext' is refused" "--dest-uri: names the transport"
assert_eq "$(echo $(lab_field 8 <<< "$out"))" "not-ran not-written" "the command never ran, no plan written"
assert_eq "$(lab_field 9 <<< "$out")" ran "control: libvirt's client (virsh) given that URI runs the command"
say_t "migration.uri $EXT: refused by preflight, plan --check, plan --dest-uri (exit 4); $PROG never ran (virsh would run it)"
say "PASS in $(elapsed "$t0") s"

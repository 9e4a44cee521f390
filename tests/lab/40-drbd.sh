#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Lab scenario: the DRBD 8.4 netlink client (src/netlink, `vmhop drbd`) alone
# configures DRBD on both guests; the reference tools only look.
#   1. the module's default usermode_helper (/sbin/drbdadm) is in place
#   2. a wrong shared secret on hv2: the connection fails and vmhop says why
#   3. the right secret: `vmhop drbd up` on both (HMAC sha256, protocol C,
#      allow-two-primaries, after-sb-* disconnect, fixed resync rate), primary
#      --force on hv1, `vmhop drbd wait-sync` with progress; the sync completes
#      although the module's helper was drbdadm (vmhop replaced it and said so)
#   4. `drbdsetup-84 show` on each host shows exactly what vmhop sent;
#      `drbdsetup-84 sh-status` agrees with `vmhop drbd status`; `vmhop drbd
#      events` saw the sync progress
#   5. chg disk/net/resource options, then secondary/disconnect/detach/
#      del-minor/del-resource one by one on hv2 and `down` on hv1 -- and the
#      original helper is back on both
#   6. hv2's data equals hv1's (sha256 of the LVs); then IPv6 endpoints: connect,
#      drbdsetup-84 show, disconnect addressed by the IPv6 pair
#   7. a wait on the events stream ends as an error when the module is unloaded
# Run on the host by tests/lab/run.sh (lab started).  Cleans up in both guests.
# 90 to 190 s (measured), up to 4.5 min while other labs load the machine.
# timeout: 480
set -euo pipefail

REPO=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-build}
if [ -f "$REPO/tests/lab/lib.sh" ]; then
	# shellcheck source=/dev/null
	. "$REPO/tests/lab/lib.sh"
else
	lab_run() { "$REPO/tools/lab/lab.sh" run "$@"; }
	say() { echo "40-drbd: $*"; }
	fail() { echo "40-drbd: FAIL: $*" >&2; exit 1; }
fi
t40() { echo "40-drbd: $*"; }

R=r40
M=4
P=7794
A1=ipv4:169.254.77.1:$P
A2=ipv4:169.254.77.2:$P
SECRET=vmhop-40-secret
OPTS="--on-io-error=detach --resync-rate=8M --c-plan-ahead=0 --protocol=C --allow-two-primaries"
OPTS+=" --cram-hmac-alg=sha256 --after-sb-0pri=disconnect --after-sb-1pri=disconnect --after-sb-2pri=disconnect"
HELPER=/sys/module/drbd/parameters/usermode_helper
# Inside the guests
G="set -e; cd $REPO; export DM_DISABLE_UDEV=1 LVM_SUPPRESS_FD_WARNINGS=1; V=$BUILD/vmhop"

cleanup() {
	set +e
	for h in hv1 hv2; do
		lab_run $h "$G; set +e; kill \$(cat /tmp/nl40-*.pid 2>/dev/null) 2>/dev/null
			drbdsetup-84 down $R >/dev/null 2>&1
			lvremove -y vg/nl40_d vg/nl40_m >/dev/null 2>&1
			[ -e /run/vmhop/helper.state ] && \$V drbd helper restore >/dev/null
			ip -6 addr del fd00:77::1/64 dev eth0 2>/dev/null; ip -6 addr del fd00:77::2/64 dev eth0 2>/dev/null
			rm -f /tmp/nl40-*; true" >/dev/null 2>&1
	done
}
trap cleanup EXIT

# ---- 0. LVs: hv1 holds 64 MiB of data, hv2 zeros; fresh meta-data -----------
for h in hv1 hv2; do
	lab_run $h "$G
		lvcreate -q -y -Wn -Zn -n nl40_d -L 64M vg >/dev/null
		lvcreate -q -y -Wn -Zn -n nl40_m -L 4M vg >/dev/null
		if [ $h = hv1 ]; then
			head -c 67108864 /dev/urandom > /tmp/nl40-data; dd if=/tmp/nl40-data of=/dev/vg/nl40_d bs=1M oflag=direct status=none
		else
			dd if=/dev/zero of=/dev/vg/nl40_d bs=1M count=64 oflag=direct status=none
		fi
		drbdmeta --force $M v08 /dev/vg/nl40_m flex-external create-md >/dev/null 2>&1
		# 1. the module as a real host has it
		h=\$(cat $HELPER); [ \"\$h\" = /sbin/drbdadm ] || { echo \"helper is \$h\"; exit 1; }" ||
		fail "$h: set-up"
done
t40 "LVs ready; usermode_helper is /sbin/drbdadm on both"

# ---- 2. wrong secret on hv2 --------------------------------------------------
lab_run hv1 "$G; (set +e; echo $SECRET | \$V drbd up $R $M /dev/vg/nl40_d /dev/vg/nl40_m flexible $A1 $A2 $OPTS \
	--shared-secret-file - --timeout 40 > /tmp/nl40-w1.out 2>&1; echo \$? > /tmp/nl40-w1.rc) &
	echo \$! > /tmp/nl40-w1.pid" || fail "hv1: up (wrong secret round)"
set +e
lab_run hv2 "$G; echo not-$SECRET | \$V drbd up $R $M /dev/vg/nl40_d /dev/vg/nl40_m flexible $A2 $A1 $OPTS \
	--shared-secret-file - --timeout 40" > /tmp/nl40-w2.out 2>&1
rc2=$?
set -e
lab_run hv1 "for i in \$(seq 1 90); do [ -e /tmp/nl40-w1.rc ] && break; sleep 0.5; done
	cat /tmp/nl40-w1.out; echo rc=\$(cat /tmp/nl40-w1.rc)" > /tmp/nl40-w1.out
rc1=$(sed -n 's/^rc=//p' /tmp/nl40-w1.out)
sed 's/^/    hv1: /' /tmp/nl40-w1.out; sed 's/^/    hv2: /' /tmp/nl40-w2.out
[ "$rc1" != 0 ] && [ "$rc2" != 0 ] || fail "a wrong shared secret connected (hv1 rc=$rc1, hv2 rc=$rc2)"
grep -qi "authentication\|shared secret" /tmp/nl40-w1.out /tmp/nl40-w2.out ||
	fail "vmhop did not say that the peer failed authentication"
for h in hv1 hv2; do
	lab_run $h "drbdsetup-84 sh-status $M | grep -q '^_cstate=Connected' && exit 1
		$BUILD/vmhop drbd down $R
		h=\$(cat $HELPER); [ \"\$h\" = /sbin/drbdadm ] || { echo \"helper left as \$h\"; exit 1; }" ||
		fail "$h: connected with a wrong secret, or down failed, or the helper was not restored"
done
t40 "wrong secret: no connection, exit codes hv1=$rc1 hv2=$rc2, and vmhop said why"

# ---- 3. the right secret -----------------------------------------------------
for h in hv1 hv2; do
	lab_run $h "drbdmeta --force $M v08 /dev/vg/nl40_m flex-external create-md >/dev/null 2>&1"
done
lab_run hv2 "$G; (umask 077; echo $SECRET > /tmp/nl40-secret); (set +e; \$V drbd up $R $M /dev/vg/nl40_d /dev/vg/nl40_m flexible $A2 $A1 $OPTS \
	--shared-secret-file /tmp/nl40-secret --timeout 60 > /tmp/nl40-up2.out 2>&1; echo \$? > /tmp/nl40-up2.rc) &
	(exec \$V --json drbd events --timeout 120 > /tmp/nl40-events.out 2>&1) & echo \$! > /tmp/nl40-ev.pid"
lab_run hv1 "$G; (umask 077; echo $SECRET > /tmp/nl40-secret); \$V drbd up $R $M /dev/vg/nl40_d /dev/vg/nl40_m flexible $A1 $A2 $OPTS \
	--shared-secret-file /tmp/nl40-secret --timeout 60 --force" > /tmp/nl40-up1.out 2>&1 ||
	{ cat /tmp/nl40-up1.out; fail "hv1: vmhop drbd up --force"; }
sed 's/^/    hv1: /' /tmp/nl40-up1.out
grep -q "usermode_helper /sbin/drbdadm would abort resyncs" /tmp/nl40-up1.out ||
	fail "vmhop did not say it replaced the usermode helper"
lab_run hv1 "$G; t0=\$EPOCHREALTIME; \$V drbd wait-sync $M --timeout 120 > /tmp/nl40-sync.json 2> /tmp/nl40-sync.err
	rc=\$?; t1=\$EPOCHREALTIME; cat /tmp/nl40-sync.err
	echo \"\$t0 \$t1\" | awk '{ printf \"sync wait took %.1f s\\n\", \$2 - \$1 }'; exit \$rc" > /tmp/nl40-sync.out 2>&1 ||
	{ cat /tmp/nl40-sync.out; fail "hv1: wait-sync"; }
sed 's/^/    hv1: /' /tmp/nl40-sync.out
[ "$(grep -c '%' /tmp/nl40-sync.out)" -ge 2 ] || fail "wait-sync reported no progress"
lab_run hv2 "for i in \$(seq 1 60); do [ -e /tmp/nl40-up2.rc ] && break; sleep 0.5; done
	cat /tmp/nl40-up2.out; exit \$(cat /tmp/nl40-up2.rc)" | sed 's/^/    hv2: /' ||
	fail "hv2: vmhop drbd up"
t40 "connected with HMAC, forced primary on hv1, sync complete with the default helper replaced"

# ---- 4. what the kernel has: drbdsetup-84 show / sh-status vs vmhop ----------
for h in hv1 hv2; do
	if [ $h = hv1 ]; then me=169.254.77.1; peer=169.254.77.2; else me=169.254.77.2; peer=169.254.77.1; fi
	lab_run $h "drbdsetup-84 show $R; echo ====; drbdsetup-84 show --show-defaults $R" > /tmp/nl40-show-$h.txt ||
		fail "$h: drbdsetup-84 show"
	python3 - "$h" "$me" "$peer" /tmp/nl40-show-$h.txt <<PY || fail "$h: drbdsetup-84 show is not what vmhop sent"
import re, sys
host, me, peer, path = sys.argv[1:5]
plain, full = open(path).read().split("====")
def opts(text):
    d = {}
    for l in text.splitlines():
        m = re.match(r"\s*([a-z0-9-]+)\s+(.*?);", l)
        if m:
            d.setdefault(m.group(1), []).append(m.group(2).strip())
    return d
p, f = opts(plain), opts(full)
# what vmhop sent (values as drbdsetup prints them)
sent = {"on-io-error": "detach", "resync-rate": "8192k", "c-plan-ahead": "0", "protocol": "C",
        "allow-two-primaries": "yes", "cram-hmac-alg": '"sha256"', "shared-secret": '"$SECRET"',
        "after-sb-0pri": "disconnect", "after-sb-1pri": "disconnect", "after-sb-2pri": "disconnect",
        "device": "minor $M", "disk": '"/dev/vg/nl40_d"', "meta-disk": '"/dev/vg/nl40_m"'}
bad = ["%s: %s (want %s)" % (k, f.get(k), v) for k, v in sent.items() if v not in f.get(k, [])]
if sorted(f.get("address", [])) != sorted(["ipv4 %s:$P" % me, "ipv4 %s:$P" % peer]):
    bad.append("address: %s" % f.get("address"))
# the plain show lists only non-defaults: exactly the non-default options vmhop sent
nondefault = {"resync-rate", "c-plan-ahead", "allow-two-primaries", "cram-hmac-alg", "shared-secret"}
listed = set(p) - {"device", "disk", "meta-disk", "address"}
if listed != nondefault:
    bad.append("non-default options shown %s, sent %s" % (sorted(listed), sorted(nondefault)))
if bad:
    print(plain)
    print("\n".join(bad))
    sys.exit(1)
print("    %s: drbdsetup-84 show == what vmhop sent (%d options checked, with defaults)" % (host, len(sent) + 1))
PY
	lab_run $h "drbdsetup-84 sh-status $M; $BUILD/vmhop --json drbd status $M" > /tmp/nl40-st-$h.txt
	python3 - "$h" /tmp/nl40-st-$h.txt <<'PY' || fail "$h: vmhop drbd status disagrees with drbdsetup-84"
import json, sys
host, path = sys.argv[1:3]
text = open(path).read()
sh = dict(l.split("=", 1) for l in text.splitlines() if l.startswith("_") and "=" in l)
js = json.loads(text[text.index("{"):])
pairs = [("_role", "role"), ("_peer", "peer_role"), ("_cstate", "connection"), ("_disk", "disk"), ("_pdsk", "peer_disk")]
bad = [(a, sh.get(a), b, js.get(b)) for a, b in pairs if sh.get(a) != js.get(b)]
if bad:
    print("mismatch:", bad)
    sys.exit(1)
assert js["resource"] == "r40" and js["minor"] == 4
assert js["net_options"]["protocol"] == "C" and js["net_options"]["allow-two-primaries"] is True
assert js["disk_options"]["resync-rate"] == 8192 and js["disk_options"]["c-plan-ahead"] == 0
print("    %s: drbdsetup-84 and vmhop agree: %s" % (host, " ".join("%s=%s" % (b, js[b]) for a, b in pairs)))
PY
done
# after the sync: hv1 (forced) Primary, hv2 Secondary, both UpToDate
python3 - /tmp/nl40-st-hv1.txt /tmp/nl40-st-hv2.txt <<'PY' || fail "roles or disk states after the sync"
import json, sys
want = {"hv1": ("Primary", "Secondary"), "hv2": ("Secondary", "Primary")}
bad = []
for p in sys.argv[1:]:
    host = p[-7:-4]
    t = open(p).read(); js = json.loads(t[t.index("{"):])
    got = (js["role"], js["peer_role"], js["connection"], js["disk"], js["peer_disk"])
    exp = want[host] + ("Connected", "UpToDate", "UpToDate")
    print("    %s: role=%s peer=%s conn=%s disk=%s/%s" % ((host,) + got))
    if got != exp:
        bad.append("%s: %s, want %s" % (host, got, exp))
if bad:
    print("\n".join(bad))
    sys.exit(1)
PY
lab_run hv2 "kill \$(cat /tmp/nl40-ev.pid) 2>/dev/null; sleep 0.5; cat /tmp/nl40-events.out" > /tmp/nl40-events.out
nprog=$(grep '"minor":4,' /tmp/nl40-events.out | grep -c '"event":"sync-progress"' || true)
nchg=$(grep '"minor":4,' /tmp/nl40-events.out | grep -c '"event":"state-change"' || true)
[ "$nprog" -ge 1 ] && [ "$nchg" -ge 2 ] || { cat /tmp/nl40-events.out; fail "events stream lacks progress/state changes"; }
t40 "show matches what vmhop sent on both; sh-status == vmhop status; events on hv2: $nchg state changes, $nprog progress reports"

# ---- 5. change options, then take hv2 apart step by step ---------------------
lab_run hv2 "$G
	step() { echo \"step: \$*\"; }
	step disk-options; \$V drbd disk-options $M --resync-rate=50M
	drbdsetup-84 show $R | grep -qE 'resync-rate\s+51200k;'
	step net-options; \$V drbd net-options $A2 $A1 --ping-timeout=10
	drbdsetup-84 show $R | grep -qE 'ping-timeout\s+10;'
	step resource-options; \$V drbd resource-options $R --on-no-data-accessible=suspend-io
	drbdsetup-84 show $R | grep -qE 'on-no-data-accessible\s+suspend-io;'
	step refusal; \$V drbd net-options $A2 $A1 --after-sb-1pri=discard-secondary 2>/tmp/nl40-ref.err && exit 1
	grep -q 'could discard data' /tmp/nl40-ref.err; cat /tmp/nl40-ref.err
	step secondary; \$V drbd secondary $M
	step disconnect; \$V drbd disconnect $A2 $A1
	c=\$(drbdsetup-84 cstate $M); echo \"  drbdsetup-84 cstate: \$c\"; [ \"\$c\" = StandAlone ]
	step detach; \$V drbd detach $M
	d=\$(drbdsetup-84 dstate $M); echo \"  drbdsetup-84 dstate: \$d\"
	case \$d in Diskless*|Unconfigured) ;; *) exit 1 ;; esac
	\$V --json drbd status $M | grep -qE '\"disk\": ?\"Diskless\"'
	step del-minor; \$V drbd del-minor $M
	step del-resource; \$V drbd del-resource $R
	[ -z \"\$(drbdsetup-84 show $R 2>/dev/null)\" ]
	h=\$(cat $HELPER); [ \"\$h\" = /sbin/drbdadm ] || { echo \"hv2 helper still \$h\"; exit 1; }" > /tmp/nl40-s5.txt 2>&1 ||
	{ cat /tmp/nl40-s5.txt; lab_run hv2 "drbdsetup-84 show $R"; fail "hv2: option changes or step-by-step teardown"; }
sed 's/^/    hv2: /' /tmp/nl40-s5.txt
lab_run hv1 "$G; \$V drbd down $R; [ -z \"\$(drbdsetup-84 show $R 2>/dev/null)\" ]
	h=\$(cat $HELPER); [ \"\$h\" = /sbin/drbdadm ] || { echo \"hv1 helper still \$h\"; exit 1; }" ||
	fail "hv1: down"
t40 "options changed (kernel shows them), discarding after-sb refused, hv2 taken apart step by step, hv1 down; helper back to /sbin/drbdadm on both"

# ---- 6. the data -------------------------------------------------------------
s1=$(lab_run hv1 "sha256sum < /dev/vg/nl40_d; sha256sum < /tmp/nl40-data" | awk '{print $1}' | sort -u)
s2=$(lab_run hv2 "sha256sum < /dev/vg/nl40_d" | awk '{print $1}')
[ "$(echo "$s1" | wc -l)" = 1 ] || fail "hv1's LV changed: $s1"
[ "$s1" = "$s2" ] || fail "hv2's data differs from hv1's ($s1 vs $s2)"
t40 "hv2's 64 MiB equal hv1's: sha256 $s1"

# ---- 6b. IPv6 endpoints: connect, the kernel's view, disconnect by address ----
B1=ipv6:[fd00:77::1]:$P
B2=ipv6:[fd00:77::2]:$P
for h in hv1 hv2; do
	if [ $h = hv1 ]; then me=1; else me=2; fi
	lab_run $h "$G; ip -6 addr add fd00:77::$me/64 dev eth0 nodad
		drbdmeta --force $M v08 /dev/vg/nl40_m flex-external create-md >/dev/null 2>&1" ||
		fail "$h: IPv6 address"
done
lab_run hv2 "$G; (set +e; \$V drbd up $R $M /dev/vg/nl40_d /dev/vg/nl40_m flexible $B2 $B1 --protocol=C \
	--timeout 60 > /tmp/nl40-v6.out 2>&1; echo \$? > /tmp/nl40-v6.rc) &"
lab_run hv1 "$G; \$V drbd up $R $M /dev/vg/nl40_d /dev/vg/nl40_m flexible $B1 $B2 --protocol=C --timeout 60 2>&1 &&
	drbdsetup-84 show $R | grep -E 'address' &&
	drbdsetup-84 show $R | grep -qE 'address\s+ipv6 \[fd00:77::1\]:$P;' &&
	drbdsetup-84 show $R | grep -qE 'address\s+ipv6 \[fd00:77::2\]:$P;' &&
	\$V --json drbd status $M > /tmp/nl40-v6.json && grep -E '\"(local|peer|connection)\"' /tmp/nl40-v6.json &&
	grep -qE '\"local\": ?\"ipv6:\[fd00:77::1\]:$P\"' /tmp/nl40-v6.json &&
	grep -qE '\"peer\": ?\"ipv6:\[fd00:77::2\]:$P\"' /tmp/nl40-v6.json &&
	grep -qE '\"connection\": ?\"Connected\"' /tmp/nl40-v6.json &&
	\$V drbd disconnect $B1 $B2 && [ \"\$(drbdsetup-84 cstate $M)\" = StandAlone ] &&
	\$V drbd down $R" > /tmp/nl40-v6.txt 2>&1 || { cat /tmp/nl40-v6.txt; fail "hv1: IPv6 connect/disconnect"; }
sed 's/^/    hv1: /' /tmp/nl40-v6.txt
lab_run hv2 "for i in \$(seq 1 60); do [ -e /tmp/nl40-v6.rc ] && break; sleep 0.5; done
	cat /tmp/nl40-v6.out; [ \"\$(cat /tmp/nl40-v6.rc)\" = 0 ] && $BUILD/vmhop drbd down $R" > /tmp/nl40-v6b.txt 2>&1 ||
	{ cat /tmp/nl40-v6b.txt; fail "hv2: IPv6 connect"; }
for h in hv1 hv2; do
	if [ $h = hv1 ]; then me=1; else me=2; fi
	lab_run $h "ip -6 addr del fd00:77::$me/64 dev eth0" || true
done
t40 "IPv6: connected over [fd00:77::1]:$P <-> [fd00:77::2]:$P, show agrees, disconnect by the IPv6 pair worked"

# ---- 7. module unload ends a wait as an error --------------------------------
lab_run hv2 "$G; ver=\$(uname -r)
	ko=\$(find $REPO/build/kernel/root/lib/modules/\$ver -name drbd.ko | head -n1)
	[ -n \"\$ko\" ] || { echo no drbd.ko; exit 1; }
	(set +e; \$V drbd events --timeout 60 > /tmp/nl40-unload.out 2>&1; echo \$? > /tmp/nl40-unload.rc) &
	sleep 2; rmmod drbd
	for i in \$(seq 1 40); do [ -e /tmp/nl40-unload.rc ] && break; sleep 0.25; done
	insmod \$ko
	cat /tmp/nl40-unload.out; rc=\$(cat /tmp/nl40-unload.rc); echo rc=\$rc
	[ \"\$rc\" = 8 ] && grep -q 'drbd module was unloaded' /tmp/nl40-unload.out
	\$V drbd status > /dev/null" > /tmp/nl40-unload.txt 2>&1 ||
	{ cat /tmp/nl40-unload.txt; fail "hv2: an events wait did not end as an error on rmmod"; }
sed 's/^/    hv2: /' /tmp/nl40-unload.txt
t40 "rmmod drbd ended the events wait with an error (exit 8); module loaded again"

trap - EXIT
cleanup
t40 "ok"

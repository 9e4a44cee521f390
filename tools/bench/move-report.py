#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# The report of tools/bench/move.sh: reads its raw logs (OUT/METHOD.ROUND.log:
# STEP and VAL lines, CLK lines, raw files between "@@FILE NAME" and "@@END"),
# prints one row a move, then each method's medians over its rounds, and the
# ratios vmhop/copy.  It can be run again on the logs of an earlier run.
#   tools/bench/move-report.py OUT METHODS ROUNDS HOP_MS [SIZE_MIB]
#   e.g. tools/bench/move-report.py build/bench-move send,copy 3 180
# Details: docs/bench-move.md.
import datetime
import json
import os
import re
import statistics
import sys

LABEL = {"seed": "seed procedure", "copy": "copy-storage-all",
         "copysync": "copy-storage-all+sync-writes", "vmhop": "vmhop phases",
         "send": "vmhop send/receive", "overlap": "vmhop send --overlap"}
# The stall is from hv1's "Suspended Migrated" (QEMU stopped there for the
# switchover) to the event with which hv2's libvirtd says the guest runs
# there; libvirt 9.0 emits, on hv2 (see the raw logs, events.hv2r):
#  - a plain live migration (copy, copysync, the seed's migrate step):
#    "Started Migrated", then "Resumed Migrated" when Finish starts the CPUs;
#  - vmhop's (VIR_MIGRATE_PAUSED): "Started Migrated", "Suspended Paused" in
#    Finish (the guest stays paused), then "Resumed Unpaused" when vmhop's
#    virDomainResume has started the CPUs.
RUN = {"seed": "Resumed Migrated", "copy": "Resumed Migrated",
       "copysync": "Resumed Migrated", "vmhop": "Resumed Unpaused",
       "send": "Resumed Unpaused", "overlap": "Resumed Unpaused"}


def ts(line):
    """libvirt's event timestamp: "2026-12-01 08:50:12.345+0000: event ..."
    (virsh's clock when it received the event)"""
    m = re.match(r"(\d+-\d+-\d+ \d+:\d+:\d+\.\d+)\+0000: ", line)
    if not m:
        return None
    return datetime.datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S.%f").replace(
        tzinfo=datetime.timezone.utc).timestamp()


def lifecycle(lines):
    """[(t, "Type Detail")] of the lifecycle events, in order"""
    out = []
    for line in lines:
        m = re.search(r"event 'lifecycle' for domain '[^']*': (.*)$", line)
        t = ts(line)
        if m and t is not None:
            out.append((t, m.group(1).strip()))
    return out


def first(lc, name):
    return next((t for t, e in lc if e == name), None)


def pauses(lc):
    """Suspended Paused -> Resumed Unpaused, as libvirt saw them (ms)"""
    r, t0 = [], None
    for t, e in lc:
        if e == "Suspended Paused":
            t0 = t
        elif e == "Resumed Unpaused" and t0 is not None:
            r.append((t - t0) * 1000)
            t0 = None
    return r


def resync(lines):
    """DRBD's own: kernel timestamps of "Began resync" and "Resync done" (ms)"""
    b = d = None
    for line in lines:
        m = re.match(r"\[\s*(\d+\.\d+)\]", line)
        if not m:
            continue
        if "Began resync as SyncSource" in line:
            b = float(m.group(1))
        elif "Resync done" in line and b is not None:
            d = float(m.group(1))
    return (d - b) * 1000 if b is not None and d is not None else None


def f(v, p="%.0f"):
    return (p % v) if v is not None else "?"


def parse(path):
    st, val, files, cur, clk = {}, {}, {}, None, []
    for line in open(path, errors="replace"):
        line = line.rstrip("\n")
        if cur is not None:
            if line == "@@END":
                cur = None
            else:
                files[cur].append(line)
            continue
        w = line.split(" ")
        if w[0] == "STEP" and len(w) == 4:
            st[w[1]] = (float(w[2]), float(w[3]))
        elif w[0] == "VAL" and len(w) >= 3:
            val[w[1]] = " ".join(w[2:])
        elif w[0] == "@@FILE" and len(w) == 2:
            cur = w[1]
            files[cur] = []
        elif w[0] == "CLK" and len(w) == 4:
            clk.append(tuple(map(float, w[1:])))
    return st, val, files, clk


def analyse(m, path, hop):
    """one move's figures (ms), or None when it did not complete"""
    st, val, files, clk = parse(path)
    if "end" not in val or "check" not in val:
        return None
    sev = []
    if m in ("send", "overlap"):	# send's phases, from its events, in hv1's clock
        sev = [json.loads(x) for x in files.get("send_events", []) if x.startswith("{")]
        pt = {}
        for e in sev:
            if e["event"] in ("phase-start", "phase-end"):
                pt.setdefault(e["phase"], [None, None])[e["event"] == "phase-end"] = st["send"][0] + e["t"]
        for k, (a, b) in pt.items():
            if a is not None and b is not None:
                st[k] = (a, b)

    def dur(a, b):
        return (st[b][1] - st[a][0]) * 1000 if a in st and b in st else None
    ji = {}
    for x in files.get("jobinfo", []):
        k, _, v = x.partition(":")
        ji[k.strip()] = v.strip()
    # libvirt's "Total downtime" on hv2 is hv2's clock at the end minus hv1's
    # at the stop: it carries the guests' clock offset.  "Downtime w/o
    # network" takes out the time the stats took from hv1 to hv2, and the
    # offset with it; libvirt leaves it out when hv2's clock is behind (the
    # total is then QEMU's own).
    dk = "Downtime w/o network" if "Downtime w/o network" in ji else "Total downtime"
    down = float(ji[dk].split()[0]) if dk in ji else None
    total = (float(val["end"]) - float(val["t0"])) * 1000
    mig = dur("migrate", "migrate")
    size = int(val["size_bytes"])
    lc1 = lifecycle(files.get("events.hv1", []))
    lc2 = lifecycle(files.get("events.hv2", []))		# hv2's clock
    lc2r = lifecycle(files.get("events.hv2r", []))	# hv2's events, hv1's clock
    # hv2's clock minus hv1's, from the quickest round trip to the agent
    a, d, b = min(clk, key=lambda c: c[2] - c[0]) if clk else (0, 0, 0)
    off, unc = d - (a + b) / 2, (b - a) / 2
    # The stall on one clock: hv1's "Suspended Migrated" to hv2's resume,
    # both received on hv1.  The same from hv2's own listener, corrected by
    # the offset, as a cross-check.
    t_stop = first(lc1, "Suspended Migrated")
    run = RUN[m]
    t_run = first(lc2r, run)
    note = ""
    if t_run is None:	# not the event expected: the first "Resumed" at all
        alt = next(((t, e) for t, e in lc2r if e.startswith("Resumed")), None)
        if alt:
            t_run, note = alt[0], " (no '%s' on hv2: used '%s')" % (run, alt[1])
            run = alt[1]
    sw = (t_run - t_stop) * 1000 if t_stop is not None and t_run is not None else None
    t_run2 = first(lc2, run)
    sw2 = (t_run2 - off - t_stop) * 1000 if t_stop is not None and t_run2 is not None else None
    # the destination's QEMU is up (libvirt's "Started Migrated" on hv2), in hv1's clock
    t_up = first(lc2r, "Started Migrated")
    if t_up is None and first(lc2, "Started Migrated") is not None:
        t_up = first(lc2, "Started Migrated") - off
    up = (t_up - st["migrate"][0]) * 1000 if t_up is not None and "migrate" in st else None
    # what libvirt emitted around the switchover, relative to the stop
    seq = sorted([(t, "hv1 " + e) for t, e in lc1 if t_stop is not None and t >= t_stop] +
                 [(t, "hv2 " + e) for t, e in lc2r])
    seq_s = ", ".join("%s %+.0f" % (e, (t - t_stop) * 1000) for t, e in seq) if t_stop else "?"
    r = dict(total=total, stall=sw, freeze=None, down=down, sync=None, mig=mig, vsync=None,
             vswitch=None, vtotal=None, check=val.get("check", "?"))
    clock = ("stall: hv1 'Suspended Migrated' -> hv2 '%s' %s ms on hv1's clock%s (from hv2's own "
             "events and the clocks' offset: %s ms; hv2 - hv1 = %.0f ms +- %.0f); hv2's QEMU up %s ms "
             "into the migration; remote listener connected before the move: %s; lifecycle events "
             "(ms from the stop): %s" % (run, f(sw), note, f(sw2), off * 1000, unc * 1000, f(up),
                                         val.get("listener_hv2r", "?"), seq_s))
    if m == "seed":
        ev = pauses(lc1) + pauses(lc2r or lc2)
        vp = [dur("suspend", "resume"), dur("suspend_D", "resume_D")]
        r["sync"] = resync(files.get("dmesg.hv1", [])) or dur("primary_S", "wait_sync_S")
        # the seed's two pauses and its migration's switchover; virsh's
        # calls and libvirt's downtime where the events lack
        r["stall"] = ((sum(ev) if len(ev) == 2 else sum(x for x in vp if x)) +
                      (sw if sw is not None else (down or 0)))
        names = list(st)
        in1 = names[names.index("suspend") + 1:names.index("resume")]
        in2 = names[names.index("suspend_D") + 1:names.index("resume_D")]
        hops = sum(1 for n in in1 + in2 if n.endswith("_D")) + 2
        detail = ("pauses %s ms (libvirt's events; virsh calls: %s ms) + the migration's switchover %s "
                  "ms; %d steps in the pauses, %d on hv2 (a hop to hv2 costs ~%.0f ms of them)" % (
                      " + ".join(f(x) for x in ev) or "?", " + ".join(f(x) for x in vp), f(sw),
                      len(in1) + len(in2) + 3, hops, hop))
        r["overhead"] = total - r["sync"] - mig
    elif m == "vmhop":
        bj, mj = json.loads(val["bridge_json"]), json.loads(val["migrate_json"])
        r["freeze"] = sum(bj.get("freeze_ns", [])) / 1e6
        r["down"] = down if down is not None else mj.get("downtime_ms")
        r["sync"] = resync(files.get("dmesg.hv1", [])) or dur("prepare_D", "wait_sync_S")
        if sw is None:
            r["stall"] = r["down"]
        detail = ("bridge freeze %.3f ms (the VM's I/O held, not the VM); libvirt downtime %s ms, then "
                  "the gate and the resume on hv2; gate %s" % (r["freeze"], f(r["down"]),
                                                              mj.get("gate", "?")))
        r["overhead"] = total - r["sync"] - mig
    elif m in ("send", "overlap"):
        sj = next((e for e in reversed(sev) if e.get("event") == "summary"), {})
        r["freeze"] = sum(sj.get("freeze_ns", [])) / 1e6
        r["down"] = down if down is not None else sj.get("downtime_ms")
        r["vsync"] = sj.get("phase_ms", {}).get("wait-sync")
        r["vswitch"] = sj.get("switch_ms")
        r["vtotal"] = sj.get("total_ms")
        r["sync"] = resync(files.get("dmesg.hv1", [])) or dur("wait-sync", "wait-sync")
        if sw is None:
            r["stall"] = r["down"]
        detail = ("bridge freeze %.3f ms (the VM's I/O held, not the VM); libvirt downtime %s ms, then "
                  "the gate and the resume on hv2: %s ms by send's clock (switch_ms); send's own: "
                  "total %s ms, wait-sync %s ms, %s MiB/s" % (
                      r["freeze"], f(r["down"]), f(r["vswitch"]), f(r["vtotal"]), f(r["vsync"]),
                      sj.get("sync_rate_mib_s", "?")))
        # The same stop -> run on hv1's clock without events: QEMU stopped on
        # hv1 at the job's start + its elapsed time - its downtime (libvirt's
        # job-completed event); the job's start is the earliest of send's
        # progress events' t minus the elapsed time libvirt gave in it; it
        # runs on hv2 when send goes on to the next step after the resume.
        t_mig = min((e["t"] - e["elapsed_ms"] / 1000 for e in sev
                     if e["event"] == "migrate" and e.get("elapsed_ms")), default=None)
        t_next = next((e["t"] for e in sev if e["event"] == "step" and
                       e.get("what", "").startswith("undefine ")), None)
        ev1 = files.get("events.hv1", [])
        jc = {}
        for x in ev1[next((i for i, x in enumerate(ev1) if "'job-completed'" in x), len(ev1)):]:
            k, _, v = x.strip().partition(": ")
            if k in ("time_elapsed", "downtime", "downtime_net") and k not in jc:
                jc[k] = float(v)
        if "downtime_net" in jc:
            jc["downtime"] = jc["downtime_net"]
        if t_mig is not None and t_next is not None and "time_elapsed" in jc and "downtime" in jc:
            detail += ("; by send's own clock, QEMU stopped on hv1 (job start + elapsed %.0f - downtime "
                       "%.0f) -> send's step after the resume on hv2 %.0f ms" % (
                           jc["time_elapsed"], jc["downtime"],
                           (t_next - t_mig) * 1000 - (jc["time_elapsed"] - jc["downtime"])))
        r["overhead"] = total - r["sync"] - mig if r["sync"] is not None and mig is not None else None
    else:
        # the disk copy: libvirt starts the destination's QEMU with an NBD
        # server, mirrors the disk, and migrates the memory once the mirror is
        # ready: from "Started Migrated" on hv2 to "Block Copy ... ready" on hv1
        t_ready = next((ts(x) for x in files.get("events.hv1", []) if "'block-job-2'" in x and "ready" in x), None)
        r["sync"] = (t_ready - t_up) * 1000 if t_ready and t_up else None
        detail = ("libvirt downtime %s ms; copy: from hv2's QEMU start to libvirt's block-copy ready "
                  "event" % f(down))
        r["overhead"] = total - mig
    r["rate"] = (size / 2**20) / (r["sync"] / 1000) if r["sync"] else None
    r["detail"] = detail + "; " + clock
    return r


def med(rows, k):
    v = [r[k] for r in rows if r and r.get(k) is not None]
    return statistics.median(v) if v else None


def main():
    out, only, rounds, hop = sys.argv[1], sys.argv[2].split(","), int(sys.argv[3]), float(sys.argv[4])
    size = sys.argv[5] if len(sys.argv) > 5 else "?"
    res = {m: [] for m in only}
    for r in range(1, rounds + 1):
        for m in only:
            p = os.path.join(out, "%s.%d.log" % (m, r))
            res[m].append((r, analyse(m, p, hop) if os.path.exists(p) else None))
    cols = ("total", "stall", "freeze", "down", "sync", "rate", "mig", "overhead")
    hdr = ("round", "method", "total ms", "stall ms", "freeze ms", "libvirt dt", "sync ms", "MiB/s",
           "migrate ms", "overhead")
    fmt = "[bench-move] %-5s %-30s %9s %9s %9s %10s %8s %6s %10s %9s"
    print("[bench-move] each move (size %s MiB), in the order run:" % size)
    print(fmt % hdr)
    for r in range(1, rounds + 1):
        for m in only:
            row = res[m][r - 1][1]
            if row is None:
                print("[bench-move] %-5s %-30s %s" % (r, LABEL[m], "FAILED or not available (see above)"))
                continue
            print(fmt % ((r, LABEL[m]) + tuple(f(row[c], "%.1f" if c in ("rate",) else
                                                   "%.2f" if c == "freeze" else "%.0f") for c in cols)))
    for r in range(1, rounds + 1):
        for m in only:
            row = res[m][r - 1][1]
            if row:
                print("[bench-move]   round %d, %s: %s; data check on hv2: %s" % (r, LABEL[m], row["detail"], row["check"]))
    print("[bench-move] medians over the rounds (ms; n = moves that completed):")
    mh = ("method", "n", "total", "stall", "libvirt dt", "sync", "migrate", "overhead",
          "vmhop sync", "vmhop switch", "vmhop total")
    mf = "[bench-move] %-30s %2s %8s %7s %10s %7s %8s %8s %10s %12s %11s"
    print(mf % mh)
    meds = {}
    for m in only:
        rows = [x for _, x in res[m] if x]
        meds[m] = {k: med(rows, k) for k in ("total", "stall", "down", "sync", "mig", "overhead",
                                             "vsync", "vswitch", "vtotal")}
        print(mf % ((LABEL[m], len(rows)) + tuple(f(meds[m][k]) for k in (
            "total", "stall", "down", "sync", "mig", "overhead", "vsync", "vswitch", "vtotal"))))
    for v in ("send", "overlap", "vmhop"):
        if v in meds and "copy" in meds:
            a, b = meds[v], meds["copy"]
            ratio = lambda k: ("%.2f" % (a[k] / b[k])) if a[k] and b[k] else "?"
            print("[bench-move] %s / copy-storage-all (medians): stall %s (%s / %s ms), total %s (%s / %s ms)" % (
                LABEL[v], ratio("stall"), f(a["stall"]), f(b["stall"]), ratio("total"), f(a["total"]),
                f(b["total"])))
    print("[bench-move]   stall = hv1's 'Suspended Migrated' to hv2's 'Resumed ...', both events received "
          "on hv1 (one clock); the seed adds its two pauses.  total = the move's first command to its "
          "last (copy: hv2's LV made before).  overhead = total - sync - migrate (libvirt's runs: total "
          "- migrate, the copy is inside it)")


if __name__ == "__main__":
    main()

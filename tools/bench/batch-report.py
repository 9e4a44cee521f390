#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# The report of tools/bench/batch.sh: reads its raw logs (OUT/MODE.ROUND.log,
# in move.sh's format: STEP, VAL, @@FILE ... @@END; read by move-report.py's
# parser), prints one row a batch and one a move, then each way's medians and
# the ratio parallel / serial.  It can be run again on the logs of a run.
#   tools/bench/batch-report.py OUT MODES ROUNDS
#   e.g. tools/bench/batch-report.py build/bench-batch serial,parallel 2
# Details: docs/bench-move.md, "Many moves at once (issue 21)".
import importlib.util
import json
import os
import re
import statistics
import sys

_spec = importlib.util.spec_from_file_location(
    "move_report", os.path.join(os.path.dirname(os.path.abspath(__file__)), "move-report.py"))
mr = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(mr)
f = mr.f


def lifecycle(lines):
    """{domain: [(t, "Type Detail")]} of the lifecycle events, in order"""
    out = {}
    for line in lines:
        m = re.search(r"event 'lifecycle' for domain '([^']*)': (.*)$", line)
        t = mr.ts(line)
        if m and t is not None:
            out.setdefault(m.group(1), []).append((t, m.group(2).strip()))
    return out


def analyse(path):
    """the batch's figures and its moves' (ms), or None when it did not complete"""
    st, val, files, _ = mr.parse(path)
    if "end" not in val or "vms" not in val:
        return None
    load = [x.split(" ", 1)[1] for x in open(path, errors="replace").read().splitlines()
            if x.startswith("HOSTLOAD ")]
    lc1 = lifecycle(files.get("events.hv1", []))
    lc2r = lifecycle(files.get("events.hv2r", []))	# hv2's events, hv1's clock
    moves, win = [], []
    for n in val["vms"].split():
        ev = [json.loads(x) for x in files.get("send_events." + n, []) if x.startswith("{")]
        sj = next((e for e in reversed(ev) if e.get("event") == "summary"), {})
        s0 = st["send_" + n][0]
        ph = sj.get("phase_ms", {})
        rate = sj.get("sync_rate_mib_s")
        kib = sj.get("synced_kib")
        # the resync on hv1's clock: send's first sync event to wait-sync's end
        t_a = next((e["t"] for e in ev if e["event"] == "sync"), None)
        t_b = next((e["t"] for e in ev if e["event"] == "phase-end" and e.get("phase") == "wait-sync"), None)
        if t_a is not None and t_b is not None:
            win.append((s0 + t_a, s0 + t_b, kib or 0))
        t_stop = mr.first(lc1.get(n, []), "Suspended Migrated")
        t_run = mr.first(lc2r.get(n, []), "Resumed Unpaused")
        moves.append(dict(
            vm=n, total=sj.get("total_ms"), harness=(st["send_" + n][1] - s0) * 1000,
            sync=(kib / 1024 / rate * 1000) if kib and rate else None, rate=rate,
            prep=ph.get("prepare"), waitsync=ph.get("wait-sync"), mig=ph.get("migrate"), down=sj.get("downtime_ms"),
            switch=sj.get("switch_ms"),
            stall=(t_run - t_stop) * 1000 if t_stop is not None and t_run is not None else None,
            start=(s0 - float(val["t0"])) * 1000, check=val.get("check_" + n, "?")))
    # MiB synced by all moves over the time in which at least one resync ran
    # (serial: the sum of the syncs; parallel: about first start to last end)
    busy, e = 0.0, None
    for a, b, _ in sorted(win):
        if e is None or a > e:
            busy, e = busy + b - a, b
        elif b > e:
            busy, e = busy + b - e, b
    agg = sum(k for _, _, k in win) / 1024 / busy if busy > 0 else None
    return dict(wall=(float(val["end"]) - float(val["t0"])) * 1000, moves=moves, agg=agg,
                load=" -> ".join(load), hv1=val.get("load_hv1_after", "?"), hv2=val.get("load_hv2_after", "?"))


def med(v):
    v = [x for x in v if x is not None]
    return statistics.median(v) if v else None


def main():
    out, modes, rounds = sys.argv[1], sys.argv[2].split(","), int(sys.argv[3])
    res = {m: [] for m in modes}
    P = "[bench-batch]"
    bf = P + " %-5s %-8s %9s %13s %12s  %s"
    print(P + " each batch (wall: the first receive's start to the last receive's end; aggregate: "
          "MiB synced by all / time in which at least one resync ran):")
    print(bf % ("round", "way", "wall ms", "aggr. MiB/s", "moves ok", "load (host 1-min avg before -> after; hv1, hv2 after)"))
    for r in range(1, rounds + 1):
        for m in modes:
            p = os.path.join(out, "%s.%d.log" % (m, r))
            b = analyse(p) if os.path.exists(p) else None
            res[m].append(b)
            if b is None:
                print(P + " %-5s %-8s FAILED (see above)" % (r, m))
                continue
            ok = sum(1 for x in b["moves"] if "seqcheck:,ok" in x["check"])
            print(bf % (r, m, f(b["wall"]), f(b["agg"], "%.1f"), "%d/%d" % (ok, len(b["moves"])),
                        "%s; %s; %s" % (b["load"], b["hv1"], b["hv2"])))
    mf = P + " %-5s %-8s %-4s %8s %8s %8s %8s %6s %8s %8s %7s %6s %6s"
    print(P + " each move (send's --json summary; start: ms after the batch's start; stall: hv1's "
          "'Suspended Migrated' to hv2's 'Resumed Unpaused', one clock):")
    print(mf % ("round", "way", "vm", "start", "total", "prepare", "sync", "MiB/s", "waitsync", "migrate", "stall",
                "dt", "switch"))
    for r in range(1, rounds + 1):
        for m in modes:
            b = res[m][r - 1]
            for x in (b["moves"] if b else []):
                print(mf % (r, m, x["vm"], f(x["start"]), f(x["total"]), f(x["prep"]), f(x["sync"]), f(x["rate"], "%.1f"),
                            f(x["waitsync"]), f(x["mig"]), f(x["stall"]), f(x["down"]), f(x["switch"])))
    for r in range(1, rounds + 1):
        for m in modes:
            b = res[m][r - 1]
            for x in (b["moves"] if b else []):
                print(P + "   round %d, %s, %s: data check on hv2: %s" % (r, m, x["vm"], x["check"]))
    print(P + " medians (ms; wall and aggregate over the batches, the rest over all moves of that way):")
    hf = P + " %-8s %7s %8s %11s %8s %8s %8s %6s %8s %7s"
    print(hf % ("way", "batches", "wall", "aggr. MiB/s", "total", "prepare", "sync", "MiB/s", "migrate", "stall"))
    md = {}
    for m in modes:
        bs = [b for b in res[m] if b]
        mv = [x for b in bs for x in b["moves"]]
        md[m] = dict(wall=med([b["wall"] for b in bs]), agg=med([b["agg"] for b in bs]),
                     total=med([x["total"] for x in mv]), prep=med([x["prep"] for x in mv]), sync=med([x["sync"] for x in mv]),
                     rate=med([x["rate"] for x in mv]), mig=med([x["mig"] for x in mv]),
                     stall=med([x["stall"] for x in mv]))
        print(hf % (m, len(bs), f(md[m]["wall"]), f(md[m]["agg"], "%.1f"), f(md[m]["total"]),
                    f(md[m]["prep"]), f(md[m]["sync"]), f(md[m]["rate"], "%.1f"), f(md[m]["mig"]), f(md[m]["stall"])))
    if "serial" in md and "parallel" in md:
        a, b = md["parallel"], md["serial"]
        ratio = lambda k: ("%.2f" % (a[k] / b[k])) if a[k] and b[k] else "?"
        print(P + " parallel / serial (medians): wall %s (%s / %s ms), a move's total %s, its sync %s, "
              "its sync rate %s, its prepare %s, its migrate %s, its stall %s" % (
                  ratio("wall"), f(a["wall"]), f(b["wall"]), ratio("total"), ratio("sync"), ratio("rate"),
                  ratio("prep"), ratio("mig"), ratio("stall")))


if __name__ == "__main__":
    main()

#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# docs/json.md against the code that builds each JSON object (run by `make
# unit`): for every table of the page (each follows a "<!-- json-check: NAME
# -->" line), the fields it documents must be exactly the fields the code
# puts into that object, both ways.  The code side is read from the
# functions that build the object (the MAP below: file, function, the
# variable that holds the object): every key given as a literal to jput,
# add_str, json_object_object_add, vjson_add_*, add_pct, and the keys
# status's helpers derive from theirs (add_fact: K and K_text; add_unknown:
# K, K_error, and K_text when it has one; lv_fact: K, K_text, K_error;
# dm_fact: K, K_error).  A function of those files that puts a literal key
# into an object and is not in the MAP fails too, so a new emitter cannot
# go unchecked.  Needs python3 (make deps).  A second.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
doc=${JSON_DOC:-$top/docs/json.md}
exec python3 - "$top" "$doc" <<'PY'
import re, sys

top, doc = sys.argv[1], sys.argv[2]

# doc table -> [(file, function, variable)], "-KEY" removes a key the code
# deletes before printing.
MAP = {
    "next": [("tools/cmd_phase.c", "phase_next_json", "o")],
    "error": [("tools/cli.c", "vh_json_object", "o"), ("tools/cli.c", "print_json_error", "o")],
    "error.error": [("tools/cli.c", "print_json_error", "eo")],
    "phase-result": [("tools/cli.c", "vh_json_object", "o"),
                     ("tools/cmd_phase.c", "result_json", "o"),
                     ("tools/cmd_phase.c", "phase_switch_json", "o")],
    "event": [("tools/cli.c", "vh_json_object", "o"), ("tools/cmd_send.c", "jev", "j")],
    "event.start": [("tools/cmd_send.c", "cmd_send", "j")],
    "event.link+sync": [("tools/cmd_send.c", "on_sync", "j")],
    "event.migrate": [("tools/cmd_send.c", "on_migrate", "j")],
    "event.gate": [("tools/cmd_send.c", "on_gate", "j")],
    "event.link-lost": [("tools/cmd_send.c", "on_link_lost", "j")],
    "event.retry": [("tools/cmd_send.c", "on_retry", "j")],
    "event.freeze": [("tools/cmd_send.c", "freeze_windows", "j")],
    "event.step+wait+twin": [("tools/cmd_send.c", "on_event", "j")],
    "event.phase-start+phase-end": [("tools/cmd_send.c", "on_phase", "j"),
                                    ("tools/cmd_phase.c", "phase_switch_json", "o")],
    "event.summary": [("tools/cmd_send.c", "summary", "j"),
                      ("tools/cmd_phase.c", "phase_switch_json", "o")],
    "status": [("tools/cli.c", "vh_json_object", "o"), ("tools/cmd_status.c", "show_move", "o"),
               ("tools/cmd_status.c", "vm_fact", "o"), ("tools/cmd_status.c", "helper_fact", "o")],
    "status.state": [("src/core/engine_state.c", "veng_state_to_json", "o"),
                     ("src/core/engine_state.c", "top_fields", "veng_state"), "-disks"],
    "status.usermode_helper": [("src/core/status.c", "vstatus_helper_json", "o")],
    "status.usermode_helper.holds": [("src/core/status.c", "vstatus_helper_json", "x")],
    "status.disks": [("tools/cmd_status.c", "show_move", "dj"), ("tools/cmd_status.c", "map_fact", "o"),
                     ("tools/cmd_status.c", "drbd_fact", "dj"), ("tools/cmd_status.c", "sync_fact", "dj"),
                     ("src/core/status.c", "vstatus_sync_json", "o")],
    "status-list": [("tools/cli.c", "vh_json_object", "o"), ("tools/cmd_status.c", "list_moves", "top")],
    "status-list.moves": [("tools/cmd_status.c", "list_moves", "o")],
    "tune": [("tools/cli.c", "vh_json_object", "o"), ("tools/cmd_tune.c", "cmd_tune", "out")],
    "tune.changes": [("tools/cmd_tune.c", "change", "o"),
                     ("tools/cmd_tune.c", "tune_rate", "o")],
    "tune-record": [("tools/cmd_tune.c", "record", "o")],
}
# Functions of these files that put literal keys into objects that are not
# printed as such, by file: the journal's per-disk facts (status deletes
# "disks" from "state": the saved tables are vmhop's, not for people).
IGNORE = {"src/core/engine_state.c": ("disk_fields",)}

fail = 0
checks = 0

def bad(msg):
    global fail
    print("json-docs-check: FAILED: " + msg)
    fail += 1

# ---- the page ---------------------------------------------------------------
documented = {}
lines = open(doc).read().split("\n")
i = 0
while i < len(lines):
    m = re.match(r"<!-- json-check: (\S+) -->", lines[i])
    i += 1
    if not m:
        continue
    name = m.group(1)
    if name in documented:
        bad("docs/json.md: table %s twice" % name)
    keys = set()
    while i < len(lines) and not lines[i].startswith("|"):
        i += 1
    i += 2  # header and rule
    while i < len(lines) and lines[i].startswith("|"):
        first = lines[i].split("|")[1]
        for k in re.findall(r"`([^`]+)`", first):
            keys.add(k)
        i += 1
    documented[name] = keys

# ---- the code ---------------------------------------------------------------
sources = {}

def text(path):
    if path not in sources:
        sources[path] = open(top + "/" + path).read()
    return sources[path]

def functions(path):
    """Every function (and the array top_fields) of @path: name -> body."""
    out = {}
    cur, body = None, []
    for line in text(path).split("\n"):
        if cur is None:
            m = re.match(r"^[a-z][^;=]*?\b(\w+)\((?!\*)", line) or \
                re.match(r"^static const struct \w+ (\w+)\[\] = \{", line)
            if m and not line.startswith("#"):
                cur, body = m.group(1), [line]
                if line.rstrip().endswith(";"):
                    cur = None
            continue
        body.append(line)
        if line.startswith("}"):
            out[cur] = " ".join(l.strip() for l in body)
            cur = None
    return out

CALLS = [
    # (regex, keys made from the literal K)
    (r'\b(?:jput|add_str|json_object_object_add|vjson_add_\w+|add_pct)\(\s*(\w+)\s*,\s*"([^"]+)"',
     lambda k, rest: [k]),
    (r'\badd_fact\(\s*(\w+)\s*,\s*"([^"]+)"', lambda k, rest: [k, k + "_text"]),
    (r'\badd_unknown\(\s*(\w+)\s*,\s*"([^"]+)"\s*,\s*(true|false)',
     lambda k, rest: [k, k + "_error"] + ([k + "_text"] if rest == "true" else [])),
    (r'\blv_fact\(\s*\w+\s*,\s*(\w+)\s*,\s*"([^"]+)"', lambda k, rest: [k, k + "_text", k + "_error"]),
    (r'\bdm_fact\(\s*\w+\s*,\s*(\w+)\s*,\s*"([^"]+)"', lambda k, rest: [k, k + "_error"]),
    # engine_state.c's field tables: B(veng_state, helper_taken)
    (r'\b[BIU]\(\s*(\w+)\s*,\s*(\w+)\s*\)', lambda k, rest: [k]),
]

def keys_of(body):
    """(variable, key) pairs of every literal key put in @body."""
    out = set()
    for rx, make in CALLS:
        for m in re.finditer(rx, body):
            rest = m.group(3) if m.lastindex and m.lastindex >= 3 else None
            for k in make(m.group(2), rest):
                out.add((m.group(1), k))
    return out

used = set()
for name, rules in sorted(MAP.items()):
    emitted = set()
    for r in rules:
        if isinstance(r, str):
            emitted.discard(r[1:])
            continue
        path, fn, var = r
        fns = functions(path)
        if fn not in fns:
            bad("%s: no function %s (MAP of %s)" % (path, fn, name))
            continue
        used.add((path, fn))
        ks = {k for v, k in keys_of(fns[fn]) if v == var}
        if not ks:
            bad("%s: %s puts no literal key into %s (MAP of %s)" % (path, fn, var, name))
        emitted |= ks
    for r in rules:
        if isinstance(r, str):
            emitted.discard(r[1:])
    if name not in documented:
        bad("docs/json.md has no table %s" % name)
        continue
    for k in sorted(emitted - documented[name]):
        bad("%s: field %s is emitted but not documented in docs/json.md" % (name, k))
    for k in sorted(documented[name] - emitted):
        bad("%s: field %s is documented in docs/json.md but not emitted" % (name, k))
    checks += 1
for name in sorted(set(documented) - set(MAP)):
    bad("docs/json.md: table %s is not checked against any code (MAP)" % name)

# Every function of the mapped files that puts literal keys is mapped.
for path in sorted({r[0] for rules in MAP.values() for r in rules if not isinstance(r, str)}):
    for fn, body in sorted(functions(path).items()):
        if (path, fn) in used or fn in IGNORE.get(path, ()):
            continue
        if keys_of(body):
            bad("%s: %s puts JSON fields %s that no table of docs/json.md covers (MAP)" %
                (path, fn, ", ".join(sorted(k for v, k in keys_of(body)))))
    checks += 1

if fail:
    print("json-docs-check: %d failed, %d passed" % (fail, checks))
    sys.exit(1)
print("json-docs-check: %d checks passed" % checks)
PY

#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Checks the logs of tests/e2e/reload.sh: every session once, every alert once.

    reload-check.py LOGDIR SESSIONS...

LOGDIR holds eve.json, events.json and fast.log and their rotated copies (NAME.N). For each
session number K (its MAIL FROM is probe-K@shrike.test), sid:SID expectations come from
the arguments K:SID,SID,...: exactly one alert of each listed sid and none of the others of
3 and 4; exactly one smtp record and one flow record; and every session the same number of
events.json lines (they all send the same commands). Prints one line per problem; exit 1
when there is any.
"""
import collections
import glob
import json
import os
import sys


def records(logdir, name):
    for path in sorted(glob.glob(os.path.join(logdir, name + "*"))):
        with open(path, encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    yield json.loads(line)


def main():
    logdir = sys.argv[1]
    want = {}
    for arg in sys.argv[2:]:
        k, sids = arg.split(":")
        want[int(k)] = {int(s) for s in sids.split(",") if s}
    flow_of = {}
    smtp = collections.Counter()
    for r in records(logdir, "eve.json"):
        if r.get("event_type") == "smtp":
            mf = r.get("smtp", {}).get("mail_from", "")
            if mf.startswith("<probe-"):
                k = int(mf[len("<probe-"):].split("@")[0])
                flow_of[r["flow_id"]] = k
                smtp[k] += 1
    alerts = collections.Counter()
    flows = collections.Counter()
    for r in records(logdir, "eve.json"):
        k = flow_of.get(r.get("flow_id"))
        if k is None:
            continue
        if r.get("event_type") == "alert":
            alerts[(k, r["alert"]["signature_id"])] += 1
        elif r.get("event_type") == "flow":
            flows[k] += 1
    events = collections.Counter()
    for r in records(logdir, "events.json"):
        k = flow_of.get(r.get("flow_id"))
        if k is not None:
            events[k] += 1
    bad = 0
    for k, sids in sorted(want.items()):
        for what, n in (("smtp records", smtp[k]), ("flow records", flows[k])):
            if n != 1:
                print(f"session {k}: {n} {what}, want 1")
                bad += 1
        for sid in (2, 3, 4):
            n = alerts[(k, sid)]
            if n != (1 if sid in sids else 0):
                print(f"session {k}: {n} alerts of sid {sid}, want {1 if sid in sids else 0}")
                bad += 1
    counts = collections.Counter(events[k] for k in want)
    if len(counts) != 1 or 0 in counts:
        print(f"events.json lines per session differ: {dict(events)}")
        bad += 1
    fast = sum(1 for p in glob.glob(os.path.join(logdir, "fast.log*")) for _ in open(p))
    want_fast = sum(len(s) for s in want.values())
    if fast != want_fast:
        print(f"fast.log: {fast} lines, want {want_fast}")
        bad += 1
    print(f"{len(want)} sessions, {sum(alerts.values())} alerts, {fast} fast.log lines, "
          f"{sum(events[k] for k in want)} events checked")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

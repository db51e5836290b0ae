#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Checks Shrike's smtp.log, eve.json and events.json of one capture against expected values
written down beside it (tests/pcaps/*.expected: JSON, each value with the rule of Zeek's or
Suricata's code it comes from).

    txn-check.py EXPECTED LOGDIR

Sessions are named by their order in the capture (the first event of each flow), not by
port. For each session: the smtp.log rows (ts, trans_depth, helo, mailfrom, rcptto, last_reply)
in order, the EVE smtp records (tx_id, mail_from, rcpt_to, whether an email object is there)
in tx_id order, and a list of events that must appear in this order among the flow's
smtp_request/smtp_reply/smtp_unexpected events (others may come between), and, where the
session has "anomalies", the flow's EVE anomaly records exactly, in order. Prints one line
per session and per difference; exits 1 on any difference.
"""
import json
import sys
from collections import defaultdict


def zeek_rows(path):
    rows, fields = defaultdict(list), None
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("#fields"):
                fields = line.split("\t")[1:]
                continue
            if line.startswith("#") or not line:
                continue
            r = dict(zip(fields, line.split("\t")))
            rows[int(r["id.orig_p"])].append(r)
    return rows


def main():
    expected = json.load(open(sys.argv[1]))
    logdir = sys.argv[2]
    first, events, anomalies = {}, defaultdict(list), defaultdict(list)
    with open(logdir + "/events.json") as f:
        for line in f:
            e = json.loads(line)
            port = e["id"]["orig_p"]
            first.setdefault(port, e["ts"])
            if e["event"] == "smtp_request":
                events[port].append(["smtp_request", e["command"], e["arg"]])
            elif e["event"] == "smtp_reply":
                events[port].append(["smtp_reply", e["code"], e["cmd"], e["msg"]])
            elif e["event"] == "smtp_unexpected":
                events[port].append(["smtp_unexpected", e["msg"], e["detail"]])
    order = sorted(first, key=lambda p: (first[p], p))
    rows = zeek_rows(logdir + "/smtp.log")
    eve = defaultdict(list)
    with open(logdir + "/eve.json") as f:
        for line in f:
            e = json.loads(line)
            if e.get("event_type") == "anomaly" and "event" in e.get("anomaly", {}):
                port = e["src_port"] if e["src_port"] in first else e["dest_port"]
                anomalies[port].append(e["anomaly"]["event"])
            if e.get("event_type") == "smtp":
                s = e.get("smtp", {})
                eve[e["src_port"]].append({"tx_id": e["tx_id"], "mail_from": s.get("mail_from"),
                                           "rcpt_to": s.get("rcpt_to", []),
                                           "email": "email" in e})
    bad = 0
    sessions = expected["sessions"]
    if len(order) != len(sessions):
        print("FAIL: %d sessions in the capture, %d expected" % (len(order), len(sessions)))
        return 1
    for port, want in zip(order, sessions):
        diffs = []
        got_rows = [{k: r[k] for k in ("ts", "trans_depth", "helo", "mailfrom", "rcptto",
                                                "last_reply")}
                    for r in rows.get(port, [])]
        want_rows = [{k: v for k, v in r.items() if k != "why"} for r in want["smtp_log"]]
        if got_rows != want_rows:
            diffs.append("smtp.log rows:\n  got  %s\n  want %s" % (got_rows, want_rows))
        got_eve = sorted(eve.get(port, []), key=lambda r: r["tx_id"])
        want_eve = [{k: v for k, v in r.items() if k != "why"} for r in want["eve_smtp"]]
        if got_eve != want_eve:
            diffs.append("eve smtp records:\n  got  %s\n  want %s" % (got_eve, want_eve))
        i = 0
        for ev in events[port]:
            if i < len(want["events"]) and ev == want["events"][i]["event"]:
                i += 1
        if i < len(want["events"]):
            diffs.append("event not found in order: %s" % (want["events"][i]["event"],))
        if "anomalies" in want and anomalies[port] != want["anomalies"]["names"]:
            diffs.append("anomalies:\n  got  %s\n  want %s" % (anomalies[port],
                                                              want["anomalies"]["names"]))
        if diffs:
            bad += 1
            print("FAIL %s (client port %d):" % (want["scenario"], port))
            for d in diffs:
                print("  " + d)
        else:
            print("ok %s: %d smtp.log rows, %d eve smtp records, %d events" %
                  (want["scenario"], len(got_rows), len(got_eve), len(want["events"])))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

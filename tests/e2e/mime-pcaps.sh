#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# The MIME captures made through Postfix by tests/tools/make-mime-pcaps.sh: for every message,
# the decoded email.* values of its EVE smtp record (subject, from, to, cc, urls, received,
# x_mailer, attachment names, body_md5), its fileinfo records (name, size, md5, sha1, sha256) and its
# anomalies equal what tests/tools/mime-messages.py put in (tests/pcaps/mime-expected.json);
# the headers of a forwarded message do not leak into the outer fields.
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
[ -x $PY ] || skip_all "python3 missing"
expected=$PCAPS/mime-expected.json

for pcap in $($PY -c 'import json,sys; print(" ".join(sorted(json.load(open(sys.argv[1])))))' \
    "$expected"); do
    logs=$TMP/$pcap
    if ! "$SHRIKE" -q -l "$logs" -r "$PCAPS/$pcap" --set rule-files= 2>"$TMP/err"; then
        fail "$pcap: shrike failed: $(cat "$TMP/err")"
        continue
    fi
    # One line per message: "ok NAME" or "FAIL NAME: why".
    $PY - "$expected" "$pcap" "$logs/eve.json" >"$TMP/result" 2>&1 <<'EOF'
import json, sys
expected, pcap, eve = sys.argv[1:]
want_msgs = json.load(open(expected, encoding="utf-8"))[pcap]
recs = [json.loads(l) for l in open(eve, encoding="utf-8")]
smtp = [r for r in recs if r["event_type"] == "smtp" and "email" in r]
if len(smtp) != len(want_msgs):
    print("FAIL %s: %d smtp records with an email object, want %d" % (pcap, len(smtp), len(want_msgs)))
for w in want_msgs:
    name, problems = w.get("file", w["message_id"]), []
    got = [r for r in smtp if r["email"].get("message_id") == w["message_id"]]
    if len(got) != 1:
        print("FAIL %s: %d smtp records with message_id %s" % (name, len(got), w["message_id"]))
        continue
    r = got[0]
    e = r["email"]
    for key in ("subject", "from", "x_mailer", "body_md5"):
        if key in w and e.get(key) != w[key]:
            problems.append("%s %r, want %r" % (key, e.get(key), w[key]))
    if "x_mailer_prefix" in w and not e.get("x_mailer", "").startswith(w["x_mailer_prefix"]):
        problems.append("x_mailer %r" % e.get("x_mailer"))
    for key in ("to", "cc", "url", "received"):
        if e.get(key, []) != w.get(key, []):
            problems.append("%s %r, want %r" % (key, e.get(key), w.get(key, [])))
    names = [a["name"] for a in w["attachment"]]
    if e.get("attachment", []) != names:
        problems.append("attachment %r, want %r" % (e.get("attachment"), names))
    same_tx = [x for x in recs if x.get("flow_id") == r["flow_id"] and x.get("tx_id") == r["tx_id"]]
    for a in w["attachment"]:
        fis = [x["fileinfo"] for x in same_tx
               if x["event_type"] == "fileinfo" and x["fileinfo"]["filename"] == a["name"]]
        if len(fis) != 1:
            problems.append("%d fileinfo records for %s" % (len(fis), a["name"]))
            continue
        bad = {k: fis[0].get(k) for k in ("size", "md5", "sha1", "sha256") if fis[0].get(k) != a[k]}
        if bad or fis[0].get("state") != "CLOSED":
            problems.append("fileinfo %s: %r state %s" % (a["name"], bad, fis[0].get("state")))
    raised = {x["anomaly"]["event"] for x in same_tx if x["event_type"] == "anomaly"}
    for an in w.get("anomalies", []):
        if an not in raised:
            problems.append("anomaly %s not raised (raised: %s)" % (an, sorted(raised)))
    text = json.dumps(e, ensure_ascii=False)
    for s in w.get("absent", []):
        if s in text:
            problems.append("inner value %r in the outer email object" % s)
    print(("FAIL %s: %s" % (name, "; ".join(problems))) if problems else "ok %s" % name)
EOF
    while read -r status rest; do
        case $status in
        ok) ok "$pcap: $rest" ;;
        *) fail "$pcap: $rest" ;;
        esac
    done <"$TMP/result"
done
finish

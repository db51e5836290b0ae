#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Every transaction is logged as Zeek and Suricata log it, with Zeek's event arguments
# (issue 10). smtp-transactions.pcap (real Postfix, tests/tools/make-txn-pcaps.sh): RCPT
# without MAIL, DATA without recipients, a refused DATA, a refused MAIL FROM, RSET and an
# envelope abandoned by QUIT, an unknown verb, a client that sends its session before the
# greeting; its smtp.log rows, EVE smtp records and events must be the values written down
# in tests/pcaps/smtp-transactions.expected, each with the rule of Zeek's or Suricata's code
# it follows. smtp-auth.pcap (swaks against aiosmtpd): AUTH answers are smtp_request("**",
# line) answered for AUTH_ANSWER, in clear by default and masked with smtp.log-credentials
# off. Records flushed at the end of the capture carry their flow's last packet's time.
. "$(dirname "$0")/lib.sh"
[ -x /usr/bin/python3 ] || skip_all "python3 missing"
run() { # run NAME PCAP [--set ...]: shrike into $TMP/NAME
    local name=$1 pcap=$2
    shift 2
    mkdir -p "$TMP/$name"
    "$SHRIKE" -q -c "$TOP_SRCDIR/shrike.yaml" --set rule-files= "$@" -l "$TMP/$name" \
        -r "$pcap" 2>"$TMP/$name.err"
}

if run txn "$PCAPS/smtp-transactions.pcap"; then
    if /usr/bin/python3 "$TOP_SRCDIR/tests/tools/txn-check.py" \
        "$PCAPS/smtp-transactions.expected" "$TMP/txn" >"$TMP/txn.cmp" 2>&1; then
        ok "transactions: $(grep -c '^ok' "$TMP/txn.cmp") sessions as expected"
    else
        fail "transactions:"
        cat "$TMP/txn.cmp"
    fi
else
    fail "shrike failed on smtp-transactions.pcap: $(head -c 300 "$TMP/txn.err")"
fi

# The capture ends before any flow times out: every flow is flushed at its end, and what it
# logs then (the abandoned envelope's smtp record, the flow record) carries the time of its
# own last packet, never a later one; each flow's records are in time order.
if /usr/bin/python3 - "$TMP/txn/eve.json" >"$TMP/ts.out" 2>&1 <<'PY'
import json, sys
from collections import defaultdict
recs = defaultdict(list)
for line in open(sys.argv[1]):
    e = json.loads(line)
    if "flow_id" in e:
        recs[e["flow_id"]].append(e)
bad = 0
flushed = 0
for fid, rs in recs.items():
    end = [r for r in rs if r["event_type"] == "flow"][0]["flow"]["end"]
    ts = [r["timestamp"] for r in rs]
    if ts != sorted(ts) or max(ts) > end:
        bad += 1
        print("flow %d: records out of order or after its last packet %s: %s" % (fid, end, ts))
    # a transaction ended by the session is flushed with the flow: its time is the flow's end
    for r in rs:
        if r["event_type"] == "smtp" and r["timestamp"] == end:
            flushed += 1
if flushed < 3:
    bad += 1
    print("only %d smtp records at their flow's last packet (want the 3 ended by the session)"
          % flushed)
sys.exit(1 if bad else 0)
PY
then
    ok "records flushed at the end carry their flow's last packet's time"
else
    fail "flush timestamps:"
    cat "$TMP/ts.out"
fi

# AUTH as Zeek raises it, unmasked by default, masked when asked.
check_auth() { # check_auth NAME EXPECTED-LINES...
    local name=$1
    shift
    local want
    for want in "$@"; do
        if ! grep -qF -- "$want" "$TMP/$name.auth"; then
            fail "$name: no '$want' in $(tr '\n' ' ' <"$TMP/$name.auth" | head -c 600)"
            return
        fi
    done
    ok "$name: AUTH events as expected"
}
auth_events() { # auth_events NAME: the AUTH requests and replies of events.json, one a line
    /usr/bin/python3 -c '
import json, sys
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e["event"] == "smtp_request" and e["command"] in ("AUTH", "**"):
        print("REQ %s %s" % (e["command"], e["arg"]))
    elif e["event"] == "smtp_reply" and e["cmd"] in ("AUTH", "AUTH_ANSWER"):
        print("REP %d %s %s" % (e["code"], e["cmd"], e["msg"]))
' "$TMP/$1/events.json" >"$TMP/$1.auth"
}
if run auth "$PCAPS/smtp-auth.pcap"; then
    auth_events auth
    check_auth auth "REQ AUTH PLAIN AHNocmlrZQBzaHJpa2UtcGFzcw==" "REQ ** c2hyaWtl" \
        "REP 334 AUTH_ANSWER UGFzc3dvcmQA" "REQ ** c2hyaWtlLXBhc3M=" \
        "REP 235 AUTH_ANSWER 2.7.0 Authentication successful" \
        "REP 535 AUTH_ANSWER 5.7.8 Authentication credentials invalid"
else
    fail "shrike failed on smtp-auth.pcap: $(head -c 300 "$TMP/auth.err")"
fi
if run masked "$PCAPS/smtp-auth.pcap" --set smtp.log-credentials=no; then
    auth_events masked
    check_auth masked "REQ AUTH PLAIN ***" "REQ ** ***" "REP 334 AUTH_ANSWER UGFzc3dvcmQA"
    if grep -q "c2hyaWtl" "$TMP/masked/events.json"; then
        fail "masked: a credential is in events.json"
    else
        ok "masked: no credential in events.json"
    fi
else
    fail "shrike failed on smtp-auth.pcap (masked): $(head -c 300 "$TMP/masked.err")"
fi
finish

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# AF_PACKET fan-out (--af-packet): real SMTP sessions from several smtplib clients at once, to
# an aiosmtpd server across a veth pair between two network namespaces, captured on the
# client's end with 1, 2 and 3 workers (one fan-out socket each). Every session must be
# logged exactly once in smtp.log and eve.json: a flow split between two workers (the two
# directions hashed apart) would log it twice or broken. The kernel counters reach the EVE
# stats record. Needs root; skips without network namespaces.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netns.sh"

start_server "$NS_S" "$ADDR_S" 25 || skip_all "aiosmtpd did not start"
CLIENTS=12
for n in 1 2 3; do
    out=$TMP/w$n
    if ! start_shrike "$out" --af-packet "$IF_C" --workers "$n" --set stats.interval=1 \
        --set stats.threads=yes; then
        fail "workers $n: shrike did not start: $(cat "$out/stderr")"
        continue
    fi
    cpids=""
    for i in $(seq 1 $CLIENTS); do
        send_mail "$ADDR_S" 25 "w${n}c$i" >"$out/client$i.log" 2>&1 &
        cpids="$cpids $!"
    done
    sent=0
    for p in $cpids; do wait "$p" && sent=$((sent + 1)); done
    [ "$sent" -eq "$CLIENTS" ] && ok "workers $n: $CLIENTS clients sent their mail at once" ||
        fail "workers $n: $sent of $CLIENTS clients sent"
    sleep 1.5 # a stats record with the kernel counters (stats.interval=1)
    stop_shrike
    st=$?
    [ "$st" -eq 0 ] && ok "workers $n: exit 0" || fail "workers $n: exit $st: $(cat "$out/stderr")"
    bad=0
    for i in $(seq 1 $CLIENTS); do
        a=$(grep -c "w${n}c$i@example.org" "$out/smtp.log")
        b=$(grep '"event_type":"smtp"' "$out/eve.json" | grep -c "w${n}c$i@example.org")
        if [ "$a" != 1 ] || [ "$b" != 1 ]; then
            bad=$((bad + 1))
            echo "  session w${n}c$i: $a smtp.log rows, $b EVE smtp records"
        fi
    done
    [ "$bad" -eq 0 ] && ok "workers $n: every session logged exactly once" ||
        fail "workers $n: $bad sessions not logged exactly once"
    midstream=$(grep -c '"midstream_pickups":[1-9]' "$out/eve.json")
    [ "$midstream" -eq 0 ] && ok "workers $n: no flow picked up midstream (no split flow)" ||
        fail "workers $n: flows picked up midstream: a flow was split between workers"
    kp=$($PY -c '
import json, sys
last = None
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r.get("event_type") == "stats":
        last = r
print(last["stats"]["capture"]["kernel_packets"] if last else -1)' "$out/eve.json")
    [ "${kp:-0}" -gt 0 ] 2>/dev/null && ok "workers $n: capture.kernel_packets $kp in EVE stats" ||
        fail "workers $n: no capture.kernel_packets in the EVE stats record ($kp)"
    # the fan-out spreads flows: with 3 workers and 12 flows, all on one has odds of 1 in 177,000
    busy=$($PY -c '
import json, sys
last = None
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r.get("event_type") == "stats":
        last = r
th = last["shrike"]["threads"] if last else {}
print(sum(1 for w in th.values() if w.get("app_layer", {}).get("flow", {}).get("smtp", 0) > 0))' "$out/eve.json" 2>/dev/null)
    echo "  workers $n: $busy worker(s) had SMTP flows"
    if [ "$n" -eq 3 ]; then
        [ "${busy:-0}" -ge 2 ] && ok "workers 3: the kernel spread the flows over $busy workers" ||
            fail "workers 3: flows on ${busy:-0} worker(s) only"
    fi
    grep -q '^capture.kernel_drops: ' "$out/stdout" && ok "workers $n: capture.kernel_drops counted" ||
        fail "workers $n: no capture.kernel_drops counter"
done

# A filter is attached to every socket: with port 26 only, nothing of port 25 is seen.
out=$TMP/bpf
if start_shrike "$out" --af-packet "$IF_C" --workers 2 tcp port 26; then
    send_mail "$ADDR_S" 25 filtered >/dev/null 2>&1
    stop_shrike
    grep -q filtered@example.org "$out/smtp.log" && fail "bpf: a filtered session was logged" ||
        ok "bpf: the filter applies to every socket"
else
    fail "bpf: shrike did not start: $(cat "$out/stderr")"
fi
finish

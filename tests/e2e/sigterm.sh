#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# SIGTERM and SIGINT stop shrike cleanly, with one worker and with two: it is fed a capture through a FIFO whose writer
# stays open, so shrike is blocked reading when the signal comes; everything it had read
# must be processed and logged (whole JSON lines, every transaction), the counters printed,
# and the exit status 0.
. "$(dirname "$0")/lib.sh"
need jq
sample=$PCAPS/smtp-demo.pcap
[ -f "$sample" ] || skip_all "no $sample"

"$SHRIKE" -q -c "$TOP_SRCDIR/shrike.yaml" --set rule-files=smtp-events.rules -l "$TMP/ref" \
    -r "$sample" || fail "reference run failed"
want_tx=$(jq -c 'select(.event_type=="smtp")' "$TMP/ref/eve.json" | wc -l)
want_ev=$(wc -l <"$TMP/ref/events.json")

# Shrike installs its signal handlers before it opens the logs, so once eve.json exists a
# signal is shrike's to handle (before that, a loaded machine may not have run main yet).
wait_started() { # FILE: up to 10 s
    for _ in $(seq 100); do [ -e "$1" ] && return 0; sleep 0.1; done
    return 1
}

for run in TERM:1 INT:1 TERM:2; do
    sig=${run%:*} workers=${run#*:}
    d=$TMP/$sig-$workers
    mkdir -p "$d"
    mkfifo "$d/in.pcap"
    (cat "$sample"; sleep 20) >"$d/in.pcap" &
    writer=$!
    "$SHRIKE" -c "$TOP_SRCDIR/shrike.yaml" --set rule-files=smtp-events.rules -l "$d/logs" \
        --workers "$workers" -r "$d/in.pcap" >"$d/out" 2>"$d/err" &
    pid=$!
    # The logs are buffered, so there is nothing to watch: give shrike time to read the
    # capture (94 packets), then signal it while it waits for more.
    wait_started "$d/logs/eve.json"
    sleep 1.5
    kill -"$sig" "$pid"
    wait "$pid"
    rc=$?
    kill "$writer" 2>/dev/null
    wait "$writer" 2>/dev/null
    got_tx=$(jq -c 'select(.event_type=="smtp")' "$d/logs/eve.json" | wc -l)
    got_ev=$(jq -c . "$d/logs/events.json" | wc -l)
    if [ "$rc" -eq 0 ] && [ "$got_tx" -eq "$want_tx" ] && [ "$got_ev" -eq "$want_ev" ] &&
        grep -q '^packets: ' "$d/out" && jq -e 'select(.event_type=="stats")' "$d/logs/eve.json" >/dev/null; then
        ok "SIG$sig, $workers worker(s): exit 0, $got_tx transactions and $got_ev events logged, counters printed"
    else
        fail "SIG$sig, $workers worker(s): exit $rc, $got_tx/$want_tx transactions, $got_ev/$want_ev events; $(cat "$d/err")"
    fi
done

# SIGTERM at random points of a capture read at once (bounded: 6 runs). Whatever shrike had
# processed is logged: each file ends with a whole line, every alert in eve.json is in
# fast.log and the other way round, and the exit status is 0.
big=$PCAPS/sample.pcap
[ -f "$big" ] || { finish; }
for i in 1 2 3 4 5 6; do
    d=$TMP/rand-$i
    mkdir -p "$d"
    mkfifo "$d/in.pcap"
    # the capture comes in pieces, so that the signal lands while packets are being processed
    size=$(stat -c %s "$big")
    cut=$(( (RANDOM * 32768 + RANDOM) % size ))
    (head -c "$cut" "$big"; sleep 20) >"$d/in.pcap" &
    writer=$!
    "$SHRIKE" -q -c "$TOP_SRCDIR/shrike.yaml" -l "$d/logs" --workers $((i % 2 + 1)) \
        -r "$d/in.pcap" >/dev/null 2>"$d/err" &
    pid=$!
    wait_started "$d/logs/eve.json"
    sleep "0.$((RANDOM % 9 + 1))"
    kill -TERM "$pid"
    wait "$pid"
    rc=$?
    kill "$writer" 2>/dev/null
    wait "$writer" 2>/dev/null
    bad=""
    for f in eve.json events.json fast.log smtp.log; do
        [ ! -s "$d/logs/$f" ] || [ "$(tail -c 1 "$d/logs/$f" | od -An -c | tr -d ' ')" = '\n' ] ||
            bad="$bad $f"
    done
    jq -c . "$d/logs/eve.json" >/dev/null 2>&1 || bad="$bad eve.json(json)"
    eve_alerts=$(jq -c 'select(.event_type=="alert")' "$d/logs/eve.json" 2>/dev/null | wc -l)
    fast_alerts=$(grep -c . "$d/logs/fast.log")
    if [ "$rc" -eq 0 ] && [ -z "$bad" ] && [ "$eve_alerts" -eq "$fast_alerts" ]; then
        ok "SIGTERM after $cut bytes: exit 0, logs whole, $eve_alerts alerts in eve.json and fast.log"
    else
        fail "SIGTERM after $cut bytes: exit $rc, bad:$bad, $eve_alerts/$fast_alerts alerts; $(cat "$d/err")"
    fi
done
finish

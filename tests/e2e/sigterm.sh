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
finish

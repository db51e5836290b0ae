#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# The records written when a capture ends (docs/outputs.md, Timestamps): the flows still open
# are ended in the order of their last packets across all workers, so the tail of eve.json,
# from the first flow record of a flow ended at shutdown on, is in time order, and it is the
# same records in the same order with 1, 2 and 3 workers (both ways of spreading flows).
# Captures: tests/pcaps/smtp-many.pcap (30 sessions, swaks -> postfix) and sample.pcap.
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
[ -x $PY ] || skip_all "python3 missing"

tail_of() { # eve.json -> the tail as "uid event_type timestamp" lines; fails when unordered
    $PY - "$1" <<'PYEOF'
import json, sys
recs = [r for r in map(json.loads, open(sys.argv[1])) if r["event_type"] != "stats"]
first = next((i for i, r in enumerate(recs)
              if r["event_type"] == "flow" and r["flow"]["reason"] == "shutdown"), None)
if first is None:
    sys.exit("no flow ended at shutdown")
tail = recs[first:]
for a, b in zip(tail, tail[1:]):
    if b["timestamp"] < a["timestamp"]:
        sys.exit("tail out of order: %s %s then %s %s" % (a["event_type"], a["timestamp"],
                                                         b["event_type"], b["timestamp"]))
for r in tail:
    print(r["uid"], r["event_type"], r["timestamp"])
PYEOF
}

for name in smtp-many sample; do
    pcap=$PCAPS/$name.pcap
    for run in 1 2 3 2-hash 3-hash; do
        logs=$TMP/$name-$run
        opts=(--workers "${run%%-*}")
        [ "${run#*-}" = hash ] && opts+=(--set workers-balance=hash)
        "$SHRIKE" -q -l "$logs" -r "$pcap" "${opts[@]}" 2>"$TMP/err" ||
            fail "$name workers $run: shrike failed: $(cat "$TMP/err")"
        if tail_of "$logs/eve.json" >"$logs/tail" 2>"$TMP/err"; then
            ok "$name workers $run: tail of $(wc -l <"$logs/tail") records in time order"
        else
            fail "$name workers $run: $(cat "$TMP/err")"
            continue
        fi
        [ "$run" = 1 ] && continue
        if cmp -s "$TMP/$name-1/tail" "$logs/tail"; then
            ok "$name workers $run: the same tail as one worker"
        else
            fail "$name workers $run: tail differs from one worker's: $(diff "$TMP/$name-1/tail" \
                "$logs/tail" | head -n 4)"
        fi
    done
done
finish

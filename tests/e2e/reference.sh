#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Reference parity: every rules file of the e2e cases, the bundled rules, bench-style
# generated rules (bench/gen-rules.py, with its planted rules) and rules built from the
# captures' own words (tests/tools/gen-diff-rules.py) run on every bundled capture twice,
# through the detection path and with --detect-reference (no Hyperscan, every rule checked
# by rules/reference.c). The alert sets (sid, tx_id, flow_id) must be identical.
. "$(dirname "$0")/lib.sh"
need jq
PY=${PYTHON:-python3}
shopt -s nullglob
# The reference matcher re-checks a stream rule on its whole inspection window at every
# chunk (quadratic by design: it is the plain oracle, not an engine), so the 3 MB message of
# smtp-large.pcap would take many minutes; that capture's matching is covered by
# large-message.sh through the real path.
pcaps=()
for p in "$PCAPS"/*.pcap; do
    case $p in */smtp-large.pcap) ;; *) pcaps+=("$p") ;; esac
done
[ ${#pcaps[@]} -gt 0 ] || skip_all "no captures in $PCAPS"

sets=("$TOP_SRCDIR"/rules/shrike.rules "$TOP_SRCDIR"/rules/smtp-events.rules "$TOP_SRCDIR"/tests/e2e/cases/*/*.rules)
: >"$TMP/bench.rules"
if [ -f "$TOP_SRCDIR/bench/gen-rules.py" ]; then # not in a release tarball
    "$PY" "$TOP_SRCDIR/bench/gen-rules.py" --seed 7 300 "$TMP/bench.rules" >/dev/null ||
        fail "bench/gen-rules.py failed"
fi
sets+=("$TMP/bench.rules")
# planted rules for the markers of the bundled captures (tests/pcaps/README.md), one per
# buffer kind, added to the bench set so that it alerts on every capture
sid=9100000
for m in BASIC MULTI PIPELINING BDAT NOTLS AUTH ATTACH IPV6 MANY DOTSTUFF; do
    sid=$((sid + 1))
    echo "alert smtp any any -> any any (msg:\"planted $m data\"; smtp.data; content:\"SHRIKE-MARKER-$m\"; sid:$sid;)"
    sid=$((sid + 1))
    echo "alert tcp any any -> any any (msg:\"planted $m stream\"; flow:to_server; content:\"SHRIKE-MARKER-$m\"; nocase; sid:$sid;)"
done >>"$TMP/bench.rules"
cat >>"$TMP/bench.rules" <<'RULES'
alert smtp any any -> any any (msg:"planted subject"; email.subject; content:"SHRIKE-MARKER"; sid:9100101;)
alert smtp any any -> any any (msg:"planted attachment text"; file.data; content:"SHRIKE-MARKER-ATTACH-TXT"; sid:9100102;)
alert smtp any any -> any any (msg:"planted qp"; file.data; content:"SHRIKE-MARKER-QP"; sid:9100103;)
alert smtp any any -> any any (msg:"planted long line"; smtp.data; content:"SHRIKE-MARKER-LONGLINE"; pcre:"/LONGLINE.{100}/R"; sid:9100104;)
alert smtp any any -> any any (msg:"planted rcpt"; smtp.rcpt_to; content:"@shrike.test"; sid:9100105;)
alert smtp any any -> any any (msg:"planted reply 235"; smtp.reply_code:235; sid:9100106;)
alert smtp any any -> any any (msg:"planted file name"; file.name; content:"shrike-"; startswith; sid:9100107;)
RULES
for seed in 1 2 3; do
    "$PY" "$TOP_SRCDIR/tests/tools/gen-diff-rules.py" --seed "$seed" --sid-base $((8100000 + seed * 10000)) \
        250 "$TMP/diff-$seed.rules" "${pcaps[@]}" && sets+=("$TMP/diff-$seed.rules") \
        || fail "gen-diff-rules.py failed"
done

alerts() { # eve.json -> sorted "sid tx_id flow_id" lines
    jq -r 'select(.event_type == "alert") | "\(.alert.signature_id) \(.tx_id // "-") \(.flow_id)"' \
        "$1" | sort
}

for rules in "${sets[@]}"; do
    [ -f "$rules" ] || continue
    rname=$(basename "$(dirname "$rules")")/$(basename "$rules")
    total=0
    for p in "${pcaps[@]}"; do
        name=$(basename "$p" .pcap)
        for mode in hs ref; do
            flag=
            [ $mode = ref ] && flag=--detect-reference
            rm -rf "$TMP/$mode" && mkdir -p "$TMP/$mode"
            "$SHRIKE" -q -c "$TOP_SRCDIR/shrike.yaml" -S "$rules" $flag -l "$TMP/$mode" -r "$p" \
                2>"$TMP/err-$mode" || { fail "$rname on $name ($mode): $(tail -3 "$TMP/err-$mode")"; continue 2; }
            alerts "$TMP/$mode/eve.json" >"$TMP/$mode.txt"
        done
        if diff "$TMP/hs.txt" "$TMP/ref.txt" >"$TMP/diff"; then
            total=$((total + $(wc -l <"$TMP/hs.txt")))
        else
            fail "$rname on $name: alerts differ (< detection, > reference)"
            head -20 "$TMP/diff"
        fi
    done
    ok "$rname: same alerts both ways on ${#pcaps[@]} captures ($total alerts)"
done
finish

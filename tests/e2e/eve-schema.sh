#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Every eve.json record shrike writes for the bundled captures (alert, smtp, fileinfo,
# anomaly, flow, stats) is valid against Suricata's EVE schema from ../shared/corpus, so SIEM
# parsers built for Suricata ingest it unchanged. The allowed extensions are the top-level
# "uid" and, in stats records, the top-level "shrike" tree of Shrike's own counters
# (docs/outputs.md); the stats records are written with every worker's counters too
# (stats.threads), and with frame records (outputs.eve.frame) and the frame:smtp.* rules of
# tests/e2e/eve-frame.rules, whose alerts carry a frame object. Skips when ../shared or python3-jsonschema is absent.
. "$(dirname "$0")/lib.sh"
schema=$SHARED/corpus/suricata/eve-schema.json
[ -f "$schema" ] || skip_all "no EVE schema at $schema"
/usr/bin/python3 -c 'import jsonschema' 2>/dev/null || skip_all "python3-jsonschema missing"
shopt -s nullglob
n=0
for p in "$PCAPS"/*.pcap; do
    name=$(basename "$p" .pcap)
    # fileinfo.magic is in Suricata's schema: write it (mime.file-magic is off by default)
    "$SHRIKE" -q -c "$TOP_SRCDIR/shrike.yaml" -l "$TMP/$name" -r "$p" --set mime.file-magic=yes \
        --set stats.threads=yes --set outputs.eve.frame=yes -s "$TOP_SRCDIR/tests/e2e/eve-frame.rules" \
        2>/dev/null
    n=$((n + 1))
done
files=("$TMP"/*/eve.json)
[ ${#files[@]} -eq "$n" ] || fail "only ${#files[@]} of $n runs wrote eve.json"
if /usr/bin/python3 "$TOP_SRCDIR/tests/tools/eve-schema-check.py" --schema "$schema" \
    "${files[@]}" >"$TMP/report" 2>&1; then
    ok "$(tail -n1 "$TMP/report") on $n captures"
else
    head -n 20 "$TMP/report"
    fail "$(tail -n1 "$TMP/report")"
fi
types=$(cat "${files[@]}" | jq -r .event_type | sort -u | tr '\n' ' ')
case "$types" in
*alert*anomaly*fileinfo*flow*frame*smtp*stats*) ok "record types checked: $types" ;;
*) fail "expected alert, anomaly, fileinfo, flow, frame, smtp and stats records, got: $types" ;;
esac
framed=$(cat "${files[@]}" | jq -r 'select(.event_type == "alert" and .frame) | 1' | wc -l)
[ "$framed" -gt 0 ] && ok "$framed alerts with a frame object checked" || fail "no alert has a frame"
magic=$(cat "${files[@]}" | jq -r 'select(.event_type == "fileinfo" and .fileinfo.magic) | 1' | wc -l)
[ "$magic" -gt 0 ] && ok "$magic fileinfo records with magic checked" ||
    fail "no fileinfo record carries magic"
finish

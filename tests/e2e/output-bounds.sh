#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Records stay bounded per file (issue 11, output amplification): a message of many parts
# writes one fileinfo record per part, and each carries the message's smtp and email lists
# cut to outputs.eve.fileinfo-list-max items (default 16), with the items left out counted
# (output.eve.fileinfo_items_dropped); the transaction's smtp record keeps them whole. The
# capture comes from tests/tools/gen-hostile.py (mime-parts).
. "$(dirname "$0")/lib.sh"
need jq
need python3
n=300
python3 "$TOP_SRCDIR/tests/tools/gen-hostile.py" mime-parts $n "$TMP/parts.pcap" >/dev/null ||
    fail "gen-hostile.py mime-parts failed"
run() { # run NAME ARGS...: logs in $TMP/NAME, counters in $TMP/NAME/counters
    local name=$1; shift
    mkdir -p "$TMP/$name"
    "$SHRIKE" -c "$TOP_SRCDIR/shrike.yaml" -l "$TMP/$name" -r "$TMP/parts.pcap" "$@" \
        >"$TMP/$name/counters" 2>"$TMP/$name.err" || fail "$name: shrike failed: $(head -c 300 "$TMP/$name.err")"
}
run capped
files=$(jq -s '[.[] | select(.event_type=="fileinfo")] | length' "$TMP/capped/eve.json")
most=$(jq -s '[.[] | select(.event_type=="fileinfo") | (.email.attachment // []) | length] | max' "$TMP/capped/eve.json")
whole=$(jq -s '[.[] | select(.event_type=="smtp") | .email.attachment | length] | max' "$TMP/capped/eve.json")
dropped=$(sed -n 's/^output.eve.fileinfo_items_dropped: //p' "$TMP/capped/counters")
[ "$files" -ge $n ] && ok "$files fileinfo records" || fail "$files fileinfo records, want $n"
[ "$most" -le 16 ] && ok "fileinfo attachment lists of at most $most items" ||
    fail "a fileinfo record lists $most attachments"
[ "$whole" -gt 16 ] && ok "the smtp record lists $whole attachments" || fail "smtp record: $whole"
[ "${dropped:-0}" -gt 0 ] && ok "output.eve.fileinfo_items_dropped $dropped" ||
    fail "output.eve.fileinfo_items_dropped '${dropped}'"
run whole --set outputs.eve.fileinfo-list-max=0
wmost=$(jq -s '[.[] | select(.event_type=="fileinfo") | (.email.attachment // []) | length] | max' "$TMP/whole/eve.json")
[ "$wmost" -gt 16 ] && ok "fileinfo-list-max 0: lists of up to $wmost items" ||
    fail "fileinfo-list-max 0: lists of at most $wmost items"
big=$(stat -c %s "$TMP/whole/eve.json")
small=$(stat -c %s "$TMP/capped/eve.json")
[ "$small" -lt $((big / 2)) ] && ok "eve.json $small bytes, $big without the cap" ||
    fail "eve.json $small bytes capped, $big without"
finish

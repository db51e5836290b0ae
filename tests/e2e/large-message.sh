#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# A message of about 3 MB (tests/pcaps/smtp-large.pcap, postfix) arrives whole: the
# smtp_data events add up to the message bytes tshark reassembles from the stream, the
# smtp.data_chunks counter counts them all (with events.json off too, when they are counted
# but not built), rules on smtp.data match its first, a late and
# its last line, the transaction ends PARSE_DONE; and memory stays bounded: shrike's peak
# RSS on it is within 2 MB of its peak on a one-message capture of 1 KB.
. "$(dirname "$0")/lib.sh"
need jq
pcap=$PCAPS/smtp-large.pcap
[ -f "$pcap" ] || skip_all "$pcap missing"
cat >"$TMP/large.rules" <<'RULES'
alert smtp any any -> any any (msg:"large start"; smtp.data; content:"SHRIKE-MARKER-LARGE-START"; sid:9100001; rev:1;)
alert smtp any any -> any any (msg:"large line 39999"; smtp.data; content:"line 039999 of a large"; sid:9100002; rev:1;)
alert smtp any any -> any any (msg:"large end"; smtp.data; content:"SHRIKE-MARKER-LARGE-END"; sid:9100003; rev:1;)
RULES
rss() { # rss NAME PCAP: runs shrike, prints its peak RSS in KB (GNU time), counters in NAME/counters
    mkdir -p "$TMP/$1"
    /usr/bin/time -f '%M' -o "$TMP/$1.rss" "$SHRIKE" -c "$TOP_SRCDIR/shrike.yaml" -S "$TMP/large.rules" \
        --set outputs.events.message-limit=0 -l "$TMP/$1" -r "$2" >"$TMP/$1/counters" 2>"$TMP/$1.err" ||
        fail "$1: shrike failed: $(head -c 300 "$TMP/$1.err")"
    tail -1 "$TMP/$1.rss"
}
[ -x /usr/bin/time ] || skip_all "/usr/bin/time (GNU time) missing"
big=$(rss large "$pcap")
small=$(rss basic "$PCAPS/smtp-basic.pcap")

# The message bytes as shrike saw them: each message line plus its CRLF.
got=$(jq -s '[.[] | select(.event=="smtp_data") | .data_len + 2] | add' "$TMP/large/events.json")
lines=$(jq -s '[.[] | select(.event=="smtp_data")] | length' "$TMP/large/events.json")
if command -v tshark >/dev/null; then
    bash "$TOP_SRCDIR/tests/tools/stream-bytes.sh" "$pcap" "$TMP/streams" >/dev/null 2>&1
    want=$(/usr/bin/python3 -c '
import glob, sys
d = open(glob.glob(sys.argv[1] + "/*.orig")[0], "rb").read()
i = d.find(b"DATA\r\n") + 6
print(d.find(b"\r\n.\r\n", i) + 2 - i)' "$TMP/streams")
    if [ "$got" = "$want" ]; then ok "smtp_data: $got bytes, the whole message ($lines lines)"; else
        fail "smtp_data adds up to $got bytes, the stream holds $want"; fi
else
    echo "note: tshark missing, message size not checked against the stream"
fi
[ "$got" -gt 3000000 ] && ok "more than 3,000,000 bytes" || fail "only $got bytes"
chunks=$(sed -n 's/^smtp.data_chunks: //p' "$TMP/large/counters")
[ "$chunks" = "$lines" ] && ok "smtp.data_chunks counter $chunks" || fail "smtp.data_chunks $chunks, events $lines"
# With the default outputs.events.message-limit (1 MiB) the message logs about 1 MiB of
# smtp_data and counts the chunks past it: logged + dropped = every chunk.
mkdir -p "$TMP/cap"
"$SHRIKE" -c "$TOP_SRCDIR/shrike.yaml" -S "$TMP/large.rules" -l "$TMP/cap" -r "$pcap" \
    >"$TMP/cap/counters" 2>"$TMP/cap.err" || fail "capped: shrike failed"
capped=$(jq -s '[.[] | select(.event=="smtp_data") | .data_len] | add' "$TMP/cap/events.json")
clines=$(jq -s '[.[] | select(.event=="smtp_data")] | length' "$TMP/cap/events.json")
dropped=$(sed -n 's/^output.events.data_dropped: //p' "$TMP/cap/counters")
[ "$capped" -ge 1048576 ] && [ "$capped" -le $((1048576 + 4096)) ] &&
    ok "message-limit: $capped data bytes logged" || fail "message-limit: $capped data bytes logged"
[ $((clines + dropped)) = "$lines" ] && ok "$clines chunks logged + $dropped counted = $lines" ||
    fail "$clines chunks logged + ${dropped:-?} counted, $lines in all"
cmp -s "$TMP/large/fast.log" "$TMP/cap/fast.log" && ok "same alerts with the message limit" ||
    fail "alerts differ with the message limit"
# Without events.json the smtp_data events are not built, only counted: the same count.
mkdir -p "$TMP/noev"
"$SHRIKE" -c "$TOP_SRCDIR/shrike.yaml" -S "$TMP/large.rules" --set outputs.events.enabled=no \
    -l "$TMP/noev" -r "$pcap" >"$TMP/noev/counters" 2>"$TMP/noev.err" || fail "no events: shrike failed"
quiet=$(sed -n 's/^smtp.data_chunks: //p' "$TMP/noev/counters")
[ "$quiet" = "$lines" ] && ok "smtp.data_chunks $quiet without events.json" ||
    fail "smtp.data_chunks $quiet without events.json, $lines with it"
cmp -s "$TMP/large/fast.log" "$TMP/noev/fast.log" && ok "same alerts without events.json" ||
    fail "alerts differ without events.json"
for sid in 9100001 9100002 9100003; do
    grep -q "\[1:$sid:1\]" "$TMP/large/fast.log" && ok "sid $sid matched smtp.data" || fail "sid $sid did not match"
done
st=$(jq -r 'select(.event_type=="smtp") | .email.status' "$TMP/large/eve.json")
[ "$st" = PARSE_DONE ] && ok "email.status PARSE_DONE" || fail "email.status '$st'"

# Sanitizer builds keep freed memory in quarantine: RSS says nothing there.
if ldd "$SHRIKE" 2>/dev/null | grep -q 'libasan'; then
    echo "note: ASan build, peak RSS not compared ($big KB vs $small KB)"
elif [ "$big" -lt $((small + 2048)) ]; then
    ok "peak RSS $big KB on 3 MB, $small KB on 1 KB"
else
    fail "peak RSS $big KB on the 3 MB message, $small KB on a 1 KB one: memory grows with the message"
fi
finish

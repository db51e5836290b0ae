#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# EVE frame objects and frame records (docs/outputs.md, frame) on tests/pcaps/smtp-basic.pcap
# (swaks -> postfix), with the rules of tests/e2e/eve-frame.rules. A rule on a line frame
# inspects the line as sent (CRLF included) and alerts once per line it matches. Each alert of a
# frame:smtp.* rule carries the frame it matched in: its type, direction, stream offset and
# length are those of the line or message in the capture (written down below from tshark's
# "follow tcp" of the capture), its payload is the frame's first bytes (at most 256) and they
# are the bytes of the reassembled stream (--dump-streams) at that offset. With
# outputs.eve.frame every frame of the session is a frame record, in stream order, the frames
# of each direction tiling its stream; without it (the default) there are none. Both matchers.
# Then on every committed capture, each frame's payload is its stream's bytes at its offset; and
# smtp.log-credentials: no masks AUTH credentials in frame payloads.
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
[ -x $PY ] || skip_all "python3 missing"
pcap=$PCAPS/smtp-basic.pcap
rules=$TOP_SRCDIR/tests/e2e/eve-frame.rules

for mode in "" --detect-reference; do
    for frames in yes no; do
        logs=$TMP/run$mode-$frames
        mkdir -p "$logs/streams"
        # shellcheck disable=SC2086
        if ! "$SHRIKE" -q -l "$logs" -r "$pcap" -S "$rules" --set outputs.eve.frame=$frames \
            --dump-streams "$logs/streams" $mode 2>"$TMP/err" || [ -s "$TMP/err" ]; then
            fail "${mode:-detect} frame=$frames: shrike failed: $(cat "$TMP/err")"
            continue
        fi
        if $PY - "$logs" "$frames" >"$TMP/out" 2>&1 <<'PYEOF'; then
import base64, glob, json, sys
logs, frames_on = sys.argv[1], sys.argv[2] == "yes"
recs = [json.loads(l) for l in open(logs + "/eve.json")]
stream = {}
for side, d in (("orig", "toserver"), ("resp", "toclient")):
    stream[d] = open(glob.glob(logs + "/streams/*-" + side + ".bin")[0], "rb").read()
errors = []
def check(cond, what):
    if not cond:
        errors.append(what)
def check_frame(fr, where):
    data = base64.b64decode(fr["payload"])
    s = stream[fr["direction"]]
    check(len(data) == min(fr["length"], 256), where + ": payload is not the first bytes")
    check(s[fr["stream_offset"]:fr["stream_offset"] + len(data)] == data,
          where + ": payload is not the stream's bytes at stream_offset")
    shown = "".join(chr(c) if 32 <= c < 127 or c in (10, 13) else "." for c in data)
    check(fr["payload_printable"] == shown, where + ": payload_printable differs")
# sid: type, direction, stream_offset, length, complete, payload, from tshark's follow tcp
want = {
    9301: ("command_line", "toserver", 25, 38, True, b"MAIL FROM:<alice@client.shrike.test>\r\n"),
    9302: ("response_line", "toclient", 235, 37, True, b"354 End data with <CR><LF>.<CR><LF>\r\n"),
    9303: ("data", "toserver", 96, 325, None, b"Date: Thu, 01 Jan 2026 00:00:00 +0000\r\n"),
}
all_alerts = [r for r in recs if r["event_type"] == "alert"]
alerts = {r["alert"]["signature_id"]: r for r in all_alerts}
check(sorted(alerts) == [9301, 9302, 9303, 9304, 9305, 9306], "alerts: %s" % sorted(alerts))
# a line frame rule alerts once per line that matches (Suricata), in one transaction here;
# its buffer is the line as sent, CRLF included
def frames_of(sid):
    return [(r["frame"]["type"], r["frame"]["stream_offset"], r["frame"]["length"])
            for r in all_alerts if r["alert"]["signature_id"] == sid]
check(frames_of(9305) == [("response_line", 207, 14), ("response_line", 221, 14),
                          ("response_line", 272, 37)], "sid 9305: %s" % frames_of(9305))
check(frames_of(9306) == [("command_line", 25, 38), ("command_line", 63, 27)],
      "sid 9306: %s" % frames_of(9306))
for sid in (9301, 9302, 9303, 9304):
    check(sum(1 for r in all_alerts if r["alert"]["signature_id"] == sid) == 1,
          "sid %d: not one alert" % sid)
for sid, (typ, d, off, ln, complete, payload) in want.items():
    fr = alerts.get(sid, {}).get("frame")
    if fr is None:
        errors.append("sid %d: no frame object" % sid)
        continue
    got = (fr["type"], fr["direction"], fr["stream_offset"], fr["length"])
    check(got == (typ, d, off, ln), "sid %d: frame %s, want %s" % (sid, got, (typ, d, off, ln)))
    check(complete is None or fr["complete"] == complete, "sid %d: complete" % sid)
    check(base64.b64decode(fr["payload"]).startswith(payload), "sid %d: payload" % sid)
    check(fr.get("tx_id") == 0 == alerts[sid].get("tx_id"), "sid %d: tx_id" % sid)
    check((alerts[sid]["direction"] == "to_server") == (d == "toserver"), "sid %d: direction" % sid)
    check_frame(fr, "sid %d" % sid)
check("frame" not in alerts.get(9304, {}), "sid 9304 (smtp.mail_from) has a frame object")
frecs = [r for r in recs if r["event_type"] == "frame"]
if not frames_on:
    check(frecs == [], "%d frame records with outputs.eve.frame off" % len(frecs))
else:
    # 5 command lines (the end-of-data line is none), 17 reply lines (11 of EHLO), 1 message
    types = [r["frame"]["type"] for r in frecs]
    check((types.count("command_line"), types.count("response_line"), types.count("data")) ==
          (5, 17, 1), "frame records: %s" % types)
    for d in ("toserver", "toclient"):
        mine = [r["frame"] for r in frecs if r["frame"]["direction"] == d]
        check([f["id"] for f in mine] == list(range(1, len(mine) + 1)), d + ": ids not 1..n")
        at = 0
        for f in mine:
            check(f["stream_offset"] == at, "%s frame %d at %d, want %d" % (d, f["id"],
                  f["stream_offset"], at))
            check(f["complete"], "%s frame %d not complete" % (d, f["id"]))
            check_frame(f, "%s frame %d" % (d, f["id"]))
            at = f["stream_offset"] + f["length"] + (3 if f["type"] == "data" else 0)
        check(at == len(stream[d]), "%s frames end at %d, stream at %d" % (d, at, len(stream[d])))
    for r in frecs:
        src_is_client = r["src_port"] != 12525
        check(src_is_client == (r["frame"]["direction"] == "toserver"), "frame record src")
        check(r["app_proto"] == "smtp", "frame record app_proto")
    data = [r["frame"] for r in frecs if r["frame"]["type"] == "data"]
    check(data and data[0]["tx_id"] == 0 and data[0]["length"] == 325,
          "data frame record: %s" % data)
print("\n".join(errors) if errors else "all frame values as expected")
sys.exit(1 if errors else 0)
PYEOF
            ok "${mode:-detect} outputs.eve.frame=$frames: $(tail -n1 "$TMP/out")"
        else
            fail "${mode:-detect} outputs.eve.frame=$frames: $(head -n 8 "$TMP/out")"
        fi
    done
done

# Every committed capture: each frame written (record or alert object) holds the stream's bytes
# at its offset, and a direction's frames come in id order without overlapping.
n=0
for p in "$PCAPS"/*.pcap; do
    name=$(basename "$p" .pcap)
    mkdir -p "$TMP/all/$name/streams"
    "$SHRIKE" -q -l "$TMP/all/$name" -r "$p" -S "$rules" --set outputs.eve.frame=yes \
        --dump-streams "$TMP/all/$name/streams" 2>/dev/null || fail "$name: shrike failed"
    n=$((n + 1))
done
if $PY - "$TMP/all" >"$TMP/out" 2>&1 <<'PYEOF'; then
import base64, glob, json, os, sys
errors, frames = [], 0
for logs in sorted(glob.glob(sys.argv[1] + "/*")):
    streams = {}
    for f in glob.glob(logs + "/streams/*.bin"):
        b = os.path.basename(f)
        streams[(b.split("-")[0], "toserver" if b.endswith("-orig.bin") else "toclient")] = \
            open(f, "rb").read()
    last = {}
    for l in open(logs + "/eve.json"):
        r = json.loads(l)
        fr = r.get("frame")
        if fr is None:
            continue
        frames += 1
        key = (r["uid"], fr["direction"])
        data = base64.b64decode(fr["payload"])
        s = streams.get(key, b"")
        if s[fr["stream_offset"]:fr["stream_offset"] + len(data)] != data:
            errors.append("%s: frame %d %s: payload not at stream_offset" % (logs, fr["id"], key))
        if r["event_type"] == "frame":
            prev = last.get(key)
            if prev and (fr["id"] <= prev[0] or fr["stream_offset"] < prev[1]):
                errors.append("%s: frame %d %s overlaps or out of order" % (logs, fr["id"], key))
            last[key] = (fr["id"], fr["stream_offset"] + fr["length"])
print("\n".join(errors[:8]) if errors else "%d frames hold their stream's bytes" % frames)
sys.exit(1 if errors or frames == 0 else 0)
PYEOF
    ok "$n captures: $(tail -n1 "$TMP/out")"
else
    fail "$(head -n 8 "$TMP/out")"
fi

# smtp.log-credentials: no hides AUTH credentials in frame payloads too (smtp-auth.pcap: AUTH
# PLAIN with an initial response, AUTH LOGIN with two answers), offsets and lengths unchanged
for creds in yes no; do
    "$SHRIKE" -q -l "$TMP/auth-$creds" -r "$PCAPS/smtp-auth.pcap" -S "$rules" \
        --set outputs.eve.frame=yes --set smtp.log-credentials=$creds 2>/dev/null ||
        fail "smtp-auth.pcap: shrike failed"
    jq -c 'select(.event_type == "frame") | [.uid, .frame.id, .frame.direction,
        .frame.stream_offset, .frame.length, .frame.payload_printable]' \
        "$TMP/auth-$creds/eve.json" >"$TMP/auth-$creds.txt"
done
if grep -q 'AHNocmlrZQBzaHJpa2UtcGFzcw==\|c2hyaWtlLXBhc3M=' "$TMP/auth-yes.txt" &&
    ! grep -q 'AHNocmlrZQBzaHJpa2UtcGFzcw==\|c2hyaWtl' "$TMP/auth-no.txt" &&
    grep -q '"AUTH PLAIN \*\*\*"' "$TMP/auth-no.txt"; then
    ok "log-credentials: no masks AUTH lines in frame payloads"
else
    fail "AUTH credentials in frames: $(grep -i auth "$TMP/auth-no.txt" | head -3)"
fi
if diff <(jq -c '.[:5]' "$TMP/auth-yes.txt") <(jq -c '.[:5]' "$TMP/auth-no.txt") >/dev/null; then
    ok "masked frames keep their ids, offsets and lengths"
else
    fail "masking changed frame positions"
fi
finish

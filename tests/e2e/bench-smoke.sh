#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# bench/run still works end to end on a small scale: a 3 MB corpus, 1,000 rules, one run of
# each configuration with 1 and 2 workers. The table must print and the planted rules must
# alert exactly once per marked flow each (bench/run exits non-zero otherwise). Then the
# realistic corpus generator (email-package messages in a rebuilt SMTP session) once on
# 2 MB with the shared rule set: its planted stream and file_data markers must alert as
# planted, and tshark must see one whole TCP conversation per session with correct
# checksums. bench/scaling splits the 3 MB corpus by flow and runs one round with the 1,000
# rules (1 worker, 2
# workers, two processes on the halves): the halves must log the whole's SMTP transactions
# and alerts between them (bench/scaling exits non-zero otherwise). The halves bench/run
# --peer makes (bench/split.py) hold every record, each flow in one of them, and are made
# again only when the capture is newer. No speed is judged here, and the peer (Suricata) is
# never built here.
. "$(dirname "$0")/lib.sh"
need python3
[ -x /usr/bin/time ] || skip_all "/usr/bin/time is not installed"
build=$(dirname "$SHRIKE")
[ -x "$build/bench/pcap_floor" ] || skip_all "no bench/pcap_floor in $build"
if ! python3 "$TOP_SRCDIR/bench/run" --no-build --build "$build" --data "$TMP" --size 3 --runs 1 \
    --rules 1000 --workers 1,2 >"$TMP/table" 2>"$TMP/err"; then
    fail "bench/run failed: $(tail -c 600 "$TMP/err")"
    finish
fi
cat "$TMP/table"
grep -q '^| libpcap floor |' "$TMP/table" && ok "the floor row prints" || fail "no floor row"
rows=$(grep -c '^| 1000 rules |' "$TMP/table")
[ "$rows" = 2 ] && ok "two 1000-rule rows (1 and 2 workers)" || fail "$rows 1000-rule rows"
if grep '^| 1000 rules |' "$TMP/table" | grep -q MISMATCH; then
    fail "planted alerts do not match"
else
    ok "alerts of the planted rules == planted"
fi
grep -q '^| MIME decoding' "$TMP/table" && ok "the stage rows print" || fail "no stage rows"

if python3 "$TOP_SRCDIR/bench/scaling" --rounds 1 --max 1 --quiet 1 --binary "$SHRIKE" \
    --rules "$TMP/rules-1000.rules" --logs "$TMP/scaling" "$TMP/corpus-3.pcap" >"$TMP/scaling.out" 2>"$TMP/err"; then
    cat "$TMP/scaling.out"
    grep -q '^2w gain [0-9.]*x, ceiling [0-9.]*x, of ceiling [0-9.]*' "$TMP/scaling.out" \
        && ok "bench/scaling prints the gain beside the ceiling" || fail "no ratios printed"
    ok "bench/scaling: the halves logged the whole's transactions and alerts"
else
    fail "bench/scaling failed: $(tail -c 600 "$TMP/err")"
fi

# The halves bench/run --peer times beside two workers (bench/split.py): every record of the
# capture in one of them, the flows' records together, and made once until the capture
# changes.
if python3 - "$TOP_SRCDIR/bench" "$TMP/corpus-3.pcap" "$TMP/halves" >"$TMP/split.out" 2>"$TMP/err" <<'PY'
import os, struct, sys
sys.dont_write_bytecode = True
sys.path.insert(0, sys.argv[1])
import split
capture, folder = sys.argv[2], sys.argv[3]
os.makedirs(folder)

def records(path):
    with open(path, "rb") as f:
        data = f.read()
    out, off = [], 24
    while off + 16 <= len(data):
        n = struct.unpack_from("<I", data, off + 8)[0]
        out.append(data[off:off + 16 + n])
        off += 16 + n
    return data[:24], out

halves = split.halves(capture, folder)
head, whole = records(capture)
parts = [records(p) for p in halves]
assert all(h == head for h, _ in parts), "a half lost the file header"
assert sorted(whole) == sorted(parts[0][1] + parts[1][1]), "the halves do not hold the records"
assert parts[0][1] and parts[1][1], "a half is empty"
# no flow in both halves: the endpoints of each record's flow, either direction
link = struct.unpack_from("<I", head, 20)[0]
keys = [{split.flow_key(link, r[16:]) for r in recs} for _, recs in parts]
assert not (keys[0] & keys[1]) - {b""}, "a flow is in both halves"
stamp = [os.path.getmtime(p) for p in halves]
assert split.halves(capture, folder) == halves
assert [os.path.getmtime(p) for p in halves] == stamp, "the halves were made again"
os.utime(capture)  # the capture changed: the halves are made again
os.utime(halves[0], (stamp[0] - 10, stamp[0] - 10))
split.halves(capture, folder)
assert os.path.getmtime(halves[0]) > stamp[0] - 10, "stale halves were kept"
print("halves: %d + %d of %d records" % (len(parts[0][1]), len(parts[1][1]), len(whole)))
PY
then
    cat "$TMP/split.out"
    ok "bench/split.py: the halves hold every record, each flow in one, made again when stale"
else
    fail "bench/split.py: $(tail -c 600 "$TMP/err")"
fi

if python3 "$TOP_SRCDIR/bench/run" --no-build --build "$build" --data "$TMP" --size 2 --runs 1 \
    --rules 1000 --workers 1 --corpus realistic --ruleset shared --no-stages \
    >"$TMP/real" 2>"$TMP/err"; then
    cat "$TMP/real"
    ok "realistic corpus, shared rules: planted alerts == planted"
else
    fail "bench/run --corpus realistic failed: $(tail -c 600 "$TMP/err")"
    finish
fi
flows=$(sed -n 's/^flows \([0-9]*\) .*/\1/p' "$TMP/corpus-realistic-2.pcap.txt")
grep -q 'file_marked_flows [1-9]' "$TMP/corpus-realistic-2.pcap.txt" \
    && ok "the realistic corpus has a marked attachment" || fail "no marked attachment"
if command -v tshark >/dev/null 2>&1; then
    conv=$("$TOP_SRCDIR/tests/tools/tcp-conv-count.sh" "$TMP/corpus-realistic-2.pcap")
    [ -n "$flows" ] && [ "$conv" = "$flows" ] && ok "tshark sees $conv TCP conversations" \
        || fail "tshark sees $conv TCP conversations, the generator wrote $flows"
    # Checksums validated; any expert note above "chat"/"note" (bad checksum, missing
    # segment, retransmission, out of order...) is a flaw of the rebuilt sessions.
    expert=$(tshark -r "$TMP/corpus-realistic-2.pcap" -n -o tcp.check_checksum:TRUE \
        -o ip.check_checksum:TRUE -q -z expert,warn 2>/dev/null | grep -E '^ +[0-9]+ ' || true)
    [ -z "$expert" ] && ok "tshark: no warnings or errors in the realistic corpus" \
        || fail "tshark warnings: $expert"
    dialog=$(tshark -r "$TMP/corpus-realistic-2.pcap" -n -Y 'smtp.req.command == "DATA"' \
        2>/dev/null | wc -l)
    [ "$dialog" = "$flows" ] && ok "one DATA command per session" \
        || fail "$dialog DATA commands for $flows sessions"
else
    echo "# tshark is not installed: the TCP checks of the realistic corpus are skipped"
fi
finish

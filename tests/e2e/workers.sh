#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# One worker and several give the same records: on every bundled capture, on the folder of
# them all, on a 3 MB bench corpus of interleaved flows, on that corpus cut into three files
# of one folder (flows span files), on IPv4 and IPv6 captures sent as IP fragments (ports only
# in the first fragment, which often comes last), and on the corpus read from a pipe (one
# reader thread; a file is read by the first worker, which hands the others their packets):
# eve.json (but its stats record), events.json, fast.log and smtp.log (but its #open/#close
# lines) hold the same lines, compared sorted since workers interleave their records; the
# summed counters agree.
. "$(dirname "$0")/lib.sh"
need python3
shopt -s nullglob
pcaps=("$PCAPS"/*.pcap)
[ ${#pcaps[@]} -gt 0 ] || skip_all "no captures in $PCAPS"

cat >"$TMP/rules" <<'RULES'
alert smtp any any -> any any (msg:"workers mail from"; smtp.mail_from; content:"@"; sid:1; rev:1;)
alert smtp any any -> any any (msg:"workers data"; smtp.data; content:"Subject"; nocase; sid:2; rev:1;)
alert tcp any any -> any any (msg:"workers stream"; flow:to_server; content:"EHLO"; sid:3; rev:1;)
alert smtp any any -> any any (msg:"workers marker"; file.data; content:"SHRIKE-MARKER"; sid:4; rev:1;)
RULES
python3 "$TOP_SRCDIR/bench/gen-corpus.py" --size 3 --concurrent 32 "$TMP/corpus.pcap" >/dev/null \
    || fail "bench/gen-corpus.py failed"

# Runs shrike on $1 with $2 workers into $TMP/$3 (more arguments: a BPF filter), then prints
# the normalised records.
run() {
    local out=$TMP/$3
    mkdir -p "$out"
    "$SHRIKE" -c "$TOP_SRCDIR/shrike.yaml" -S "$TMP/rules" -S "$TOP_SRCDIR/rules/smtp-events.rules" \
        -l "$out" -r "$1" --workers "$2" --set outputs.eve.stats=no "${@:4}" >"$out/counters" 2>"$out/err" \
        || { echo "exit $?: $(head -c 300 "$out/err")"; return 1; }
    for f in eve.json events.json fast.log smtp.log; do
        echo "== $f"
        grep -v '^#open\|^#close' "$out/$f" | LC_ALL=C sort
    done
    echo "== counters"
    grep -v '^elapsed_ms\|^throughput_mbps\|^workers\|^flow.memuse_peak' "$out/counters" | LC_ALL=C sort
}

mkdir -p "$TMP/all" && ln -s "${pcaps[@]}" "$TMP/all/"
mkdir -p "$TMP/split"
python3 - "$TMP/corpus.pcap" "$TMP/split" <<'PY' || fail "cannot split the corpus"
import sys
data = open(sys.argv[1], "rb").read()
recs, pos = [], 24
while pos < len(data):
    n = 16 + int.from_bytes(data[pos + 8:pos + 12], "little")
    recs.append(data[pos:pos + n])
    pos += n
third = len(recs) // 3 + 1
for i in range(3):
    with open("%s/part%d.pcap" % (sys.argv[2], i), "wb") as f:
        f.write(data[:24] + b"".join(recs[i * third:(i + 1) * third]))
PY
for p in smtp-many smtp-ipv6; do
    python3 "$TOP_SRCDIR/tests/tools/fragment-pcap.py" "$PCAPS/$p.pcap" "$TMP/frag-$p.pcap" >/dev/null \
        || fail "tests/tools/fragment-pcap.py failed on $p.pcap"
done
inputs=("${pcaps[@]}" "$TMP/all" "$TMP/split" "$TMP/frag-smtp-many.pcap" "$TMP/frag-smtp-ipv6.pcap"
    "$TMP/corpus.pcap")
i=0
for p in "${inputs[@]}"; do
    i=$((i + 1))
    one=$(run "$p" 1 "a$i") || { fail "$(basename "$p"), 1 worker: $one"; continue; }
    for n in 2 3; do
        many=$(run "$p" $n "b$i-$n") || { fail "$(basename "$p"), $n workers: $many"; continue; }
        if [ "$one" = "$many" ]; then
            ok "$(basename "$p"): 1 and $n workers log the same $(echo "$one" | wc -l) lines"
        else
            fail "$(basename "$p"): 1 and $n workers differ: $(diff <(echo "$one") <(echo "$many") | head -5)"
        fi
    done
done
# the fragmented captures were reassembled (so the test above compared real fragments)
for k in 2 1; do
    j=$((i - k))
    r=$(sed -n 's/^decode.reassembled: //p' "$TMP/a$j/counters")
    [ "${r:-0}" -gt 0 ] && ok "${inputs[$((j - 1))]##*/}: $r datagrams reassembled from fragments" \
        || fail "${inputs[$((j - 1))]##*/}: no datagram reassembled"
done
# A pipe can be read once: its packets go through one reader thread to the workers
mkfifo "$TMP/pipe.pcap"
cat "$TMP/corpus.pcap" >"$TMP/pipe.pcap" &
piped=$(run "$TMP/pipe.pcap" 2 pipe) || fail "pipe, 2 workers: $piped"
wait
[ "$one" = "$piped" ] && ok "corpus through a pipe: 1 worker and 2 log the same lines" \
    || fail "corpus through a pipe: 1 and 2 workers differ: $(diff <(echo "$one") <(echo "$piped") | head -5)"
# A filter applies in every worker's reader: without FIN packets flows end otherwise
bpf='not tcp[tcpflags] & tcp-fin != 0'
one_f=$(run "$TMP/split" 1 f1 "$bpf") || fail "filter, 1 worker: $one_f"
many_f=$(run "$TMP/split" 2 f2 "$bpf") || fail "filter, 2 workers: $many_f"
if [ "$one_f" = "$many_f" ] && [ "$one_f" != "$(run "$TMP/split" 1 f0)" ]; then
    ok "filter '$bpf' on a folder: 1 and 2 workers log the same lines"
else
    fail "filter on a folder: 1 and 2 workers differ, or the filter changed nothing"
fi
# threshold and detection_filter count a host's matches over every worker: the bundled
# rules' AUTH brute-force rule (sid 2240040, five 535 replies to one client in 60 s, each
# in a flow of its own) alerts with several workers as with one, wherever its flows go.
# Alerts are compared by sid and count: which of the five flows is the fifth counted
# depends on the order the workers run them in.
for w in 1 2 3; do
    mkdir -p "$TMP/th$w"
    "$SHRIKE" -c "$TOP_SRCDIR/shrike.yaml" -S "$TOP_SRCDIR/rules/shrike.rules" -l "$TMP/th$w" \
        -r "$PCAPS/sample.pcap" --workers $w >/dev/null 2>&1 || fail "thresholds, $w workers: exit $?"
done
sids() { grep -o '\[1:[0-9]*:[0-9]*\]' "$1" | LC_ALL=C sort | uniq -c; }
th1=$(sids "$TMP/th1/fast.log")
if grep -q ':2240040:' "$TMP/th1/fast.log" && [ "$th1" = "$(sids "$TMP/th2/fast.log")" ] \
    && [ "$th1" = "$(sids "$TMP/th3/fast.log")" ]; then
    ok "threshold by_dst over flows: sid 2240040 and every other sid alert as often with 1, 2 and 3 workers"
else
    fail "thresholds: 1, 2 and 3 workers alert differently: $(diff <(echo "$th1") <(sids "$TMP/th2/fast.log") | head -3)"
fi
alerts=$(sed -n 's/^detect.alerts: //p' "$TMP/a$i/counters")
[ "${alerts:-0}" -gt 0 ] && ok "the corpus raised $alerts alerts" || fail "the corpus raised no alert"
# SIGTERM in the middle of a run with 2 workers: every log is whole (each eve.json line is a
# JSON object, smtp.log ends with #close) and the counters are printed
mkdir -p "$TMP/term"
"$SHRIKE" -c "$TOP_SRCDIR/shrike.yaml" -S "$TMP/rules" -l "$TMP/term" -r "$TMP/corpus.pcap" \
    --workers 2 >"$TMP/term/counters" 2>"$TMP/term/err" &
pid=$!
sleep 0.3
kill -TERM $pid 2>/dev/null
wait $pid
rc=$?
if [ $rc -eq 0 ] && grep -q '^packets: ' "$TMP/term/counters" \
    && python3 -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]' "$TMP/term/eve.json" \
    && tail -1 "$TMP/term/smtp.log" | grep -q '^#close'; then
    ok "SIGTERM with 2 workers: exit 0, whole logs, counters ($(sed -n 's/^packets: //p' "$TMP/term/counters") packets)"
else
    fail "SIGTERM with 2 workers: exit $rc, $(head -c 300 "$TMP/term/err")"
fi
# workers-balance: claiming (the default, above) and the plain hash split log the same lines;
# with the hash, each worker's share is the same every run; a bad value is refused
byhash=$(run "$TMP/corpus.pcap" 2 h2 --set workers-balance=hash) || fail "hash split: $byhash"
[ "$byhash" = "$(run "$TMP/corpus.pcap" 1 h1)" ] && ok "workers-balance=hash logs the same lines" \
    || fail "workers-balance=hash differs from 1 worker"
"$SHRIKE" -q -r "$PCAPS/smtp-basic.pcap" -l "$TMP/bad" --workers 2 --set workers-balance=bogus \
    >/dev/null 2>"$TMP/bad.err"
rc=$?
[ $rc -eq 1 ] && grep -q "workers-balance: expected 'claim' or 'hash'" "$TMP/bad.err" \
    && ok "workers-balance=bogus: exit 1 and why" || fail "workers-balance=bogus: exit $rc"
# A table of claims that fills falls back to the hash, counted: 65,000 flows that never get
# past the greeting in a 20 MB capture (2^16 slots; under flow.max-flows, so one worker
# evicts none) log what one worker logs, with workers.claims_full above 0; the 3 MB corpus
# above (about 1,000 flows) filled nothing
python3 "$TOP_SRCDIR/tests/tools/gen-hostile.py" halfopen 65000 "$TMP/halfopen.pcap" >/dev/null \
    || fail "tests/tools/gen-hostile.py halfopen failed"
one_h=$(run "$TMP/halfopen.pcap" 1 ho1) || fail "halfopen, 1 worker: $one_h"
many_h=$(run "$TMP/halfopen.pcap" 2 ho2) || fail "halfopen, 2 workers: $many_h"
full=$(sed -n 's/^workers.claims_full: //p' "$TMP/ho2/counters")
[ "$one_h" = "$many_h" ] && [ "${full:-0}" -gt 0 ] \
    && ok "65,000 flows: the table of claims full $full times, 1 and 2 workers log the same lines" \
    || fail "65,000 flows: claims_full '${full}', or 1 and 2 workers differ"
full=$(sed -n 's/^workers.claims_full: //p' "$TMP/b$i-2/counters")
[ "$full" = 0 ] && ok "3 MB corpus: the table of claims never full" \
    || fail "3 MB corpus: workers.claims_full '${full}'"
# smtp.log shared by several workers keeps one header and one #close line
h=$(grep -c '^#fields' "$TMP/b$i-2/smtp.log"); c=$(grep -c '^#close' "$TMP/b$i-2/smtp.log")
[ "$h$c" = 11 ] && ok "shared smtp.log has one header and one #close" || fail "smtp.log: $h headers, $c #close"
# What two workers set up before reading (strace counts calls and sizes, not time): each
# worker's malloc arena grows in one call, not a page at a time (371 mprotect calls in all
# before session 9), and the table of claims is sized to the capture: 2^16 slots of 4 bytes
# for this 3 MB corpus, where it was 8 MiB whatever the capture.
if ldd "$SHRIKE" 2>/dev/null | grep -q 'libasan'; then
    # a sanitizer build's allocator is not glibc's, and LeakSanitizer does not run under ptrace
    echo "skip: sanitizer build (the set-up calls of two workers)"
elif command -v strace >/dev/null; then
    mkdir -p "$TMP/st"
    strace -f -qq -e trace=mprotect,madvise -o "$TMP/st/trace" "$SHRIKE" -c "$TOP_SRCDIR/shrike.yaml" \
        -S "$TMP/rules" -l "$TMP/st" -r "$TMP/corpus.pcap" --workers 2 >/dev/null 2>&1 \
        || fail "2 workers under strace: exit $?"
    calls=$(grep -c 'mprotect(' "$TMP/st/trace")
    table=$(sed -n 's/.*madvise([^,]*, \([0-9]*\), MADV_POPULATE_WRITE.*/\1/p' "$TMP/st/trace")
    [ "$calls" -lt 100 ] && ok "2 workers: $calls mprotect calls in all" \
        || fail "2 workers: $calls mprotect calls (the arenas grow a page at a time?)"
    [ "$table" = 262144 ] && ok "2 workers on 3 MB: a table of claims of 256 KiB" \
        || fail "2 workers on 3 MB: the table of claims populated ${table:-nothing}"
    # The capture is mapped once, by the first worker (the others take their packets from
    # it), and its pages go back to the kernel in few calls, each whole 2 MiB pieces (a call
    # flushes the TLB of every CPU the workers run on): on 20 MB, at most two calls, where a
    # release every MiB made 20.
    python3 "$TOP_SRCDIR/bench/gen-corpus.py" --size 20 --concurrent 32 "$TMP/c20.pcap" >/dev/null \
        || fail "bench/gen-corpus.py --size 20 failed"
    strace -f -qq -e trace=mmap,madvise -o "$TMP/st/trace20" "$SHRIKE" -c "$TOP_SRCDIR/shrike.yaml" \
        -l "$TMP/st" -r "$TMP/c20.pcap" --workers 2 >/dev/null 2>&1 || fail "20 MB under strace: exit $?"
    rel=$(python3 - "$TMP/st/trace20" "$(stat -c %s "$TMP/c20.pcap")" <<'PY'
import re, sys
maps, calls = [], []
for line in open(sys.argv[1]):
    m = re.search(r"mmap\(NULL, (\d+), PROT_READ, MAP_SHARED, \d+, 0\) = (0x[0-9a-f]+)", line)
    if m and m.group(1) == sys.argv[2]:
        maps.append(int(m.group(2), 16))
    m = re.search(r"madvise\((0x[0-9a-f]+), (\d+), MADV_DONTNEED", line)
    if m:
        calls.append((int(m.group(1), 16), int(m.group(2))))
size = int(sys.argv[2])
mine = [(a, n) for a, n in calls if any(b <= a < b + size for b in maps)]
whole = all((a - b) % (2 << 20) == 0 and n % (2 << 20) == 0
            for a, n in mine for b in maps if b <= a < b + size)
print(len(maps), len(mine), "whole" if whole else "split")
PY
)
    set -- $rel
    [ "${1:-0}" = 1 ] && [ "${2:-0}" -ge 1 ] && [ "${2:-99}" -le 2 ] && [ "${3:-}" = whole ] \
        && ok "2 workers on 20 MB: one mapping of the capture, $2 releases, in whole 2 MiB pieces" \
        || fail "2 workers on 20 MB: mappings, releases, pieces: ${rel:-nothing}"
else
    echo "skip: strace is not installed (the set-up calls of two workers)"
fi
finish

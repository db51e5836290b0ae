#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# mime.hash-thread (docs/mime.md, Digests on a second thread): with the digests computed on a
# second thread of the worker, every committed capture gives the same records as without
# (eve.json but its stats records, events.json, fast.log, smtp.log but its #open/#close
# times), with the default files (bodies and attached messages too), with the filestore on
# (its files named by the SHA-256 computed on that thread) and with two workers (whose
# records interleave as they come, so sorted); the thread's counters are in the stats record.
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
[ -x $PY ] || skip_all "python3 missing"

records() { # a log -> what must not depend on the thread: eve.json but stats, Zeek logs
    # but their #open/#close times
    case $1 in
    *eve.json) grep -v '"event_type":"stats"' "$1" ;;
    *.log) grep -v -e '^#open' -e '^#close' "$1" ;;
    *) cat "$1" ;;
    esac
}

n=0
for pcap in "$PCAPS"/*.pcap; do
    name=$(basename "$pcap" .pcap)
    for mode in no yes; do
        "$SHRIKE" -q -l "$TMP/$name-$mode" -r "$pcap" --set mime.hash-thread=$mode \
            --set mime.file-magic=no 2>"$TMP/err" || {
            fail "$name hash-thread=$mode: shrike failed: $(head -c 300 "$TMP/err")"
            continue 2
        }
    done
    same=1
    for f in eve.json events.json fast.log smtp.log; do
        [ -f "$TMP/$name-no/$f" ] || [ -f "$TMP/$name-yes/$f" ] || continue
        cmp -s <(records "$TMP/$name-no/$f") <(records "$TMP/$name-yes/$f") || {
            same=0
            break
        }
    done
    if [ $same = 1 ]; then
        n=$((n + 1))
    else
        fail "$name: $f differs with mime.hash-thread=yes: $(diff <(records "$TMP/$name-no/$f") \
            <(records "$TMP/$name-yes/$f") | head -n 4)"
    fi
done
ok "$n captures: the same records with and without the hash thread"

# files with digests: the filestore names each by its SHA-256
for mode in no yes; do
    mkdir -p "$TMP/store-$mode"
    "$SHRIKE" -q -l "$TMP/fs-$mode" -r "$PCAPS/smtp-attach.pcap" --set mime.hash-thread=$mode \
        --set filestore.enabled=yes --set "filestore.dir=$TMP/store-$mode" 2>"$TMP/err" ||
        fail "filestore hash-thread=$mode: $(head -c 300 "$TMP/err")"
done
stored=$(ls "$TMP/store-yes" | wc -l)
if [ "$stored" -gt 0 ] && [ "$(ls "$TMP/store-no")" = "$(ls "$TMP/store-yes")" ]; then
    bad=0
    for f in "$TMP/store-yes"/*; do
        [ "$(sha256sum "$f" | cut -d' ' -f1)" = "$(basename "$f")" ] || bad=1
    done
    [ $bad = 0 ] && ok "filestore: the same $stored files, each named by its SHA-256" ||
        fail "filestore: a file is not named by its SHA-256"
else
    fail "filestore: stored '$(ls "$TMP/store-yes")', want '$(ls "$TMP/store-no")' (non-empty)"
fi

# two workers, each with its own hash thread, and the thread's counters
for mode in no yes; do
    "$SHRIKE" -q -l "$TMP/w2-$mode" -r "$PCAPS/smtp-many.pcap" --workers 2 \
        --set mime.hash-thread=$mode 2>"$TMP/err" || fail "2 workers: $(head -c 300 "$TMP/err")"
done
cmp -s <(records "$TMP/w2-no/eve.json" | sort) <(records "$TMP/w2-yes/eve.json" | sort) &&
    ok "2 workers: the same records with the hash thread" ||
    fail "2 workers: records differ with the hash thread"
if $PY - "$TMP/w2-yes/eve.json" "$TMP/w2-no/eve.json" <<'PYEOF'; then
import json, sys
def mime(path):
    st = [r for r in map(json.loads, open(path)) if r["event_type"] == "stats"][-1]
    return st.get("shrike", {}).get("mime", None)
yes, no = mime(sys.argv[1]), mime(sys.argv[2])
assert yes is not None and "hash_thread_waits_result" in yes and yes["hash_thread_waits_result"] >= 0, yes
assert "hash_thread_waits_full" in yes, yes
assert no is None or "hash_thread_waits_result" not in no, no
PYEOF
    ok "stats: shrike.mime.hash_thread_waits_* with the thread, absent without"
else
    fail "stats: the hash thread's counters are not as documented"
fi
finish

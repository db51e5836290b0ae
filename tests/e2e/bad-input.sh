#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Bad input never crashes shrike: a truncated pcap, a file that is not a pcap, an empty
# folder and a missing file each give a clear message naming the file and a non-zero exit
# (not a signal), and a truncated pcap's readable packets are still processed. With several
# workers, each of which reads the capture, the damage is reported once and the same packets
# are processed as with one.
. "$(dirname "$0")/lib.sh"

sample=$PCAPS/smtp-basic.pcap
[ -f "$sample" ] || skip_all "no $sample"

run() { # run NAME ARGS...: exit code in $rc, stderr in $TMP/NAME.err, stdout in $TMP/NAME.out
    local name=$1; shift
    "$SHRIKE" -l "$TMP/logs-$name" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err"
    rc=$?
}

check_error() { # check_error NAME PATTERN
    if [ "$rc" -ne 0 ] && [ "$rc" -lt 128 ] && grep -q -- "$2" "$TMP/$1.err"; then
        ok "$1: exit $rc, says: $(head -n1 "$TMP/$1.err")"
    else
        fail "$1: exit $rc, stderr: $(cat "$TMP/$1.err")"
    fi
}

# A pcap cut in the middle of a record.
size=$(stat -c %s "$sample")
head -c $((size * 2 / 3)) "$sample" >"$TMP/truncated.pcap"
run truncated -r "$TMP/truncated.pcap"
check_error truncated "truncated.pcap"
full_pkts=$("$SHRIKE" -l "$TMP/logs-full" -r "$sample" | sed -n 's/^packets: //p')
cut_pkts=$(sed -n 's/^packets: //p' "$TMP/truncated.out")
if [ -n "$cut_pkts" ] && [ "$cut_pkts" -gt 0 ] && [ "$cut_pkts" -lt "$full_pkts" ]; then
    ok "truncated: $cut_pkts of $full_pkts packets processed before the cut"
else
    fail "truncated: packets processed '$cut_pkts' (full capture: $full_pkts)"
fi

# Not a pcap at all.
printf 'this is not a capture file\n%.0s' {1..20} >"$TMP/notes.txt"
run notpcap -r "$TMP/notes.txt"
check_error notpcap "notes.txt"

# An empty folder.
mkdir "$TMP/empty"
run emptydir -r "$TMP/empty"
check_error emptydir "empty"

# A file that does not exist.
run missing -r "$TMP/no-such-file.pcap"
check_error missing "no-such-file.pcap"

# A folder with a good capture and a bad one: the good one is still read.
mkdir "$TMP/mixed"
cp "$sample" "$TMP/mixed/a.pcap"
cp "$TMP/notes.txt" "$TMP/mixed/b.pcap"
run mixed -r "$TMP/mixed"
mixed_pkts=$(sed -n 's/^packets: //p' "$TMP/mixed.out")
if [ "$rc" -ne 0 ] && [ "$rc" -lt 128 ] && [ "$mixed_pkts" = "$full_pkts" ] && grep -q b.pcap "$TMP/mixed.err"; then
    ok "mixed folder: the good capture's $mixed_pkts packets read, b.pcap reported"
else
    fail "mixed folder: exit $rc, packets '$mixed_pkts' (want $full_pkts), stderr: $(cat "$TMP/mixed.err")"
fi

# Two workers each read the damaged captures: one message per damaged file, the same exit
# status, and the same packets counted as with one worker.
check_once() { # check_once NAME WANT_RC WANT_PACKETS FILE
    local pkts n
    pkts=$(sed -n 's/^packets: //p' "$TMP/$1.out")
    n=$(grep -c -- "$4" "$TMP/$1.err")
    if [ "$rc" = "$2" ] && [ "$pkts" = "$3" ] && [ "$n" = 1 ]; then
        ok "$1: exit $rc, $pkts packets, $4 reported once"
    else
        fail "$1: exit $rc (want $2), packets '$pkts' (want $3), $4 reported $n times: $(cat "$TMP/$1.err")"
    fi
}
run truncated1 -r "$TMP/truncated.pcap" --workers 1
rc1=$rc
run truncated2 -r "$TMP/truncated.pcap" --workers 2
check_once truncated2 "$rc1" "$cut_pkts" truncated.pcap
run mixed1 -r "$TMP/mixed" --workers 1
rc1=$rc
run mixed3 -r "$TMP/mixed" --workers 3
check_once mixed3 "$rc1" "$full_pkts" b.pcap

# Random bytes after a valid pcap header.
head -c 24 "$sample" >"$TMP/garbage.pcap"
head -c 20000 /dev/urandom >>"$TMP/garbage.pcap"
run garbage -r "$TMP/garbage.pcap"
if [ "$rc" -lt 128 ]; then ok "garbage records: exit $rc, no crash"; else fail "garbage: signal $rc"; fi


# Files Shrike opens are reported with the system's reason, once, and nothing else.
run norules -c "$TOP_SRCDIR/shrike.yaml" -S "$TMP/missing.rules" -r "$sample"
if grep -q "cannot read rule file '$TMP/missing.rules': No such file or directory" "$TMP/norules.err" &&
    [ "$(grep -c . "$TMP/norules.err")" -eq 1 ]; then
    ok "missing rule file: one message with strerror"
else
    fail "missing rule file: $(cat "$TMP/norules.err")"
fi
run noclass -c "$TOP_SRCDIR/shrike.yaml" --set classification-file="$TMP/missing.config" -r "$sample"
if [ "$rc" -eq 1 ] && grep -q "cannot read '$TMP/missing.config': No such file or directory" "$TMP/noclass.err" &&
    ! grep -q "out of memory" "$TMP/noclass.err"; then
    ok "missing classification file: exit 1, strerror, no 'out of memory'"
else
    fail "missing classification file: exit $rc, $(cat "$TMP/noclass.err")"
fi

# The configuration: workers out of range is exit 1 in a run and under -T; types and
# unknown keys are errors (strict: no keeps unknown keys warnings).
printf 'workers: 1000\n' >"$TMP/w.yaml"
run workers-run -c "$TMP/w.yaml" -r "$sample"
rc_run=$rc
run workers-T -c "$TMP/w.yaml" -T
if [ "$rc_run" -eq 1 ] && [ "$rc" -eq 1 ]; then ok "workers: 1000 exits 1 in a run and under -T"
else fail "workers: 1000 exits $rc_run in a run, $rc under -T"; fi
printf 'workers: [1, 2]\n' >"$TMP/wl.yaml"
run workers-list -c "$TMP/wl.yaml" -T
check_error workers-list "'workers' must be a string, not a list"
printf 'rule-files: {a: b}\n' >"$TMP/rf.yaml"
run rulefiles-map -c "$TMP/rf.yaml" -T
check_error rulefiles-map "'rule-files' must be a list, not a mapping"
printf 'flow:\n  tmeout:\n    new: 3\n' >"$TMP/typo.yaml"
run typo -c "$TMP/typo.yaml" -T
check_error typo "typo.yaml:3:10: unknown configuration key 'flow.tmeout.new'"
run typo-lax -c "$TMP/typo.yaml" --set config.strict=no -T
if [ "$rc" -eq 0 ] && grep -q "warning: .*unknown configuration key 'flow.tmeout.new'" "$TMP/typo-lax.err"; then
    ok "config.strict=no: an unknown key is a warning"
else
    fail "config.strict=no: exit $rc, $(cat "$TMP/typo-lax.err")"
fi
run shipped -c "$TOP_SRCDIR/shrike.yaml" -T
if [ "$rc" -eq 0 ]; then ok "shrike.yaml loads strictly"; else fail "shrike.yaml: $(cat "$TMP/shipped.err")"; fi

# An unwritable log folder: one message, no empty logs left behind.
mkdir -p "$TMP/ro"
chmod 555 "$TMP/ro"
if [ "$(id -u)" -eq 0 ]; then mount -t tmpfs -o size=64k,ro tmpfs "$TMP/ro" 2>/dev/null || true; fi
if touch "$TMP/ro/x" 2>/dev/null; then
    rm -f "$TMP/ro/x"
    echo "the log folder cannot be made read-only here: that case is skipped"
else
    "$SHRIKE" -c "$TOP_SRCDIR/shrike.yaml" -l "$TMP/ro" -r "$sample" >"$TMP/ro.out" 2>"$TMP/ro.err"
    rc=$?
    if [ "$rc" -eq 1 ] && [ "$(grep -c . "$TMP/ro.err")" -eq 1 ] &&
        grep -q "cannot open '$TMP/ro/[a-z.]*': Read-only file system\|Permission denied" "$TMP/ro.err"; then
        ok "read-only log folder: exit 1, one message: $(cat "$TMP/ro.err")"
    else
        fail "read-only log folder: exit $rc, $(cat "$TMP/ro.err")"
    fi
    umount "$TMP/ro" 2>/dev/null
fi

# Captures that decode to nothing are never silent: an unknown link type is an error naming
# it (in a folder: reported and counted, the other files read); a snapshot length shorter
# than the headers is a warning with the count of cut packets.
rewrite=$TOP_SRCDIR/tests/tools/pcap-rewrite.py
python3 "$rewrite" "$sample" "$TMP/usr0.pcap" linktype 147
run linktype -r "$TMP/usr0.pcap"
check_error linktype "usr0.pcap' has link type 147"
mkdir -p "$TMP/lt-dir"
cp "$TMP/usr0.pcap" "$TMP/lt-dir/a.pcap"
cp "$sample" "$TMP/lt-dir/b.pcap"
run linktype-dir -r "$TMP/lt-dir"
if [ "$rc" -eq 1 ] && grep -q "a.pcap' has link type 147" "$TMP/linktype-dir.err" &&
    grep -q '^source.files_failed: 1' "$TMP/linktype-dir.out" &&
    [ "$(sed -n 's/^packets: //p' "$TMP/linktype-dir.out")" -gt 0 ]; then
    ok "unknown link type in a folder: reported, counted, the other file read"
else
    fail "unknown link type in a folder: exit $rc, $(cat "$TMP/linktype-dir.err")"
fi
python3 "$rewrite" "$sample" "$TMP/snap40.pcap" snaplen 40
run snaplen -r "$TMP/snap40.pcap"
n=$(sed -n 's/^source.packets_cut: //p' "$TMP/snaplen.out")
if [ "${n:-0}" -gt 0 ] && [ "$(grep -c "snap40.pcap': $n packets cut short by the capture's snapshot length (40 bytes)" "$TMP/snaplen.err")" -eq 1 ]; then
    ok "snaplen 40: one warning with the count ($n packets cut)"
else
    fail "snaplen 40: source.packets_cut '${n:-}', $(cat "$TMP/snaplen.err")"
fi
# A capture cut shorter while shrike reads it (a ring of files rewritten by tcpdump -W):
# Shrike reads files from a mapping, whose pages past the new end raise SIGBUS. 24 MB of
# copies of the sample's records, cut in the middle of a record at three moments of a
# two-worker run: never a signal; exit 0 (the cut came after the reading) or 1 with the
# file named as truncated (or as changed while it was read, when one worker had read past
# the cut before it was made); never more packets than the whole file has.
python3 - "$sample" "$TMP/long.pcap" <<'PY'
import sys
data = open(sys.argv[1], "rb").read()
with open(sys.argv[2], "wb") as f:
    f.write(data[:24])
    for _ in range(24 * 1024 * 1024 // len(data)):
        f.write(data[24:])
PY
run long-whole -r "$TMP/long.pcap" --workers 2
long_pkts=$(sed -n 's/^packets: //p' "$TMP/long-whole.out")
long_size=$(stat -c %s "$TMP/long.pcap")
for delay in 0.02 0.06 0.15; do
    cp "$TMP/long.pcap" "$TMP/shrinking.pcap"
    ( sleep "$delay"; truncate -s $((long_size / 3 + 7)) "$TMP/shrinking.pcap" ) &
    cutter=$!
    run shrinking -r "$TMP/shrinking.pcap" --workers 2
    wait "$cutter"
    pkts=$(sed -n 's/^packets: //p' "$TMP/shrinking.out")
    # one worker may have read past the cut before it was made: then the other's damage is
    # reported as a file that changed while it was read
    if [ "$rc" -eq 0 ] || { [ "$rc" -eq 1 ] && grep -q -e "shrinking.pcap' is truncated" \
        -e "did a file change while it was read" "$TMP/shrinking.err"; }; then
        if [ -n "$pkts" ] && [ "$pkts" -le "$long_pkts" ]; then
            ok "cut while read after ${delay} s: exit $rc, $pkts of $long_pkts packets"
        else
            fail "cut while read after ${delay} s: packets '$pkts' (whole file: $long_pkts)"
        fi
    else
        fail "cut while read after ${delay} s: exit $rc, $(head -c 400 "$TMP/shrinking.err")"
    fi
done
finish

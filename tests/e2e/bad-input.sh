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

finish

#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# For every bundled capture, the bytes shrike rebuilds for each direction of each TCP flow
# (--dump-streams) equal what tshark's `follow,tcp,raw` gives for the same capture.
. "$(dirname "$0")/lib.sh"
need tshark
shopt -s nullglob
pcaps=("$PCAPS"/*.pcap)
[ ${#pcaps[@]} -gt 0 ] || skip_all "no captures in $PCAPS"

for p in "${pcaps[@]}"; do
    name=$(basename "$p" .pcap)
    ref=$TMP/$name-tshark
    got=$TMP/$name-shrike
    bash "$TOP_SRCDIR/tests/tools/stream-bytes.sh" "$p" "$ref" >/dev/null
    "$SHRIKE" -q -l "$TMP/logs" --dump-streams "$got" -r "$p" 2>"$TMP/err" \
        || { fail "$name: shrike failed: $(cat "$TMP/err")"; continue; }
    bad=0
    n=0
    while IFS=$'\t' read -r idx a0 p0 a1 p1 ob rb; do
        n=$((n + 1))
        a0_=${a0//:/_} a1_=${a1//:/_}
        # shrike names files by originator; tshark's node 0 is the first sender. Find the
        # flow in either orientation and compare the matching direction.
        f_orig=("$got"/*-"$a0_.$p0-$a1_.$p1"-orig.bin)
        f_resp=("$got"/*-"$a0_.$p0-$a1_.$p1"-resp.bin)
        if [ ${#f_orig[@]} -eq 0 ] && [ ${#f_resp[@]} -eq 0 ]; then
            f_resp=("$got"/*-"$a1_.$p1-$a0_.$p0"-orig.bin)
            f_orig=("$got"/*-"$a1_.$p1-$a0_.$p0"-resp.bin)
        fi
        for dir in orig resp; do
            want=("$ref"/*_"$a0"_"$p0"_"$a1"_"$p1".$dir)
            if [ "$dir" = orig ]; then have=("${f_orig[@]}"); else have=("${f_resp[@]}"); fi
            wbytes=$(cat "${want[@]}" 2>/dev/null | wc -c)
            if [ ${#have[@]} -eq 0 ]; then
                [ "$wbytes" -eq 0 ] && continue
                echo "  $name stream $idx $dir: shrike wrote nothing, tshark has $wbytes bytes"
                bad=$((bad + 1))
            elif ! cmp -s "${have[0]}" "${want[0]}"; then
                echo "  $name stream $idx $dir: bytes differ ($(wc -c <"${have[0]}") vs $wbytes)"
                bad=$((bad + 1))
            fi
        done
    done <"$ref/index.tsv"
    if [ "$bad" -eq 0 ]; then ok "$name: $n flows, both directions byte-identical"; else fail "$name: $bad directions differ"; fi
done
finish

#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# On every bundled capture, shrike counts as many TCP flows as tshark's conversation table.
. "$(dirname "$0")/lib.sh"
need tshark
shopt -s nullglob
pcaps=("$PCAPS"/*.pcap)
[ ${#pcaps[@]} -gt 0 ] || skip_all "no captures in $PCAPS"
for p in "${pcaps[@]}"; do
    want=$(bash "$TOP_SRCDIR/tests/tools/tcp-conv-count.sh" "$p")
    got=$("$SHRIKE" -l "$TMP" -r "$p" 2>"$TMP/err" | sed -n 's/^flows: //p')
    if [ "$got" = "$want" ]; then
        ok "$(basename "$p"): $got TCP flows"
    else
        fail "$(basename "$p"): shrike counts '$got' TCP flows, tshark $want ($(head -c 300 "$TMP/err"))"
    fi
done
finish

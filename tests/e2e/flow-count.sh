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

# A BPF filter, given on the command line and with -F, keeps only the matching flows.
many=$PCAPS/smtp-many.pcap
if [ -f "$many" ]; then
    want=$(tshark -r "$many" -q -z conv,tcp,"tcp.port==12535" 2>/dev/null | grep -c '<->')
    got=$("$SHRIKE" -l "$TMP" -r "$many" tcp port 12535 | sed -n 's/^flows: //p')
    echo 'tcp port 12535' >"$TMP/filter.bpf"
    got_f=$("$SHRIKE" -l "$TMP" -r "$many" -F "$TMP/filter.bpf" | sed -n 's/^flows: //p')
    if [ "$want" -gt 0 ] && [ "$got" = "$want" ] && [ "$got_f" = "$want" ]; then
        ok "BPF 'tcp port 12535': $got flows (argument and -F), as tshark"
    else
        fail "BPF: shrike '$got' (argument) and '$got_f' (-F), tshark $want"
    fi
    "$SHRIKE" -l "$TMP" -r "$many" 'tcp port nonsense' >/dev/null 2>"$TMP/bpf.err"
    rc=$?
    if [ "$rc" -ne 0 ] && [ "$rc" -lt 128 ] && grep -qi "filter\|bpf\|syntax" "$TMP/bpf.err"; then
        ok "a bad BPF filter is refused: $(head -n1 "$TMP/bpf.err")"
    else
        fail "bad BPF filter: exit $rc, $(cat "$TMP/bpf.err")"
    fi
fi
finish

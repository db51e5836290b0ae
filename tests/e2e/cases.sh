#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# End-to-end rule cases: each folder of tests/e2e/cases/ holds
#   pcaps     captures to read, one path a line, relative to the source tree (tests/pcaps/…)
#   *.rules   the case's rules, and/or
#   rules     bundled rule files to load, one path a line, relative to the source tree
#   args      (optional) more shrike arguments, e.g. --set for variables
#   expected  the alerts, one JSON object a line (see below)
#   README    one line: what the case proves
# Each capture is read by its own shrike run with shrike.yaml; the alerts of eve.json become
#   {"pcap":…,"timestamp":…,"sid":…,"msg":…,"src":"ip:port","dest":"ip:port","tx_id":…}
# (key order fixed, timestamps kept), sorted, and diffed with expected.
# UPDATE=1 rewrites expected instead (make e2e-baselines).
. "$(dirname "$0")/lib.sh"
need jq
CASES=${CASES:-$TOP_SRCDIR/tests/e2e/cases}
shopt -s nullglob

norm() { # PCAPNAME EVE
    jq -c --arg p "$1" 'select(.event_type == "alert") | {pcap: $p, timestamp, sid: .alert.signature_id,
        msg: .alert.signature, src: "\(.src_ip):\(.src_port)", dest: "\(.dest_ip):\(.dest_port)",
        tx_id: (.tx_id // null)}' "$2"
}

for dir in "$CASES"/*/; do
    c=$(basename "$dir")
    [ -f "$dir/pcaps" ] || { fail "$c: no pcaps file"; continue; }
    ropts=()
    for r in "$dir"/*.rules; do ropts+=(-S "$r"); done
    if [ -f "$dir/rules" ]; then
        while read -r r; do [ -n "$r" ] && ropts+=(-S "$TOP_SRCDIR/$r"); done <"$dir/rules"
    fi
    [ ${#ropts[@]} -gt 0 ] || { fail "$c: no rules"; continue; }
    extra=()
    [ -f "$dir/args" ] && read -r -a extra <"$dir/args"
    : >"$TMP/got"
    bad=0
    while read -r p; do
        [ -n "$p" ] || continue
        rm -rf "$TMP/logs" && mkdir -p "$TMP/logs"
        if ! "$SHRIKE" -q -c "$TOP_SRCDIR/shrike.yaml" "${ropts[@]}" "${extra[@]}" -l "$TMP/logs" \
            -r "$TOP_SRCDIR/$p" 2>"$TMP/err"; then
            fail "$c: shrike failed on $p: $(tail -3 "$TMP/err")"
            bad=1
            break
        fi
        norm "$(basename "$p")" "$TMP/logs/eve.json" >>"$TMP/got"
    done <"$dir/pcaps"
    [ $bad -eq 0 ] || continue
    sort "$TMP/got" >"$TMP/got.sorted"
    if [ -n "${UPDATE:-}" ]; then
        cp "$TMP/got.sorted" "$dir/expected"
        ok "$c: expected rewritten ($(wc -l <"$dir/expected") alerts)"
    elif [ ! -f "$dir/expected" ]; then
        fail "$c: no expected file (make e2e-baselines)"
    elif diff -u "$dir/expected" "$TMP/got.sorted" >"$TMP/diff"; then
        ok "$c: $(wc -l <"$dir/expected") alerts as expected"
    else
        fail "$c: alerts differ from expected"
        head -40 "$TMP/diff"
    fi
done
finish

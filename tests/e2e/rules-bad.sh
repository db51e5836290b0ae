#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Broken rule files (tests/data/rules-bad/: unbalanced quotes and parentheses, bad hex, huge
# numbers, unknown keywords, NUL bytes, invalid UTF-8, a pcre that does not compile; and a
# 1 MB line made here): each bad rule gives a FILE:LINE:COL diagnostic, the good rules
# beside it load, and -T exits 1. A pcre that backtracks catastrophically is cut off by
# detect.pcre-match-limit and counted (detect.pcre_limit_hits).
. "$(dirname "$0")/lib.sh"
dir=$TOP_SRCDIR/tests/data/rules-bad

check() { # check FILE GOOD LINE:COL...
    local f=$1 good=$2 bad=""
    shift 2
    "$SHRIKE" -S "$f" -T >"$TMP/out" 2>"$TMP/err"
    local rc=$?
    for lc in "$@"; do grep -qF "$f:$lc: " "$TMP/err" || bad="$bad $lc"; done
    local n_diag
    n_diag=$(grep -c "^$f:[0-9]*:[0-9]*: " "$TMP/err")
    if [ "$rc" -eq 1 ] && [ -z "$bad" ] && [ "$n_diag" -eq $# ] &&
        grep -q "^configuration and $good rules: errors found" "$TMP/out"; then
        ok "$(basename "$f"): $good good rules load, diagnostics at $*"
    else
        fail "$(basename "$f"): exit $rc, missing diagnostics:$bad, $n_diag diagnostics; $(cat "$TMP/out" "$TMP/err" | head -c 600)"
    fi
}

while read -r name good diags; do
    case $name in '#'* | '') continue ;; esac
    # shellcheck disable=SC2086
    check "$dir/$name" "$good" $diags
done <"$dir/expected"

# A 1 MB line (an unterminated msg) between two good rules
{
    echo 'alert smtp any any -> any any (msg:"good 1"; smtp.helo; content:"x"; sid:1;)'
    printf 'alert smtp any any -> any any (msg:"'
    head -c 1048576 /dev/zero | tr '\0' A
    printf '; sid:2;)\n'
    echo 'alert smtp any any -> any any (msg:"good 3"; smtp.helo; content:"x"; sid:3;)'
} >"$TMP/long.rules"
check "$TMP/long.rules" 2 2:36

# The catastrophic pcre of pcre.rules, on a real capture: cut off, counted, no stall
sample=$PCAPS/sample.pcap
if [ -f "$sample" ]; then
    "$SHRIKE" -S "$dir/pcre.rules" -l "$TMP/logs" -r "$sample" >"$TMP/run.out" 2>/dev/null
    rc=$?
    hits=$(sed -n 's/^detect\.pcre_limit_hits: //p' "$TMP/run.out")
    if [ "$rc" -eq 0 ] && [ "${hits:-0}" -gt 0 ]; then
        ok "catastrophic pcre: cut off $hits times (detect.pcre_limit_hits), run completes"
    else
        fail "catastrophic pcre: exit $rc, detect.pcre_limit_hits '${hits:-}'"
    fi
fi
finish

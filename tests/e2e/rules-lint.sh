#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# shrike -T warns, at FILE:LINE:COL of the keyword, about rules that load but will be slow or
# can never match (docs/rules.md, "Warnings under -T"); the rules still load, -T still
# exits 0, fine rules draw no warning, and a run (without -T) prints none of them.
. "$(dirname "$0")/lib.sh"
f=$TOP_SRCDIR/tests/data/rules-lint/lint.rules
"$SHRIKE" -T -S "$f" >"$TMP/out" 2>"$TMP/err"
rc=$?
[ $rc -eq 0 ] && ok "-T exits 0: warnings are not errors" || fail "-T exited $rc"
grep -q 'configuration and 8 rules: ok' "$TMP/out" && ok "all 8 rules load" \
    || fail "not all rules loaded: $(cat "$TMP/out")"
expect() { # LINE:COL SID TEXT
    if grep -qF "lint.rules:$1: sid $2: warning: " "$TMP/err" &&
        grep -F "lint.rules:$1: sid $2:" "$TMP/err" | grep -qF "$3"; then
        ok "sid $2 at $1: $3"
    else
        fail "no warning '$3' for sid $2 at $1: $(grep "sid $2:" "$TMP/err")"
    fi
}
expect 3:99 3 "transformed to_lowercase: the rule never matches"
expect 4:78 4 "has no anchor and no content before it"
expect 5:69 6 "fast pattern 'MZ' is 2 bytes on file.data"
expect 6:86 7 "bsize allows at most 3"
expect 7:66 10 "no fast pattern"
expect 8:62 11 "range 5-6 holds no number"
n=$(grep -c 'warning: ' "$TMP/err")
[ "$n" -eq 6 ] && ok "6 warnings, none for the fine rules" || fail "$n warnings: $(grep -E 'sid (8|9):' "$TMP/err")"
"$SHRIKE" -q -S "$f" -r "$PCAPS/smtp-basic.pcap" -l "$TMP/run" 2>"$TMP/run.err"
grep -q 'warning: ' "$TMP/run.err" && fail "a run printed -T's warnings" || ok "a run prints no lint warnings"
finish

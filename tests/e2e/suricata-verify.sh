#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# The public suricata-verify cases in ../shared/corpus: runs the checker over every case
# and fails when a case listed in sv-required.txt does not pass. Cases not listed are
# reported (so progress shows) but do not fail the test. Skips when ../shared is absent.
. "$(dirname "$0")/lib.sh"
cases=$SHARED/corpus/suricata-verify/tests
[ -d "$cases" ] || skip_all "no suricata-verify corpus at $cases"
[ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import yaml' 2>/dev/null || skip_all "python3-yaml missing"

/usr/bin/python3 "$TOP_SRCDIR/tests/tools/sv-check.py" "$SHRIKE" "$cases" "$TOP_SRCDIR/shrike.yaml" \
    >"$TMP/report" 2>&1
cat "$TMP/report"
while read -r c; do
    case "$c" in '' | '#'*) continue ;; esac
    if grep -qx "pass: $c" "$TMP/report"; then ok "required case $c"; else fail "required case $c"; fi
done <"$(dirname "$0")/sv-required.txt"
finish

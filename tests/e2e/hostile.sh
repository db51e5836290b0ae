#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# The hostile-traffic table in its small sizes (tests/tools/hostile.sh --small): every
# case stays under flow.memcap plus the stated constant, leaves nothing charged at the end
# (no leak), and the clean session placed after the hostile traffic is fully logged.
. "$(dirname "$0")/lib.sh"
need python3
[ -x /usr/bin/time ] || skip_all "/usr/bin/time is not installed"
SHRIKE=$SHRIKE bash "$TOP_SRCDIR/tests/tools/hostile.sh" --small >"$TMP/table.md" 2>"$TMP/err"
cat "$TMP/table.md"
rows=$(grep -c '^| [0-9]' "$TMP/table.md")
[ "$rows" -ge 10 ] && ok "$rows rows" || fail "only $rows rows ($(tail -n 3 "$TMP/err"))"
while IFS= read -r row; do
    key=$(grep -o '(`[a-z-]*`)' <<<"$row" | tr -d '()`')
    bad=false
    case $row in *'**'* | *'| no'*) bad=true ;; esac
    if ! $bad; then
        ok "$key: under its cap, no leak, clean session intact"
    else
        fail "$key: $row"
    fi
done < <(grep '^| [0-9]' "$TMP/table.md")
finish

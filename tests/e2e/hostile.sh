#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# The hostile-traffic table in its small sizes (tests/tools/hostile.sh --small): every
# case stays under flow.memcap plus the stated constant, leaves nothing charged at the end
# (no leak), and the clean session placed after the hostile traffic is fully logged.
. "$(dirname "$0")/lib.sh"
need python3
[ -x /usr/bin/time ] || skip_all "/usr/bin/time is not installed"
# Cases known to fail until a fix lands elsewhere; each still runs and is reported. The
# BDAT/gap/354 leak of issue 11 is being fixed in parsers/smtp/smtp_data.c on main: remove
# bdat-gap here once that fix is merged.
known=" bdat-gap "
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
    elif [[ $known == *" $key "* ]]; then
        echo "known failure (see above): $key"
    else
        fail "$key: $row"
    fi
done < <(grep '^| [0-9]' "$TMP/table.md")
finish

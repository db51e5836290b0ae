#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Rules on every email.* buffer and on file.data and file.name (tests/e2e/mime-rules.rules)
# fire on the MIME captures made through Postfix exactly as often as expected: the count of
# each sid on each capture, in eve.json and in fast.log, equals the table below (a sid not
# listed for a capture must not fire on it; sids 51xx never fire).
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
[ -x $PY ] || skip_all "python3 missing"
rules=$TOP_SRCDIR/tests/e2e/mime-rules.rules

# capture: sid=count ...
declare -A expect=(
    [mime-structure.pcap]="5001=1 5002=1 5003=1 5005=4 5006=1 5007=1 5008=1 5009=1 5010=1 5011=1 5013=1"
    [mime-swaks.pcap]="5004=1 5005=1 5012=1"
    [mime-charsets.pcap]="5005=8 5020=2 5021=2 5022=2 5023=2 5024=2"
)
sids=$(sed -n 's/.*sid:\([0-9]*\);.*/\1/p' "$rules")
[ "$(echo "$sids" | wc -l)" -ge 26 ] || fail "rules file has $(echo "$sids" | wc -l) rules"

for pcap in mime-charsets.pcap mime-structure.pcap mime-swaks.pcap; do
    logs=$TMP/$pcap
    if ! "$SHRIKE" -q -l "$logs" -r "$PCAPS/$pcap" -S "$rules" 2>"$TMP/err" || [ -s "$TMP/err" ]; then
        fail "$pcap: shrike failed or complained: $(cat "$TMP/err")"
        continue
    fi
    for sid in $sids; do
        want=0
        for kv in ${expect[$pcap]}; do [ "${kv%%=*}" = "$sid" ] && want=${kv#*=}; done
        eve=$($PY -c 'import json,sys
print(sum(1 for l in open(sys.argv[1]) for r in [json.loads(l)]
          if r["event_type"] == "alert" and r["alert"]["signature_id"] == int(sys.argv[2])))' \
            "$logs/eve.json" "$sid")
        fast=$(grep -c "\[1:$sid:1\]" "$logs/fast.log" || true)
        if [ "$eve" -eq "$want" ] && [ "$fast" -eq "$want" ]; then
            [ "$want" -gt 0 ] && ok "$pcap: sid $sid alerts $want time(s)"
        else
            fail "$pcap: sid $sid ($(sed -n "s/.*msg:\"\([^\"]*\)\".*sid:$sid;.*/\1/p" "$rules")): $eve in eve.json, $fast in fast.log, want $want"
        fi
    done
done
finish

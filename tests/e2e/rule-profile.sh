#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# --rule-profile: at exit the worst rules by time on stdout and every checked rule in
# rule_perf.json (docs/rules.md, "Profiling rules"); checks and matches are the same with one
# worker or two, every rule that alerted was checked and matched, worst first.
. "$(dirname "$0")/lib.sh"
need jq
cap=$PCAPS/smtp-demo.pcap
rules=$TOP_SRCDIR/rules/shrike.rules
"$SHRIKE" -r "$cap" -S "$rules" -l "$TMP/a" --rule-profile >"$TMP/a.out" 2>&1 \
    || fail "run with --rule-profile failed: $(tail -3 "$TMP/a.out")"
grep -q '^rule profile: [0-9]* rules checked' "$TMP/a.out" && ok "table printed at exit" \
    || fail "no table: $(tail -5 "$TMP/a.out")"
j=$TMP/a/rule_perf.json
jq -e . "$j" >/dev/null && ok "rule_perf.json is JSON" || fail "rule_perf.json unreadable"
n=$(jq '.rules | length' "$j")
[ "$n" -gt 0 ] && ok "$n rules checked" || fail "no rule in rule_perf.json"
jq -e '[.rules[].ns_total] | . == (sort | reverse)' "$j" >/dev/null && ok "worst first" \
    || fail "not sorted by time"
jq -e 'all(.rules[]; .checks >= .matches and .checks > 0)' "$j" >/dev/null \
    && ok "checks >= matches > or = 0 for every rule" || fail "a rule with matches > checks"
# every sid in fast.log matched at least as many times as it alerted
bad=0
while read -r cnt sid; do
    m=$(jq --argjson s "$sid" '[.rules[] | select(.signature_id == $s) | .matches] | add // 0' "$j")
    [ "$m" -ge 1 ] || { bad=1; echo "  sid $sid alerted $cnt times, matched $m"; }
done < <(sed -n 's/.*\[1:\([0-9]*\):[0-9]*\].*/\1/p' "$TMP/a/fast.log" | sort | uniq -c)
[ $bad -eq 0 ] && [ -s "$TMP/a/fast.log" ] && ok "every alerting sid matched in the profile" \
    || fail "alerting sids missing from the profile"
"$SHRIKE" -q -r "$cap" -S "$rules" -l "$TMP/b" --rule-profile --workers 2 >"$TMP/b.out" 2>&1
a=$(jq -c '[.rules[] | [.signature_id, .checks, .matches]] | sort' "$j")
b=$(jq -c '[.rules[] | [.signature_id, .checks, .matches]] | sort' "$TMP/b/rule_perf.json")
[ "$a" = "$b" ] && ok "two workers: the same checks and matches per rule" \
    || fail "profiles differ between 1 and 2 workers"
[ -s "$TMP/b.out" ] && fail "-q still printed: $(head -2 "$TMP/b.out")" || ok "-q: no table, file written"
"$SHRIKE" -q -r "$cap" -S "$rules" -l "$TMP/c" >/dev/null 2>&1
[ -e "$TMP/c/rule_perf.json" ] && fail "rule_perf.json without --rule-profile" \
    || ok "no rule_perf.json without --rule-profile"
finish

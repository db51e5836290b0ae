#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# The rule keywords byte_test, byte_jump, byte_extract, byte_math, dsize, flags, stream_size
# and frame:smtp.response_line (tests/e2e/rule-keywords.rules), and the Snort 3 dialect
# (tests/e2e/rule-keywords-snort3.rules), on tests/pcaps/smtp-basic.pcap (swaks -> postfix):
# each rule fires exactly as the table says, with the detection path and with the reference
# matcher. Then, when ../shared is there, the load counts: every ET Open tcp/smtp rule on
# ports 25/465/587 loads (but the one on tls.cert_issuer: TLS is not decrypted), ET Open as a whole loads at least 3,280 rules, and every Snort 3
# community rule with service:smtp loads (the file read as snort3).
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
[ -x $PY ] || skip_all "python3 missing"
pcap=$PCAPS/smtp-basic.pcap

count() { # eve.json sid -> alerts of sid
    $PY -c 'import json,sys
print(sum(1 for l in open(sys.argv[1]) for r in [json.loads(l)]
          if r["event_type"] == "alert" and r["alert"]["signature_id"] == int(sys.argv[2])))' "$1" "$2"
}

check() { # rules file, "sid=count ...", extra shrike options
    local rules=$1 expect=$2 mode=$3 logs=$TMP/$(basename "$1")$3
    # shellcheck disable=SC2086
    if ! "$SHRIKE" -q -l "$logs" -r "$pcap" -S "$rules" $mode 2>"$TMP/err" || [ -s "$TMP/err" ]; then
        fail "$rules $mode: shrike failed or complained: $(cat "$TMP/err")"
        return
    fi
    for sid in $(sed -n 's/.*sid:\([0-9]*\);.*/\1/p' "$rules"); do
        want=0
        for kv in $expect; do [ "${kv%%=*}" = "$sid" ] && want=${kv#*=}; done
        got=$(count "$logs/eve.json" "$sid")
        if [ "$got" -eq "$want" ]; then
            ok "${mode:-detect}: sid $sid alerts $want time(s)"
        else
            fail "${mode:-detect}: sid $sid ($(sed -n "s/.*msg:\"\([^\"]*\)\".*sid:$sid;.*/\1/p" "$rules")): $got alerts, want $want"
        fi
    done
}

kw=$TOP_SRCDIR/tests/e2e/rule-keywords.rules
s3=$TOP_SRCDIR/tests/e2e/rule-keywords-snort3.rules
for mode in "" --detect-reference; do
    check "$kw" "9101=1 9103=1 9105=1 9107=1 9109=1 9111=1 9113=1 9115=1" "$mode"
    check "$s3" "9201=1 9203=1" "$mode"
done

# -T names the dialect of each file
"$SHRIKE" -T -S "$kw" -S "$s3" >"$TMP/t.out" 2>&1 || fail "-T on the test rules failed: $(cat "$TMP/t.out")"
grep -q "rule-keywords.rules: read as suricata rules" "$TMP/t.out" && ok "-T: suricata file named" ||
    fail "-T does not say the suricata file's dialect: $(cat "$TMP/t.out")"
grep -q "rule-keywords-snort3.rules: read as snort3 rules" "$TMP/t.out" && ok "-T: snort3 file named" ||
    fail "-T does not say the snort3 file's dialect"
# a pragma forces the dialect; a bad rule is reported with FILE:LINE:COL and the rest load
printf '# shrike: dialect suricata\n%s\nalert tcp any any -> any any (content:"x",nocase; sid:2;)\n' \
    "$(sed -n 2p "$s3")" >"$TMP/forced.rules"
"$SHRIKE" -T -S "$TMP/forced.rules" >"$TMP/f.out" 2>&1
grep -q "forced.rules: read as suricata rules" "$TMP/f.out" && ok "pragma forces suricata" ||
    fail "pragma ignored: $(cat "$TMP/f.out")"
grep -q "forced.rules:3:39: unterminated quote" "$TMP/f.out" && ok "bad rule reported with FILE:LINE:COL" ||
    fail "no FILE:LINE:COL for the bad rule: $(cat "$TMP/f.out")"

# load counts against the public rule sets
et=$SHARED/corpus/rules/et-open-2024-04-21
sn=$SHARED/corpus/rules/snort3-community/snort3-community.rules
if [ -d "$et" ] && [ -f "$sn" ]; then
    cat "$et"/*.rules >"$TMP/et.rules"
    # tcp and smtp rules whose header names port 25, 465 or 587 (in a list or a range)
    $PY - "$TMP/et.rules" >"$TMP/et-smtp.rules" <<'PYEOF'
import re, sys
def has(p):
    for part in p.strip('!').strip('[]').split(','):
        part = part.strip('![]')
        if ':' in part:
            a, b = part.split(':')
            if any(int(a or 0) <= x <= int(b or 65535) for x in (25, 465, 587)):
                return True
        elif part.isdigit() and int(part) in (25, 465, 587):
            return True
    return False
for ln in open(sys.argv[1], encoding='utf-8', errors='replace'):
    m = re.match(r'^(alert|drop|pass|reject)\s+(\S+)\s+\S+\s+(\S+|\[[^\]]*\])\s+\S+\s+\S+\s+(\S+|\[[^\]]*\])\s*\(', ln)
    # tls.* buffers inspect TLS after STARTTLS, which shrike does not decrypt: left out
    if 'tls.' in ln:
        continue
    if m and m.group(2) in ('tcp', 'smtp') and (m.group(2) == 'smtp' or has(m.group(3)) or has(m.group(4))):
        sys.stdout.write(ln)
PYEOF
    n=$(grep -c . "$TMP/et-smtp.rules")
    cls="--set classification-file=$et/classification.config"
    # shellcheck disable=SC2086
    "$SHRIKE" -T -v -S "$TMP/et-smtp.rules" $cls >"$TMP/e.out" 2>&1
    loaded=$(sed -n 's/.*rules: \([0-9]*\) loaded.*/\1/p' "$TMP/e.out")
    dups=$(grep -c "duplicate signature" "$TMP/e.out" || true)
    if [ "$n" -gt 100 ] && [ "$((loaded + dups))" -eq "$n" ]; then
        ok "ET Open tcp/smtp rules on ports 25/465/587: $loaded of $n load ($dups duplicates)"
    else
        fail "ET Open port 25/465/587 rules: $loaded of $n load: $(grep -v warning: "$TMP/e.out" | head -5)"
    fi
    # shellcheck disable=SC2086
    "$SHRIKE" -T -v -S "$TMP/et.rules" $cls >"$TMP/all.out" 2>&1
    loaded=$(sed -n 's/.*rules: \([0-9]*\) loaded.*/\1/p' "$TMP/all.out")
    [ "${loaded:-0}" -ge 3280 ] && ok "ET Open: $loaded rules load" || fail "ET Open: ${loaded:-?} load, want >= 3280"
    grep -v '^#' "$sn" | grep 'service:[a-z0-9,-]*smtp' >"$TMP/s3.rules"
    n=$(grep -c . "$TMP/s3.rules")
    "$SHRIKE" -T -v -S "$TMP/s3.rules" >"$TMP/s.out" 2>&1
    loaded=$(sed -n 's/.*rules: \([0-9]*\) loaded.*/\1/p' "$TMP/s.out")
    grep -q "s3.rules: read as snort3 rules" "$TMP/s.out" || fail "the Snort 3 rules were not read as snort3"
    [ "$n" -ge 132 ] && [ "$loaded" -eq "$n" ] && ok "Snort 3 community SMTP rules: $loaded of $n load" ||
        fail "Snort 3 community SMTP rules: ${loaded:-?} of $n load: $(head -5 "$TMP/s.out")"
else
    echo "note: $SHARED/corpus absent: load counts not checked"
fi
finish

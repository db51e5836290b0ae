#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Anomalies end to end. Each malformed capture (tests/tools/make-malformed-pcaps.sh) raises
# exactly its expected SMTP-layer anomalies: as EVE anomaly records, as smtp.anomaly.NAME
# counters, and as alerts of rules/smtp-events.rules with the rule's sid in fast.log. The
# clean captures made by real software raise no SMTP-layer anomaly at all, except the ones
# listed (with the reason) in CLEAN_ALLOWED, and no other alert of smtp-events.rules.
. "$(dirname "$0")/lib.sh"
need jq
RULES=$TOP_SRCDIR/rules/smtp-events.rules

declare -A EXPECT=(
    [bare-lf]="BARE_LF"
    [lf-crlf-mix]="BARE_CR BARE_LF LF_CRLF_MIX"
    [smuggling]="SMUGGLING_ACCEPTED SMUGGLING_END_OF_DATA"
    [long-lines]="AUTH_LINE_LEN_EXCEEDED COMMAND_LINE_LEN_EXCEEDED MAX_COMMAND_LINE_LEN_EXCEEDED MAX_REPLY_LINE_LEN_EXCEEDED TRUNCATED_LINE"
    [xlink2state]="XLINK2STATE"
    [starttls-injection]="STARTTLS_INJECTION"
    [nested-mail]="DUPLICATE_FIELDS NESTED_MAIL"
    [too-many-rcpt]="TOO_MANY_RECIPIENTS"
    [bdat]="BDAT_CHUNK_LEN_EXCEEDED BDAT_NEGATIVE_LENGTH INVALID_BDAT UNKNOWN_COMMAND"
    [unknown-cmd]="UNKNOWN_COMMAND"
    [reply-code]="REPLY_CODE_OUT_OF_RANGE"
    [no-greeting]="NO_SERVER_WELCOME_MESSAGE"
)

# Anomalies the clean captures do raise, because the traffic really has them:
#  - smtp-starttls.pcap, session 2: the server refuses STARTTLS with 454 on purpose
#    (TLS_REJECTED is the name of exactly that);
#  - smtp-attach.pcap, smtp-demo.pcap: data/mime-rich.eml has 78-character
#    quoted-printable lines, over RFC 2045's 76 (MIME_LONG_ENC_LINE);
#  - smtp-dotstuff.pcap: data/dotstuff.eml has a 2,000-character line, over RFC 5322's
#    998, on purpose (MIME_LONG_LINE).
declare -A CLEAN_ALLOWED=(
    [smtp-starttls]="TLS_REJECTED"
    [smtp-attach]="MIME_LONG_ENC_LINE"
    [smtp-demo]="MIME_LONG_ENC_LINE"
    [smtp-dotstuff]="MIME_LONG_LINE"
)
CLEAN="smtp-basic smtp-multi-rcpt smtp-pipelining smtp-bdat smtp-starttls smtp-auth smtp-attach
    smtp-ipv6 smtp-many smtp-dotstuff smtp-demo"

# sid of the active rule for an anomaly NAME in smtp-events.rules ("" if none).
sid_of() {
    local lower
    lower=$(echo "$1" | tr 'A-Z' 'a-z')
    grep -v '^[[:space:]]*#' "$RULES" | grep "app-layer-event:smtp\.$lower;" |
        sed -n 's/.*[ ;(]sid:\([0-9]*\);.*/\1/p' | head -1
}

# run NAME PCAP: shrike with the shipped config and only the anomaly rules.
run() {
    rm -rf "$TMP/$1"
    mkdir -p "$TMP/$1"
    "$SHRIKE" -c "$TOP_SRCDIR/shrike.yaml" -S "$RULES" -l "$TMP/$1" -r "$2" \
        >"$TMP/$1/counters" 2>"$TMP/$1/err" || fail "$1: shrike exited $? ($(head -c 300 "$TMP/$1/err"))"
}
eve_names() { jq -r 'select(.event_type=="anomaly") | .anomaly.event' "$TMP/$1/eve.json" | sort -u; }
counter_names() { sed -n 's/^smtp\.anomaly\.\([A-Z0-9_]*\): [1-9][0-9]*$/\1/p' "$TMP/$1/counters" | sort -u; }
smtp_layer() { grep -v '^MIME_' || true; }
words() { tr ' ' '\n' | grep -v '^$' | sort -u; }

for name in "${!EXPECT[@]}"; do
    pcap=$PCAPS/smtp-malformed-$name.pcap
    [ -f "$pcap" ] || { fail "$name: $pcap missing"; continue; }
    run "$name" "$pcap"
    want=$(echo "${EXPECT[$name]}" | words)
    got=$(eve_names "$name" | smtp_layer)
    if [ "$got" = "$want" ]; then ok "$name: eve anomalies $(echo $want)"; else
        fail "$name: eve anomalies '$(echo $got)', want '$(echo $want)'"; fi
    got=$(counter_names "$name" | smtp_layer)
    if [ "$got" = "$want" ]; then ok "$name: counters"; else
        fail "$name: smtp.anomaly counters '$(echo $got)', want '$(echo $want)'"; fi
    for a in $want; do
        sid=$(sid_of "$a")
        if [ -z "$sid" ]; then fail "$name: no active rule for $a in smtp-events.rules"; continue; fi
        if grep -q "\[1:$sid:[0-9]*\]" "$TMP/$name/fast.log"; then ok "$name: sid $sid ($a) alerted"; else
            fail "$name: no fast.log alert with sid $sid ($a)"; fi
    done
done

for name in $CLEAN; do
    run "$name" "$PCAPS/$name.pcap"
    allowed=$(echo "${CLEAN_ALLOWED[$name]:-}" | words)
    got=$(eve_names "$name")
    extra=$(comm -23 <(echo "$got" | grep -v '^$' || true) <(echo "$allowed" | grep -v '^$' || true))
    if [ -z "$extra" ]; then ok "$name: clean (allowed: $(echo $allowed))"; else
        fail "$name: unexpected anomalies: $(echo $extra)"; fi
    extra=$(comm -23 <(counter_names "$name") <(echo "$allowed" | grep -v '^$' || true))
    [ -z "$extra" ] || fail "$name: unexpected anomaly counters: $(echo $extra)"
    # No alert of the anomaly rules but the allowed anomalies' own.
    allowed_sids=$(for a in $allowed; do sid_of "$a"; done | grep -v '^$' || true)
    alerts=$(grep -o '\[1:[0-9]*:' "$TMP/$name/fast.log" | tr -d '[:' | sed 's/^1//' | sort -u || true)
    extra=$(comm -23 <(echo "$alerts" | grep -v '^$' || true) <(echo "$allowed_sids" | sort -u | grep -v '^$' || true))
    if [ -z "$extra" ]; then ok "$name: no unexpected alert"; else
        fail "$name: unexpected alerts, sids $(echo $extra)"; fi
done
finish

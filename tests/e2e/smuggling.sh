#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# SMTP smuggling as the server read it (issue 10). smtp-smuggling.pcap (real Postfix 3.7.11,
# tests/tools/make-smuggle-pcaps.sh): <LF>.<LF>, <CR><LF>.<LF>, <LF>.<CR><LF> and <CR>.<CR>
# after a first message, then a smuggled MAIL, RCPT, DATA and message with an attachment;
# pipelined and stepwise; against smtpd_forbid_bare_newline = no and = yes. Its smtp.log rows,
# EVE smtp records, events and anomalies must be the values written down in
# tests/pcaps/smtp-smuggling.expected: two transactions where Postfix ended the message at the
# marker, one where it did not. smtp-starttls-plain.pcap: plain SMTP after an accepted STARTTLS
# (a decrypted capture) is parsed as the session's continuation.
. "$(dirname "$0")/lib.sh"
[ -x /usr/bin/python3 ] || skip_all "python3 missing"
run() { # run NAME PCAP [--set ...]: shrike into $TMP/NAME
    local name=$1 pcap=$2
    shift 2
    mkdir -p "$TMP/$name"
    "$SHRIKE" -q -c "$TOP_SRCDIR/shrike.yaml" "$@" -l "$TMP/$name" -r "$pcap" 2>"$TMP/$name.err"
}

if run smug "$PCAPS/smtp-smuggling.pcap"; then
    if /usr/bin/python3 "$TOP_SRCDIR/tests/tools/txn-check.py" \
        "$PCAPS/smtp-smuggling.expected" "$TMP/smug" >"$TMP/smug.cmp" 2>&1; then
        ok "smuggling: $(grep -c '^ok' "$TMP/smug.cmp") sessions as the server read them"
    else
        fail "smuggling:"
        cat "$TMP/smug.cmp"
    fi
    # the smuggled messages' attachment is a file, and the rules see it: three accepted
    n=$(grep -c '"event_type":"fileinfo".*"filename":"tool.exe"' "$TMP/smug/eve.json" || true)
    [ "$n" -eq 3 ] && ok "smuggled attachments: 3 fileinfo records" ||
        fail "smuggled attachments: $n fileinfo records for tool.exe, want 3"
    n=$(grep -c '"signature_id":2230024' "$TMP/smug/eve.json" || true)
    [ "$n" -eq 3 ] && ok "SMUGGLING_ACCEPTED alerts: 3" || fail "SMUGGLING_ACCEPTED alerts: $n, want 3"
else
    fail "shrike failed on smtp-smuggling.pcap: $(head -c 300 "$TMP/smug.err")"
fi

# Without a hold the marker is only flagged and nothing is accepted: the pipelined smuggled
# transactions are message bytes; only the stepwise one, sent after the server's reply ended
# the message, is read as commands again (8 sessions, 9 rows).
if run nohold "$PCAPS/smtp-smuggling.pcap" --set smtp.smuggling-hold=0; then
    rows=$(grep -vc '^#' "$TMP/nohold/smtp.log" || true)
    acc=$(grep -c '"SMUGGLING_ACCEPTED"' "$TMP/nohold/eve.json" || true)
    [ "$rows" -eq 9 ] && [ "$acc" -eq 0 ] && ok "smtp.smuggling-hold=0: 9 rows, no SMUGGLING_ACCEPTED" ||
        fail "smtp.smuggling-hold=0: $rows rows (want 9), $acc SMUGGLING_ACCEPTED (want 0)"
else
    fail "shrike failed with smtp.smuggling-hold=0: $(head -c 300 "$TMP/nohold.err")"
fi

# A hold too small for the smuggled bytes: the RFC's reading, with SMUGGLING_HOLD_EXCEEDED.
if run small "$PCAPS/smtp-smuggling.pcap" --set smtp.smuggling-hold=64; then
    rows=$(grep -vc '^#' "$TMP/small/smtp.log" || true)
    ex=$(grep -c '"SMUGGLING_HOLD_EXCEEDED"' "$TMP/small/eve.json" || true)
    [ "$rows" -eq 9 ] && [ "$ex" -ge 3 ] && ok "smtp.smuggling-hold=64: 9 rows, $ex SMUGGLING_HOLD_EXCEEDED" ||
        fail "smtp.smuggling-hold=64: $rows rows (want 9), $ex SMUGGLING_HOLD_EXCEEDED (want >= 3)"
else
    fail "shrike failed with smtp.smuggling-hold=64: $(head -c 300 "$TMP/small.err")"
fi
# Plain SMTP after an accepted STARTTLS: the session goes on, its message is a transaction.
if run plain "$PCAPS/smtp-starttls-plain.pcap"; then
    if grep -q 'alice@client.shrike.test.*SHRIKE-STARTTLS-PLAIN after STARTTLS' "$TMP/plain/smtp.log" &&
        grep -q '"event":"smtp_starttls"' "$TMP/plain/events.json" &&
        ! grep -q FAILED_PROTOCOL_CHANGE "$TMP/plain/eve.json"; then
        ok "plain SMTP after STARTTLS: parsed as the session's continuation"
    else
        fail "plain SMTP after STARTTLS: $(grep -v '^#' "$TMP/plain/smtp.log" | head -c 600)"
    fi
else
    fail "shrike failed on smtp-starttls-plain.pcap: $(head -c 300 "$TMP/plain.err")"
fi
finish

#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# On every capture made by real SMTP software (tests/pcaps, not the scripted malformed
# ones), the events.json sequence of each flow matches what the client and server said
# as tshark dissects it: every command line, every reply line (code, text, continuation),
# the end of each message and its length. tshark's blind spots (BDAT, AUTH answers, the
# codes of some multi-line reply lines) are described in tests/tools/smtp-tshark-compare.py.
. "$(dirname "$0")/lib.sh"
need tshark
[ -x /usr/bin/python3 ] || skip_all "python3 missing"
for name in smtp-basic smtp-multi-rcpt smtp-pipelining smtp-bdat smtp-starttls smtp-auth \
    smtp-attach smtp-ipv6 smtp-many smtp-dotstuff smtp-demo smtp-large; do
    pcap=$PCAPS/$name.pcap
    [ -f "$pcap" ] || { fail "$name: $pcap missing"; continue; }
    rm -rf "$TMP/$name"
    mkdir -p "$TMP/$name"
    # every smtp_data event is compared, so the per-message cap of events.json is lifted
    if ! "$SHRIKE" -q -c "$TOP_SRCDIR/shrike.yaml" --set rule-files= --set outputs.events.message-limit=0 \
        -l "$TMP/$name" -r "$pcap" 2>"$TMP/$name.err"; then
        fail "$name: shrike failed: $(head -c 300 "$TMP/$name.err")"
        continue
    fi
    if /usr/bin/python3 "$TOP_SRCDIR/tests/tools/smtp-tshark-compare.py" "$TMP/$name/events.json" \
        "$pcap" >"$TMP/$name.cmp" 2>&1; then
        ok "$name: $(grep -c '^ok flow' "$TMP/$name.cmp") flows match tshark"
    else
        fail "$name:"
        cat "$TMP/$name.cmp"
    fi
done
finish

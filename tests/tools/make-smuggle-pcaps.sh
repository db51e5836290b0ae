#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Regenerate tests/pcaps/smtp-smuggling.pcap: SMTP smuggling sessions (smuggle-client.py) sent
# to a real Postfix (postfix-instance.sh) on 127.0.0.1, once on a listener with
# smtpd_forbid_bare_newline = no (it ends a message at <LF>.<LF>, <CR><LF>.<LF> and
# <LF>.<CR><LF>) and once with it yes (and no exclusions: mynetworks would cover loopback),
# pipelined and stepwise, captured with tcpdump on lo. tests/e2e/smuggling.sh reads it with
# tests/pcaps/smtp-smuggling.expected beside it. Also smtp-starttls-plain.pcap: plain SMTP after
# an accepted STARTTLS (starttls-plain.py), as a decrypted capture shows it.
#
#   sudo [ONLY=plain] tests/tools/make-smuggle-pcaps.sh [OUTDIR]   (default: tests/pcaps)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
out=${1:-$top/tests/pcaps}
PY=/usr/bin/python3
LO4=127.0.0.1
LENIENT=12660
STRICT=12661
. "$here/pcap-lib.sh"
pcap_init postfix openssl

openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj /CN=mx.shrike.test \
    -keyout "$work/key.pem" -out "$work/cert.pem" >/dev/null 2>&1
"$here/postfix-instance.sh" start "$work/postfix" "$work/cert.pem" "$work/key.pem" \
    "$LO4:$LENIENT:smtpd_forbid_bare_newline=no" \
    "$LO4:$STRICT:smtpd_forbid_bare_newline=yes,smtpd_forbid_bare_newline_exclusions=" \
    >>"$log" 2>&1 || die "postfix did not start"
sleep 1.5 # nothing of the start-up probe may be left when the capture starts

sessions() {
    local s p
    for s in lf-pipelined crlf-lf-stepwise lf-crlf-pipelined cr-pipelined; do
        for p in $LENIENT $STRICT; do
            echo "== $s $p" >>"$log"
            $PY "$here/smuggle-client.py" "$s" $p >>"$log" 2>&1 || die "scenario $s ($p) failed"
            sleep 0.2 # one session after the other, in this order
        done
    done
}
[ "${ONLY:-}" = plain ] || capture smtp-smuggling.pcap "tcp port $LENIENT or tcp port $STRICT" sessions

# Plain SMTP after an accepted STARTTLS, as a decrypted capture shows it.
PLAIN=12662
plain_session() {
    $PY "$here/starttls-plain.py" server $PLAIN >>"$log" 2>&1 &
    local spid=$! i=0
    until grep -q listening "$log"; do
        i=$((i + 1)); [ $i -le 50 ] || die "starttls-plain server did not start"
        sleep 0.1
    done
    $PY "$here/starttls-plain.py" client $PLAIN >>"$log" 2>&1 || die "starttls-plain client failed"
    wait "$spid" || die "starttls-plain server failed"
}
capture smtp-starttls-plain.pcap "tcp port $PLAIN" plain_session

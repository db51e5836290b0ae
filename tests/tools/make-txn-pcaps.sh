#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Regenerate tests/pcaps/smtp-transactions.pcap: sessions with transactions that never
# deliver a message (RCPT without MAIL, DATA without recipients, a refused MAIL FROM, a
# refused DATA, RSET mid-transaction, an envelope abandoned by QUIT), an unknown verb and a
# client that sends its whole session before the greeting, each sent by txn-client.py to a
# real Postfix (postfix-instance.sh) on 127.0.0.1 and captured with tcpdump on lo, with the
# capture checks of make-pcaps.sh (pcap-lib.sh). tests/e2e/transactions.sh reads it with
# tests/pcaps/smtp-transactions.expected beside it.
#
#   sudo tests/tools/make-txn-pcaps.sh [OUTDIR]   (default: tests/pcaps)
#
# Needs root (tcpdump on lo, postfix), postfix, tcpdump, tshark, openssl, /usr/bin/python3.
# Timestamps, client ports and Postfix queue ids change between runs: the expected values
# beside the capture name the sessions by scenario (their order), not by port.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
out=${1:-$top/tests/pcaps}
PY=/usr/bin/python3
LO4=127.0.0.1
PORT=12640
# a listener that greets a second late (a client restriction that sleeps, evaluated at
# connect), so that the pregreeting client's whole session arrives before the greeting
PORT_LATE=12641
. "$here/pcap-lib.sh"
pcap_init postfix openssl

openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj /CN=mx.shrike.test \
    -keyout "$work/key.pem" -out "$work/cert.pem" >/dev/null 2>&1
"$here/postfix-instance.sh" start "$work/postfix" "$work/cert.pem" "$work/key.pem" \
    "$LO4:$PORT:-" "$LO4:$PORT_LATE:smtpd_delay_reject=no,{ smtpd_client_restrictions = sleep 1 permit }" \
    >>"$log" 2>&1 || die "postfix did not start"
i=0
until $PY -c "import socket; socket.create_connection(('$LO4', $PORT), timeout=1).close()" 2>/dev/null; do
    i=$((i + 1)); [ $i -le 50 ] || die "postfix is not listening on $PORT"
    sleep 0.2
done
sleep 1.5 # nothing of the probe may be left when the capture starts

sessions() {
    local s
    for s in rcpt-without-mail data-without-rcpt data-refused mail-refused rset-abandon \
        unknown-verb pregreeting; do
        echo "== $s" >>"$log"
        p=$PORT
        [ $s = pregreeting ] && p=$PORT_LATE
        $PY "$here/txn-client.py" "$s" $p >>"$log" 2>&1 || die "scenario $s failed"
        sleep 0.2 # one session after the other, in this order
    done
}
capture smtp-transactions.pcap "tcp port $PORT or tcp port $PORT_LATE" sessions

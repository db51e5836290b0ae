#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Regenerate every test capture in tests/pcaps/ from real SMTP software talking over
# loopback only: Postfix (a private, discard-everything instance, postfix-instance.sh),
# aiosmtpd (aiosmtpd-server.py), swaks, Python's smtplib and a raw-socket client
# (smtp-client.py). Each capture is tcpdump on lo, filtered to its own port(s).
#
#   sudo tests/tools/make-pcaps.sh [OUTDIR]      (default: tests/pcaps next to this file)
#
# Needs root (tcpdump on lo, postfix), and the Debian packages postfix, swaks, tcpdump,
# tshark, openssl, python3-aiosmtpd. Message content and commands are the same on
# every run; what differs is timestamps, ports, Postfix queue ids in "250 ... queued as",
# and every TLS byte (a fresh key and cert each run). Every loop here is bounded, every
# address is 127.0.0.1 or ::1, and everything started here is stopped on exit.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
out=${1:-$top/tests/pcaps}
data=$here/data
PY=/usr/bin/python3 # Debian's python, which has python3-aiosmtpd
LO4=127.0.0.1
LO6=::1

# One port (or two) per capture, so each tcpdump sees only its own sessions.
P_BASIC=12525 P_MULTI=12526 P_PIPE=12527 P_BDAT=12528 P_TLS=12529 P_NOTLS=12530
P_AUTH=12531 P_ATTACH=12532 P_IPV6=12533 P_MANY=12534 P_MANY_AUTH=12535
P_DOT=12536 P_DEMO=12537 P_LARGE=12538

. "$here/pcap-lib.sh"
pcap_init swaks postfix openssl
$PY -c 'import aiosmtpd' 2>/dev/null || die "python3-aiosmtpd missing (apt-get install python3-aiosmtpd)"

client() { # client KIND PORT [HOST]
    echo "== smtp-client $1" >>"$log"
    $PY "$here/smtp-client.py" "$1" "${3:-$LO4}" "$2" >>"$log" 2>&1 ||
        die "smtp-client '$1' failed"
}

# ---- servers --------------------------------------------------------------------
openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj /CN=mx.shrike.test \
    -keyout "$work/key.pem" -out "$work/cert.pem" >/dev/null 2>&1
bad_tls="smtpd_tls_cert_file=$work/missing-cert.pem,smtpd_tls_key_file=$work/missing-key.pem"
listeners=()
for p in $P_BASIC $P_MULTI $P_PIPE $P_BDAT $P_TLS $P_ATTACH $P_MANY $P_DOT $P_DEMO $P_LARGE; do
    listeners+=("$LO4:$p:-")
done
listeners+=("$LO4:$P_NOTLS:$bad_tls" "[$LO6]:$P_IPV6:-")
"$here/postfix-instance.sh" start "$work/postfix" "$work/cert.pem" "$work/key.pem" \
    "${listeners[@]}" >>"$log" 2>&1 || die "postfix did not start "

for p in $P_AUTH $P_MANY_AUTH; do
    : >"$work/aiosmtpd-$p.log"
    $PY "$here/aiosmtpd-server.py" --host $LO4 --port $p --lifetime 600 \
        >"$work/aiosmtpd-$p.log" 2>&1 &
    bg_pids+=($!)
    i=0
    until grep -q ready "$work/aiosmtpd-$p.log"; do
        i=$((i + 1)); [ $i -le 100 ] || die "aiosmtpd on port $p did not start"
        sleep 0.1
    done
done

# ---- sessions -------------------------------------------------------------------
s_basic() {
    swaks_run basic $P_BASIC --to bob@shrike.test \
        --header "Subject: SHRIKE-MARKER-BASIC plain swaks session" \
        --body $'Hello Bob,\n\nThis body carries the marker SHRIKE-MARKER-BASIC.\n\nAlice'
}
s_multi() { client multi $P_MULTI; }
s_pipe() {
    swaks_run pipelining $P_PIPE --pipeline --to bob@shrike.test,carol@shrike.test \
        --header "Subject: SHRIKE-MARKER-PIPELINING" \
        --body "MAIL, RCPT, RCPT and DATA were pipelined."
}
s_bdat() { client bdat $P_BDAT; client bdat0 $P_BDAT; client bdatp $P_BDAT; }
s_tls() {
    swaks_run starttls $P_TLS --tls --to bob@shrike.test \
        --header "Subject: SHRIKE-MARKER-TLS (inside TLS, not visible)" --body "secret"
    swaks_run starttls-refused $P_NOTLS --tls-optional --to bob@shrike.test \
        --header "Subject: SHRIKE-MARKER-NOTLS sent in clear after 454" \
        --body "STARTTLS was refused with 454, so this went in clear."
}
s_auth() {
    swaks_run auth-plain $P_AUTH --to bob@shrike.test --auth PLAIN \
        --auth-user shrike --auth-password shrike-pass --header "Subject: SHRIKE-MARKER-AUTH plain"
    swaks_run auth-login $P_AUTH --to bob@shrike.test --auth LOGIN \
        --auth-user shrike --auth-password shrike-pass --header "Subject: SHRIKE-MARKER-AUTH login"
    # A refused login: swaks exits non-zero on 535, which is what this session is for.
    echo "== swaks auth-login-bad (expected to fail with 535)" >>"$log"
    swaks --server $LO4 --port $P_AUTH --helo client.shrike.test --from alice@client.shrike.test \
        --to bob@shrike.test --auth LOGIN --auth-user shrike --auth-password wrong-pass \
        --timeout 20 >>"$log" 2>&1 && die "auth with a wrong password was accepted"
    return 0
}
s_attach() {
    swaks_run attach $P_ATTACH --to bob@shrike.test \
        --header "Subject: SHRIKE-MARKER-ATTACH two attachments" \
        --body "Two files are attached: a text note and an 8x8 PNG." \
        --attach-type text/plain --attach-name shrike-note.txt --attach "@$data/shrike-note.txt" \
        --attach-type image/png --attach-name shrike-pixel.png --attach "@$data/shrike-pixel.png"
    swaks_run mime-rich $P_ATTACH --to bob@shrike.test --data "@$data/mime-rich.eml"
}
s_ipv6() {
    swaks_run ipv6 $P_IPV6 -6 --to bob@shrike.test \
        --header "Subject: SHRIKE-MARKER-IPV6 over ::1" --body "This session ran over IPv6 loopback."
}
s_dot() { swaks_run dotstuff $P_DOT --to bob@shrike.test --data "@$data/dotstuff.eml"; }

many_one() { # many_one KIND INDEX
    case $1 in
    basic) swaks_run "many-$2" $P_MANY --to bob@shrike.test \
        --header "Subject: SHRIKE-MARKER-MANY $2" --body "session $2" ;;
    pipeline) swaks_run "many-$2" $P_MANY --pipeline --to bob@shrike.test,carol@shrike.test \
        --header "Subject: SHRIKE-MARKER-MANY $2 pipelined" ;;
    tls) swaks_run "many-$2" $P_MANY --tls --to bob@shrike.test ;;
    auth) swaks_run "many-$2" $P_MANY_AUTH --to bob@shrike.test --auth PLAIN \
        --auth-user shrike --auth-password shrike-pass --header "Subject: SHRIKE-MARKER-MANY $2 auth" ;;
    norcpt) swaks_run "many-$2" $P_MANY --to bob@shrike.test --quit-after RCPT ;;
    *) client "$1" $P_MANY ;;
    esac
}
MANY_KINDS=(basic pipeline multi bdat bdat0 bdatp rset tls auth norcpt)
s_many() {
    local round k i=0 batch pids
    # Two rounds one after the other...
    for round in 1 2; do
        for k in "${MANY_KINDS[@]}"; do i=$((i + 1)); many_one "$k" "$i"; done
    done
    # ...then a third in batches of five at once.
    for batch in 0 5; do
        pids=()
        for k in "${MANY_KINDS[@]:$batch:5}"; do
            i=$((i + 1)); many_one "$k" "$i" & pids+=($!)
        done
        for p in "${pids[@]}"; do wait "$p" || die "a concurrent session failed"; done
    done
}
s_demo() {
    swaks_run demo-basic $P_DEMO --to bob@shrike.test \
        --header "Subject: SHRIKE-MARKER-BASIC demo" \
        --body $'Hello Bob,\n\nThis body carries the marker SHRIKE-MARKER-BASIC.\n\nAlice'
    client multi $P_DEMO
    swaks_run demo-attach $P_DEMO --pipeline --to bob@shrike.test \
        --header "Subject: SHRIKE-MARKER-ATTACH demo" --body "See the attached files." \
        --attach-type text/plain --attach-name shrike-note.txt --attach "@$data/shrike-note.txt" \
        --attach-type image/png --attach-name shrike-pixel.png --attach "@$data/shrike-pixel.png"
    swaks_run demo-mime $P_DEMO --to bob@shrike.test --data "@$data/mime-rich.eml"
}

# A message of about 3 MB (LARGE_LINES lines of 75 bytes): text that compresses well,
# markers at both ends. The same bytes on every run.
LARGE_LINES=40000
s_large() {
    $PY -c '
import sys
w = sys.stdout.write
w("SHRIKE-MARKER-LARGE-START\n")
for i in range(int(sys.argv[1])):
    w("line %06d of a large message: the quick brown fox jumps over the lazy dog\n" % i)
w("SHRIKE-MARKER-LARGE-END\n")' "$LARGE_LINES" >"$work/large-body.txt"
    swaks_run large $P_LARGE --to bob@shrike.test \
        --header "Subject: SHRIKE-MARKER-LARGE a message of about 3 MB" --body "@$work/large-body.txt"
}

# ---- captures -------------------------------------------------------------------
# SHRIKE_PCAPS="smtp-large.pcap ..." remakes only the named files (README.md is then left
# alone: it is written only when every capture was made).
want() { [ -z "${SHRIKE_PCAPS:-}" ] || [[ " $SHRIKE_PCAPS " == *" $1 "* ]]; }
want smtp-basic.pcap && capture smtp-basic.pcap "tcp port $P_BASIC" s_basic
want smtp-multi-rcpt.pcap && capture smtp-multi-rcpt.pcap "tcp port $P_MULTI" s_multi
want smtp-pipelining.pcap && capture smtp-pipelining.pcap "tcp port $P_PIPE" s_pipe
want smtp-bdat.pcap && capture smtp-bdat.pcap "tcp port $P_BDAT" s_bdat
want smtp-starttls.pcap && capture smtp-starttls.pcap "tcp port $P_TLS or tcp port $P_NOTLS" s_tls
want smtp-auth.pcap && capture smtp-auth.pcap "tcp port $P_AUTH" s_auth
want smtp-attach.pcap && capture smtp-attach.pcap "tcp port $P_ATTACH" s_attach
want smtp-ipv6.pcap && capture smtp-ipv6.pcap "tcp port $P_IPV6" s_ipv6
want smtp-many.pcap && capture smtp-many.pcap "tcp port $P_MANY or tcp port $P_MANY_AUTH" s_many
want smtp-dotstuff.pcap && capture smtp-dotstuff.pcap "tcp port $P_DOT" s_dot
want smtp-demo.pcap && capture smtp-demo.pcap "tcp port $P_DEMO" s_demo
want smtp-large.pcap && CAPTURE_MAX_BYTES=4194304 capture smtp-large.pcap "tcp port $P_LARGE" s_large

# ---- README ---------------------------------------------------------------------
total=0
for f in "$out"/*.pcap; do
    case $f in */smtp-large.pcap | */smtp-malformed-*.pcap) continue ;; esac
    total=$((total + $(stat -c %s "$f")))
done
[ $total -lt 2097152 ] || die "the pcaps add up to 2 MB or more ($total bytes)"
if [ -n "${SHRIKE_PCAPS:-}" ]; then
    echo "made $SHRIKE_PCAPS; README.md left as it was"
    exit 0
fi

sha() { sha256sum "$1" | cut -d' ' -f1; }
# make-mime-pcaps.sh owns the README's section from its heading on: keep it.
mime_section=$(sed -n '/^## MIME captures/,$p' "$out/README.md" 2>/dev/null || true)
{
    cat <<HEAD
# Test pcaps

Made by \`tests/tools/make-pcaps.sh\` (run as root; Debian 12 packages postfix, swaks,
tcpdump, tshark, openssl, python3-aiosmtpd). It starts a private Postfix instance
(\`postfix-instance.sh\`: loopback listeners only, every transport \`discard:\`, no SMTP
client in master.cf) and aiosmtpd (\`aiosmtpd-server.py\`), runs the sessions below over
127.0.0.1 / ::1, and captures each file with \`tcpdump -i lo -s 0 -B 32768 -U --immediate-mode\`
filtered to that file's own port(s). Do not edit these files by hand: rerun the script.

Between runs only timestamps, client ports, Postfix queue ids ("250 2.0.0 Ok: queued as
…") and TLS bytes change; commands, messages and every other reply are the same.
Helpers: \`tests/tools/stream-bytes.sh F DIR\` writes each TCP stream's bytes per
direction as tshark's follow,tcp,raw gives them; \`tests/tools/tcp-conv-count.sh F\`
prints tshark's TCP conversation count.

Servers: "postfix" is mx.shrike.test (banner \`220 mx.shrike.test ESMTP Shrike test MTA\`,
EHLO offers PIPELINING, SIZE, VRFY, ETRN, STARTTLS, ENHANCEDSTATUSCODES, 8BITMIME, DSN,
SMTPUTF8, CHUNKING); "aiosmtpd" is aio.shrike.test (EHLO offers SIZE, 8BITMIME, SMTPUTF8,
AUTH LOGIN PLAIN, HELP; user \`shrike\`, password \`shrike-pass\`). Every client says
\`EHLO client.shrike.test\`; every message is from alice@client.shrike.test.

| file | flows | what it holds | made by |
| --- | --- | --- | --- |
| smtp-basic.pcap | ${flows[smtp-basic.pcap]} | one plain session: EHLO, MAIL, RCPT, DATA, QUIT; Subject and body carry \`SHRIKE-MARKER-BASIC\` | swaks → postfix :$P_BASIC |
| smtp-multi-rcpt.pcap | ${flows[smtp-multi-rcpt.pcap]} | one session, two MAIL transactions (3 then 2 RCPT TO); \`RCPT TO:<nobody@shrike.test>\` refused with \`550 5.1.1\`; smtplib sends lower-case verbs (\`ehlo\`, \`mail FROM:\`, \`rcpt TO:\`, \`data\`) with \`size=N\` | Python smtplib (\`smtp-client.py multi\`) → postfix :$P_MULTI |
| smtp-pipelining.pcap | ${flows[smtp-pipelining.pcap]} | MAIL, RCPT, RCPT, DATA sent in one segment; the four replies come back in one segment | swaks --pipeline → postfix :$P_PIPE |
| smtp-bdat.pcap | ${flows[smtp-bdat.pcap]} | CHUNKING: (1) \`BDAT 225\` + \`BDAT 226 LAST\`, the cut falling mid-header, body lines starting with \`.\` and a lone \`.\` (not stuffed: BDAT); (2) \`BDAT n\` + \`BDAT 0 LAST\`; (3) MAIL, RCPT and \`BDAT n LAST\` with its data pipelined in one write | raw socket (\`smtp-client.py bdat, bdat0, bdatp\`) → postfix :$P_BDAT |
| smtp-starttls.pcap | ${flows[smtp-starttls.pcap]} | (1) STARTTLS → \`220 2.0.0 Ready to start TLS\`, then TLS records to the end (postfix closes with FIN, swaks answers with RST); (2) STARTTLS → \`454 4.7.0 TLS not available due to local problem\` (listener with a missing cert), then MAIL/RCPT/DATA in clear without a second EHLO | swaks --tls → postfix :$P_TLS; swaks --tls-optional → postfix :$P_NOTLS |
| smtp-auth.pcap | ${flows[smtp-auth.pcap]} | (1) \`AUTH PLAIN <b64>\` → 235 then a message; (2) \`AUTH LOGIN\`, user and password on their own lines after \`334 VXNlciBOYW1lAA==\` / \`334 UGFzc3dvcmQA\` (base64 of "User Name\\\\0" / "Password\\\\0") → 235, then a message; (3) AUTH LOGIN with a wrong password → \`535 5.7.8 Authentication credentials invalid\`, QUIT | swaks --auth → aiosmtpd :$P_AUTH |
| smtp-attach.pcap | ${flows[smtp-attach.pcap]} | (1) multipart/mixed with a text body and two base64 attachments, \`shrike-note.txt\` (text/plain) and \`shrike-pixel.png\` (image/png); (2) \`data/mime-rich.eml\`: RFC 2047 From/Cc/Subject (UTF-8 B and Q, ISO-8859-1 Q, a folded Subject), multipart/alternative with quoted-printable text/plain and text/html parts, links http://example.com/shrike-test and https://example.org/shrike-test?id=42&x=y | swaks --attach, swaks --data → postfix :$P_ATTACH |
| smtp-ipv6.pcap | ${flows[smtp-ipv6.pcap]} | one plain session over ::1, marker \`SHRIKE-MARKER-IPV6\` | swaks → postfix [::1]:$P_IPV6 |
| smtp-many.pcap | ${flows[smtp-many.pcap]} | 30 short sessions, 10 kinds 3 times (plain, pipelined, smtplib two-message, three BDAT kinds, RSET then a message, STARTTLS, AUTH PLAIN, quit after RCPT); the first 20 one after another, the last 10 five at a time (so their order, and stream numbers 20-29, vary between runs) | swaks and smtp-client.py → postfix :$P_MANY, aiosmtpd :$P_MANY_AUTH (AUTH) |
| smtp-dotstuff.pcap | ${flows[smtp-dotstuff.pcap]} | \`data/dotstuff.eml\`: lines \`.one\`, \`..two\`, a lone \`.\`, \`..\`, \`...\` sent dot-stuffed (\`..one\`, \`...two\`, \`..\`, \`...\`, \`....\`), and one 2,000-character line | swaks --data → postfix :$P_DOT |
| smtp-demo.pcap | ${flows[smtp-demo.pcap]} | the demo sample: the basic session (\`SHRIKE-MARKER-BASIC\`), the smtplib two-message session with a refused RCPT, a pipelined message with both attachments, and the RFC 2047 / multipart/alternative message | swaks, smtplib → postfix :$P_DEMO |
| smtp-large.pcap | ${flows[smtp-large.pcap]} | one message of 3,080,309 bytes (headers, then 40,002 body lines: 40,000 of 76 bytes between \`SHRIKE-MARKER-LARGE-START\` and \`SHRIKE-MARKER-LARGE-END\`), to show that a message of several MB arrives whole and memory stays bounded | swaks → postfix :$P_LARGE |

Malformed sessions, \`smtp-malformed-*.pcap\`, are made by \`tests/tools/make-malformed-pcaps.sh\`
(root; tcpdump, tshark, python3): \`smtp-script.py\` runs a scripted server and client on
127.0.0.1 that send fixed bytes, each side reading the other's step whole before the next
(ports 12601-12612). tests/e2e/anomalies.sh names the anomalies each must raise.

| file | flows | what it holds |
| --- | --- | --- |
| smtp-malformed-bare-lf.pcap | 1 | every command and reply line ends with a bare LF |
| smtp-malformed-lf-crlf-mix.pcap | 1 | the client ends lines with CRLF and with LF, and sends \`NOOP a<CR>b\` |
| smtp-malformed-smuggling.pcap | 3 | SMTP smuggling: a message ended by \`<LF>.<LF>\`, \`<LF>.<CRLF>\`, \`<CR>.<CR>\`, then a spoofed MAIL/RCPT/DATA and message; the lenient server accepts both messages (250, 354, 250) |
| smtp-malformed-long-lines.pcap | 1 | a 5,000-byte EHLO, a 5,000-byte reply line, a 600-byte NOOP, a 3,000-byte AUTH PLAIN |
| smtp-malformed-xlink2state.pcap | 1 | \`X-LINK2STATE LAST CHUNK=AAA…\` |
| smtp-malformed-starttls-injection.pcap | 1 | \`STARTTLS\` and \`MAIL FROM\` in one segment, 220, then the start of a TLS record |
| smtp-malformed-nested-mail.pcap | 1 | a second MAIL FROM in an accepted transaction (503) |
| smtp-malformed-too-many-rcpt.pcap | 1 | 1,001 RCPT TO in one transaction, pipelined 100 at a time |
| smtp-malformed-bdat.pcap | 1 | \`BDAT 10 LAST\` followed by 20 bytes, then \`BDAT -5 LAST\` |
| smtp-malformed-unknown-cmd.pcap | 1 | \`XYZZY magic\` and \`GET / HTTP/1.0\` |
| smtp-malformed-reply-code.pcap | 1 | replies \`600\`, \`099\` and \`150\` to NOOP |
| smtp-malformed-no-greeting.pcap | 1 | the server never greets; the client sends EHLO first |

Markers to match on: \`SHRIKE-MARKER-BASIC\`, \`-MULTI\`, \`-PIPELINING\`, \`-BDAT\`, \`-NOTLS\`
(\`-TLS\` is inside TLS and must not match), \`-AUTH\`, \`-ATTACH\`, \`-ATTACH-TXT\` (inside the
base64 of shrike-note.txt: only a decoder sees it), \`-MIME\` (Subject), \`-QP\` and \`-HTML\`
(quoted-printable parts, plain ASCII on the wire), \`-IPV6\`, \`-MANY\`, \`-DOTSTUFF\`, \`-LONGLINE\`.

Decoded headers of data/mime-rich.eml (RFC 2047: the space between two adjacent encoded
words is dropped, the folded line unfolds to one space): Subject
\`Grüße aus Zürich- Café crème SHRIKE-MARKER-MIME\`, From
\`Jürgen Müller <juergen@client.shrike.test>\`, Cc \`André <andre@shrike.test>\`.

Attached files (in tests/tools/data/), to compare with what the MIME decoder extracts:

| file | bytes | sha256 | md5 |
| --- | --- | --- | --- |
HEAD
    for f in shrike-note.txt shrike-pixel.png; do
        printf '| %s | %d | %s | %s |\n' "$f" "$(stat -c %s "$data/$f")" "$(sha "$data/$f")" \
            "$(md5sum "$data/$f" | cut -d' ' -f1)"
    done
    echo
    echo "Software used for this set:"
    echo
    echo "- postfix $(postconf -d -h mail_version 2>/dev/null)"
    echo "- $(swaks --version 2>/dev/null | head -1)"
    echo "- aiosmtpd $($PY -c 'import aiosmtpd; print(aiosmtpd.__version__)'), Python $($PY -c 'import platform; print(platform.python_version())') (smtplib)"
    echo "- $(tcpdump --version 2>&1 | head -1), $(tcpdump --version 2>&1 | grep -i libpcap | head -1)"
    echo "- $(tshark --version 2>/dev/null | head -1)"
    echo "- $(openssl version)"
    if [ -n "$mime_section" ]; then echo; echo "$mime_section"; fi
} >"$out/README.md"
echo "total: $total bytes; wrote $out/README.md"

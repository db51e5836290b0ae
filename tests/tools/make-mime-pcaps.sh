#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Regenerate the MIME captures tests/pcaps/mime-*.pcap and tests/pcaps/mime-expected.json:
# messages built by Python's email package (mime-messages.py: subjects in ISO-8859-1,
# UTF-8, GB2312 and windows-1252, each B and Q encoded; nested multiparts; a forwarded
# message/rfc822; HTML with links; malformed base64; an RFC 2231 file name; text, HTML and
# message/rfc822 parts with bare-LF lines, for files of every part) and one by swaks
# (--attach), each sent with swaks to a private Postfix (postfix-instance.sh) over
# 127.0.0.1 and captured with tcpdump on lo (pcap-lib.sh, shared with make-pcaps.sh).
#
#   sudo tests/tools/make-mime-pcaps.sh [OUTDIR]   (default: tests/pcaps next to this file)
#
# Needs root and the Debian packages postfix, swaks, tcpdump, tshark, openssl. Between runs
# only timestamps, client ports and Postfix queue ids change. Also rewrites the "MIME
# captures" section at the end of OUTDIR/README.md (make-pcaps.sh keeps that section).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
out=${1:-$top/tests/pcaps}
data=$here/data
PY=/usr/bin/python3
LO4=127.0.0.1
LO6=::1
P_CHARSETS=12540 P_STRUCT=12541 P_SWAKS=12542 P_PARTS=12543

. "$here/pcap-lib.sh"
pcap_init swaks postfix openssl

msgs=$work/messages
$PY "$here/mime-messages.py" "$msgs" "$out/mime-expected.json" >>"$log" 2>&1 ||
    die "mime-messages.py failed"

openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj /CN=mx.shrike.test \
    -keyout "$work/key.pem" -out "$work/cert.pem" >/dev/null 2>&1
"$here/postfix-instance.sh" start "$work/postfix" "$work/cert.pem" "$work/key.pem" \
    "$LO4:$P_CHARSETS:-" "$LO4:$P_STRUCT:-" "$LO4:$P_SWAKS:-" "$LO4:$P_PARTS:-" >>"$log" 2>&1 ||
    die "postfix did not start "

# send PORT NAME...: each message NAME.eml in its own session, in order.
send() {
    local port=$1 name
    shift
    for name in "$@"; do
        # --data sends the file as the message; swaks adds nothing to it.
        echo "== swaks --data $name.eml" >>"$log"
        swaks --server $LO4 --port "$port" --helo client.shrike.test \
            --from alice@client.shrike.test --to bob@shrike.test --timeout 20 \
            --data "@$msgs/$name.eml" >>"$log" 2>&1 || die "sending $name failed"
    done
}
s_charsets() {
    local cs e names=()
    for cs in latin1 utf8 gb2312 cp1252; do for e in b q; do names+=("cs-$cs-$e"); done; done
    send $P_CHARSETS "${names[@]}"
}
s_struct() { send $P_STRUCT nested forward html-links bad-base64; }
s_parts() { send $P_PARTS parts-alt parts-lf; }
s_swaks() {
    swaks_run mime-swaks $P_SWAKS --to bob@shrike.test \
        --header "Subject: =?UTF-8?Q?Swaks:_Gr=C3=BC=C3=9Fe?= SHRIKE-MARKER-SWAKS" \
        --body "Built by swaks. Link: https://swaks.shrike.test/x" \
        --attach-type text/plain --attach-name shrike-note.txt --attach "@$data/shrike-note.txt"
}

capture mime-charsets.pcap "tcp port $P_CHARSETS" s_charsets
capture mime-structure.pcap "tcp port $P_STRUCT" s_struct
capture mime-swaks.pcap "tcp port $P_SWAKS" s_swaks
capture mime-parts.pcap "tcp port $P_PARTS" s_parts

# ---- README section -------------------------------------------------------------
longname=$(cat "$msgs/rfc2231-name.txt")
section=$(
    cat <<EOF
## MIME captures

Made by \`tests/tools/make-mime-pcaps.sh\` (same tools and Postfix instance as above; the
messages come from \`tests/tools/mime-messages.py\`, Python's \`email\` package, and swaks).
Each message is one session from alice@client.shrike.test to bob@shrike.test. The values
each must give in eve.json (subject, from, to, cc, urls, attachments with their hashes,
anomalies) are in \`mime-expected.json\`, written by mime-messages.py from what it put in;
\`tests/e2e/mime-pcaps.sh\` checks them and \`tests/e2e/mime-rules.sh\` runs a rule on each
email buffer.

| file | flows | what it holds | made by |
| --- | --- | --- | --- |
| mime-charsets.pcap | ${flows[mime-charsets.pcap]} | eight messages whose Subject and From display name are RFC 2047 encoded words in ISO-8859-1, UTF-8, GB2312 and windows-1252, each once B and once Q; multipart/alternative text and HTML parts (base64, UTF-8) with one link each | mime-messages.py, swaks --data → postfix :$P_CHARSETS |
| mime-structure.pcap | ${flows[mime-structure.pcap]} | (1) \`nested\`: multipart/mixed > related > alternative, links in the text and HTML parts, an inline \`logo.gif\`, an attachment whose name needs RFC 2231 continuations (\`$longname\`), Cc and X-Mailer; (2) \`forward\`: two Received headers, a message/rfc822 whose inner From/To/Subject/Message-ID must not become the mail's, with \`inner-invoice.pdf\` and a link inside; (3) \`html-links\`: text/html only with http, https, ftp, mailto and bare www links; (4) \`bad-base64\`: an attachment \`broken.txt\` whose base64 holds junk (\`!!**\`, \`#%\`): MIME_INVALID_BASE64, the rest decoded | mime-messages.py, swaks --data → postfix :$P_STRUCT |
| mime-swaks.pcap | ${flows[mime-swaks.pcap]} | swaks' own message: a Q-encoded UTF-8 Subject, a body with a link, \`--attach\` of shrike-note.txt | swaks --attach → postfix :$P_SWAKS |
| mime-parts.pcap | ${flows[mime-parts.pcap]} | (1) \`parts-alt\`: multipart/mixed > alternative (quoted-printable UTF-8 text with a soft break inside a URL, base64 HTML) and an attached message/rfc822 \`forwarded.eml\` holding its own text and \`inner.pdf\`: five files; (2) \`parts-lf\`: a base64 HTML part and a quoted-printable text part (\`=0A\` line breaks) whose decoded lines end in a bare LF, with URLs on each side of the breaks. \`parts\` in mime-expected.json lists each file's bytes in start order | mime-messages.py, swaks --data → postfix :$P_PARTS |

Markers: \`SHRIKE-MARKER-NESTED\`, \`-HTML-LINKS\`, \`-BADB64\` (inside the broken base64:
only a decoder sees it), \`-SWAKS\`; \`SHRIKE-INNER\` is the forwarded message's subject.
EOF
)
readme=$out/README.md
if [ -f "$readme" ]; then
    sed '/^## MIME captures/,$d' "$readme" >"$work/README.head"
    # drop the blank lines left at the end of the head
    sed -e :a -e '/^\n*$/{$d;N;ba' -e '}' "$work/README.head" >"$work/README.trim"
    { cat "$work/README.trim"; echo; echo "$section"; } >"$readme"
else
    echo "$section" >"$readme"
fi
echo "wrote $out/mime-*.pcap, $out/mime-expected.json and the MIME section of $readme"

#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Writes the messages that make-mime-pcaps.sh sends through Postfix, built by Python's
`email` package, and the values each must give in eve.json (mime-expected.json), taken from
what was put in (the subject text, the addresses, the links, the attached bytes), never from
decoding the result.

    mime-messages.py OUTDIR EXPECTED_JSON

OUTDIR gets one NAME.eml per message (CRLF line ends, fixed boundaries, dates and ids, so
every run writes the same bytes). EXPECTED_JSON maps each capture to its messages in the
order they are sent; a message lists its Message-ID and the expected email.* values, its
attachments (name, size, md5, sha1, sha256), the anomalies it must raise, and strings that
must not appear in its email fields (the inner headers of a forwarded message).
"""
import base64
import email.charset
import email.policy
import hashlib
import json
import os
import random
import re
import sys
from email.header import Header
from email.message import EmailMessage
import email.mime.message
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText

DATE = "Thu, 01 Jan 2026 00:00:00 +0000"
SENDER = "alice@client.shrike.test"


def payload(seed, n):
    r = random.Random(seed)
    return bytes(r.getrandbits(8) for _ in range(n))


def file_entry(name, data):
    return {"name": name, "size": len(data), "md5": hashlib.md5(data).hexdigest(),
            "sha1": hashlib.sha1(data).hexdigest(), "sha256": hashlib.sha256(data).hexdigest()}


def url_value(u):
    """email.url as Shrike logs it by default: the scheme (and mailto:) removed."""
    return re.sub(r"^(?:[a-z]+://|mailto:)", "", u)


def fix_boundaries(msg, tag):
    for i, part in enumerate(msg.walk()):
        if part.is_multipart():
            part.set_boundary("=_shrike_%s_%d_=" % (tag, i))


def as_bytes(msg):
    if isinstance(msg, EmailMessage):
        data = msg.as_bytes(policy=email.policy.SMTP)
    else:
        data = msg.as_bytes(policy=email.policy.compat32.clone(linesep="\r\n"))
    # Python labels GB2312 "eucgb2312_cn"; mailers say "gb2312".
    return data.replace(b"eucgb2312_cn", b"gb2312")


def encoded_words(text, charset, enc):
    cs = email.charset.Charset(charset)
    cs.header_encoding = enc
    return Header(text, cs).encode()


messages = {}  # capture -> list of expectations
files = {}  # name -> bytes


def save(capture, name, msg, expect):
    fix_boundaries(msg, name)
    data = as_bytes(msg)
    files[name + ".eml"] = data
    expect["file"] = name + ".eml"
    # Suricata's body MD5: every byte after the blank line that ends the headers, as sent
    # inside DATA (no line starts with "." here, so stuffing changes nothing). swaks --data
    # sends the file and one more CRLF before the final ".".
    expect["body_md5"] = hashlib.md5(data.split(b"\r\n\r\n", 1)[1] + b"\r\n").hexdigest()
    messages.setdefault(capture, []).append(expect)


# ---- mime-charsets.pcap: subjects and display names in four charsets, B and Q ----
for charset, subject, person, tag in (
        ("iso-8859-1", "Café crème brûlée à la carte", "Zoé Lefèvre", "latin1"),
        ("utf-8", "Grüße — 你好 ✓ Ünïcödé", "Jürgen Ødegård", "utf8"),
        ("gb2312", "你好，世界：季度报告", "张伟", "gb2312"),
        ("windows-1252", "“Smart” quotes cost 5 € – ok", "François “Frank” Müller", "cp1252")):
    for enc, etag in ((email.charset.BASE64, "b"), (email.charset.QP, "q")):
        name = "cs-%s-%s" % (tag, etag)
        mid = "<%s@client.shrike.test>" % name
        m = MIMEMultipart("alternative")
        m["From"] = "%s <%s>" % (encoded_words(person, charset, enc), SENDER)
        m["To"] = "bob@shrike.test"
        m["Subject"] = encoded_words(subject, charset, enc)
        m["Date"] = DATE
        m["Message-ID"] = mid
        link = "https://charsets.shrike.test/%s" % name
        m.attach(MIMEText("Subject charset %s, encoding %s: %s\n" % (charset, etag.upper(), link),
                          "plain", "utf-8"))
        m.attach(MIMEText('<p><a href="%s">%s</a></p>\n' % (link, name), "html", "utf-8"))
        save("mime-charsets.pcap", name, m, {
            "message_id": mid, "subject": subject, "from": "%s <%s>" % (person, SENDER),
            "to": ["bob@shrike.test"], "url": [url_value(link)], "attachment": [],
        })

# ---- mime-structure.pcap ----
# 1. Nested multiparts: mixed > related > alternative (text, html with links) + an inline
#    image, then an attachment whose long non-ASCII name needs RFC 2231 continuations.
m = EmailMessage(policy=email.policy.SMTP)
m["From"] = "Alice <%s>" % SENDER
m["To"] = "Bob <bob@shrike.test>, carol@shrike.test"
m["Cc"] = "Dave <dave@shrike.test>"
m["Subject"] = "Nested multiparts SHRIKE-MARKER-NESTED"
m["Date"] = DATE
m["Message-ID"] = "<nested@client.shrike.test>"
m["X-Mailer"] = "Shrike mime-messages.py"
m.set_content("Text version: http://nested.shrike.test/text\n")
m.add_alternative('<p>HTML version <a href="https://nested.shrike.test/html?a=1&b=2">link</a>'
                  ' <img src="cid:logo@shrike"></p>\n', subtype="html")
logo = payload(11, 600)
m.get_payload()[1].add_related(logo, maintype="image", subtype="gif", cid="<logo@shrike>",
                               filename="logo.gif")
longname = "Überlange Dateibezeichnung für den Quartalsbericht — Q4 2025 (endgültig).xlsx"
report = payload(12, 3000)
m.add_attachment(report, maintype="application", subtype="vnd.ms-excel", filename=longname)
save("mime-structure.pcap", "nested", m, {
    "message_id": "<nested@client.shrike.test>", "subject": "Nested multiparts SHRIKE-MARKER-NESTED",
    "from": "Alice <%s>" % SENDER, "to": ["Bob <bob@shrike.test>", "carol@shrike.test"],
    "cc": ["Dave <dave@shrike.test>"], "x_mailer": "Shrike mime-messages.py",
    "url": [url_value("http://nested.shrike.test/text"),
            url_value("https://nested.shrike.test/html?a=1&b=2")],
    "attachment": [file_entry("logo.gif", logo), file_entry(longname, report)],
})
files["rfc2231-name.txt"] = longname.encode("utf-8")

# 2. A forwarded message (message/rfc822): the inner From/To/Subject are not the mail's.
inner = EmailMessage(policy=email.policy.SMTP)
inner["From"] = "Mallory <mallory@inner.shrike.test>"
inner["To"] = "victim@inner.shrike.test"
inner["Subject"] = "Inner subject SHRIKE-INNER"
inner["Date"] = "Wed, 31 Dec 2025 23:00:00 +0000"
inner["Message-ID"] = "<inner@inner.shrike.test>"
inner.set_content("Inner body with a link: http://inner.shrike.test/payload\n")
inner_doc = payload(13, 900)
inner.add_attachment(inner_doc, maintype="application", subtype="pdf", filename="inner-invoice.pdf")
m = EmailMessage(policy=email.policy.SMTP)
m["Received"] = ("from relay.shrike.test (relay.shrike.test [192.0.2.7]) by mx.shrike.test "
                 "with ESMTP id SHRIKE1; " + DATE)
m["Received"] = "from client.shrike.test ([198.51.100.9]) by relay.shrike.test; " + DATE
m["From"] = "Forwarder <%s>" % SENDER
m["To"] = "bob@shrike.test"
m["Subject"] = "Fwd: Inner subject SHRIKE-INNER"
m["Date"] = DATE
m["Message-ID"] = "<forward@client.shrike.test>"
m.set_content("See the forwarded message below.\n")
m.add_attachment(inner)
fix_boundaries(inner, "inner")
save("mime-structure.pcap", "forward", m, {
    "message_id": "<forward@client.shrike.test>", "subject": "Fwd: Inner subject SHRIKE-INNER",
    "from": "Forwarder <%s>" % SENDER, "to": ["bob@shrike.test"],
    "received": ["from relay.shrike.test (relay.shrike.test [192.0.2.7]) by mx.shrike.test "
                 "with ESMTP id SHRIKE1; " + DATE,
                 "from client.shrike.test ([198.51.100.9]) by relay.shrike.test; " + DATE],
    "url": [url_value("http://inner.shrike.test/payload")],
    "attachment": [file_entry("inner-invoice.pdf", inner_doc)],
    "absent": ["mallory@inner.shrike.test", "victim@inner.shrike.test", "<inner@inner.shrike.test>"],
})

# 3. HTML only, with links in several schemes.
links = ["http://phish.shrike.test/login", "https://secure.shrike.test/account?id=42",
         "ftp://files.shrike.test/pub/tool.exe", "mailto:help@shrike.test",
         "www.bare.shrike.test/path"]
html = "<html><body><p>Dear customer,</p>\n" + "".join(
    '<p><a href="%s">%s</a></p>\n' % (u, "link %d" % i) for i, u in enumerate(links)) + \
    "</body></html>\n"
m = MIMEText(html, "html", "utf-8")
m["From"] = "Support <support@shrike.test>"
m["To"] = "bob@shrike.test"
m["Subject"] = "Your account SHRIKE-MARKER-HTML-LINKS"
m["Date"] = DATE
m["Message-ID"] = "<html-links@client.shrike.test>"
save("mime-structure.pcap", "html-links", m, {
    "message_id": "<html-links@client.shrike.test>", "subject": "Your account SHRIKE-MARKER-HTML-LINKS",
    "from": "Support <support@shrike.test>", "to": ["bob@shrike.test"],
    "url": [url_value(u) for u in links], "attachment": [],
})

# 4. Malformed base64: junk bytes inside an attachment's base64 lines.
good = b"SHRIKE-MARKER-BADB64 decoded attachment text, line one\nline two\n"
enc = base64.b64encode(good).decode()
bad = enc[:20] + "!!**" + enc[20:40] + "#%" + enc[40:]
m = MIMEMultipart()
m["From"] = "Broken <%s>" % SENDER
m["To"] = "bob@shrike.test"
m["Subject"] = "Malformed base64"
m["Date"] = DATE
m["Message-ID"] = "<bad-base64@client.shrike.test>"
m.attach(MIMEText("The attachment's base64 holds junk.\n"))
att = MIMEApplication(b"", _encoder=lambda p: None)
att.set_payload(bad + "\n")
att["Content-Transfer-Encoding"] = "base64"
att.add_header("Content-Disposition", "attachment", filename="broken.txt")
m.attach(att)
save("mime-structure.pcap", "bad-base64", m, {
    "message_id": "<bad-base64@client.shrike.test>", "subject": "Malformed base64",
    "from": "Broken <%s>" % SENDER, "to": ["bob@shrike.test"], "url": [],
    # The decoder skips the junk and decodes the rest.
    "attachment": [file_entry("broken.txt", good)], "anomalies": ["MIME_INVALID_BASE64"],
})

# ---- mime-parts.pcap: every part a file (mime.body-files, mime.message-files) ----
# Each expected file lists its bytes (data_b64) in the order Zeek numbers files, the order
# the parts start; a part's content is what its encoding carries, without the line break
# that belongs to the boundary after it (docs/mime.md). The e2e test (mime-parts.sh) hashes
# these bytes with md5sum/sha1sum/sha256sum and asks `file -b` for their magic.


def part_entry(kind, data, name=""):
    e = file_entry(name, data)
    e["kind"] = kind
    e["data_b64"] = base64.b64encode(data).decode()
    return e


def crlf(text):
    return text.replace("\n", "\r\n").encode("utf-8")


# 1. multipart/mixed > alternative (QP text, base64 HTML) + a forwarded message/rfc822
#    (its own text and PDF attachment): five files, numbered as the parts start, the
#    message before its parts; URLs in the order they appear.
fw_text = "Forwarded text: https://parts.shrike.test/inner-d\n"
fw_pdf = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n" + payload(21, 700)
fw = MIMEMultipart()
fw["From"] = "Mallory <mallory@inner.shrike.test>"
fw["To"] = "victim@inner.shrike.test"
fw["Subject"] = "Inner parts SHRIKE-PARTS-INNER"
fw["Date"] = DATE
fw["Message-ID"] = "<parts-inner@inner.shrike.test>"
fw.attach(MIMEText(fw_text, "plain", "us-ascii"))
pdf = MIMEApplication(fw_pdf, "pdf")
pdf.add_header("Content-Disposition", "attachment", filename="inner.pdf")
fw.attach(pdf)
fix_boundaries(fw, "parts-inner")
alt_text = "Grüße — first link http://parts.shrike.test/a then www.parts.shrike.test/b\n" \
    "second line, no link\n"
alt_html = ("<html><body>\n<p><a href=\"https://parts.shrike.test/c?x=1\">c</a></p>\n"
            "<p><a href=\"http://parts.shrike.test/d\">d</a></p>\n</body></html>\n").encode()
m = MIMEMultipart("mixed")
m["From"] = "Parts <%s>" % SENDER
m["To"] = "bob@shrike.test"
m["Subject"] = "Every part a file SHRIKE-PARTS"
m["Date"] = DATE
m["Message-ID"] = "<parts-alt@client.shrike.test>"
alt = MIMEMultipart("alternative")
qp = email.charset.Charset("utf-8")
qp.body_encoding = email.charset.QP
alt.attach(MIMEText(alt_text, "plain", qp))
html_part = MIMEText("", "html", "utf-8")
html_part.set_payload(base64.encodebytes(alt_html).decode())
alt.attach(html_part)
m.attach(alt)
att = email.mime.message.MIMEMessage(fw)
att.add_header("Content-Disposition", "attachment", filename="forwarded.eml")
m.attach(att)
fix_boundaries(m, "parts-alt")
wire = as_bytes(m)
# the forwarded message as sent: after the blank line of its part's headers, up to the line
# break before the closing boundary of the outer multipart
head_end = wire.index(b"filename=\"forwarded.eml\"\r\n\r\n") + len(b"filename=\"forwarded.eml\"\r\n\r\n")
fw_wire = wire[head_end:wire.index(b"\r\n--=_shrike_parts-alt_0_=--", head_end)]
save("mime-parts.pcap", "parts-alt", m, {
    "message_id": "<parts-alt@client.shrike.test>", "subject": "Every part a file SHRIKE-PARTS",
    "from": "Parts <%s>" % SENDER, "to": ["bob@shrike.test"],
    "url": [url_value(u) for u in ("http://parts.shrike.test/a", "www.parts.shrike.test/b",
                                   "https://parts.shrike.test/c?x=1", "http://parts.shrike.test/d",
                                   "https://parts.shrike.test/inner-d")],
    "attachment": [file_entry("forwarded.eml", fw_wire), file_entry("inner.pdf", fw_pdf)],
    "parts": [part_entry("body", crlf(alt_text)), part_entry("body", alt_html),
              part_entry("message", fw_wire, "forwarded.eml"),
              part_entry("body", crlf(fw_text)), part_entry("attachment", fw_pdf, "inner.pdf")],
})

# 2. Bare-LF lines inside encoded bodies: a base64 HTML part whose text ends its lines with
#    LF only, and a quoted-printable text part whose line breaks are =0A (no CR): URLs on
#    either side of each LF, in order.
lf_html = ("<html>\n<body>\n<a href=\"http://lf.shrike.test/1\">one</a>\n"
           "<a href=\"https://lf.shrike.test/2\">two</a>\nwww.lf.shrike.test/3\n"
           "</body>\n</html>\n").encode()
lf_text = b"plain http://lf.shrike.test/4\nnext line mailto:lf@shrike.test\nend\n"
m = MIMEMultipart("mixed")
m["From"] = "Bare LF <%s>" % SENDER
m["To"] = "bob@shrike.test"
m["Subject"] = "Bare LF bodies SHRIKE-PARTS-LF"
m["Date"] = DATE
m["Message-ID"] = "<parts-lf@client.shrike.test>"
h = MIMEText("", "html", "utf-8")
h.set_payload(base64.encodebytes(lf_html).decode())
m.attach(h)
t = MIMEText("", "plain", "us-ascii")
del t["Content-Transfer-Encoding"]
t["Content-Transfer-Encoding"] = "quoted-printable"
t.set_payload(lf_text.decode().replace("\n", "=0A=\n"))
m.attach(t)
fix_boundaries(m, "parts-lf")
save("mime-parts.pcap", "parts-lf", m, {
    "message_id": "<parts-lf@client.shrike.test>", "subject": "Bare LF bodies SHRIKE-PARTS-LF",
    "from": "Bare LF <%s>" % SENDER, "to": ["bob@shrike.test"],
    "url": [url_value(u) for u in ("http://lf.shrike.test/1", "https://lf.shrike.test/2",
                                   "www.lf.shrike.test/3", "http://lf.shrike.test/4",
                                   "mailto:lf@shrike.test")],
    "attachment": [],
    "parts": [part_entry("body", lf_html), part_entry("body", lf_text)],
})

# ---- mime-swaks.pcap: swaks builds the message (make-mime-pcaps.sh gives the options) ----
swaks_note = open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "data",
                               "shrike-note.txt"), "rb").read()
messages["mime-swaks.pcap"] = [{
    "message_id": "<shrike-mime-swaks@client.shrike.test>",
    "subject": "Swaks: Grüße SHRIKE-MARKER-SWAKS", "from": SENDER, "to": ["bob@shrike.test"],
    "x_mailer_prefix": "swaks", "url": [url_value("https://swaks.shrike.test/x")],
    "attachment": [file_entry("shrike-note.txt", swaks_note)],
}]

out, expected = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
for name, data in files.items():
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)
with open(expected, "w", encoding="utf-8") as f:
    json.dump(messages, f, ensure_ascii=False, indent=1, sort_keys=True)
    f.write("\n")

#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
# Builds the MIME corpus of tests/unit/test_mime.c: messages written by real mail software
# (Python's email package, swaks when installed), and expected.txt with the events the
# decoder must raise, computed from what was put in (the attached bytes, the subject text),
# never from decoding the result. Run from this folder: ./make_corpus.py
import email.charset
import email.policy
import hashlib
import os
import random
import shutil
import subprocess
from email.header import Header
from email.message import EmailMessage
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText

HERE = os.path.dirname(os.path.abspath(__file__))
expected = []


def payload(seed, n):
    r = random.Random(seed)
    return bytes(r.getrandbits(8) for _ in range(n))


def file_line(fid, name, data):
    return "file %d %s size=%d state=0 md5=%s sha1=%s sha256=%s" % (
        fid, name, len(data), hashlib.md5(data).hexdigest(), hashlib.sha1(data).hexdigest(),
        hashlib.sha256(data).hexdigest())


def fix_boundaries(msg):
    for i, part in enumerate(msg.walk()):
        if part.is_multipart():
            part.set_boundary("=_shrike_%d_=" % i)


def base(subject, subject_text):
    msg = EmailMessage(policy=email.policy.SMTP)
    msg["From"] = "Zoë Ådler <zoe@example.org>"
    msg["To"] = "Bob <bob@example.com>, carol@example.net"
    msg["Cc"] = "dave@example.com"
    msg["Subject"] = subject
    msg["Date"] = "Tue, 02 Jan 2024 10:00:00 +0000"
    msg["Message-ID"] = "<corpus-%d@example.org>" % len(expected)
    return msg


def save(name, msg, lines):
    fix_boundaries(msg)
    if isinstance(msg, EmailMessage):
        data = msg.as_bytes(policy=email.policy.SMTP)
    else:
        data = msg.as_bytes(policy=email.policy.compat32.clone(linesep="\r\n"))
        # Python labels GB2312 "eucgb2312_cn"; mailers say "gb2312".
        data = data.replace(b"eucgb2312_cn", b"gb2312")
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data)
    expected.append((name, lines))


def subject_charset(charset, enc):
    cs = email.charset.Charset(charset)
    cs.header_encoding = enc
    return cs


# 1. UTF-8 everything: alternative text/html with links, a binary attachment with a
#    non-ASCII name (RFC 2231), a text attachment.
m = base("Résumé — 简历 ✓", None)
m.set_content("Hello,\nsee https://corpus.example/plain?q=1 and www.corpus.example\n")
m.add_alternative('<html><body><a href="http://corpus.example/html">link</a> é</body></html>\n',
                  subtype="html")
pdf = payload(1, 3000)
m.add_attachment(pdf, maintype="application", subtype="pdf", filename="résumé.pdf")
txt = "plain text attachment, ünïcödé\n".encode("utf-8")
m.add_attachment(txt, maintype="text", subtype="plain", filename="notes.txt")
save("py-utf8.eml", m, [
    "email.from Zoë Ådler <zoe@example.org>",
    "email.to Bob <bob@example.com>",
    "email.to carol@example.net",
    "email.cc dave@example.com",
    "email.subject Résumé — 简历 ✓",
    "email.url corpus.example/plain?q=1",
    "email.url www.corpus.example",
    "email.url corpus.example/html",
    "file.name résumé.pdf",
    file_line(1, "résumé.pdf", pdf),
    file_line(2, "notes.txt", txt),
    "email.status PARSE_DONE",
])

# 2. Subjects in other charsets, each both B and Q.
for charset, text, tag in (("iso-8859-1", "Café crème brûlée", "latin1"),
                           ("gb2312", "你好，世界", "gb2312"),
                           ("windows-1252", "“Smart” quotes cost 5 €", "cp1252")):
    for enc, etag in ((email.charset.BASE64, "b"), (email.charset.QP, "q")):
        # compat32 keeps the encoded words as made; the default policy would re-encode them
        # in UTF-8.
        m = MIMEMultipart()
        m["From"] = "a@example.org"
        m["To"] = "b@example.org"
        m["Subject"] = Header(text, subject_charset(charset, enc))
        att = text.encode(charset) * 3
        m.attach(MIMEText("body\n"))
        a = MIMEApplication(att)
        a.add_header("Content-Disposition", "attachment", filename="%s-%s.bin" % (tag, etag))
        m.attach(a)
        save("py-%s-%s.eml" % (tag, etag), m, [
            "email.subject " + text,
            file_line(1, "%s-%s.bin" % (tag, etag), att),
        ])

# 3. A forwarded message: the inner headers are not the mail's fields.
inner = EmailMessage(policy=email.policy.SMTP)
inner["From"] = "inner@example.net"
inner["To"] = "x@example.net"
inner["Subject"] = "Inner subject"
inner.set_content("inner body http://inner.example/\n")
inner_att = payload(2, 700)
inner.add_attachment(inner_att, maintype="image", subtype="png", filename="inner.png")
m = base("Fwd: Inner subject", None)
m.set_content("Forwarding.\n")
m.add_attachment(inner)
save("py-forward.eml", m, [
    "email.subject Fwd: Inner subject",
    "email.url inner.example/",
    file_line(1, "inner.png", inner_att),
])

# 4. Nested: mixed > related > alternative, an inline image, a long non-ASCII file name
#    (RFC 2231 continuations).
m = base("Nested", None)
m.set_content("text version\n")
m.add_alternative('<p>html <img src="cid:logo"></p>\n', subtype="html")
logo = payload(3, 1500)
m.get_payload()[1].add_related(logo, maintype="image", subtype="gif", cid="<logo>",
                               filename="logo.gif")
longname = "Überlange Dateibezeichnung für einen sehr wichtigen Bericht — Quartal 4.xlsx"
report = payload(4, 5000)
m.add_attachment(report, maintype="application", subtype="vnd.ms-excel", filename=longname)
save("py-nested.eml", m, [
    "email.subject Nested",
    file_line(1, "logo.gif", logo),
    file_line(2, longname, report),
])

# 5. swaks, as sent by its --attach (the transfer encoding is spelled "BASE64").
if shutil.which("swaks"):
    att = payload(5, 2048)
    path = os.path.join(HERE, "swaks-attachment.bin")
    with open(path, "wb") as f:
        f.write(att)
    out = subprocess.run(
        ["swaks", "--to", "rcpt@example.com", "--from", "sender@example.org", "--header",
         "Subject: swaks test", "--header", "Date: Tue, 02 Jan 2024 10:00:00 +0000",
         "--header", "Message-Id: <swaks@example.org>", "--body",
         "see http://swaks.example/x\n", "--attach-type", "application/octet-stream",
         "--attach-name", "swaks-attachment.bin", "--attach", path, "--dump-mail"],
        check=True, capture_output=True).stdout
    os.unlink(path)
    out = out.replace(b"_MIME_BOUNDARY_000_", b"_BOUNDARY_").replace(b"\r\n", b"\n")
    lines = out.split(b"\n")
    lines = [l for l in lines if not l.startswith(b"X-Mailer:")]
    with open(os.path.join(HERE, "swaks.eml"), "wb") as f:
        f.write(b"\r\n".join(lines))
    expected.append(("swaks.eml", [
        "email.subject swaks test",
        "email.url swaks.example/x",
        file_line(1, "swaks-attachment.bin", att),
    ]))

with open(os.path.join(HERE, "expected.txt"), "w", encoding="utf-8") as f:
    f.write("# Generated by make_corpus.py: 'msg <file>' then the log lines it must give.\n")
    for name, lines in expected:
        f.write("msg %s\n" % name)
        for line in lines:
            f.write(line + "\n")

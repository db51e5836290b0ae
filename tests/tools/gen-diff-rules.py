#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Writes COUNT random rules whose contents are words taken from the given captures, so
that many of them match: the input of the differential test (tests/e2e/reference.sh),
which runs them with and without --detect-reference and diffs the alerts.

    gen-diff-rules.py [--seed N] [--sid-base N] COUNT OUT.rules PCAP...

Rules spread over every buffer kind (single, multi, stream, the legacy default buffers),
with nocase, offset/depth, relative second contents, negation, startswith/endswith,
pcre (with R), isdataat, bsize, transforms and base64_decode/base64_data. The same seed
gives the same file.
"""
import argparse
import random
import re

BUFFERS = ["smtp.data", "file.data", "email.subject", "email.from", "email.to",
           "email.received", "email.message_id", "smtp.mail_from", "smtp.rcpt_to",
           "smtp.helo", "file.name", "email.url", "email.x_mailer", "smtp.reply_msg",
           "smtp.command", "smtp.arg", "smtp.command_line", None, "tcp"]


def esc(tok):
    return "".join(c if c.isalnum() or c in "@.-_<>:=/ " else "|%02x|" % ord(c) for c in tok)


def pesc(tok):
    return re.sub(r"([^A-Za-z0-9 ])", r"\\\1", tok)


def group(rng, words, buf):
    out = []
    if buf is not None and buf != "tcp":
        out.append(buf + ";")
        if rng.random() < 0.08:
            out.append(rng.choice(["to_lowercase;", "strip_whitespace;", "compress_whitespace;"]))
    w = rng.choice(words)
    if rng.random() < 0.3 and len(w) > 4:  # a piece of a word, to make matches likelier
        a = rng.randrange(len(w) - 3)
        w = w[a:a + rng.randint(3, len(w) - a)]
    c = 'content:"%s";' % esc(w)
    if rng.random() < 0.25:
        c += " nocase;"
    r = rng.random()
    if r < 0.1:
        c += " offset:%d;" % rng.randint(0, 8)
    elif r < 0.2:
        c += " depth:%d;" % (len(w) + rng.randint(0, 40))
    elif r < 0.25:
        c += " startswith;"
    elif r < 0.28:
        c += " endswith;"
    out.append(c)
    r = rng.random()
    if r < 0.25:
        w2 = rng.choice(words)
        c2 = 'content:"%s"; distance:%d;' % (esc(w2), rng.randint(-4, 20))
        if rng.random() < 0.5:
            c2 += " within:%d;" % (len(w2) + rng.randint(0, 200))
        out.append(c2)
    elif r < 0.35:
        out.append('content:!"%s";' % esc(rng.choice(words)))
    elif r < 0.45:
        out.append('pcre:"/%s.{0,%d}%s/%s";' % (pesc(rng.choice(words)[:6]), rng.randint(0, 80),
                                               pesc(rng.choice(words)[:4]),
                                               rng.choice(["", "i", "s", "R", "iR"])))
    elif r < 0.5:
        out.append("isdataat:%s%d%s;" % (rng.choice(["", "!"]), rng.randint(0, 60),
                                          rng.choice(["", ",relative"])))
    elif r < 0.53 and buf is not None and buf not in ("tcp", "smtp.data", "file.data"):
        out.append("bsize:%s%d;" % (rng.choice(["<", ">", ""]), rng.randint(4, 60)))
    return " ".join(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--sid-base", type=int, default=8100000)
    ap.add_argument("count", type=int)
    ap.add_argument("out")
    ap.add_argument("pcaps", nargs="+")
    a = ap.parse_args()
    rng = random.Random(a.seed)
    words = set()
    for p in a.pcaps:
        with open(p, "rb") as f:
            for m in re.findall(rb"[A-Za-z0-9@.\-_<>:=/]{4,24}", f.read()):
                words.add(m.decode())
    words = sorted(words)
    rules = []
    for i in range(a.count):
        buf = rng.choice(BUFFERS)
        proto = "tcp" if buf == "tcp" else "smtp"
        body = group(rng, words, buf)
        if buf not in (None, "tcp") and rng.random() < 0.2:
            body += " " + group(rng, words, rng.choice([b for b in BUFFERS if b not in (None, "tcp", buf)]))
        flow = rng.choice(["", "flow:established,to_server; ", "flow:to_client; "])
        rules.append('alert %s any any -> any any (msg:"diff %d"; %s%s sid:%d; rev:1;)'
                     % (proto, i, flow, body, a.sid_base + i))
    # base64_decode / base64_data on the attachments as sent (smtp-attach, smtp-demo)
    b64 = [
        'alert smtp any any -> any any (msg:"diff b64 note"; smtp.data; '
        'content:"Content-Transfer-Encoding: base64"; nocase; content:"|0d 0a 0d 0a|"; distance:0; '
        'base64_decode:relative; base64_data; content:"SHRIKE-MARKER-ATTACH-TXT"; sid:%d; rev:1;)',
        'alert smtp any any -> any any (msg:"diff b64 png"; smtp.data; content:"iVBORw0KGgoA"; '
        'base64_decode:bytes 64, relative, offset 0; base64_data; content:"IHDR"; sid:%d; rev:1;)',
        'alert smtp any any -> any any (msg:"diff b64 png relative"; smtp.data; content:"image/png"; '
        'base64_decode:relative; base64_data; content:"PNG"; sid:%d; rev:1;)',
        'alert smtp any any -> any any (msg:"diff b64 none"; smtp.data; content:"base64"; '
        'base64_decode:bytes 8; base64_data; content:"never-there"; sid:%d; rev:1;)',
    ]
    for k, r in enumerate(b64):
        rules.append(r % (a.sid_base + a.count + k))
    with open(a.out, "w") as f:
        f.write("\n".join(rules) + "\n")


if __name__ == "__main__":
    main()

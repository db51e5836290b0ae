#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Writes a benchmark rule set of COUNT rules.

    gen-rules.py [--seed N] [--et DIR] [--et-sids FILE] [--shared] COUNT OUT.rules

The set is: the planted rules (which match the SHRIKE-MARKER-BASIC string of the bench
corpus, once per marked flow each), the ET Open SMTP rules when --et names the ruleset
folder (`alert smtp` rules), and generated rules to make up COUNT, spread over every
buffer in the proportions below: literal contents of 4-40 bytes, a share nocase, a share
with positional modifiers, a share with a second relative content, a share with pcre. The
generated literals contain bytes that do not occur in the corpus's text (short ones
carry a byte >= 0x80), so they never match: the expected alert count is exactly
PLANTED x marked flows. The same seed gives the same file.

--shared writes a set that Suricata 4.1 loads unchanged as well: `alert smtp` rules whose
contents are on the reassembled client stream (no sticky buffer; 90%) or on `file_data`
(10%), with the same shares of nocase, offset/depth, relative contents and pcre, and
flow:established,to_server; the planted rules are PLANTED_SHARED (the stream marker and a
`file_data` marker in an attachment). --et-sids keeps only the ET Open rules whose sid is
listed in FILE (one a line: the ones the peer loads).
"""
import argparse
import glob
import os
import random
import re

BUFFERS = [  # (sticky buffer or None for a tcp stream rule, share)
    ("smtp.data", 18), ("file.data", 22), ("email.subject", 8), ("email.from", 5),
    ("email.to", 4), ("smtp.mail_from", 5), ("smtp.rcpt_to", 5), ("smtp.helo", 3),
    ("file.name", 6), ("email.url", 6), ("email.x_mailer", 3), ("smtp.reply_msg", 3),
    (None, 12),
]
PLANTED = [
    'alert smtp any any -> any any (msg:"bench planted smtp.data"; smtp.data; '
    'content:"SHRIKE-MARKER-BASIC"; sid:9000001; rev:1;)',
    'alert tcp any any -> any any (msg:"bench planted stream"; flow:to_server; '
    'content:"SHRIKE-MARKER-BASIC"; sid:9000002; rev:1;)',
]
PLANTED_SHARED = [
    PLANTED[1],
    'alert smtp any any -> any any (msg:"bench planted file_data"; flow:established,to_server; '
    'file_data; content:"SHRIKE-MARKER-FILE"; sid:9000003; rev:1;)',
]
SHARED_BUFFERS = [(None, 90), ("file_data", 10)]
LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def literal(rng):
    n = rng.randint(4, 40)
    s = "".join(rng.choice(LETTERS) for _ in range(n))
    if n < 10:
        # a high byte makes a short literal impossible in 7-bit text and base64
        pos = rng.randrange(n)
        return s[:pos], "|%02x|" % rng.randint(0x80, 0xFF), s[pos:]
    return s, "", ""


def content(rng):
    a, hexpart, b = literal(rng)
    return 'content:"%s%s%s";' % (a, hexpart, b)


def gen_rule(rng, sid, shared=False):
    table = SHARED_BUFFERS if shared else BUFFERS
    buf = rng.choices([b for b, _ in table], weights=[w for _, w in table])[0]
    opts = []
    if shared:
        proto = "smtp"
        opts.append("flow:established,to_server;")
        if buf:
            opts.append("%s;" % buf)
    elif buf:
        proto = "smtp"
        opts.append("%s;" % buf)
    else:
        proto = "tcp"
        opts.append("flow:established,to_server;")
    opts.append(content(rng))
    r = rng.random()
    if r < 0.2:
        opts.append("nocase;")
    r = rng.random()
    if r < 0.15:
        opts.append("offset:%d; depth:%d;" % (rng.randint(0, 20), rng.randint(60, 400)))
    elif r < 0.25:
        opts.append(content(rng))
        opts.append("distance:0; within:%d;" % rng.randint(60, 200))
    if rng.random() < 0.05:
        opts.append('pcre:"/%s[0-9]{2,}/i";' % "".join(rng.choice(LETTERS) for _ in range(6)))
    return 'alert %s any any -> any any (msg:"bench generated %d"; %s sid:%d; rev:1;)' % (
        proto, sid, " ".join(opts), sid)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--et", help="ET Open ruleset folder (its alert smtp rules are included)")
    ap.add_argument("--et-sids", help="keep only the ET rules with these sids (one a line)")
    ap.add_argument("--shared", action="store_true", help="only keywords Suricata 4.1 knows")
    ap.add_argument("count", type=int)
    ap.add_argument("out")
    a = ap.parse_args()
    rng = random.Random(a.seed)
    planted = PLANTED_SHARED if a.shared else PLANTED
    rules = list(planted)
    keep = None
    if a.et_sids:
        with open(a.et_sids) as f:
            keep = {l.strip() for l in f if l.strip()}
    if a.et and os.path.isdir(a.et):
        for path in sorted(glob.glob(os.path.join(a.et, "*.rules"))):
            with open(path, encoding="utf-8", errors="replace") as f:
                for line in f:
                    m = re.search(r"[(; ]sid: *(\d+);", line)
                    if line.startswith("alert smtp ") and (keep is None or m and m.group(1) in keep):
                        rules.append(line.strip())
    rules = rules[:a.count]
    sid = 8000000
    while len(rules) < a.count:
        rules.append(gen_rule(rng, sid, a.shared))
        sid += 1
    with open(a.out, "w") as f:
        f.write("\n".join(rules) + "\n")
    print("rules %d planted %d" % (len(rules), len(planted)))


if __name__ == "__main__":
    main()

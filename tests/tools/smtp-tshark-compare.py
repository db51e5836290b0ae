#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Compares Shrike's events.json with tshark's SMTP dissection of the same capture.

    smtp-tshark-compare.py EVENTS_JSON PCAP

For every TCP flow, in order: each client command line tshark shows against Shrike's
smtp_request events, each server reply line against smtp_reply events (code, text, the
continuation mark where tshark shows it), and each DATA message's length against the
smtp_data bytes. Prints one line per flow and per difference; exits 1 on any difference.

What tshark (4.0) cannot show, and how it is handled:
  - Multi-line replies: tshark gives one "Response" per reply start in a segment and the
    text of every line (smtp.rsp.parameter). Every line's text is compared; codes and the
    "-" mark where the segment makes them unambiguous (one line per Response, or one
    Response whose lines all carry its code). The last line of a segment whose reply goes
    on in the next segment has no mark in tshark: its mark is not compared.
  - AUTH: tshark shows the answers to 334 as smtp.auth.username/password (base64), not as
    command lines; Shrike raises them as Zeek does, smtp_request("**", line) (with
    smtp.log-credentials, the default; off, Shrike masks them as ("**", "***") and AUTH
    PLAIN's initial response as "PLAIN ***", and so does this comparison with --masked).
  - The end of DATA is a "C: ." item (smtp.eom) in tshark and smtp_request(".", ".") in
    Shrike (Zeek's arguments).
    tshark's reassembled DATA length excludes the CRLF before the dot and counts the
    stuffed dots; Shrike's smtp_data lines are unstuffed and without CRLF, so Shrike's
    length is sum(len + 2) - 2 + (lines starting with ".").
    tshark 4.0 sometimes counts that CRLF too (smtplib's sessions: 314 where the stream
    holds 312 bytes before CRLF.CRLF, checked with stream-bytes.sh), so a tshark length 2
    above Shrike's is accepted.
  - BDAT: tshark 4.0 does not show a BDAT command sent in the same segment as its chunk
    (nor other commands pipelined in that segment), and mis-sizes BDAT messages. In a flow
    with BDAT, BDAT commands are left out on both sides, tshark's commands must appear in
    Shrike's in the same order (Shrike may have more), and message lengths are not
    compared; replies are compared in full.
  - STARTTLS: after the 220 both stop reading SMTP; tshark hands the flow to TLS. A flow
    where tshark shows STARTTLS and a 220 after the greeting must have smtp_starttls.
"""
import json
import subprocess
import sys
from collections import defaultdict


def tshark_json(pcap, args):
    out = subprocess.run(["tshark", "-r", pcap] + args, capture_output=True, check=True).stdout
    return json.loads(out or b"[]")


def server_ports(pcap):
    syns = tshark_json(pcap, ["-Y", "tcp.flags.syn==1 && tcp.flags.ack==0", "-T", "json",
                              "-e", "tcp.dstport"])
    return sorted({int(p["_source"]["layers"]["tcp.dstport"][0]) for p in syns})


def split_command(line):
    """Zeek's split: the verb (up to a blank) upper-cased, the rest after the blanks."""
    line = line[:-2] if line.endswith("\r\n") else line.rstrip("\n")
    i = 0
    while i < len(line) and line[i] not in " \t":
        i += 1
    return line[:i].upper(), line[i:].lstrip(" \t")


MASKED = "--masked" in sys.argv


def mask(verb, arg):
    if MASKED and verb == "AUTH":
        mech, sep, rest = arg.partition(" ")
        if sep:
            return verb, mech + " ***"
    return verb, arg


def from_tshark(pcap):
    ports = server_ports(pcap)
    decode = []
    for p in ports:
        decode += ["-d", "tcp.port==%d,smtp" % p]
    fields = ["frame.number", "tcp.stream", "tcp.srcport", "tcp.dstport", "smtp.command_line",
              "smtp.response", "smtp.rsp.parameter", "smtp.auth.username", "smtp.auth.password",
              "smtp.auth.username_password", "smtp.eom", "smtp.data.reassembled.length"]
    args = decode + ["-Y", "smtp", "-T", "json"]
    for f in fields:
        args += ["-e", f]
    flows = defaultdict(lambda: {"req": [], "rep": [], "msgs": [], "bdat": False, "client": None})
    for pkt in tshark_json(pcap, args):
        L = pkt["_source"]["layers"]
        fl = flows[int(L["tcp.stream"][0])]
        sport, dport = int(L["tcp.srcport"][0]), int(L["tcp.dstport"][0])
        from_client = dport in ports and sport not in ports
        if from_client:
            fl["client"] = sport
            for line in L.get("smtp.command_line", []):
                verb, arg = mask(*split_command(line))
                if verb == "BDAT":
                    fl["bdat"] = True
                    continue
                fl["req"].append((verb, arg))
            if "smtp.command_line" not in L:  # else it is AUTH PLAIN's initial response
                for key in ("smtp.auth.username", "smtp.auth.password",
                            "smtp.auth.username_password"):
                    for v in L.get(key, []):
                        fl["req"].append(("**", "***" if MASKED else v))
            if "smtp.eom" in L:
                fl["req"].append((".", "."))
                for n in L.get("smtp.data.reassembled.length", []):
                    fl["msgs"].append(int(n))
        else:
            resp = L.get("smtp.response", [])
            params = L.get("smtp.rsp.parameter", [])
            if len(resp) == len(params):
                for r, m in zip(resp, params):
                    fl["rep"].append((int(r[:3]), m, r[3:4] == "-"))
            elif len(resp) == 1:
                code = int(resp[0][:3])
                for i, m in enumerate(params):
                    last = i == len(params) - 1
                    fl["rep"].append((code, m, None if last else True))
            else:  # several replies and multi-line ones in one segment: text only
                for m in params:
                    fl["rep"].append((None, m, None))
    return {f["client"]: f for f in flows.values() if f["client"] is not None}


def from_shrike(events_path):
    flows = defaultdict(lambda: {"req": [], "rep": [], "msgs": [], "lines": [], "bdat": False,
                                 "starttls": False})
    with open(events_path) as f:
        for line in f:
            e = json.loads(line)
            fl = flows[e["id"]["orig_p"]]
            ev = e["event"]
            if ev == "smtp_request":
                if e["command"] == "BDAT":
                    fl["bdat"] = True
                    continue
                fl["req"].append((e["command"], e["arg"]))
                if e["command"] == "." and fl["lines"] is not None:
                    ls = fl["lines"]
                    fl["msgs"].append(sum(n + 2 for n, _ in ls) - 2 + sum(1 for _, d in ls if d))
                    fl["lines"] = []
            elif ev == "smtp_reply":
                fl["rep"].append((e["code"], e["msg"], e["cont_resp"]))
            elif ev == "smtp_data":
                fl["lines"].append((e["data_len"], e["data"].startswith(".")))
            elif ev == "smtp_starttls":
                fl["starttls"] = True
    return flows


def compare(name, want, got, same):
    """Returns a list of difference lines for two sequences."""
    out = []
    for i in range(max(len(want), len(got))):
        w = want[i] if i < len(want) else None
        g = got[i] if i < len(got) else None
        if w is None or g is None or not same(w, g):
            out.append("  %s #%d: tshark %r, shrike %r" % (name, i, w, g))
            if len(out) >= 5:
                out.append("  %s: further differences not shown" % name)
                break
    return out


def subsequence(t, s):
    """True when every item of t is in s, in the same order."""
    it = iter(s)
    return all(any(x == y for y in it) for x in t)


def same_reply(t, s):
    code, msg, cont = t
    return (code is None or code == s[0]) and msg == s[1] and (cont is None or cont == s[2])


def main():
    events, pcap = sys.argv[1], sys.argv[2]
    ts, sh = from_tshark(pcap), from_shrike(events)
    bad = 0
    for port in sorted(set(ts) | set(sh)):
        t, s = ts.get(port), sh.get(port)
        if t is None or s is None:
            print("FLOW %s: only in %s" % (port, "shrike" if t is None else "tshark"))
            bad += 1
            continue
        bdat = t["bdat"] or s["bdat"]
        if not bdat:
            diffs = compare("request", t["req"], s["req"], lambda a, b: a == b)
        elif subsequence(t["req"], s["req"]):
            diffs = []
        else:
            diffs = ["  requests: tshark's %r are not in shrike's %r in order" % (t["req"], s["req"])]
        diffs += compare("reply", t["rep"], s["rep"], same_reply)
        if not bdat:
            diffs += compare("message length", t["msgs"], s["msgs"],
                             lambda a, b: a == b or a == b + 2)
        # STARTTLS accepted: tshark shows the command and a 220 after the greeting.
        tls = ("STARTTLS", "") in t["req"] and any(c == 220 for c, _, _ in t["rep"][1:])
        if tls != s["starttls"]:
            diffs.append("  smtp_starttls: tshark %s, shrike %s" % (tls, s["starttls"]))
        status = "ok" if not diffs else "DIFF"
        print("%s flow client port %d: %d requests, %d reply lines, %d messages%s" %
              (status, port, len(s["req"]), len(s["rep"]), len(s["msgs"]),
               " (BDAT: commands and sizes not compared)" if t["bdat"] or s["bdat"] else ""))
        for d in diffs:
            print(d)
        bad += bool(diffs)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Makes the benchmark capture from the real SMTP sessions in tests/pcaps.

    gen-corpus.py [--mode sessions|small|realistic] [--size MB] [--seed N] [--concurrent N]
                  OUT.pcap [TEMPLATE.pcap ...]

sessions (the default): every TCP flow of the template captures (default:
tests/pcaps/*.pcap) is a session template. Templates are replayed round-robin, each copy
with its own client and server addresses (10.x.y.z -> 192.168.x.y, or fd00::/16 for IPv6
templates), its own client port and its own timestamps, with --concurrent copies
interleaved at once, until the output reaches --size megabytes. Checksums are not
recomputed (Shrike, like Suricata by default, does not validate them).

small: the same with only the smallest templates (SMALL_TEMPLATES: one plain message,
pipelined, two transactions, AUTH, the 30 short sessions of smtp-many.pcap).

realistic: messages of realistic sizes made with Python's email package (2 KB to 5 MB,
most 2-50 KB, mean about 90 KB; multipart/alternative text and HTML with URLs,
quoted-printable and base64, attachments of the common types), each carried in the
SMTP dialogue of a template session (default tests/pcaps/smtp-basic.pcap, recorded from
Postfix) whose message is replaced; the session is rebuilt as IPv4 packets of at most
1,460 payload bytes with consistent sequence and acknowledgement numbers and correct
checksums, server port 25. Message 0 and every MARK_EVERY-th after it carry
SHRIKE-MARKER-BASIC in the text part; message 12 and every MARK_EVERY-th after it carry
SHRIKE-MARKER-FILE in the bytes of an attachment.

The same seed gives the same bytes. Prints how many copies of each template were written
and how many flows carry each marker, so the runner knows how many alerts to expect.
"""
import argparse
import array
import glob
import heapq
import os
import random
import struct
import sys
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime
import datetime

PCAP_HDR = struct.Struct("<IHHiIII")
REC_HDR = struct.Struct("<IIII")
SMALL_TEMPLATES = ("smtp-basic.pcap", "smtp-pipelining.pcap", "smtp-multi-rcpt.pcap",
                   "smtp-auth.pcap", "smtp-many.pcap")
MARKER = b"SHRIKE-MARKER-BASIC"
FILE_MARKER = b"SHRIKE-MARKER-FILE"
MARK_EVERY = 25
MSS = 1460


def read_pcap(path):
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack_from("<I", data, 0)[0]
    if magic == 0xA1B2C3D4:
        endian, nano = "<", False
    elif magic == 0xA1B23C4D:
        endian, nano = "<", True
    elif magic == 0xD4C3B2A1:
        endian, nano = ">", False
    else:
        raise SystemExit("%s: not a classic pcap file" % path)
    linktype = struct.unpack_from(endian + "I", data, 20)[0]
    if linktype != 1:
        raise SystemExit("%s: link type %d, only Ethernet templates are supported" % (path, linktype))
    off = 24
    rec = struct.Struct(endian + "IIII")
    while off + 16 <= len(data):
        sec, frac, caplen, wirelen = rec.unpack_from(data, off)
        off += 16
        frame = data[off:off + caplen]
        off += caplen
        usec = frac // 1000 if nano else frac
        yield sec * 1000000 + usec, frame


def flow_key(frame):
    """Returns (key, is_v6, l3 offset, l4 offset) for TCP frames, or None."""
    et = struct.unpack_from(">H", frame, 12)[0]
    l3 = 14
    while et in (0x8100, 0x88A8):
        et = struct.unpack_from(">H", frame, l3 + 2)[0]
        l3 += 4
    if et == 0x0800:
        if frame[l3 + 9] != 6:
            return None
        l4 = l3 + (frame[l3] & 0x0F) * 4
        src, dst = frame[l3 + 12:l3 + 16], frame[l3 + 16:l3 + 20]
        v6 = False
    elif et == 0x86DD:
        if frame[l3 + 6] != 6:
            return None
        l4 = l3 + 40
        src, dst = frame[l3 + 8:l3 + 24], frame[l3 + 24:l3 + 40]
        v6 = True
    else:
        return None
    sp, dp = struct.unpack_from(">HH", frame, l4)
    a, b = (src, sp), (dst, dp)
    return (min(a, b), max(a, b)), v6, l3, l4


def load_templates(paths):
    """Each template: list of (relative usec, frame, from_client, l3, l4, v6)."""
    templates = []
    for path in paths:
        flows = {}
        for ts, frame in read_pcap(path):
            k = flow_key(frame)
            if not k:
                continue
            key, v6, l3, l4 = k
            fl = flows.setdefault(key, {"t0": ts, "client": None, "pkts": []})
            sport = struct.unpack_from(">H", frame, l4)[0]
            src = frame[l3 + (8 if v6 else 12):l3 + (24 if v6 else 16)]
            if fl["client"] is None:
                fl["client"] = (src, sport)
            fl["pkts"].append((ts - fl["t0"], frame, (src, sport) == fl["client"], l3, l4, v6))
        for key, fl in flows.items():
            templates.append((os.path.basename(path), fl["pkts"]))
    return templates


def rewrite(pkt, copy_id, cport):
    rel, frame, from_client, l3, l4, v6 = pkt
    f = bytearray(frame)
    hi, mid, lo = (copy_id >> 16) & 0xFF, (copy_id >> 8) & 0xFF, copy_id & 0xFF
    if v6:
        client = bytes([0xFD, 0x00] + [0] * 10 + [0, hi, mid, lo])
        server = bytes([0xFD, 0x01] + [0] * 10 + [0, hi, mid, lo])
        s_off, d_off, alen = l3 + 8, l3 + 24, 16
    else:
        client = bytes([10, hi, mid, lo])
        server = bytes([192, 168, mid, lo])
        s_off, d_off, alen = l3 + 12, l3 + 16, 4
    if from_client:
        f[s_off:s_off + alen], f[d_off:d_off + alen] = client, server
        struct.pack_into(">H", f, l4, cport)
    else:
        f[s_off:s_off + alen], f[d_off:d_off + alen] = server, client
        struct.pack_into(">H", f, l4 + 2, cport)
    return bytes(f)



# ---- realistic messages ----

# (extension, MIME type, magic bytes at the start of such a file)
FILE_TYPES = [
    ("pdf", "application/pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"),
    ("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
     b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00"),
    ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
     b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00"),
    ("zip", "application/zip", b"PK\x03\x04\x0a\x00\x00\x00\x00\x00"),
    ("png", "image/png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"),
    ("jpg", "image/jpeg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01"),
]
WORDS = ("the report for last quarter is attached please review and send comments before "
         "our meeting on thursday invoice shipment delivery schedule budget team update "
         "project customer order account contract draft final version thanks regards "
         "meeting notes agenda follow up question answer price offer").split()
NAMES = ("alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy")
DOMAINS = ("example.com", "example.org", "example.net", "mail.example.com", "corp.example")
UNICODE_WORDS = ("Grüße", "Überweisung", "résumé", "Straße", "año", "naïve", "Ångström")


def size_target(rng):
    """Message size in bytes: most 2-50 KB, a tail of attachments up to 5 MB (mean ~90 KB)."""
    r = rng.random()
    if r < 0.80:
        return int(2048 * (25 ** rng.random()))             # 2-50 KB, log-uniform
    if r < 0.98:
        return int(50_000 * (10 ** rng.random()))           # 50-500 KB
    return int(500_000 * (10 ** rng.random()))              # 0.5-5 MB


def sentence(rng, url_every=0):
    words = [rng.choice(WORDS) for _ in range(rng.randint(6, 16))]
    if url_every and rng.randrange(url_every) == 0:
        words.insert(rng.randrange(len(words)), "https://www.%s/%s/%d" % (
            rng.choice(DOMAINS), rng.choice(WORDS), rng.randint(1, 99999)))
    if rng.random() < 0.1:
        words.insert(rng.randrange(len(words)), rng.choice(UNICODE_WORDS))
    return " ".join(words).capitalize() + "."


def text_body(rng, size, marked):
    paras, n = [], 0
    while n < size:
        p = " ".join(sentence(rng, url_every=6) for _ in range(rng.randint(2, 6)))
        paras.append(p)
        n += len(p) + 2
    if marked:
        paras.insert(rng.randrange(len(paras) + 1), MARKER.decode())
    return "\n\n".join(paras) + "\n"


def html_body(text):
    out = []
    for p in text.split("\n\n"):
        words = []
        for w in p.split(" "):
            if w.startswith("https://"):
                w = '<a href="%s">%s</a>' % (w, w)
            words.append(w)
        out.append("<p>%s</p>" % " ".join(words))
    return "<html><body>\n%s\n</body></html>\n" % "\n".join(out)


def file_name(rng, ext):
    base = "%s-%s-%d" % (rng.choice(WORDS), rng.choice(WORDS), rng.randint(1, 999))
    r = rng.random()
    if r < 0.1:
        return "%s-%s.%s" % (rng.choice(UNICODE_WORDS), base, ext), "rfc2231"
    if r < 0.2:
        return "%s-%s.%s" % (rng.choice(UNICODE_WORDS), base, ext), "rfc2047"
    return "%s.%s" % (base, ext), "plain"


def attachment(rng, msg, size, file_marked):
    ext, ctype, magic = rng.choice(FILE_TYPES)
    data = bytearray(magic + rng.randbytes(max(size - len(magic), 0)))
    if file_marked:
        at = len(magic) + rng.randrange(64)
        data[at:at + len(FILE_MARKER)] = FILE_MARKER
    name, how = file_name(rng, ext)
    if file_marked:  # a plain name, so that every engine opens it as a file
        name, how = "%s-%d.%s" % (rng.choice(WORDS), rng.randint(1, 999), ext), "plain"
    maintype, subtype = ctype.split("/")
    if how == "rfc2231":  # the email package writes filename*=utf-8''... for non-ASCII
        msg.add_attachment(bytes(data), maintype=maintype, subtype=subtype, filename=name)
    else:
        # plain names, and RFC 2047 encoded-words in the parameter as many mailers write them
        if how == "rfc2047":
            from email.header import Header
            name = Header(name, "utf-8").encode()
        msg.add_attachment(bytes(data), maintype=maintype, subtype=subtype, filename=name)
        if how == "rfc2047":
            part = msg.get_payload()[-1]
            part.replace_header("Content-Disposition", 'attachment; filename="%s"' % name)
            part.set_param("name", name)


def realistic_message(rng, n, marked, file_marked):
    """Message n as bytes with CRLF line ends (not yet dot-stuffed)."""
    target = size_target(rng)
    # RFC 2045's 76 characters per encoded line, as mailers write (the email package's SMTP
    # policy default of 78 makes quoted-printable lines two bytes too long)
    msg = EmailMessage(policy=SMTP.clone(max_line_length=76))
    sender = Address(rng.choice(NAMES).capitalize(), rng.choice(NAMES), rng.choice(DOMAINS))
    msg["From"] = sender
    msg["To"] = ", ".join(str(Address(x.capitalize(), x, rng.choice(DOMAINS)))
                          for x in rng.sample(NAMES, rng.randint(1, 3)))
    if rng.random() < 0.3:
        msg["Cc"] = str(Address("", rng.choice(NAMES), rng.choice(DOMAINS)))
    subj = " ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 7))).capitalize()
    if rng.random() < 0.2:
        subj += " " + rng.choice(UNICODE_WORDS)  # RFC 2047 encoded by the email package
    msg["Subject"] = subj
    msg["Date"] = format_datetime(datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
                                  + datetime.timedelta(seconds=n * 7))
    # make_msgid and the email package's boundaries use the clock and the global random
    # generator: both are made from rng here, so that the same seed gives the same bytes
    msg["Message-ID"] = "<%d.%012x@%s>" % (n, rng.getrandbits(48), sender.domain)
    if rng.random() < 0.5:
        msg["X-Mailer"] = rng.choice(("Microsoft Outlook 16.0", "Apple Mail (2.3774)",
                                      "Mozilla Thunderbird 115.6", "Roundcube Webmail/1.6"))
    # Attachments carry what the text does not: 1/1.37 of their encoded size is raw bytes.
    body_size = min(target, rng.randint(1500, 30000)) if target > 50_000 else target
    text_size = max(body_size * 2 // 5, 300)
    text = text_body(rng, text_size, marked)
    # A marked text stays readable on the wire (quoted-printable or 7bit), so the stream and
    # smtp.data rules see the marker; others choose their encoding as mailers do.
    cte = rng.choice(("quoted-printable", "quoted-printable", "base64", "7bit"))
    if marked or cte == "7bit":
        cte = "quoted-printable" if any(ord(c) > 127 for c in text) else "7bit"
    msg.set_content(text, subtype="plain", charset="utf-8", cte=cte)
    msg.add_alternative(html_body(text), subtype="html", charset="utf-8",
                        cte=rng.choice(("quoted-printable", "base64")))
    left = target - body_size
    if left > 1000:
        parts = 1 if left < 200_000 else rng.randint(1, 3)
        for i in range(parts):
            attachment(rng, msg, int(left / parts / 1.37), file_marked and i == 0)
    elif file_marked:
        attachment(rng, msg, rng.randint(2000, 20000), True)
    for part in msg.walk():
        if part.is_multipart():
            part.set_boundary("=_Part_%d_%016x" % (n, rng.getrandbits(64)))
    return msg.as_bytes()


def dot_stuff(msg):
    if msg.startswith(b"."):
        msg = b"." + msg
    msg = msg.replace(b"\r\n.", b"\r\n..")
    if not msg.endswith(b"\r\n"):
        msg += b"\r\n"
    return msg + b".\r\n"


def template_turns(path):
    """The SMTP dialogue of the first TCP flow of a template capture: [(usec, from_client,
    payload)], and the index of the client turn that carries the message."""
    (_, pkts), = load_templates([path])[:1]
    turns = []
    for rel, frame, from_client, l3, l4, v6 in pkts:
        if v6:
            raise SystemExit("%s: an IPv4 template is needed for realistic mode" % path)
        ip_len = struct.unpack_from(">H", frame, l3 + 2)[0]
        payload = frame[l4 + (frame[l4 + 12] >> 4) * 4:l3 + ip_len]
        if payload:
            turns.append((rel, from_client, payload))
    for i, (_, from_client, payload) in enumerate(turns):
        if (not from_client and payload.startswith(b"354") and i + 1 < len(turns)
                and turns[i + 1][1] and turns[i + 1][2].endswith(b"\r\n.\r\n")):
            return turns, i + 1
    raise SystemExit("%s: no message sent in one segment after a 354 reply" % path)


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(array.array("H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def frame(src, dst, sport, dport, seq, ack, flags, payload, ip_id):
    opts = b"\x02\x04" + struct.pack(">H", MSS) if flags & 0x02 else b""
    tcp = struct.pack(">HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF,
                      (5 + len(opts) // 4) << 4, flags, 65535, 0, 0) + opts
    pseudo = src + dst + struct.pack(">BBH", 0, 6, len(tcp) + len(payload))
    # array("H") sums native-order words; summing and storing in the same order is correct
    csum = checksum(pseudo + tcp + payload)
    tcp = tcp[:16] + struct.pack("=H", csum) + tcp[18:]
    ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp) + len(payload), ip_id & 0xFFFF,
                     0x4000, 64, 6, 0, src, dst)
    ip = ip[:10] + struct.pack("=H", checksum(ip)) + ip[12:]
    return b"\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x08\x00" + ip + tcp + payload


def rebuild_session(turns, client, server, cport, rng):
    """The dialogue as packets: handshake, each turn cut into MSS segments (the receiver
    acknowledges every second segment and the last), FIN from the server after its last
    reply, as Postfix closes. Returns [(relative usec, frame)]."""
    out = []
    seq = {True: rng.getrandbits(32), False: rng.getrandbits(32)}
    ip_id = {True: rng.getrandbits(16), False: rng.getrandbits(16)}
    ends = {True: (client, server, cport, 25), False: (server, client, 25, cport)}

    def send(t, from_client, flags, payload=b""):
        src, dst, sp, dp = ends[from_client]
        ack = seq[not from_client] if flags & 0x10 else 0
        out.append((t, frame(src, dst, sp, dp, seq[from_client], ack, flags, payload,
                             ip_id[from_client])))
        ip_id[from_client] += 1
        seq[from_client] += len(payload) + (1 if flags & 0x03 else 0)

    send(0, True, 0x02)                      # SYN
    send(20, False, 0x12)                    # SYN+ACK
    send(40, True, 0x10)
    t = 40
    for rel, from_client, payload in turns:
        t = max(t + 50, rel)
        segs = [payload[i:i + MSS] for i in range(0, len(payload), MSS)]
        for k, seg in enumerate(segs):
            send(t, from_client, 0x18 if k == len(segs) - 1 else 0x10, seg)
            if k % 2 == 1 or k == len(segs) - 1:
                send(t + 5, not from_client, 0x10)
            t += 12  # ~1 Gbit/s for a full segment
    send(t + 20, False, 0x11)                # FIN+ACK from the server
    send(t + 40, True, 0x11)
    send(t + 60, False, 0x10)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mode", choices=("sessions", "small", "realistic"), default="sessions")
    ap.add_argument("--size", type=float, default=1024, help="megabytes to write (default 1024)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--concurrent", type=int, default=64)
    ap.add_argument("out")
    ap.add_argument("templates", nargs="*")
    a = ap.parse_args()
    top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    pcaps = os.path.join(top, "tests", "pcaps")
    paths = a.templates
    if not paths:
        if a.mode == "small":
            paths = [os.path.join(pcaps, n) for n in SMALL_TEMPLATES]
        elif a.mode == "realistic":
            paths = [os.path.join(pcaps, "smtp-basic.pcap")]
        else:
            paths = sorted(glob.glob(os.path.join(pcaps, "*.pcap")))
    rng = random.Random(a.seed)
    copies = {}
    state = {"copy_id": 0, "clock": 1_700_000_000_000_000, "marked": 0, "file_marked": 0,
             "last_ts": 0, "msg_bytes": 0, "committed": 24}
    if a.mode == "realistic":
        dialogues = [(os.path.basename(p),) + template_turns(p) for p in paths]

        def session(cid):
            name, turns, at = dialogues[cid % len(dialogues)]
            # fixed places, so that even a small corpus has both markers
            marked = cid % MARK_EVERY == 0
            file_marked = cid % MARK_EVERY == MARK_EVERY // 2
            msg = realistic_message(rng, cid, marked, file_marked)
            state["msg_bytes"] += len(msg)
            turns = list(turns)
            turns[at] = (turns[at][0], True, dot_stuff(msg))
            hi, mid, lo = (cid >> 16) & 0xFF, (cid >> 8) & 0xFF, cid & 0xFF
            pkts = rebuild_session(turns, bytes([10, hi, mid, lo]), bytes([192, 168, mid, lo]),
                                   rng.randint(1024, 65000), rng)
            return name, pkts, marked, file_marked
    else:
        templates = load_templates(paths)
        if not templates:
            raise SystemExit("no TCP flows in the templates")
        marked_t = [any(MARKER in p[1] for p in pkts) for _, pkts in templates]
        file_t = [any(FILE_MARKER in p[1] for p in pkts) for _, pkts in templates]

        def session(cid):
            t = cid % len(templates)
            name, pkts = templates[t]
            cport = rng.randint(1024, 65000)
            return name, [(p[0], rewrite(p, cid, cport)) for p in pkts], marked_t[t], file_t[t]

    limit = int(a.size * 1024 * 1024)
    live = {}  # copy id -> (start, packets)
    heap = []  # (ts of next packet, copy id, packet index)

    def start_copy():
        cid = state["copy_id"]
        name, pkts, marked, file_marked = session(cid)
        copies[name] = copies.get(name, 0) + 1
        state["marked"] += marked
        state["file_marked"] += file_marked
        # A copy never starts before the packets already written: the file stays in time order.
        start = max(state["clock"], state["last_ts"])
        state["clock"] = start
        live[cid] = (start, pkts)
        state["committed"] += sum(16 + len(f) for _, f in pkts)
        heapq.heappush(heap, (start + pkts[0][0], cid, 0))
        state["copy_id"] = cid + 1
        state["clock"] += rng.randint(200, 5000)

    written = 24
    with open(a.out, "wb") as out:
        out.write(PCAP_HDR.pack(0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
        while heap or state["committed"] < limit:
            # Keep --concurrent sessions under way until the sessions started make the size,
            # then let the open ones finish so every flow in the file is whole.
            while state["committed"] < limit and len(heap) < a.concurrent:
                start_copy()
            ts, cid, idx = heapq.heappop(heap)
            state["last_ts"] = ts
            start, pkts = live[cid]
            fr = pkts[idx][1]
            out.write(REC_HDR.pack(ts // 1000000, ts % 1000000, len(fr), len(fr)))
            out.write(fr)
            written += 16 + len(fr)
            if idx + 1 < len(pkts):
                heapq.heappush(heap, (start + pkts[idx + 1][0], cid, idx + 1))
            else:
                del live[cid]
    for name in sorted(copies):
        print("copies %s %d" % (name, copies[name]))
    if a.mode == "realistic":
        print("messages %d mean_message_bytes %d" % (
            state["copy_id"], state["msg_bytes"] // max(state["copy_id"], 1)))
    print("mode %s file_marked_flows %d" % (a.mode, state["file_marked"]))
    print("flows %d marked_flows %d bytes %d" % (state["copy_id"], state["marked"], written))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Writes hostile SMTP captures for tests/tools/hostile.sh and the e2e memory-cap test:
many flows or one session built from packets (Ethernet, IPv4, TCP with valid checksums),
optionally followed by a clean session copied from a real capture (its timestamps moved
to one second after the hostile traffic), so a test can check the clean one is still
fully logged.

usage: gen-hostile.py CASE N OUT.pcap [--clean PCAP]

cases:
  halfopen N   N concurrent SMTP flows that never go past the greeting: SYN, SYN-ACK,
               ACK, "220" from the server, nothing more (issue 11: flow.memcap)
  bdat-gap N   N flows each with EHLO/MAIL/RCPT, a BDAT chunk cut by a hole in the
               client's stream, then an unexpected "354" from the server (issue 11: the
               MIME decoder of the first message leaked); the hole is reported at once
               when stream.max-queued is 0
  data N       one session whose DATA body is N bytes of text lines
  rcpt N       one session with N RCPT TO, pipelined, each answered 250
  mime-deep N  one message of multiparts nested N deep
  mime-parts N one multipart message with N attachment parts
  headers N    one message with a header line of N bytes, then N / 10 headers
  longline N   N bytes without CRLF on the command channel
  onebyte N    N one-byte segments from the client (NOOP lines)
  overlap N    N segments each sent twice with different bytes (the second overlaps)
  ooo N        a hole, then N out-of-order segments after it that never fill it
"""
import struct
import sys

T0 = 1_700_000_000  # seconds
SERVER = bytes([192, 0, 2, 25])
SPORT = 25


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10


class Writer:
    def __init__(self, path):
        self.f = open(path, "wb")
        self.f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
        self.packets = 0
        self.last_us = 0

    def raw(self, ts_us, frame):
        self.f.write(struct.pack("<IIII", ts_us // 1000000, ts_us % 1000000, len(frame), len(frame)))
        self.f.write(frame)
        self.packets += 1
        self.last_us = max(self.last_us, ts_us)

    def tcp(self, ts_us, src, dst, sport, dport, seq, ack, flags, payload=b""):
        tcp = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, 5 << 4,
                          flags, 65535, 0, 0) + payload
        pseudo = src + dst + struct.pack("!BBH", 0, 6, len(tcp))
        tcp = tcp[:16] + struct.pack("!H", csum(pseudo + tcp)) + tcp[18:]
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0, 0x4000, 64, 6, 0, src, dst)
        ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
        eth = b"\x02\0\0\0\0\x02" + b"\x02\0\0\0\0\x01" + b"\x08\x00"
        self.raw(ts_us, eth + ip + tcp)

    def append_pcap(self, path, start_us):
        """Copies every packet of a microsecond little-endian pcap, shifted to start_us."""
        data = open(path, "rb").read()
        magic, _, _, _, _, _, link = struct.unpack("<IHHiIII", data[:24])
        if magic != 0xA1B2C3D4 or link != 1:
            sys.exit("%s: need a little-endian microsecond Ethernet pcap" % path)
        off, first = 24, None
        while off + 16 <= len(data):
            sec, usec, incl, _ = struct.unpack("<IIII", data[off:off + 16])
            ts = sec * 1000000 + usec
            first = ts if first is None else first
            self.raw(start_us + ts - first, data[off + 16:off + 16 + incl])
            off += 16 + incl

    def close(self):
        self.f.close()


class Conn:
    """One TCP connection: client (10.x.y.z, port) to the server, sequence numbers kept."""

    def __init__(self, w, i, ts_us):
        self.w, self.ts = w, ts_us
        self.c = bytes([10, (i >> 16) & 0xFF, (i >> 8) & 0xFF, i & 0xFF])
        self.cport = 1024 + (i * 7919) % 60000
        self.cseq, self.sseq = 1000 + i, 5000 + i

    def step(self):
        self.ts += 1

    def handshake(self):
        self.w.tcp(self.ts, self.c, SERVER, self.cport, SPORT, self.cseq, 0, SYN)
        self.step()
        self.w.tcp(self.ts, SERVER, self.c, SPORT, self.cport, self.sseq, self.cseq + 1, SYN | ACK)
        self.step()
        self.cseq += 1
        self.sseq += 1
        self.w.tcp(self.ts, self.c, SERVER, self.cport, SPORT, self.cseq, self.sseq, ACK)
        self.step()

    def client(self, data, skip=0):
        """Sends data from the client, skip bytes after the previous ones (a hole)."""
        self.cseq += skip
        self.w.tcp(self.ts, self.c, SERVER, self.cport, SPORT, self.cseq, self.sseq, PSH | ACK, data)
        self.cseq += len(data)
        self.step()

    def server(self, data):
        self.w.tcp(self.ts, SERVER, self.c, SPORT, self.cport, self.sseq, self.cseq, PSH | ACK, data)
        self.sseq += len(data)
        self.step()

    def rst(self):
        self.w.tcp(self.ts, self.c, SERVER, self.cport, SPORT, self.cseq, self.sseq, RST | ACK)
        self.step()


MSS = 1448


def session_start(w, i=0):
    c = Conn(w, i, T0 * 1000000)
    c.handshake()
    c.server(b"220 mx.example.org ESMTP ready\r\n")
    c.client(b"EHLO client.example.org\r\n")
    c.server(b"250-mx.example.org\r\n250 PIPELINING\r\n")
    return c


def client_stream(c, data, seg=MSS):
    for off in range(0, len(data), seg):
        c.client(data[off:off + seg])


def session_end(c):
    c.client(b"QUIT\r\n")
    c.server(b"221 bye\r\n")
    c.w.tcp(c.ts, c.c, SERVER, c.cport, SPORT, c.cseq, c.sseq, FIN | ACK)
    c.step()
    c.w.tcp(c.ts, SERVER, c.c, SPORT, c.cport, c.sseq, c.cseq + 1, FIN | ACK)
    c.step()


def message(c, body_chunks):
    """MAIL, RCPT, DATA, the body from an iterable of byte strings, the end marker."""
    c.client(b"MAIL FROM:<a@example.org>\r\n")
    c.server(b"250 2.1.0 Ok\r\n")
    c.client(b"RCPT TO:<b@example.net>\r\n")
    c.server(b"250 2.1.5 Ok\r\n")
    c.client(b"DATA\r\n")
    c.server(b"354 End data with <CR><LF>.<CR><LF>\r\n")
    buf = b""
    for chunk in body_chunks:
        buf += chunk
        while len(buf) >= MSS:
            c.client(buf[:MSS])
            buf = buf[MSS:]
    c.client(buf + b"\r\n.\r\n")
    c.server(b"250 2.0.0 Ok: queued\r\n")


def case_data(w, n):
    c = session_start(w)
    line = b"hostile body line " + b"x" * 60 + b"\r\n"
    message(c, [b"Subject: big\r\n\r\n"] + [line] * (n // len(line)))
    session_end(c)


def case_rcpt(w, n):
    c = session_start(w)
    c.client(b"MAIL FROM:<a@example.org>\r\n")
    c.server(b"250 2.1.0 Ok\r\n")
    per = MSS // 26
    for i in range(0, n, per):
        k = min(per, n - i)
        c.client(b"".join(b"RCPT TO:<r%08d@ex.net>\r\n" % (i + j) for j in range(k)))
        c.server(b"250 2.1.5 Ok\r\n" * k)
    c.client(b"RSET\r\n")
    c.server(b"250 Ok\r\n")
    session_end(c)


def case_mime_deep(w, n):
    c = session_start(w)
    head = [b"Subject: deep\r\nMIME-Version: 1.0\r\n"]
    for d in range(n):
        head.append(b"Content-Type: multipart/mixed; boundary=\"b%d\"\r\n\r\n--b%d\r\n" % (d, d))
    head.append(b"Content-Type: text/plain\r\n\r\ninnermost\r\n")
    for d in reversed(range(n)):
        head.append(b"--b%d--\r\n" % d)
    message(c, head)
    session_end(c)


def case_mime_parts(w, n):
    c = session_start(w)
    parts = [b"Subject: parts\r\nMIME-Version: 1.0\r\n"
             b"Content-Type: multipart/mixed; boundary=\"p\"\r\n\r\n"]
    for i in range(n):
        parts.append(b"--p\r\nContent-Type: text/plain\r\n"
                     b"Content-Disposition: attachment; filename=\"f%d.txt\"\r\n\r\npart %d\r\n" % (i, i))
    parts.append(b"--p--\r\n")
    message(c, parts)
    session_end(c)


def case_headers(w, n):
    c = session_start(w)
    hdr = [b"Subject: headers\r\nX-Long: " + b"h" * n + b"\r\n"]
    hdr += [b"X-H%d: v\r\n" % i for i in range(n // 10)]
    message(c, hdr + [b"\r\nbody\r\n"])
    session_end(c)


def case_longline(w, n):
    c = session_start(w)
    client_stream(c, b"NOOP " + b"a" * n)
    c.client(b"\r\n")
    c.server(b"500 line too long\r\n")
    session_end(c)


def case_onebyte(w, n):
    c = session_start(w)
    data = b"NOOP\r\n" * (n // 6)
    for i in range(len(data)):
        c.client(data[i:i + 1])
        if i % 6 == 5:
            c.server(b"250 Ok\r\n")
    session_end(c)


def case_overlap(w, n):
    c = session_start(w)
    for i in range(n):
        hole = c.cseq
        c.client(b"NOOP\r\n", skip=6)  # held after a 6-byte hole
        c.cseq -= 6
        c.client(b"QUIT\r\n")  # the same place, other bytes: first seen wins
        c.cseq = hole
        c.client(b"NOOP\r\n")  # fills the hole
        c.cseq += 6
        c.server(b"250 Ok\r\n250 Ok\r\n")
    session_end(c)


def case_ooo(w, n):
    c = session_start(w)
    c.cseq += 1000  # the hole, never filled
    for i in range(n):
        c.client(b"NOOP\r\n" * 100)
    session_end(c)


def case_halfopen(w, n):
    for i in range(n):
        c = Conn(w, i, T0 * 1000000 + i * 5)
        c.handshake()
        c.server(b"220 mx.example.org ESMTP ready\r\n")


def case_bdat_gap(w, n):
    for i in range(n):
        c = Conn(w, i, T0 * 1000000 + i * 20)
        c.handshake()
        c.server(b"220 mx.example.org ESMTP ready\r\n")
        c.client(b"EHLO client.example.org\r\n")
        c.server(b"250-mx.example.org\r\n250 CHUNKING\r\n")
        c.client(b"MAIL FROM:<a@example.org>\r\n")
        c.server(b"250 2.1.0 Ok\r\n")
        c.client(b"RCPT TO:<b@example.net>\r\n")
        c.server(b"250 2.1.5 Ok\r\n")
        c.client(b"BDAT 100\r\nSubject: chunk\r\n\r\nhello")
        c.client(b"no line end here", skip=200)  # lost bytes, past the chunk's end
        c.server(b"250 2.0.0 chunk ok\r\n250 2.0.0 ok\r\n")  # BDAT's, and the lost one's
        c.server(b"354 go ahead\r\n")  # answers nothing: a message follows
        c.rst()


CASES = {
    "halfopen": case_halfopen,
    "bdat-gap": case_bdat_gap,
    "data": case_data,
    "rcpt": case_rcpt,
    "mime-deep": case_mime_deep,
    "mime-parts": case_mime_parts,
    "headers": case_headers,
    "longline": case_longline,
    "onebyte": case_onebyte,
    "overlap": case_overlap,
    "ooo": case_ooo,
}


def main(argv):
    if len(argv) not in (4, 6) or argv[1] not in CASES or (len(argv) == 6 and argv[4] != "--clean"):
        sys.exit(__doc__)
    w = Writer(argv[3])
    CASES[argv[1]](w, int(argv[2]))
    if len(argv) == 6:
        w.append_pcap(argv[5], w.last_us + 1000000)
    w.close()
    print(w.packets)


if __name__ == "__main__":
    main(sys.argv)

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
        c.server(b"354 go ahead\r\n")
        c.rst()


CASES = {"halfopen": case_halfopen, "bdat-gap": case_bdat_gap}


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

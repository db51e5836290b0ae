#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Rewrites an Ethernet pcap so that every IPv4 and IPv6 TCP packet carrying data travels as
IP fragments of at most --size bytes of payload. Every other datagram's fragments are written
last first, so the fragments without the TCP ports come before the one that has them; each
datagram's fragments stay together. Other packets are copied as they are.

usage: fragment-pcap.py [--size N] IN.pcap OUT.pcap   (prints the number of fragments)"""
import argparse
import struct
import sys

ETH_IPV4, ETH_IPV6, ETH_VLAN = 0x0800, 0x86DD, 0x8100
TCP = 6


def ipv4_checksum(hdr):
    s = 0
    for i in range(0, len(hdr), 2):
        s += (hdr[i] << 8) | hdr[i + 1]
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def pieces(payload, size):
    return [(off, payload[off:off + size]) for off in range(0, len(payload), size)]


def frag_ipv4(ip, size, ident):
    hlen = (ip[0] & 0x0F) * 4
    total = struct.unpack("!H", ip[2:4])[0]
    if ip[9] != TCP or total > len(ip) or total - hlen <= size:
        return None
    if struct.unpack("!H", ip[6:8])[0] & 0x3FFF:
        return None  # already a fragment
    payload = ip[hlen:total]
    out = []
    parts = pieces(payload, size)
    for i, (off, chunk) in enumerate(parts):
        more = 0x2000 if i < len(parts) - 1 else 0
        hdr = bytearray(ip[:hlen])
        struct.pack_into("!HHH", hdr, 2, hlen + len(chunk), ident, more | (off // 8))
        hdr[10:12] = b"\0\0"
        struct.pack_into("!H", hdr, 10, ipv4_checksum(hdr))
        out.append(bytes(hdr) + chunk)
    return out


def frag_ipv6(ip, size, ident):
    plen = struct.unpack("!H", ip[4:6])[0]
    if ip[6] != TCP or 40 + plen > len(ip) or plen <= size:
        return None
    payload = ip[40:40 + plen]
    out = []
    parts = pieces(payload, size)
    for i, (off, chunk) in enumerate(parts):
        more = 1 if i < len(parts) - 1 else 0
        hdr = bytearray(ip[:40])
        struct.pack_into("!H", hdr, 4, 8 + len(chunk))
        hdr[6] = 44  # Fragment header
        fh = struct.pack("!BBHI", TCP, 0, off | more, ident)
        out.append(bytes(hdr) + fh + chunk)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=64, help="payload bytes per fragment (x8)")
    ap.add_argument("inp")
    ap.add_argument("out")
    a = ap.parse_args()
    if a.size < 8 or a.size % 8:
        sys.exit("--size must be a multiple of 8")
    data = open(a.inp, "rb").read()
    magic = struct.unpack("<I", data[:4])[0]
    if magic != 0xA1B2C3D4 or struct.unpack("<I", data[20:24])[0] != 1:
        sys.exit("%s: only little-endian microsecond Ethernet pcaps" % a.inp)
    out = [data[:24]]
    pos, ident, datagrams, frags = 24, 1, 0, 0
    while pos + 16 <= len(data):
        sec, usec, incl, orig = struct.unpack("<IIII", data[pos:pos + 16])
        frame = data[pos + 16:pos + 16 + incl]
        pos += 16 + incl
        link = 14
        etype = struct.unpack("!H", frame[12:14])[0] if len(frame) >= 14 else 0
        while etype == ETH_VLAN and len(frame) >= link + 4:
            etype = struct.unpack("!H", frame[link + 2:link + 4])[0]
            link += 4
        made = None
        if incl == orig and etype == ETH_IPV4:
            made = frag_ipv4(frame[link:], a.size, ident & 0xFFFF)
        elif incl == orig and etype == ETH_IPV6:
            made = frag_ipv6(frame[link:], a.size, ident)
        if not made:
            out.append(data[pos - 16 - incl:pos])
            continue
        ident += 1
        datagrams += 1
        if datagrams % 2 == 0:
            made.reverse()
        for ip in made:
            f = frame[:link] + ip
            out.append(struct.pack("<IIII", sec, usec, len(f), len(f)) + f)
            frags += 1
    open(a.out, "wb").write(b"".join(out))
    print(frags)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Rewrites a classic pcap's header for the capture-format tests (tests/e2e/bad-input.sh):
pcap-rewrite.py IN OUT linktype N    -- the same records under link type N
pcap-rewrite.py IN OUT snaplen N     -- every record cut to N bytes (wire length kept)"""
import struct
import sys


def main():
    src, dst, what, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    data = open(src, "rb").read()
    magic = data[:4]
    end = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    ver_maj, ver_min, zone, sigfigs, snap, link = struct.unpack(end + "HHiIII", data[4:24])
    if what == "linktype":
        link = n
    else:
        snap = n
    out = [magic, struct.pack(end + "HHiIII", ver_maj, ver_min, zone, sigfigs, snap, link)]
    off = 24
    while off + 16 <= len(data):
        sec, frac, incl, orig = struct.unpack(end + "IIII", data[off:off + 16])
        body = data[off + 16:off + 16 + incl]
        off += 16 + incl
        if what == "snaplen" and incl > n:
            body, incl = body[:n], n
        out.append(struct.pack(end + "IIII", sec, frac, incl, orig) + body)
    open(dst, "wb").write(b"".join(out))


if __name__ == "__main__":
    main()

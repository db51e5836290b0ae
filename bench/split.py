# SPDX-License-Identifier: GPL-2.0-only
"""A capture split in two by flow, for bench/scaling and bench/run --peer: the halves, each
run by one single-worker process at once, are what this machine's two cores give two copies
of the work (the ceiling two workers are measured against)."""
import os
import struct
import sys
import zlib


def flow_key(link, p):
    """Both endpoints of the packet's flow, in an order that does not depend on its direction;
    b"" when the packet is not IP."""
    if link == 1:  # Ethernet, VLAN tags skipped
        off, et = 14, p[12:14]
        while et in (b"\x81\x00", b"\x88\xa8") and len(p) >= off + 4:
            et, off = p[off + 2:off + 4], off + 4
    elif link == 113:  # Linux cooked
        off, et = 16, p[14:16]
    elif link in (101, 228, 229, 12, 14):  # raw IP
        off = 0
        et = b"\x86\xdd" if p[:1] and p[0] >> 4 == 6 else b"\x08\x00"
    else:
        return b""
    ip = p[off:]
    if et == b"\x08\x00" and len(ip) >= 20:
        hl, proto, src, dst = (ip[0] & 15) * 4, ip[9], ip[12:16], ip[16:20]
        first = struct.unpack(">H", ip[6:8])[0] & 0x1fff == 0
    elif et == b"\x86\xdd" and len(ip) >= 40:
        hl, proto, src, dst, first = 40, ip[6], ip[8:24], ip[24:40], True
    else:
        return b""
    sport = dport = b""
    if proto in (6, 17) and first and len(ip) >= hl + 4:
        sport, dport = ip[hl:hl + 2], ip[hl + 2:hl + 4]
    a, b = src + sport, dst + dport
    return a + b if a <= b else b + a


def split(capture, out0, out1):
    """Writes the capture's flows to two files by the hash of their endpoints; returns the
    packets in each."""
    with open(capture, "rb") as f:
        data = f.read()
    if len(data) < 24:
        sys.exit("%s: not a pcap file" % capture)
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        end = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        end = ">"
    else:
        sys.exit("%s: not a classic pcap file (pcapng is not split here)" % capture)
    link = struct.unpack(end + "I", data[20:24])[0] & 0x0fffffff
    outs = [[data[:24]], [data[:24]]]
    counts = [0, 0]
    off = 24
    while off + 16 <= len(data):
        caplen = struct.unpack_from(end + "I", data, off + 8)[0]
        rec = data[off:off + 16 + caplen]
        half = zlib.crc32(flow_key(link, rec[16:])) & 1
        outs[half].append(rec)
        counts[half] += 1
        off += 16 + caplen
    for path, parts in ((out0, outs[0]), (out1, outs[1])):
        with open(path, "wb") as f:
            f.write(b"".join(parts))
    return counts


def records(logs):
    """The SMTP transactions and alerts in a run's eve.json."""
    smtp = alert = 0
    with open(os.path.join(logs, "eve.json"), "rb") as f:
        for line in f:
            smtp += b'"event_type":"smtp"' in line
            alert += b'"event_type":"alert"' in line
    return smtp, alert


def halves(capture, folder):
    """The capture's two halves in folder, split again only when the capture is newer than
    them; returns their paths."""
    base = os.path.splitext(os.path.basename(capture))[0]
    out = [os.path.join(folder, "%s.half%d.pcap" % (base, i)) for i in (0, 1)]
    if not all(os.path.exists(p) and os.path.getmtime(p) >= os.path.getmtime(capture)
               for p in out):
        # written aside and renamed, so a split cut short is never taken for a whole one
        split(capture, *[p + ".part" for p in out])
        for p in out:
            os.replace(p + ".part", p)
    return out

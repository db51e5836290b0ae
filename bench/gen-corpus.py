#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Makes the benchmark capture from the real SMTP sessions in tests/pcaps.

    gen-corpus.py [--size MB] [--seed N] [--concurrent N] OUT.pcap [TEMPLATE.pcap ...]

Every TCP flow of the template captures (default: tests/pcaps/*.pcap) is a session
template. Templates are replayed round-robin, each copy with its own client and server
addresses (10.x.y.z -> 192.168.x.y, or fd00::/16 for IPv6 templates), its own client port
and its own timestamps, with --concurrent copies interleaved at once, until the output
reaches --size megabytes. The same seed gives the same bytes. Checksums are not
recomputed (Shrike, like Suricata by default, does not validate them). Prints how many
copies of each template were written, so the runner knows how many alerts to expect.
"""
import argparse
import glob
import heapq
import os
import random
import struct
import sys

PCAP_HDR = struct.Struct("<IHHiIII")
REC_HDR = struct.Struct("<IIII")


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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=float, default=1024, help="megabytes to write (default 1024)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--concurrent", type=int, default=64)
    ap.add_argument("out")
    ap.add_argument("templates", nargs="*")
    a = ap.parse_args()
    top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    paths = a.templates or sorted(glob.glob(os.path.join(top, "tests", "pcaps", "*.pcap")))
    templates = load_templates(paths)
    if not templates:
        raise SystemExit("no TCP flows in the templates")
    rng = random.Random(a.seed)
    limit = int(a.size * 1024 * 1024)
    marker = b"SHRIKE-MARKER-BASIC"
    marked = [any(marker in p[1] for p in pkts) for _, pkts in templates]
    copies = {}
    state = {"copy_id": 0, "clock": 1_700_000_000_000_000, "marked": 0, "last_ts": 0}
    heap = []  # (ts of next packet, copy id, template index, packet index, start, client port)

    def start_copy():
        cid = state["copy_id"]
        t = cid % len(templates)
        name, pkts = templates[t]
        copies[name] = copies.get(name, 0) + 1
        state["marked"] += marked[t]
        # A copy never starts before the packets already written: the file stays in time order.
        start = max(state["clock"], state["last_ts"])
        state["clock"] = start
        heapq.heappush(heap, (start + pkts[0][0], cid, t, 0, start, rng.randint(1024, 65000)))
        state["copy_id"] = cid + 1
        state["clock"] += rng.randint(200, 5000)

    written = 24
    with open(a.out, "wb") as out:
        out.write(PCAP_HDR.pack(0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
        while heap or written < limit:
            # Keep --concurrent sessions under way until the size is reached, then let the
            # open ones finish so every flow in the file is whole.
            while written < limit and len(heap) < a.concurrent:
                start_copy()
            ts, cid, t, idx, start, cport = heapq.heappop(heap)
            state["last_ts"] = ts
            pkts = templates[t][1]
            frame = rewrite(pkts[idx], cid, cport)
            out.write(REC_HDR.pack(ts // 1000000, ts % 1000000, len(frame), len(frame)))
            out.write(frame)
            written += 16 + len(frame)
            if idx + 1 < len(pkts):
                heapq.heappush(heap, (start + pkts[idx + 1][0], cid, t, idx + 1, start, cport))
    for name in sorted(copies):
        print("copies %s %d" % (name, copies[name]))
    print("flows %d marked_flows %d bytes %d" % (state["copy_id"], state["marked"], written))


if __name__ == "__main__":
    main()

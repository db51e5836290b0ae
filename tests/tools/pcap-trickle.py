#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Copies a pcap file to stdout (or a FIFO given as the second argument) packet by packet,
sleeping SECONDS between packets, so a run that reads it lasts long enough for periodic
stats records and the progress line. Usage: pcap-trickle.py PCAP SECONDS [OUT]."""
import struct
import sys
import time


def main():
    src, delay = sys.argv[1], float(sys.argv[2])
    out = open(sys.argv[3], "wb") if len(sys.argv) > 3 else sys.stdout.buffer
    with open(src, "rb") as f:
        head = f.read(24)
        big = head[:4] in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d")
        out.write(head)
        out.flush()
        while True:
            rec = f.read(16)
            if len(rec) < 16:
                break
            caplen = struct.unpack((">" if big else "<") + "IIII", rec)[2]
            out.write(rec + f.read(caplen))
            out.flush()
            time.sleep(delay)
    out.close()


if __name__ == "__main__":
    main()

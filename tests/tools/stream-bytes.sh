#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Dump the payload bytes of every TCP conversation in a pcap, one file per direction,
# exactly as tshark's "follow,tcp,raw" reassembles them, so a test can compare them
# byte for byte with the streams Shrike rebuilds.
#
#   tests/tools/stream-bytes.sh FILE.pcap OUTDIR
#
# For each tshark stream index N it writes, in OUTDIR:
#   N_<ADDR0>_<PORT0>_<ADDR1>_<PORT1>.orig   bytes sent by node 0 (the connection's
#                                           initiator when the SYN was captured)
#   N_<ADDR0>_<PORT0>_<ADDR1>_<PORT1>.resp   bytes sent by node 1
# (N is zero-padded to 3 digits; IPv6 addresses keep their colons, without brackets)
# and OUTDIR/index.tsv with one line per stream:
#   stream  addr0  port0  addr1  port1  orig_bytes  resp_bytes
#
# The tshark format this reads (`tshark -r F -q -z follow,tcp,raw,N`, Wireshark 4.0):
#
#   ===================================================================   (a line of '=')
#   Follow: tcp,raw
#   Filter: tcp.stream eq N
#   Node 0: 127.0.0.1:48660          (IPv6: "Node 0: [::1]:57156")
#   Node 1: 127.0.0.1:12527
#   <hex>                            a chunk sent by node 0: the line is not indented
#   \t<hex>                          a chunk sent by node 1: the line starts with one TAB
#   ...
#   ===================================================================
#
# Each hex line is one chunk of reassembled payload (roughly one TCP segment's new
# bytes; retransmitted bytes appear once), lower-case hex, two digits a byte, never
# wrapped, however long. The lines come in capture order, so concatenating one node's
# chunks gives that direction's byte stream. Node 0 is the source of the stream's
# first captured packet (the client when the SYN is in the capture). When several
# -z follow options are given in one run, tshark prints the blocks in reverse order
# of the options, so blocks are matched by their "Filter: tcp.stream eq N" line.
set -euo pipefail

[ $# -eq 2 ] || { echo "usage: stream-bytes.sh FILE.pcap OUTDIR" >&2; exit 2; }
pcap=$1 outdir=$2
[ -r "$pcap" ] || { echo "stream-bytes.sh: cannot read '$pcap'" >&2; exit 1; }
mkdir -p "$outdir"

mapfile -t streams < <(tshark -r "$pcap" -n -Y tcp -T fields -e tcp.stream 2>/dev/null | sort -nu)
: >"$outdir/index.tsv"
[ ${#streams[@]} -gt 0 ] || exit 0

args=()
for s in "${streams[@]}"; do args+=(-z "follow,tcp,raw,$s"); done

tshark -r "$pcap" -n -q "${args[@]}" 2>/dev/null | python3 -c '
import binascii, os, re, sys

outdir = sys.argv[1]
blocks = {}           # stream -> [node0, node1, bytearray, bytearray]
cur = None
for raw in sys.stdin:
    line = raw.rstrip("\n")
    if line.startswith("="):
        cur = None
        continue
    m = re.match(r"Filter: tcp\.stream eq (\d+)$", line)
    if m:
        cur = blocks.setdefault(int(m.group(1)), [None, None, bytearray(), bytearray()])
        continue
    if cur is None or line.startswith("Follow:") or line == "":
        continue
    m = re.match(r"Node ([01]): \[?(.*?)\]?:(\d+)$", line)
    if m:
        cur[int(m.group(1))] = (m.group(2), m.group(3))
        continue
    if line.startswith("\t"):
        cur[3] += binascii.unhexlify(line[1:])
    else:
        cur[2] += binascii.unhexlify(line)

with open(os.path.join(outdir, "index.tsv"), "w") as idx:
    for s in sorted(blocks):
        n0, n1, orig, resp = blocks[s]
        if n0 is None or n1 is None:
            continue      # a stream with no payload has no node lines
        base = os.path.join(outdir, "%03d_%s_%s_%s_%s" % (s, n0[0], n0[1], n1[0], n1[1]))
        with open(base + ".orig", "wb") as f:
            f.write(orig)
        with open(base + ".resp", "wb") as f:
            f.write(resp)
        idx.write("%d\t%s\t%s\t%s\t%s\t%d\t%d\n" % (s, n0[0], n0[1], n1[0], n1[1], len(orig), len(resp)))
' "$outdir"

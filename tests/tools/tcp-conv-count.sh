#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Print the number of TCP conversations in a pcap as tshark counts them
# (`tshark -q -z conv,tcp`: one table row, containing "<->", per conversation).
#
#   tests/tools/tcp-conv-count.sh FILE.pcap
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: tcp-conv-count.sh FILE.pcap" >&2; exit 2; }
[ -r "$1" ] || { echo "tcp-conv-count.sh: cannot read '$1'" >&2; exit 1; }
out=$(tshark -r "$1" -n -q -z conv,tcp 2>/dev/null) || { echo "tcp-conv-count.sh: tshark failed on '$1'" >&2; exit 1; }
printf '%s\n' "$out" | grep -c '<->' || true

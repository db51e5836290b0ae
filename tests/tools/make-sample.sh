#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Makes tests/pcaps/sample.pcap, the demo's capture, by merging (in time order, with
# Wireshark's mergecap) captures made by the other scripts here from real software:
# smtp-demo.pcap (postfix: plain, multi-recipient, pipelined with attachments, RFC 2047)
# and rules-attach/rules-headers/rules-abuse.pcap (aiosmtpd: sessions that the bundled
# rules/shrike.rules detect). Run it after remaking any of them.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
pcaps=$(cd "$here/../pcaps" && pwd)
command -v mergecap >/dev/null || { echo "make-sample.sh: mergecap not found (apt-get install wireshark-common)" >&2; exit 1; }
mergecap -F pcap -w "$pcaps/sample.pcap" "$pcaps/smtp-demo.pcap" "$pcaps/rules-attach.pcap" \
    "$pcaps/rules-headers.pcap" "$pcaps/rules-abuse.pcap"
echo "wrote $pcaps/sample.pcap ($(stat -c %s "$pcaps/sample.pcap") bytes)"

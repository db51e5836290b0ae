#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Regenerate the malformed-session captures tests/pcaps/smtp-malformed-*.pcap: scripted
# raw-socket sessions (smtp-script.py: a tiny server and client that send fixed bytes)
# over 127.0.0.1 only, each captured with tcpdump on lo filtered to its own port, with
# the capture checks of make-pcaps.sh (pcap-lib.sh).
#
#   sudo tests/tools/make-malformed-pcaps.sh [OUTDIR]   (default: tests/pcaps)
#
# Needs root (tcpdump on lo), tcpdump, tshark and /usr/bin/python3. Only timestamps and
# client ports change between runs. Every session ends by itself (the script's sockets
# time out after 10 s); nothing is left running.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
out=${1:-$top/tests/pcaps}
PY=/usr/bin/python3
. "$here/pcap-lib.sh"
pcap_init

# One port per capture, above make-pcaps.sh's range.
port=12600
for scenario in bare-lf lf-crlf-mix smuggling long-lines xlink2state starttls-injection \
    nested-mail too-many-rcpt bdat unknown-cmd reply-code no-greeting; do
    port=$((port + 1))
    eval "run_$port() { echo '== $scenario' >>\"\$log\"; \$PY \"\$here/smtp-script.py\" $scenario $port >>\"\$log\" 2>&1 || die 'scenario $scenario failed'; }"
    capture "smtp-malformed-$scenario.pcap" "tcp port $port" "run_$port"
done

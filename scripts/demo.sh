#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Installs what is missing, builds Shrike, and runs it on the bundled sample capture with
# the bundled configuration and rules. Logs go to demo-logs/ (or the folder given as $1);
# the alerts, a few raw SMTP events, the transactions and the counters are printed.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
. scripts/deps.sh
sk_install "${SK_BUILD_PKGS[@]}" jq

sk_build _build
logs=${1:-demo-logs}
sample=tests/pcaps/sample.pcap
rm -rf "$logs"
mkdir -p "$logs"

echo "== shrike -c shrike.yaml -r $sample -l $logs"
_build/shrike -c shrike.yaml -r "$sample" -l "$logs" > "$logs/counters.txt"

echo
echo "== alerts ($logs/fast.log)"
cat "$logs/fast.log"
echo
echo "== raw SMTP events ($logs/events.json, first 12 of $(wc -l < "$logs/events.json"))"
head -n 12 "$logs/events.json" | jq -c '{event, is_orig, command, arg, code, cmd, msg, cont_resp} | with_entries(select(.value != null))' 2>/dev/null \
    || head -n 12 "$logs/events.json"
echo
echo "== transactions ($logs/smtp.log, Zeek format)"
grep -v '^#' "$logs/smtp.log" | cut -f 2,8,9,10,18 || true
echo
echo "== EVE records by type ($logs/eve.json)"
jq -r .event_type "$logs/eve.json" | sort | uniq -c
echo
echo "== counters ($logs/counters.txt)"
grep -E '^(packets|flows|smtp\.(flows|transactions|requests|replies)|files|detect\.alerts|elapsed_ms):' \
    "$logs/counters.txt"

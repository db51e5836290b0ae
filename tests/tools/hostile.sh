#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# The hostile-traffic table of issue 11: makes each hostile capture with gen-hostile.py
# (a clean session from tests/pcaps/smtp-basic.pcap placed one second after it), runs
# shrike on it under /usr/bin/time -v, and prints one Markdown row per case: packets, wall
# time, peak RSS, the RSS it must stay under (the RSS of a run on the clean session alone +
# flow.memcap + a stated 16 MB for allocator overhead), the anomalies and counters raised,
# and whether the clean session is intact (its EVE smtp record and smtp.log row). Memory
# still charged to flow.memcap once every flow has ended is a leak: the row shows it as
# flow.memuse_end and fails. Exits 1 when a row is over its cap, leaks or loses the clean
# session.
#
# usage: hostile.sh [--small] [--shrike PATH] [--keep DIR] [CASE...]
#   --small   reduced sizes (seconds in all; run by make check through tests/e2e/hostile.sh)
#   CASE      only these cases (names as in the first column's key, e.g. halfopen)
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
shrike=${SHRIKE:-$top/_build/shrike}
small=false
keep=
only=()
while [ $# -gt 0 ]; do
    case $1 in
    --small) small=true ;;
    --shrike) shrike=$2 && shift ;;
    --keep) keep=$2 && shift ;;
    -h | --help) sed -n '3,14p' "$0" && exit 0 ;;
    *) only+=("$1") ;;
    esac
    shift
done
gen=$top/tests/tools/gen-hostile.py
clean=$top/tests/pcaps/smtp-basic.pcap
work=${keep:-$(mktemp -d /tmp/shrike-hostile.XXXXXX)}
mkdir -p "$work"
[ -n "$keep" ] || trap 'rm -rf "$work"' EXIT
[ -x /usr/bin/time ] || { echo "hostile.sh: /usr/bin/time is not installed" >&2 && exit 77; }

if $small; then memcap_mb=8; else memcap_mb=64; fi
slack_mb=16
# key|generator case|N full|N small|extra settings|what the row shows
cases=(
    "halfopen|halfopen|200000|5000|flow.max-flows=1000000|concurrent half-open flows (SYN, SYN-ACK, ACK, greeting)"
    "bdat-gap|bdat-gap|20000|1000|stream.max-queued=0|flows each with a BDAT chunk, a capture gap, an unexpected 354"
    "data|data|1000000000|2000000||byte DATA body"
    "rcpt|rcpt|1000000|10000||RCPT TO in one session"
    "mime-deep|mime-deep|1000|1000||MIME multiparts nested deep"
    "mime-parts|mime-parts|100000|2000||MIME parts in one message"
    "longline|longline|10000000|1000000||byte command line without CRLF"
    "headers|headers|1000000|100000||byte header line, then N/10 headers"
    "overlap|overlap|100000|2000||conflicting overlapping segments"
    "onebyte|onebyte|1000000|10000||one-byte segments in one session"
    "ooo|ooo|100000|2000||out-of-order segments that never fill their hole"
)

mb() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
counter() { sed -n "s/^$2: //p" "$1/out" | head -n 1; }

# run DIR PCAP SETTINGS...: shrike under time -v into DIR
run() {
    local dir=$1 pcap=$2
    shift 2
    local sets=(--set "flow.memcap=${memcap_mb}mb")
    for s in "$@"; do [ -n "$s" ] && sets+=(--set "$s"); done
    mkdir -p "$dir"
    /usr/bin/time -v "$shrike" -r "$pcap" -l "$dir" "${sets[@]}" >"$dir/out" 2>"$dir/err"
    echo $? >"$dir/rc"
}
rss_kb() { awk -F: '/Maximum resident/ { gsub(/ /, "", $2); print $2 }' "$1/err"; }
wall_s() {
    awk '/Elapsed \(wall clock\)/ { n = split($NF, t, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + t[i]; printf "%.1f", s }' "$1/err"
}
intact() {
    grep '"event_type":"smtp"' "$1/eve.json" 2>/dev/null | grep -q 'SHRIKE-MARKER-BASIC' &&
        grep -v '^#' "$1/smtp.log" 2>/dev/null | grep 'SHRIKE-MARKER-BASIC' |
        grep -q '250 2.0.0 Ok: queued'
}

# Sanitizer builds keep freed memory in quarantine: their RSS is not compared with the cap.
asan=false
ldd "$shrike" 2>/dev/null | grep -q 'libasan' && asan=true
run "$work/clean" "$clean"
base_kb=$(rss_kb "$work/clean")
cap_kb=$((base_kb + (memcap_mb + slack_mb) * 1024))
echo "$("$shrike" -V 2>/dev/null | head -n 1); flow.memcap=${memcap_mb}mb; clean-session run $(mb "$base_kb") MB RSS; cap = that + flow.memcap + ${slack_mb} MB$($small && echo '; --small sizes')"
echo
echo "| case | packets | wall s | peak RSS MB | cap MB | anomalies | counters | clean session |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
status=0
for c in "${cases[@]}"; do
    IFS='|' read -r key gcase nfull nsmall extra what <<<"$c"
    if [ ${#only[@]} -gt 0 ] && ! printf '%s\n' "${only[@]}" | grep -qx "$key"; then
        continue
    fi
    n=$nfull
    $small && n=$nsmall
    pcap=$work/$key.pcap
    if ! pkts=$(python3 "$gen" "$gcase" "$n" "$pcap" --clean "$clean"); then
        echo "| $key | generator failed | | | | | | no |"
        status=1
        continue
    fi
    run "$work/$key" "$pcap" "$extra"
    rm -f "$pcap"
    rss=$(rss_kb "$work/$key")
    anoms=$(sed -n 's/^smtp\.anomaly\.\([A-Z_0-9]*\): .*/\1/p' "$work/$key/out" | paste -sd ' ' -)
    ctrs=
    for k in flows.evicted memcap_hits flow.memcap_refused flow.app_memcap_refused \
        tcp.reassembly_gaps tcp.overlaps_diff tcp.out_of_order tcp.depth_reached; do
        v=$(counter "$work/$key" "$k")
        [ -n "$v" ] && [ "$v" != 0 ] && ctrs="$ctrs $k=$v"
    done
    peak=$(counter "$work/$key" flow.memuse_peak)
    ctrs="${ctrs# } flow.memuse_peak=$(mb "$((${peak:-0} / 1024))")MB"
    left=$(counter "$work/$key" flow.memuse)
    if [ "${left:-0}" != 0 ]; then
        ctrs="$ctrs **flow.memuse_end=$(mb "$((left / 1024))")MB (leak)**"
        status=1
    fi
    ok=yes
    intact "$work/$key" || ok=no
    rc=$(cat "$work/$key/rc")
    [ "$rc" = 0 ] || ok="$ok (exit $rc)"
    over=
    if [ "$rss" -gt "$cap_kb" ] && ! $asan; then
        over=" **over**"
        status=1
    fi
    [ "$ok" = yes ] || status=1
    printf '| %s %s (`%s`) | %s | %s | %s%s | %s | %s | %s | %s |\n' "$n" "$what" "$key" "$pkts" \
        "$(wall_s "$work/$key")" "$(mb "$rss")" "$over" "$(mb "$cap_kb")" "${anoms:--}" \
        "$ctrs" "$ok"
    [ -n "$keep" ] || rm -rf "${work:?}/$key" # a 1 GB body writes GBs of logs
done
exit $status

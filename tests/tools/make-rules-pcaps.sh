#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Regenerate the captures that test rules/shrike.rules (tests/pcaps/rules-*.pcap):
# rules-client.py sessions against aiosmtpd (aiosmtpd-server.py) on 127.0.0.1, each capture
# tcpdump on lo filtered to its own port. Root only (tcpdump); Debian packages tcpdump,
# tshark, python3-aiosmtpd. Loopback only; every wait is bounded; the servers and tcpdump
# started here are stopped on exit.
#
#   sudo tests/tools/make-rules-pcaps.sh [OUTDIR [NAME...]]   (default: tests/pcaps, all;
#                                                   NAME e.g. rules-tnef.pcap)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
out=${1:-$top/tests/pcaps}
shift || true
only=" $* "
PY=/usr/bin/python3
LO4=127.0.0.1
P_ATTACH=12540 P_HEADERS=12541 P_ABUSE=12542 P_TNEF=12543 P_HARVEST=12544

die() {
    echo "make-rules-pcaps: $*" >&2
    [ -n "${log:-}" ] && [ -f "$log" ] && tail -n 30 "$log" >&2
    exit 1
}
[ "$(id -u)" = 0 ] || die "run as root (tcpdump on lo needs it)"
for t in tcpdump tshark; do command -v "$t" >/dev/null || die "'$t' not found"; done
$PY -c 'import aiosmtpd' 2>/dev/null || die "python3-aiosmtpd missing"

work=$(mktemp -d /tmp/shrike-rules-pcaps.XXXXXX)
log=$work/run.log
: >"$log"
mkdir -p "$out"
bg_pids=()
cleanup() {
    local p
    for p in "${bg_pids[@]}"; do kill -INT "$p" 2>/dev/null || true; done
    for p in "${bg_pids[@]}"; do wait "$p" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

client() { # client KIND PORT
    echo "== rules-client $1" >>"$log"
    $PY "$here/rules-client.py" "$1" "$LO4" "$2" >>"$log" 2>&1 || die "rules-client '$1' failed"
}

# capture NAME PORT KIND...: tcpdump on lo while the sessions run (as make-pcaps.sh).
capture() {
    local name=$1 port=$2 file=$out/$1 tlog=$work/$1.tcpdump i=0 pid n k
    shift 2
    [ "$only" = "  " ] || [[ "$only" == *" $name "* ]] || return 0
    rm -f "$file"
    : >"$tlog"
    tcpdump -i lo -s 0 -B 32768 -U --immediate-mode -n -w "$file" "tcp port $port" 2>"$tlog" &
    pid=$!
    bg_pids+=("$pid")
    until grep -q 'listening on' "$tlog"; do
        i=$((i + 1)); [ $i -le 100 ] || die "tcpdump for $name did not start"
        sleep 0.05
    done
    for k in "$@"; do client "$k" "$port"; done
    sleep 0.5
    kill -INT "$pid"
    wait "$pid" || true
    grep -q '^0 packets dropped by kernel' "$tlog" || die "$name: tcpdump dropped packets"
    n=$(tshark -r "$file" -q -z conv,tcp 2>/dev/null | grep -c '<->' || true)
    [ -s "$file" ] && [ "$n" -gt 0 ] || die "$name: capture is empty"
    [ "$(stat -c %s "$file")" -lt 204800 ] || die "$name: capture is 200 KB or more"
    printf '%-24s %8d bytes %3d tcp flows\n' "$name" "$(stat -c %s "$file")" "$n"
}

for p in $P_ATTACH $P_HEADERS $P_ABUSE $P_TNEF $P_HARVEST; do
    : >"$work/aio-$p.log"
    $PY "$here/aiosmtpd-server.py" --host $LO4 --port $p --lifetime 300 >"$work/aio-$p.log" 2>&1 &
    bg_pids+=($!)
    i=0
    until grep -q ready "$work/aio-$p.log"; do
        i=$((i + 1)); [ $i -le 100 ] || die "aiosmtpd on port $p did not start"
        sleep 0.1
    done
done

capture rules-attach.pcap $P_ATTACH attach
capture rules-headers.pcap $P_HEADERS headers helo
capture rules-abuse.pcap $P_ABUSE bruteforce smuggling injection exploits
capture rules-tnef.pcap $P_TNEF tnef
capture rules-harvest.pcap $P_HARVEST harvest

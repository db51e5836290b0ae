#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# flow.memcap bounds what flows allocate, app-layer state included (issue 11): 50,000
# concurrent half-open SMTP flows (handshake and greeting only) with flow.memcap=8mb keep
# the peak RSS under the RSS of a run on the clean session alone + 8 MB + a stated 8 MB
# (allocator overhead); the counters say the cap was hit; the clean session placed after
# the flood is still fully logged. With a cap too small for a flow's app state, the state
# is refused, counted and raised as APP_LAYER_MEMCAP.
. "$(dirname "$0")/lib.sh"
need python3
[ -x /usr/bin/time ] || skip_all "/usr/bin/time is not installed"
clean=$PCAPS/smtp-basic.pcap
gen=$TOP_SRCDIR/tests/tools/gen-hostile.py
python3 "$gen" halfopen 50000 "$TMP/flood.pcap" --clean "$clean" >/dev/null ||
    fail "gen-hostile.py halfopen"

# peak_kb DIR ARGS...: runs shrike into DIR, prints its peak RSS in KB.
peak_kb() {
    local dir=$1
    shift
    mkdir -p "$dir"
    /usr/bin/time -f '%M' -o "$dir/rss" "$SHRIKE" -l "$dir" "$@" >"$dir/out" 2>"$dir/err"
    echo "rc=$?" >>"$dir/out"
    cat "$dir/rss"
}
counter() { sed -n "s/^$2: //p" "$1/out"; }
# The clean session is whole: its EVE smtp record and its smtp.log row.
intact() {
    grep '"event_type":"smtp"' "$1/eve.json" | grep -q 'SHRIKE-MARKER-BASIC' &&
        grep -v '^#' "$1/smtp.log" | grep 'SHRIKE-MARKER-BASIC' | grep -q '250 2.0.0 Ok: queued'
}

base=$(peak_kb "$TMP/base" -r "$clean" --set flow.memcap=8mb)
cap_kb=8192
slack_kb=8192
rss=$(peak_kb "$TMP/flood" -r "$TMP/flood.pcap" --set flow.memcap=8mb)
limit=$((base + cap_kb + slack_kb))
# Sanitizer builds keep freed memory in quarantine: RSS says nothing there.
asan=false
ldd "$SHRIKE" 2>/dev/null | grep -q 'libasan' && asan=true
if $asan && grep -q '^rc=0$' "$TMP/flood/out"; then
    echo "note: ASan build, peak RSS not compared ($rss KB vs $limit KB)"
elif grep -q '^rc=0$' "$TMP/flood/out" && [ "$rss" -le "$limit" ]; then
    ok "50,000 half-open flows at flow.memcap=8mb: peak RSS $rss KB <= $limit KB (clean run $base KB + cap + 8 MB)"
else
    fail "50,000 half-open flows at flow.memcap=8mb: peak RSS $rss KB > $limit KB ($(tail -n 3 "$TMP/flood/err"))"
fi
evicted=$(counter "$TMP/flood" flows.evicted)
hits=$(counter "$TMP/flood" memcap_hits)
peak=$(counter "$TMP/flood" flow.memuse_peak)
if [ "${evicted:-0}" -gt 0 ] && [ "${hits:-0}" -gt 0 ] && [ -n "$peak" ] &&
    [ "$peak" -le $((cap_kb * 1024)) ] && [ "$peak" -gt $((cap_kb * 1024 / 2)) ]; then
    ok "the cap was hit: flows.evicted $evicted, memcap_hits $hits, flow.memuse_peak $peak"
else
    fail "counters: flows.evicted '$evicted', memcap_hits '$hits', flow.memuse_peak '$peak'"
fi
if intact "$TMP/flood"; then
    ok "the clean session after the flood has its EVE smtp record and smtp.log row"
else
    fail "the clean session after the flood is not fully logged"
fi

# A cap that holds a flow but not its app state: refused, counted, raised, nothing crashes.
peak_kb "$TMP/tiny" -r "$clean" --set flow.memcap=1kb >/dev/null
refused=$(counter "$TMP/tiny" flow.app_memcap_refused)
if grep -q '^rc=0$' "$TMP/tiny/out" && [ "${refused:-0}" -gt 0 ] &&
    grep '"event_type":"anomaly"' "$TMP/tiny/eve.json" | grep -q 'APP_LAYER_MEMCAP'; then
    ok "flow.memcap=1kb: app state refused $refused times, APP_LAYER_MEMCAP in eve.json"
else
    fail "flow.memcap=1kb: flow.app_memcap_refused '$refused', $(grep -c APP_LAYER_MEMCAP "$TMP/tiny/eve.json") APP_LAYER_MEMCAP records"
fi
finish

#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Periodic EVE stats records (stats.interval) while a run lasts, with Suricata's names in
# "stats" and Shrike's own under "shrike"; per-worker copies with stats.threads; and the
# progress line and end summary, which appear on a terminal only (docs/outputs.md,
# docs/cli.md).
. "$(dirname "$0")/lib.sh"
need jq
TRICKLE=$TOP_SRCDIR/tests/tools/pcap-trickle.py
basic=$PCAPS/smtp-basic.pcap
npk=$(tshark -r "$basic" 2>/dev/null | wc -l)

# 1. a capture that arrives over ~3 s through a pipe: stats records every second
mkfifo "$TMP/fifo"
/usr/bin/python3 "$TRICKLE" "$basic" 0.15 "$TMP/fifo" &
"$SHRIKE" -q -r "$TMP/fifo" -l "$TMP/p" --set stats.interval=1 >"$TMP/p.out" 2>"$TMP/p.err"
rc=$?
wait
[ $rc -eq 0 ] || fail "run on a pipe exited $rc: $(head -3 "$TMP/p.err")"
jq -c 'select(.event_type=="stats")' "$TMP/p/eve.json" >"$TMP/p.stats"
n=$(wc -l <"$TMP/p.stats")
[ "$n" -ge 3 ] && ok "$n stats records in a ~3 s run with stats.interval=1" \
    || fail "expected at least 3 stats records, got $n"
pk=$(jq -r '.stats.decoder.pkts // 0' "$TMP/p.stats" | tr '\n' ' ')
sorted=$(jq -r '.stats.decoder.pkts // 0' "$TMP/p.stats" | sort -n | tr '\n' ' ')
[ "$pk" = "$sorted" ] && ok "decoder.pkts never goes down: $pk" || fail "decoder.pkts: $pk"
last=$(tail -n1 "$TMP/p.stats" | jq -r .stats.decoder.pkts)
first=$(head -n1 "$TMP/p.stats" | jq -r '.stats.decoder.pkts // 0')
[ "$last" = "$npk" ] && ok "the record at exit counts all $npk packets" \
    || fail "last record: $last packets of $npk"
[ "$first" -lt "$npk" ] && ok "an early record counted $first packets (a snapshot while running)" \
    || fail "the first record already had all packets ($first)"
for k in .stats.app_layer.flow.smtp .stats.app_layer.tx.smtp .stats.flow.memuse \
    .stats.uptime .stats.detect.alert .shrike.smtp.requests; do
    v=$(tail -n1 "$TMP/p.stats" | jq -r "$k // \"absent\"")
    [ "$v" != absent ] && ok "$k = $v" || fail "$k missing from the stats record"
done
ts=$(jq -r .timestamp "$TMP/p.stats" | sort -c 2>&1 && echo sorted)
[ "$ts" = sorted ] && ok "stats records in time order" || fail "timestamps out of order"

# 2. stats.threads: each worker's copy under shrike.threads, summing to the totals
"$SHRIKE" -q -r "$PCAPS/smtp-many.pcap" -l "$TMP/w" --workers 2 --set stats.threads=yes \
    --set flow.hash-seed=7 >/dev/null 2>&1 || fail "two-worker run failed"
rec=$(jq -c 'select(.event_type=="stats")' "$TMP/w/eve.json" | tail -n1)
nw=$(jq '.shrike.threads | length' <<<"$rec")
[ "$nw" = 2 ] && ok "two workers under shrike.threads" || fail "shrike.threads has $nw entries"
sum=$(jq '[.shrike.threads[].app_layer.flow.smtp // 0] | add' <<<"$rec")
tot=$(jq '.stats.app_layer.flow.smtp' <<<"$rec")
[ "$sum" = "$tot" ] && [ "$tot" -gt 0 ] && ok "per-worker SMTP flows add up to $tot" \
    || fail "per-worker SMTP flows $sum, total $tot"

# 3. on a terminal: the progress line and the summary; elsewhere neither
if command -v script >/dev/null 2>&1; then
    mkfifo "$TMP/fifo2"
    /usr/bin/python3 "$TRICKLE" "$basic" 0.1 "$TMP/fifo2" &
    script -qec "'$SHRIKE' -r '$TMP/fifo2' -l '$TMP/t' -S '$TOP_SRCDIR/rules/shrike.rules' >/dev/null" \
        /dev/null >"$TMP/tty.out" 2>&1
    wait
    grep -q 'SMTP sessions' "$TMP/tty.out" && ok "summary printed on a terminal" \
        || fail "no summary on a terminal: $(tr -d '\r' <"$TMP/tty.out" | head -3)"
    grep -q 'alerts (priority 1:' "$TMP/tty.out" && ok "alerts by priority in the summary" \
        || fail "no alerts by priority"
    grep -q 'MB read' "$TMP/tty.out" && ok "progress line drawn on a terminal" \
        || fail "no progress line on a terminal"
else
    echo "note: script(1) missing, terminal checks not run"
fi
"$SHRIKE" -r "$basic" -l "$TMP/n" >/dev/null 2>"$TMP/n.err"
grep -q 'SMTP sessions\|MB read\|MB/s' "$TMP/n.err" && fail "summary or progress on a non-terminal" \
    || ok "nothing on a non-terminal stderr"
finish

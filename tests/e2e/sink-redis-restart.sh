#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# A Redis that dies under load and comes back: shrike reads a capture trickled through a
# FIFO (so records keep coming for a few seconds) into a redis sink with a small queue
# (5 records, a 20 ms wait); redis-server (127.0.0.1, a free port) is killed mid-run and
# started again on the same port a second later. Checked: the sink reconnects, every record
# made is counted either written or dropped (written + dropped = the records in eve.json),
# some were dropped while Redis was down, the exit status says so (3), and what the second
# Redis holds are whole records of eve.json, in order, ending with the last one.
. "$(dirname "$0")/lib.sh"
need python3
need redis-server
need redis-cli
pcap=$PCAPS/smtp-many.pcap
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
rc_() { redis-cli -h 127.0.0.1 -p "$port" "$@"; }
start_redis() {
    redis-server --bind 127.0.0.1 --port "$port" --save '' --appendonly no --dir "$TMP" \
        >>"$TMP/redis.log" 2>&1 &
    rpid=$!
    for _ in $(seq 100); do rc_ ping 2>/dev/null | grep -q PONG && return 0; sleep 0.1; done
    return 1
}
start_redis || skip_all "redis-server did not start ($(tail -3 "$TMP/redis.log"))"

mkfifo "$TMP/in.pcap"
python3 "$TOP_SRCDIR/tests/tools/pcap-trickle.py" "$pcap" 0.006 "$TMP/in.pcap" &
feeder=$!
"$SHRIKE" -q -v -r "$TMP/in.pcap" -l "$TMP" --set outputs.eve.sinks.r.filetype=redis \
    --set outputs.eve.sinks.r.server=127.0.0.1 --set "outputs.eve.sinks.r.port=$port" \
    --set outputs.eve.sinks.r.mode=rpush --set outputs.eve.sinks.r.queue-max-records=5 \
    --set outputs.eve.sinks.r.queue-wait-ms=20 --set outputs.eve.sinks.r.reconnect-max-ms=200 \
    2>"$TMP/err" &
spid=$!
for _ in $(seq 100); do [ "$(rc_ llen shrike 2>/dev/null)" -gt 0 ] 2>/dev/null && break; sleep 0.1; done
sleep 0.3
kill -KILL "$rpid" # under load: records keep coming while it is gone
wait "$rpid" 2>/dev/null
sleep 1.2
start_redis || fail "redis-server did not start again"
wait "$feeder"
wait "$spid"
rc=$?
made=$(wc -l <"$TMP/eve.json")
read -r written dropped <<<"$(sed -n 's/.*output r (redis): \([0-9]*\) records written, \([0-9]*\) dropped.*/\1 \2/p' "$TMP/err")"
echo "made $made, written ${written:-?}, dropped ${dropped:-?}, exit $rc"
[ -n "$written" ] && [ $((written + dropped)) -eq "$made" ] \
    && ok "written $written + dropped $dropped = made $made" \
    || fail "written ${written:-?} + dropped ${dropped:-?} != made $made ($(cat "$TMP/err"))"
[ "${dropped:-0}" -gt 0 ] && ok "records dropped while Redis was down" \
    || fail "nothing dropped: Redis was not down under load"
[ "$rc" -eq 3 ] && ok "exit status 3: output lost" || fail "exit status $rc, not 3"
grep -q "output r (redis): connected again" "$TMP/err" && ok "reconnected" \
    || fail "no reconnect ($(cat "$TMP/err"))"
rc_ lrange shrike 0 -1 >"$TMP/after"
if python3 - "$TMP/eve.json" "$TMP/after" <<'PY'; then
import sys
eve = open(sys.argv[1]).read().splitlines()
got = open(sys.argv[2]).read().splitlines()
assert got, "the second Redis holds nothing"
pos = [eve.index(l) for l in got]
assert pos == sorted(pos), "not in eve.json's order"
assert pos[-1] == len(eve) - 1, "the last record is missing"
print("the second Redis holds %d records" % len(got))
PY
    ok "the second Redis holds whole records, in order, up to the last"
else
    fail "the second Redis's records"
fi
rc_ shutdown nosave >/dev/null 2>&1
wait "$rpid" 2>/dev/null
finish

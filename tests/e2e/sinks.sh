#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# The EVE sinks against real readers, on loopback only, each record compared with eve.json
# written in the same run (one worker, so every sink gets the records in eve.json's order):
# - syslog: a Unix datagram socket of the test standing in for /dev/log; every message is
#   "<PRI>TIMESTAMP IDENTITY[PID]: " and the record, PRI from facility and level;
# - unix_dgram: one datagram a record;
# - unix_stream, its reader killed mid-run and started again: the sink reconnects, the new
#   reader gets the rest, every line whole;
# - redis (a redis-server the test starts on a Unix socket) in every mode: list (LPUSH),
#   rpush, stream (XADD) and channel (PUBLISH, read by a subscriber), every record read back;
# - kafka, librdkafka's mock cluster inside shrike (mock-cluster), read back by
#   tests/tools/kafka-consume: one topic per event type, every record, keyed by its flow id,
#   each flow's records in one partition in eve.json's order.
# A part whose service is missing (redis-server, the consumer) is skipped; all skipped: 77.
. "$(dirname "$0")/lib.sh"
need python3
pcap=$PCAPS/smtp-many.pcap
listen=$TOP_SRCDIR/tests/tools/unix-listen.py
trickle=$TOP_SRCDIR/tests/tools/pcap-trickle.py
consume=$(dirname "$SHRIKE")/tests/tools/kafka-consume
skipped=0

# Bounded waits: up to 10 s for a file to hold a pattern or to exist.
wait_grep() { for _ in $(seq 100); do grep -q "$1" "$2" 2>/dev/null && return 0; sleep 0.1; done; return 1; }
wait_file() { for _ in $(seq 100); do [ -e "$1" ] && return 0; sleep 0.1; done; return 1; }
stop_pid() { kill "$1" 2>/dev/null; wait "$1" 2>/dev/null; }
written_of() { sed -n "s/.*output $1 ([a-z_]*): \([0-9]*\) records written, \([0-9]*\) dropped.*/\1 \2/p" "$2"; }

# ---- syslog and unix_dgram ----
d=$TMP/dgram
mkdir -p "$d"
python3 "$listen" dgram "$d/log.sock" "$d/syslog.out" 60 &
l1=$!
python3 "$listen" dgram "$d/dg.sock" "$d/dgram.out" 60 &
l2=$!
wait_file "$d/log.sock" && wait_file "$d/dg.sock" || fail "the datagram readers did not start"
"$SHRIKE" -q -v -r "$pcap" -l "$d" \
    --set outputs.eve.sinks.sl.filetype=syslog --set "outputs.eve.sinks.sl.filename=$d/log.sock" \
    --set outputs.eve.sinks.sl.facility=local3 --set outputs.eve.sinks.sl.level=notice \
    --set outputs.eve.sinks.sl.identity=shrike-test \
    --set outputs.eve.sinks.dg.filetype=unix_dgram --set "outputs.eve.sinks.dg.filename=$d/dg.sock" \
    2>"$d/err"
rc=$?
sleep 0.3
stop_pid "$l1"
stop_pid "$l2"
made=$(wc -l <"$d/eve.json")
[ "$rc" -eq 0 ] && [ "$made" -gt 50 ] && ok "syslog + unix_dgram run: $made records" \
    || fail "syslog + unix_dgram run: exit $rc, $made records ($(cat "$d/err"))"
# local3 (19) * 8 + notice (5) = 157
if python3 - "$d/eve.json" "$d/syslog.out" <<'PY'; then
import re, sys
eve = open(sys.argv[1]).read().splitlines()
got = open(sys.argv[2]).read().splitlines()
pat = re.compile(r"^<157>[A-Z][a-z]{2} [ 0-9]\d \d\d:\d\d:\d\d shrike-test\[\d+\]: (.*)$")
msgs = []
for line in got:
    m = pat.match(line)
    if not m:
        sys.exit("not a syslog message: %r" % line[:120])
    msgs.append(m.group(1))
if msgs != eve:
    sys.exit("%d messages, %d records in eve.json, or not the same" % (len(msgs), len(eve)))
PY
    ok "syslog: every record, in order, as <157>DATE shrike-test[PID]: RECORD"
else
    fail "syslog: messages differ from eve.json"
fi
cmp -s "$d/eve.json" "$d/dgram.out" && ok "unix_dgram: every record, one datagram each" \
    || fail "unix_dgram: datagrams differ from eve.json"
[ "$(written_of sl "$d/err")" = "$made 0" ] && [ "$(written_of dg "$d/err")" = "$made 0" ] \
    && ok "syslog, unix_dgram: $made written, 0 dropped" \
    || fail "syslog, unix_dgram counters: $(grep 'records written' "$d/err")"

# ---- unix_stream, its reader restarted mid-run ----
d=$TMP/stream
mkdir -p "$d"
mkfifo "$d/in.pcap"
python3 "$listen" stream "$d/s.sock" "$d/one.out" 60 &
l1=$!
wait_file "$d/s.sock" || fail "the stream reader did not start"
python3 "$trickle" "$pcap" 0.006 "$d/in.pcap" &
feeder=$!
"$SHRIKE" -q -v -r "$d/in.pcap" -l "$d" --set outputs.eve.sinks.st.filetype=unix_stream \
    --set "outputs.eve.sinks.st.filename=$d/s.sock" 2>"$d/err" &
spid=$!
wait_grep '"event_type"' "$d/one.out" # records are flowing: then ...
sleep 0.3
stop_pid "$l1" # ... the reader goes away mid-run ...
sleep 0.5
python3 "$listen" stream "$d/s.sock" "$d/two.out" 60 & # ... and comes back
l2=$!
wait "$feeder"
wait "$spid"
rc=$?
sleep 0.3
stop_pid "$l2"
if python3 - "$d/eve.json" "$d/one.out" "$d/two.out" <<'PY'; then
import sys
eve = open(sys.argv[1]).read().splitlines()
one = open(sys.argv[2]).read().split("\n")
two = open(sys.argv[3]).read().split("\n")
# a connection ends with a whole line ("" after the last newline), the first may be cut
assert two[-1] == "", "the second reader's last line is cut"
one = [l for l in one if l in eve]
two = two[:-1]
assert len(one) > 0, "the first reader got nothing"
assert len(two) > 0, "the second reader got nothing: no reconnect"
assert all(l in eve for l in two), "a line the second reader got is not a record"
start = eve.index(two[0])
assert two == eve[start:], "the second reader's lines are not the rest of eve.json in order"
gap = start - len(one)
assert 0 <= gap <= 5, "%d records between the readers" % gap
print("first reader %d, second %d, lost in the closed socket %d" % (len(one), len(two), gap))
PY
    ok "unix_stream: reconnected after the reader restarted; every line whole and in order"
else
    fail "unix_stream: reconnect (exit $rc; $(grep -c . "$d/one.out") + $(grep -c . "$d/two.out") lines)"
fi
grep -q "output st (unix_stream): connected again" "$d/err" && ok "unix_stream: reconnect logged" \
    || fail "unix_stream: no reconnect logged ($(cat "$d/err"))"

# ---- redis, every mode ----
if ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null; then
    echo "skip: redis-server or redis-cli is not installed"
    skipped=$((skipped + 1))
else
    d=$TMP/redis
    mkdir -p "$d"
    redis-server --port 0 --unixsocket "$d/r.sock" --save '' --appendonly no \
        --dir "$d" >"$d/redis.log" 2>&1 &
    rpid=$!
    wait_file "$d/r.sock" || fail "redis-server did not start"
    rc_() { redis-cli -s "$d/r.sock" "$@"; }
    for _ in $(seq 50); do rc_ ping 2>/dev/null | grep -q PONG && break; sleep 0.1; done
    rc_ --raw subscribe C >"$d/sub.out" 2>/dev/null &
    sub=$!
    for _ in $(seq 50); do [ "$(rc_ pubsub numsub C | tail -1)" = 1 ] && break; sleep 0.1; done
    args=()
    for s in l:list:L r:rpush:R x:stream:X c:channel:C; do
        IFS=: read -r n mode key <<<"$s"
        args+=(--set "outputs.eve.sinks.$n.filetype=redis" --set "outputs.eve.sinks.$n.server=$d/r.sock"
            --set "outputs.eve.sinks.$n.mode=$mode" --set "outputs.eve.sinks.$n.key=$key"
            --set "outputs.eve.sinks.$n.batch-size=16")
    done
    "$SHRIKE" -q -v -r "$pcap" -l "$d" "${args[@]}" 2>"$d/err"
    rc=$?
    made=$(wc -l <"$d/eve.json")
    sleep 0.3
    stop_pid "$sub"
    rc_ lrange L 0 -1 | tac >"$d/L"
    rc_ lrange R 0 -1 >"$d/R"
    rc_ --raw xrange X - + | awk 'NR % 3 == 0' >"$d/X"
    awk '$0 == "message" {getline; getline; print}' "$d/sub.out" >"$d/C"
    [ "$rc" -eq 0 ] || fail "redis run: exit $rc ($(cat "$d/err"))"
    for m in L:list R:rpush X:stream C:channel; do
        f=${m%:*}
        if cmp -s "$d/eve.json" "$d/$f"; then
            ok "redis ${m#*:}: all $made records read back, equal to eve.json"
        else
            fail "redis ${m#*:}: $(wc -l <"$d/$f") records read back, $made in eve.json"
        fi
    done
    for n in l r x c; do
        [ "$(written_of $n "$d/err")" = "$made 0" ] || fail "redis sink $n: $(grep "output $n " "$d/err")"
    done
    ok "redis: every sink counted $made written, 0 dropped"
    # the counters are in the last stats record (records before the final one are counted)
    tail -1 "$d/eve.json" | grep -q '"l":{"written":' && ok "redis: counters in the EVE stats record" \
        || fail "redis: no output.l counters in the stats record"
    rc_ shutdown nosave >/dev/null 2>&1
    wait "$rpid" 2>/dev/null
fi

# ---- kafka, librdkafka's mock cluster ----
if [ ! -x "$consume" ]; then
    echo "skip: $consume is not built"
    skipped=$((skipped + 1))
else
    d=$TMP/kafka
    mkdir -p "$d"
    "$SHRIKE" -q -v -r "$pcap" -l "$d" --set outputs.eve.sinks.k.filetype=kafka \
        --set outputs.eve.sinks.k.mock-cluster=yes --set outputs.eve.sinks.k.mock-linger=60 \
        --set 'outputs.eve.sinks.k.topic=shrike-%{event_type}' 2>"$d/err" &
    spid=$!
    if wait_grep "records written" "$d/err"; then
        bs=$(sed -n 's/.*mock cluster at \([^ ]*\).*/\1/p' "$d/err")
        read -r written dropped <<<"$(written_of k "$d/err")"
        made=$(wc -l <"$d/eve.json")
        topics=$(python3 -c 'import json,sys
print(",".join(sorted({"shrike-" + json.loads(l)["event_type"] for l in open(sys.argv[1])})))' "$d/eve.json")
        "$consume" "$bs" "$topics" "$made" 30 >"$d/consumed" 2>"$d/consume.err" \
            || fail "kafka: consumer: $(cat "$d/consume.err")"
        [ "$written" = "$made" ] && [ "$dropped" = 0 ] && ok "kafka: $made delivered, 0 dropped" \
            || fail "kafka: $written delivered, $dropped dropped, $made made"
        if python3 - "$d/eve.json" "$d/consumed" <<'PY'; then
import json, sys
from collections import Counter, defaultdict
eve = open(sys.argv[1]).read().splitlines()
got = [l.split("\t", 4) for l in open(sys.argv[2]).read().splitlines()]
assert Counter(v for *_, v in got) == Counter(eve), "the records read differ from eve.json"
flow_parts = defaultdict(set)
for topic, part, off, key, v in got:
    r = json.loads(v)
    assert topic == "shrike-" + r["event_type"], "record in topic %s" % topic
    assert key == (str(r["flow_id"]) if "flow_id" in r else "-"), "key %s" % key
    if "flow_id" in r:
        flow_parts[(topic, r["flow_id"])].add(part)
assert all(len(p) == 1 for p in flow_parts.values()), "a flow's records in two partitions"
# within a topic, one flow's records come in eve.json's order (one partition, by offset)
for (topic, fid), parts in flow_parts.items():
    mine = sorted((int(o), v) for t, p, o, k, v in got if t == topic and k == str(fid))
    assert [v for _, v in mine] == [l for l in eve if json.loads(l).get("flow_id") == fid
                                    and "shrike-" + json.loads(l)["event_type"] == topic], \
        "flow %s out of order in %s" % (fid, topic)
print("%d records, %d flow/topic pairs" % (len(got), len(flow_parts)))
PY
            ok "kafka: every record read back, topic per event type, key = flow_id, flows in order"
        else
            fail "kafka: records read back differ"
        fi
    else
        fail "kafka: shrike did not finish ($(cat "$d/err"))"
    fi
    kill -TERM "$spid" 2>/dev/null
    wait "$spid"
    rc=$?
    [ "$rc" -eq 0 ] && ok "kafka: SIGTERM ends the mock-linger, exit 0" || fail "kafka: exit $rc"
fi
[ "$skipped" -eq 2 ] && [ "$failed" -eq 0 ] && [ "$passed" -eq 0 ] && skip_all "no service"
finish

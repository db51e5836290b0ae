#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Rule reloads and log rotation on a live sensor: real SMTP (tests/tools/reload-smtp.py,
# aiosmtpd and smtplib) crosses a veth pair into a network namespace made here while shrike
# (-i on the veth, two workers) is sent SIGUSR2 and reload-rules over and over, and its logs
# are moved away and reopened (SIGHUP, reopen-logs) as logrotate does. Every session must
# come out exactly once (one smtp and one flow record, the same events) with each of its
# alerts exactly once, across all the rotated files; the flowbit a session sets on MAIL FROM
# before a reload must still hold at its DATA after it. Then: a reload that adds a rule (it
# alerts from then on), a reload of a broken file (refused: the old rules go on alerting),
# dump-counters, iface-stat and shutdown on the control socket, and the pid file.
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || skip_all "needs root (a network namespace and a veth pair)"
need ip
need socat
/usr/bin/python3 -c "import aiosmtpd" 2>/dev/null || skip_all "python3-aiosmtpd is not installed"
CTL=$(dirname "$SHRIKE")/shrikectl
[ -x "$CTL" ] || skip_all "shrikectl is not built"
TOOLS=$TOP_SRCDIR/tests/tools

NS=shrike-reload-$$
VA=shrk$$a
VB=shrk$$b
SRV_PID= SHR_PID=
cleanup() {
    [ -n "$SHR_PID" ] && kill "$SHR_PID" 2>/dev/null
    [ -n "$SRV_PID" ] && kill "$SRV_PID" 2>/dev/null
    wait 2>/dev/null
    ip link del "$VA" 2>/dev/null
    ip netns del "$NS" 2>/dev/null
    rm -rf "$TMP"
}
trap cleanup EXIT
ip netns add "$NS" || skip_all "cannot make a network namespace"
ip link add "$VA" type veth peer name "$VB" || skip_all "cannot make a veth pair"
ip link set "$VB" netns "$NS"
ip addr add 10.231.7.1/24 dev "$VA"
ip link set "$VA" up
ip -n "$NS" addr add 10.231.7.2/24 dev "$VB"
ip -n "$NS" link set "$VB" up
ip -n "$NS" link set lo up

ip netns exec "$NS" /usr/bin/python3 "$TOOLS/reload-smtp.py" server 10.231.7.2 2525 300 >"$TMP/server.out" 2>&1 &
SRV_PID=$!
for _ in $(seq 100); do grep -q ready "$TMP/server.out" && break; sleep 0.1; done
grep -q ready "$TMP/server.out" || { fail "the SMTP server did not start"; finish; }

RULES=$TMP/reload.rules
cat >"$RULES" <<'R'
alert smtp any any -> any any (msg:"probe seen (sets a flowbit)"; smtp.mail_from; content:"probe-"; flowbits:set,probe; flowbits:noalert; sid:1; rev:1;)
alert smtp any any -> any any (msg:"probe subject after the flowbit"; email.subject; content:"reload probe"; flowbits:isset,probe; sid:2; rev:1;)
alert smtp any any -> any any (msg:"probe recipient"; smtp.rcpt_to; content:"rcpt-"; sid:3; rev:1;)
R
LOGS=$TMP/logs
SOCK=$TMP/ctl.sock
mkdir -p "$LOGS"
"$SHRIKE" -i "$VA" -c "$TOP_SRCDIR/shrike.yaml" -S "$RULES" -l "$LOGS" --workers 2 \
    --pidfile "$TMP/shrike.pid" --set unix-command.enabled=yes \
    --set unix-command.filename="$SOCK" -v >"$TMP/stdout" 2>"$TMP/stderr" &
SHR_PID=$!
for _ in $(seq 200); do [ -S "$SOCK" ] && break; sleep 0.1; done
[ -S "$SOCK" ] || { fail "shrike did not open its socket: $(cat "$TMP/stderr")"; finish; }

# a second instance on the same pid file is refused, with exit status 5
"$SHRIKE" -i "$VA" -S "$RULES" -l "$TMP" --pidfile "$TMP/shrike.pid" 2>"$TMP/second.err"
rc=$?
if [ $rc -eq 5 ] && grep -q "holds the pid file" "$TMP/second.err"; then
    ok "a second instance on the pid file is refused (exit 5)"
else
    fail "second instance: exit $rc: $(cat "$TMP/second.err")"
fi
[ "$(cat "$TMP/shrike.pid")" = "$SHR_PID" ] && ok "the pid file holds shrike's pid" ||
    fail "pid file: '$(cat "$TMP/shrike.pid")', want $SHR_PID"

# 12 slow sessions; meanwhile 24 reloads (signal and socket) and 6 rotations
N=12
/usr/bin/python3 "$TOOLS/reload-smtp.py" client 10.231.7.2 2525 0 $N 0.12 >"$TMP/client.out" 2>&1 &
CLIENT=$!
for i in $(seq 24); do
    sleep 0.3
    if [ $((i % 2)) -eq 0 ]; then kill -USR2 "$SHR_PID"; else "$CTL" -s "$SOCK" reload-rules >/dev/null; fi
    if [ $((i % 4)) -eq 0 ]; then
        for f in eve.json events.json fast.log smtp.log; do mv "$LOGS/$f" "$LOGS/$f.$i"; done
        if [ $((i % 8)) -eq 0 ]; then kill -HUP "$SHR_PID"; else "$CTL" -s "$SOCK" reopen-logs >/dev/null; fi
    fi
done
wait $CLIENT || fail "the SMTP client failed: $(cat "$TMP/client.out")"

# a reload that adds sid 4: it alerts from then on
sed -i '$a alert smtp any any -> any any (msg:"added by a reload"; email.subject; content:"after"; sid:4; rev:1;)' "$RULES"
out=$("$CTL" -s "$SOCK" reload-rules) && ok "reload-rules adding a rule: $out" || fail "reload-rules: $out"
/usr/bin/python3 "$TOOLS/reload-smtp.py" client 10.231.7.2 2525 100 1 0.05 after >>"$TMP/client.out" 2>&1
# a broken rule file: the reload fails, the rules in use stay
echo 'alert smtp this is not a rule' >"$RULES"
out=$("$CTL" -s "$SOCK" reload-rules)
[ $? -eq 1 ] && ok "a broken reload is refused: $out" || fail "broken reload answered: $out"
grep -q "rule reload failed, the rules in use stay" "$TMP/stderr" && ok "the failed reload is logged" ||
    fail "no log line for the failed reload"
/usr/bin/python3 "$TOOLS/reload-smtp.py" client 10.231.7.2 2525 101 1 0.05 after >>"$TMP/client.out" 2>&1
sleep 1.5 # the workers' counters reach the board about once a second

out=$("$CTL" -s "$SOCK" dump-counters)
if printf '%s' "$out" | python3 -c '
import json, sys
m = json.load(sys.stdin)["message"]
assert m["rules.reloads"] >= 25 and m["rules.reloads_failed"] == 1, m
assert m["detect.alerts"] >= 2 * 14, m
'; then ok "dump-counters: reloads and alerts counted"; else fail "dump-counters: $out"; fi
out=$("$CTL" -s "$SOCK" iface-stat)
printf '%s' "$out" | grep -q "\"iface\":\"$VA\"" && ok "iface-stat: $out" || fail "iface-stat: $out"
out=$("$CTL" -s "$SOCK" no-such-command)
[ $? -eq 1 ] && ok "an unknown command is NOK" || fail "unknown command: $out"
out=$("$CTL" -s "$SOCK" shutdown) && ok "shutdown: $out" || fail "shutdown: $out"
for _ in $(seq 100); do kill -0 "$SHR_PID" 2>/dev/null || break; sleep 0.1; done
wait "$SHR_PID"
rc=$?
SHR_PID=
[ $rc -eq 0 ] && ok "shrike ended with status 0 after shutdown" || fail "shrike exit $rc: $(tail -5 "$TMP/stderr")"
[ ! -e "$SOCK" ] && [ ! -e "$TMP/shrike.pid" ] && ok "socket and pid file removed" ||
    fail "socket or pid file left behind"
n=$(grep -c "rules reloaded" "$TMP/stderr")
[ "$n" -ge 25 ] && ok "$n reloads done" || fail "$n reloads done, want 25"

args=""
for k in $(seq 0 $((N - 1))); do args="$args $k:2,3"; done
if python3 "$TOOLS/reload-check.py" "$LOGS" $args 100:2,3,4 101:2,3,4 >"$TMP/check.out"; then
    ok "every session and alert exactly once: $(tail -1 "$TMP/check.out")"
else
    fail "lost or doubled: $(cat "$TMP/check.out")"
fi
finish

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Live capture with libpcap (-i): a session left open and silent is logged once its flow
# times out, with no packet after it (the flow clock runs on wall time on an idle link), with
# one worker and with two; several -i at once (a veth and lo) log the sessions of both; an
# interface that does not exist ends the run with status 4 and a message naming it (-i and
# --af-packet). Needs root; skips without network namespaces.
. "$(dirname "$0")/lib.sh"

for opt in -i --af-packet; do
    "$SHRIKE" -q -l "$TMP/none" $opt shk-nosuch0 >/dev/null 2>"$TMP/err"
    st=$?
    [ "$st" -eq 4 ] && grep -q "shk-nosuch0" "$TMP/err" &&
        ok "$opt missing interface: exit 4 naming it" ||
        fail "$opt missing interface: exit $st: $(cat "$TMP/err")"
done

. "$(dirname "$0")/netns.sh"
start_server "$NS_S" "$ADDR_S" 25 || skip_all "aiosmtpd did not start"

# A client that sends a message, then holds the connection open without a word.
silent_client() {
    in_c $PY - "$ADDR_S" "$1" <<'PYEOF' &
import smtplib, sys, time
s = smtplib.SMTP(sys.argv[1], 25, timeout=30)
s.ehlo("client.example.org")
s.sendmail(sys.argv[2] + "@example.org", ["rcpt@example.net"], "Subject: idle\r\n\r\nbody\r\n")
time.sleep(20)
PYEOF
    PIDS="$PIDS $!"
    CLIENT_PID=$!
}

TIMEOUTS="--set flow.timeout.new=2 --set flow.timeout.established=2 --set flow.timeout.closed=1"
for n in 1 2; do
    out=$TMP/idle$n
    # shellcheck disable=SC2086
    if ! start_shrike "$out" -i "$IF_C" --workers "$n" $TIMEOUTS; then
        fail "idle, workers $n: shrike did not start: $(cat "$out/stderr")"
        continue
    fi
    silent_client "idle$n"
    # the flow ends 2 s after the last packet; its flow record is written then, and the logs
    # are flushed at the latest by the next stats record
    found=no
    for _ in $(seq 1 40); do
        grep -q '"event_type":"flow"' "$out/eve.json" 2>/dev/null && { found=yes; break; }
        sleep 0.5
    done
    kill -0 "$CLIENT_PID" 2>/dev/null && alive=yes || alive=no
    [ "$found" = yes ] && [ "$alive" = yes ] &&
        ok "idle, workers $n: the silent flow timed out and was logged while it stayed open" ||
        fail "idle, workers $n: no flow record while the session was silent (found $found, client alive $alive)"
    grep -q '"reason":"timeout"' "$out/eve.json" && ok "idle, workers $n: flow ended by timeout" ||
        fail "idle, workers $n: flow record without reason timeout"
    kill "$CLIENT_PID" 2>/dev/null
    stop_shrike
    c=$(grep -c "idle$n@example.org" "$out/smtp.log")
    [ "$c" -eq 1 ] && ok "idle, workers $n: the session logged once" ||
        fail "idle, workers $n: the session logged $c times"
done

# Several -i: the veth and lo of the client namespace, a server on each.
start_server "$NS_C" 127.0.0.1 2525 || skip_all "aiosmtpd on lo did not start"
out=$TMP/multi
if start_shrike "$out" -i "$IF_C" -i lo; then
    send_mail "$ADDR_S" 25 viaveth >/dev/null 2>&1
    send_mail 127.0.0.1 2525 vialo >/dev/null 2>&1
    stop_shrike
    for id in viaveth vialo; do
        c=$(grep -c "$id@example.org" "$out/smtp.log")
        [ "$c" -eq 1 ] && ok "multi -i: the session $id logged once" ||
            fail "multi -i: the session $id logged $c times"
    done
    grep -q '^capture.kernel_ifdrops: ' "$out/stdout" && ok "multi -i: capture.kernel_ifdrops counted" ||
        fail "multi -i: no capture.kernel_ifdrops counter"
else
    fail "multi -i: shrike did not start: $(cat "$out/stderr")"
fi
finish

# SPDX-License-Identifier: GPL-2.0-only
# Shared by the live-capture tests (afpacket.sh, live-idle.sh): two network namespaces the
# test makes, a client side and a server side joined by a veth pair, a real SMTP server
# (aiosmtpd) in the server's, and smtplib clients in the client's. Everything started is
# ended and removed on exit. Needs root and `ip netns`; skips (77) without them.
PY=/usr/bin/python3
[ "$(id -u)" -eq 0 ] || skip_all "needs root (network namespaces)"
need ip
$PY -c 'import aiosmtpd' 2>/dev/null || skip_all "python3-aiosmtpd is not installed"
NS_C=shk-c-$$
NS_S=shk-s-$$
IF_C=shkc$$
IF_S=shks$$
ADDR_C=10.251.7.1
ADDR_S=10.251.7.2
PIDS=""
netns_cleanup() {
    for p in $PIDS; do kill "$p" 2>/dev/null; done
    for p in $PIDS; do wait "$p" 2>/dev/null; done
    ip netns del "$NS_C" 2>/dev/null
    ip netns del "$NS_S" 2>/dev/null
    rm -rf "$TMP"
}
trap netns_cleanup EXIT
ip netns add "$NS_C" 2>/dev/null || skip_all "ip netns is not usable here"
ip netns add "$NS_S" || skip_all "ip netns is not usable here"
ip link add "$IF_C" netns "$NS_C" type veth peer name "$IF_S" netns "$NS_S" ||
    skip_all "cannot make a veth pair"
ip -n "$NS_C" addr add "$ADDR_C/24" dev "$IF_C"
ip -n "$NS_S" addr add "$ADDR_S/24" dev "$IF_S"
for ns in "$NS_C" "$NS_S"; do ip -n "$ns" link set lo up; done
ip -n "$NS_C" link set "$IF_C" up
ip -n "$NS_S" link set "$IF_S" up

in_c() { ip netns exec "$NS_C" "$@"; }
in_s() { ip netns exec "$NS_S" "$@"; }

# start_server NS ADDR PORT: aiosmtpd accepting and dropping every message; waits until it listens.
start_server() {
    ip netns exec "$1" $PY -m aiosmtpd -n -c aiosmtpd.handlers.Sink -l "$2:$3" \
        >"$TMP/server-$3.log" 2>&1 &
    PIDS="$PIDS $!"
    for _ in $(seq 1 50); do
        ip netns exec "$1" $PY -c "import socket,sys; socket.create_connection(('$2',$3),1)" \
            2>/dev/null && return 0
        sleep 0.2
    done
    return 1
}

# start_shrike LOGDIR ARGS...: shrike in the client namespace; waits until its capture sockets
# are open (they show in /proc/net/packet). SHRIKE_PID is its pid.
start_shrike() {
    local dir=$1
    shift
    mkdir -p "$dir"
    local before
    before=$(in_c cat /proc/net/packet | wc -l)
    ip netns exec "$NS_C" "$SHRIKE" -l "$dir" "$@" >"$dir/stdout" 2>"$dir/stderr" &
    SHRIKE_PID=$!
    PIDS="$PIDS $SHRIKE_PID"
    for _ in $(seq 1 100); do
        [ "$(in_c cat /proc/net/packet | wc -l)" -gt "$before" ] && { sleep 0.3; return 0; }
        kill -0 "$SHRIKE_PID" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}

# stop_shrike: SIGTERM, then wait (bounded) for it to log everything and exit; its status.
stop_shrike() {
    kill -TERM "$SHRIKE_PID" 2>/dev/null
    for _ in $(seq 1 100); do
        kill -0 "$SHRIKE_PID" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$SHRIKE_PID" 2>/dev/null
    wait "$SHRIKE_PID"
}

# send_mail ADDR PORT ID: one session from the client namespace with MAIL FROM <ID@example.org>.
send_mail() {
    in_c $PY - "$1" "$2" "$3" <<'PYEOF'
import smtplib, sys
host, port, ident = sys.argv[1], int(sys.argv[2]), sys.argv[3]
with smtplib.SMTP(host, port, timeout=10) as s:
    s.ehlo("client.example.org")
    s.sendmail(ident + "@example.org", ["rcpt@example.net"],
               "From: " + ident + "@example.org\r\nSubject: " + ident + "\r\n\r\n" +
               ("line of the body of " + ident + "\r\n") * 200)
PYEOF
}

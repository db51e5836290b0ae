#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# --user/--group: shrike gives up root once its input, logs and socket are open. It reads a
# capture through a FIFO (so it keeps running while this script looks at it): its real,
# effective and saved ids and its groups must all be nobody's, the logs it opened as root
# keep being written, a SIGHUP after the logs were moved makes new ones (as nobody), and the
# run ends with status 0. An unknown user is an error before any packet.
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || skip_all "needs root (to drop privileges)"
uid=$(id -u nobody 2>/dev/null) || skip_all "no user nobody"
gid=$(getent group nogroup | cut -d: -f3)
[ -n "$gid" ] || skip_all "no group nogroup"

"$SHRIKE" -r "$PCAPS/smtp-basic.pcap" -l "$TMP" --user no-such-user-here -q 2>"$TMP/err"
rc=$?
[ $rc -eq 1 ] && grep -q "no such user 'no-such-user-here'" "$TMP/err" &&
    ok "an unknown user is refused (exit 1)" || fail "unknown user: exit $rc: $(cat "$TMP/err")"

LOGS=$TMP/logs
mkdir -p "$LOGS"
chmod 755 "$TMP"
chown nobody "$LOGS"
mkfifo "$TMP/in"
"$SHRIKE" -r "$TMP/in" -l "$LOGS" --user nobody --group nogroup --pidfile "$TMP/pid" \
    >"$TMP/out" 2>"$TMP/err" &
pid=$!
exec 3>"$TMP/in"
cat "$PCAPS/smtp-basic.pcap" >&3
for _ in $(seq 100); do
    grep -q "^Uid:[[:space:]]*$uid[[:space:]]" "/proc/$pid/status" 2>/dev/null && break
    sleep 0.1
done
st=$(cat "/proc/$pid/status" 2>/dev/null)
printf '%s\n' "$st" | grep -Eq "^Uid:[[:space:]]+$uid[[:space:]]+$uid[[:space:]]+$uid[[:space:]]+$uid$" &&
    ok "real, effective, saved and fs uid are nobody's ($uid)" ||
    fail "uids: $(printf '%s\n' "$st" | grep ^Uid)"
printf '%s\n' "$st" | grep -Eq "^Gid:[[:space:]]+$gid[[:space:]]+$gid[[:space:]]+$gid[[:space:]]+$gid$" &&
    ok "every gid is nogroup's ($gid)" || fail "gids: $(printf '%s\n' "$st" | grep ^Gid)"
printf '%s\n' "$st" | grep -Eq "^Groups:[[:space:]]*$gid[[:space:]]*$" &&
    ok "no supplementary group but nogroup" || fail "groups: $(printf '%s\n' "$st" | grep ^Groups)"
[ "$(stat -c %U "$LOGS/eve.json")" = root ] && ok "the logs were opened as root" ||
    fail "eve.json owner: $(stat -c %U "$LOGS/eve.json")"
for f in eve.json events.json fast.log smtp.log; do mv "$LOGS/$f" "$LOGS/$f.1"; done
kill -HUP "$pid"
for _ in $(seq 50); do [ -e "$LOGS/eve.json" ] && break; sleep 0.1; done
[ "$(stat -c %U "$LOGS/eve.json" 2>/dev/null)" = nobody ] &&
    ok "SIGHUP reopened eve.json as nobody" || fail "no eve.json after SIGHUP: $(cat "$TMP/err")"
exec 3>&-
wait "$pid"
rc=$?
[ $rc -eq 0 ] && ok "the run ended with status 0" || fail "exit $rc: $(cat "$TMP/err")"
n=$(cat "$LOGS"/eve.json* | grep -c '"event_type":"smtp"')
[ "$n" -eq 1 ] && ok "the session's smtp record written once across the rotation" ||
    fail "$n smtp records"
finish

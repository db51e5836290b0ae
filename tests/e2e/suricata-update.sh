#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Rule management with suricata-update (Debian's package), offline: a file:// source made
# here from the project's rules (a tar.gz, as rule vendors ship them), merged into
# suricata.rules, tested with `shrike -T -S "$OUTPUT_FILENAME"` and, on a change, reloaded in a
# running shrike through shrikectl (reload-rules) or SIGUSR2. Checks that the merged file
# loads unchanged (the same rules, the same alerts as the source files), that a source with a
# rule shrike rejects fails the test command so the previous suricata.rules stays and nothing
# is reloaded, and that both reload commands give the running shrike the new rules.
. "$(dirname "$0")/lib.sh"
need suricata-update
need socat
CTL=$(dirname "$SHRIKE")/shrikectl
[ -x "$CTL" ] || skip_all "shrikectl is not built"
SHRIKE=$(cd "$(dirname "$SHRIKE")" && pwd)/$(basename "$SHRIKE") # the test command has no PATH
CONF=$TOP_SRCDIR/shrike.yaml
SRC=$TMP/src
OUT=$TMP/out
mkdir -p "$SRC/rules" "$OUT"
touch "$TMP/update.yaml"
cp "$TOP_SRCDIR/rules/shrike.rules" "$TOP_SRCDIR/rules/smtp-events.rules" "$SRC/rules/"
pack() { tar czf "$TMP/rules.tar.gz" -C "$SRC" rules; }
# No network: a private network namespace when one can be made (the source is a file anyway).
isolate=""
if unshare -n true 2>/dev/null; then isolate="unshare -n"; elif unshare -rn true 2>/dev/null; then isolate="unshare -rn"; fi
update() { # update RELOAD-COMMAND: one suricata-update run; its output in $TMP/update.out
    local reload=(--no-reload)
    [ -n "$1" ] && reload=(--reload-command "$1")
    $isolate suricata-update -D "$TMP/data" -c "$TMP/update.yaml" \
        --suricata-conf "$TMP/no-suricata.yaml" --suricata /bin/true --suricata-version 6.0.0 \
        --url "file://$TMP/rules.tar.gz" -o "$OUT" --force \
        --test-command "$SHRIKE -c $CONF -T -S \"\$OUTPUT_FILENAME\"" "${reload[@]}" \
        >"$TMP/update.out" 2>&1
}
loaded() { "$SHRIKE" -c "$CONF" -T -S "$1" 2>/dev/null | sed -n 's/^configuration and \([0-9]*\) rules: ok$/\1/p'; }

pack
update "" && ok "suricata-update merged the source and shrike -T accepted it" ||
    { fail "suricata-update: $(tail -5 "$TMP/update.out")"; finish; }
grep -q "Testing Suricata configuration with: $SHRIKE" "$TMP/update.out" &&
    ok "the test command was shrike -T" || fail "no test command run"
want=$(cat "$SRC"/rules/*.rules | grep -c '^alert')
n=$(loaded "$OUT/suricata.rules")
[ "$n" = "$want" ] && ok "suricata.rules loads unchanged: $n rules, none failed" ||
    fail "suricata.rules: '$n' rules loaded, want $want"
for p in rules-attach rules-headers rules-abuse; do
    mkdir -p "$TMP/a-$p" "$TMP/b-$p"
    "$SHRIKE" -c "$CONF" -q -r "$PCAPS/$p.pcap" -S "$OUT/suricata.rules" -l "$TMP/a-$p"
    "$SHRIKE" -c "$CONF" -q -r "$PCAPS/$p.pcap" -S "$SRC/rules/shrike.rules" \
        -S "$SRC/rules/smtp-events.rules" -l "$TMP/b-$p"
    if [ -s "$TMP/a-$p/fast.log" ] && cmp -s "$TMP/a-$p/fast.log" "$TMP/b-$p/fast.log"; then
        ok "$p: the same $(wc -l <"$TMP/a-$p/fast.log") alerts from suricata.rules as from the sources"
    else
        fail "$p: alerts differ between suricata.rules and the source files"
    fi
done

# a running shrike (reading a FIFO, so it waits) on the merged file, with a control socket
SOCK=$TMP/ctl.sock
mkfifo "$TMP/in"
"$SHRIKE" -c "$CONF" -r "$TMP/in" -S "$OUT/suricata.rules" -l "$TMP" -q \
    --set unix-command.enabled=yes --set unix-command.filename="$SOCK" 2>"$TMP/shrike.err" &
pid=$!
exec 3>"$TMP/in"
cat "$PCAPS/smtp-basic.pcap" >&3
for _ in $(seq 100); do [ -S "$SOCK" ] && break; sleep 0.1; done
[ -S "$SOCK" ] || { fail "shrike did not open its socket: $(cat "$TMP/shrike.err")"; finish; }

echo 'alert smtp any any -> any any (msg:"added upstream"; email.subject; content:"upstream"; sid:9000001; rev:1;)' >>"$SRC/rules/shrike.rules"
pack
update "$CTL -s $SOCK reload-rules" && grep -q "Running $CTL" "$TMP/update.out" &&
    ok "a changed source: tested, then --reload-command shrikectl reload-rules" ||
    fail "update with shrikectl: $(tail -5 "$TMP/update.out")"
for _ in $(seq 50); do grep -q "rules reloaded: $((want + 1)) rules loaded" "$TMP/shrike.err" && break; sleep 0.1; done
grep -q "rules reloaded: $((want + 1)) rules loaded" "$TMP/shrike.err" &&
    ok "the running shrike has $((want + 1)) rules" || fail "no reload: $(cat "$TMP/shrike.err")"

echo 'alert smtp any any -> any any (msg:"shrike rejects this"; smtp.no_such_buffer; content:"x"; sid:9000002; rev:1;)' >>"$SRC/rules/shrike.rules"
pack
if update "$CTL -s $SOCK reload-rules"; then
    fail "suricata-update accepted a rule shrike rejects"
else
    ok "a rule shrike rejects fails the test command"
fi
n=$(loaded "$OUT/suricata.rules")
[ "$n" = "$((want + 1))" ] && ok "the previous suricata.rules stays ($n rules)" ||
    fail "suricata.rules after a failed test: '$n' rules"
[ "$(grep -c 'rules reloaded' "$TMP/shrike.err")" = 1 ] && ok "nothing reloaded after the failed test" ||
    fail "a reload ran after the failed test"

sed -i '$d' "$SRC/rules/shrike.rules"
echo 'alert smtp any any -> any any (msg:"added upstream, again"; email.subject; content:"again"; sid:9000003; rev:1;)' >>"$SRC/rules/shrike.rules"
pack
update "kill -USR2 $pid" && ok "--reload-command kill -USR2" || fail "update with SIGUSR2: $(tail -5 "$TMP/update.out")"
for _ in $(seq 50); do grep -q "rules reloaded: $((want + 2)) rules loaded" "$TMP/shrike.err" && break; sleep 0.1; done
grep -q "rules reloaded: $((want + 2)) rules loaded" "$TMP/shrike.err" &&
    ok "SIGUSR2 gave the running shrike $((want + 2)) rules" || fail "no reload on SIGUSR2: $(cat "$TMP/shrike.err")"
exec 3>&-
wait "$pid"
rc=$?
[ $rc -eq 0 ] && ok "shrike ended with status 0" || fail "shrike exit $rc"
finish

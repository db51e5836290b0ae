#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# make install into a DESTDIR: the binary, shrikectl, shrike.yaml with the installed paths,
# the bundled rules with classification.config and reference.config, the man page, the
# systemd unit (hardened) and the logrotate snippet. Then the installed binary runs on a
# capture with no -c: in a private mount namespace (unshare) the DESTDIR's etc and share
# folders are mounted over the real ones, so it finds its configuration and rules where it
# was built to look, and must alert with the bundled rules.
. "$(dirname "$0")/lib.sh"
BUILD=$(cd "$(dirname "$SHRIKE")" && pwd)
[ -f "$BUILD/Makefile" ] || skip_all "no Makefile beside $SHRIKE"
need unshare
var() { sed -n "s|^$1 = ||p" "$BUILD/Makefile" | head -1; }
prefix=$(var prefix)
DEST=$TMP/dest
make -s -C "$BUILD" install DESTDIR="$DEST" >"$TMP/install.out" 2>&1 ||
    { fail "make install: $(tail -5 "$TMP/install.out")"; finish; }
# the installation's folders, expanded as make does (configure writes them in terms of each
# other: ${prefix}/etc, $(datarootdir)/man)
var() { sed -n "s|^$1 = ||p" "$BUILD/Makefile" | head -1 | sed 's/\$(\([a-z_]*\))/${\1}/g'; }
for v in exec_prefix bindir sysconfdir datarootdir datadir mandir localstatedir; do
    eval "$v=\"$(var $v)\""
done
pkgdatadir=$datadir/shrike
[ -n "$datadir" ] || { fail "cannot read the installation folders"; finish; }

for f in "$bindir/shrike" "$bindir/shrikectl" "$sysconfdir/shrike/shrike.yaml" \
    "$pkgdatadir/rules/shrike.rules" "$pkgdatadir/rules/smtp-events.rules" \
    "$pkgdatadir/rules/classification.config" "$pkgdatadir/rules/reference.config" \
    "$mandir/man8/shrike.8" "$prefix/lib/systemd/system/shrike@.service" \
    "$sysconfdir/logrotate.d/shrike"; do
    [ -s "$DEST$f" ] && ok "installed $f" || fail "missing $f"
done
[ -d "$DEST$localstatedir/log/shrike" ] && ok "log folder made" || fail "no $localstatedir/log/shrike"
grep -q "^default-rule-path: $pkgdatadir/rules$" "$DEST$sysconfdir/shrike/shrike.yaml" &&
    ok "installed shrike.yaml points at the installed rules" || fail "shrike.yaml rule path"
unit=$DEST$prefix/lib/systemd/system/shrike@.service
for want in "Restart=on-failure" "NoNewPrivileges=yes" "ProtectSystem=strict" \
    "CapabilityBoundingSet=CAP_NET_RAW CAP_NET_ADMIN" "ReadWritePaths=$localstatedir/log/shrike" \
    "ExecStart=$bindir/shrike " "ExecReload=/bin/kill -USR2"; do
    grep -qF "$want" "$unit" && ok "unit: $want" || fail "unit lacks '$want'"
done
grep -q "kill -HUP" "$DEST$sysconfdir/logrotate.d/shrike" && ok "logrotate sends SIGHUP" ||
    fail "logrotate snippet without SIGHUP"
if command -v man >/dev/null 2>&1; then
    page=$(MANWIDTH=100 man -l "$DEST$mandir/man8/shrike.8" 2>/dev/null)
    for opt in --user --pidfile SIGUSR2 SIGHUP reload-rules "$sysconfdir/shrike/shrike.yaml"; do
        printf '%s' "$page" | grep -q -- "$opt" && ok "man page: $opt" || fail "man page lacks $opt"
    done
fi

# no -c: the installed configuration and rules, found through the compiled-in paths
mnt="mount --bind '$DEST$sysconfdir' '$sysconfdir' && mount --bind '$DEST$datadir' '$datadir'"
run() { unshare -m sh -c "$mnt && exec \"\$@\"" sh "$@" 2>/dev/null ||
    unshare -rm sh -c "$mnt && exec \"\$@\"" sh "$@"; }
[ "$failed" -eq 0 ] || finish # what failed above is not hidden by a skip below
[ -d "$sysconfdir" ] && [ -d "$datadir" ] || skip_all "$sysconfdir or $datadir does not exist here"
out=$(run "$DEST$bindir/shrike" -T 2>&1)
printf '%s' "$out" | grep -q "configuration and [1-9][0-9]* rules: ok" &&
    ok "installed shrike -T with no -c: $(printf '%s' "$out" | tail -1)" ||
    { [ -z "$out" ] && skip_all "cannot make a mount namespace"; fail "shrike -T: $out"; }
mkdir -p "$TMP/logs"
run "$DEST$bindir/shrike" -r "$PCAPS/rules-attach.pcap" -l "$TMP/logs" -q >"$TMP/run.out" 2>&1
rc=$?
n=$(grep -c '"event_type":"alert"' "$TMP/logs/eve.json" 2>/dev/null)
[ $rc -eq 0 ] && [ "${n:-0}" -gt 0 ] && ok "installed shrike with no -c: $n alerts from the bundled rules" ||
    fail "installed run: exit $rc, ${n:-0} alerts: $(cat "$TMP/run.out")"
grep -q '"category":"[A-Z]' "$TMP/logs/eve.json" && ok "classtypes from the installed classification.config" ||
    fail "no alert category: classification.config not found"
make -s -C "$BUILD" uninstall DESTDIR="$DEST" >/dev/null 2>&1
left=$(find "$DEST" -type f | head -3)
[ -z "$left" ] && ok "make uninstall removes every file" || fail "left after uninstall: $left"
finish

#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# bench/run still works end to end on a small scale: a 3 MB corpus, 1,000 rules, one run of
# each configuration with 1 and 2 workers. The table must print and the planted rules must
# alert exactly once per marked flow each (bench/run exits non-zero otherwise). No speed is
# judged here.
. "$(dirname "$0")/lib.sh"
need python3
[ -x /usr/bin/time ] || skip_all "/usr/bin/time is not installed"
build=$(dirname "$SHRIKE")
[ -x "$build/bench/pcap_floor" ] || skip_all "no bench/pcap_floor in $build"
if ! python3 "$TOP_SRCDIR/bench/run" --no-build --build "$build" --data "$TMP" --size 3 --runs 1 \
    --rules 1000 --workers 1,2 >"$TMP/table" 2>"$TMP/err"; then
    fail "bench/run failed: $(tail -c 600 "$TMP/err")"
    finish
fi
cat "$TMP/table"
grep -q '^| libpcap floor |' "$TMP/table" && ok "the floor row prints" || fail "no floor row"
rows=$(grep -c '^| 1000 rules |' "$TMP/table")
[ "$rows" = 2 ] && ok "two 1000-rule rows (1 and 2 workers)" || fail "$rows 1000-rule rows"
if grep '^| 1000 rules |' "$TMP/table" | grep -q MISMATCH; then
    fail "planted alerts do not match"
else
    ok "alerts of the planted rules == planted"
fi
grep -q '^| MIME decoding' "$TMP/table" && ok "the stage rows print" || fail "no stage rows"
finish

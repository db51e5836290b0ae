#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# shrike explain --sid N: for every transaction or stream where rule N's buffers were
# inspected, whether it was a prefilter candidate and each condition in order, matched or
# FAILED, with the offset and bytes where a content stopped (docs/rules.md, "Why did my rule
# (not) fire"). The verdicts agree with the alerts of a normal run.
. "$(dirname "$0")/lib.sh"
cap=$PCAPS/smtp-basic.pcap
rules=$TOP_SRCDIR/tests/data/explain/explain.rules
mkdir "$TMP/cwd"
explain() { # run in an empty folder: explain must write no log file there
    (cd "$TMP/cwd" && "$SHRIKE" explain --sid "$1" -r "$cap" -S "$rules" >"$TMP/$1.out" 2>"$TMP/$1.err")
}
has() { # SID TEXT
    if grep -qF -- "$2" "$TMP/$1.out"; then ok "sid $1: $2"; else
        fail "sid $1: no '$2' in: $(cat "$TMP/$1.out" "$TMP/$1.err")"; fi
}
"$SHRIKE" -q -r "$cap" -S "$rules" -l "$TMP/run" >/dev/null 2>&1
alerted=$(sed -n 's/.*\[1:\([0-9]*\):[0-9]*\].*/\1/p' "$TMP/run/fast.log" | sort -u | tr '\n' ' ')
[ "$alerted" = "9100001 " ] && ok "a normal run alerts sid 9100001 only" || fail "alerts: $alerted"

explain 9100001
has 9100001 'content:"SHRIKE-MARKER-BASIC"; distance:0: matched'
has 9100001 "every condition held in 1"
has 9100001 "summary: sid 9100001 inspected in 1 transaction or stream, a candidate in 1, every condition held in 1"

explain 9100002
has 9100002 'prefilter: candidate (fast pattern "Hello" in smtp.data seen)'
has 9100002 'content:"Hello": matched'
has 9100002 'content:"Carol"; within:20: FAILED after offset 254'
has 9100002 'Hello Bob,|0D 0A 0D 0A|This body'
has 9100002 "every condition held in 0"

explain 9100003
has 9100003 'prefilter: NOT a candidate (fast pattern "mallory" in smtp.mail_from not seen)'
has 9100003 'bytes 0..26: "<alice@client.shrike.test>"'

explain 9100004
has 9100004 "flow: FAILED"
has 9100004 'content:"Hello Bob": matched'
has 9100004 "result: no match"

"$SHRIKE" explain --sid 1234 -r "$cap" -S "$rules" >/dev/null 2>"$TMP/none.err"
rc=$?
[ $rc -eq 1 ] && grep -q 'no rule with sid 1234' "$TMP/none.err" && ok "unknown sid: exit 1 and why" \
    || fail "unknown sid: exit $rc, $(cat "$TMP/none.err")"
"$SHRIKE" explain -r "$cap" -S "$rules" >/dev/null 2>"$TMP/nosid.err"
[ $? -eq 2 ] && grep -q 'needs --sid' "$TMP/nosid.err" && ok "no --sid: usage error" \
    || fail "no --sid: $(cat "$TMP/nosid.err")"
[ -z "$(ls -A "$TMP/cwd")" ] && ok "explain writes no log files" \
    || fail "explain wrote: $(ls "$TMP/cwd")"
finish

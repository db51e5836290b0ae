#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Log files that cannot be written: a full disk (/dev/full, and a small tmpfs), a pipe whose
# reader went away. Each is reported once on stderr with the file and the system's reason,
# counted (output.<name>.errors), the run ends with exit status 3, and every file that has
# data ends with a whole record. On the tmpfs, writing resumes once space is freed.
. "$(dirname "$0")/lib.sh"
need jq
sample=$PCAPS/sample.pcap # 28 alerts
demo=$PCAPS/smtp-demo.pcap
[ -f "$sample" ] && [ -f "$demo" ] || skip_all "no $sample or $demo"

# every line of a JSON log is a whole JSON record, and the file ends with a newline
whole_json() {
    [ ! -s "$1" ] && return 0
    [ "$(tail -c 1 "$1" | od -An -c | tr -d ' ')" = '\n' ] || return 1
    jq -c . "$1" >/dev/null 2>&1
}
whole_text() { [ ! -s "$1" ] || [ "$(tail -c 1 "$1" | od -An -c | tr -d ' ')" = '\n' ]; }

# /dev/full: every write fails with ENOSPC
d=$TMP/full
mkdir -p "$d"
ln -s /dev/full "$d/eve.json"
"$SHRIKE" -c "$TOP_SRCDIR/shrike.yaml" -l "$d" -r "$sample" >"$TMP/full.out" 2>"$TMP/full.err"
rc=$?
n_msg=$(grep -c "cannot write '$d/eve.json': No space left on device" "$TMP/full.err")
lost=$(sed -n 's/^output\.eve\.errors: //p' "$TMP/full.out")
alerts=$(grep -c . "$d/fast.log")
if [ "$rc" -eq 3 ] && [ "$n_msg" -eq 1 ] && [ "${lost:-0}" -gt 0 ] && [ "$alerts" -eq 28 ]; then
    ok "/dev/full: exit 3, reported once, output.eve.errors $lost, fast.log still has 28 alerts"
else
    fail "/dev/full: exit $rc, $n_msg messages, output.eve.errors '${lost:-}', $alerts alerts; $(cat "$TMP/full.err")"
fi

# A pipe whose reader exits after 1000 bytes: EPIPE, not a SIGPIPE death
d=$TMP/pipe
mkdir -p "$d"
mkfifo "$d/eve.json"
head -c 1000 "$d/eve.json" >/dev/null &
reader=$!
"$SHRIKE" -c "$TOP_SRCDIR/shrike.yaml" -l "$d" -r "$sample" >"$TMP/pipe.out" 2>"$TMP/pipe.err"
rc=$?
wait "$reader"
n_msg=$(grep -c "cannot write '$d/eve.json': Broken pipe" "$TMP/pipe.err")
if [ "$rc" -eq 3 ] && [ "$n_msg" -eq 1 ] && grep -q '^output\.eve\.errors: [1-9]' "$TMP/pipe.out" &&
    [ "$(grep -c . "$d/fast.log")" -eq 28 ]; then
    ok "closed pipe: exit 3, reported once, counted, the other logs complete"
else
    fail "closed pipe: exit $rc, $n_msg messages; $(cat "$TMP/pipe.err")"
fi

mnt=$TMP/mnt
mkdir -p "$mnt"
if ! mount -t tmpfs -o size=64k tmpfs "$mnt" 2>/dev/null; then
    echo "tmpfs cannot be mounted here: the full-disk cases are skipped"
    finish
fi
trap 'umount "$mnt" 2>/dev/null; rm -rf "$TMP"' EXIT

# A 64 KiB disk: 265 KB of logs do not fit
"$SHRIKE" -c "$TOP_SRCDIR/shrike.yaml" -l "$mnt" -r "$sample" >"$TMP/t1.out" 2>"$TMP/t1.err"
rc=$?
bad=""
for f in eve.json events.json; do whole_json "$mnt/$f" || bad="$bad $f"; done
for f in fast.log smtp.log; do whole_text "$mnt/$f" || bad="$bad $f"; done
n_msg=$(grep -c "cannot write '$mnt/[a-z.]*': No space left on device" "$TMP/t1.err")
n_files=$(grep -o "cannot write '$mnt/[a-z.]*'" "$TMP/t1.err" | sort -u | wc -l)
if [ "$rc" -eq 3 ] && [ -z "$bad" ] && [ "$n_msg" -ge 1 ] && [ "$n_msg" -eq "$n_files" ] &&
    grep -q '^output\.[a-z]*\.errors: [1-9]' "$TMP/t1.out"; then
    ok "64 KiB tmpfs: exit 3, one message per file ($n_msg), every log ends with a whole record"
else
    fail "64 KiB tmpfs: exit $rc, bad endings:$bad, $n_msg messages for $n_files files; $(cat "$TMP/t1.err")"
fi
rm -f "$mnt"/*
umount "$mnt"

# Fill the disk, then free space: later records are written, whole. The capture comes
# through a FIFO so that space is freed while shrike runs: sample.pcap, then (once the
# write error is reported) the packets of smtp-demo.pcap.
mount -t tmpfs -o size=1m tmpfs "$mnt" || { fail "cannot mount again"; finish; }
mkdir "$mnt/logs"
head -c 900k /dev/zero >"$mnt/filler"
mkfifo "$TMP/in.pcap"
exec 3<>"$TMP/in.pcap"
"$SHRIKE" -c "$TOP_SRCDIR/shrike.yaml" -l "$mnt/logs" -r "$TMP/in.pcap" >"$TMP/t2.out" \
    2>"$TMP/t2.err" 3>&- &
pid=$!
cat "$sample" >&3
for _ in $(seq 100); do # bounded: 10 s
    grep -q "cannot write" "$TMP/t2.err" && break
    sleep 0.1
done
rm -f "$mnt/filler"
tail -c +25 "$demo" >&3
exec 3>&-
wait "$pid"
rc=$?
demo_src=$(jq -r 'select(.event_type=="smtp") | .src_ip' <("$SHRIKE" -q -c "$TOP_SRCDIR/shrike.yaml" \
    -l "$TMP/ref" -r "$demo" >/dev/null; cat "$TMP/ref/eve.json") | head -1)
later=$(jq -c --arg ip "$demo_src" 'select(.event_type=="smtp" and .src_ip==$ip)' \
    "$mnt/logs/eve.json" 2>/dev/null | wc -l)
bad=""
for f in eve.json events.json; do whole_json "$mnt/logs/$f" || bad="$bad $f"; done
for f in fast.log smtp.log; do whole_text "$mnt/logs/$f" || bad="$bad $f"; done
if grep -q "cannot write" "$TMP/t2.err" && grep -q "writing '$mnt/logs/[a-z.]*' again" "$TMP/t2.err" &&
    [ "$later" -gt 0 ] && [ -z "$bad" ] && { [ "$rc" -eq 0 ] || [ "$rc" -eq 3 ]; } &&
    { [ "$rc" -eq 3 ] || ! grep -q '^output\.[a-z]*\.errors: [1-9]' "$TMP/t2.out"; }; then
    # exit 0 when the buffer held everything until space returned, else 3
    ok "space freed mid-run: writing resumed ($later later transactions of $demo_src), every log whole, exit $rc"
else
    fail "space freed mid-run: exit $rc, $later later transactions, bad endings:$bad; $(cat "$TMP/t2.err")"
fi
rm -rf "$mnt"/*
umount "$mnt"
finish

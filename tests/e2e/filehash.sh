#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# filemd5 / filesha1 / filesha256 on tests/pcaps/smtp-attach.pcap, whose first message
# carries tests/tools/data/shrike-pixel.png (swaks --attach -> postfix). The lists are the
# md5sum/sha1sum/sha256sum output of that file: a rule whose list holds the hash alerts once
# (its alert's files carry the pixel with that md5), the negated rule on the same file does
# not, the negated one on the other attachment does, a list without the hash does not; a
# list under default-rule-path is found; a missing list and a list with a bad line are
# reported at FILE:LINE:COL while the other rules load; with the detection path and the
# reference matcher. With mime.hash-files off, a filemd5 rule still makes Shrike compute the
# MD5 (and only it) of every file. shrike -T fails on the bad lists and passes without them.
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
[ -x $PY ] || skip_all "python3 missing"
need md5sum
need sha1sum
need sha256sum
pcap=$PCAPS/smtp-attach.pcap
png=$TOP_SRCDIR/tests/tools/data/shrike-pixel.png
dir=$TMP/rules
drp=$TMP/default-rule-path
mkdir -p "$dir" "$drp"

{ echo "# the pixel"; echo; md5sum "$png"; } >"$dir/pixel.md5"
sha1sum "$png" >"$dir/pixel.sha1"
sha256sum "$png" >"$dir/pixel.sha256"
md5sum "$png" >"$drp/pixel-default.md5"
echo "d41d8cd98f00b204e9800998ecf8427e  empty" >"$dir/other.md5"
printf '# bad\n\nd41d8cd98f00b204e9800998ecf8427  short\n' >"$dir/bad.md5"
md5=$(md5sum "$png" | cut -d' ' -f1)

rules=$dir/filehash.rules
cat >"$rules" <<'EOF'
alert smtp any any -> any any (msg:"md5 in list"; filemd5:pixel.md5; sid:9301; rev:1;)
alert smtp any any -> any any (msg:"md5 not in list, pixel"; file.name; content:"shrike-pixel.png"; filemd5:!pixel.md5; sid:9302; rev:1;)
alert smtp any any -> any any (msg:"md5 not in list, note"; file.name; content:"shrike-note.txt"; filemd5:!pixel.md5; sid:9303; rev:1;)
alert smtp any any -> any any (msg:"list without the md5"; filemd5:other.md5; sid:9304; rev:1;)
alert smtp any any -> any any (msg:"sha1 in list"; filesha1:pixel.sha1; sid:9305; rev:1;)
alert smtp any any -> any any (msg:"sha256 in list"; filesha256:pixel.sha256; sid:9306; rev:1;)
alert smtp any any -> any any (msg:"missing list"; filemd5:missing.md5; sid:9307; rev:1;)
alert smtp any any -> any any (msg:"bad list"; filemd5:bad.md5; sid:9308; rev:1;)
alert smtp any any -> any any (msg:"under default-rule-path"; filemd5:pixel-default.md5; sid:9309; rev:1;)
EOF
want="9301=1 9302=0 9303=1 9304=0 9305=1 9306=1 9307=0 9308=0 9309=1"
opts=(--set rule-files= --set mime.hash-files=no --set "default-rule-path=$drp")

for mode in "" --detect-reference; do
    logs=$TMP/logs$mode
    # shellcheck disable=SC2086
    "$SHRIKE" -q -l "$logs" -r "$pcap" -S "$rules" "${opts[@]}" $mode 2>"$TMP/err"
    rc=$?
    [ $rc -eq 0 ] && ok "${mode:-detect}: shrike ran with two bad rules" ||
        fail "${mode:-detect}: shrike exit $rc: $(cat "$TMP/err")"
    grep -q "filehash.rules:7:60: sid 9307: cannot open hash list 'missing.md5': No such file or directory (looked for '$drp/missing.md5' and '$dir/missing.md5')" "$TMP/err" &&
        ok "${mode:-detect}: missing list reported at 7:60" ||
        fail "${mode:-detect}: no diagnostic for the missing list: $(cat "$TMP/err")"
    grep -q "filehash.rules:8:56: sid 9308: hash list '$dir/bad.md5' line 3: 'd41d8cd98f00b204e9800998ecf8427' is 31 hex digits, an md5 hash has 32" "$TMP/err" &&
        ok "${mode:-detect}: bad list line reported at 8:56" ||
        fail "${mode:-detect}: no diagnostic for the bad list: $(cat "$TMP/err")"
    if why=$($PY - "$logs/eve.json" "$want" "$md5" <<'EOF'
import json, sys
eve, want, md5 = sys.argv[1:]
recs = [json.loads(l) for l in open(eve)]
alerts = [r for r in recs if r["event_type"] == "alert"]
bad = []
for kv in want.split():
    sid, n = map(int, kv.split("="))
    got = sum(1 for a in alerts if a["alert"]["signature_id"] == sid)
    if got != n:
        bad.append("sid %d: %d alerts, want %d" % (sid, got, n))
for a in alerts:
    if a["alert"]["signature_id"] == 9301:
        px = [f for f in a.get("files", []) if f["filename"] == "shrike-pixel.png"]
        if len(px) != 1 or px[0].get("md5") != md5 or px[0]["state"] != "CLOSED":
            bad.append("alert 9301 files lack the pixel with md5 %s: %s" % (md5, a.get("files")))
        if "tx_id" not in a:
            bad.append("alert 9301 has no tx_id")
if bad:
    sys.exit("; ".join(bad))
EOF
    ); then
        ok "${mode:-detect}: alerts $want, the pixel's fileinfo in the alert"
    else
        fail "${mode:-detect}: $why"
    fi
done

# force-hash: with mime.hash-files off, only the digests the rules need are computed
digests() { # eve.json -> the pixel's digest names
    $PY -c 'import json,sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r["event_type"] == "fileinfo" and r["fileinfo"]["filename"] == "shrike-pixel.png":
        print(",".join(k for k in ("md5", "sha1", "sha256") if k in r["fileinfo"]))' "$1"
}
sed -n 1p "$rules" >"$dir/md5-only.rules"
"$SHRIKE" -q -l "$TMP/force" -r "$pcap" -S "$dir/md5-only.rules" "${opts[@]}" 2>"$TMP/err"
got=$(digests "$TMP/force/eve.json")
[ "$got" = md5 ] && ok "a filemd5 rule forces the md5 only" ||
    fail "with a filemd5 rule and hash-files off the pixel has digests '$got', want md5"
"$SHRIKE" -q -l "$TMP/none" -r "$pcap" "${opts[@]}" 2>"$TMP/err"
got=$(digests "$TMP/none/eve.json")
[ -z "$got" ] && ok "without such rules hash-files off computes none" ||
    fail "hash-files off and no rules: digests '$got'"

# -T reads the lists
"$SHRIKE" -T -S "$rules" "${opts[@]}" >"$TMP/t.out" 2>&1
rc=$?
[ $rc -eq 1 ] && grep -q "filehash.rules:8:56: sid 9308: hash list" "$TMP/t.out" &&
    ok "-T: bad lists fail the test (exit 1)" || fail "-T exit $rc: $(cat "$TMP/t.out")"
grep -v 'sid:930[78];' "$rules" >"$dir/good.rules"
"$SHRIKE" -T -S "$dir/good.rules" "${opts[@]}" >"$TMP/t.out" 2>&1
rc=$?
[ $rc -eq 0 ] && ok "-T: good lists pass (exit 0)" || fail "-T exit $rc: $(cat "$TMP/t.out")"
finish

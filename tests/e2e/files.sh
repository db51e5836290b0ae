#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Attachments sent through a real MTA (tests/pcaps/README.md: smtp-attach.pcap and
# smtp-demo.pcap carry tests/tools/data/shrike-note.txt and shrike-pixel.png, attached by
# swaks): each is reported once, in an EVE fileinfo record with its name (the text bodies are
# nameless files too, mime.body-files) and in email.attachment of its
# transaction's smtp record, with its name, size and the MD5/SHA-1/SHA-256 that
# md5sum/sha1sum/sha256sum give for the source file and the magic `file -b` gives; and the filestore writes each, named by
# its SHA-256, with the same bytes.
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
[ -x $PY ] || skip_all "python3 missing"
command -v file >/dev/null || skip_all "file(1) missing"
data=$TOP_SRCDIR/tests/tools/data
files=(shrike-note.txt shrike-pixel.png)

for pcap in smtp-attach.pcap smtp-demo.pcap; do
    logs=$TMP/$pcap
    store=$logs/filestore
    mkdir -p "$store"
    if ! "$SHRIKE" -q -l "$logs" -r "$PCAPS/$pcap" --set rule-files= --set mime.file-magic=yes \
        --set filestore.enabled=yes --set "filestore.dir=$store" 2>"$TMP/err"; then
        fail "$pcap: shrike failed: $(cat "$TMP/err")"
        continue
    fi
    # the text bodies are files too (mime.body-files), without a name
    n=$($PY -c 'import json,sys
print(sum(1 for l in open(sys.argv[1]) if json.loads(l)["event_type"] == "fileinfo"
          and json.loads(l)["fileinfo"]["filename"]))' "$logs/eve.json")
    [ "$n" -eq ${#files[@]} ] && ok "$pcap: $n named fileinfo records" ||
        fail "$pcap: $n named fileinfo records, want ${#files[@]}"
    for f in "${files[@]}"; do
        src=$data/$f
        size=$(stat -c %s "$src")
        md5=$(md5sum "$src" | cut -d' ' -f1)
        sha1=$(sha1sum "$src" | cut -d' ' -f1)
        sha256=$(sha256sum "$src" | cut -d' ' -f1)
        magic=$(file -b "$src")
        # One fileinfo record with these values, and the smtp record of the same flow and
        # transaction naming the file in email.attachment.
        if why=$($PY - "$logs/eve.json" "$f" "$size" "$md5" "$sha1" "$sha256" "$magic" <<'EOF'
import json, sys
eve, name, size, md5, sha1, sha256, magic = sys.argv[1:]
recs = [json.loads(l) for l in open(eve)]
fis = [r for r in recs if r["event_type"] == "fileinfo" and r["fileinfo"]["filename"] == name]
if len(fis) != 1:
    sys.exit("%d fileinfo records named %s" % (len(fis), name))
r = fis[0]
fi = r["fileinfo"]
want = {"size": int(size), "md5": md5, "sha1": sha1, "sha256": sha256, "state": "CLOSED",
        "stored": True, "gaps": False, "magic": magic}
bad = {k: fi.get(k) for k, v in want.items() if fi.get(k) != v}
if bad:
    sys.exit("fileinfo %s differs: %s" % (name, bad))
if name not in r.get("email", {}).get("attachment", []):
    sys.exit("fileinfo email.attachment lacks %s" % name)
smtp = [s for s in recs if s["event_type"] == "smtp" and s["flow_id"] == r["flow_id"]
        and s.get("tx_id") == fi["tx_id"]]
if len(smtp) != 1 or name not in smtp[0].get("email", {}).get("attachment", []):
    sys.exit("no smtp record of tx %d lists %s in email.attachment" % (fi["tx_id"], name))
EOF
        ); then
            ok "$pcap: $f reported (name, size $size, md5, sha1, sha256, magic '$magic', attachment)"
        else
            fail "$pcap: $f: $why"
        fi
        if cmp -s "$src" "$store/$sha256"; then
            ok "$pcap: $f stored as $sha256"
        else
            fail "$pcap: $f not stored as $store/$sha256 with the same bytes"
        fi
    done
    # Only the finished files (each stored content once), no temporaries left behind.
    want=$(jq -r 'select(.event_type == "fileinfo" and .fileinfo.stored) | .fileinfo.sha256' \
        "$logs/eve.json" | sort -u | wc -l)
    left=$(find "$store" -type f | wc -l)
    [ "$left" -eq "$want" ] && [ "$want" -ge ${#files[@]} ] &&
        ok "$pcap: filestore holds the $want stored files" ||
        fail "$pcap: filestore holds $left files, want $want (at least ${#files[@]})"
done
finish

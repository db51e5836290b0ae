#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Every MIME part is a file (mime.body-files, mime.message-files; docs/mime.md): on
# mime-parts.pcap (Postfix, messages from mime-messages.py) each text, HTML and
# message/rfc822 part and each attachment has one fileinfo record whose size, md5, sha1 and
# sha256 are those md5sum/sha1sum/sha256sum give for the part's bytes (mime-expected.json
# `parts`) and whose magic is what `file -b` says of them; smtp.log lists the fuids in the
# order the parts start (the forwarded message before its own parts, as Zeek numbers
# files); email.url lists the URLs of base64 and quoted-printable text and HTML bodies with
# bare-LF lines in the order they appear. With both switches off, only attachments are files.
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
[ -x $PY ] || skip_all "python3 missing"
command -v file >/dev/null || skip_all "file(1) missing"
pcap=$PCAPS/mime-parts.pcap
expected=$PCAPS/mime-expected.json

logs=$TMP/on
if ! "$SHRIKE" -q -c "$TOP_SRCDIR/shrike.yaml" -l "$logs" -r "$pcap" --set rule-files= \
    --set mime.file-magic=yes 2>"$TMP/err"; then
    fail "shrike failed: $(cat "$TMP/err")"
    finish
fi

# The expected parts, one file of bytes each, with what the coreutils and file(1) say.
$PY - "$expected" "$TMP/parts" <<'PYEOF' || fail "cannot write the expected parts"
import base64, json, os, sys
exp = json.load(open(sys.argv[1]))["mime-parts.pcap"]
os.makedirs(sys.argv[2])
for i, msg in enumerate(exp):
    for j, part in enumerate(msg["parts"]):
        with open(os.path.join(sys.argv[2], "%d-%d" % (i, j)), "wb") as f:
            f.write(base64.b64decode(part["data_b64"]))
PYEOF
: >"$TMP/tools"
for f in "$TMP"/parts/*; do
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$(basename "$f")" "$(stat -c %s "$f")" \
        "$(md5sum <"$f" | cut -d' ' -f1)" "$(sha1sum <"$f" | cut -d' ' -f1)" \
        "$(sha256sum <"$f" | cut -d' ' -f1)" "$(file -b "$f")" >>"$TMP/tools"
done

if why=$($PY - "$expected" "$TMP/tools" "$logs/eve.json" "$logs/smtp.log" <<'PYEOF'
import json, sys
exp = json.load(open(sys.argv[1]))["mime-parts.pcap"]
tools = {}
for line in open(sys.argv[2], encoding="utf-8"):
    key, size, md5, sha1, sha256, magic = line.rstrip("\n").split("\t")
    tools[key] = {"size": int(size), "md5": md5, "sha1": sha1, "sha256": sha256, "magic": magic}
recs = [json.loads(l) for l in open(sys.argv[3])]
smtp = {r["email"]["message_id"]: r for r in recs
        if r["event_type"] == "smtp" and "message_id" in r.get("email", {})}
rows = []
fields = None
for line in open(sys.argv[4], encoding="utf-8"):
    line = line.rstrip("\n")
    if line.startswith("#fields"):
        fields = line.split("\t")[1:]
    elif not line.startswith("#"):
        rows.append(dict(zip(fields, line.split("\t"))))
problems = []
for i, msg in enumerate(exp):
    mid = msg["message_id"]
    s = smtp.get(mid)
    if s is None:
        problems.append("%s: no smtp record" % mid)
        continue
    fis = {r["fileinfo"]["file_id"]: r for r in recs if r["event_type"] == "fileinfo"
           and r["flow_id"] == s["flow_id"] and r["fileinfo"].get("tx_id") == s["tx_id"]}
    row = [r for r in rows if r.get("msg_id") == mid]
    if len(row) != 1:
        problems.append("%s: %d smtp.log rows" % (mid, len(row)))
        continue
    fuids = row[0]["fuids"].split(",")
    if len(fuids) != len(msg["parts"]) or len(fis) != len(msg["parts"]):
        problems.append("%s: %d fuids and %d fileinfo records, want %d" %
                        (mid, len(fuids), len(fis), len(msg["parts"])))
        continue
    for j, (fuid, part) in enumerate(zip(fuids, msg["parts"])):
        want = tools["%d-%d" % (i, j)]
        want["filename"] = part["name"]
        fi = fis.get(int(fuid.rsplit(".", 1)[1]), {}).get("fileinfo", {})
        got = {k: fi.get(k) for k in want}
        if got != want:
            problems.append("%s fuid %d (%s %s): got %s, want %s" %
                            (mid, j + 1, part["kind"], part["name"], got, want))
    if s["email"].get("url", []) != msg["url"]:
        problems.append("%s: email.url %s, want %s" % (mid, s["email"].get("url"), msg["url"]))
    names = [p["name"] for p in msg["parts"] if p["name"]]
    if s["email"].get("attachment", []) != names:
        problems.append("%s: email.attachment %s, want %s" %
                        (mid, s["email"].get("attachment"), names))
sys.exit("; ".join(problems) if problems else 0)
PYEOF
); then
    ok "each part a file: fuids in start order, size, md5, sha1, sha256 and magic as md5sum/sha1sum/sha256sum/file -b, URLs in order"
else
    fail "$why"
fi

# Suricata's choice: only attachments are files.
logs=$TMP/off
"$SHRIKE" -q -c "$TOP_SRCDIR/shrike.yaml" -l "$logs" -r "$pcap" --set rule-files= \
    --set mime.body-files=no --set mime.message-files=no --set mime.file-magic=no 2>"$TMP/err" ||
    fail "shrike (files off) failed: $(cat "$TMP/err")"
got=$(jq -r 'select(.event_type == "fileinfo") | [.fileinfo.filename, (.fileinfo.magic // "-")] | join(":")' \
    "$logs/eve.json" | tr '\n' ' ')
[ "$got" = "inner.pdf:- " ] && ok "files off: only the attachment, no magic" ||
    fail "files off: fileinfo records '$got', want 'inner.pdf:- '"
finish

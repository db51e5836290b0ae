# SPDX-License-Identifier: GPL-2.0-only
"""The peer engine for bench/run --peer: Suricata 4.1.10 from ../shared/peer (its README),
built once into a cache outside the tree, run beside Shrike on the same capture and rules.

This module finds, builds and runs the peer and reads what it wrote; it knows nothing of
Shrike. Which digests each engine computes is decided in bench/run (DIGESTS), which hands
the Suricata side here as text replacements in the benchmark configuration.
"""
import json
import os
import re
import subprocess
import sys


def shared_dir(top):
    """The project's shared folder: $SHRIKE_SHARED, or ../shared (../../shared from a
    nested worktree) beside the tree; None when there is none."""
    for base in (os.environ.get("SHRIKE_SHARED"), os.path.join(top, "..", "shared"),
                 os.path.join(top, "..", "..", "shared")):
        if base and os.path.isdir(base):
            return os.path.realpath(base)
    return None


def source_dir(top):
    """../shared/peer when it holds the build script, else None."""
    base = shared_dir(top)
    if base and os.path.isfile(os.path.join(base, "peer", "build-suricata.sh")):
        return os.path.join(base, "peer")
    return None


def default_prefix():
    """$SHRIKE_PEER_PREFIX, else ${XDG_CACHE_HOME:-$HOME/.cache}/shrike-bench/suricata-4.1.10."""
    if os.environ.get("SHRIKE_PEER_PREFIX"):
        return os.environ["SHRIKE_PEER_PREFIX"]
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(cache, "shrike-bench", "suricata-4.1.10")


def build(src, prefix):
    """Builds the peer into prefix unless it is there (build-suricata.sh returns at once
    then); returns the suricata binary. About 10 minutes the first time."""
    binary = os.path.join(prefix, "bin", "suricata")
    if not os.access(binary, os.X_OK):
        print("bench: building the peer into %s (about 10 minutes, once)" % prefix,
              file=sys.stderr)
    p = subprocess.run(["bash", os.path.join(src, "build-suricata.sh"), prefix],
                       capture_output=True, text=True)
    if p.returncode != 0 or not os.access(binary, os.X_OK):
        sys.exit("bench: the peer build failed: %s" % p.stderr[-2000:])
    return binary


def config(prefix, replacements, out):
    """Writes the peer's benchmark configuration with each (old, new) text replacement
    applied to out; exits when an old text is not in it (the configuration changed)."""
    with open(os.path.join(prefix, "etc", "suricata-bench.yaml")) as f:
        text = f.read()
    for old, new in replacements:
        if old not in text:
            sys.exit("bench: '%s' is not in the peer's suricata-bench.yaml" % old)
        text = text.replace(old, new)
    with open(out, "w") as f:
        f.write(text)
    return out


def command(binary, yaml, capture, rules, log_dir):
    """The peer's command line for one run, as its README gives it: one thread."""
    return [binary, "-c", yaml, "--runmode", "single", "-k", "none", "-r", capture, "-S", rules,
            "-l", log_dir]


def test_rules(binary, yaml, rules, log_dir):
    """Loads rules with -T -v; returns (loaded, failed, line numbers of the rules rejected)."""
    p = subprocess.run([binary, "-c", yaml, "-T", "-v", "-S", rules, "-l", log_dir],
                       capture_output=True, text=True)
    out = p.stdout + p.stderr
    bad = sorted({int(n) for n in re.findall(
        r"error parsing signature .* from file .* at line (\d+)", out)})
    m = re.search(r"(\d+) rules successfully loaded, (\d+) rules failed", out)
    if not m:
        loaded = 0 if bad or p.returncode else -1
        return loaded, len(bad), bad
    return int(m.group(1)), int(m.group(2)), bad


def loadable_sids(binary, yaml, rules, cache, log_dir):
    """The sids of the rules in file rules that the peer loads, kept in file cache (one a
    line) so the check runs once."""
    if not os.path.exists(cache):
        _, _, bad = test_rules(binary, yaml, rules, log_dir)
        keep = []
        with open(rules, encoding="utf-8", errors="replace") as f:
            for n, line in enumerate(f, 1):
                m = re.search(r"[(; ]sid: *(\d+);", line)
                if m and n not in bad:
                    keep.append(m.group(1))
        with open(cache, "w") as f:
            f.write("".join(s + "\n" for s in keep))
    with open(cache) as f:
        return {l.strip() for l in f if l.strip()}


def flow_key(rec):
    """An EVE record's flow as a direction-free key (both engines may name either end
    first)."""
    a = (rec.get("src_ip", ""), rec.get("src_port", 0))
    b = (rec.get("dest_ip", ""), rec.get("dest_port", 0))
    return (rec.get("proto", "").upper(),) + tuple(sorted((a, b)))


def read_eve(path):
    """Reads an eve.json (either engine's): returns ({sid: raw alert count},
    {sid: set of flow keys}, {sid: msg}, {event_type: count}, bytes of the files logged)."""
    counts, flows, msgs, types, file_bytes = {}, {}, {}, {}, 0
    if not os.path.exists(path):
        return counts, flows, msgs, types, file_bytes
    with open(path, errors="replace") as f:
        for line in f:
            try:
                rec = json.loads(line)
            except ValueError:
                continue
            et = rec.get("event_type", "")
            types[et] = types.get(et, 0) + 1
            if et == "fileinfo":
                file_bytes += rec["fileinfo"].get("size", 0)
            if et != "alert":
                continue
            sid = rec["alert"]["signature_id"]
            counts[sid] = counts.get(sid, 0) + 1
            flows.setdefault(sid, set()).add(flow_key(rec))
            msgs[sid] = rec["alert"].get("signature", "")
    return counts, flows, msgs, types, file_bytes

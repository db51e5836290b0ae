#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Runs shrike on suricata-verify cases and evaluates each case's `checks:` over the
eve.json it wrote.

    sv-check.py SHRIKE TESTS_DIR CONFIG [CASE ...]

For each case folder (all of TESTS_DIR when no CASE is named): the capture is `pcap:` from
test.yaml, else input.pcap, else the one *.pcap; the rules are the case's one *.rules file
(test.rules, sometimes input.rules; loaded with -S, so only they run), as suricata-verify's
run.py finds them, else rules/smtp-events.rules (Suricata's default rule files hold its
event rules).

A case may bring its own suricata.yaml. Shrike reads only CONFIG, so the few Suricata
settings that change what Shrike logs are translated into `--set` options (SURICATA_SETTINGS
below); every other setting is ignored:

    app-layer.protocols.smtp.mime.body-md5            -> mime.body-md5 (yes, no, auto)
    app-layer.protocols.smtp.mime.decode-mime         -> mime.enabled
    app-layer.protocols.smtp.mime.extract-urls        -> mime.extract-urls
    app-layer.protocols.smtp.mime.log-url-scheme      -> mime.log-url-scheme
    app-layer.protocols.smtp.mime.header-value-depth  -> mime.max-header-value

The Suricata command-line `args:` of test.yaml (`-k none`, `--set stream.inline=true`) have
no Shrike meaning and are not passed. Each `filter` names field values (dotted paths, `[i]` list indexes,
`has-key`, `not-has-key`) and a `count` of EVE records that must match. Version gates are
read as for the newest Suricata: a filter that requires `lt-version` is skipped. Prints a
line per case and ends with 'N passed, N failed'.
"""
import json
import os
import re
import subprocess
import sys
import tempfile

import yaml

SURICATA_SETTINGS = {
    "app-layer.protocols.smtp.mime.body-md5": "mime.body-md5",
    "app-layer.protocols.smtp.mime.decode-mime": "mime.enabled",
    "app-layer.protocols.smtp.mime.extract-urls": "mime.extract-urls",
    "app-layer.protocols.smtp.mime.log-url-scheme": "mime.log-url-scheme",
    "app-layer.protocols.smtp.mime.header-value-depth": "mime.max-header-value",
}


def yaml_scalar(v):
    if isinstance(v, bool):
        return "yes" if v else "no"
    return str(v)


def suricata_settings(case_dir):
    """--set options for the settings of the case's suricata.yaml that Shrike knows."""
    path = os.path.join(case_dir, "suricata.yaml")
    if not os.path.exists(path):
        return []
    with open(path) as f:
        text = f.read()
    # Suricata's YAML starts with a %YAML 1.1 directive and may 'include:' others.
    text = "\n".join(l for l in text.splitlines() if not l.startswith("%YAML"))
    try:
        doc = yaml.safe_load(text) or {}
    except yaml.YAMLError:
        return []
    out = []
    for skey, shrike_key in SURICATA_SETTINGS.items():
        cur = doc
        for part in skey.split("."):
            cur = cur.get(part) if isinstance(cur, dict) else None
        if cur is not None and not isinstance(cur, (dict, list)):
            out += ["--set", "%s=%s" % (shrike_key, yaml_scalar(cur))]
    return out


PATH_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def lookup(rec, path):
    """Returns (found, value) for a dotted path with [i] indexes."""
    cur = rec
    for name, index in PATH_PART.findall(path):
        if name:
            if not isinstance(cur, dict) or name not in cur:
                return False, None
            cur = cur[name]
        else:
            i = int(index)
            if not isinstance(cur, list) or i >= len(cur):
                return False, None
            cur = cur[i]
    return True, cur


def same(want, got):
    if isinstance(want, bool) or isinstance(got, bool):
        return want == got
    if isinstance(want, (int, float)) and isinstance(got, (int, float)):
        return want == got
    return str(want) == str(got) if not isinstance(got, (dict, list)) else want == got


def record_matches(rec, match):
    for key, want in match.items():
        if key == "has-key":
            keys = want if isinstance(want, list) else [want]
            if not all(lookup(rec, k)[0] for k in keys):
                return False
            continue
        if key == "not-has-key":
            keys = want if isinstance(want, list) else [want]
            if any(lookup(rec, k)[0] for k in keys):
                return False
            continue
        found, got = lookup(rec, key)
        if not found or not same(want, got):
            return False
    return True


def filter_applies(flt):
    req = flt.get("requires") or {}
    return "lt-version" not in req and "version" not in req


def run_case(shrike, config, case_dir):
    with open(os.path.join(case_dir, "test.yaml")) as f:
        spec = yaml.safe_load(f) or {}
    pcap = spec.get("pcap")
    if pcap:
        pcap = os.path.normpath(os.path.join(case_dir, pcap))
    else:
        cands = [p for p in os.listdir(case_dir) if p.endswith(".pcap")]
        if "input.pcap" in cands:
            cands = ["input.pcap"]
        if len(cands) != 1:
            return None, "no single capture"
        pcap = os.path.join(case_dir, cands[0])
    if not os.path.exists(pcap):
        return None, "capture missing"
    with tempfile.TemporaryDirectory(prefix="shrike-sv-") as logs:
        cmd = [shrike, "-q", "-c", config, "-l", logs, "-r", pcap]
        # as suricata-verify: the `rules:` file of test.yaml, else test.rules; older cases
        # keep their one rules file under another name (smtp.rules, suricata.rules)
        rules = os.path.join(case_dir, spec.get("rules") or "test.rules")
        if not os.path.exists(rules):
            others = [p for p in os.listdir(case_dir) if p.endswith(".rules")]
            if len(others) == 1:
                rules = os.path.join(case_dir, others[0])
        if os.path.exists(rules):
            cmd += ["-S", rules]
        else:
            # suricata-verify runs a case without test.rules with the suricata.yaml rule
            # files, Suricata's app-layer event rules among them: load ours.
            cmd += ["-S", os.path.join(os.path.dirname(os.path.abspath(config)), "rules",
                                       "smtp-events.rules")]
        cmd += suricata_settings(case_dir)
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        if proc.returncode >= 128 or proc.returncode < 0:
            return False, "shrike died: %s" % proc.stderr[-500:]
        records = []
        eve = os.path.join(logs, "eve.json")
        if os.path.exists(eve):
            with open(eve) as f:
                for line in f:
                    records.append(json.loads(line))
    problems = []
    for i, check in enumerate(spec.get("checks") or []):
        flt = check.get("filter") if isinstance(check, dict) else None
        if flt is None:
            continue  # shell and file-compare checks are Suricata-specific
        if not filter_applies(flt):
            continue
        match = flt.get("match") or {}
        got = sum(1 for r in records if record_matches(r, match))
        want = flt.get("count")
        if want is not None and got != want:
            problems.append("check %d: %d records match, want %d: %s" % (i, got, want, match))
    return not problems, "; ".join(problems)


def main():
    shrike, tests_dir, config = sys.argv[1:4]
    cases = sys.argv[4:] or sorted(
        os.path.relpath(root, tests_dir) for root, _, files in os.walk(tests_dir)
        if "test.yaml" in files)
    passed = failed = 0
    for case in cases:
        ok, why = run_case(shrike, config, os.path.join(tests_dir, case))
        if ok is None:
            print("skip: %s (%s)" % (case, why))
        elif ok:
            passed += 1
            print("pass: %s" % case)
        else:
            failed += 1
            print("FAIL: %s: %s" % (case, why))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

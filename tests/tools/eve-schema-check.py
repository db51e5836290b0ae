#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Validates every line of one or more eve.json files against Suricata's EVE schema
(../shared/corpus/suricata/eve-schema.json next to the repository, or --schema PATH, or
$SK_EVE_SCHEMA). Shrike's documented extensions, the top-level "uid" string and, in stats
records only, the top-level "shrike" object of counters, are allowed unless --strict is
given (docs/outputs.md). Exit status: 0 all lines valid,
1 some line invalid (each reported as FILE:LINE: path: message), 2 usage or unreadable
input, 77 skipped (schema or Debian's python3-jsonschema missing), as automake expects."""
import argparse
import json
import os
import sys

SKIP = 77


def find_schema(arg):
    if arg:
        return arg
    if os.environ.get("SK_EVE_SCHEMA"):
        return os.environ["SK_EVE_SCHEMA"]
    top = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    rel = os.path.join("corpus", "suricata", "eve-schema.json")
    for shared in (os.environ.get("SK_SHARED_DIR"), os.path.join(top, "..", "shared"),
                   os.path.join(top, "..", "..", "shared")):
        if shared and os.path.isfile(os.path.join(shared, rel)):
            return os.path.join(shared, rel)
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--schema", help="path of eve-schema.json")
    ap.add_argument("--strict", action="store_true",
                    help="do not allow Shrike's top-level 'uid' extension")
    ap.add_argument("--skip-type", action="append", default=[], metavar="EVENT_TYPE",
                    help="leave records of this event_type out (repeatable)")
    ap.add_argument("files", nargs="+", help="eve.json files")
    args = ap.parse_args()

    path = find_schema(args.schema)
    if not path or not os.path.isfile(path):
        print("eve-schema-check: SKIP: eve-schema.json not found (../shared absent)")
        return SKIP
    try:
        import jsonschema
    except ImportError:
        print("eve-schema-check: SKIP: python3-jsonschema not installed "
              "(apt-get install python3-jsonschema)")
        return SKIP
    with open(path, encoding="utf-8") as f:
        schema = json.load(f)
    if not args.strict:
        schema.setdefault("properties", {})["uid"] = {
            "type": "string", "description": "Shrike: the flow's Zeek uid"}
        # Shrike's own counters in a stats record (docs/outputs.md): a tree of counters
        # beside the Suricata-named "stats" object, which the schema checks unchanged.
        schema["$defs"]["shrike_counters"] = {
            "type": "object",
            "additionalProperties": {"anyOf": [
                {"type": "integer", "minimum": 0},
                {"$ref": "#/$defs/shrike_counters"}]}}
        schema["properties"]["shrike"] = {"$ref": "#/$defs/shrike_counters"}
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    validator = cls(schema)

    bad = 0
    lines = 0
    for name in args.files:
        try:
            f = open(name, "rb")
        except OSError as e:
            print(f"eve-schema-check: {e}")
            return 2
        with f:
            for no, raw in enumerate(f, 1):
                if not raw.strip():
                    continue
                lines += 1
                try:
                    rec = json.loads(raw.decode("utf-8"))
                except (UnicodeDecodeError, ValueError) as e:
                    print(f"{name}:{no}: not JSON: {e}")
                    bad += 1
                    continue
                if isinstance(rec, dict) and rec.get("event_type") in args.skip_type:
                    continue
                if isinstance(rec, dict) and "shrike" in rec and rec.get("event_type") != "stats":
                    print(f"{name}:{no}: shrike: only stats records carry it")
                    bad += 1
                for err in sorted(validator.iter_errors(rec), key=lambda e: list(e.path)):
                    where = "/".join(str(p) for p in err.absolute_path) or "(record)"
                    print(f"{name}:{no}: {where}: {err.message}")
                    bad += 1
    print(f"eve-schema-check: {lines} records, {bad} errors")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

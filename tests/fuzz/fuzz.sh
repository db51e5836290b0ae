#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Runs libFuzzer targets (make fuzz-smoke / make fuzz, from the build folder of a
# --enable-fuzzers tree): makes each target's seed corpus from the project's captures, rules,
# configuration and messages, then runs the targets one after the other for FUZZ_SECONDS
# each. Exits 1 when any target reports a crash, leak, timeout or out-of-memory; the input
# is then in tests/fuzz/artifacts/ (see docs/development.md to turn it into a regression).
#   TOP_SRCDIR=.. FUZZ_SECONDS=30 fuzz.sh TARGET...     (targets: pcap tcp smtp mime ...)
set -uo pipefail
top=${TOP_SRCDIR:?}
secs=${FUZZ_SECONDS:-30}
out=tests/fuzz
seeds=$out/corpus-seed
mkdir -p "$out/artifacts" "$out/corpus"
# The engine target writes its logs under TMPDIR: memory rather than disk when there is one.
[ -z "${TMPDIR:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ] && export TMPDIR=/dev/shm

# ---- seed corpora (remade each run; small, and from files under version control) ----
rm -rf "$seeds"
for t in pcap tcp smtp mime rule_parse config engine; do mkdir -p "$seeds/$t"; done
small_pcaps=()
for f in "$top"/tests/pcaps/*.pcap; do
    [ "$(stat -c %s "$f")" -le 65536 ] && small_pcaps+=("$f")
done
cp "${small_pcaps[@]}" "$seeds/pcap/"
cp "${small_pcaps[@]}" "$seeds/engine/"
"$out/fuzz_seeds" "$seeds/smtp" "$seeds/tcp" "$top"/tests/pcaps/*.pcap || exit 1
cp "$top"/tests/data/mime/*.eml "$top"/tests/tools/data/*.eml "$seeds/mime/"
# One rule a file: each shipped rule, and the rule files whole.
cat "$top"/rules/*.rules | grep -v '^[[:space:]]*\(#\|$\)' | split -l 1 -a 4 - "$seeds/rule_parse/rule-"
cp "$top"/rules/*.rules "$seeds/rule_parse/"
cp "$top"/shrike.yaml "$seeds/config/"
cat "$top/tests/fuzz/smtp.dict" "$top/tests/fuzz/mime.dict" > "$out/smtp-mime.dict"

dict_of() {
    case $1 in
        mime) echo "$top/tests/fuzz/mime.dict" ;;
        rule_parse) echo "$top/tests/fuzz/rules.dict" ;;
        config) echo "$top/tests/fuzz/yaml.dict" ;;
        *) echo "$out/smtp-mime.dict" ;;
    esac
}
max_len_of() {
    case $1 in
        rule_parse) echo 4096 ;;
        config) echo 8192 ;;
        *) echo 65536 ;;
    esac
}

failed=()
for t in "$@"; do
    bin=$out/fuzz_$t
    [ -x "$bin" ] || { echo "fuzz.sh: no target $bin" >&2; exit 2; }
    mkdir -p "$out/corpus/$t"
    echo "== fuzz_$t: $secs s"
    # The first folder receives new inputs; the committed seeds and regressions are read too.
    dirs=("$out/corpus/$t" "$seeds/$t")
    for d in "$top/tests/fuzz/seeds/$t" "$top/tests/fuzz/regressions/$t"; do
        [ -d "$d" ] && dirs+=("$d")
    done
    if ! "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len="$(max_len_of "$t")" \
        -dict="$(dict_of "$t")" -artifact_prefix="$out/artifacts/$t-" -print_final_stats=1 \
        "${dirs[@]}" \
        > "$out/fuzz_$t.log" 2>&1; then
        failed+=("$t")
        tail -n 60 "$out/fuzz_$t.log"
    fi
    grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb|Done|INFO: Loaded)|cov:.*ft:' \
        "$out/fuzz_$t.log" | tail -n 4
done
if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzz.sh: findings in: ${failed[*]} (inputs in $out/artifacts/)" >&2
    exit 1
fi
echo "fuzz.sh: $# targets, $secs s each, no finding"

#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Installs what is missing, builds Shrike, and runs the whole test suite: `make check`,
# the same under AddressSanitizer and UndefinedBehaviorSanitizer, a short run of every fuzz
# target (make fuzz-smoke, built with clang), and the format check.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
. scripts/deps.sh
sk_install "${SK_BUILD_PKGS[@]}" "${SK_TEST_PKGS[@]}"

echo "== build and test"
sk_build _build
make -C _build -s check || { cat _build/test-suite.log; exit 1; }

echo "== build and test under ASan + UBSan"
sk_build _build-san --enable-sanitizers
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
    make -C _build-san -s check || { cat _build-san/test-suite.log; exit 1; }

echo "== fuzz smoke (libFuzzer under ASan + UBSan, 30 s a target)"
sk_build _build-fuzz CC=clang --enable-fuzzers
make -C _build-fuzz -s fuzz-smoke

echo "== format"
make -C _build -s format-check

# One closing line over both runs, in the form CI reads: "N passed, N failed".
count() { sed -n "s/^# $1: *//p" _build/test-suite.log _build-san/test-suite.log | awk '{s += $1} END {print s + 0}'; }
echo "check.sh: all tests passed (make check twice: plain and with ASan + UBSan)"
echo "$(count PASS) passed, $(count FAIL) failed, $(count SKIP) skipped"

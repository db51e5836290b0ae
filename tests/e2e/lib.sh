# SPDX-License-Identifier: GPL-2.0-only
# Shared by the end-to-end test scripts. make check sets SHRIKE (the binary) and
# TOP_SRCDIR; run by hand, they default to the _build folder of the source tree.
set -u
TOP_SRCDIR=${TOP_SRCDIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
SHRIKE=${SHRIKE:-$TOP_SRCDIR/_build/shrike}
PCAPS=$TOP_SRCDIR/tests/pcaps
if [ -z "${SHARED:-}" ]; then # next to the tree, or next to a worktree folder
    SHARED=$TOP_SRCDIR/../shared
    [ -d "$SHARED" ] || SHARED=$TOP_SRCDIR/../../shared
fi
TMP=$(mktemp -d /tmp/shrike-e2e.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
passed=0
failed=0

ok() { passed=$((passed + 1)); echo "ok: $*"; }
fail() { failed=$((failed + 1)); echo "FAIL: $*"; }
skip_all() { echo "SKIP: $*"; exit 77; }

# Ends the script: automake's exit codes (0 pass, 1 fail) and a closing count line.
finish() {
    echo "$passed passed, $failed failed"
    [ "$failed" -eq 0 ]
    exit $?
}

need() { command -v "$1" >/dev/null 2>&1 || skip_all "$1 is not installed"; }

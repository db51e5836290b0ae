#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# `make dist` ships every file git tracks (but .gitignore), so `make distcheck` and a
# tarball user run the same tests as a checkout. Compares Makefile.am's distribution list
# with `git ls-files`; skips outside a git checkout (as inside distcheck itself).
. "$(dirname "$0")/lib.sh"
command -v git >/dev/null && git -C "$TOP_SRCDIR" rev-parse --git-dir >/dev/null 2>&1 \
    || skip_all "not a git checkout"
build=$(dirname "$SHRIKE")
[ -f "$build/Makefile" ] || skip_all "no Makefile in $build"
make -s -C "$build" distdir distdir="$TMP/dist" >/dev/null 2>"$TMP/err" \
    || { fail "make distdir failed: $(tail -n 5 "$TMP/err")"; finish; }
missing=$(comm -23 <(git -C "$TOP_SRCDIR" ls-files | grep -v '^\.gitignore$' | sort) \
    <(cd "$TMP/dist" && find . -type f | sed 's#^\./##' | sort))
if [ -z "$missing" ]; then
    ok "every tracked file is in the distribution"
else
    fail "tracked but not distributed (add to EXTRA_DIST): $(echo $missing)"
fi
finish

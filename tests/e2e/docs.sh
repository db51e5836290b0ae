#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Docs are part of done: every configuration key, anomaly, rule keyword, rule buffer,
# command-line option and counter that the shrike binary knows is named in docs/.
. "$(dirname "$0")/lib.sh"
docs=$TOP_SRCDIR/docs

check_names() { # check_names WHAT FILE... < names
    local what=$1; shift
    local missing=0 n=0
    while read -r name; do
        [ -n "$name" ] || continue
        n=$((n + 1))
        if ! grep -qF -- "$name" "$@"; then
            echo "  $what '$name' is not in ${*#$TOP_SRCDIR/}"
            missing=$((missing + 1))
        fi
    done
    if [ "$missing" -eq 0 ]; then ok "$n ${what}s documented"; else fail "$missing ${what}s undocumented"; fi
}

check_names "configuration key" "$docs/configuration.md" \
    < <("$SHRIKE" --list-config | awk '{print $1}' | sed 's/\.\*$/./')
check_names "anomaly" "$docs/anomalies.md" \
    < <("$SHRIKE" --list-events | awk '{print $1}' | sed 's/^smtp\.//')
check_names "field" "$docs"/*.md < <("$SHRIKE" --list-fields | awk '{print $1}')
# --list-keywords prints "name  doc" lines, each followed by an indented syntax line.
check_names "rule keyword" "$docs/rules.md" < <("$SHRIKE" --list-keywords | grep -v '^ ' | awk '{print $1}')
check_names "command-line option" "$docs/cli.md" \
    < <("$SHRIKE" --help | grep -oE -- '^ +-(-[a-z-]+|[a-zA-Z])' | tr -d ' ')
# Anomaly counters are documented as a family (smtp.anomaly.NAME, decoder.*) and by name in
# the anomaly and decode docs, which the checks above cover.
check_names "counter" "$docs"/*.md < <("$SHRIKE" -c "$TOP_SRCDIR/shrike.yaml" \
    --set rule-files=smtp-events.rules -l "$TMP" -r "$PCAPS/smtp-demo.pcap" | cut -d: -f1 \
    | sed 's/^smtp\.anomaly\..*/smtp.anomaly.NAME/')
finish

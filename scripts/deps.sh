#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Installs the Debian packages Shrike builds and tests with, skipping those already there.
# Sourced by demo.sh and check.sh; pass the package list to sk_install.
sk_install() {
    local missing=()
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$' \
            || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ "$(id -u)" -ne 0 ]; then
        echo "missing Debian packages: ${missing[*]} (run as root, or install them)" >&2
        return 1
    fi
    echo "installing: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

SK_BUILD_PKGS=(build-essential autoconf automake pkg-config
               libpcap-dev libpcre2-dev libhyperscan-dev libcmocka-dev libssl-dev libyaml-dev
               libmagic-dev libhiredis-dev librdkafka-dev)
# clang and its libFuzzer runtime build the fuzz targets (check.sh's fuzz smoke step);
# iproute2, python3-aiosmtpd and socat run the live tests (network namespaces, a real SMTP
# server, the control socket), suricata-update its rule-management test, strace the count of
# two workers' set-up calls. A test whose tool is missing skips, so everything a test needs is
# here: CI installs nothing else.
SK_TEST_PKGS=(tshark jq python3 python3-yaml python3-jsonschema clang-format time file strace
              clang libclang-rt-14-dev redis-server redis-tools
              iproute2 python3-aiosmtpd socat suricata-update)

# Configures and builds in $1 (a build folder below the source tree) with extra configure
# arguments after it.
sk_build() {
    local dir=$1; shift
    local top
    top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
    (cd "$top" && { [ -x configure ] && [ configure -nt configure.ac ] && [ Makefile.in -nt Makefile.am ] \
        || autoreconf -fi >/dev/null; })
    mkdir -p "$top/$dir"
    (cd "$top/$dir" && { [ -f Makefile ] || "$top/configure" -q "$@"; } && make -s -j"$(nproc)")
}

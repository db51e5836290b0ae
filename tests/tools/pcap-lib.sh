# SPDX-License-Identifier: GPL-2.0-only
# Helpers shared by make-pcaps.sh, make-mime-pcaps.sh and make-malformed-pcaps.sh (sourced, not run): the work
# folder and its cleanup, one swaks session, and capture(), which runs a function under
# tcpdump on lo and checks that the capture is whole. The sourcing script sets here, out,
# LO4 and LO6 first and calls pcap_init. Every loop is bounded; everything started is
# stopped on exit (the postfix instance under $work/postfix, and each pid in bg_pids).

die() {
    echo "${0##*/}: $*" >&2
    [ -n "${log:-}" ] && [ -f "$log" ] && tail -n 30 "$log" >&2
    exit 1
}

pcap_cleanup() {
    local p
    for p in "${bg_pids[@]}"; do kill -INT "$p" 2>/dev/null || true; done
    for p in "${bg_pids[@]}"; do wait "$p" 2>/dev/null || true; done
    [ -d "$work/postfix" ] && { "$here/postfix-instance.sh" stop "$work/postfix" || true; }
    if [ -n "${SHRIKE_KEEP_WORK:-}" ]; then echo "${0##*/}: kept $work" >&2; else rm -rf "$work"; fi
}

# pcap_init TOOL...: checks root, tcpdump, tshark and the named tools, makes $work, $log
# and the exit trap.
pcap_init() {
    local t
    [ "$(id -u)" = 0 ] || die "run as root (tcpdump on lo needs it)"
    for t in tcpdump tshark "$@"; do
        command -v "$t" >/dev/null || die "'$t' not found (apt-get install $t)"
    done
    work=$(mktemp -d /tmp/shrike-pcaps.XXXXXX)
    chmod 755 "$work" # postfix daemons run as user postfix
    mkdir -p "$out"
    log=$work/run.log
    : >"$log"
    bg_pids=()
    declare -gA flows
    trap pcap_cleanup EXIT
    trap 'exit 130' INT TERM
    # swaks picks a MIME boundary from its pid: run it as pid 1 of a new pid namespace
    # (network namespace unchanged) so the boundary is the same on every run.
    if unshare -p -f true 2>/dev/null; then PIDNS=(unshare -p -f); else PIDNS=(); fi
}

DATE_HDR="Date: Thu, 01 Jan 2026 00:00:00 +0000"
# swaks_run NAME PORT [-6] [ARGS...]: one swaks session from alice to the given server port.
swaks_run() {
    local name=$1 port=$2 server=$LO4
    shift 2
    if [ "${1:-}" = -6 ]; then server=$LO6; shift; fi
    echo "== swaks $name" >>"$log"
    "${PIDNS[@]}" swaks --server "$server" --port "$port" --helo client.shrike.test \
        --from alice@client.shrike.test --timeout 20 \
        --header "$DATE_HDR" --header "Message-Id: <shrike-$name@client.shrike.test>" \
        "$@" >>"$log" 2>&1 || die "swaks session '$name' failed "
}

# capture NAME FILTER FUNCTION: tcpdump on lo while FUNCTION runs the sessions.
capture() {
    local name=$1 filter=$2 fn=$3 file=$out/$1 tlog=$work/$1.tcpdump i=0 pid n
    rm -f "$file"
    : >"$tlog"
    tcpdump -i lo -s 0 -B 32768 -U --immediate-mode -n -w "$file" "$filter" 2>"$tlog" &
    pid=$!
    bg_pids+=("$pid")
    until grep -q 'listening on' "$tlog"; do
        i=$((i + 1)); [ $i -le 100 ] || die "tcpdump for $name did not start"
        sleep 0.05
    done
    "$fn"
    sleep 0.5 # let the last FIN/ACKs reach tcpdump
    kill -INT "$pid"
    wait "$pid" || true
    # A dropped packet would leave a hole in a stream: fail rather than commit it.
    grep -q '^0 packets dropped by kernel' "$tlog" || die "$name: tcpdump dropped packets: $(tr '\n' ' ' <"$tlog")"
    n=$(tshark -r "$file" -q -z conv,tcp 2>/dev/null | grep -c '<->' || true)
    [ -s "$file" ] && [ "$n" -gt 0 ] || die "$name: capture is empty"
    [ "$(stat -c %s "$file")" -lt "${CAPTURE_MAX_BYTES:-204800}" ] ||
        die "$name: capture is ${CAPTURE_MAX_BYTES:-204800} bytes or more"
    # Every flow must be whole: a SYN, closed by a FIN from each side or by a RST (swaks
    # resets its TLS session's socket), and no segment missing.
    local syns closed lost
    syns=$(tshark -r "$file" -n -Y 'tcp.flags.syn==1 && tcp.flags.ack==0' 2>/dev/null | wc -l)
    closed=$(tshark -r "$file" -n -Y 'tcp.flags.fin==1 || tcp.flags.reset==1' -T fields \
        -e tcp.stream -e tcp.srcport -e tcp.flags.reset 2>/dev/null | sort -u |
        awk '{ if ($3 == "1") rst[$1] = 1; else fin[$1]++ }
             END { for (s in fin) if (fin[s] >= 2) rst[s] = 1; n = 0; for (s in rst) n++; print n }')
    lost=$(tshark -r "$file" -n -Y 'tcp.analysis.lost_segment || tcp.analysis.ack_lost_segment' \
        2>/dev/null | wc -l)
    [ "$syns" -eq "$n" ] && [ "$closed" -eq "$n" ] && [ "$lost" -eq 0 ] ||
        die "$name: $n flows but $syns SYNs, $closed closed, $lost lost segments"
    flows[$name]=$n
    printf '%-24s %8d bytes %3d tcp flows\n' "$name" "$(stat -c %s "$file")" "$n"
}

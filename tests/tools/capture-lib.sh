# SPDX-License-Identifier: GPL-2.0-only
# Capture helpers shared by make-pcaps.sh and make-malformed-pcaps.sh (sourced, not run).
# The caller sets: out (folder of the pcaps), work (scratch folder), log (its log file),
# the array bg_pids (background pids to stop on exit) and the associative array flows
# (file -> TCP flow count, filled here). CAPTURE_MAX_BYTES caps one file (default 200 KB).

die() {
    local me=${ME:-make-pcaps}
    echo "$me: $*" >&2
    [ -n "${log:-}" ] && [ -f "$log" ] && tail -n 30 "$log" >&2
    exit 1
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


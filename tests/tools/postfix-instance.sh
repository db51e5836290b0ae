#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Start or stop a private Postfix instance for making test pcaps. It listens only on
# loopback (127.0.0.1 / ::1) on the ports given, delivers nothing anywhere (every
# transport is discard:, and master.cf has no smtp/lmtp/local client at all), and
# keeps its config, queue and log under one folder.
#
#   postfix-instance.sh start DIR CERT KEY PORT:OPTS [PORT:OPTS ...]
#   postfix-instance.sh stop DIR
#
# PORT may be "127.0.0.1:N" or "[::1]:N". OPTS is a comma-separated list of
# smtpd -o overrides (name=value), or "-" for none.
set -eu

cmd=${1:?usage: postfix-instance.sh start|stop DIR ...}
dir=${2:?missing DIR}

case "$cmd" in
stop)
    if [ -f "$dir/etc/main.cf" ]; then
        postfix -c "$dir/etc" stop >/dev/null 2>&1 || true
        # postfix stop is asynchronous; wait (bounded) until master is gone.
        i=0
        while [ -f "$dir/spool/pid/master.pid" ] && [ $i -lt 50 ]; do
            pid=$(tr -dc 0-9 <"$dir/spool/pid/master.pid")
            [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || break
            sleep 0.1; i=$((i + 1))
        done
    fi
    exit 0
    ;;
start) ;;
*) echo "postfix-instance.sh: unknown command '$cmd'" >&2; exit 2 ;;
esac

cert=${3:?missing CERT}
key=${4:?missing KEY}
shift 4

mkdir -p "$dir/etc" "$dir/spool" "$dir/data"
chown postfix "$dir/data"
cat >"$dir/etc/main.cf" <<MAIN
compatibility_level = 3.6
queue_directory = $dir/spool
data_directory = $dir/data
mail_owner = postfix
setgid_group = postdrop
maillog_file_prefixes = $dir
maillog_file = $dir/maillog
myhostname = mx.shrike.test
mydomain = shrike.test
myorigin = \$mydomain
mydestination = shrike.test, mx.shrike.test
inet_interfaces = loopback-only
inet_protocols = all
mynetworks = 127.0.0.0/8 [::1]/128
smtpd_banner = \$myhostname ESMTP Shrike test MTA
biff = no
relayhost =
# Nothing ever leaves: every transport discards, and there is no smtp client in master.cf.
default_transport = discard:shrike-test
relay_transport = discard:shrike-test
local_transport = discard:shrike-test
virtual_transport = discard:shrike-test
local_recipient_maps =
smtpd_peername_lookup = no
smtpd_recipient_restrictions = check_recipient_access texthash:$dir/etc/rcpt_access, permit_mynetworks, reject_unauth_destination
smtpd_tls_cert_file = $cert
smtpd_tls_key_file = $key
smtpd_tls_security_level = may
smtpd_tls_loglevel = 0
message_size_limit = 10240000
access_map_reject_code = 550
MAIN
cat >"$dir/etc/rcpt_access" <<'ACC'
nobody@shrike.test REJECT 5.1.1 User unknown (shrike test)
ACC

{
    for spec in "$@"; do
        opts=${spec##*:}
        addr=${spec%:*}
        printf '%s inet n - n - - smtpd\n' "$addr"
        if [ "$opts" != "-" ]; then
            echo "$opts" | tr ',' '\n' | while IFS= read -r o; do
                [ -n "$o" ] && printf '  -o %s\n' "$o"
            done
        fi
    done
    cat <<'MASTER'
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
MASTER
} >"$dir/etc/master.cf"

postfix -c "$dir/etc" check
postfix -c "$dir/etc" start
# Wait (bounded) until every listener accepts connections.
for spec in "$@"; do
    addr=${spec%:*}
    port=${addr##*:}
    host=${addr%:*}; host=${host#[}; host=${host%]}
    i=0
    until /usr/bin/python3 -c 'import socket,sys; socket.create_connection((sys.argv[1], int(sys.argv[2])), 1).close()' "$host" "$port" 2>/dev/null; do
        i=$((i + 1))
        [ $i -lt 50 ] || { echo "postfix-instance.sh: $addr did not come up" >&2; exit 1; }
        sleep 0.1
    done
done

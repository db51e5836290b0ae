#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""A Unix socket reader standing in for a log collector (or /dev/log) in the sink tests:
binds PATH (datagram or stream), appends what it receives to OUT (a datagram a line, a newline added when it has none, or
the stream's bytes as they come) and flushes at once, until SIGTERM or LIFETIME seconds.
Usage: unix-listen.py dgram|stream PATH OUT [LIFETIME]."""
import os
import select
import signal
import socket
import sys
import time


def main():
    kind, path, out = sys.argv[1], sys.argv[2], sys.argv[3]
    lifetime = float(sys.argv[4]) if len(sys.argv) > 4 else 120.0
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    if os.path.exists(path):
        os.unlink(path)
    st = socket.SOCK_DGRAM if kind == "dgram" else socket.SOCK_STREAM
    srv = socket.socket(socket.AF_UNIX, st)
    srv.bind(path)
    if kind == "stream":
        srv.listen(4)
    socks = [srv]
    end = time.monotonic() + lifetime
    with open(out, "ab", buffering=0) as f:
        while not stop and time.monotonic() < end:
            try:
                ready, _, _ = select.select(socks, [], [], 0.1)
            except InterruptedError:
                continue
            for s in ready:
                if kind == "dgram":
                    d = s.recv(1 << 20)
                    f.write(d if d.endswith(b"\n") else d + b"\n")
                elif s is srv:
                    c, _ = srv.accept()
                    socks.append(c)
                else:
                    data = s.recv(1 << 16)
                    if data:
                        f.write(data)
                    else:
                        socks.remove(s)
                        s.close()
    for s in socks:
        s.close()
    os.unlink(path)


if __name__ == "__main__":
    main()

#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""SMTP traffic for tests/e2e/reload.sh, slow enough that reloads land inside sessions.

  server HOST PORT LIFETIME   an aiosmtpd server that accepts and drops every message, for at
                              most LIFETIME seconds (or until SIGTERM)
  client HOST PORT FIRST N DELAY [TAG]
                              N sessions, numbered FIRST.., one after the other: EHLO,
                              MAIL FROM:<probe-K@...>, RCPT TO:<rcpt-K@...>, DATA with the
                              subject "reload probe K TAG"; DELAY seconds between commands
"""
import smtplib
import sys
import threading
import time
import signal


def server(host, port, lifetime):
    from aiosmtpd.controller import Controller

    class Drop:
        async def handle_DATA(self, server, session, envelope):
            return "250 OK dropped"

    c = Controller(Drop(), hostname=host, port=port, server_hostname="srv.shrike.test")
    c.start()
    print("ready", flush=True)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    done.wait(lifetime)
    c.stop()


def client(host, port, first, n, delay, tag):
    for k in range(first, first + n):
        s = smtplib.SMTP(host, port, local_hostname="client.shrike.test", timeout=20)
        s.ehlo()
        time.sleep(delay)
        s.mail(f"probe-{k}@shrike.test")
        time.sleep(delay)
        s.rcpt(f"rcpt-{k}@shrike.test")
        time.sleep(delay)
        msg = (f"From: probe-{k}@shrike.test\r\nTo: rcpt-{k}@shrike.test\r\n"
               f"Subject: reload probe {k} {tag}\r\n\r\nbody of session {k}\r\n")
        s.data(msg.encode())
        time.sleep(delay)
        s.quit()


def main():
    if sys.argv[1] == "server":
        server(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]))
    else:
        tag = sys.argv[7] if len(sys.argv) > 7 else ""
        client(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]),
               float(sys.argv[6]), tag)
    return 0


if __name__ == "__main__":
    sys.exit(main())

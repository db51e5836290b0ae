#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""A small aiosmtpd server for making test pcaps (Debian's python3-aiosmtpd).

Listens on one loopback address and port, accepts every message and drops it, and
accepts AUTH PLAIN / LOGIN for user 'shrike' with password 'shrike-pass' (any other
pair gets 535). It runs until SIGINT/SIGTERM or --lifetime seconds, whichever comes
first, so it can never outlive the script that started it by much.

    /usr/bin/python3 aiosmtpd-server.py --host 127.0.0.1 --port 12531 [--lifetime 120]
"""
import argparse
import signal
import sys
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

USER = b"shrike"
PASSWORD = b"shrike-pass"


class DropHandler:
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        # local parts starting with "unknown" do not exist (rules-harvest.pcap)
        if address.lower().startswith("unknown"):
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        return "250 OK message accepted for delivery (dropped)"


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = (isinstance(auth_data, LoginPassword) and auth_data.login == USER
          and auth_data.password == PASSWORD)
    return AuthResult(success=ok, handled=False)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1", choices=["127.0.0.1", "::1"])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--lifetime", type=float, default=120.0)
    args = ap.parse_args()

    controller = Controller(
        DropHandler(), hostname=args.host, port=args.port,
        server_hostname="aio.shrike.test", ident="Shrike test aiosmtpd",
        authenticator=authenticator, auth_require_tls=False)
    controller.start()
    print("ready", flush=True)
    done = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: done.set())
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    done.wait(args.lifetime)
    controller.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""SMTP sessions whose transactions never deliver, or deliver after a refusal, for the
transactions capture (make-txn-pcaps.sh), sent to a real server (the private Postfix of
postfix-instance.sh) on 127.0.0.1.

    txn-client.py SCENARIO PORT

Each scenario is one TCP connection. A step is a command line the client sends and then
waits for the server's whole reply to (a final "NNN " line), so what the server answers is
Postfix's own; "pregreeting" sends its whole session at once, before the greeting. Every
wait has a timeout and every loop is bounded.
"""
import socket
import sys

HOST = "127.0.0.1"
TIMEOUT = 20
ALICE = b"MAIL FROM:<alice@client.shrike.test>\r\n"
BOB = b"RCPT TO:<bob@shrike.test>\r\n"
NOBODY = b"RCPT TO:<nobody@shrike.test>\r\n"  # postfix-instance.sh refuses it (550)
EHLO = b"EHLO client.shrike.test\r\n"
QUIT = b"QUIT\r\n"


def message(tag):
    return (b"Date: Thu, 01 Jan 2026 00:00:00 +0000\r\nFrom: alice@client.shrike.test\r\n"
            b"To: bob@shrike.test\r\nSubject: SHRIKE-TXN " + tag.encode() + b"\r\n"
            b"Message-Id: <shrike-txn-" + tag.encode() + b"@client.shrike.test>\r\n\r\n"
            b"Transaction scenario " + tag.encode() + b".\r\n.\r\n")


# (send, replies to read after it); a message goes as one send after its 354.
SCENARIOS = {
    # RCPT before any MAIL (503), then a whole transaction
    "rcpt-without-mail": [(EHLO, 1), (BOB, 1), (ALICE, 1), (BOB, 1), (b"DATA\r\n", 1),
                          (message("rcpt-without-mail"), 1), (QUIT, 1)],
    # DATA with no recipient (554) and then the session ends
    "data-without-rcpt": [(EHLO, 1), (ALICE, 1), (b"DATA\r\n", 1), (QUIT, 1)],
    # the only recipient refused, DATA refused, then commands again and a delivery
    "data-refused": [(EHLO, 1), (ALICE, 1), (NOBODY, 1), (b"DATA\r\n", 1),
                     (ALICE, 1), (BOB, 1), (b"DATA\r\n", 1), (message("data-refused"), 1),
                     (QUIT, 1)],
    # MAIL FROM refused (555, an unknown BODY value), a second MAIL FROM accepted
    "mail-refused": [(EHLO, 1), (b"MAIL FROM:<mallory@client.shrike.test> BODY=NONSENSE\r\n", 1),
                     (ALICE, 1), (BOB, 1), (b"DATA\r\n", 1), (message("mail-refused"), 1),
                     (QUIT, 1)],
    # RSET mid-transaction, a delivery, then an envelope abandoned by QUIT
    "rset-abandon": [(EHLO, 1), (ALICE, 1), (BOB, 1), (b"RSET\r\n", 1),
                     (b"MAIL FROM:<carol@client.shrike.test>\r\n", 1), (BOB, 1),
                     (b"DATA\r\n", 1), (message("rset-abandon"), 1),
                     (b"MAIL FROM:<dave@client.shrike.test>\r\n", 1), (BOB, 1), (QUIT, 1)],
    # an unknown verb between commands (502)
    "unknown-verb": [(EHLO, 1), (b"XYZZY plugh\r\n", 1), (ALICE, 1), (BOB, 1), (QUIT, 1)],
}


def read_replies(sock, buf, n):
    """Reads n whole replies; returns the bytes left over."""
    for _ in range(n):
        for _ in range(1000):
            lines = buf.split(b"\r\n")
            done = next((i for i, l in enumerate(lines[:-1]) if len(l) >= 4 and l[3:4] == b" "),
                        None)
            if done is not None:
                buf = b"\r\n".join(lines[done + 1:])
                break
            chunk = sock.recv(65536)
            if not chunk:
                raise SystemExit("server closed the connection early")
            buf += chunk
        else:
            raise SystemExit("reply too long")
    return buf


def main():
    name, port = sys.argv[1], int(sys.argv[2])
    sock = socket.create_connection((HOST, port), timeout=TIMEOUT)
    if name == "pregreeting":
        # the whole session before the greeting: Postfix reads it in order once it greets
        steps = [EHLO, ALICE, BOB, b"DATA\r\n", message("pregreeting"), QUIT]
        sock.sendall(b"".join(steps))
        read_replies(sock, b"", 7)  # greeting, EHLO, MAIL, RCPT, 354, queued, 221
    else:
        buf = read_replies(sock, b"", 1)
        for data, n in SCENARIOS[name]:
            sock.sendall(data)
            buf = read_replies(sock, buf, n)
    sock.shutdown(socket.SHUT_WR)
    for _ in range(100):
        if not sock.recv(65536):
            break
    sock.close()
    print("done", name)


if __name__ == "__main__":
    main()

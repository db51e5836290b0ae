#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""A session as a capture decrypted after STARTTLS shows it (or one taken behind a
TLS-terminating proxy): the server answers STARTTLS with 220 and both sides go on in plain SMTP.

    starttls-plain.py server PORT   (answers one session, then exits)
    starttls-plain.py client PORT

Both on 127.0.0.1; every wait has a timeout, every loop is bounded.
"""
import socket
import sys

HOST = "127.0.0.1"
REPLIES = {b"EHLO": b"250-mx.shrike.test\r\n250-PIPELINING\r\n250 STARTTLS\r\n",
           b"STARTTLS": b"220 2.0.0 Ready to start TLS\r\n", b"MAIL": b"250 2.1.0 Ok\r\n",
           b"RCPT": b"250 2.1.5 Ok\r\n", b"DATA": b"354 End data with <CR><LF>.<CR><LF>\r\n",
           b"QUIT": b"221 2.0.0 Bye\r\n"}
MESSAGE = (b"From: alice@client.shrike.test\r\nTo: bob@shrike.test\r\n"
           b"Subject: SHRIKE-STARTTLS-PLAIN after STARTTLS\r\n\r\nSent after STARTTLS, in clear.\r\n.\r\n")


def lines(sock):
    buf = b""
    for _ in range(1000):
        while b"\r\n" in buf:
            line, buf = buf.split(b"\r\n", 1)
            yield line
        chunk = sock.recv(65536)
        if not chunk:
            return
        buf += chunk


def server(port):
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((HOST, port))
    ls.listen(1)
    ls.settimeout(20)
    print("listening", flush=True)
    s, _ = ls.accept()
    s.settimeout(20)
    s.sendall(b"220 mx.shrike.test ESMTP plain-after-STARTTLS test server\r\n")
    in_data = False
    for line in lines(s):
        if in_data:
            if line == b".":
                in_data = False
                s.sendall(b"250 2.0.0 Ok: queued as PLAIN1\r\n")
            continue
        verb = line.split(b" ", 1)[0].upper()
        s.sendall(REPLIES.get(verb, b"502 5.5.2 Error: command not recognized\r\n"))
        in_data = verb == b"DATA"
        if verb == b"QUIT":
            break
    s.close()
    ls.close()


def client(port):
    s = socket.create_connection((HOST, port), timeout=20)
    f = s.makefile("rb")

    def reply():
        for _ in range(100):
            line = f.readline()
            if len(line) < 4 or line[3:4] == b" ":
                return line

    reply()
    for cmd in (b"EHLO client.shrike.test\r\n", b"STARTTLS\r\n", b"EHLO client.shrike.test\r\n",
                b"MAIL FROM:<alice@client.shrike.test>\r\n", b"RCPT TO:<bob@shrike.test>\r\n",
                b"DATA\r\n", MESSAGE, b"QUIT\r\n"):
        s.sendall(cmd)
        print(reply())
    s.close()


if __name__ == "__main__":
    {"server": server, "client": client}[sys.argv[1]](int(sys.argv[2]))

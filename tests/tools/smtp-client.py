#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""SMTP clients for making test pcaps, for sessions that swaks cannot make.

  multi   Python's smtplib: one session, two MAIL transactions, several RCPT TO, one
          of them refused by the server (nobody@shrike.test).
  bdat    raw socket, exact bytes: CHUNKING with BDAT n + BDAT n LAST.
  bdat0   raw socket: BDAT n + BDAT 0 LAST.
  bdatp   raw socket: MAIL, RCPT and BDAT n LAST pipelined in one write.
  rset    raw socket: MAIL, RCPT, RSET, then a second MAIL/RCPT/DATA.

Every session talks to one loopback address and port, waits for each reply with a
timeout, and sends a bounded, fixed list of commands, so the bytes on the wire are
the same on every run (the server's replies may carry queue ids).

    /usr/bin/python3 smtp-client.py KIND HOST PORT
"""
import smtplib
import socket
import sys

HELO = "client.shrike.test"
TIMEOUT = 20.0
DATE = "Date: Thu, 01 Jan 2026 00:00:00 +0000\r\n"


class Raw:
    """A line-oriented SMTP client over a plain socket; replies are read whole."""

    def __init__(self, host, port):
        self.sock = socket.create_connection((host, port), timeout=TIMEOUT)
        self.buf = b""

    def send(self, data):
        self.sock.sendall(data)

    def reply(self):
        """Read one (possibly multi-line) reply; return its code."""
        while True:
            while b"\r\n" not in self.buf:
                chunk = self.sock.recv(65536)
                if not chunk:
                    raise ConnectionError("server closed the connection")
                self.buf += chunk
            line, self.buf = self.buf.split(b"\r\n", 1)
            if len(line) < 4 or line[3:4] != b"-":
                return int(line[:3])

    def cmd(self, line, expect=None):
        self.send(line.encode() + b"\r\n")
        code = self.reply()
        if expect is not None and code != expect:
            raise RuntimeError(f"{line!r}: got {code}, wanted {expect}")
        return code

    def close(self):
        self.sock.close()


def message(subject, body_lines, to="bob@shrike.test", msgid="bdat"):
    head = (DATE + "From: Alice <alice@client.shrike.test>\r\n"
            f"To: <{to}>\r\n"
            f"Subject: {subject}\r\n"
            f"Message-Id: <shrike-{msgid}@client.shrike.test>\r\n"
            "MIME-Version: 1.0\r\n"
            "Content-Type: text/plain; charset=us-ascii\r\n\r\n")
    return (head + "".join(l + "\r\n" for l in body_lines)).encode()


def start(host, port):
    c = Raw(host, port)
    if c.reply() != 220:
        raise RuntimeError("no greeting")
    c.cmd(f"EHLO {HELO}", 250)
    return c


def bdat(host, port):
    msg = message("SHRIKE-MARKER-BDAT two chunks", [
        "This message travels in two BDAT chunks.",
        ".this line starts with a dot and is NOT dot-stuffed in BDAT",
        ".",
        "the line above is a lone dot, which ends nothing in BDAT",
        "SHRIKE-MARKER-BDAT end of body"], msgid="bdat-1")
    cut = len(msg) // 2
    c = start(host, port)
    c.cmd("MAIL FROM:<alice@client.shrike.test>", 250)
    c.cmd("RCPT TO:<bob@shrike.test>", 250)
    for last, part in ((False, msg[:cut]), (True, msg[cut:])):
        c.send(f"BDAT {len(part)}{' LAST' if last else ''}\r\n".encode() + part)
        if c.reply() != 250:
            raise RuntimeError("BDAT refused")
    c.cmd("QUIT", 221)
    c.close()


def bdat0(host, port):
    msg = message("SHRIKE-MARKER-BDAT zero last", [
        "One BDAT chunk, then an empty BDAT 0 LAST ends the message."], msgid="bdat-2")
    c = start(host, port)
    c.cmd("MAIL FROM:<alice@client.shrike.test>", 250)
    c.cmd("RCPT TO:<carol@shrike.test>", 250)
    c.send(f"BDAT {len(msg)}\r\n".encode() + msg)
    if c.reply() != 250:
        raise RuntimeError("BDAT refused")
    c.cmd("BDAT 0 LAST", 250)
    c.cmd("QUIT", 221)
    c.close()


def bdatp(host, port):
    msg = message("SHRIKE-MARKER-BDAT pipelined", [
        "MAIL, RCPT and BDAT LAST were sent in one write."], to="dave@shrike.test",
        msgid="bdat-3")
    c = start(host, port)
    c.send(b"MAIL FROM:<alice@client.shrike.test>\r\nRCPT TO:<dave@shrike.test>\r\n"
           + f"BDAT {len(msg)} LAST\r\n".encode() + msg)
    codes = [c.reply() for _ in range(3)]
    if codes != [250, 250, 250]:
        raise RuntimeError(f"pipelined BDAT got {codes}")
    c.cmd("QUIT", 221)
    c.close()


def rset(host, port):
    c = start(host, port)
    c.cmd("MAIL FROM:<alice@client.shrike.test>", 250)
    c.cmd("RCPT TO:<bob@shrike.test>", 250)
    c.cmd("RSET", 250)
    c.cmd("MAIL FROM:<alice@client.shrike.test>", 250)
    c.cmd("RCPT TO:<carol@shrike.test>", 250)
    c.cmd("DATA", 354)
    c.send(message("after RSET", ["The first transaction was reset."], to="carol@shrike.test",
                   msgid="rset") + b".\r\n")
    if c.reply() != 250:
        raise RuntimeError("DATA refused")
    c.cmd("QUIT", 221)
    c.close()


def multi(host, port):
    msg1 = message("SHRIKE-MARKER-MULTI first of two", [
        "First message: three recipients, one of them refused."], to="bob@shrike.test",
        msgid="multi-1").decode()
    msg2 = message("SHRIKE-MARKER-MULTI second of two", [
        "Second message in the same session: two recipients."], to="dave@shrike.test",
        msgid="multi-2").decode()
    with smtplib.SMTP(host, port, local_hostname=HELO, timeout=TIMEOUT) as s:
        refused = s.sendmail("alice@client.shrike.test",
                             ["bob@shrike.test", "nobody@shrike.test", "carol@shrike.test"],
                             msg1)
        if list(refused) != ["nobody@shrike.test"]:
            raise RuntimeError(f"unexpected refusals {refused}")
        s.sendmail("alice@client.shrike.test", ["dave@shrike.test", "erin@shrike.test"], msg2)


KINDS = {"multi": multi, "bdat": bdat, "bdat0": bdat0, "bdatp": bdatp, "rset": rset}

if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[1] not in KINDS:
        sys.exit("usage: smtp-client.py {%s} HOST PORT" % "|".join(KINDS))
    KINDS[sys.argv[1]](sys.argv[2], int(sys.argv[3]))

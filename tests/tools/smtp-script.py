#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Scripted SMTP sessions for the malformed test captures (make-malformed-pcaps.sh).

    smtp-script.py SCENARIO PORT

A tiny server and a tiny client, both in this process, on 127.0.0.1:PORT only. Neither
parses anything: each session is a list of steps (who, bytes), and every step is sent by
its side and read whole by the other before the next one starts, so the capture holds
exactly the bytes below, in this order, whatever a real MTA would have said. Each session
is one TCP connection, closed by the client (FIN) and then the server. Every wait has a
timeout and every loop is bounded by the length of a step.
"""
import socket
import sys

HOST = "127.0.0.1"
TIMEOUT = 10
GREET = b"220 mx.shrike.test ESMTP scripted\r\n"
EHLO = b"EHLO client.shrike.test\r\n"
EHLO_OK = b"250-mx.shrike.test\r\n250-PIPELINING\r\n250-CHUNKING\r\n250 STARTTLS\r\n"
MAIL = b"MAIL FROM:<alice@client.shrike.test>\r\n"
RCPT = b"RCPT TO:<bob@shrike.test>\r\n"
OK = b"250 2.0.0 Ok\r\n"
QUIT = [("c", b"QUIT\r\n"), ("s", b"221 2.0.0 Bye\r\n")]


def opening():
    return [("s", GREET), ("c", EHLO), ("s", EHLO_OK)]


def envelope():
    return [("c", MAIL), ("s", OK), ("c", RCPT), ("s", OK)]


def bare_lf():
    """Every command and reply line ends with a bare LF (both directions)."""
    return [[("s", b"220 mx.shrike.test ESMTP scripted\n"), ("c", b"EHLO client.shrike.test\n"),
             ("s", b"250 mx.shrike.test\n"), ("c", b"MAIL FROM:<alice@client.shrike.test>\n"),
             ("s", b"250 2.1.0 Ok\n"), ("c", b"QUIT\n"), ("s", b"221 2.0.0 Bye\n")]]


def lf_crlf_mix():
    """The client ends some lines with CRLF, some with LF, and puts a CR inside one."""
    return [opening() + [("c", b"MAIL FROM:<alice@client.shrike.test>\n"), ("s", OK),
                         ("c", RCPT), ("s", OK), ("c", b"NOOP a\rb\r\n"), ("s", OK)] + QUIT]


def smuggling():
    """SMTP smuggling: the first message ends with a non-standard marker; a lenient server
    accepts it, so what follows (a second, spoofed envelope and message) is read as
    commands. One session per marker: <LF>.<LF>, <LF>.<CRLF>, <CR>.<CR>."""
    out = []
    for marker in (b"\n.\n", b"\n.\r\n", b"\r.\r"):
        first = (b"From: alice@client.shrike.test\r\nSubject: first\r\n\r\nfirst message" +
                 marker + b"MAIL FROM:<admin@shrike.test>\r\nRCPT TO:<bob@shrike.test>\r\n"
                 b"DATA\r\n")
        second = (b"From: admin@shrike.test\r\nSubject: smuggled\r\n\r\nspoofed message\r\n"
                  b".\r\n")
        out.append(opening() + envelope() + [
            ("c", b"DATA\r\n"), ("s", b"354 End data with <CR><LF>.<CR><LF>\r\n"),
            ("c", first),
            ("s", b"250 2.0.0 Ok: queued as 1\r\n250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n"
                  b"354 End data with <CR><LF>.<CR><LF>\r\n"),
            ("c", second), ("s", b"250 2.0.0 Ok: queued as 2\r\n")] + QUIT)
    return out


def long_lines():
    """A 5,000-byte EHLO (over the 4 KB line limit), a 5,000-byte reply line, a 600-byte
    NOOP (over RFC 5321's 512) and a 3,000-byte AUTH PLAIN line."""
    return [[("s", GREET), ("c", b"EHLO " + b"A" * 5000 + b"\r\n"),
             ("s", b"250-mx.shrike.test " + b"B" * 5000 + b"\r\n250 PIPELINING\r\n"),
             ("c", b"NOOP " + b"n" * 600 + b"\r\n"), ("s", OK),
             ("c", b"AUTH PLAIN " + b"QUFB" * 750 + b"\r\n"),
             ("s", b"535 5.7.8 Authentication credentials invalid\r\n")] + QUIT]


def xlink2state():
    """Exchange's X-LINK2STATE verb with a long CHUNK argument (CVE-2005-0560)."""
    return [opening() + [("c", b"X-LINK2STATE LAST CHUNK=" + b"A" * 200 + b"\r\n"),
                         ("s", b"500 5.5.2 Error: command not recognized\r\n")] + QUIT]


def starttls_injection():
    """MAIL FROM pipelined after STARTTLS in the same segment (CVE-2011-0411 style); after
    the server's 220 the client starts a TLS record and hangs up."""
    return [opening() + [("c", b"STARTTLS\r\n" + MAIL), ("s", b"220 2.0.0 Ready to start TLS\r\n"),
                         ("c", b"\x16\x03\x01\x00\x04\x01\x00\x00\x00")]]


def nested_mail():
    """A second MAIL FROM inside an accepted transaction."""
    return [opening() + [("c", MAIL), ("s", OK),
                         ("c", b"MAIL FROM:<mallory@client.shrike.test>\r\n"),
                         ("s", b"503 5.5.1 Error: nested MAIL command\r\n")] + QUIT]


def too_many_rcpt():
    """1,001 RCPT TO in one transaction (shrike.yaml allows 1,000), pipelined 100 at a time."""
    steps = opening() + [("c", MAIL), ("s", OK)]
    for start in range(0, 1001, 100):
        n = min(100, 1001 - start)
        steps.append(("c", b"".join(b"RCPT TO:<r%04d@shrike.test>\r\n" % (start + i)
                                    for i in range(n))))
        steps.append(("s", b"250 2.1.5 Ok\r\n" * n))
    return [steps + [("c", b"RSET\r\n"), ("s", OK)] + QUIT]


def bdat():
    """BDAT 10 LAST followed by 20 bytes (the other 10 then read as a command line), and a
    BDAT with a negative size."""
    return [opening() + envelope() + [
        ("c", b"BDAT 10 LAST\r\n0123456789ABCDEFGHIJ\r\n"),
        ("s", b"250 2.0.0 Ok: queued as 3\r\n500 5.5.2 Error: command not recognized\r\n"),
        ("c", b"BDAT -5 LAST\r\n"), ("s", b"501 5.5.4 Syntax: BDAT count [LAST]\r\n")] + QUIT]


def unknown_cmd():
    """Verbs no SMTP server knows."""
    return [opening() + [("c", b"XYZZY magic\r\n"), ("s", b"502 5.5.2 Error: command not recognized\r\n"),
                         ("c", b"GET / HTTP/1.0\r\n"), ("s", b"502 5.5.2 Error: command not recognized\r\n")]
            + QUIT]


def reply_code():
    """Replies with codes outside 200-599: 600, 099 (not replies at all) and 150."""
    return [opening() + [("c", b"NOOP\r\n"), ("s", b"600 beyond the range\r\n"),
                         ("c", b"NOOP\r\n"), ("s", b"099 below the range\r\n"),
                         ("c", b"NOOP\r\n"), ("s", b"150 preliminary\r\n")] + QUIT]


def no_greeting():
    """The server says nothing; the client gives up waiting and sends EHLO."""
    return [[("c", EHLO), ("s", b"250 mx.shrike.test\r\n")] + QUIT]


SCENARIOS = {
    "bare-lf": bare_lf, "lf-crlf-mix": lf_crlf_mix, "smuggling": smuggling,
    "long-lines": long_lines, "xlink2state": xlink2state,
    "starttls-injection": starttls_injection, "nested-mail": nested_mail,
    "too-many-rcpt": too_many_rcpt, "bdat": bdat, "unknown-cmd": unknown_cmd,
    "reply-code": reply_code, "no-greeting": no_greeting,
}


def read_exactly(sock, n):
    got = bytearray()
    while len(got) < n:  # bounded: each recv returns >= 1 byte or ends the loop
        chunk = sock.recv(min(65536, n - len(got)))
        if not chunk:
            raise RuntimeError("peer closed with %d of %d bytes read" % (len(got), n))
        got += chunk
    return bytes(got)


def run_session(srv, port, steps):
    cli = socket.create_connection((HOST, port), timeout=TIMEOUT)
    conn, _ = srv.accept()
    conn.settimeout(TIMEOUT)
    for s in (cli, conn):
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    ends = {"c": (cli, conn), "s": (conn, cli)}
    for who, data in steps:
        tx, rx = ends[who]
        tx.sendall(data)
        if read_exactly(rx, len(data)) != data:
            raise RuntimeError("bytes changed in transit")
    cli.shutdown(socket.SHUT_WR)
    if conn.recv(1) != b"":
        raise RuntimeError("client sent more than the script")
    conn.close()
    if cli.recv(1) != b"":
        raise RuntimeError("server sent more than the script")
    cli.close()


def main():
    name, port = sys.argv[1], int(sys.argv[2])
    sessions = SCENARIOS[name]()
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((HOST, port))
    srv.listen(1)
    srv.settimeout(TIMEOUT)
    try:
        for steps in sessions:
            run_session(srv, port, steps)
    finally:
        srv.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

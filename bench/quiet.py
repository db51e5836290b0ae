# SPDX-License-Identifier: GPL-2.0-only
"""Shrike runs timed on a noisy machine, for bench/ab and bench/scaling.

A run is worth keeping only when other processes left the machine alone while it ran: the
share of the machine they used is read from /proc/stat (busy jiffies, less the runs' own
CPU time from getrusage)."""
import os
import resource
import subprocess
import sys
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def busy():
    """Jiffies the machine spent busy, from the first line of /proc/stat."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return v[0] + v[1] + v[2] + v[5] + v[6]


def shrike_cmd(binary, capture, logs, rules, workers, digests, extra):
    """Shrike as the benches run it: events.json off, attachments the only files; digests
    "off" also turns the file digests and the body MD5 off; `nice -n -15` when the user
    may."""
    cmd = [binary, "-c", os.path.join(TOP, "shrike.yaml"), "-r", capture, "-l", logs,
           "-S", rules, "--workers", str(workers), "--set", "outputs.events.enabled=no",
           "--set", "mime.body-files=no", "--set", "mime.message-files=no"] + list(extra)
    if digests == "off":
        cmd += ["--set", "mime.hash-files=no", "--set", "mime.body-md5=no"]
    if os.geteuid() == 0:
        cmd = ["nice", "-n", "-15"] + cmd
    return cmd


def run(cmds):
    """Runs the commands at once; their wall time (until the last ends), their CPU time and
    the share of the machine other processes used meanwhile. Exits when one fails."""
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    b0, w0 = busy(), time.monotonic()
    procs = [subprocess.Popen(c, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
             for c in cmds]
    rcs = [p.wait() for p in procs]
    wall, b1 = time.monotonic() - w0, busy()
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    for c, rc in zip(cmds, rcs):
        if rc != 0:
            sys.exit("%s exited with %d" % (" ".join(c), rc))
    ours = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    other = (b1 - b0) / os.sysconf("SC_CLK_TCK") - ours
    return wall, ours, other / (wall * os.cpu_count())

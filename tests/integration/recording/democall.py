#!/usr/bin/env python3
"""The demo's recorded call: 5001 calls 5010 (record=true) through gatewayd; both send tones.

    democall.py STACK_DIR              one call of a few seconds, then report: the WAV in
                                       RECORDER_DIR, the PostgreSQL rows, the status page
    democall.py STACK_DIR --hold       a call that stays up (recorded, on the status page)
                                       until SIGTERM / SIGINT or gatewayd ends it
"""
import glob
import json
import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import recua  # noqa: E402 (it puts tests/lib on the path)
from arectest import util  # noqa: E402


def load_env(d):
    env = {}
    for line in (Path(d) / "stack.env").read_text().splitlines():
        k, _, v = line.partition("=")
        parts = shlex.split(v)
        env[k] = parts[0] if parts else ""
    return env


def wait_for(pred, timeout, what):
    return util.wait_for(pred, timeout, what, step=0.05,
                         fail=lambda msg: sys.exit("democall: " + msg))


def sidecars(d):
    out = []
    for f in glob.glob(os.path.join(d, "*.json")):
        try:
            out.append((f, json.load(open(f))))
        except (OSError, ValueError):
            pass
    return out


def main():
    d = sys.argv[1]
    hold = "--hold" in sys.argv[2:]
    env = load_env(d)
    host, port = env["SIP_ADDR"].split(":")
    gw = (host, int(port))
    rec_dir = env["RECORDER_DIR"]
    callee_dn, caller_dn = ("5010", "5001") if not hold else ("5010", "5002")
    before = {f for f, _ in sidecars(rec_dir)}
    b = recua.Phone(callee_dn, gw, 1000.0)
    if b.register() != 200:
        sys.exit("democall: REGISTER of %s refused" % callee_dn)
    a = recua.Phone(caller_dn, gw, 440.0)
    a.call(callee_dn)
    if a.wait_answered() != 200:
        sys.exit("democall: the call was not answered")
    print("democall: %s called %s (record=true): answered, audio flowing" % (caller_dn, callee_dn))
    # mediad is inserted (one re-INVITE per phone) and the recorder opens its session
    wait_for(lambda: a.reinvites and b.reinvites, 10, "the phones to be moved to mediad")
    new = wait_for(lambda: [j for f, j in sidecars(rec_dir) if f not in before], 10,
                   "the recorder's session")
    rid = new[0]["record_id"]
    print("democall: recording %s started (recordDN %s, otherDN %s)"
          % (rid, new[0]["params"].get("recordDN"), new[0]["params"].get("otherDN")))
    if hold:
        stop = []
        signal.signal(signal.SIGTERM, lambda *x: stop.append(1))
        signal.signal(signal.SIGINT, lambda *x: stop.append(1))
        with open(os.path.join(d, "democall.pid"), "w") as f:
            f.write("%d\n" % os.getpid())
        while not stop and not any(e[0] == "bye" for e in a.events + b.events):
            time.sleep(0.2)
        if stop:
            a.hangup()
            time.sleep(0.5)
        a.close()
        b.close()
        return
    base = a.rx_packets
    wait_for(lambda: a.rx_packets > base + 200, 15, "4 s of audio")
    a.hangup()
    b.wait(lambda e: e[0] == "bye", 10, "BYE")
    side = wait_for(lambda: next((j for f, j in sidecars(rec_dir)
                                  if j.get("record_id") == rid and j.get("state") == "ended"),
                                 None), 10, "the recording to end")
    wav = os.path.join(rec_dir, side["wav"]["file"])
    print("democall: call ended; recording file %s (%d bytes, %d channels, %d samples)"
          % (wav, os.path.getsize(wav), side["wav"]["channels"], side["wav"]["samples"]))
    a.close()
    b.close()
    pg = env.get("PGURL")
    if pg:
        sql = ("select record_id, recorded_dn, other_dn, started_by, state, file_name "
               "from recordings where record_id = '%s'" % rid.replace("'", "''"))

        def row():
            r = subprocess.run(["psql", pg, "-c", sql], capture_output=True, text=True,
                               timeout=20)
            return r.stdout if "completed" in r.stdout else None
        out = wait_for(row, 15, "the recordings row")
        print("democall: psql \"$PGURL\" -c \"%s\"" % sql)
        print(out.rstrip())


if __name__ == "__main__":
    main()

"""gatewayd with [database]: --migrate, audit rows from real T-Lib traffic, outage, kill + replay."""
import json
import os
import signal
import subprocess
from pathlib import Path

import pytest

from conftest import bin_path, psql, scalar, wait_for


class Gatewayd:
    def __init__(self, workdir, dsn):
        self.bin = bin_path("gateway", "gatewayd")
        self.tlibctl = bin_path("client", "tlibctl")
        self.dir = workdir
        self.conf = str(workdir / "gatewayd.conf")
        self.journal = str(workdir / "gatewayd.journal")
        self.log = str(workdir / "gatewayd.log")
        self.ports = str(workdir / "gatewayd.ports")
        with open(self.conf, "w") as f:
            f.write("[gateway]\nsite = dbtest\ntlib-listen = 127.0.0.1:0\nws-listen = 127.0.0.1:0\n"
                    f"\n[database]\ndsn = {dsn}\njournal = {self.journal}\njournal-sync-ms = 20\n"
                    "\n[dn 5001-5005]\ntype = Extension\n"
                    "\n[application demo]\npassword = demo\ndns = *\n")
        self.proc = None

    def start(self):
        if os.path.exists(self.ports):
            os.unlink(self.ports)
        self.proc = subprocess.Popen([self.bin, "-c", self.conf, "--ports-file", self.ports,
                                      "--log-file", self.log], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        wait_for(lambda: os.path.exists(self.ports), 20, "gatewayd ports file")
        ports = dict(l.split("=", 1) for l in open(self.ports).read().split())
        self.addr = "127.0.0.1:" + ports["TLIB_PORT"]

    def request(self, obj):
        r = subprocess.run([self.tlibctl, "-a", self.addr, "-u", "demo", "-p", "demo", "request",
                            json.dumps(obj), "--timeout", "5"], capture_output=True, text=True,
                           timeout=30)
        return r.returncode, [json.loads(l) for l in r.stdout.splitlines() if l.startswith("{")]

    def screen(self, action, dn="5001"):
        rc, msgs = self.request({"message": "RequestSendEvent", "ThisDN": dn,
                                 "UserData": {"screen-capture": action}})
        assert rc == 0 and msgs[-1]["message"] == "EventACK", msgs

    def stop(self, sig=signal.SIGTERM):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=20)

    def log_text(self):
        return open(self.log).read() if os.path.exists(self.log) else ""


@pytest.fixture
def gw(workdir, db):
    g = Gatewayd(workdir, db)
    yield g
    g.stop(signal.SIGKILL)


def test_gatewayd_database_config_checked(gw):
    r = subprocess.run([gw.bin, "-c", gw.conf, "--check-config"], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout
    bad = str(gw.dir / "bad.conf")
    with open(bad, "w") as f:
        f.write(open(gw.conf).read().replace("journal-sync-ms = 20",
                                             "journal-sync-ms = -5\nbatch = 3"))
    r = subprocess.run([gw.bin, "-c", bad, "--check-config"], capture_output=True, text=True)
    assert r.returncode == 1
    assert "journal-sync-ms" in r.stdout and 'unknown key "batch" in [database]' in r.stdout


def test_gatewayd_migrate_command(gw, db):
    r = subprocess.run([gw.bin, "-c", gw.conf, "--migrate"], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0, r.stderr
    # One row per schema/NNN_*.sql file (the list grows with the schema).
    n = len(list((Path(__file__).resolve().parents[3] / "schema").glob("[0-9][0-9][0-9]_*.sql")))
    assert scalar(db, "SELECT count(*) FROM schema_version") == str(n)
    r = subprocess.run([gw.bin, "-c", gw.conf, "--migrate"], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0, r.stderr


def test_gatewayd_audits_tlib_events(gw, db):
    gw.start()  # migrates by itself in the background
    gw.screen("start")
    gw.screen("stop")
    rc, msgs = gw.request({"message": "RequestSendEvent", "ThisDN": "9999", "UserData": {}})
    assert rc == 1  # EventError: unknown DN, audited

    def rows():
        try:
            return psql(db, "SELECT dn, action FROM screen_capture_events ORDER BY id")
        except AssertionError:
            return None  # tables not created yet
    wait_for(lambda: rows() and len(rows()) == 2, 20, "screen capture rows")
    assert rows() == [["5001", "start"], ["5001", "stop"]]
    wait_for(lambda: int(scalar(db, "SELECT count(*) FROM tlib_events WHERE event = 'EventError'")) >= 1,
             20, "EventError audit row")
    ev = psql(db, "SELECT event, client, dn, site FROM tlib_events WHERE event = 'EventUserEvent'")
    assert ev == [["EventUserEvent", "demo", "5001", "dbtest"]] * 2
    assert int(scalar(db, "SELECT count(*) FROM tlib_events WHERE event = 'ClientRegistered'")) >= 3
    gw.stop(signal.SIGTERM)  # clean shutdown: no sanitizer report (ASan builds)
    assert gw.proc.returncode == 0
    assert "Sanitizer" not in gw.log_text() and "runtime error" not in gw.log_text()


def test_gatewayd_serves_while_db_down_then_replays_after_kill(cluster, gw, db):
    r = subprocess.run([gw.bin, "-c", gw.conf, "--migrate"], capture_output=True, timeout=60)
    assert r.returncode == 0
    cluster.stop()
    try:
        gw.start()  # starts and serves with PostgreSQL down
        for i in range(5):
            gw.screen("pause" if i % 2 else "resume", dn="5002")
        # Per request: ClientRegistered + EventUserEvent audit rows and the screen row.
        wait_for(lambda: _journal_rows(gw.journal) >= 15, 10, "every row journaled")
        gw.stop(signal.SIGKILL)
    finally:
        cluster.start()
    gw.start()
    wait_for(lambda: int(scalar(db, "SELECT count(*) FROM screen_capture_events "
                                    "WHERE dn = '5002'")) == 5, 30, "journal replayed")
    wait_for(lambda: os.path.getsize(gw.journal) == 8, 30, "journal emptied")
    assert int(scalar(db, "SELECT count(*) FROM screen_capture_events")) == 5


def _journal_rows(path):
    """Count journal records (8-byte header, then u32 length + u32 CRC + payload)."""
    data = open(path, "rb").read()
    off, n = 8, 0
    while off + 8 <= len(data):
        ln = int.from_bytes(data[off:off + 4], "little")
        off += 8 + ln
        n += off <= len(data)
    return n

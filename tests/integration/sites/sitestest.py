"""Helpers for the multi-site tests: tests/sites stacks, per-site phones and watchers."""
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "calls"))
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "lib"))
from callstest import (BUILD, REPO, Calls, Stack, names, request, sequences,  # noqa: E402,F401
                       wait_event, wait_for)

SITES = REPO / "tests" / "sites"


def read_env(path):
    env = {}
    for line in Path(path).read_text().splitlines():
        key, _, val = line.partition("=")
        parts = shlex.split(val)
        env[key] = parts[0] if parts else ""
    return env


class SiteStack(Stack):
    """One site of a tests/sites run: a tests/stack in DIR/<letter> (brought up by Sites)."""

    def __init__(self, d):
        self.dir = Path(d)
        self.opts = []
        self.env = read_env(self.dir / "stack.env")

    def cleanup(self):
        pass


class Sites:
    """tests/sites up / down in a temporary directory; .a, .b (, .c) are the SiteStacks."""

    def __init__(self, *opts, n=2):
        self.dir = Path(tempfile.mkdtemp(prefix="arec-sites-"))
        self.n = n
        self.opts = [str(o) for o in opts]
        self.sites = {}

    def up(self):
        r = subprocess.run([str(SITES), "up", str(self.dir), "--sites", str(self.n), *self.opts],
                           capture_output=True, text=True, timeout=240,
                           env=dict(__import__("os").environ, AREC_BUILD_DIR=str(BUILD)))
        if r.returncode != 0:
            raise RuntimeError("tests/sites up failed:\n" + r.stdout + r.stderr)
        for x in "abc"[:self.n]:
            self.sites[x] = SiteStack(self.dir / x)
        return self

    def __getattr__(self, name):
        sites = self.__dict__.get("sites", {})
        if name in sites:
            return sites[name]
        raise AttributeError(name)

    def alive(self):
        return all(s.alive() for s in self.sites.values())

    def down(self):
        r = subprocess.run([str(SITES), "down", str(self.dir)], capture_output=True, text=True,
                           timeout=120)
        return r.returncode, r.stdout + r.stderr

    def log(self):
        return "\n".join(f"--- site {x}:\n" + s.log()[-3000:] for x, s in self.sites.items())

    def cleanup(self):
        if not __import__("os").environ.get("AREC_KEEP_STACK"):
            __import__("shutil").rmtree(self.dir, ignore_errors=True)


def location(x):
    return f"gw-{x}@site-{x}"


def islinks(m):
    """AttributeISLinkList of an event as [(id, location-name, direction-role)]."""
    return [(k, v.get("location-name"), v.get("direction-role"))
            for k, v in (m.get("ISLinkList") or {}).items()]


def trace(sites, call_uuid, want, timeout=20):
    """Rows of sql/call_trace.sql for call_uuid once `want` CallUUIDs and their ISLink rows
    are there (the writers are asynchronous): call_uuid|site|connid|islink_id|
    location_name|direction_role|started_at|ended_at|recordings."""
    from arectest.db import psql
    url = sites.a.env["PGURL"]
    rows = []

    def ready():
        nonlocal rows
        rows = psql(url, file=str(REPO / "sql" / "call_trace.sql"),
                    variables={"call_uuid": call_uuid})
        links = {(r[1], r[3]) for r in rows if r[3]}
        return len({r[0] for r in rows}) >= want and len(links) >= 2 * (want - 1)

    wait_for(ready, timeout, f"the trace of {call_uuid} to show {want} calls")
    return rows


def add_trunk(site, name, peer, prefix, loc):
    """Append a site trunk to a running site's gatewayd.conf and reload it (SIGHUP)."""
    import os
    import signal
    port = peer.env["SIP_ADDR"].rpartition(":")[2]
    with open(site.dir / "gatewayd.conf", "a") as f:
        f.write(f"\n[dn {name}]\ntype = Trunk\ncontact = sip:127.0.0.1:{port}\n"
                f"prefix = {prefix}\nlocation-name = {loc}\n")
    os.kill(int(site.env["GATEWAY_PID"]), signal.SIGHUP)
    assert site.wait_log(rf"reload: dn {name} added", timeout=20), site.log()[-2000:]


def settle(phone, packets=50):
    """Wait until phone hears `packets` more RTP packets: after GSIP_RECORD On, the media
    run through mediad and the recorder's session is up. Transferring within the few ms
    before that leaves the recorder's session open until shutdown (a mediad / recording
    controller race outside multi-site), which the tests would report as a recording
    that never ends."""
    base = phone.rx_packets
    wait_for(lambda: phone.rx_packets > base + packets, 15, f"{phone.dn} hearing audio")

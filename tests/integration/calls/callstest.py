"""Helpers for the call tests: SIPp phones, `tlibctl watch` event sequences, raw SIP."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "gateway"))
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "lib"))
from arectest.util import free_port, wait_for  # noqa: E402,F401
from gwtest import BUILD, REPO, Stack, Watcher  # noqa: E402,F401

SIPP = shutil.which("sipp") or "/usr/bin/sipp"
SCEN = REPO / "tests" / "sipp"
# Events that describe a DN's calls (the sequences the tests compare).
CALL_EVENTS = {
    "EventDialing", "EventRinging", "EventNetworkReached", "EventEstablished", "EventReleased",
    "EventAbandoned", "EventDestinationBusy", "EventHeld", "EventRetrieved", "EventPartyChanged",
    "EventPartyAdded", "EventPartyDeleted", "EventAttachedDataChanged", "EventRouteRequest",
    "EventRouteUsed", "EventQueued", "EventDiverted", "EventDNOutOfService",
    "EventDNBackInService", "EventCallCreated", "EventCallDataChanged", "EventCallPartyAdded",
    "EventCallPartyState", "EventCallPartyDeleted", "EventCallDeleted",
}


def udp_port_bound(port, tcp=False):
    """True when a socket is bound to UDP (or listening on TCP) port (reads /proc only)."""
    hexport = ":%04X" % port
    for name in (("/proc/net/tcp", "/proc/net/tcp6") if tcp else
                 ("/proc/net/udp", "/proc/net/udp6")):
        try:
            with open(name) as f:
                next(f)
                for line in f:
                    f_ = line.split()
                    if f_[1].endswith(hexport) and (not tcp or f_[3] == "0A"):
                        return True
        except OSError:
            pass
    return False


class Sipp:
    """One sipp process (-m 1): UAC when `remote` is given, else UAS on `port`."""

    def __init__(self, scenario, service, *, port=None, remote=None, from_dn="5001", d=300,
                 keys=None, timeout=30, transport="u1", m=1):
        self.dir = Path(tempfile.mkdtemp(prefix="arec-sipp-"))
        self.port = port or free_port()
        self.scenario = scenario
        self.err = self.dir / "errors.log"
        cmd = [SIPP, "-sf", str(SCEN / scenario), "-s", str(service), "-i", "127.0.0.1",
               "-p", str(self.port), "-m", str(m), "-d", str(d), "-t", transport,
               "-timeout", str(timeout), "-timeout_error", "-nostdin", "-trace_err",
               "-error_file", str(self.err)]
        for k, v in dict({"from": from_dn, "expires": 60}, **(keys or {})).items():
            cmd += ["-key", k, str(v)]
        if remote:
            cmd.append(remote)
        self.cmd = cmd
        self.proc = subprocess.Popen(cmd, cwd=self.dir, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT)
        if not remote:
            tcp = transport.startswith("t")
            wait_for(lambda: udp_port_bound(self.port, tcp) or self.proc.poll() is not None, 10,
                     f"sipp {scenario} to listen on {self.port}")
            assert self.proc.poll() is None, self.output()

    def output(self):
        out = ""
        if self.proc.poll() is not None and self.proc.stdout:
            out = self.proc.stdout.read().decode(errors="replace")[-2000:]
        if self.err.exists():
            out += "\n--- sipp errors:\n" + self.err.read_text(errors="replace")[-3000:]
        return out

    def wait(self, timeout=40):
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError(f"sipp {self.scenario} did not finish:\n{self.output()}")
        return rc

    def ok(self, timeout=40):
        rc = self.wait(timeout)
        assert rc == 0, f"sipp {self.scenario} exit {rc} ({' '.join(self.cmd)}):\n{self.output()}"

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


class Calls:
    """A stack with SIP: phones register through SIPp; calls are placed with SIPp."""

    def __init__(self, stack):
        self.stack = stack
        self.sip_addr = stack.env["SIP_ADDR"]
        self.procs = []
        self.registered = {}  # dn -> contact port

    def sipp(self, scenario, service, **kw):
        p = Sipp(scenario, service, **kw)
        self.procs.append(p)
        return p

    def register(self, dn, port, expires=60, transport="u1"):
        """REGISTER dn with Contact at 127.0.0.1:port (the phone's UAS port)."""
        p = self.sipp("register.xml", dn, port=port, remote=self.sip_addr,
                      keys={"expires": expires}, transport=transport)
        p.ok()
        if expires:
            self.registered[dn] = (port, transport)
        else:
            self.registered.pop(dn, None)

    def unregister_all(self):
        for dn, (port, transport) in list(self.registered.items()):
            self.register(dn, port, expires=0, transport=transport)

    def phone(self, dn, scenario, d=300, register=True, m=1, transport="u1"):
        """A SIPp UAS for dn (m calls): registered (when asked), then listening."""
        port = free_port()
        if register:
            self.register(dn, port, transport=transport)
        return self.sipp(scenario, dn, port=port, d=d, m=m, transport=transport)

    def call(self, scenario, to, from_dn, d=300, **kw):
        return self.sipp(scenario, to, remote=self.sip_addr, from_dn=from_dn, d=d, **kw)

    def close(self):
        for p in self.procs:
            p.kill()
        self.unregister_all()


def marker_all(stack, dns):
    """Put a user event on every DN; returns the marker (ends the sequences to compare)."""
    marker = uuid.uuid4().hex
    for dn in dns:
        stack.user_event(dn, marker)
    return marker


def sequences(watcher, stack, dns, timeout=15):
    """
    Every call event each DN received so far, in order: ends the sequences with a user
    event marker on every DN (delivered after everything before it), then reads up to it.
    """
    marker = marker_all(stack, dns)
    got = set()
    end = time.monotonic() + timeout
    while len(got) < len(dns):
        left = end - time.monotonic()
        assert left > 0, f"markers missing for {set(dns) - got}; seen {watcher.seen[-20:]}"
        m = watcher.expect(lambda m: m.get("message") == "EventUserEvent"
                           and (m.get("UserData") or {}).get("marker") == marker, left)
        assert m is not None, f"marker not seen; seen {watcher.seen[-20:]}"
        got.add(m.get("ThisDN"))
    out = {dn: [] for dn in dns}
    for m in watcher.seen:
        if m.get("message") in CALL_EVENTS and m.get("ThisDN") in out:
            out[m["ThisDN"]].append(m)
    watcher.seen.clear()
    watcher.__dict__.get("claimed", set()).clear()
    return out


def names(seq):
    return [m["message"] for m in seq]


def wait_event(watcher, dn, name, timeout=20):
    """
    The next event `name` on dn not returned before: one already read (while waiting for
    another) counts. Everything read stays in watcher.seen for the sequence check.
    """
    claimed = watcher.__dict__.setdefault("claimed", set())

    def match(m):
        return m.get("message") == name and m.get("ThisDN") == dn and id(m) not in claimed

    m = next((x for x in watcher.seen if match(x)), None)
    if m is None:
        m = watcher.expect(match, timeout)
    if m is not None:
        claimed.add(id(m))
    assert m is not None, f"no {name} on {dn}; seen {[(x.get('message'), x.get('ThisDN')) for x in watcher.seen[-20:]]}"
    return m


def request(stack, obj):
    """A T-Lib request through tlibctl; returns the answer (last message printed)."""
    rc, msgs, err = stack.request(obj)
    assert msgs, (rc, err)
    return msgs[-1]


def dump(seqs):
    return json.dumps({dn: names(s) for dn, s in seqs.items()})


def env_keep():
    return bool(os.environ.get("AREC_KEEP_STACK"))

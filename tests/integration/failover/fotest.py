"""Failover test helpers: extra recorders / mediads in [pool]s, kills, sidecars, gap figures."""
import datetime
import glob
import json
import os
import signal
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "recording"))
sys.path.insert(0, str(HERE.parent / "mediad"))
from rectest import (BUILD, Call, Stack, wait_for, wait_ud)  # noqa: E402,F401
sys.path.insert(0, str(HERE.parents[1] / "lib"))
from mdharness import Daemon, find_binary  # noqa: E402

_next_rtp = [41000]


def start_recorder(tmp, name, *extra, port=0):
    """An arec-recorder on an ephemeral SIP port (or port), recordings in tmp/name."""
    d = Path(tmp) / name
    d.mkdir(parents=True, exist_ok=True)
    pf = Path(tmp) / f"{name}.ports"
    r = Daemon([find_binary("arec-recorder", ["recorder"]), "--sip", f"127.0.0.1:{port}", "--dir",
                str(d), "--ports-file", str(pf), *extra], str(pf), str(Path(tmp) / f"{name}.log"))
    r.dir, r.name, r.extra = str(d), name, extra
    r.uri = f"sip:127.0.0.1:{r.port}"
    return r


def start_mediad(tmp, name, *extra, port=0, lo=None):
    """A mediad on an ephemeral SIP port (or port) with its own RTP range (lo..lo+999, no
    clash with the stack's)."""
    if lo is None:
        lo = _next_rtp[0]
        _next_rtp[0] += 1000
    pf = Path(tmp) / f"{name}.ports"
    m = Daemon([find_binary("mediad", ["mediad"]), "--sip", f"127.0.0.1:{port}", "--rtp-ports",
                f"{lo}-{lo + 999}", "--ports-file", str(pf), *extra], str(pf),
               str(Path(tmp) / f"{name}.log"))
    m.name, m.log_path, m.lo, m.extra = name, str(Path(tmp) / f"{name}.log"), lo, extra
    m.uri = f"sip:127.0.0.1:{m.port}"
    return m


def restart(tmp, d):
    """Start a killed recorder / mediad again on the same SIP port (same pool member)."""
    if hasattr(d, "lo"):
        return start_mediad(tmp, d.name, *d.extra, port=d.port, lo=d.lo)
    return start_recorder(tmp, d.name, *d.extra, port=d.port)


def kill9(d):
    """kill -9 a daemon (its log is closed; the test owns the process)."""
    d.proc.send_signal(signal.SIGKILL)
    d.proc.wait(10)
    d.log.close()


def stop_all(daemons):
    """Stop what still runs; returns [(name, exit code)] of those that did not exit 0 (a
    sanitizer build exits non-zero on a leak or an error)."""
    bad = []
    for d in daemons:
        if isinstance(d, FakeRecorder):
            d.stop()
        elif d.proc.poll() is None:
            rc = d.stop()
            if rc != 0:
                bad.append((d.name, rc))
        elif not d.log.closed:
            d.log.close()
    return bad


def pool_section(name, kind, members, scheme="round-robin", interval=1, misses=1):
    lines = [f"[pool {name}]", f"kind = {kind}", f"scheme = {scheme}", "monitor = options",
             f"interval = {interval}", f"misses = {misses}"]
    lines += [f"member = {m.uri} ports=100" for m in members]
    return "\n".join(lines) + "\n\n"


def sidecars(rec, rid):
    """The recorder's sidecars (parsed) whose record id is rid."""
    out = []
    if not rec.dir:
        return out
    for f in sorted(glob.glob(os.path.join(rec.dir, "*.json"))):
        try:
            j = json.load(open(f))
        except (OSError, ValueError):
            continue
        if j.get("record_id") == rid:
            out.append(j)
    return out


def holder(recs, rid):
    """The recorder that has a session for rid still recording, or None."""
    for r in recs:
        if any(j.get("state") != "ended" for j in sidecars(r, rid)):
            return r
    return None


def ts(s):
    """Sidecar time string -> epoch seconds (float)."""
    return datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=datetime.timezone.utc).timestamp()


def first_packet(side):
    """Earliest first_packet over a sidecar's streams (epoch s), None when no RTP."""
    t = [ts(s["first_packet"]) for s in side.get("streams", []) if s.get("first_packet")]
    return min(t) if t else None


def private_infos(watcher, key=None):
    """EventPrivateInfo messages seen (optionally only those carrying Extensions key)."""
    return [m for m in watcher.seen if m.get("message") == "EventPrivateInfo" and
            (key is None or key in (m.get("Extensions") or {}))]


def wait_private(watcher, pred, timeout=20, what="EventPrivateInfo"):
    def find():
        return next((m for m in private_infos(watcher) if pred(m.get("Extensions") or {})), None)
    m = find() or watcher.expect(lambda x: x.get("message") == "EventPrivateInfo" and
                                 pred(x.get("Extensions") or {}), timeout)
    m = m or find()
    assert m is not None, f"{what} never seen: " + json.dumps(private_infos(watcher)[-5:])
    return m


def ud_values(watcher, dn, key):
    out = []
    for m in watcher.seen:
        if m.get("message") == "EventAttachedDataChanged" and m.get("ThisDN") == dn:
            v = (m.get("UserData") or {}).get(key)
            if not out or out[-1] != v:
                out.append(v)
    return out


BAD_SDP = {
    # no audio m= line at all (one video line for the two audio streams offered)
    "no-audio": "m=video {port} RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\na=recvonly\r\n",
    # every audio stream rejected
    "port0": "m=audio 0 RTP/AVP 0\r\na=recvonly\r\nm=audio 0 RTP/AVP 0\r\na=recvonly\r\n",
    # a codec nobody offered
    "codec": ("m=audio {port} RTP/AVP 98\r\na=rtpmap:98 FOO/8000\r\na=recvonly\r\n"
              "m=audio {port2} RTP/AVP 98\r\na=rtpmap:98 FOO/8000\r\na=recvonly\r\n"),
}


class FakeRecorder:
    """A UDP SIP responder answering INVITE 200 with an unusable SDP (BAD_SDP[mode]);
    OPTIONS / BYE / CANCEL get 200. Counts the INVITEs and BYEs it saw."""

    def __init__(self, mode):
        import socket
        import threading
        self.mode, self.name = mode, f"fake-{mode}"
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.uri = f"sip:127.0.0.1:{self.port}"
        self.dir = None
        self.invites = self.byes = 0
        self.running = True
        self.t = threading.Thread(target=self._loop, daemon=True)
        self.t.start()

    def _loop(self):
        self.sock.settimeout(0.2)
        while self.running:
            try:
                data, addr = self.sock.recvfrom(65535)
            except OSError:
                continue
            text = data.decode("utf-8", "replace")
            first = text.split("\r\n", 1)[0]
            if first.startswith("SIP/2.0") or " " not in first:
                continue
            method = first.split(" ", 1)[0]
            if method == "ACK":
                continue
            hdrs = [h for h in text.split("\r\n\r\n", 1)[0].split("\r\n")[1:]]
            keep = [h for h in hdrs if h.split(":", 1)[0].strip().lower() in
                    ("via", "v", "from", "f", "to", "t", "call-id", "i", "cseq")]
            keep = [h + (";tag=fake" if h.lower().startswith(("to:", "t:")) and "tag=" not in h
                         else "") for h in keep]
            body = ""
            if method == "INVITE":
                self.invites += 1
                m = BAD_SDP[self.mode].format(port=self.port + 2, port2=self.port + 4)
                body = ("v=0\r\no=fake 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\n"
                        "t=0 0\r\n" + m)
                keep += [f"Contact: <{self.uri}>", "Content-Type: application/sdp"]
            elif method == "BYE":
                self.byes += 1
            resp = ("SIP/2.0 200 OK\r\n" + "\r\n".join(keep) +
                    f"\r\nContent-Length: {len(body)}\r\n\r\n" + body)
            self.sock.sendto(resp.encode(), addr)

    def stop(self):
        self.running = False
        self.t.join(2)
        self.sock.close()


class Fo:
    """stack + recs (extra recorders, fakes first) + mds (extra mediads) + tmp dir."""


def bring_up(recorders=(), mediads=(), fakes=(), stack_opts=(), pools=None):
    """Start the extra recorders / mediads (one tuple of options each) and fake recorders,
    then the stack with them in [pool recs] / [pool mds] (or pools(recs, mds) -> config)."""
    from arectest.stack import start
    import tempfile
    f = Fo()
    f.tmp = tempfile.mkdtemp(prefix="arec-fo-")
    f.mds = []
    f.fakes = [FakeRecorder(m) for m in fakes]
    f.recs = list(f.fakes)  # first in the pool: round-robin picks them first
    try:
        for i, opts in enumerate(recorders):
            f.recs.append(start_recorder(f.tmp, f"rec{i}", *opts))
        for i, opts in enumerate(mediads):
            f.mds.append(start_mediad(f.tmp, f"md{i}", *opts))
        if pools:
            text = pools(f.recs, f.mds)
        else:
            text = pool_section("recs", "recorder", f.recs) if f.recs else ""
            if f.mds:
                text += pool_section("mds", "mediad", f.mds)
        extra = Path(f.tmp) / "pools.conf"
        extra.write_text(text)
        old = os.environ.get("STACK_GATEWAY_EXTRA")
        os.environ["STACK_GATEWAY_EXTRA"] = str(extra)
        try:
            opts = list(stack_opts)
            if f.recs:
                opts += ["--gateway-opt", "recording-dest=pool:recs"]
            f.stack = start(Stack(*opts))
        finally:
            if old is None:
                os.environ.pop("STACK_GATEWAY_EXTRA", None)
            else:
                os.environ["STACK_GATEWAY_EXTRA"] = old
    except Exception:
        stop_all(f.recs + f.mds)
        raise
    return f


def bring_down(f):
    from arectest.stack import finish
    import shutil
    bad = []
    try:
        finish(f.stack)
    finally:
        bad = stop_all(f.recs + f.mds)
        if not os.environ.get("AREC_KEEP_STACK") and not bad:
            shutil.rmtree(f.tmp, ignore_errors=True)
    assert not bad, f"extra daemons exited non-zero: {bad} (logs in {f.tmp})"


def psql(stack, sql):
    """psql -At output (rows joined by newlines) of one query against the stack's database."""
    from arectest import db
    return "\n".join("|".join(r) for r in db.psql(stack.env["PGURL"], sql, timeout=20))


def segments(stack, rid):
    """recording_segments of rid as 'event:reason' strings, in time order."""
    out = psql(stack, "select event || ':' || coalesce(reason, '') from recording_segments "
                      f"where record_id='{rid}' order by at")
    return out.splitlines()

"""Helpers for the recorder integration tests: process control, SIPp, RTP tones, WAV checks."""
import json
import math
import os
import signal
import socket
import struct
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "lib"))
from arectest.audio import (ALAW_DECODE, ULAW_DECODE, alaw_encode,  # noqa: E402,F401
                            goertzel_power, ulaw_encode)
from arectest.util import free_port as _free_port  # noqa: E402
from arectest.util import stop_process, wait_for  # noqa: E402,F401

HERE = os.path.dirname(os.path.abspath(__file__))
SCENARIOS = os.path.join(HERE, "scenarios")


def build_dir():
    d = os.environ.get("AREC_BUILD_DIR")
    if not d:
        raise RuntimeError("AREC_BUILD_DIR is not set (run through ctest)")
    return d


def recorder_binary():
    for rel in ("recorder/arec-recorder", "arec-recorder"):
        p = os.path.join(build_dir(), rel)
        if os.path.exists(p):
            return p
    raise RuntimeError("arec-recorder not found under " + build_dir())


def free_port():
    """A loopback port that is free for both TCP and UDP right now (SIPp binds both)."""
    return _free_port("SIPp")


class Recorder:
    """An arec-recorder process with its own directory and ports file."""

    def __init__(self, tmp, *args):
        self.dir = os.path.join(str(tmp), "recordings")
        os.makedirs(self.dir, exist_ok=True)
        self.ports_file = os.path.join(str(tmp), "recorder.ports")
        self.log_path = os.path.join(str(tmp), "recorder.log")
        self.log = open(self.log_path, "wb")
        self.terminated = False
        cmd = [recorder_binary(), "--sip", "127.0.0.1:0", "--dir", self.dir,
               "--ports-file", self.ports_file, "--log-level", "debug"] + list(args)
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT)
        wait_for(lambda: os.path.exists(self.ports_file) or self.proc.poll() is not None,
                 10, "the recorder's ports file")
        assert self.proc.poll() is None, "recorder exited: " + self.read_log()
        kv = dict(line.split("=", 1) for line in open(self.ports_file).read().split())
        self.port = int(kv["SIP_PORT"])
        assert int(kv["PID"]) == self.proc.pid

    def read_log(self):
        if not self.log.closed:
            self.log.flush()
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")

    def alive(self):
        return self.proc.poll() is None

    def terminate(self):
        """SIGTERM on purpose (the fixture then only checks the exit code)."""
        self.terminated = True
        self.proc.send_signal(signal.SIGTERM)

    def stop(self):
        rc = stop_process(self.proc, 10)
        self.log.close()
        return rc

    def sidecars(self):
        return sorted(f for f in os.listdir(self.dir) if f.endswith(".json"))

    def sidecar(self, name):
        p = os.path.join(self.dir, name if name.endswith(".json") else name + ".json")
        try:
            with open(p) as f:
                return json.load(f)
        except (OSError, ValueError):
            return None

    def wait_sidecar(self, name, pred, timeout=10, what="sidecar state"):
        def check():
            d = self.sidecar(name)
            return d if d is not None and pred(d) else None
        return wait_for(check, timeout, what + " of " + name)


def run_sipp(rec, scenario, tmp, keys=None, extra=None, background=False, transport="u1"):
    """Runs a SIPp UAC scenario against the recorder; returns the Popen (background) or
    the finished CompletedProcess."""
    cmd = ["sipp", "127.0.0.1:%d" % rec.port, "-sf", os.path.join(SCENARIOS, scenario),
           "-m", "1", "-i", "127.0.0.1", "-p", str(free_port()), "-t", transport,
           "-timeout", "30s", "-timeout_error", "-nostdin", "-trace_err", "-trace_msg"]
    for k, v in (keys or {}).items():
        cmd += ["-key", k, str(v)]
    cmd += extra or []
    out = open(os.path.join(str(tmp), "sipp-%s.out" % scenario), "wb")
    p = subprocess.Popen(cmd, cwd=str(tmp), stdout=out, stderr=subprocess.STDOUT)
    if background:
        return p
    p.wait(timeout=60)
    return p


def sipp_messages(tmp, scenario):
    """Text of SIPp's -trace_msg log for a scenario run in tmp."""
    base = scenario.replace(".xml", "")
    for f in os.listdir(str(tmp)):
        if f.startswith(base + "_") and f.endswith("_messages.log"):
            with open(os.path.join(str(tmp), f), errors="replace") as fh:
                return fh.read()
    return ""


# ---- G.711 and tones ----

def tone(freq, n, start=0, amp=8000, law="ulaw"):
    enc = ulaw_encode if law == "ulaw" else alaw_encode
    return bytes(enc(int(amp * math.sin(2 * math.pi * freq * (start + i) / 8000.0)))
                 for i in range(n))


def goertzel(samples, freq, rate=8000):
    """Normalised power of freq in samples (a list of ints)."""
    n = len(samples)
    if n == 0:
        return 0.0
    return goertzel_power(samples, freq, rate) / (n * n)


def rms(samples):
    if not samples:
        return 0.0
    return math.sqrt(sum(x * x for x in samples) / len(samples))


class RtpSender(threading.Thread):
    """Sends a G.711 tone as 20 ms RTP packets to 127.0.0.1:port until stopped."""

    def __init__(self, port, freq, pt=0, law="ulaw", ssrc=0x1234, drop_every=0, extra=None):
        super().__init__(daemon=True)
        self.port, self.freq, self.pt, self.law, self.ssrc = port, freq, pt, law, ssrc
        self.drop_every = drop_every  # skip every Nth packet (simulated loss)
        self.extra = extra            # callable(sock, seq) for injecting junk
        self.stop_ev = threading.Event()
        self.sent = 0
        self.dropped = 0

    def run(self):
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        seq, ts = 1000, 50000
        nxt = time.monotonic()
        while not self.stop_ev.is_set():
            payload = tone(self.freq, 160, start=ts, law=self.law)
            hdr = struct.pack("!BBHII", 0x80, self.pt, seq & 0xFFFF, ts & 0xFFFFFFFF, self.ssrc)
            if self.drop_every and seq % self.drop_every == 0:
                self.dropped += 1
            else:
                sock.sendto(hdr + payload, ("127.0.0.1", self.port))
                self.sent += 1
            if self.extra:
                self.extra(sock, seq)
            seq += 1
            ts += 160
            # Pacing of a real-time media source, not a readiness wait.
            nxt += 0.02
            delay = nxt - time.monotonic()
            if delay > 0:
                self.stop_ev.wait(delay)
        sock.close()

    def stop(self):
        self.stop_ev.set()
        self.join(5)


# ---- WAV ----

def read_wav(path):
    """Parses a WAV file strictly; returns a dict with header fields and channel samples."""
    with open(path, "rb") as f:
        data = f.read()
    assert data[:4] == b"RIFF" and data[8:12] == b"WAVE", "not RIFF/WAVE"
    riff = struct.unpack("<I", data[4:8])[0]
    assert riff + 8 <= len(data), "RIFF size exceeds the file"
    off, info, fact, body = 12, None, None, None
    while off + 8 <= riff + 8:
        cid, size = data[off:off + 4], struct.unpack("<I", data[off + 4:off + 8])[0]
        chunk = data[off + 8:off + 8 + size]
        assert len(chunk) == size, "chunk %r truncated" % cid
        if cid == b"fmt ":
            fmt, ch, rate, brate, align, bits = struct.unpack("<HHIIHH", chunk[:16])
            info = dict(format=fmt, channels=ch, rate=rate, byte_rate=brate,
                        block_align=align, bits=bits, fmt_size=size)
        elif cid == b"fact":
            fact = struct.unpack("<I", chunk[:4])[0]
        elif cid == b"data":
            body = chunk
        off += 8 + size + (size & 1)
    assert info and body is not None, "fmt or data chunk missing"
    info["fact"] = fact
    info["frames"] = len(body) // info["block_align"]
    dec = ULAW_DECODE if info["format"] == 7 else ALAW_DECODE
    ch = info["channels"]
    info["samples"] = [[dec[b] for b in body[c::ch]] for c in range(ch)]
    return info


def dominant(samples, freqs):
    """The frequency among freqs with the most power in samples, and the powers."""
    powers = {f: goertzel(samples, f) for f in freqs}
    return max(powers, key=powers.get), powers

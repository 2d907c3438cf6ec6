"""Helpers for the recording tests: phones, the stack, WAV tone checks, watcher waits."""
import glob
import json
import os
import struct
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "gateway"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "calls"))
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "lib"))
from gwtest import BUILD, REPO, Stack, Watcher  # noqa: E402,F401
from callstest import wait_event  # noqa: E402,F401
from arectest import util  # noqa: E402
from arectest.audio import ULAW_DECODE as ULAW  # noqa: E402
from arectest.audio import goertzel_power  # noqa: E402

import recua  # noqa: E402

TONE_A = 440.0   # the caller (5001) sends this
TONE_B = 1000.0  # the callee sends this


def gw_addr(stack):
    h, p = stack.env["SIP_ADDR"].split(":")
    return (h, int(p))


def wait_for(pred, timeout=15, what="condition"):
    return util.wait_for(pred, timeout, what, step=0.05)


class Call:
    """Callee dn registered, caller 5001 calls it; both send their tone."""

    def __init__(self, stack, callee="5010", caller="5001", number=None):
        self.b = recua.Phone(callee, gw_addr(stack), TONE_B)
        assert self.b.register() == 200
        self.a = recua.Phone(caller, gw_addr(stack), TONE_A)
        self.a.call(number or callee)
        assert self.a.wait_answered() == 200

    def talk(self, packets=50, timeout=15):
        """Wait until the caller heard `packets` more RTP packets (the recorder got some)."""
        base = self.a.rx_packets
        wait_for(lambda: self.a.rx_packets > base + packets, timeout, "audio")

    def hangup(self):
        self.a.hangup()
        self.b.wait(lambda e: e[0] == "bye", what="BYE at the callee")

    def close(self):
        self.a.close()
        self.b.close()


def ud_changes(watcher, dn, key):
    """The values of user-data key in every EventAttachedDataChanged seen on dn, in order."""
    out = []
    for m in watcher.seen:
        if m.get("message") == "EventAttachedDataChanged" and m.get("ThisDN") == dn:
            v = (m.get("UserData") or {}).get(key)
            if not out or out[-1] != v:
                out.append(v)
    return out


def wait_ud(watcher, dn, key, value, timeout=15):
    def match(m):
        return (m.get("message") == "EventAttachedDataChanged" and m.get("ThisDN") == dn
                and (m.get("UserData") or {}).get(key) == value)
    m = next((x for x in watcher.seen if match(x)), None) or watcher.expect(match, timeout)
    assert m is not None, f"{key}={value} never seen on {dn}: " + json.dumps(
        [(x.get("message"), x.get("ThisDN"), x.get("UserData")) for x in watcher.seen[-15:]])
    return m


def recording_files(stack, rid):
    d = stack.env["RECORDER_DIR"]
    return sorted(glob.glob(os.path.join(d, rid + "*.json")))


def wait_recording_live(stack, rid, timeout=15):
    """The recorder's sidecar for record id rid once its session is up (answered).
    GSIP_RECORD=On follows mediad's answer to the MSML, which comes before the recorder
    answers mediad's INVITE: a test that ends the call at once waits for this first."""
    def live():
        for f in recording_files(stack, rid):
            try:
                j = json.load(open(f))
            except (OSError, ValueError):
                continue
            if j.get("state") in ("recording", "paused"):
                return j
        return None
    return wait_for(live, timeout, f"recording {rid} to be up at the recorder")


def wait_recording_done(stack, rid, timeout=15):
    """The recorder's sidecar for record id rid once the session ended."""
    def done():
        for f in recording_files(stack, rid):
            try:
                j = json.load(open(f))
            except (OSError, ValueError):
                continue
            if j.get("state") == "ended":
                return j
        return None
    return wait_for(done, timeout, f"recording {rid} to end")


def read_wav(path):
    """(channels, [samples per channel]) of a mu-law or PCM WAV."""
    data = open(path, "rb").read()
    assert data[:4] == b"RIFF" and data[8:12] == b"WAVE", "not a WAV"
    pos, fmt, ch, payload = 12, None, None, None
    while pos + 8 <= len(data):
        cid, size = data[pos:pos + 4], struct.unpack("<I", data[pos + 4:pos + 8])[0]
        body = data[pos + 8:pos + 8 + size]
        if cid == b"fmt ":
            fmt, ch = struct.unpack("<HH", body[:4])
        elif cid == b"data":
            payload = body
        pos += 8 + size + (size & 1)
    assert fmt == 7 and payload is not None, f"format {fmt}"
    chans = [[ULAW[payload[i]] for i in range(c, len(payload), ch)] for c in range(ch)]
    return ch, chans


def goertzel(samples, freq, rate=8000):
    """Relative power of freq in samples (normalised by the signal energy)."""
    if not samples:
        return 0.0
    power = goertzel_power(samples, freq, rate)
    energy = sum(x * x for x in samples) or 1.0
    return power / (energy * len(samples) / 2)


def dominant(samples):
    """Which of the two test tones dominates samples (None when silent)."""
    if sum(abs(x) for x in samples) < 100 * len(samples) / 10:
        return None
    pa, pb = goertzel(samples, TONE_A), goertzel(samples, TONE_B)
    return TONE_A if pa > pb * 10 else TONE_B if pb > pa * 10 else None

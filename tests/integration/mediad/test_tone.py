"""Compliance tones in mediad: who hears them, which recorded channel carries them, timing, pause, bad audiosrc."""
import http.server
import math
import os
import socket
import struct
import threading
import wave

import pytest

from mdharness import ULAW_DEC, goertzel, msml_create, msml_state, read_wav_ulaw, wait_for
from test_mediad import Call, mediad, recorder, wait_sidecar  # noqa: F401 (fixtures)

TONE_HZ = 1400
TONE_MS = 200
SILENCE_MS = 1500
PKT = 160


def write_tone_wav(path, ms=TONE_MS, freq=TONE_HZ, amp=12000):
    """A 16-bit PCM 8 kHz mono WAV with a sine burst (mediad converts it once)."""
    n = ms * 8
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"".join(struct.pack("<h", int(amp * math.sin(2 * math.pi * freq * i / 8000)))
                               for i in range(n)))
    return str(path)


def has_tone(samples):
    p = goertzel(samples, TONE_HZ)
    o = goertzel(samples, 440) + goertzel(samples, 1000)
    return p > 0.3 * (p + o)


def packets_with_tone(party):
    """[(ts, tone?)] of what a party received, in order (ts = mediad's output clock)."""
    return [(ts, has_tone([ULAW_DEC[b] for b in p])) for _, ts, _, p in party.received]


def onsets(marks):
    return [ts for i, (ts, t) in enumerate(marks) if t and (i == 0 or not marks[i - 1][1])]


def tone_packets(marks):
    return sum(1 for _, t in marks if t)


def channel_has_tone(data):
    """Does a recorded channel (mu-law bytes) contain the tone: 5 consecutive 20 ms frames
    (a burst is 10), so a click at a gap or splice cannot pass for one?"""
    run = 0
    for off in range(0, len(data) - PKT, PKT):
        run = run + 1 if has_tone([ULAW_DEC[b] for b in data[off:off + PKT]]) else 0
        if run >= 5:
            return True
    return False


def start_rec(call, rec, rid, **extra):
    params = {"id": rid, "dest": f"sip:127.0.0.1:{rec.port}", "recmediactl": "1",
              "recordDN": call.dn_a, **extra}
    r = call.info(msml_create(params, [call.dn_a, call.dn_b]))
    assert r.status == 200, r.body


def wait_rx(party, n):
    base = len(party.received)
    wait_for(lambda: len(party.received) >= base + n, what=f"{n} packets at the party",
             timeout=n * 0.02 + 10, step=0.05)


def test_tone_heard_by_both_interval_exact_recording_says(mediad, recorder, tmp_path):
    rec = recorder()
    md = mediad()
    call = Call(md, conf="t1")
    call.start_media()
    # 1000 ms asks for less than the minimum: 1500 ms is used.
    start_rec(call, rec, "t1", audiosrc=write_tone_wav(tmp_path / "beep.wav"),
              tonesilenceduration="1000")
    wait_rx(call.a, 260)  # > 3 tone periods of 1.7 s
    call.hangup()
    for party in (call.a, call.b):
        marks = packets_with_tone(party)
        on = onsets(marks)
        assert len(on) >= 3, f"tone onsets {on}"
        for x, y in zip(on, on[1:]):
            gap_ms = (y - x) / 8 - TONE_MS  # silence between the end of one tone and the next
            assert abs(gap_ms - SILENCE_MS) <= 20, f"gap {gap_ms} ms"
        # Each burst lasts the WAV's length (200 ms = 10 packets).
        assert tone_packets(marks) >= 10 * (len(on) - 1)
    # Defaults: each channel records what its party says, so no tone in the recording.
    wait_sidecar(rec, "t1")
    ch, data = read_wav_ulaw(os.path.join(rec.dir, "t1.wav"))
    assert ch == 2 or len(data) >= 1
    for d in data:
        assert len(d) > 8000
        assert not channel_has_tone(d)
    assert not [b for b in call.ua.infos_from_mediad() if "msml.recorder.error" in b.body]


def test_tone_only_other_hears_and_recorded_as_heard(mediad, recorder, tmp_path):
    rec = recorder()
    md = mediad()
    call = Call(md, conf="t2")
    call.start_media()
    # recordDN does not hear the tone, otherDN does; each channel records what the
    # other party hears: recordDN's channel has the tone, otherDN's does not.
    start_rec(call, rec, "t2", audiosrc=write_tone_wav(tmp_path / "beep.wav"),
              tonesilenceduration="1500", record_recorddnhearstone="false",
              record_otherdnhearstone="true", record_chan2source="otherdnhears",
              record_chan1source="recorddnhears")
    wait_rx(call.b, 200)
    call.hangup()
    assert tone_packets(packets_with_tone(call.b)) >= 10
    assert tone_packets(packets_with_tone(call.a)) == 0
    wait_sidecar(rec, "t2")
    ch, data = read_wav_ulaw(os.path.join(rec.dir, "t2.wav"))
    if ch == 1:  # a recorder that stores one file per stream
        pytest.fail("expected one two-channel file for recmediactl 1")
    assert channel_has_tone(data[0])      # recordDN channel = what otherDN hears
    assert not channel_has_tone(data[1])  # otherDN channel = what recordDN hears (no tone)


def test_no_tone_while_paused_and_again_on_resume(mediad, recorder, tmp_path):
    rec = recorder()
    md = mediad()
    call = Call(md, conf="t3")
    call.start_media()
    start_rec(call, rec, "t3", audiosrc=write_tone_wav(tmp_path / "beep.wav"),
              tonesilenceduration="1500")
    wait_for(lambda: tone_packets(packets_with_tone(call.b)) >= 5, what="first tone")
    assert call.info(msml_state("pause")).status == 200
    wait_rx(call.b, 10)  # commands reach the worker in order; let in-flight packets pass
    paused_from = len(call.b.received)
    wait_rx(call.b, 150)  # 3 s paused: nearly two periods would have sounded
    paused_to = len(call.b.received)
    assert call.info(msml_state("resume")).status == 200
    wait_rx(call.b, 60)
    call.hangup()
    marks = packets_with_tone(call.b)
    assert tone_packets(marks[paused_from:paused_to]) == 0
    # The tone restarts at once on resume (within the first 10 packets after it).
    after = marks[paused_to:]
    first = next(i for i, (_, t) in enumerate(after) if t)
    assert first <= 10, f"tone {first} packets after resume"


class _BigHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "audio/wav")
        self.send_header("Content-Length", str(1 << 30))
        self.end_headers()
        try:
            self.wfile.write(b"RIFF" + b"\0" * 65536)
        except OSError:
            pass

    def log_message(self, *a):
        pass


@pytest.fixture
def http_peers():
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _BigHandler)
    th = threading.Thread(target=srv.serve_forever, daemon=True)
    th.start()
    mute = socket.socket()  # accepts connections (backlog) and never answers
    mute.bind(("127.0.0.1", 0))
    mute.listen(8)
    yield {"big": f"http://127.0.0.1:{srv.server_address[1]}/tone.wav",
           "mute": f"http://127.0.0.1:{mute.getsockname()[1]}/tone.wav"}
    srv.shutdown()
    srv.server_close()
    mute.close()


@pytest.mark.parametrize("kind", ["missing", "notwav", "big", "mute"])
def test_bad_audiosrc_reported_call_untouched(mediad, recorder, tmp_path, http_peers, kind):
    rec = recorder()
    md = mediad("--fetch-timeout", "1500")
    call = Call(md, conf="b" + kind)
    call.start_media()
    notwav = tmp_path / "notwav.wav"
    notwav.write_text("this is not a RIFF file\n" * 10)
    src = {"missing": str(tmp_path / "nope.wav"), "notwav": str(notwav),
           "big": http_peers["big"], "mute": http_peers["mute"]}[kind]
    start_rec(call, rec, "b" + kind, audiosrc=src, tonesilenceduration="1500")

    def reported():
        return [b.body for b in call.ua.infos_from_mediad()
                if "msml.recorder.error" in b.body and "audiosrc" in b.body]
    body = wait_for(reported, what="audiosrc error event", timeout=10)[0]
    assert src in body
    want = {"missing": "No such file", "notwav": "not a usable WAV", "big": "larger than",
            "mute": "TIMEOUT"}[kind]
    assert want in body, body
    # The call and its recording go on, without a tone.
    call.wait_rec_packets(50)
    wait_rx(call.b, 25)
    call.hangup()
    assert tone_packets(packets_with_tone(call.a)) == 0
    assert tone_packets(packets_with_tone(call.b)) == 0
    assert len(call.b.received) > 25

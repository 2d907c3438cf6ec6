"""Compliance tones end to end: audiosrc + tonesilenceduration from the gateway profile, and per call."""
import math
import struct
import tempfile
from pathlib import Path

from rectest import ULAW, Call, goertzel, wait_for, wait_ud

BEEP_HZ = 2000.0
BEEP_MS = 300
_TMP = Path(tempfile.mkdtemp(prefix="arec-tone-"))
BEEP = _TMP / "beep.wav"


def _write_beep():
    n = 8000 * BEEP_MS // 1000
    pcm = b"".join(struct.pack("<h", int(12000 * math.sin(2 * math.pi * BEEP_HZ * i / 8000)))
                   for i in range(n))
    hdr = (b"RIFF" + struct.pack("<I", 36 + len(pcm)) + b"WAVEfmt "
           + struct.pack("<IHHIIHH", 16, 1, 1, 8000, 16000, 2, 16) + b"data"
           + struct.pack("<I", len(pcm)))
    BEEP.write_bytes(hdr + pcm)


_write_beep()
STACK_OPTS = ("--gateway-opt", f"audiosrc={BEEP}", "--gateway-opt", "tonesilenceduration=1500")


def onsets(phone):
    """RTP timestamps where the beep starts in what phone heard."""
    out, prev = [], False
    for ts, payload in sorted(phone.rx, key=lambda x: x[0]):
        lin = [ULAW[b] for b in payload]
        on = goertzel(lin, BEEP_HZ) > 0.2
        if on and not prev:
            out.append(ts)
        prev = on
    return out


def gaps_ms(phone):
    o = onsets(phone)
    return [(b - a) / 8 for a, b in zip(o, o[1:])]


def test_profile_tone_heard_with_configured_interval(stack):
    w = stack.watch("5010")
    c = Call(stack)
    try:
        c.a.keep_rx = True
        wait_ud(w, "5010", "GSIP_RECORD", "On")
        wait_for(lambda: len(onsets(c.a)) >= 3, 20, "three beeps heard by 5001")
        for g in gaps_ms(c.a)[:2]:
            assert abs(g - (BEEP_MS + 1500)) <= 40, gaps_ms(c.a)
        c.hangup()
    finally:
        c.close()
        w.stop()


def test_per_call_override_and_no_tone_while_paused(stack):
    w = stack.watch("5002", "5003")
    c = Call(stack, callee="5003", caller="5002")
    try:
        est = w.expect(lambda m: m.get("message") == "EventEstablished"
                       and m.get("ThisDN") == "5003", 10)
        c.a.keep_rx = True
        rc, msgs, err = stack.request({"message": "RequestPrivateService", "ThisDN": "5003",
                                       "PrivateMsgID": 3013, "ConnID": est["ConnID"],
                                       "Extensions": {"tonesilenceduration": "2500"}})
        assert msgs[-1]["message"] == "EventACK", msgs
        wait_ud(w, "5003", "GSIP_RECORD", "On")
        wait_for(lambda: len(onsets(c.a)) >= 2, 20, "two beeps")
        assert abs(gaps_ms(c.a)[0] - (BEEP_MS + 2500)) <= 40, gaps_ms(c.a)
        # paused: no tone at all
        rc, msgs, err = stack.request({"message": "RequestPrivateService", "ThisDN": "5003",
                                       "PrivateMsgID": 3015, "ConnID": est["ConnID"]})
        assert msgs[-1]["message"] == "EventACK", msgs
        wait_ud(w, "5003", "GSIP_RECORD", "Paused")
        c.a.rx.clear()
        base = c.a.rx_packets
        wait_for(lambda: c.a.rx_packets > base + 175, 20, "3.5 s of audio while paused")
        # Paused is published on mediad's 200, so only packets already in the phone's socket
        # (read late by a busy test thread) may predate it: skip the first 200 ms.
        first = min(ts for ts, _ in c.a.rx)
        assert [t for t in onsets(c.a) if t - first > 1600] == [], "tone heard while paused"
        c.hangup()
    finally:
        c.close()
        w.stop()


def test_tone_silence_below_minimum_is_raised(stack):
    w = stack.watch("5004", "5006")
    c = Call(stack, callee="5006", caller="5004")
    try:
        est = w.expect(lambda m: m.get("message") == "EventEstablished"
                       and m.get("ThisDN") == "5006", 10)
        c.a.keep_rx = True
        rc, msgs, err = stack.request({"message": "RequestPrivateService", "ThisDN": "5006",
                                       "PrivateMsgID": 3013, "ConnID": est["ConnID"],
                                       "Extensions": {"tonesilenceduration": 200}})
        assert msgs[-1]["message"] == "EventACK", msgs
        wait_ud(w, "5006", "GSIP_RECORD", "On")
        wait_for(lambda: len(onsets(c.a)) >= 2, 20, "two beeps")
        assert abs(gaps_ms(c.a)[0] - (BEEP_MS + 1500)) <= 40, gaps_ms(c.a)
        c.hangup()
    finally:
        c.close()
        w.stop()


def test_audiosrc_that_does_not_resolve_keeps_recording(stack):
    w = stack.watch("5008", "5009")
    c = Call(stack, callee="5009", caller="5008")
    try:
        est = w.expect(lambda m: m.get("message") == "EventEstablished"
                       and m.get("ThisDN") == "5009", 10)
        rc, msgs, err = stack.request({"message": "RequestPrivateService", "ThisDN": "5009",
                                       "PrivateMsgID": 3013, "ConnID": est["ConnID"],
                                       "Extensions": {"audiosrc": str(_TMP / "missing.wav")}})
        assert msgs[-1]["message"] == "EventACK", msgs
        wait_ud(w, "5009", "GSIP_RECORD", "On")
        info = w.expect(lambda m: m.get("message") == "EventPrivateInfo"
                        and m.get("ThisDN") == "5009"
                        and "audiosrc" in (m.get("Extensions") or {}).get("reason", ""), 15)
        assert info and info["Extensions"]["GSIP_RECORD"] == "On", info
        stack.wait_log(r"audiosrc: ")
        c.hangup()
        off = wait_ud(w, "5009", "GSIP_RECORD", "Off")
        assert "GSIP_RECORD_REASON" not in off["UserData"], off["UserData"]
    finally:
        c.close()
        w.stop()

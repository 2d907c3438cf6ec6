"""Integration tests: SIPp drives arec-recorder, Python sends RTP tones, the WAV and the
JSON sidecar are checked (header, channels, tone per channel by Goertzel, pause silence)."""
import datetime
import os
import socket
import struct

from recutil import RtpSender, dominant, read_wav, rms, run_sipp, sipp_messages, wait_for

FREQ_A, FREQ_B = 440, 1000


def ts(text):
    return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").timestamp()


def streams_ready(d):
    return d["state"] == "recording" and all(s["port"] for s in d["streams"] if s["accepted"])


def window(samples, t0, t1):
    return samples[max(0, int(t0 * 8000)):max(0, int(t1 * 8000))]


def check_header(w, channels, fmt, sidecar):
    assert w["format"] == fmt
    assert w["channels"] == channels
    assert w["rate"] == 8000
    assert w["bits"] == 8
    assert w["block_align"] == channels
    assert w["byte_rate"] == 8000 * channels
    assert w["fmt_size"] == 18
    assert w["fact"] == w["frames"]
    assert w["frames"] == sidecar["wav"]["samples"]
    # Wall-clock aligned: the file lasts as long as the session (within 0.3 s).
    duration = ts(sidecar["end"]) - ts(sidecar["start"])
    assert abs(w["frames"] / 8000.0 - duration) < 0.3, (w["frames"], duration)


def test_seed_two_streams_pause_resume(make_recorder, tmp_path):
    rec = make_recorder("--rtp-ports", "42000-42999")
    sipp = run_sipp(rec, "seed_pause.xml", tmp_path, {"recid": "seed1"}, background=True)
    d = rec.wait_sidecar("seed1", streams_ready, what="recording state")
    audio = [s for s in d["streams"] if s["media"] == "audio"]
    assert [s["channel"] for s in audio] == [1, 2]
    assert all(42000 <= s["port"] <= 42999 for s in audio)
    senders = [RtpSender(audio[0]["port"], FREQ_A, ssrc=1), RtpSender(audio[1]["port"], FREQ_B, ssrc=2)]
    for s in senders:
        s.start()
    try:
        assert sipp.wait(timeout=30) == 0, "SIPp scenario failed"
    finally:
        for s in senders:
            s.stop()
    d = rec.wait_sidecar("seed1", lambda d: d["state"] == "ended", what="end")
    assert d["end_reason"] == "bye"
    assert d["dialect"] == "seed"
    assert d["params"] == {"record": "seed1", "calluuid": "UUID-seed1", "dn": "1001",
                           "recordDN": "1001", "otherDN": "1002"}
    assert d["sdp_version_changes"] == 2
    assert [s["party"] for s in audio] == ["1001", "1002"]
    video = [s for s in d["streams"] if s["media"] == "video"][0]
    assert video["accepted"] and video["port"] > 0 and video["channel"] is None
    for s in d["streams"][:2]:
        assert s["packets"] > 100 and s["malformed"] == 0 and s["lost"] == 0
        assert s["while_paused"] > 20  # the sender kept going; nothing was written
        assert s["first_packet"] and s["last_packet"]
    assert len(d["pauses"]) == 1
    p0 = ts(d["pauses"][0]["start"]) - ts(d["start"])
    p1 = ts(d["pauses"][0]["end"]) - ts(d["start"])
    assert p1 > p0

    w = read_wav(os.path.join(rec.dir, "seed1.wav"))
    check_header(w, 2, 7, d)
    ch1, ch2 = w["samples"]
    # Before the pause, between the pause and the end: each channel carries its tone.
    for t0, t1 in ((0.6, p0 - 0.3), (p1 + 0.6, w["frames"] / 8000.0 - 0.4)):
        f1, _ = dominant(window(ch1, t0, t1), [FREQ_A, FREQ_B])
        f2, _ = dominant(window(ch2, t0, t1), [FREQ_A, FREQ_B])
        assert (f1, f2) == (FREQ_A, FREQ_B), (t0, t1)
        assert rms(window(ch1, t0, t1)) > 1000
    # Paused: silence on both channels.
    for ch in (ch1, ch2):
        assert rms(window(ch, p0 + 0.3, p1 - 0.3)) < 50


def test_siprec_multipart(make_recorder, tmp_path):
    rec = make_recorder()
    sipp = run_sipp(rec, "siprec_call.xml", tmp_path, {"recid": "x"}, background=True)
    name = wait_for(lambda: rec.sidecars(), 10, "a sidecar")[0]
    d = rec.wait_sidecar(name, streams_ready, what="recording state")
    assert d["record_id_generated"] is True
    ports = [s["port"] for s in d["streams"]]
    senders = [RtpSender(ports[0], FREQ_B, pt=8, law="alaw", ssrc=3),
               RtpSender(ports[1], FREQ_A, pt=8, law="alaw", ssrc=4)]
    for s in senders:
        s.start()
    try:
        assert sipp.wait(timeout=30) == 0, "SIPp scenario failed"
    finally:
        for s in senders:
            s.stop()
    d = rec.wait_sidecar(name, lambda d: d["state"] == "ended", what="end")
    assert d["dialect"] == "siprec"
    meta = d["siprec"]
    assert meta["namespace"] == "urn:ietf:params:xml:ns:recording"
    assert meta["datamode"] == "complete"
    assert meta["session_id"] == "hVpd7YQgRW2nD22h7q60JQ=="
    assert [p["aor"] for p in meta["participants"]] == ["sip:alice@example.com",
                                                        "sip:bob@example.com"]
    assert [p["name"] for p in meta["participants"]] == ["Alice", "Bob"]
    assert [(s["label"], s["party"], s["channel"]) for s in d["streams"]] == [
        ("96", "sip:alice@example.com", 1), ("97", "sip:bob@example.com", 2)]
    assert d["sdp_version_changes"] == 1
    assert d["pauses"] == []
    w = read_wav(os.path.join(rec.dir, d["wav"]["file"]))
    check_header(w, 2, 6, d)
    end = w["frames"] / 8000.0 - 0.4
    assert dominant(window(w["samples"][0], 0.6, end), [FREQ_A, FREQ_B])[0] == FREQ_B
    assert dominant(window(w["samples"][1], 0.6, end), [FREQ_A, FREQ_B])[0] == FREQ_A


def test_one_stream_is_mono_with_loss_and_garbage(make_recorder, tmp_path):
    rec = make_recorder()
    sipp = run_sipp(rec, "short_call.xml", tmp_path, {"recid": "mono1"}, background=True)
    d = rec.wait_sidecar("mono1", streams_ready, what="recording state")
    port = d["streams"][0]["port"]
    junk = [b"", b"\x00", b"\x80\x00\x01", b"\x40" * 40, os.urandom(300),
            # RTP with a CSRC count running past the end, and bad padding
            struct.pack("!BBHII", 0x8F, 0, 1, 1, 1), struct.pack("!BBHII", 0xA0, 0, 1, 1, 1) + b"\xff"]

    def inject(sock, seq):
        if seq % 10 == 0:
            for j in junk:
                sock.sendto(j, ("127.0.0.1", port))
            sock.sendto(os.urandom(40), ("127.0.0.1", port + 1))  # garbage RTCP

    sender = RtpSender(port, FREQ_A, drop_every=25, extra=inject)
    sender.start()
    # Once the real sender is latched, a second source (another tone) must not get in.
    wait_for(lambda: sender.sent >= 5, 10, "the first packets")
    intruder = RtpSender(port, FREQ_B, ssrc=0x666)
    intruder.start()
    try:
        assert sipp.wait(timeout=30) == 0, "SIPp scenario failed"
    finally:
        sender.stop()
        intruder.stop()
    d = rec.wait_sidecar("mono1", lambda d: d["state"] == "ended", what="end")
    s = d["streams"][0]
    assert s["malformed"] > 0 and s["rtcp_malformed"] > 0
    assert s["foreign_source"] > 50 and s["ssrc"] == 0x1234
    # Loss is counted from sequence numbers; the sender outlives the session a little,
    # so it may have skipped a few more packets than the recorder saw missing.
    assert 0 < s["lost"] <= sender.dropped
    w = read_wav(os.path.join(rec.dir, "mono1.wav"))
    check_header(w, 1, 7, d)
    assert dominant(window(w["samples"][0], 0.6, w["frames"] / 8000.0 - 0.4),
                    [FREQ_A, FREQ_B])[0] == FREQ_A
    # The video m= was accepted (not --reject-video): it got a port in the answer.
    assert d["streams"][1]["media"] == "video" and d["streams"][1]["port"] > 0


def test_reject_video(make_recorder, tmp_path):
    rec = make_recorder("--reject-video")
    assert run_sipp(rec, "short_call.xml", tmp_path, {"recid": "novideo"}).returncode == 0
    d = rec.wait_sidecar("novideo", lambda d: d["state"] == "ended", what="end")
    assert d["streams"][1]["media"] == "video"
    assert d["streams"][1]["accepted"] is False and d["streams"][1]["port"] == 0
    msgs = sipp_messages(tmp_path, "short_call.xml")
    assert "m=video 0 RTP/AVP" in msgs
    assert "a=recvonly" in msgs


def test_reject_code(make_recorder, tmp_path):
    rec = make_recorder("--reject", "486")
    assert run_sipp(rec, "reject_486.xml", tmp_path, {"recid": "rej"}).returncode == 0
    assert rec.sidecars() == []
    assert not any(f.endswith(".wav") for f in os.listdir(rec.dir))


def test_garbage_sdp_answered_488(make_recorder, tmp_path):
    rec = make_recorder()
    assert run_sipp(rec, "garbage_sdp.xml", tmp_path, {"recid": "bad"}).returncode == 0
    assert "Warning: 399" in sipp_messages(tmp_path, "garbage_sdp.xml")
    assert rec.sidecars() == []
    # Still serving: an OPTIONS ping is answered.
    assert run_sipp(rec, "options.xml", tmp_path).returncode == 0


def test_drop_after_sends_bye(make_recorder, tmp_path):
    rec = make_recorder("--drop-after", "1")
    assert run_sipp(rec, "drop_after.xml", tmp_path, {"recid": "drop"}).returncode == 0
    d = rec.wait_sidecar("drop", lambda d: d["state"] == "ended", what="end")
    assert d["end_reason"] == "drop-after"
    read_wav(os.path.join(rec.dir, "drop.wav"))


def test_answer_delay_sends_ringing_first(make_recorder, tmp_path):
    rec = make_recorder("--answer-delay", "300")
    assert run_sipp(rec, "short_call.xml", tmp_path, {"recid": "slow"}).returncode == 0
    msgs = sipp_messages(tmp_path, "short_call.xml")
    assert msgs.index("SIP/2.0 180") < msgs.index("SIP/2.0 200")
    rec.wait_sidecar("slow", lambda d: d["state"] == "ended", what="end")


def test_same_record_id_twice_and_tcp(make_recorder, tmp_path):
    """One session per party may reuse the record id: the second gets its own files.
    Also exercises SIP over TCP on the same port as UDP."""
    rec = make_recorder()
    assert run_sipp(rec, "short_call.xml", tmp_path, {"recid": "dup"}).returncode == 0
    assert run_sipp(rec, "short_call.xml", tmp_path, {"recid": "dup"},
                    transport="t1").returncode == 0
    names = rec.sidecars()
    assert names == ["dup.json", "dup_1001.json"], names
    for n in names:
        d = rec.sidecar(n)
        assert d["state"] == "ended" and d["record_id"] == "dup"
        read_wav(os.path.join(rec.dir, d["wav"]["file"]))


def test_ports_file_and_options_on_udp_and_tcp(make_recorder, tmp_path):
    rec = make_recorder()
    assert run_sipp(rec, "options.xml", tmp_path).returncode == 0
    assert run_sipp(rec, "options.xml", tmp_path, transport="t1").returncode == 0
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(("127.0.0.1", rec.port))
    s.close()


def test_session_refresh_without_sdp(make_recorder, tmp_path):
    rec = make_recorder()
    assert run_sipp(rec, "refresh.xml", tmp_path, {"recid": "refresh"}).returncode == 0
    d = rec.wait_sidecar("refresh", lambda d: d["state"] == "ended", what="end")
    assert d["end_reason"] == "bye"
    assert d["offers"] == 1  # the offerless re-INVITE and the UPDATE change nothing
    assert d["pauses"] == []
    msgs = sipp_messages(tmp_path, "refresh.xml")
    # RFC 4028: every 2xx to INVITE / UPDATE confirms the timer (only the recorder sends it).
    assert msgs.count("Require: timer") >= 3


def test_cancel_while_answer_delayed(make_recorder, tmp_path):
    rec = make_recorder("--answer-delay", "5000")
    assert run_sipp(rec, "cancel.xml", tmp_path, {"recid": "cxl"}).returncode == 0
    d = rec.wait_sidecar("cxl", lambda d: d["state"] == "ended", what="end")
    assert d["end_reason"] == "cancelled"
    assert d["wav"] is None and d["start"] is None
    assert not os.path.exists(os.path.join(rec.dir, "cxl.wav"))


def test_shutdown_ends_sessions_with_bye(make_recorder, tmp_path):
    rec = make_recorder()
    # drop_after.xml waits for the recorder's BYE: SIGTERM must produce it.
    sipp = run_sipp(rec, "drop_after.xml", tmp_path, {"recid": "term"}, background=True)
    d = rec.wait_sidecar("term", streams_ready, what="recording state")
    sender = RtpSender(d["streams"][0]["port"], FREQ_B)
    sender.start()
    wav = os.path.join(rec.dir, "term.wav")
    wait_for(lambda: os.path.getsize(wav) > 58 + 8000, 10, "a second of audio on disk")
    # Valid while still recording: the header is kept in step with the data on disk.
    live = wait_for(lambda: read_wav(wav) if read_wav(wav)["frames"] > 0 else None, 10,
                    "the header to count samples")
    assert live["fact"] == live["frames"] and live["channels"] == 1
    rec.terminate()
    try:
        assert sipp.wait(timeout=30) == 0, "SIPp did not get the BYE"
    finally:
        sender.stop()
    assert rec.proc.wait(timeout=10) == 0
    d = rec.sidecar("term")
    assert d["state"] == "ended" and d["end_reason"] == "shutdown"
    w = read_wav(os.path.join(rec.dir, "term.wav"))
    check_header(w, 1, 7, d)

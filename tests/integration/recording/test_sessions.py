"""Two simultaneous recording sessions on one call (recording-sessions = 2), each its own."""
from rectest import (TONE_A, TONE_B, Call, dominant, read_wav, wait_for, wait_recording_done,
                     wait_recording_live, wait_ud)

STACK_OPTS = ("--gateway-opt", "recording-sessions=2")
START, STOP, PAUSE, RESUME = 3013, 3014, 3015, 3016
Q = "GSIP_RECORD:qual-1"


def private(stack, msg_id, connid, ext=None, this_dn="5005"):
    obj = {"message": "RequestPrivateService", "ThisDN": this_dn, "PrivateMsgID": msg_id,
           "ConnID": connid}
    if ext is not None:
        obj["Extensions"] = ext
    rc, msgs, err = stack.request(obj)
    assert msgs, (rc, err)
    return msgs[-1]


def ack(m):
    assert m["message"] == "EventACK", m


def test_compliance_and_quality_sessions(stack):
    w = stack.watch("5002", "5003", "5005")
    c = Call(stack, callee="5003", caller="5002")
    try:
        est = w.expect(lambda m: m.get("message") == "EventEstablished" and
                       m.get("ThisDN") == "5003", 10)
        cid = est["ConnID"]
        ack(private(stack, START, cid, {"id": "comp-1"}))  # compliance, full call
        wait_ud(w, "5003", "GSIP_RECORD", "On")
        # a second START with another id and purpose: a second session, not an error
        ack(private(stack, START, cid, {"id": "qual-1", "params": "purpose=quality"}))
        on = wait_ud(w, "5003", Q, "On")
        assert on["UserData"]["GSIP_REC_FN:qual-1"] == "qual-1"
        assert on["UserData"]["GSIP_RECORD"] == "On"
        wait_recording_live(stack, "comp-1")
        wait_recording_live(stack, "qual-1")
        info = w.expect(lambda m: m.get("message") == "EventPrivateInfo" and
                        m.get("ThisDN") == "5005" and
                        (m.get("Extensions") or {}).get("id") == "qual-1", 10)
        assert info and info["Extensions"]["GSIP_RECORD"] == "On", info
        # no third one
        assert private(stack, START, cid, {"id": "third"})["ErrorCode"] == 402
        # pause the quality session: compliance goes on
        ack(private(stack, PAUSE, cid, {"id": "qual-1"}))
        p = wait_ud(w, "5003", Q, "Paused")
        assert p["UserData"]["GSIP_RECORD"] == "On"
        assert private(stack, PAUSE, cid, {"id": "qual-1"})["ErrorCode"] == 304
        ack(private(stack, RESUME, cid, {"id": "qual-1"}))
        wait_ud(w, "5003", Q, "On")
        # pause the compliance session: quality goes on
        ack(private(stack, PAUSE, cid))
        p = wait_ud(w, "5003", "GSIP_RECORD", "Paused")
        assert p["UserData"][Q] == "On"
        ack(private(stack, RESUME, cid, {"id": "comp-1"}))
        wait_ud(w, "5003", "GSIP_RECORD", "On")
        assert private(stack, PAUSE, cid, {"id": "nope"})["ErrorCode"] == 403
        base = c.a.rx_packets
        wait_for(lambda: c.a.rx_packets > base + 50, what="audio with two sessions")
        # stop the quality session alone
        ack(private(stack, STOP, cid, {"id": "qual-1"}))
        off = wait_ud(w, "5003", Q, "Off")
        assert off["UserData"]["GSIP_RECORD"] == "On"
        q = wait_recording_done(stack, "qual-1")
        assert ";purpose=quality" in q["request_uri"], q["request_uri"]
        assert len(q["pauses"]) == 1, q["pauses"]
        base = c.a.rx_packets
        wait_for(lambda: c.a.rx_packets > base + 50, what="audio after the quality stop")
        c.hangup()
        wait_ud(w, "5003", "GSIP_RECORD", "Off")
        comp = wait_recording_done(stack, "comp-1")
        assert len(comp["pauses"]) == 1, comp["pauses"]
        assert "purpose" not in comp["request_uri"]
        for side in (comp, q):
            ch, chans = read_wav(stack.env["RECORDER_DIR"] + "/" + side["wav"]["file"])
            n = len(chans[0])
            assert n > 4000, n
            assert dominant(chans[0][n // 2 - 1000: n // 2 + 1000]) in (TONE_A, TONE_B)
    finally:
        c.close()
        w.stop()


def test_second_session_alone_ends_with_the_call(stack):
    w = stack.watch("5002", "5003", "5005")
    c = Call(stack, callee="5003", caller="5002")
    try:
        est = w.expect(lambda m: m.get("message") == "EventEstablished" and
                       m.get("ThisDN") == "5003", 10)
        cid = est["ConnID"]
        ack(private(stack, START, cid, {"id": "comp-2"}))
        wait_ud(w, "5003", "GSIP_RECORD", "On")
        ack(private(stack, START, cid, {"id": "qual-2"}))
        wait_ud(w, "5003", "GSIP_RECORD:qual-2", "On")
        wait_recording_live(stack, "comp-2")
        wait_recording_live(stack, "qual-2")
        # the compliance session stops; the quality one keeps recording
        ack(private(stack, STOP, cid))
        off = wait_ud(w, "5003", "GSIP_RECORD", "Off")
        assert off["UserData"]["GSIP_RECORD:qual-2"] == "On"
        wait_recording_done(stack, "comp-2")
        # while it records, a new first session is refused
        assert private(stack, START, cid, {"id": "comp-3"})["ErrorCode"] == 402
        c.hangup()
        wait_ud(w, "5002", "GSIP_RECORD:qual-2", "Off")
        wait_recording_done(stack, "qual-2")
    finally:
        c.close()
        w.stop()

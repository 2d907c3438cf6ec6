"""Mid-call control with Extensions params: PAUSE / RESUME / STOP params reach the recorder."""
from rectest import Call, wait_for, wait_recording_done, wait_recording_live, wait_ud

START, STOP, PAUSE, RESUME = 3013, 3014, 3015, 3016


def private(stack, msg_id, connid, ext=None):
    obj = {"message": "RequestPrivateService", "ThisDN": "5005", "PrivateMsgID": msg_id,
           "ConnID": connid}
    if ext is not None:
        obj["Extensions"] = ext
    rc, msgs, err = stack.request(obj)
    assert msgs, (rc, err)
    return msgs[-1]


def test_params_modify_the_session(stack):
    w = stack.watch("5002", "5003", "5005")
    c = Call(stack, callee="5003", caller="5002")
    try:
        est = w.expect(lambda m: m.get("message") == "EventEstablished" and
                       m.get("ThisDN") == "5003", 10)
        cid = est["ConnID"]
        r = private(stack, START, cid, {"id": "params-1", "params": "campaign=spring"})
        assert r["message"] == "EventACK", r
        wait_ud(w, "5003", "GSIP_RECORD", "On")
        wait_recording_live(stack, "params-1")
        r = private(stack, PAUSE, cid, {"params": "reason=pin entry;agent=5005"})
        assert r["message"] == "EventACK", r
        wait_ud(w, "5003", "GSIP_RECORD", "Paused")
        r = private(stack, RESUME, cid, {"params": "reason=done"})
        assert r["message"] == "EventACK", r
        wait_ud(w, "5003", "GSIP_RECORD", "On")
        # a resume without params changes nothing at the recorder but the direction
        base = c.a.rx_packets
        wait_for(lambda: c.a.rx_packets > base + 20, what="audio after resume")
        r = private(stack, STOP, cid, {"params": "outcome=sale"})
        assert r["message"] == "EventACK", r
        wait_ud(w, "5003", "GSIP_RECORD", "Off")
        side = wait_recording_done(stack, "params-1")
        # the start's params are in the Request-URI (seed "Format of Request URI")
        assert ";campaign=spring" in side["request_uri"], side["request_uri"]
        ups = side["param_updates"]
        assert [u["request"] for u in ups] == ["INVITE", "INVITE", "BYE"], ups
        assert ups[0]["params"] == {"reason": "pin entry", "agent": "5005"}, ups
        assert ups[1]["params"] == {"reason": "done"}, ups
        assert ups[2]["params"] == {"outcome": "sale"}, ups
        assert len(side["pauses"]) == 1, side["pauses"]
        c.hangup()
    finally:
        c.close()
        w.stop()


def test_pause_without_params_sends_none(stack):
    w = stack.watch("5002", "5003")
    c = Call(stack, callee="5003", caller="5002")
    try:
        est = w.expect(lambda m: m.get("message") == "EventEstablished" and
                       m.get("ThisDN") == "5003", 10)
        cid = est["ConnID"]
        assert private(stack, START, cid, {"id": "params-2"})["message"] == "EventACK"
        wait_ud(w, "5003", "GSIP_RECORD", "On")
        wait_recording_live(stack, "params-2")
        assert private(stack, PAUSE, cid)["message"] == "EventACK"
        wait_ud(w, "5003", "GSIP_RECORD", "Paused")
        assert private(stack, RESUME, cid, {"params": 7})["ErrorCode"] == 107  # WRONG_TYPE
        assert private(stack, RESUME, cid)["message"] == "EventACK"
        wait_ud(w, "5003", "GSIP_RECORD", "On")
        c.hangup()
        side = wait_recording_done(stack, "params-2")
        assert side["param_updates"] == [], side["param_updates"]
        assert len(side["pauses"]) == 1
    finally:
        c.close()
        w.stop()

"""Screen recording control: desktop <-> recording vendor through RequestSendEvent / EventUserEvent."""
from rectest import Call, wait_ud


def send_event(stack, dn, value, connid=None, app="demo"):
    obj = {"message": "RequestSendEvent", "ThisDN": dn, "UserData": {"screen-capture": value}}
    if connid:
        obj["ConnID"] = connid
    rc, msgs, err = stack.request(obj)
    assert msgs, (rc, err)
    return msgs[-1]


def test_screen_capture_round_trip(stack):
    vendor = stack.watch("5010")  # the recorder vendor monitors the agent DN
    c = Call(stack)
    try:
        on = wait_ud(vendor, "5010", "GSIP_RECORD", "On")
        cid = on["ConnID"]
        for op in ("start", "pause", "resume", "query", "stop"):
            r = send_event(stack, "5010", op, cid)
            assert r["message"] == "EventACK", r
            ev = vendor.expect(lambda m: m.get("message") == "EventUserEvent"
                               and (m.get("UserData") or {}).get("screen-capture") == op, 10)
            assert ev is not None and ev["ThisDN"] == "5010" and ev["ConnID"] == cid, ev
        # the vendor's indications come back to the desktop the same way
        desk = stack.watch("5010")
        for ind in ("enabled", "paused", "disabled"):
            assert send_event(stack, "5010", ind, cid)["message"] == "EventACK"
            ev = desk.expect(lambda m: m.get("message") == "EventUserEvent"
                             and (m.get("UserData") or {}).get("screen-capture") == ind, 10)
            assert ev is not None, ind
        desk.stop()
        c.hangup()
    finally:
        c.close()
        vendor.stop()


def test_screen_capture_bad_values(stack):
    r = send_event(stack, "5010", "record-everything")
    assert r["message"] == "EventError" and r["ErrorCode"] == 109, r
    rc, msgs, err = stack.request({"message": "RequestSendEvent", "ThisDN": "5010",
                                   "UserData": {"screen-capture": 3}})
    assert msgs[-1]["message"] == "EventError" and msgs[-1]["ErrorCode"] == 107, msgs

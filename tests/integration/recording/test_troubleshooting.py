"""The seed's "Calls are not being recorded" cases, reproduced with the user data they describe."""
from rectest import Call, ud_changes, wait_ud

# record=true on DN 5010 but no recorder configured ("only the Genesys side is configured")
STACK_OPTS = ("--gateway-opt", "recording-dest=")


def private(stack, msg_id, connid, ext=None):
    obj = {"message": "RequestPrivateService", "ThisDN": "5003", "PrivateMsgID": msg_id,
           "ConnID": connid}
    if ext:
        obj["Extensions"] = ext
    rc, msgs, err = stack.request(obj)
    return msgs[-1]


def test_record_true_without_recorder_shows_off_and_recording_no(stack):
    w = stack.watch("5001", "5010")
    c = Call(stack)
    try:
        off = wait_ud(w, "5010", "GSIP_RECORD", "Off")
        assert off["UserData"]["RECORDING_STATUS_GIM"] == "RECORDING_NO"
        assert "recording-dest" in off["UserData"]["GSIP_RECORD_REASON"]
        stack.wait_log(r"full-time recording for DN 5010 not started")
        c.hangup()
        w.expect(lambda m: m.get("message") == "EventReleased" and m.get("ThisDN") == "5010", 10)
        assert ud_changes(w, "5010", "GSIP_RECORD") == ["Off"]
        # the call itself was not recorded, but it worked: no re-INVITE to a media server
        assert c.a.reinvites == 0
    finally:
        c.close()
        w.stop()


def test_private_request_refused_without_recorder_is_logged(stack):
    """Seed: "the PrivateRequest was received, but SIP Server returned an error code"."""
    w = stack.watch("5002", "5003")
    c = Call(stack, callee="5003", caller="5002")
    try:
        est = w.expect(lambda m: m.get("message") == "EventEstablished"
                       and m.get("ThisDN") == "5003", 10)
        r = private(stack, 3013, est["ConnID"])
        assert r["message"] == "EventError" and r["ErrorCode"] == 108, r  # MISSING_ATTRIBUTE
        stack.wait_log(r"PrivateService 3013 on .* refused: no dest given")
        # with an explicit dest it records even so
        rec = stack.env["RECORDER_SIP_ADDR"]
        r = private(stack, 3013, est["ConnID"], {"dest": "sip:" + rec})
        assert r["message"] == "EventACK", r
        on = wait_ud(w, "5003", "GSIP_RECORD", "On")
        assert on["UserData"]["RECORDING_STATUS_GIM"] == "RECORDING_YES"
        c.hangup()
        wait_ud(w, "5003", "GSIP_RECORD", "Off")
    finally:
        c.close()
        w.stop()

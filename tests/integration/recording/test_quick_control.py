"""Recording control racing the recorder's answer: START, PAUSE, RESUME, STOP and hang-up sent
at once (the recorder INVITE still pending); every recorder session ends with the call."""
import pytest

from rectest import Call, wait_recording_done, wait_ud

STACK_OPTS = ("--gateway-opt", "recording-sessions=2")
RECORDER_OPTS = "--answer-delay 100"
START, STOP, PAUSE, RESUME = 3013, 3014, 3015, 3016


def private(stack, msg_id, connid, ext=None):
    obj = {"message": "RequestPrivateService", "ThisDN": "5005", "PrivateMsgID": msg_id,
           "ConnID": connid}
    if ext is not None:
        obj["Extensions"] = ext
    rc, msgs, err = stack.request(obj)
    assert msgs, (rc, err)
    return msgs[-1]


@pytest.mark.parametrize("steps", [(), (PAUSE,), (PAUSE, RESUME), (STOP,), (PAUSE, STOP)])
def test_control_then_hangup_while_invite_pending(stack, steps):
    tag = "-".join(str(s) for s in steps) or "none"
    w = stack.watch("5002", "5003", "5005")
    c = Call(stack, callee="5003", caller="5002")
    try:
        est = w.expect(lambda m: m.get("message") == "EventEstablished" and
                       m.get("ThisDN") == "5003", 10)
        cid = est["ConnID"]
        ids = [f"qa-{tag}", f"qb-{tag}"]
        assert private(stack, START, cid, {"id": ids[0]})["message"] == "EventACK"
        wait_ud(w, "5003", "GSIP_RECORD", "On")
        assert private(stack, START, cid, {"id": ids[1], "params": "purpose=quality"}
                       )["message"] == "EventACK"
        wait_ud(w, "5003", f"GSIP_RECORD:{ids[1]}", "On")
        for s in steps:
            private(stack, s, cid)
        c.hangup()
        for rid in ids:
            side = wait_recording_done(stack, rid, timeout=30)
            assert side["end_reason"] in ("cancelled", "bye"), side
    finally:
        c.close()
        w.stop()

"""The recorder refuses video (port 0): GSIP_RECORD_VIDEO goes Off, audio recording goes on."""
from rectest import TONE_A, TONE_B, gw_addr, recua, ud_changes, wait_recording_done, wait_ud

RECORDER_OPTS = "--reject-video"


def test_recorder_rejects_video(stack):
    w = stack.watch("5002", "5003", "5005")
    callee = recua.Phone("5003", gw_addr(stack), TONE_B, video=True)
    caller = recua.Phone("5002", gw_addr(stack), TONE_A, video=True)
    try:
        assert callee.register() == 200
        caller.call("5003")
        assert caller.wait_answered() == 200
        est = w.expect(lambda m: m.get("message") == "EventEstablished" and
                       m.get("ThisDN") == "5003", 10)
        rc, msgs, err = stack.request({"message": "RequestPrivateService", "ThisDN": "5005",
                                       "PrivateMsgID": 3013, "ConnID": est["ConnID"],
                                       "Extensions": {"id": "video-rej"}})
        assert msgs and msgs[-1]["message"] == "EventACK", (msgs, err)
        on = wait_ud(w, "5003", "GSIP_RECORD", "On")
        assert on["UserData"]["GSIP_RECORD_AUDIO"] == "On"
        # mediad's msml.recorder.stream (video refused) turns only the video indication Off
        off = wait_ud(w, "5003", "GSIP_RECORD_VIDEO", "Off")
        assert off["UserData"]["GSIP_RECORD"] == "On"
        assert off["UserData"]["GSIP_RECORD_AUDIO"] == "On"
        info = w.expect(lambda m: m.get("message") == "EventPrivateInfo" and
                        "video" in (m.get("Extensions") or {}).get("reason", ""), 10)
        assert info is not None
        caller.hangup()
        wait_ud(w, "5003", "GSIP_RECORD", "Off")
        side = wait_recording_done(stack, "video-rej")
        assert [(s["media"], s["accepted"]) for s in side["streams"]] == [
            ("audio", True), ("audio", True), ("video", False), ("video", False)]
        assert ud_changes(w, "5003", "GSIP_RECORD") == ["On", "Off"]
    finally:
        caller.close()
        callee.close()
        w.stop()

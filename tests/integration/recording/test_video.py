"""Video recording: audio+video by default, audio only on request, separate indications."""
import pytest

from rectest import (TONE_A, TONE_B, gw_addr, recua, wait_for, wait_recording_done,
                     wait_recording_live, wait_ud)

START, STOP, PAUSE, RESUME = 3013, 3014, 3015, 3016


def private(stack, msg_id, connid, ext=None):
    obj = {"message": "RequestPrivateService", "ThisDN": "5005", "PrivateMsgID": msg_id,
           "ConnID": connid}
    if ext is not None:
        obj["Extensions"] = ext
    rc, msgs, err = stack.request(obj)
    assert msgs, (rc, err)
    return msgs[-1]


@pytest.fixture
def video_call(stack):
    """5002 -> 5003, both phones offering an audio and a video m= line."""
    w = stack.watch("5002", "5003", "5005")
    callee = recua.Phone("5003", gw_addr(stack), TONE_B, video=True)
    caller = recua.Phone("5002", gw_addr(stack), TONE_A, video=True)
    try:
        assert callee.register() == 200
        caller.call("5003")
        assert caller.wait_answered() == 200
        est = w.expect(lambda m: m.get("message") == "EventEstablished" and
                       m.get("ThisDN") == "5003", 10)
        assert est is not None
        yield w, caller, callee, est["ConnID"]
    finally:
        caller.close()
        callee.close()
        w.stop()


def media_of(side):
    return [(s["media"], s["accepted"]) for s in side["streams"]]


def test_audio_and_video_by_default(stack, video_call):
    w, caller, callee, cid = video_call
    assert private(stack, START, cid, {"id": "video-av"})["message"] == "EventACK"
    on = wait_ud(w, "5003", "GSIP_RECORD", "On")
    assert on["UserData"]["GSIP_RECORD_AUDIO"] == "On"
    assert on["UserData"]["GSIP_RECORD_VIDEO"] == "On"
    wait_recording_live(stack, "video-av")
    assert private(stack, PAUSE, cid)["message"] == "EventACK"
    p = wait_ud(w, "5003", "GSIP_RECORD", "Paused")
    assert p["UserData"]["GSIP_RECORD_AUDIO"] == "Paused"
    assert p["UserData"]["GSIP_RECORD_VIDEO"] == "Paused"
    assert private(stack, RESUME, cid)["message"] == "EventACK"
    wait_ud(w, "5003", "GSIP_RECORD", "On")
    base = caller.rx_packets
    wait_for(lambda: caller.rx_packets > base + 50, what="audio through mediad")
    assert private(stack, STOP, cid)["message"] == "EventACK"
    off = wait_ud(w, "5003", "GSIP_RECORD", "Off")
    assert off["UserData"]["GSIP_RECORD_VIDEO"] == "Off"
    side = wait_recording_done(stack, "video-av")
    # seed "one recording session for both parties": audio dn, otherDN, then video
    assert media_of(side) == [("audio", True), ("audio", True), ("video", True),
                              ("video", True)], side["streams"]


def test_audio_only_on_request(stack, video_call):
    w, caller, callee, cid = video_call
    assert private(stack, START, cid, {"audio-only": 5})["ErrorCode"] == 109  # INVALID_VALUE
    r = private(stack, START, cid, {"id": "video-ao", "audio-only": "true"})
    assert r["message"] == "EventACK", r
    on = wait_ud(w, "5003", "GSIP_RECORD", "On")
    assert on["UserData"]["GSIP_RECORD_AUDIO"] == "On"
    assert on["UserData"]["GSIP_RECORD_VIDEO"] == "Off"
    wait_recording_live(stack, "video-ao")
    caller.hangup()
    wait_ud(w, "5003", "GSIP_RECORD", "Off")
    side = wait_recording_done(stack, "video-ao")
    # mediad offered the recorder only the audio lines
    assert media_of(side) == [("audio", True), ("audio", True)], side["streams"]


def test_audio_call_has_video_off(stack):
    w = stack.watch("5002", "5003", "5005")
    callee = recua.Phone("5003", gw_addr(stack), TONE_B)
    caller = recua.Phone("5002", gw_addr(stack), TONE_A)
    try:
        assert callee.register() == 200
        caller.call("5003")
        assert caller.wait_answered() == 200
        est = w.expect(lambda m: m.get("message") == "EventEstablished" and
                       m.get("ThisDN") == "5003", 10)
        assert private(stack, START, est["ConnID"], {"id": "video-none"})["message"] == "EventACK"
        on = wait_ud(w, "5003", "GSIP_RECORD", "On")
        assert on["UserData"]["GSIP_RECORD_AUDIO"] == "On"
        assert on["UserData"]["GSIP_RECORD_VIDEO"] == "Off"
        wait_recording_live(stack, "video-none")
        caller.hangup()
        side = wait_recording_done(stack, "video-none")
        assert media_of(side) == [("audio", True), ("audio", True)], side["streams"]
    finally:
        caller.close()
        callee.close()
        w.stop()

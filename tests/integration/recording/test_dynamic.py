"""Dynamic recording: RequestPrivateService 3013-3016 on real calls, and its bad input."""
import pytest

from rectest import (TONE_A, TONE_B, Call, dominant, read_wav, ud_changes, wait_for,
                     wait_recording_done, wait_ud)

START, STOP, PAUSE, RESUME = 3013, 3014, 3015, 3016


def private(stack, msg_id, connid, this_dn="5005", ext=None):
    obj = {"message": "RequestPrivateService", "ThisDN": this_dn, "PrivateMsgID": msg_id,
           "ConnID": connid}
    if ext is not None:
        obj["Extensions"] = ext
    rc, msgs, err = stack.request(obj)
    assert msgs, (rc, err)
    return msgs[-1]


def error_code(m):
    assert m["message"] == "EventError", m
    return m["ErrorCode"]


@pytest.fixture
def plain_call(stack):
    """5002 -> 5003, neither recorded by configuration; watcher on both and 5005."""
    w = stack.watch("5002", "5003", "5005")
    c = Call(stack, callee="5003", caller="5002")
    est = w.expect(lambda m: m.get("message") == "EventEstablished" and m.get("ThisDN") == "5003",
                   10)
    assert est is not None
    yield c, w, est["ConnID"]
    c.close()
    w.stop()


def test_supervisor_starts_pauses_resumes_and_stops(stack, plain_call):
    c, w, cid = plain_call
    # 5005 is not a party (a supervisor); record=destination records 5003's side
    r = private(stack, START, cid, ext={"record": "destination", "id": "dyn-test-1",
                                         "tonesilenceduration": 700})
    assert r["message"] == "EventACK", r
    on = wait_ud(w, "5003", "GSIP_RECORD", "On")
    assert on["UserData"]["GSIP_REC_FN"] == "dyn-test-1"
    info = w.expect(lambda m: m.get("message") == "EventPrivateInfo" and m.get("ThisDN") == "5005",
                    10)
    assert info and info["Extensions"]["GSIP_RECORD"] == "On", info
    # a second start while recording: the seed's rule
    assert error_code(private(stack, START, cid)) == 402  # ALREADY_RECORDING
    assert error_code(private(stack, RESUME, cid)) == 404  # NOT_PAUSED
    base = c.a.rx_packets
    wait_for(lambda: c.a.rx_packets > base + 50, what="audio while recording")
    assert private(stack, PAUSE, cid)["message"] == "EventACK"
    wait_ud(w, "5002", "GSIP_RECORD", "Paused")
    assert private(stack, RESUME, cid)["message"] == "EventACK"
    wait_ud(w, "5002", "GSIP_RECORD", "On")
    base = c.a.rx_packets
    wait_for(lambda: c.a.rx_packets > base + 50, what="audio after resume")
    assert private(stack, STOP, cid, this_dn="5003")["message"] == "EventACK"
    wait_ud(w, "5003", "GSIP_RECORD", "Off")
    assert error_code(private(stack, PAUSE, cid)) == 403  # NOT_RECORDING
    side = wait_recording_done(stack, "dyn-test-1")
    assert side["params"]["recordDN"] == "5003"
    ch, chans = read_wav(stack.env["RECORDER_DIR"] + "/" + side["wav"]["file"])
    assert ch == 2
    n = len(chans[0])
    assert n > 8000, n
    assert dominant(chans[0][n // 4: n // 4 + 4000]) == TONE_B  # 5003 (callee) sends TONE_B
    assert dominant(chans[1][n // 4: n // 4 + 4000]) == TONE_A
    # after a stop the call goes on and can be recorded again
    r = private(stack, START, cid, ext={"id": "dyn-test-2"})
    assert r["message"] == "EventACK", r
    w.seen.clear()
    wait_ud(w, "5003", "GSIP_RECORD", "On")
    c.talk()
    c.hangup()
    wait_ud(w, "5003", "GSIP_RECORD", "Off")
    wait_recording_done(stack, "dyn-test-2")
    for dn in ("5002", "5003"):
        assert ud_changes(w, dn, "GSIP_RECORD") == ["On", "Off"], dn


def test_full_time_beats_dynamic(stack):
    w = stack.watch("5010")
    c = Call(stack)
    try:
        on = wait_ud(w, "5010", "GSIP_RECORD", "On")
        assert error_code(private(stack, START, on["ConnID"], this_dn="5010")) == 402
        c.hangup()
    finally:
        c.close()
        w.stop()


def test_bad_input(stack, plain_call):
    c, w, cid = plain_call
    assert error_code(private(stack, 3099, cid)) == 401  # UNKNOWN_PRIVATE_MSG
    assert error_code(private(stack, START, cid, ext={"dest": 5})) == 107  # WRONG_TYPE
    assert error_code(private(stack, START, cid, ext={"id": 17})) == 107
    assert error_code(private(stack, START, "00000000000000aa")) == 301  # UNKNOWN_CONNID
    assert error_code(private(stack, START, cid, ext={"dest": "http://x"})) == 109
    assert error_code(private(stack, START, cid, ext={"dest2": "10.0.0.1:5060"})) == 109
    assert error_code(private(stack, START, cid, ext={"tonesilenceduration": "soon"})) == 109
    assert error_code(private(stack, START, cid, ext={"record": "both"})) == 109
    assert error_code(private(stack, START, cid, ext={"audiosrc": "ftp://x/t.wav"})) == 109
    assert error_code(private(stack, PAUSE, cid)) == 403   # NOT_RECORDING
    assert error_code(private(stack, RESUME, cid)) == 403
    assert error_code(private(stack, STOP, cid)) == 403
    # nothing above started anything: no indication on the parties
    c.hangup()
    w.expect(lambda m: m.get("message") == "EventReleased" and m.get("ThisDN") == "5003", 10)
    assert ud_changes(w, "5003", "GSIP_RECORD") == []

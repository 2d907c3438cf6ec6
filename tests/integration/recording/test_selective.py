"""Selective recording from a routing strategy: RequestRouteCall Extensions record=..."""
import pytest

from rectest import TONE_A, TONE_B, dominant, gw_addr, read_wav, recua, wait_for, wait_recording_done, wait_ud


@pytest.mark.parametrize("side,recorded,other", [("source", "5011", "5004"),
                                                 ("destination", "5004", "5011")])
def test_route_call_record_extension(stack, side, recorded, other):
    w = stack.watch("7001", "5011", "5004")
    agent = recua.Phone("5011", gw_addr(stack), TONE_B)
    customer = recua.Phone("5004", gw_addr(stack), TONE_A)
    try:
        assert agent.register() == 200
        customer.call("7001")
        rr = w.expect(lambda m: m.get("message") == "EventRouteRequest", 10)
        assert rr is not None
        rid = "sel-%s" % side
        rc, msgs, err = stack.request({"message": "RequestRouteCall", "ThisDN": "7001",
                                       "ConnID": rr["ConnID"], "OtherDN": "5011",
                                       "Extensions": {"record": side, "id": rid}})
        assert msgs and msgs[-1]["message"] in ("EventACK", "EventRouteUsed"), (msgs, err)
        # requested while the call was being set up: starts once it is established
        assert customer.wait_answered() == 200
        on = wait_ud(w, "5011", "GSIP_RECORD", "On")
        assert on["UserData"]["GSIP_REC_FN"] == rid
        wait_ud(w, "5004", "GSIP_RECORD", "On")
        base = customer.rx_packets
        wait_for(lambda: customer.rx_packets > base + 100, what="audio while recorded")
        customer.hangup()
        wait_ud(w, "5011", "GSIP_RECORD", "Off")
        s = wait_recording_done(stack, rid)
        assert s["params"]["recordDN"] == recorded and s["params"]["otherDN"] == other, s
        ch, chans = read_wav(stack.env["RECORDER_DIR"] + "/" + s["wav"]["file"])
        mid = len(chans[0]) // 2
        tones = {"5011": TONE_B, "5004": TONE_A}
        assert dominant(chans[0][mid - 2000: mid + 2000]) == tones[recorded]
        assert dominant(chans[1][mid - 2000: mid + 2000]) == tones[other]
    finally:
        agent.close()
        customer.close()
        w.stop()

"""Recording across a single-step transfer: it follows the recorded (record=true) side."""
from rectest import (TONE_A, TONE_B, Call, dominant, gw_addr, read_wav, recua, ud_changes,
                     wait_for, wait_recording_done, wait_ud)


def transfer(stack, dn, connid, to):
    rc, msgs, err = stack.request({"message": "RequestSingleStepTransfer", "ThisDN": dn,
                                   "ConnID": connid, "OtherDN": to})
    assert msgs and msgs[-1]["message"] != "EventError", (msgs, err)


def test_termination_side_recorded_ends_when_it_transfers_away(stack):
    w = stack.watch("5001", "5010", "5011")
    c = Call(stack)  # 5001 -> 5010 (record=true, termination side)
    d = recua.Phone("5011", gw_addr(stack), TONE_B)
    try:
        assert d.register() == 200
        on = wait_ud(w, "5010", "GSIP_RECORD", "On")
        transfer(stack, "5010", on["ConnID"], "5011")
        wait_ud(w, "5001", "GSIP_RECORD", "Off")
        w.expect(lambda m: m.get("message") == "EventEstablished" and m.get("ThisDN") == "5011",
                 10)
        base = c.a.rx_packets
        wait_for(lambda: c.a.rx_packets > base + 50 and d.rx_packets > 50,
                 what="5001 and 5011 talking after the transfer")
        wait_recording_done(stack, on["UserData"]["GSIP_REC_FN"])
        c.a.hangup()
        d.wait(lambda e: e[0] == "bye", what="BYE at 5011")
        assert ud_changes(w, "5001", "GSIP_RECORD") == ["On", "Off"]
    finally:
        c.close()
        d.close()
        w.stop()


def test_origination_side_recorded_keeps_recording_after_transfer(stack):
    w = stack.watch("5010", "5002", "5003")
    c = Call(stack, callee="5002", caller="5010")  # 5010 (record=true) calls 5002
    d = recua.Phone("5003", gw_addr(stack), TONE_B)
    try:
        assert d.register() == 200
        first = wait_ud(w, "5010", "GSIP_RECORD", "On")
        transfer(stack, "5002", first["ConnID"], "5003")
        w.expect(lambda m: m.get("message") == "EventEstablished" and m.get("ThisDN") == "5003",
                 10)

        def second_on():
            return [m for m in w.seen if m.get("message") == "EventAttachedDataChanged"
                    and m.get("ThisDN") == "5010"
                    and m["UserData"].get("GSIP_RECORD") == "On"
                    and m["UserData"].get("GSIP_REC_FN") != first["UserData"]["GSIP_REC_FN"]]
        w.expect(lambda m: bool(second_on()), 15)
        second = second_on()[0]
        base = d.rx_packets
        wait_for(lambda: d.rx_packets > base + 100, what="5010 and 5003 talking, recorded")
        c.a.hangup()
        d.wait(lambda e: e[0] == "bye", what="BYE at 5003")
        wait_ud(w, "5003", "GSIP_RECORD", "Off")
        w.expect(lambda m: m.get("message") == "EventReleased" and m.get("ThisDN") == "5010", 10)
        assert ud_changes(w, "5010", "GSIP_RECORD") == ["On", "Off", "On", "Off"], "%r" % [
            (m["message"], m.get("ThisDN"), (m.get("UserData") or {}).get("GSIP_RECORD"))
            for m in w.seen if m.get("ThisDN") == "5010"]
        s = wait_recording_done(stack, second["UserData"]["GSIP_REC_FN"])
        assert s["params"]["recordDN"] == "5010" and s["params"]["otherDN"] == "5003", s
        assert s["params"]["calluuid"] == first["CallUUID"]  # same call, a second segment
        ch, chans = read_wav(stack.env["RECORDER_DIR"] + "/" + s["wav"]["file"])
        mid = len(chans[0]) // 2
        assert dominant(chans[0][mid - 2000:mid + 2000]) == TONE_A
        assert dominant(chans[1][mid - 2000:mid + 2000]) == TONE_B
    finally:
        c.close()
        d.close()
        w.stop()

"""The recorder refuses every session (--reject 486): GSIP_RECORD Off with the reason; the call lives."""
from rectest import Call, ud_changes, wait_for, wait_ud

RECORDER_OPTS = "--reject 486"


def test_recorder_rejects_recording_reported_call_goes_on(stack):
    w = stack.watch("5001", "5010")
    c = Call(stack)
    try:
        off = wait_ud(w, "5010", "GSIP_RECORD", "Off")
        assert "486" in off["UserData"]["GSIP_RECORD_REASON"], off["UserData"]
        assert off["UserData"]["RECORDING_STATUS_GIM"] == "RECORDING_NO"
        info = w.expect(lambda m: m.get("message") == "EventPrivateInfo"
                        and m.get("ThisDN") == "5010"
                        and m["Extensions"].get("GSIP_RECORD") == "Off", 10)
        assert info and "486" in info["Extensions"]["reason"], info
        stack.wait_log(r"recording .* failed: .*486")
        # the parties still talk to each other (through mediad, which stays in the path)
        base_a, base_b = c.a.rx_packets, c.b.rx_packets
        wait_for(lambda: c.a.rx_packets > base_a + 50 and c.b.rx_packets > base_b + 50,
                 what="audio after the failure")
        c.hangup()
        w.expect(lambda m: m.get("message") == "EventReleased" and m.get("ThisDN") == "5010", 10)
        # On (createconference accepted by mediad) may or may not precede the failure
        changes = ud_changes(w, "5010", "GSIP_RECORD")
        assert changes[-1] == "Off" and changes in (["Off"], ["On", "Off"]), changes
    finally:
        c.close()
        w.stop()

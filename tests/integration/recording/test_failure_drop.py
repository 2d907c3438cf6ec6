"""The recorder drops the session after 1 s (--drop-after 1): Off with the reason, call lives."""
from rectest import Call, wait_for, wait_recording_done, wait_ud

RECORDER_OPTS = "--drop-after 1"


def test_recorder_drops_recording_mid_call(stack):
    w = stack.watch("5001", "5010")
    c = Call(stack)
    try:
        on = wait_ud(w, "5010", "GSIP_RECORD", "On")
        off = wait_ud(w, "5010", "GSIP_RECORD", "Off")
        assert off["UserData"]["GSIP_RECORD_REASON"], off["UserData"]
        wait_ud(w, "5001", "GSIP_RECORD", "Off")
        side = wait_recording_done(stack, on["UserData"]["GSIP_REC_FN"])
        assert side["end_reason"] == "drop-after"
        base = c.a.rx_packets
        wait_for(lambda: c.a.rx_packets > base + 50, what="audio after the drop")
        c.hangup()
    finally:
        c.close()
        w.stop()

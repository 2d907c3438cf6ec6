"""[gateway] record-consult-calls = true: a consultation of a record = true agent is recorded
even with the default dual-dialog-enabled = true (docs/recording.md "Consultation calls")."""
import os

from consulttest import TONE_C, Consult, dump, extra_conf, rec_on, request, tone_of
from rectest import TONE_B, read_wav, wait_for, wait_recording_done

STACK_GATEWAY_EXTRA = extra_conf()
STACK_OPTS = ("--gateway-opt", "record-consult-calls=true")


def teardown_module(_):
    os.unlink(STACK_GATEWAY_EXTRA)


def test_record_consult_calls_records_the_consultation(stack):
    c = Consult(stack, "6002")  # dual-dialog-enabled = true (default)
    try:
        if not rec_on(c.w, "6002", c.consult):
            c.w.expect(lambda m: rec_on(c.w, "6002", c.consult) is not None, 15)
        on = rec_on(c.w, "6002", c.consult) or dump(c.w, "no GSIP_RECORD On on the consult")
        d3 = rec_on(c.w, "5010", c.consult) or c.w.expect(
            lambda m: rec_on(c.w, "5010", c.consult) is not None, 15)
        assert d3 and d3["UserData"]["GSIP_REC_FN"] == on["UserData"]["GSIP_REC_FN"]
        base = c.d3.rx_packets
        wait_for(lambda: c.d3.rx_packets > base + 100, what="agent and D3 talking, recorded")
        request(stack, {"message": "RequestReconnectCall", "ThisDN": "6002",
                        "ConnID": c.consult, "TransferConnID": c.main})
        side = wait_recording_done(stack, on["UserData"]["GSIP_REC_FN"])
        assert side["params"]["recordDN"] == "6002" and side["params"]["otherDN"] == "5010"
        ch, chans = read_wav(stack.env["RECORDER_DIR"] + "/" + side["wav"]["file"])
        mid = len(chans[0]) // 2
        assert tone_of(chans[0][mid - 2000:mid + 2000]) == TONE_B
        assert tone_of(chans[1][mid - 2000:mid + 2000]) == TONE_C
        c.cust.hangup()
        wait_recording_done(stack, c.main_on["UserData"]["GSIP_REC_FN"])
    finally:
        c.close()

"""Consultation recording end to end (seed "Consultation"): real phones, mediad, recorder.

6001 (record = true, dual-dialog-enabled = false) and 6002 (record = true, the default
dual-dialog-enabled = true) are agents; 5001 is the customer; the consulted party D3 is
5010, itself record = true, to show that D3 is never recorded in a consultation.
"""
import json
import os

from consulttest import TONE_C, Consult, dump, extra_conf, rec_on, request, tone_of
from rectest import TONE_B, read_wav, recording_files, wait_for, wait_recording_done

STACK_GATEWAY_EXTRA = extra_conf()


def teardown_module(_):
    os.unlink(STACK_GATEWAY_EXTRA)


def test_single_dialog_consultation_is_recorded_and_d3_is_not(stack):
    c = Consult(stack, "6001")
    try:
        # the consultation gets its own recording: recordDN = the agent, otherDN = D3
        if not rec_on(c.w, "6001", c.consult):
            c.w.expect(lambda m: rec_on(c.w, "6001", c.consult) is not None, 15)
        on = rec_on(c.w, "6001", c.consult) or dump(c.w, "no GSIP_RECORD On on the consult")
        fn = on["UserData"]["GSIP_REC_FN"]
        assert fn != c.main_on["UserData"]["GSIP_REC_FN"]
        base = c.d3.rx_packets
        wait_for(lambda: c.d3.rx_packets > base + 100, what="agent and D3 talking, recorded")
        request(stack, {"message": "RequestCompleteTransfer", "ThisDN": "6001",
                        "ConnID": c.main, "TransferConnID": c.consult})
        side = wait_recording_done(stack, fn)
        assert side["params"]["recordDN"] == "6001" and side["params"]["otherDN"] == "5010"
        ch, chans = read_wav(stack.env["RECORDER_DIR"] + "/" + side["wav"]["file"])
        assert ch == 2
        mid = len(chans[0]) // 2
        assert tone_of(chans[0][mid - 2000:mid + 2000]) == TONE_B  # the agent
        assert tone_of(chans[1][mid - 2000:mid + 2000]) == TONE_C  # D3
        # the main call's recording (recordDN 6001) ended when the agent left it
        main = wait_recording_done(stack, c.main_on["UserData"]["GSIP_REC_FN"])
        assert main["params"]["recordDN"] == "6001" and main["params"]["otherDN"] == "5001"
        # D3 is never the recorded side of the consultation (its own record = true aside)
        for uuid in (on["CallUUID"], c.main_on["CallUUID"]):
            for f in recording_files(stack, uuid):
                p = json.load(open(f))["params"]
                if {p["recordDN"], p["otherDN"]} == {"6001", "5010"}:
                    assert p["recordDN"] == "6001", f
        c.cust.hangup()
        c.d3.wait(lambda e: e[0] == "bye", what="BYE at D3")
    finally:
        c.close()


def test_dual_dialog_consultation_is_not_recorded(stack):
    c = Consult(stack, "6002")
    try:
        # the consultation inherited GSIP_RECORD On from the main call: it is set Off
        off = c.w.expect(lambda m: m.get("message") == "EventAttachedDataChanged"
                         and m.get("ThisDN") == "6002" and m.get("ConnID") == c.consult
                         and (m.get("UserData") or {}).get("GSIP_RECORD") == "Off", 15)
        assert "GSIP_REC_FN" not in off["UserData"]
        base = c.d3.rx_packets
        wait_for(lambda: c.d3.rx_packets > base + 100, what="agent and D3 talking")
        assert rec_on(c.w, "6002", c.consult) is None
        assert rec_on(c.w, "5010", c.consult) is None  # D3 (record = true) neither
        # back to the customer: the main call's recording is still on
        request(stack, {"message": "RequestReconnectCall", "ThisDN": "6002",
                        "ConnID": c.consult, "TransferConnID": c.main})
        c.d3.wait(lambda e: e[0] == "bye", what="BYE at D3")
        c.w.expect(lambda m: m.get("message") == "EventRetrieved" and m.get("ThisDN") == "6002",
                   15)
        rid = c.main_on["UserData"]["GSIP_REC_FN"]
        assert [j for j in map(lambda f: json.load(open(f)), recording_files(stack, rid))
                if j.get("state") in ("recording", "paused")], "main recording not live"
        c.cust.hangup()
        side = wait_recording_done(stack, rid)
        assert side["params"]["recordDN"] == "6002"
        # nothing was recorded with D3
        for f in recording_files(stack, c.main_on["CallUUID"]):
            assert json.load(open(f))["params"].get("otherDN") != "5010", f
    finally:
        c.close()

"""islink-continue-recording: a call recorded at site A is marked (rec=1) when it moves to
site B, which records it too; GSIP_RECORD on each site shows that site's own recording."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "recording"))
from rectest import (TONE_A, TONE_B, gw_addr, recua, ud_changes, wait_for,  # noqa: E402
                     wait_recording_done, wait_ud)
from sitestest import request, settle  # noqa: E402

SITES_OPTS = ["--gateway-opt", "islink-continue-recording=true"]


def test_recorded_call_goes_on_recording_at_the_receiving_site(sites):
    """6102 calls agent 5010 (record=true) at A; 5010 transfers to 6203 at B. A's recording
    ends with the agent; B starts its own for the call that came in marked recorded."""
    wa = sites.a.watch("5010", "6102")
    wb = sites.b.watch("6203")
    agent_a = recua.Phone("5010", gw_addr(sites.a), TONE_B)
    agent_b = recua.Phone("6203", gw_addr(sites.b), TONE_B)
    customer = recua.Phone("6102", gw_addr(sites.a), TONE_A)
    try:
        assert agent_a.register() == 200 and agent_b.register() == 200
        customer.call("5010")
        assert customer.wait_answered() == 200
        on_a = wait_ud(wa, "5010", "GSIP_RECORD", "On")
        settle(customer)
        r = request(sites.a, {"message": "RequestSingleStepTransfer", "ThisDN": "5010",
                              "ConnID": on_a["ConnID"], "OtherDN": "6203"})
        assert r["message"] != "EventError", r
        on_b = wait_ud(wb, "6203", "GSIP_RECORD", "On", timeout=20)
        assert on_b["UserData"]["GSIP_REC_FN"] != on_a["UserData"]["GSIP_REC_FN"]
        assert on_b["CallUUID"] != on_a["CallUUID"]
        base = agent_b.rx_packets
        wait_for(lambda: agent_b.rx_packets > base + 100, what="6102 and 6203 talking")
        customer.hangup()
        agent_b.wait(lambda e: e[0] == "bye", what="BYE at 6203")
        wait_ud(wb, "6203", "GSIP_RECORD", "Off")
        # Each site's recorder holds its own part of the conversation.
        a = wait_recording_done(sites.a, on_a["UserData"]["GSIP_REC_FN"])
        b = wait_recording_done(sites.b, on_b["UserData"]["GSIP_REC_FN"])
        assert a["params"]["recordDN"] == "5010", a
        assert b["params"]["calluuid"] == on_b["CallUUID"], b
        assert b["params"]["recordDN"] == "to-site-a" and b["params"]["otherDN"] == "6203", b
        wait_ud(wa, "6102", "GSIP_RECORD", "Off")
        assert ud_changes(wa, "6102", "GSIP_RECORD") == ["On", "Off"]
        assert ud_changes(wb, "6203", "GSIP_RECORD") == ["On", "Off"]
    finally:
        for p in (customer, agent_a, agent_b):
            p.close()
        wa.stop()
        wb.stop()

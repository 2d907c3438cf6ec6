"""oosp-transfer-enabled with islink-continue-recording: a recorded call handed over to
another site by a two-step transfer by REFER (with Replaces) goes on recording there."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "recording"))
from referua import ReferPhone  # noqa: E402
from rectest import (TONE_A, TONE_B, gw_addr, recua, ud_changes, wait_for,  # noqa: E402
                     wait_recording_done, wait_ud)
from sitestest import request, settle, wait_event  # noqa: E402

SITES_OPTS = ["--gateway-opt", "oosp-transfer-enabled=true",
              "--gateway-opt", "islink-continue-recording=true"]


def test_two_step_refer_goes_on_recording_at_the_receiving_site(sites):
    """5010 (record=true) talks with 6101 at A; 6101 consults 6201 at B (the consultation
    is marked rec=1: it stands for the recorded call) and completes. A's recording ends
    with A's call; B records its call from the consultation on, and goes on once the
    customer's phone replaced A's dialog."""
    wa = sites.a.watch("5010", "6101")
    wb = sites.b.watch("6201")
    agent_b = recua.Phone("6201", gw_addr(sites.b), TONE_B)
    customer = ReferPhone("5010", gw_addr(sites.a), TONE_A)
    try:
        # A talking phone (the recording settles on audio) that takes the consultation's
        # first leg as a new call.
        agent_a = recua.Phone("6101", gw_addr(sites.a), TONE_B)
        assert agent_a.register() == 200 and agent_b.register() == 200
        customer.call("6101")
        assert customer.wait_answered() == 200
        on_a = wait_ud(wa, "5010", "GSIP_RECORD", "On")
        settle(customer)
        r = request(sites.a, {"message": "RequestInitiateTransfer", "ThisDN": "6101",
                              "ConnID": on_a["ConnID"], "OtherDN": "6201"})
        assert r["message"] != "EventError", r
        consult = wait_event(wa, "6101", "EventDialing")["ConnID"]
        on_b = wait_ud(wb, "6201", "GSIP_RECORD", "On", timeout=20)
        assert on_b["ConnID"] == consult, on_b
        settle(agent_b)  # the consultation talks through B's mediad: no offer pending
        r = request(sites.a, {"message": "RequestCompleteTransfer", "ThisDN": "6101",
                              "ConnID": on_a["ConnID"], "TransferConnID": consult})
        assert r["message"] != "EventError", r
        ev = customer.wait(lambda e: e[0] == "refer", 15, "REFER with Replaces")
        assert "Replaces" in ev[2], ev
        customer.wait(lambda e: e == ("notified", 200), 15, "the replacing INVITE answered")
        customer.wait(lambda e: e[0] == "old-bye", 15, "site A leaving the path")
        agent_a.wait(lambda e: e[0] == "bye", 10, "the agent released")
        wait_ud(wa, "5010", "GSIP_RECORD", "Off")
        base = agent_b.rx_packets
        wait_for(lambda: agent_b.rx_packets > base + 100, what="5010 and 6201 talking at B")
        assert sites.b.wait_log(r"INVITE \S+ replaces leg to-site-a")
        request(sites.b, {"message": "RequestReleaseCall", "ThisDN": "6201",
                          "ConnID": on_b["ConnID"]})
        customer.wait(lambda e: e[0] == "bye", 10, "BYE from site B")
        wait_ud(wb, "6201", "GSIP_RECORD", "Off")
        a = wait_recording_done(sites.a, on_a["UserData"]["GSIP_REC_FN"])
        b = wait_recording_done(sites.b, on_b["UserData"]["GSIP_REC_FN"])
        assert a["params"]["recordDN"] == "5010", a
        assert b["params"]["calluuid"] == on_b["CallUUID"], b
        assert b["params"]["recordDN"] == "to-site-a", b
        assert ud_changes(wa, "5010", "GSIP_RECORD") == ["On", "Off"]
        assert ud_changes(wb, "6201", "GSIP_RECORD") == ["On", "Off"]
    finally:
        for p in (customer, agent_a, agent_b):
            p.close()
        wa.stop()
        wb.stop()

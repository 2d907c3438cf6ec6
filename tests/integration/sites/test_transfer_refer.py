"""oosp-transfer-enabled: a transfer to another site by REFER, the first gateway leaving the
signalling path; the other site treats the call as a new inbound call with the ISLink."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "recording"))
from referua import ReferPhone  # noqa: E402
from rectest import TONE_A, TONE_B, gw_addr, recua, ud_changes, wait_for, wait_ud  # noqa: E402
from sitestest import (islinks, location, names, request, sequences, settle,  # noqa: E402
                       trace, wait_event)

SITES_OPTS = ["--gateway-opt", "oosp-transfer-enabled=true"]


def test_single_step_transfer_by_refer(sites):
    """6101 (a REFER-capable phone) calls 6102 at A; 6102 transfers it to 6201 at B. A
    REFERs 6101 to B and leaves; 6101's new call reaches B with the ISLink and user data."""
    wa = sites.a.watch("6101", "6102")
    wb = sites.b.watch("6201")
    agent_a = recua.Phone("6102", gw_addr(sites.a), TONE_B)
    agent_b = recua.Phone("6201", gw_addr(sites.b), TONE_B)
    customer = ReferPhone("6101", gw_addr(sites.a), TONE_A)
    try:
        assert agent_a.register() == 200 and agent_b.register() == 200
        customer.call("6102")
        assert customer.wait_answered() == 200
        est = wait_event(wa, "6102", "EventEstablished")
        request(sites.a, {"message": "RequestAttachUserData", "ThisDN": "6102",
                          "ConnID": est["ConnID"], "UserData": {"case": "77"}})
        r = request(sites.a, {"message": "RequestSingleStepTransfer", "ThisDN": "6102",
                              "ConnID": est["ConnID"], "OtherDN": "6201"})
        assert r["message"] != "EventError", r
        ev = customer.wait(lambda e: e[0] == "refer", 10, "REFER")
        assert ev[1].startswith("sip:6201@"), ev
        assert "X-Arec-ISLink" in ev[2], ev
        customer.wait(lambda e: e == ("notified", 200), 15, "the new call answered")
        customer.wait(lambda e: e[0] == "old-bye", 15, "site A leaving the path")
        est_b = wait_event(wb, "6201", "EventEstablished")
        base = agent_b.rx_packets
        wait_for(lambda: agent_b.rx_packets > base + 50, what="6101 and 6201 talking")
        wait_event(wa, "6101", "EventReleased")
        request(sites.b, {"message": "RequestReleaseCall", "ThisDN": "6201",
                          "ConnID": est_b["ConnID"]})
        customer.wait(lambda e: e[0] == "bye", 10, "BYE from site B")
        wait_event(wb, "6201", "EventReleased")
        sa = sequences(wa, sites.a, ["6101", "6102"])
        sb = sequences(wb, sites.b, ["6201"])
        # Site A: the ISLink (source), then the customer leaves too (CallState Transferred).
        assert names(sa["6101"]) == ["EventDialing", "EventEstablished",
                                     "EventAttachedDataChanged", "EventCallDataChanged",
                                     "EventReleased"], sa
        (link, loc, role), = islinks(sa["6101"][3])
        assert (loc, role) == (location("b"), "source")
        assert sa["6101"][4]["CallState"] == 1, sa["6101"][4]
        rel = [m for m in sa["6102"] if m["message"] == "EventReleased"]
        assert rel and rel[0]["CallState"] == 1 and rel[0]["ThirdPartyDN"] == "6201", rel
        # Site B: a new inbound call, the same ISLink as target, A's ConnID, user data.
        assert names(sb["6201"]) == ["EventDNBackInService", "EventCallDataChanged",
                                     "EventRinging", "EventEstablished", "EventReleased"], sb
        cd = sb["6201"][1]
        assert islinks(cd) == [(link, location("a"), "target")], cd
        assert cd["CallType"] == 2 and cd["ANI"] == "6101", cd
        assert cd["ConnID"] == est["ConnID"] and cd["CallUUID"] != est["CallUUID"], cd
        assert cd["UserData"] == {"case": "77"}, cd
        rows = trace(sites, est["CallUUID"], want=2)
        assert {r[0] for r in rows} == {est["CallUUID"], cd["CallUUID"]}, rows
    finally:
        for p in (customer, agent_a, agent_b):
            p.close()
        wa.stop()
        wb.stop()


def test_refer_ends_customer_side_recording(sites):
    """5010 (record=true) at A calls 6103; 6103 transfers to 6202 at B by REFER: A's
    recording ends with A's call; B treats the call as new and does not record it."""
    wa = sites.a.watch("5010", "6103")
    wb = sites.b.watch("6202")
    agent_a = recua.Phone("6103", gw_addr(sites.a), TONE_B)
    agent_b = recua.Phone("6202", gw_addr(sites.b), TONE_B)
    customer = ReferPhone("5010", gw_addr(sites.a), TONE_A)
    try:
        assert agent_a.register() == 200 and agent_b.register() == 200
        customer.call("6103")
        assert customer.wait_answered() == 200
        on = wait_ud(wa, "5010", "GSIP_RECORD", "On")
        settle(customer)
        r = request(sites.a, {"message": "RequestSingleStepTransfer", "ThisDN": "6103",
                              "ConnID": on["ConnID"], "OtherDN": "6202"})
        assert r["message"] != "EventError", r
        customer.wait(lambda e: e == ("notified", 200), 15, "the new call answered")
        est_b = wait_event(wb, "6202", "EventEstablished")
        wait_ud(wa, "5010", "GSIP_RECORD", "Off")
        wait_event(wa, "5010", "EventReleased")
        base = agent_b.rx_packets
        wait_for(lambda: agent_b.rx_packets > base + 50, what="5010 and 6202 talking at B")
        request(sites.b, {"message": "RequestReleaseCall", "ThisDN": "6202",
                          "ConnID": est_b["ConnID"]})
        wait_event(wb, "6202", "EventReleased")
        assert ud_changes(wa, "5010", "GSIP_RECORD") == ["On", "Off"]
        assert not [m for m in wb.seen if "GSIP_RECORD" in (m.get("UserData") or {})], wb.seen
    finally:
        for p in (customer, agent_a, agent_b):
            p.close()
        wa.stop()
        wb.stop()


def test_refer_refused_falls_back_to_the_path_transfer(sites):
    """A phone without REFER (501): the transfer goes through the site trunk instead, with
    the ISLink already announced (no second one)."""
    wa = sites.a.watch("6104", "6105")
    wb = sites.b.watch("6203")
    agent_a = recua.Phone("6105", gw_addr(sites.a), TONE_B)
    agent_b = recua.Phone("6203", gw_addr(sites.b), TONE_B)
    customer = recua.Phone("6104", gw_addr(sites.a), TONE_A)  # answers REFER 501
    try:
        assert agent_a.register() == 200 and agent_b.register() == 200
        customer.call("6105")
        assert customer.wait_answered() == 200
        est = wait_event(wa, "6105", "EventEstablished")
        r = request(sites.a, {"message": "RequestSingleStepTransfer", "ThisDN": "6105",
                              "ConnID": est["ConnID"], "OtherDN": "6203"})
        assert r["message"] != "EventError", r
        est_b = wait_event(wb, "6203", "EventEstablished")
        base = agent_b.rx_packets
        wait_for(lambda: agent_b.rx_packets > base + 50, what="6104 and 6203 talking")
        assert sites.a.wait_log(r"REFER of 6104 failed \(501\)"), sites.a.log()[-2000:]
        customer.hangup()
        agent_b.wait(lambda e: e[0] == "bye", what="BYE at 6203 through site A")
        wait_event(wa, "6104", "EventReleased")
        wait_event(wb, "6203", "EventReleased")
        sa = sequences(wa, sites.a, ["6104", "6105"])
        sb = sequences(wb, sites.b, ["6203"])
        assert names(sa["6104"]) == ["EventDialing", "EventEstablished", "EventCallDataChanged",
                                     "EventPartyChanged", "EventReleased"], sa
        (link, _, _), = islinks(sa["6104"][2])
        cd_b = next(m for m in sb["6203"] if m["message"] == "EventCallDataChanged")
        assert islinks(cd_b) == [(link, location("a"), "target")], cd_b
    finally:
        for p in (customer, agent_a, agent_b):
            p.close()
        wa.stop()
        wb.stop()

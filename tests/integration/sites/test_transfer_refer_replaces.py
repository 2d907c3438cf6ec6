"""oosp-transfer-enabled, two-step and phone-started transfers to another site: the first
gateway REFERs the remaining phone (Refer-To with Replaces naming its dialog with the other
site, or with the ISLink headers for a blind one) and leaves the signalling path."""
import re
import sys
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "recording"))
from referua import LatePhone, ReferPhone  # noqa: E402
from rectest import TONE_A, TONE_B, gw_addr, recua, ud_changes, wait_for, wait_ud  # noqa: E402
from sitestest import (islinks, location, names, request, sequences,  # noqa: E402
                       settle, trace, wait_event)

SITES_OPTS = ["--gateway-opt", "oosp-transfer-enabled=true"]


def talking(phone, what):
    base = phone.rx_packets
    wait_for(lambda: phone.rx_packets > base + 50, 15, what)


def left_for_b(customer, target):
    """The customer's phone got A's REFER with Replaces (no ISLink: B has the hop
    already), called B, reported 200 and A ended the old dialog."""
    ev = customer.wait(lambda e: e[0] == "refer", 15, "REFER with Replaces")
    assert ev[1].startswith("sip:%s@" % target), ev
    assert "Replaces" in ev[2] and "X-Arec-ISLink" not in ev[2], ev
    customer.wait(lambda e: e == ("notified", 200), 15, "the replacing INVITE answered")
    customer.wait(lambda e: e[0] == "old-bye", 15, "site A leaving the path")
    return ev


def test_two_step_transfer_by_refer_with_replaces(sites, phones):
    """6101 talks with 6102 at A; 6102 consults 6201 at B and completes: A REFERs 6101
    with Replaces naming A's dialog with B; 6101's INVITE takes that dialog's place at B;
    A leaves. Each site shows the one ISLink exactly as in the path model."""
    wa = sites.a.watch("6101", "6102")
    wb = sites.b.watch("6201")
    agent_b = recua.Phone("6201", gw_addr(sites.b), TONE_B)
    customer = ReferPhone("6101", gw_addr(sites.a), TONE_A)
    try:
        agent_a = phones["a"].phone("6102", "uas_answer.xml", m=2)
        assert agent_b.register() == 200
        wait_event(wa, "6102", "EventDNBackInService")
        customer.call("6102")
        assert customer.wait_answered() == 200
        est = wait_event(wa, "6102", "EventEstablished")
        request(sites.a, {"message": "RequestAttachUserData", "ThisDN": "6102",
                          "ConnID": est["ConnID"], "UserData": {"case": "78"}})
        r = request(sites.a, {"message": "RequestInitiateTransfer", "ThisDN": "6102",
                              "ConnID": est["ConnID"], "OtherDN": "6201"})
        assert r["message"] != "EventError", r
        consult = wait_event(wa, "6102", "EventDialing")["ConnID"]
        est_b = wait_event(wb, "6201", "EventEstablished")
        r = request(sites.a, {"message": "RequestCompleteTransfer", "ThisDN": "6102",
                              "ConnID": est["ConnID"], "TransferConnID": consult})
        assert r["message"] != "EventError", r
        left_for_b(customer, "6201")
        rel = wait_event(wa, "6101", "EventReleased")
        assert rel["CallState"] == 1, rel
        agent_a.ok()
        assert sites.b.wait_log(r"INVITE \S+ replaces leg to-site-a"), sites.b.log()[-2000:]
        assert "(the phone itself, by REFER)" not in sites.b.log(), sites.b.log()[-2000:]
        talking(agent_b, "6101 and 6201 talking, site A out of the path")
        request(sites.b, {"message": "RequestReleaseCall", "ThisDN": "6201",
                          "ConnID": est_b["ConnID"]})
        customer.wait(lambda e: e[0] == "bye", 10, "BYE from site B")
        wait_event(wb, "6201", "EventReleased")
        sa = sequences(wa, sites.a, ["6101", "6102"])
        sb = sequences(wb, sites.b, ["6201"])
        # Site A: the hop moves from the consultation into the customer's call (as in the
        # path model), then the customer leaves too (CallState Transferred).
        assert names(sa["6101"]) == ["EventDialing", "EventEstablished",
                                     "EventAttachedDataChanged", "EventCallDataChanged",
                                     "EventPartyChanged", "EventReleased"], sa
        (link, loc, role), = islinks(sa["6101"][3])
        assert (loc, role) == (location("b"), "source")
        cd_consult = [m for m in sa["6102"]
                      if m["message"] == "EventCallDataChanged" and m["ConnID"] == consult]
        assert [islinks(m) for m in cd_consult] == [[(link, loc, role)]], sa["6102"]
        # Site B: the consultation's call goes on with the customer: no new hop, no new
        # events for the replacement; the same ISLink as target; the consultation's
        # ConnID and user data.
        assert names(sb["6201"]) == ["EventDNBackInService", "EventCallDataChanged",
                                     "EventRinging", "EventEstablished", "EventReleased"], sb
        cd = sb["6201"][1]
        assert islinks(cd) == [(link, location("a"), "target")], cd
        assert cd["ConnID"] == consult, cd
    finally:
        for p in (customer, agent_b):
            p.close()
        wa.stop()
        wb.stop()


def test_two_step_completed_before_the_answer(sites, phones):
    """Completed while 6202 rings at B: the call is in the path until 6202 answers, then
    A REFERs the customer with Replaces (a confirmed dialog only, RFC 3891) and leaves."""
    wa = sites.a.watch("6103", "6104")
    wb = sites.b.watch("6202")
    agent_b = LatePhone("6202", gw_addr(sites.b), TONE_B)
    customer = ReferPhone("6103", gw_addr(sites.a), TONE_A)
    try:
        agent_a = phones["a"].phone("6104", "uas_answer.xml", m=2)
        assert agent_b.register() == 200
        wait_event(wa, "6104", "EventDNBackInService")
        customer.call("6104")
        assert customer.wait_answered() == 200
        est = wait_event(wa, "6104", "EventEstablished")
        r = request(sites.a, {"message": "RequestInitiateTransfer", "ThisDN": "6104",
                              "ConnID": est["ConnID"], "OtherDN": "6202"})
        assert r["message"] != "EventError", r
        consult = wait_event(wa, "6104", "EventDialing")["ConnID"]
        agent_b.wait(lambda e: e[0] == "ringing", 15, "6202 ringing")
        ring_b = wait_event(wb, "6202", "EventRinging")
        r = request(sites.a, {"message": "RequestCompleteTransfer", "ThisDN": "6104",
                              "ConnID": est["ConnID"], "TransferConnID": consult})
        assert r["message"] != "EventError", r
        wait_event(wa, "6103", "EventPartyChanged")
        agent_a.ok()
        assert not [e for e in customer.events if e[0] == "refer"], customer.events
        agent_b.answer()
        left_for_b(customer, "6202")
        rel = wait_event(wa, "6103", "EventReleased")
        assert rel["CallState"] == 1, rel
        talking(agent_b, "6103 and 6202 talking")
        request(sites.b, {"message": "RequestReleaseCall", "ThisDN": "6202",
                          "ConnID": ring_b["ConnID"]})
        customer.wait(lambda e: e[0] == "bye", 10, "BYE from site B")
        wait_event(wb, "6202", "EventReleased")
        sa = sequences(wa, sites.a, ["6103"])
        sb = sequences(wb, sites.b, ["6202"])
        assert names(sa["6103"]) == ["EventDialing", "EventEstablished", "EventCallDataChanged",
                                     "EventPartyChanged", "EventReleased"], sa
        (link, _, _), = islinks(sa["6103"][2])
        assert names(sb["6202"]) == ["EventDNBackInService", "EventCallDataChanged",
                                     "EventRinging", "EventEstablished", "EventReleased"], sb
        assert islinks(sb["6202"][1]) == [(link, location("a"), "target")], sb
    finally:
        for p in (customer, agent_b):
            p.close()
        wa.stop()
        wb.stop()


def consult_call_id(site, frm, to):
    """The SIP Call-ID of the phone's own consultation INVITE, from the gateway's log."""
    pat = r"INVITE (\S+) from %s \(extension\) to %s" % (frm, to)
    wait_for(lambda: re.search(pat, site.log()), 15, "the consultation INVITE in the log")
    return re.search(pat, site.log()).group(1)


def test_phone_attended_transfer_to_other_site(sites, phones):
    """6105's phone consults 6203 at B itself (through A), then REFERs its call with 6106
    to 6203 with Replaces: A completes the transfer and, oosp on, REFERs 6106 with
    Replaces naming A's dialog with B; A leaves."""
    wa = sites.a.watch("6105", "6106")
    wb = sites.b.watch("6203")
    agent_b = recua.Phone("6203", gw_addr(sites.b), TONE_B)
    customer = ReferPhone("6106", gw_addr(sites.a), TONE_A)
    try:
        assert agent_b.register() == 200 and customer.register() == 200
        consult = phones["a"].call("uac_call_wait_bye.xml", "6203", "6105")
        k = wait_event(wb, "6203", "EventEstablished")
        cid = consult_call_id(sites.a, "6105", "6203")
        replaces = "?Replaces=" + urllib.parse.quote(cid + ";to-tag=gw;from-tag=phone", safe="")
        uac = phones["a"].call("uac_refer.xml", "6106", "6105", d=300,
                               keys={"target": "6203", "replaces": replaces})
        left_for_b(customer, "6203")
        uac.ok()
        consult.ok()
        rel = wait_event(wa, "6106", "EventReleased")
        assert rel["CallState"] == 1, rel
        talking(agent_b, "6106 and 6203 talking")
        request(sites.b, {"message": "RequestReleaseCall", "ThisDN": "6203",
                          "ConnID": k["ConnID"]})
        customer.wait(lambda e: e[0] == "bye", 10, "BYE from site B")
        wait_event(wb, "6203", "EventReleased")
        assert sites.a.wait_log(r"REFER from 6105: attended transfer of \S+ completed")
        sa = sequences(wa, sites.a, ["6105", "6106"])
        sb = sequences(wb, sites.b, ["6203"])
        # 6105's consultation carried the hop; it moved into the call 6106 is in.
        assert names(sa["6106"]) == ["EventDNBackInService", "EventRinging", "EventEstablished",
                                     "EventCallDataChanged", "EventPartyChanged",
                                     "EventReleased"], sa
        (link, loc, role), = islinks(sa["6106"][3])
        assert (loc, role) == (location("b"), "source")
        assert names(sb["6203"]) == ["EventDNBackInService", "EventCallDataChanged",
                                     "EventRinging", "EventEstablished", "EventReleased"], sb
        assert islinks(sb["6203"][1]) == [(link, location("a"), "target")], sb
    finally:
        for p in (customer, agent_b):
            p.close()
        wa.stop()
        wb.stop()


def test_phone_blind_transfer_to_other_site(sites, phones):
    """6107's phone REFERs its call with 6108 to 6204 (a DN of site B): a single-step
    transfer by REFER: A REFERs 6108 to B with the ISLink headers and leaves."""
    wa = sites.a.watch("6107", "6108")
    wb = sites.b.watch("6204")
    agent_b = recua.Phone("6204", gw_addr(sites.b), TONE_B)
    customer = ReferPhone("6108", gw_addr(sites.a), TONE_A)
    try:
        assert agent_b.register() == 200 and customer.register() == 200
        uac = phones["a"].call("uac_refer.xml", "6108", "6107", d=300,
                               keys={"target": "6204", "replaces": ""})
        ev = customer.wait(lambda e: e[0] == "refer", 15, "REFER")
        assert ev[1].startswith("sip:6204@") and "X-Arec-ISLink" in ev[2], ev
        customer.wait(lambda e: e == ("notified", 200), 15, "the new call answered")
        customer.wait(lambda e: e[0] == "old-bye", 15, "site A leaving the path")
        uac.ok()
        est_b = wait_event(wb, "6204", "EventEstablished")
        talking(agent_b, "6108 and 6204 talking")
        request(sites.b, {"message": "RequestReleaseCall", "ThisDN": "6204",
                          "ConnID": est_b["ConnID"]})
        customer.wait(lambda e: e[0] == "bye", 10, "BYE from site B")
        wait_event(wb, "6204", "EventReleased")
        wait_event(wa, "6108", "EventReleased")
        sa = sequences(wa, sites.a, ["6107", "6108"])
        sb = sequences(wb, sites.b, ["6204"])
        assert names(sa["6107"]) == ["EventDialing", "EventEstablished", "EventCallDataChanged",
                                     "EventReleased"], sa
        assert sa["6107"][-1]["CallState"] == 1 and sa["6107"][-1]["ThirdPartyDN"] == "6204"
        assert names(sa["6108"]) == ["EventDNBackInService", "EventRinging", "EventEstablished",
                                     "EventCallDataChanged", "EventReleased"], sa
        (link, loc, role), = islinks(sa["6108"][3])
        assert (loc, role) == (location("b"), "source")
        assert sa["6108"][-1]["CallState"] == 1, sa
        assert names(sb["6204"]) == ["EventDNBackInService", "EventCallDataChanged",
                                     "EventRinging", "EventEstablished", "EventReleased"], sb
        cd = sb["6204"][1]
        assert islinks(cd) == [(link, location("a"), "target")], cd
        assert cd["ConnID"] == sa["6108"][1]["ConnID"] and cd["ANI"] == "6108", cd
    finally:
        for p in (customer, agent_b):
            p.close()
        wa.stop()
        wb.stop()


def nth(phone, pred, n, what, timeout=15):
    """The n-th (1-based) event of phone matching pred."""
    wait_for(lambda: len([e for e in phone.events if pred(e)]) >= n, timeout, what)
    return [e for e in phone.events if pred(e)][n - 1]


def test_a_to_b_to_a_by_refer(sites):
    """A -> B -> A with both hops by REFER: the customer's phone calls B itself, then, as
    B REFERs it on (it is a phone, not site A's gateway), A itself; B's list has both
    hops, A's new call the second one; the trace follows the three calls."""
    wa = sites.a.watch("6110", "6111")
    wb = sites.b.watch("6205")
    agent_a = recua.Phone("6110", gw_addr(sites.a), TONE_B)
    agent_b = recua.Phone("6205", gw_addr(sites.b), TONE_B)
    agent_a2 = recua.Phone("6111", gw_addr(sites.a), TONE_B)
    customer = ReferPhone("6109", gw_addr(sites.a), TONE_A)
    try:
        for p in (agent_a, agent_b, agent_a2):
            assert p.register() == 200
        customer.call("6110")
        assert customer.wait_answered() == 200
        est = wait_event(wa, "6110", "EventEstablished")
        r = request(sites.a, {"message": "RequestSingleStepTransfer", "ThisDN": "6110",
                              "ConnID": est["ConnID"], "OtherDN": "6205"})
        assert r["message"] != "EventError", r
        nth(customer, lambda e: e == ("notified", 200), 1, "the call to B answered")
        est_b = wait_event(wb, "6205", "EventEstablished")
        r = request(sites.b, {"message": "RequestSingleStepTransfer", "ThisDN": "6205",
                              "ConnID": est_b["ConnID"], "OtherDN": "6111"})
        assert r["message"] != "EventError", r
        ev = nth(customer, lambda e: e[0] == "refer", 2, "site B's REFER")
        assert ev[1].startswith("sip:6111@") and "X-Arec-ISLink" in ev[2], ev
        nth(customer, lambda e: e == ("notified", 200), 2, "the call back to A answered")
        nth(customer, lambda e: e[0] == "old-bye", 2, "site B leaving the path")
        est_a2 = wait_event(wa, "6111", "EventEstablished")
        assert sites.b.wait_log(r"ISLink \S+ from gw-a@site-a \(the phone itself, by REFER\)")
        talking(agent_a2, "6109 and 6111 talking")
        request(sites.a, {"message": "RequestReleaseCall", "ThisDN": "6111",
                          "ConnID": est_a2["ConnID"]})
        customer.wait(lambda e: e[0] == "bye", 10, "BYE from site A's new call")
        wait_event(wa, "6111", "EventReleased")
        rel_b = wait_event(wb, "6205", "EventReleased")
        assert rel_b["CallState"] == 1 and rel_b["ThirdPartyDN"] == "6111", rel_b
        sa = sequences(wa, sites.a, ["6110", "6111"])
        sb = sequences(wb, sites.b, ["6205"])
        assert names(sa["6110"]) == ["EventDNBackInService", "EventRinging", "EventEstablished",
                                     "EventCallDataChanged", "EventReleased"], sa
        (l1, loc1, role1), = islinks(sa["6110"][3])
        assert (loc1, role1) == (location("b"), "source")
        assert names(sb["6205"]) == ["EventDNBackInService", "EventCallDataChanged",
                                     "EventRinging", "EventEstablished",
                                     "EventCallDataChanged", "EventReleased"], sb
        assert islinks(sb["6205"][1]) == [(l1, location("a"), "target")], sb
        both = islinks(sb["6205"][4])
        assert both[0] == (l1, location("a"), "target"), both
        l2 = both[1][0]
        assert both[1][1:] == (location("a"), "source") and l2 != l1, both
        assert names(sa["6111"]) == ["EventDNBackInService", "EventCallDataChanged",
                                     "EventRinging", "EventEstablished", "EventReleased"], sa
        cd_a2 = sa["6111"][1]
        assert islinks(cd_a2) == [(l2, location("b"), "target")], cd_a2
        assert cd_a2["ANI"] == "6109" and cd_a2["CallType"] == 2, cd_a2
        uuids = {est["CallUUID"], est_b["CallUUID"], cd_a2["CallUUID"]}
        assert len(uuids) == 3
        rows = trace(sites, cd_a2["CallUUID"], want=3)
        assert {r[0] for r in rows} == uuids, rows
    finally:
        for p in (customer, agent_a, agent_b, agent_a2):
            p.close()
        wa.stop()
        wb.stop()


def test_two_step_refer_ends_customer_side_recording(sites):
    """5010 (record=true) talks with 6112 at A, which consults 6206 at B and completes:
    A's recording ends with A's call; B treats the call as its own and records nothing."""
    wa = sites.a.watch("5010", "6112")
    wb = sites.b.watch("6206")
    agent_b = recua.Phone("6206", gw_addr(sites.b), TONE_B)
    customer = ReferPhone("5010", gw_addr(sites.a), TONE_A)
    try:
        # A talking phone (the recording settles on audio) that takes the consultation's
        # first leg as a new call.
        agent_a = recua.Phone("6112", gw_addr(sites.a), TONE_B)
        assert agent_a.register() == 200 and agent_b.register() == 200
        customer.call("6112")
        assert customer.wait_answered() == 200
        on = wait_ud(wa, "5010", "GSIP_RECORD", "On")
        settle(customer)
        r = request(sites.a, {"message": "RequestInitiateTransfer", "ThisDN": "6112",
                              "ConnID": on["ConnID"], "OtherDN": "6206"})
        assert r["message"] != "EventError", r
        consult = wait_event(wa, "6112", "EventDialing")["ConnID"]
        est_b = wait_event(wb, "6206", "EventEstablished")
        r = request(sites.a, {"message": "RequestCompleteTransfer", "ThisDN": "6112",
                              "ConnID": on["ConnID"], "TransferConnID": consult})
        assert r["message"] != "EventError", r
        left_for_b(customer, "6206")
        agent_a.wait(lambda e: e[0] == "bye", 10, "the agent released")
        wait_ud(wa, "5010", "GSIP_RECORD", "Off")
        wait_event(wa, "5010", "EventReleased")
        talking(agent_b, "5010 and 6206 talking at B")
        request(sites.b, {"message": "RequestReleaseCall", "ThisDN": "6206",
                          "ConnID": est_b["ConnID"]})
        customer.wait(lambda e: e[0] == "bye", 10, "BYE from site B")
        wait_event(wb, "6206", "EventReleased")
        assert ud_changes(wa, "5010", "GSIP_RECORD") == ["On", "Off"]
        assert not [m for m in wb.seen if "GSIP_RECORD" in (m.get("UserData") or {})], wb.seen
    finally:
        for p in (customer, agent_a, agent_b):
            p.close()
        wa.stop()
        wb.stop()


def test_mute_transfer_by_refer(sites):
    """RequestMuteTransfer to a DN of site B, oosp on: as a single-step transfer, by REFER
    of the customer's phone; A leaves the path."""
    wa = sites.a.watch("6113", "6114")
    wb = sites.b.watch("6207")
    agent_a = recua.Phone("6114", gw_addr(sites.a), TONE_B)
    agent_b = recua.Phone("6207", gw_addr(sites.b), TONE_B)
    customer = ReferPhone("6113", gw_addr(sites.a), TONE_A)
    try:
        assert agent_a.register() == 200 and agent_b.register() == 200
        customer.call("6114")
        assert customer.wait_answered() == 200
        est = wait_event(wa, "6114", "EventEstablished")
        r = request(sites.a, {"message": "RequestMuteTransfer", "ThisDN": "6114",
                              "ConnID": est["ConnID"], "OtherDN": "6207"})
        assert r["message"] == "EventReleased" and r["CallState"] == 1, r
        ev = customer.wait(lambda e: e[0] == "refer", 10, "REFER")
        assert ev[1].startswith("sip:6207@") and "X-Arec-ISLink" in ev[2], ev
        customer.wait(lambda e: e == ("notified", 200), 15, "the new call answered")
        customer.wait(lambda e: e[0] == "old-bye", 15, "site A leaving the path")
        est_b = wait_event(wb, "6207", "EventEstablished")
        talking(agent_b, "6113 and 6207 talking")
        request(sites.b, {"message": "RequestReleaseCall", "ThisDN": "6207",
                          "ConnID": est_b["ConnID"]})
        customer.wait(lambda e: e[0] == "bye", 10, "BYE from site B")
        wait_event(wb, "6207", "EventReleased")
        wait_event(wa, "6113", "EventReleased")
        sa = sequences(wa, sites.a, ["6113"])
        sb = sequences(wb, sites.b, ["6207"])
        assert names(sa["6113"]) == ["EventDialing", "EventEstablished", "EventCallDataChanged",
                                     "EventReleased"], sa
        (link, _, _), = islinks(sa["6113"][2])
        assert islinks(sb["6207"][1]) == [(link, location("a"), "target")], sb
        assert sb["6207"][1]["ConnID"] == est["ConnID"], sb
    finally:
        for p in (customer, agent_a, agent_b):
            p.close()
        wa.stop()
        wb.stop()

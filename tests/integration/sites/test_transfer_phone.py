"""Transfers to another site started by the phones (REFER to the gateway) and by
RequestMuteTransfer, in the re-INVITE model: the first gateway stays in the path."""
import re
import sys
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "recording"))
from rectest import TONE_A, TONE_B, gw_addr, recua, wait_for  # noqa: E402
from sitestest import islinks, location, names, request, sequences, wait_event  # noqa: E402


def talking(phone, what):
    base = phone.rx_packets
    wait_for(lambda: phone.rx_packets > base + 50, 15, what)


def test_phone_blind_transfer_in_the_path(sites, phones):
    """6101's phone REFERs its call with 6102 to 6201 (site B): a single-step transfer
    through the site trunk; 6102 talks with 6201 through site A."""
    wa = sites.a.watch("6101", "6102")
    wb = sites.b.watch("6201")
    customer = recua.Phone("6102", gw_addr(sites.a), TONE_A)
    agent_b = recua.Phone("6201", gw_addr(sites.b), TONE_B)
    try:
        assert customer.register() == 200 and agent_b.register() == 200
        uac = phones["a"].call("uac_refer.xml", "6102", "6101", d=300,
                               keys={"target": "6201", "replaces": ""})
        uac.ok()  # 202, NOTIFY 200, then site A's BYE
        est_b = wait_event(wb, "6201", "EventEstablished")
        talking(agent_b, "6102 and 6201 talking through site A")
        request(sites.b, {"message": "RequestReleaseCall", "ThisDN": "6201",
                          "ConnID": est_b["ConnID"]})
        customer.wait(lambda e: e[0] == "bye", 10, "BYE from site A")
        wait_event(wa, "6102", "EventReleased")
        wait_event(wb, "6201", "EventReleased")
        assert sites.a.wait_log(r"REFER from 6101: call \S+ transferred to 6201")
        sa = sequences(wa, sites.a, ["6101", "6102"])
        sb = sequences(wb, sites.b, ["6201"])
        assert names(sa["6101"]) == ["EventDialing", "EventEstablished", "EventCallDataChanged",
                                     "EventReleased"], sa
        rel = sa["6101"][-1]
        assert rel["CallState"] == 1 and rel["ThirdPartyDN"] == "6201", rel
        assert names(sa["6102"]) == ["EventDNBackInService", "EventRinging", "EventEstablished",
                                     "EventCallDataChanged", "EventPartyChanged",
                                     "EventReleased"], sa
        (link, loc, role), = islinks(sa["6102"][3])
        assert (loc, role) == (location("b"), "source")
        chg = sa["6102"][4]
        assert chg["OtherDN"] == "6201" and chg["ThirdPartyDN"] == "6101", chg
        assert names(sb["6201"]) == ["EventDNBackInService", "EventCallDataChanged",
                                     "EventRinging", "EventEstablished", "EventReleased"], sb
        cd = sb["6201"][1]
        assert islinks(cd) == [(link, location("a"), "target")], cd
        assert cd["ConnID"] == chg["ConnID"], cd
    finally:
        for p in (customer, agent_b):
            p.close()
        wa.stop()
        wb.stop()


def test_phone_attended_transfer_in_the_path(sites, phones):
    """6103's phone consults 6202 at B itself, then REFERs its call with 6104 with
    Replaces naming the consultation: the trunk party joins 6104's call at A."""
    wa = sites.a.watch("6103", "6104")
    wb = sites.b.watch("6202")
    customer = recua.Phone("6104", gw_addr(sites.a), TONE_A)
    agent_b = recua.Phone("6202", gw_addr(sites.b), TONE_B)
    try:
        assert customer.register() == 200 and agent_b.register() == 200
        consult = phones["a"].call("uac_call_wait_bye.xml", "6202", "6103")
        k = wait_event(wb, "6202", "EventEstablished")
        pat = r"INVITE (\S+) from 6103 \(extension\) to 6202"
        wait_for(lambda: re.search(pat, sites.a.log()), 15, "the consultation INVITE")
        cid = re.search(pat, sites.a.log()).group(1)
        replaces = "?Replaces=" + urllib.parse.quote(cid + ";to-tag=gw;from-tag=phone", safe="")
        uac = phones["a"].call("uac_refer.xml", "6104", "6103", d=300,
                               keys={"target": "6202", "replaces": replaces})
        uac.ok()
        consult.ok()  # the gateway ended the consultation leg too
        chg = wait_event(wa, "6104", "EventPartyChanged")
        assert chg["OtherDN"] == "6202" and chg["ThirdPartyDN"] == "6103", chg
        talking(agent_b, "6104 and 6202 talking through site A")
        request(sites.b, {"message": "RequestReleaseCall", "ThisDN": "6202",
                          "ConnID": k["ConnID"]})
        customer.wait(lambda e: e[0] == "bye", 10, "BYE from site A")
        wait_event(wa, "6104", "EventReleased")
        wait_event(wb, "6202", "EventReleased")
        sa = sequences(wa, sites.a, ["6103", "6104"])
        sb = sequences(wb, sites.b, ["6202"])
        # The hop was made on 6103's consultation and moved into the call with 6104.
        cd_k = [m for m in sa["6103"] if m["message"] == "EventCallDataChanged"]
        (link, loc, role), = islinks(cd_k[0])
        assert (loc, role) == (location("b"), "source")
        assert names(sa["6104"]) == ["EventDNBackInService", "EventRinging", "EventEstablished",
                                     "EventCallDataChanged", "EventPartyChanged",
                                     "EventReleased"], sa
        assert islinks(sa["6104"][3]) == [(link, loc, role)], sa
        assert names(sb["6202"]) == ["EventDNBackInService", "EventCallDataChanged",
                                     "EventRinging", "EventEstablished", "EventReleased"], sb
        assert islinks(sb["6202"][1]) == [(link, location("a"), "target")], sb
    finally:
        for p in (customer, agent_b):
            p.close()
        wa.stop()
        wb.stop()


def test_mute_transfer_to_other_site(sites):
    """RequestMuteTransfer to a DN of site B: as a single-step transfer (the transferring
    agent leaves at once), through the site trunk."""
    wa = sites.a.watch("6105", "6106")
    wb = sites.b.watch("6203")
    agent_a = recua.Phone("6106", gw_addr(sites.a), TONE_B)
    agent_b = recua.Phone("6203", gw_addr(sites.b), TONE_B)
    customer = recua.Phone("6105", gw_addr(sites.a), TONE_A)
    try:
        assert agent_a.register() == 200 and agent_b.register() == 200
        customer.call("6106")
        assert customer.wait_answered() == 200
        est = wait_event(wa, "6106", "EventEstablished")
        r = request(sites.a, {"message": "RequestMuteTransfer", "ThisDN": "6106",
                              "ConnID": est["ConnID"], "OtherDN": "6203"})
        assert r["message"] == "EventReleased", r
        est_b = wait_event(wb, "6203", "EventEstablished")
        talking(agent_b, "6105 and 6203 talking")
        customer.hangup()
        agent_b.wait(lambda e: e[0] == "bye", 10, "BYE at 6203 through site A")
        wait_event(wa, "6105", "EventReleased")
        wait_event(wb, "6203", "EventReleased")
        sa = sequences(wa, sites.a, ["6105", "6106"])
        sb = sequences(wb, sites.b, ["6203"])
        assert names(sa["6105"]) == ["EventDialing", "EventEstablished", "EventCallDataChanged",
                                     "EventPartyChanged", "EventReleased"], sa
        (link, loc, role), = islinks(sa["6105"][2])
        assert (loc, role) == (location("b"), "source")
        rel = [m for m in sa["6106"] if m["message"] == "EventReleased"]
        assert rel and rel[0]["CallState"] == 1 and rel[0]["ThirdPartyDN"] == "6203", sa
        assert names(sb["6203"]) == ["EventDNBackInService", "EventCallDataChanged",
                                     "EventRinging", "EventEstablished", "EventReleased"], sb
        assert islinks(sb["6203"][1]) == [(link, location("a"), "target")], sb
        assert est_b["ConnID"] == est["ConnID"]
    finally:
        for p in (customer, agent_a, agent_b):
            p.close()
        wa.stop()
        wb.stop()

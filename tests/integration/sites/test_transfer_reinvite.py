"""Transfers between two sites through the site trunk, the first gateway staying in the path."""
from sitestest import islinks, location, names, request, sequences, trace, wait_event


def test_single_step_transfer_to_other_site(sites, phones):
    wa = sites.a.watch("6101", "6102")
    wb = sites.b.watch("6201")
    try:
        agent_a = phones["a"].phone("6102", "uas_answer.xml")
        agent_b = phones["b"].phone("6201", "uas_answer.xml")
        wait_event(wa, "6102", "EventDNBackInService")
        wait_event(wb, "6201", "EventDNBackInService")
        customer = phones["a"].call("uac_call_wait_bye.xml", "6102", "6101")
        est = wait_event(wa, "6102", "EventEstablished")
        ud = {"customer": "ACME", "tier": 2, "nested": {"k": "v"}}
        r = request(sites.a, {"message": "RequestAttachUserData", "ThisDN": "6102",
                              "ConnID": est["ConnID"], "UserData": ud})
        assert r["message"] != "EventError", r
        r = request(sites.a, {"message": "RequestSingleStepTransfer", "ThisDN": "6102",
                              "ConnID": est["ConnID"], "OtherDN": "6201"})
        assert r["message"] != "EventError", r
        agent_a.ok()
        est_b = wait_event(wb, "6201", "EventEstablished")
        request(sites.b, {"message": "RequestReleaseCall", "ThisDN": "6201",
                          "ConnID": est_b["ConnID"]})
        customer.ok()
        agent_b.ok()
        wait_event(wa, "6101", "EventReleased")
        wait_event(wb, "6201", "EventReleased")
        sa = sequences(wa, sites.a, ["6101", "6102"])
        sb = sequences(wb, sites.b, ["6201"])
        print(names(sa["6101"]), names(sb["6201"]))
        # Site A: the customer's call left for site B; one ISLink, source.
        # The ISLink is made (and announced) when the INVITE to site B leaves, just before
        # the transfer completes on the model: EventCallDataChanged, then EventPartyChanged.
        assert names(sa["6101"]) == ["EventDialing", "EventEstablished",
                                     "EventAttachedDataChanged", "EventCallDataChanged",
                                     "EventPartyChanged", "EventReleased"], sa
        cd_a = sa["6101"][3]
        la = islinks(cd_a)
        assert len(la) == 1 and la[0][1:] == (location("b"), "source"), cd_a
        # Site B: same ConnID (first hop), its own CallUUID, the same ISLink as target.
        assert names(sb["6201"]) == ["EventDNBackInService", "EventCallDataChanged",
                                     "EventRinging", "EventEstablished", "EventReleased"], sb
        cd_b = sb["6201"][1]
        assert islinks(cd_b) == [(la[0][0], location("a"), "target")], cd_b
        assert cd_b["ConnID"] == est["ConnID"]
        assert cd_b["CallUUID"] != est["CallUUID"]
        # The user data crossed with the call (X-Arec-User-Data), types kept.
        for m in sb["6201"][1:]:
            assert m["UserData"] == ud, m
    finally:
        wa.stop()
        wb.stop()


def test_two_step_transfer_to_other_site(sites, phones):
    """InitiateTransfer to a DN of site B (consultation through the trunk), then complete."""
    wa = sites.a.watch("6104", "6105")
    wb = sites.b.watch("6202")
    try:
        agent_a = phones["a"].phone("6105", "uas_answer.xml", m=2)
        agent_b = phones["b"].phone("6202", "uas_answer.xml")
        wait_event(wa, "6105", "EventDNBackInService")
        wait_event(wb, "6202", "EventDNBackInService")
        customer = phones["a"].call("uac_call_wait_bye.xml", "6105", "6104")
        est = wait_event(wa, "6105", "EventEstablished")
        r = request(sites.a, {"message": "RequestInitiateTransfer", "ThisDN": "6105",
                              "ConnID": est["ConnID"], "OtherDN": "6202"})
        assert r["message"] != "EventError", r
        consult = wait_event(wa, "6105", "EventDialing")["ConnID"]
        est_b = wait_event(wb, "6202", "EventEstablished")
        r = request(sites.a, {"message": "RequestCompleteTransfer", "ThisDN": "6105",
                              "ConnID": est["ConnID"], "TransferConnID": consult})
        assert r["message"] != "EventError", r
        agent_a.ok()
        request(sites.b, {"message": "RequestReleaseCall", "ThisDN": "6202",
                          "ConnID": est_b["ConnID"]})
        customer.ok()
        agent_b.ok()
        wait_event(wa, "6104", "EventReleased")
        sa = sequences(wa, sites.a, ["6104", "6105"])
        sb = sequences(wb, sites.b, ["6202"])
        # The consultation crossed sites: 6105 saw its ISLink on the consultation call.
        # (It also sees the main call's one: it is still a party there when the trunk
        # party moves in, just before it is released.)
        cd_consult = [m for m in sa["6105"]
                      if m["message"] == "EventCallDataChanged" and m["ConnID"] == consult]
        assert len(cd_consult) == 1, sa["6105"]
        link = islinks(cd_consult[0])
        assert len(link) == 1 and link[0][1:] == (location("b"), "source"), cd_consult
        # On completion the trunk party, and its ISLink, moved into the customer's call.
        assert names(sa["6104"]) == ["EventDialing", "EventEstablished", "EventCallDataChanged",
                                     "EventPartyChanged", "EventReleased"], sa["6104"]
        cd_main = sa["6104"][2]
        assert cd_main["ConnID"] == est["ConnID"] and islinks(cd_main) == link, cd_main
        # Site B received the consultation: its ConnID, the same ISLink as target.
        assert names(sb["6202"]) == ["EventDNBackInService", "EventCallDataChanged",
                                     "EventRinging", "EventEstablished", "EventReleased"], sb
        cd_b = sb["6202"][1]
        assert cd_b["ConnID"] == consult
        assert islinks(cd_b) == [(link[0][0], location("a"), "target")], cd_b
    finally:
        wa.stop()
        wb.stop()


def test_a_to_b_to_a(sites, phones):
    """A -> B -> A: site B's call lists both hops, A's new call the second one; the trace
    query follows the chain through every site."""
    wa = sites.a.watch("6106", "6107", "6108")
    wb = sites.b.watch("6203")
    try:
        agent_a = phones["a"].phone("6107", "uas_answer.xml")
        agent_b = phones["b"].phone("6203", "uas_answer.xml")
        agent_a2 = phones["a"].phone("6108", "uas_answer.xml")
        for w, dn in ((wa, "6107"), (wb, "6203"), (wa, "6108")):
            wait_event(w, dn, "EventDNBackInService")
        customer = phones["a"].call("uac_call_wait_bye.xml", "6107", "6106")
        est = wait_event(wa, "6107", "EventEstablished")
        r = request(sites.a, {"message": "RequestSingleStepTransfer", "ThisDN": "6107",
                              "ConnID": est["ConnID"], "OtherDN": "6203"})
        assert r["message"] != "EventError", r
        agent_a.ok()
        est_b = wait_event(wb, "6203", "EventEstablished")
        r = request(sites.b, {"message": "RequestSingleStepTransfer", "ThisDN": "6203",
                              "ConnID": est_b["ConnID"], "OtherDN": "6108"})
        assert r["message"] != "EventError", r
        agent_b.ok()
        est_a2 = wait_event(wa, "6108", "EventEstablished")
        request(sites.a, {"message": "RequestReleaseCall", "ThisDN": "6108",
                          "ConnID": est_a2["ConnID"]})
        customer.ok()
        agent_a2.ok()
        wait_event(wa, "6106", "EventReleased")
        sa = sequences(wa, sites.a, ["6106", "6107", "6108"])
        sb = sequences(wb, sites.b, ["6203"])
        first = islinks(next(m for m in sa["6106"] if m["message"] == "EventCallDataChanged"))
        assert len(first) == 1 and first[0][1:] == (location("b"), "source"), first
        # Site B: first the target entry, then both (the seed's [214] list of two).
        cds = [m for m in sb["6203"] if m["message"] == "EventCallDataChanged"]
        assert [len(islinks(m)) for m in cds] == [1, 2], cds
        both = islinks(cds[1])
        assert both[0] == (first[0][0], location("a"), "target"), both
        assert both[1][1:] == (location("a"), "source") and both[1][0] != first[0][0], both
        # Site A's new call: a new CallUUID and (the first call still runs here) a new
        # ConnID; one entry, target, the second ISLink.
        cd_a2 = next(m for m in sa["6108"] if m["message"] == "EventCallDataChanged")
        assert islinks(cd_a2) == [(both[1][0], location("b"), "target")], cd_a2
        assert cd_a2["CallUUID"] not in (est["CallUUID"], est_b["CallUUID"])
        assert cd_a2["ConnID"] != est["ConnID"]
        # The whole chain from any of its CallUUIDs, across both sites' rows.
        for start in (est["CallUUID"], est_b["CallUUID"], cd_a2["CallUUID"]):
            rows = trace(sites, start, want=3)
            assert {r[0] for r in rows} == {est["CallUUID"], est_b["CallUUID"],
                                            cd_a2["CallUUID"]}, rows
            assert {(r[1], r[3], r[5]) for r in rows if r[3]} == {
                ("site-a", first[0][0], "source"), ("site-b", first[0][0], "target"),
                ("site-b", both[1][0], "source"), ("site-a", both[1][0], "target")}, rows
    finally:
        wa.stop()
        wb.stop()

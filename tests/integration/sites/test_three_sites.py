"""Three sites: a call goes A -> B -> C; each site's list, a monitoring client on A, and the
trace across the three."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "gateway"))
from sitestest import islinks, location, request, sequences, trace, wait_event  # noqa: E402

SITES_N = 3


def test_a_to_b_to_c_with_call_monitoring(sites, phones):
    from gwtest import WSClient
    wa = sites.a.watch("6101", "6102")
    wb = sites.b.watch("6201")
    wc = sites.c.watch("6301")
    ws = WSClient(sites.a.ws_url)
    try:
        ws.register()
        agent_a = phones["a"].phone("6102", "uas_answer.xml")
        agent_b = phones["b"].phone("6201", "uas_answer.xml")
        agent_c = phones["c"].phone("6301", "uas_answer.xml")
        for w, dn in ((wa, "6102"), (wb, "6201"), (wc, "6301")):
            wait_event(w, dn, "EventDNBackInService")
        customer = phones["a"].call("uac_call_wait_bye.xml", "6102", "6101")
        est = wait_event(wa, "6102", "EventEstablished")
        r = ws.request({"message": "RequestStartCallMonitoring", "ConnID": est["ConnID"]})
        assert r and r["message"] == "EventACK", r
        request(sites.a, {"message": "RequestSingleStepTransfer", "ThisDN": "6102",
                          "ConnID": est["ConnID"], "OtherDN": "6201"})
        agent_a.ok()
        est_b = wait_event(wb, "6201", "EventEstablished")
        request(sites.b, {"message": "RequestSingleStepTransfer", "ThisDN": "6201",
                          "ConnID": est_b["ConnID"], "OtherDN": "6301"})
        agent_b.ok()
        est_c = wait_event(wc, "6301", "EventEstablished")
        request(sites.c, {"message": "RequestReleaseCall", "ThisDN": "6301",
                          "ConnID": est_c["ConnID"]})
        customer.ok()
        agent_c.ok()
        wait_event(wa, "6101", "EventReleased")
        # The monitoring client of site A saw the ISLink too (no ThisDN: call-based).
        got = []
        while not got or got[-1]["message"] != "EventCallDeleted":
            m = ws.recv(10)
            assert m is not None, got
            got.append(m)
        mon = [m for m in got if m["message"] == "EventCallDataChanged"]
        assert len(mon) == 1 and "ThisDN" not in mon[0], got
        (l1, loc1, role1), = islinks(mon[0])
        assert (loc1, role1) == (location("b"), "source")
        sb = sequences(wb, sites.b, ["6201"])
        sc = sequences(wc, sites.c, ["6301"])
        b_lists = [islinks(m) for m in sb["6201"] if m["message"] == "EventCallDataChanged"]
        assert b_lists[-1][0] == (l1, location("a"), "target"), b_lists
        l2, loc2, role2 = b_lists[-1][1]
        assert (loc2, role2) == (location("c"), "source"), b_lists
        cd_c = next(m for m in sc["6301"] if m["message"] == "EventCallDataChanged")
        assert islinks(cd_c) == [(l2, location("b"), "target")], cd_c
        # C keeps the ConnID B had (which B kept from A): ConnID common along the chain.
        assert cd_c["ConnID"] == est_b["ConnID"] == est["ConnID"]
        uuids = {est["CallUUID"], est_b["CallUUID"], cd_c["CallUUID"]}
        assert len(uuids) == 3
        rows = trace(sites, cd_c["CallUUID"], want=3)
        assert {r[0] for r in rows} == uuids, rows
        assert {r[1] for r in rows} == {"site-a", "site-b", "site-c"}, rows
    finally:
        ws.close()
        wa.stop()
        wb.stop()
        wc.stop()

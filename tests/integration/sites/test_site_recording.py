"""Recording across sites (the seed's figures): customer-side recording stays at the first
site through a transfer by re-INVITE; agent-side recording ends when the call leaves."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "recording"))
from rectest import (TONE_A, TONE_B, dominant, gw_addr, read_wav, recua, ud_changes,  # noqa: E402
                     wait_for, wait_recording_done, wait_ud)
from sitestest import request, settle  # noqa: E402


def transfer(site, dn, connid, to):
    r = request(site, {"message": "RequestSingleStepTransfer", "ThisDN": dn, "ConnID": connid,
                       "OtherDN": to})
    assert r["message"] != "EventError", r


def gsip(w, dn):
    return [(m.get("UserData") or {}).get("GSIP_RECORD") for m in w.seen
            if m.get("ThisDN") == dn and "GSIP_RECORD" in (m.get("UserData") or {})
            and m.get("message") == "EventAttachedDataChanged"]


def test_customer_side_recording_stays_at_the_first_site(sites):
    """5010 (record=true) at site A calls 6111; 6111 transfers to 6211 at site B. A keeps
    recording 5010 (its recorder, its mediad, the same session) with site B's party as the
    other side."""
    wa = sites.a.watch("5010", "6111")
    wb = sites.b.watch("6211")
    agent_a = recua.Phone("6111", gw_addr(sites.a), TONE_B)
    agent_b = recua.Phone("6211", gw_addr(sites.b), TONE_B)
    customer = recua.Phone("5010", gw_addr(sites.a), TONE_A)
    try:
        assert agent_a.register() == 200 and agent_b.register() == 200
        customer.call("6111")
        assert customer.wait_answered() == 200
        first = wait_ud(wa, "5010", "GSIP_RECORD", "On")
        settle(customer)
        transfer(sites.a, "6111", first["ConnID"], "6211")
        wb.expect(lambda m: m.get("message") == "EventEstablished"
                  and m.get("ThisDN") == "6211", 15)
        # The same recording session continues (docs/recording.md "Transfers"): mediad's
        # legs are re-INVITEd for the new party, site B's trunk.
        wait_for(lambda: sites.a.wait_log(r"recording \S+ continues with DN to-site-b", 0),
                 what="the recording continuing with site B")
        base = agent_b.rx_packets
        wait_for(lambda: agent_b.rx_packets > base + 100, what="5010 and 6211 talking")
        customer.hangup()
        agent_b.wait(lambda e: e[0] == "bye", what="BYE at 6211 (site B)")
        wa.expect(lambda m: m.get("message") == "EventReleased" and m.get("ThisDN") == "5010",
                  10)
        assert ud_changes(wa, "5010", "GSIP_RECORD") == ["On", "Off"], gsip(wa, "5010")
        assert ud_changes(wa, "5010", "GSIP_REC_FN") == [first["UserData"]["GSIP_REC_FN"]]
        s = wait_recording_done(sites.a, first["UserData"]["GSIP_REC_FN"])
        # One session: its metadata names the first other party (6111); the log names B.
        assert s["params"]["recordDN"] == "5010" and s["params"]["otherDN"] == "6111", s
        ch, chans = read_wav(sites.a.env["RECORDER_DIR"] + "/" + s["wav"]["file"])
        mid = len(chans[0]) // 2
        assert dominant(chans[0][mid - 2000:mid + 2000]) == TONE_A
        assert dominant(chans[1][mid - 2000:mid + 2000]) == TONE_B
        # Site B records nothing: it never set GSIP_RECORD on the call.
        assert gsip(wb, "6211") == [], wb.seen
    finally:
        for p in (customer, agent_a, agent_b):
            p.close()
        wa.stop()
        wb.stop()


def test_agent_side_recording_ends_when_the_call_leaves_the_site(sites):
    """6112 calls agent 5010 (record=true) at site A; 5010 transfers to 6212 at site B: the
    recording ends with the agent and nobody records at B."""
    wa = sites.a.watch("5010", "6112")
    wb = sites.b.watch("6212")
    agent_a = recua.Phone("5010", gw_addr(sites.a), TONE_B)
    agent_b = recua.Phone("6212", gw_addr(sites.b), TONE_B)
    customer = recua.Phone("6112", gw_addr(sites.a), TONE_A)
    try:
        assert agent_a.register() == 200 and agent_b.register() == 200
        customer.call("5010")
        assert customer.wait_answered() == 200
        on = wait_ud(wa, "5010", "GSIP_RECORD", "On")
        settle(customer)
        transfer(sites.a, "5010", on["ConnID"], "6212")
        wait_ud(wa, "6112", "GSIP_RECORD", "Off")
        wb.expect(lambda m: m.get("message") == "EventEstablished"
                  and m.get("ThisDN") == "6212", 15)
        base = customer.rx_packets
        wait_for(lambda: customer.rx_packets > base + 50 and agent_b.rx_packets > 50,
                 what="6112 and 6212 talking across the sites")
        wait_recording_done(sites.a, on["UserData"]["GSIP_REC_FN"])
        customer.hangup()
        agent_b.wait(lambda e: e[0] == "bye", what="BYE at 6212")
        wa.expect(lambda m: m.get("message") == "EventReleased" and m.get("ThisDN") == "6112",
                  10)
        assert ud_changes(wa, "6112", "GSIP_RECORD") == ["On", "Off"], gsip(wa, "6112")
        assert gsip(wb, "6212") == [], wb.seen
    finally:
        for p in (customer, agent_a, agent_b):
            p.close()
        wa.stop()
        wb.stop()

"""A supervisor waiting for a full-time recording that fails (its only mediad is full): the
join gets EventError MONITOR_JOIN_FAILED at once from the recording's own failure hook."""
import re

from fotest import wait_for, wait_ud
from rectest import TONE_A, TONE_B, gw_addr, recua

MEDIADS = [("--max-ports", "1")]  # one port pair: the recording's second leg gets 503
RECORDERS = [()]


def test_join_waiting_for_a_failed_recording_gets_its_error(fo):
    st = fo.stack
    w = st.watch("5001", "5010", "5007")
    sup = recua.Phone("5007", gw_addr(st), 1700.0)
    agent = recua.Phone("5010", gw_addr(st), TONE_B)  # record = true
    cust = recua.Phone("5001", gw_addr(st), TONE_A)
    try:
        assert sup.register() == 200 and agent.register() == 200
        rc, msgs, err = st.request({"message": "RequestMonitorNextCall", "ThisDN": "5007",
                                    "OtherDN": "5010"})
        assert msgs and msgs[-1]["message"] == "EventACK", (msgs, err)
        cust.call("5010")
        assert cust.wait_answered() == 200
        off = wait_ud(w, "5010", "GSIP_RECORD", "Off", timeout=20)
        assert "503" in off["UserData"]["GSIP_RECORD_REASON"], off
        def is_error(m):
            return m.get("message") == "EventError" and m.get("ThisDN") == "5007"
        e = next((m for m in w.seen if is_error(m)), None) or w.expect(is_error, 20)
        assert e is not None, st.log()[-3000:]
        assert e["ErrorCode"] == 314 and e["OtherDN"] == "5010", e
        assert e["ConnID"] == off["ConnID"], e
        assert "the recording the join waited for failed" in e["ErrorMessage"], e
        log = st.log()
        failed = re.search(r"recording \S+ failed: mediad refused the leg \(SIP 503\)", log)
        told = re.search(r"supervisor 5007 cannot monitor 5010: the recording the join "
                         r"waited for failed", log)
        assert failed and told and failed.start() < told.start(), log[-3000:]
        # The supervisor's phone was never called; the parties talk on without mediad
        # (re-INVITEd to each other once mediad's own re-INVITE of 5010, if any, is over).
        assert not any(ev[0] == "invite" for ev in sup.events), sup.events
        base = cust.rx_packets
        wait_for(lambda: cust.rx_packets > base + 50 and agent.rx_packets > 50,
                 what="the parties talking")
        # The subscription (OneCall) stays for the next call: cancelling it works.
        rc, msgs, err = st.request({"message": "RequestCancelMonitoring", "ThisDN": "5007"})
        assert msgs and msgs[-1]["message"] == "EventACK", (msgs, err)
        cust.hangup()
        agent.wait(lambda ev: ev[0] == "bye", what="BYE at 5010")
    finally:
        for p in (cust, agent, sup):
            p.close()
        w.stop()

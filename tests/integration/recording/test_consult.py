"""Consultation recording end to end (seed "Consultation"): real phones, mediad, recorder.

6001 (record = true, dual-dialog-enabled = false) and 6002 (record = true, the default
dual-dialog-enabled = true) are agents; 5001 is the customer; the consulted party D3 is
5010, itself record = true, to show that D3 is never recorded in a consultation.
"""
import json
import os
import tempfile

from rectest import (TONE_A, TONE_B, gw_addr, goertzel, read_wav, recording_files, recua,
                     wait_for, wait_recording_done, wait_ud)
from recua_multi import MultiPhone

TONE_C = 1800.0  # D3 (5010)

_extra = tempfile.NamedTemporaryFile("w", prefix="consult-", suffix=".conf", delete=False)
_extra.write("[dn 6001]\ntype = Extension\nrecord = true\ndual-dialog-enabled = false\n\n"
             "[dn 6002]\ntype = Extension\nrecord = true\n")
_extra.close()
STACK_GATEWAY_EXTRA = _extra.name


def teardown_module(_):
    os.unlink(STACK_GATEWAY_EXTRA)


def tone_of(samples):
    """Which of the three phones' tones dominates samples (None: silence or a mix)."""
    if sum(abs(x) for x in samples) < 10 * len(samples):
        return None
    p = {t: goertzel(samples, t) for t in (TONE_A, TONE_B, TONE_C)}
    best = max(p, key=p.get)
    return best if all(p[best] > 10 * v for t, v in p.items() if t != best) else None


def dump(w, msg):
    raise AssertionError(msg + ": " + json.dumps(
        [(m.get("message"), m.get("ThisDN"), m.get("ConnID"), m.get("UserData"))
         for m in w.seen]))


def request(stack, obj):
    rc, msgs, err = stack.request(obj)
    assert msgs and msgs[-1]["message"] != "EventError", (msgs, err)
    return msgs[-1]


def rec_on(w, dn, connid):
    """The GSIP_RECORD=On change on dn for call connid (None until there is one)."""
    return next((m for m in w.seen if m.get("message") == "EventAttachedDataChanged"
                 and m.get("ThisDN") == dn and m.get("ConnID") == connid
                 and (m.get("UserData") or {}).get("GSIP_RECORD") == "On"), None)


class Consult:
    """5001 calls agent (recorded full-time); the agent consults 5010 from T-Lib."""

    def __init__(self, stack, agent):
        self.w = stack.watch("5001", agent, "5010")
        self.agent_dn = agent
        self.agent = MultiPhone(agent, gw_addr(stack), TONE_B)
        self.d3 = recua.Phone("5010", gw_addr(stack), TONE_C)
        self.cust = recua.Phone("5001", gw_addr(stack), TONE_A)
        assert self.agent.register() == 200 and self.d3.register() == 200
        self.cust.call(agent)
        assert self.cust.wait_answered() == 200
        self.main_on = wait_ud(self.w, agent, "GSIP_RECORD", "On")
        self.main = self.main_on["ConnID"]
        assert self.main_on["UserData"]["GSIP_REC_FN"]
        request(stack, {"message": "RequestInitiateTransfer", "ThisDN": agent,
                        "ConnID": self.main, "OtherDN": "5010"})
        self.consult = self.w.expect(lambda m: m.get("message") == "EventEstablished"
                                     and m.get("ThisDN") == "5010", 15)["ConnID"]
        assert self.consult != self.main
        wait_for(lambda: self.agent.dialog_count() == 2, what="the agent's second dialog")

    def close(self):
        for p in (self.agent, self.d3, self.cust):
            p.close()
        self.w.stop()


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

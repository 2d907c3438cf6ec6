"""Helpers of the consultation recording tests: the agents' configuration, the consult flow."""
import json
import tempfile

from rectest import TONE_A, TONE_B, goertzel, gw_addr, recua, wait_for, wait_ud
from recua_multi import MultiPhone

TONE_C = 1800.0  # D3 (5010)


def extra_conf():
    """A new file with the agents' sections (each test module owns and deletes its own)."""
    f = tempfile.NamedTemporaryFile("w", prefix="consult-", suffix=".conf", delete=False)
    f.write("[dn 6001]\ntype = Extension\nrecord = true\ndual-dialog-enabled = false\n\n"
            "[dn 6002]\ntype = Extension\nrecord = true\n")
    f.close()
    return f.name


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

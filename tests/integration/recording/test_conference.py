"""Conference: three phones through mediad's mixer, each hearing the other two; one deleted."""
from rectest import ULAW, gw_addr, goertzel, recua, wait_event, wait_for

TONES = {"5001": 440.0, "5002": 1000.0, "5003": 1700.0}


class ConfPhone(recua.Phone):
    """A phone with the dual dialog of a consultation: a BYE ends only its own dialog."""

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.callids = set()

    def _on_request(self, method, hdrs, body, addr):
        cid = hdrs["call-id"][0]
        current = self.dialog["callid"] if self.dialog else None
        if method == "INVITE" and cid in self.callids and cid != current:
            # A re-INVITE on the phone's other dialog (the held call, mediad's offer).
            if body:
                self.remote_media = recua.sdp_dest(body) or self.remote_media
            self.reinvites += 1
            self._respond(hdrs, 200, "OK", self.sdp(), addr=addr)
            self._event("reinvite", body)
            return
        if method == "BYE" and len(self.callids - {cid}) > 0 and cid in self.callids:
            # One of two dialogs ends (the consultation): the phone keeps talking.
            self.callids.discard(cid)
            self._respond(hdrs, 200, "OK", addr=addr)
            self._event("bye-other")
            return
        if method == "INVITE":
            self.callids.add(cid)
        super()._on_request(method, hdrs, body, addr)

    def call(self, number):
        super().call(number)
        self.callids.add(self.dialog["callid"])


def heard(phone, packets=100, timeout=20):
    """Relative power of each party tone in what phone heard over `packets` new packets."""
    phone.rx.clear()
    wait_for(lambda: len(phone.rx) > packets, timeout, "audio at %s" % phone.dn)
    samples = [ULAW[b] for _, p in phone.rx[-50:] for b in p]
    return {dn: goertzel(samples, f) for dn, f in TONES.items()}


def request(stack, obj):
    rc, msgs, err = stack.request(obj)
    assert msgs and msgs[-1]["message"] != "EventError", (msgs, err)
    return msgs[-1]


def test_complete_conference_then_delete(stack):
    w = stack.watch(*TONES)
    ph = {dn: ConfPhone(dn, gw_addr(stack), f) for dn, f in TONES.items()}
    try:
        for dn in ("5002", "5003"):
            assert ph[dn].register() == 200
        for p in ph.values():
            p.keep_rx = True
        ph["5001"].call("5002")
        assert ph["5001"].wait_answered() == 200
        main = wait_event(w, "5002", "EventEstablished")["ConnID"]
        request(stack, {"message": "RequestInitiateConference", "ThisDN": "5002",
                        "ConnID": main, "OtherDN": "5003"})
        consult = wait_event(w, "5002", "EventDialing")["ConnID"]
        assert consult != main
        wait_event(w, "5003", "EventEstablished")
        request(stack, {"message": "RequestCompleteConference", "ThisDN": "5002",
                        "ConnID": main, "TransferConnID": consult})
        # T-Lib: the consultation ends for 5002, 5003 moves into the main call.
        rel = w.expect(lambda m: m.get("message") == "EventReleased"
                       and m.get("ThisDN") == "5002" and m.get("ConnID") == consult, 10)
        assert rel and rel["CallState"] == 2, rel  # Conferenced
        for dn in ("5001", "5002"):
            m = wait_event(w, dn, "EventPartyAdded")
            assert m["ConnID"] == main and m["OtherDN"] == "5003", m
            assert m["ThirdPartyDN"] == "5002", m
        ch = wait_event(w, "5003", "EventPartyChanged")
        assert ch["ConnID"] == main and ch["PreviousConnID"] == consult, ch
        # Media: every phone re-INVITEd toward mediad, each hears the two others, not itself.
        for dn, p in ph.items():
            wait_for(lambda p=p: p.remote_media and p.reinvites >= 1, 15, "re-INVITE of " + dn)
        for dn, p in ph.items():
            def mixed(p=p, dn=dn):
                e = heard(p)
                others = [e[o] for o in TONES if o != dn]
                return all(x > 0.1 for x in others) and e[dn] < min(others) / 10
            wait_for(mixed, 30, "%s hearing the two others" % dn)
        # 5002 deletes 5003: back to a call of two, still through mediad.
        request(stack, {"message": "RequestDeleteFromConference", "ThisDN": "5002",
                        "ConnID": main, "OtherDN": "5003"})
        ph["5003"].wait(lambda e: e[0] == "bye", 15, "BYE at 5003")
        rel = wait_event(w, "5003", "EventReleased")
        assert rel["ConnID"] == main and rel["ThirdPartyDN"] == "5002", rel
        for dn in ("5001", "5002"):
            m = wait_event(w, dn, "EventPartyDeleted")
            assert m["OtherDN"] == "5003" and m["ThirdPartyDN"] == "5002", m

        def pair(a, b):
            e = heard(ph[a])
            return e[b] > 0.5 and e["5003"] < 0.05
        wait_for(lambda: pair("5001", "5002"), 30, "5001 hearing 5002 only")
        wait_for(lambda: pair("5002", "5001"), 30, "5002 hearing 5001 only")
        ph["5001"].hangup()
        wait_event(w, "5002", "EventReleased")
    finally:
        for p in ph.values():
            p.close()
        w.stop()


def test_delete_from_two_party_call_refused(stack):
    w = stack.watch("5004", "5005")
    a = recua.Phone("5004", gw_addr(stack), 440.0)
    b = recua.Phone("5005", gw_addr(stack), 1000.0)
    try:
        assert b.register() == 200
        a.call("5005")
        assert a.wait_answered() == 200
        main = wait_event(w, "5005", "EventEstablished")["ConnID"]
        rc, msgs, err = stack.request({"message": "RequestDeleteFromConference",
                                       "ThisDN": "5005", "ConnID": main, "OtherDN": "5004"})
        assert msgs and msgs[-1]["message"] == "EventError", (msgs, err)
        assert msgs[-1]["ErrorCode"] == 304, msgs[-1]  # INVALID_CALL_STATE
        a.hangup()
        wait_event(w, "5005", "EventReleased")
    finally:
        a.close()
        b.close()
        w.stop()


def test_single_step_conference_then_hangup(stack):
    tones = {"5006": 440.0, "5007": 1000.0, "5008": 1700.0}
    w = stack.watch(*tones)
    ph = {dn: recua.Phone(dn, gw_addr(stack), f) for dn, f in tones.items()}
    try:
        for dn in ("5007", "5008"):
            assert ph[dn].register() == 200
        for p in ph.values():
            p.keep_rx = True
        ph["5006"].call("5007")
        assert ph["5006"].wait_answered() == 200
        main = wait_event(w, "5007", "EventEstablished")["ConnID"]
        added = request(stack, {"message": "RequestSingleStepConference", "ThisDN": "5007",
                                "ConnID": main, "OtherDN": "5008"})
        assert added["message"] == "EventPartyAdded" and added["OtherDN"] == "5008", added
        m = wait_event(w, "5006", "EventPartyAdded")
        assert m["ConnID"] == main and m["ThirdPartyDN"] == "5007", m
        est = wait_event(w, "5008", "EventEstablished")
        assert est["ConnID"] == main, est

        def level(phone, dn):
            samples = [ULAW[b] for _, p in phone.rx[-50:] for b in p]
            return goertzel(samples, tones[dn])

        def hears(dn, others, absent):
            p = ph[dn]
            p.rx.clear()
            wait_for(lambda: len(p.rx) > 100, 20, "audio at " + dn)
            return (all(level(p, o) > 0.1 for o in others)
                    and all(level(p, a) < 0.02 for a in absent))
        for dn in tones:
            others = [o for o in tones if o != dn]
            wait_for(lambda dn=dn, others=others: hears(dn, others, [dn]), 30,
                     "%s hearing the two others" % dn)
        # 5008 hangs up: the two others get EventPartyDeleted and keep talking.
        ph["5008"].hangup()
        wait_event(w, "5008", "EventReleased")
        for dn in ("5006", "5007"):
            m = wait_event(w, dn, "EventPartyDeleted")
            assert m["OtherDN"] == "5008", m
        wait_for(lambda: hears("5006", ["5007"], ["5008"]), 30, "5006 hearing 5007")
        wait_for(lambda: hears("5007", ["5006"], ["5008"]), 30, "5007 hearing 5006")
        ph["5006"].hangup()
        wait_event(w, "5007", "EventReleased")
    finally:
        for p in ph.values():
            p.close()
        w.stop()

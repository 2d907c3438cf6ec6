"""Supervisor monitoring (RequestMonitorNextCall 139 / RequestCancelMonitoring 140): the
supervisor's phone joins the agent's next call listen-only (or coaching), and a recording
started meanwhile has the seed's shape (customer + agent mixed, supervisor apart)."""
from rectest import (ULAW, gw_addr, goertzel, read_wav, recua, ud_changes, wait_event,
                     wait_for, wait_recording_done, wait_recording_live, wait_ud)

F_CUST, F_AGENT, F_SUP = 440.0, 1000.0, 1700.0
START, STOP = 3013, 3014


def heard(phone, packets=60):
    phone.rx.clear()
    wait_for(lambda: len(phone.rx) > packets, 20, "audio at %s" % phone.dn)
    samples = [ULAW[b] for _, p in phone.rx[-50:] for b in p]
    return {f: goertzel(samples, f) for f in (F_CUST, F_AGENT, F_SUP)}


def req(stack, obj):
    rc, msgs, err = stack.request(obj)
    assert msgs, (rc, err)
    return msgs[-1]


def error_code(m):
    assert m["message"] == "EventError", m
    return m["ErrorCode"]


def monitor(stack, sup, agent, ext=None):
    obj = {"message": "RequestMonitorNextCall", "ThisDN": sup, "OtherDN": agent}
    if ext is not None:
        obj["Extensions"] = ext
    return req(stack, obj)


class Trio:
    """Customer, agent and supervisor phones, each sending its own tone."""

    def __init__(self, stack, cust, agent, sup):
        self.dn = {"cust": cust, "agent": agent, "sup": sup}
        self.w = stack.watch(cust, agent, sup)
        self.ph = {cust: recua.Phone(cust, gw_addr(stack), F_CUST),
                   agent: recua.Phone(agent, gw_addr(stack), F_AGENT),
                   sup: recua.Phone(sup, gw_addr(stack), F_SUP)}
        for p in self.ph.values():
            p.keep_rx = True

    def __getitem__(self, role):
        return self.ph[self.dn[role]]

    def close(self):
        for p in self.ph.values():
            p.close()
        self.w.stop()


def test_silent_monitoring_next_call(stack):
    t = Trio(stack, "5011", "5012", "5013")
    try:
        for role in ("agent", "sup"):
            assert t[role].register() == 200
        assert monitor(stack, "5013", "5012")["message"] == "EventACK"
        t["cust"].call("5012")
        assert t["cust"].wait_answered() == 200
        main = wait_event(t.w, "5012", "EventEstablished")["ConnID"]
        # gatewayd calls the supervisor's phone into the call as an observer.
        est = wait_event(t.w, "5013", "EventEstablished")
        assert est["ConnID"] == main and est["ThisDNRole"] == 10, est  # Observer
        added = wait_event(t.w, "5012", "EventPartyAdded")
        assert added["OtherDN"] == "5013" and added["OtherDNRole"] == 10, added
        # The supervisor hears both; nobody hears the supervisor.
        wait_for(lambda: (lambda e: e[F_CUST] > 0.1 and e[F_AGENT] > 0.1)(heard(t["sup"])),
                 30, "supervisor hearing customer and agent")
        for role, other in (("cust", F_AGENT), ("agent", F_CUST)):
            def ok(role=role, other=other):
                e = heard(t[role])
                return e[other] > 0.5 and e[F_SUP] < 0.01
            wait_for(ok, 30, "%s hearing only its peer" % role)
        # The supervisor hangs up: the others keep talking and learn it.
        t["sup"].hangup()
        deleted = wait_event(t.w, "5012", "EventPartyDeleted")
        assert deleted["OtherDN"] == "5013", deleted
        wait_for(lambda: heard(t["cust"])[F_AGENT] > 0.5, 30, "customer hearing the agent")
        t["cust"].hangup()
        wait_event(t.w, "5012", "EventReleased")
        # OneCall: the next call of 5012 is not monitored any more.
        assert error_code(req(stack, {"message": "RequestCancelMonitoring",
                                      "ThisDN": "5013"})) == 312  # NOT_MONITORING
    finally:
        t.close()


def test_coach_mode(stack):
    t = Trio(stack, "5014", "5015", "5016")
    try:
        for role in ("agent", "sup"):
            assert t[role].register() == 200
        r = monitor(stack, "5016", "5015", {"MonitorMode": "coach",
                                            "MonitorNextCallType": "AllCalls"})
        assert r["message"] == "EventACK", r
        t["cust"].call("5015")
        assert t["cust"].wait_answered() == 200
        wait_event(t.w, "5016", "EventEstablished")

        def agent_hears_coach():
            e = heard(t["agent"])
            return e[F_CUST] > 0.1 and e[F_SUP] > 0.1
        wait_for(agent_hears_coach, 30, "agent hearing customer and supervisor")

        def customer_does_not():
            e = heard(t["cust"])
            return e[F_AGENT] > 0.5 and e[F_SUP] < 0.01
        wait_for(customer_does_not, 30, "customer hearing the agent only")
        t["cust"].hangup()
        wait_event(t.w, "5015", "EventReleased")
        # AllCalls stays until cancelled.
        assert req(stack, {"message": "RequestCancelMonitoring", "ThisDN": "5016",
                           "OtherDN": "5015"})["message"] == "EventACK"
    finally:
        t.close()


def test_recording_while_monitored(stack):
    """A monitored call recorded by the agent over SRTP: channel 1 carries customer + agent,
    channel 2 the supervisor alone; the supervisor is still not heard by the parties."""
    t = Trio(stack, "5017", "5018", "5019")
    try:
        for role in ("agent", "sup"):
            assert t[role].register() == 200
        assert monitor(stack, "5019", "5018")["message"] == "EventACK"
        t["cust"].call("5018")
        assert t["cust"].wait_answered() == 200
        main = wait_event(t.w, "5018", "EventEstablished")["ConnID"]
        wait_event(t.w, "5019", "EventEstablished")
        wait_for(lambda: (lambda e: e[F_CUST] > 0.1 and e[F_AGENT] > 0.1)(heard(t["sup"])),
                 30, "supervisor hearing customer and agent")
        r = req(stack, {"message": "RequestPrivateService", "ThisDN": "5018",
                        "PrivateMsgID": START, "ConnID": main,
                        "Extensions": {"id": "mon-rec", "params": "srtp=true"}})
        assert r["message"] == "EventACK", r
        wait_ud(t.w, "5018", "GSIP_RECORD", "On")
        wait_recording_live(stack, "mon-rec")
        base = t["cust"].rx_packets
        wait_for(lambda: t["cust"].rx_packets > base + 150, 20, "audio while recording")
        assert heard(t["cust"])[F_SUP] < 0.01
        r = req(stack, {"message": "RequestPrivateService", "ThisDN": "5018",
                        "PrivateMsgID": STOP, "ConnID": main})
        assert r["message"] == "EventACK", r
        side = wait_recording_done(stack, "mon-rec")
        # The mixed line and the supervisor's line both went through SRTP to the recorder.
        audio = [st for st in side["streams"] if st.get("media") == "audio"]
        assert len(audio) == 2, side["streams"]
        for st in audio:
            assert st["srtp"] and st["srtp"]["decrypted"] > 100, audio
            assert st["srtp"]["auth_fail"] == 0 and st["srtp"]["replay"] == 0, st
        ch, chans = read_wav(stack.env["RECORDER_DIR"] + "/" + side["wav"]["file"])
        assert ch == 2
        n = min(len(c) for c in chans)
        good = 0
        for i in range(0, n - 4000 + 1, 4000):
            c1 = {f: goertzel(chans[0][i:i + 4000], f) for f in (F_CUST, F_AGENT, F_SUP)}
            c2 = {f: goertzel(chans[1][i:i + 4000], f) for f in (F_CUST, F_AGENT, F_SUP)}
            assert c1[F_SUP] < 0.05, (c1, c2)
            if (c1[F_CUST] > 0.1 and c1[F_AGENT] > 0.1 and c2[F_SUP] > 0.5
                    and c2[F_CUST] < 0.02 and c2[F_AGENT] < 0.02):
                good += 1
        assert good >= 4, good
        t["cust"].hangup()
        wait_event(t.w, "5018", "EventReleased")
    finally:
        t.close()


def tones(chan, i):
    return {f: goertzel(chan[i:i + 4000], f) for f in (F_CUST, F_AGENT, F_SUP)}


def test_supervisor_joins_full_time_recording_then_monitoring_is_cancelled(stack):
    """5010 records full-time: the supervisor joins once the recording's mediad legs are up
    (the recording's own hook says so, nothing polls), and RequestCancelMonitoring takes the
    joined supervisor out again: BYE to its phone, EventReleased to it, EventPartyDeleted to
    the parties, and the same recording goes on in its two-party shape."""
    t = Trio(stack, "5020", "5010", "5007")
    try:
        for role in ("agent", "sup"):
            assert t[role].register() == 200
        r = monitor(stack, "5007", "5010", {"MonitorNextCallType": "AllCalls"})
        assert r["message"] == "EventACK", r
        t["cust"].call("5010")
        assert t["cust"].wait_answered() == 200
        on = wait_ud(t.w, "5010", "GSIP_RECORD", "On")
        rid = on["UserData"]["GSIP_REC_FN"]
        est = wait_event(t.w, "5007", "EventEstablished")
        assert est["ConnID"] == on["ConnID"] and est["ThisDNRole"] == 10, est
        assert stack.wait_log(r"recording up: the waiting supervisor joins"), "no hook join"
        wait_recording_live(stack, rid)
        wait_for(lambda: (lambda e: e[F_CUST] > 0.1 and e[F_AGENT] > 0.1)(heard(t["sup"])),
                 30, "supervisor hearing customer and agent")
        base = t["sup"].rx_packets
        wait_for(lambda: t["sup"].rx_packets > base + 150, 20, "3 s monitored")
        r = req(stack, {"message": "RequestCancelMonitoring", "ThisDN": "5007"})
        assert r["message"] == "EventACK", r
        rel = wait_event(t.w, "5007", "EventReleased")
        assert rel["ConnID"] == on["ConnID"], rel
        t["sup"].wait(lambda e: e[0] == "bye", what="BYE at the supervisor")
        for dn in ("5010", "5020"):
            d = wait_event(t.w, dn, "EventPartyDeleted")
            assert d["OtherDN"] == "5007" and d["OtherDNRole"] == 10, d
        wait_for(lambda: heard(t["cust"])[F_AGENT] > 0.5, 30, "customer hearing the agent")
        base = t["cust"].rx_packets
        wait_for(lambda: t["cust"].rx_packets > base + 150, 20, "3 s after the cancel")
        # AllCalls was cancelled with it: nothing is left to cancel.
        assert error_code(req(stack, {"message": "RequestCancelMonitoring",
                                      "ThisDN": "5007"})) == 312  # NOT_MONITORING
        t["cust"].hangup()
        wait_event(t.w, "5010", "EventReleased")
        side = wait_recording_done(stack, rid)
        assert side["end_reason"] == "bye", side
        assert ud_changes(t.w, "5010", "GSIP_RECORD") == ["On", "Off"]
        # One file: the supervisor alone on channel 2 while it monitored (channel 1 the mix,
        # never the supervisor), then agent / customer on channels 1 / 2 until the end.
        _, chans = read_wav(stack.env["RECORDER_DIR"] + "/" + side["wav"]["file"])
        n = min(len(c) for c in chans)
        w1 = [tones(chans[0], i) for i in range(0, n - 4000 + 1, 4000)]
        w2 = [tones(chans[1], i) for i in range(0, n - 4000 + 1, 4000)]
        assert all(c1[F_SUP] < 0.05 for c1 in w1), w1
        sup = [i for i, c2 in enumerate(w2) if c2[F_SUP] > 0.5 and c2[F_CUST] < 0.02]
        assert len(sup) >= 3, w2
        after = list(zip(w1, w2))[sup[-1] + 2:]
        assert all(c2[F_SUP] < 0.05 for _, c2 in after), after
        two = [1 for c1, c2 in after if c1[F_AGENT] > 0.5 and c1[F_CUST] < 0.02
               and c2[F_CUST] > 0.5 and c2[F_AGENT] < 0.02]
        assert len(two) >= 3, after
    finally:
        t.close()


def test_monitor_bad_input(stack):
    w = stack.watch("5001", "5002")
    sup = recua.Phone("5002", gw_addr(stack), F_SUP)
    try:
        assert sup.register() == 200
        # The agent's DN has no registered phone.
        assert error_code(monitor(stack, "5002", "5003")) == 311  # DN_NOT_AVAILABLE
        # Not an agent's DN (a routing point), not configured, itself, no OtherDN.
        assert error_code(monitor(stack, "5002", "7001")) == 310  # NOT_AGENT_DN
        assert error_code(monitor(stack, "5002", "9999")) == 205  # UNKNOWN_DN
        assert error_code(monitor(stack, "5002", "5002")) == 109  # INVALID_VALUE
        assert error_code(req(stack, {"message": "RequestMonitorNextCall",
                                      "ThisDN": "5002"})) == 108  # MISSING_ATTRIBUTE
        agent = recua.Phone("5004", gw_addr(stack), F_AGENT)
        try:
            assert agent.register() == 200
            assert error_code(monitor(stack, "5002", "5004",
                                      {"MonitorMode": "shout"})) == 109
            assert error_code(monitor(stack, "5002", "5004",
                                      {"MonitorNextCallType": "Sometimes"})) == 109
            assert error_code(monitor(stack, "5002", "5004", {"MonitorMode": 3})) == 107
            assert monitor(stack, "5002", "5004")["message"] == "EventACK"
            # Another supervisor on the same agent.
            other = recua.Phone("5005", gw_addr(stack), F_SUP)
            try:
                assert other.register() == 200
                assert error_code(monitor(stack, "5005", "5004")) == 313  # ALREADY_MONITORED
            finally:
                other.close()
            assert req(stack, {"message": "RequestCancelMonitoring",
                               "ThisDN": "5002"})["message"] == "EventACK"
        finally:
            agent.close()
        # Cancel with nothing pending.
        assert error_code(req(stack, {"message": "RequestCancelMonitoring",
                                      "ThisDN": "5002"})) == 312  # NOT_MONITORING
    finally:
        sup.close()
        w.stop()

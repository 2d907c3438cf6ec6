"""Conference recording (seed "Conference"): a recorded call that becomes a conference keeps
its recording (mix of customer + agent, supervisor apart); a conference recorded afterwards."""
from rectest import (ULAW, gw_addr, goertzel, read_wav, recua, ud_changes, wait_event,
                     wait_for, wait_recording_done, wait_recording_live, wait_ud)
from test_conference import ConfPhone, request

START, STOP = 3013, 3014
F_CUST, F_AGENT, F_SUP = 440.0, 1000.0, 1700.0


def levels(samples):
    return {f: goertzel(samples, f) for f in (F_CUST, F_AGENT, F_SUP)}


def heard(phone, packets=60):
    """Tone levels in what phone heard over the next `packets` packets."""
    phone.rx.clear()
    wait_for(lambda: len(phone.rx) > packets, 20, "audio at %s" % phone.dn)
    return levels([ULAW[b] for _, p in phone.rx[-50:] for b in p])


def windows(path, size=4000):
    """Tone levels of each channel per half second of the recorder's WAV."""
    ch, chans = read_wav(path)
    assert ch == 2, ch
    n = min(len(c) for c in chans)
    return [(levels(chans[0][i:i + size]), levels(chans[1][i:i + size]))
            for i in range(0, n - size + 1, size)]


def wait_mixed(ph, tones):
    for dn, p in ph.items():
        others = [f for d, f in tones.items() if d != dn]

        def mixed(p=p, dn=dn, others=others):
            e = heard(p)
            return all(e[f] > 0.1 for f in others) and e[tones[dn]] < min(e[f] for f in others) / 10
        wait_for(mixed, 30, "%s hearing the two others" % dn)


def talk(phone, packets=100):
    base = phone.rx_packets
    wait_for(lambda: phone.rx_packets > base + packets, 20, "audio at %s" % phone.dn)


def check_seed_shape(path):
    """Before and after the conference: channel 1 the agent, channel 2 the customer; during
    it: channel 1 the mix of customer and agent, channel 2 the supervisor alone."""
    w = windows(path)
    conf = [i for i, (c1, c2) in enumerate(w)
            if c1[F_CUST] > 0.1 and c1[F_AGENT] > 0.1 and c1[F_SUP] < 0.02
            and c2[F_SUP] > 0.5 and c2[F_CUST] < 0.02 and c2[F_AGENT] < 0.02]
    assert len(conf) >= 4, w
    pair = [i for i, (c1, c2) in enumerate(w) if c1[F_AGENT] > 0.5 and c2[F_CUST] > 0.5]
    assert any(i < conf[0] for i in pair), "no two-party audio before the conference"
    assert any(i > conf[-1] for i in pair), "no two-party audio after the conference"
    # The supervisor is never in the mixed channel.
    assert all(c1[F_SUP] < 0.05 for c1, _ in w), w


def test_recorded_call_single_step_conference(stack):
    """5001 (customer) calls 5010 (agent, record=true); 5010 adds 5003 (supervisor)."""
    tones = {"5001": F_CUST, "5010": F_AGENT, "5003": F_SUP}
    w = stack.watch(*tones)
    ph = {dn: recua.Phone(dn, gw_addr(stack), f) for dn, f in tones.items()}
    try:
        for dn in ("5010", "5003"):
            assert ph[dn].register() == 200
        for p in ph.values():
            p.keep_rx = True
        ph["5001"].call("5010")
        assert ph["5001"].wait_answered() == 200
        main = wait_event(w, "5010", "EventEstablished")["ConnID"]
        on = wait_ud(w, "5010", "GSIP_RECORD", "On")
        rid = on["UserData"]["GSIP_REC_FN"]
        wait_recording_live(stack, rid)
        talk(ph["5001"])
        added = request(stack, {"message": "RequestSingleStepConference", "ThisDN": "5010",
                                "ConnID": main, "OtherDN": "5003"})
        assert added["message"] == "EventPartyAdded", added
        assert wait_event(w, "5003", "EventEstablished")["ConnID"] == main
        wait_mixed(ph, tones)
        talk(ph["5001"], 100)
        # The supervisor hangs up: back to two parties, still recorded.
        ph["5003"].hangup()
        wait_event(w, "5010", "EventPartyDeleted")

        def pair():
            e = heard(ph["5001"])
            return e[F_AGENT] > 0.5 and e[F_SUP] < 0.02
        wait_for(pair, 30, "5001 hearing 5010 only")
        talk(ph["5001"], 100)
        ph["5001"].hangup()
        wait_event(w, "5010", "EventReleased")
        # GSIP_RECORD was On throughout and Off only at the end.
        assert ud_changes(w, "5010", "GSIP_RECORD") == ["On", "Off"], ud_changes(
            w, "5010", "GSIP_RECORD")
        side = wait_recording_done(stack, rid)
        check_seed_shape(stack.env["RECORDER_DIR"] + "/" + side["wav"]["file"])
    finally:
        for p in ph.values():
            p.close()
        w.stop()


def test_recorded_call_complete_conference(stack):
    """5002 calls 5010 (recorded); 5010 consults 5004 and completes the conference."""
    tones = {"5002": F_CUST, "5010": F_AGENT, "5004": F_SUP}
    w = stack.watch(*tones)
    ph = {dn: ConfPhone(dn, gw_addr(stack), f) for dn, f in tones.items()}
    try:
        for dn in ("5010", "5004"):
            assert ph[dn].register() == 200
        for p in ph.values():
            p.keep_rx = True
        ph["5002"].call("5010")
        assert ph["5002"].wait_answered() == 200
        main = wait_event(w, "5010", "EventEstablished")["ConnID"]
        rid = wait_ud(w, "5010", "GSIP_RECORD", "On")["UserData"]["GSIP_REC_FN"]
        wait_recording_live(stack, rid)
        talk(ph["5002"])
        request(stack, {"message": "RequestInitiateConference", "ThisDN": "5010",
                        "ConnID": main, "OtherDN": "5004"})
        consult = wait_event(w, "5010", "EventDialing")["ConnID"]
        wait_event(w, "5004", "EventEstablished")
        request(stack, {"message": "RequestCompleteConference", "ThisDN": "5010",
                        "ConnID": main, "TransferConnID": consult})
        for dn in ("5002", "5010"):
            assert wait_event(w, dn, "EventPartyAdded")["OtherDN"] == "5004"
        wait_mixed(ph, tones)
        talk(ph["5002"], 100)
        request(stack, {"message": "RequestDeleteFromConference", "ThisDN": "5010",
                        "ConnID": main, "OtherDN": "5004"})
        ph["5004"].wait(lambda e: e[0] == "bye", 15, "BYE at 5004")

        def pair():
            e = heard(ph["5002"])
            return e[F_AGENT] > 0.5 and e[F_SUP] < 0.02
        wait_for(pair, 30, "5002 hearing 5010 only")
        talk(ph["5002"], 100)
        ph["5002"].hangup()
        wait_event(w, "5010", "EventReleased")
        assert ud_changes(w, "5010", "GSIP_RECORD") == ["On", "Off"], ud_changes(
            w, "5010", "GSIP_RECORD")
        side = wait_recording_done(stack, rid)
        check_seed_shape(stack.env["RECORDER_DIR"] + "/" + side["wav"]["file"])
    finally:
        for p in ph.values():
            p.close()
        w.stop()


def private(stack, msg_id, connid, this_dn, ext=None):
    obj = {"message": "RequestPrivateService", "ThisDN": this_dn, "PrivateMsgID": msg_id,
           "ConnID": connid}
    if ext is not None:
        obj["Extensions"] = ext
    rc, msgs, err = stack.request(obj)
    assert msgs, (rc, err)
    return msgs[-1]


def test_conference_recorded_afterwards(stack):
    """A conference of three; 5007 starts recording: it records the conference's output
    (channel 1 what 5007 says, channel 2 what it hears: the mix of the two others)."""
    tones = {"5006": F_CUST, "5007": F_AGENT, "5008": F_SUP}
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
        request(stack, {"message": "RequestSingleStepConference", "ThisDN": "5007",
                        "ConnID": main, "OtherDN": "5008"})
        wait_event(w, "5008", "EventEstablished")
        wait_mixed(ph, tones)
        r = private(stack, START, main, "5007", {"id": "confrec-after"})
        assert r["message"] == "EventACK", r
        wait_ud(w, "5007", "GSIP_RECORD", "On")
        wait_recording_live(stack, "confrec-after")
        talk(ph["5006"], 150)
        # The three still hear each other while recorded.
        wait_mixed(ph, tones)
        assert private(stack, STOP, main, "5007")["message"] == "EventACK"
        wait_ud(w, "5007", "GSIP_RECORD", "Off")
        side = wait_recording_done(stack, "confrec-after")
        assert side["params"]["recordDN"] == "5007", side
        win = windows(stack.env["RECORDER_DIR"] + "/" + side["wav"]["file"])
        good = [1 for c1, c2 in win
                if c1[F_AGENT] > 0.5 and c1[F_CUST] < 0.02 and c1[F_SUP] < 0.02
                and c2[F_CUST] > 0.1 and c2[F_SUP] > 0.1 and c2[F_AGENT] < 0.02]
        assert len(good) >= 4, win
        wait_mixed(ph, tones)  # the conference goes on after the recording
        ph["5006"].hangup()
        wait_event(w, "5007", "EventPartyDeleted")
    finally:
        for p in ph.values():
            p.close()
        w.stop()


def test_conference_bad_input(stack):
    w = stack.watch("5011", "5012")
    try:
        for msg in ({"message": "RequestSingleStepConference", "ThisDN": "5011",
                     "ConnID": "00000000deadbeef", "OtherDN": "5012"},
                    {"message": "RequestCompleteConference", "ThisDN": "5011",
                     "ConnID": "00000000deadbeef", "TransferConnID": "00000000deadbee0"}):
            rc, msgs, err = stack.request(msg)
            assert msgs and msgs[-1]["message"] == "EventError", (msgs, err)
            assert msgs[-1]["ErrorCode"] == 301, msgs[-1]  # UNKNOWN_CONNID
    finally:
        w.stop()


def test_recorded_party_leaves_conference(stack):
    """The customer of a recorded conference hangs up: the recording ends (Off), the agent
    and the supervisor go on talking through an ordinary conference leg each."""
    tones = {"5001": F_CUST, "5010": F_AGENT, "5009": F_SUP}
    w = stack.watch(*tones)
    ph = {dn: recua.Phone(dn, gw_addr(stack), f) for dn, f in tones.items()}
    try:
        for dn in ("5010", "5009"):
            assert ph[dn].register() == 200
        for p in ph.values():
            p.keep_rx = True
        ph["5001"].call("5010")
        assert ph["5001"].wait_answered() == 200
        main = wait_event(w, "5010", "EventEstablished")["ConnID"]
        rid = wait_ud(w, "5010", "GSIP_RECORD", "On")["UserData"]["GSIP_REC_FN"]
        wait_recording_live(stack, rid)
        request(stack, {"message": "RequestSingleStepConference", "ThisDN": "5010",
                        "ConnID": main, "OtherDN": "5009"})
        wait_event(w, "5009", "EventEstablished")
        wait_mixed(ph, tones)
        ph["5001"].hangup()
        assert wait_event(w, "5010", "EventPartyDeleted")["OtherDN"] == "5001"
        wait_ud(w, "5010", "GSIP_RECORD", "Off")
        wait_recording_done(stack, rid)

        def pair(a, f_other, f_gone):
            e = heard(ph[a])
            return e[f_other] > 0.5 and e[f_gone] < 0.02
        wait_for(lambda: pair("5010", F_SUP, F_CUST), 30, "5010 hearing 5009 only")
        wait_for(lambda: pair("5009", F_AGENT, F_CUST), 30, "5009 hearing 5010 only")
        ph["5010"].hangup()
        wait_event(w, "5009", "EventReleased")
    finally:
        for p in ph.values():
            p.close()
        w.stop()

"""Recording across transfers: it follows the recorded (record=true) side (seed "Transfers")."""
from arectest import db
from rectest import (TONE_A, TONE_B, Call, goertzel, gw_addr, read_wav, recording_files, recua,
                     ud_changes, wait_for, wait_recording_done, wait_recording_live, wait_ud)
from recua_multi import MultiPhone

TONE_C = 1800.0  # 5003, the transfer target


def request(stack, obj):
    rc, msgs, err = stack.request(obj)
    assert msgs and msgs[-1]["message"] != "EventError", (msgs, err)
    return msgs[-1]


def transfer(stack, dn, connid, to):
    rc, msgs, err = stack.request({"message": "RequestSingleStepTransfer", "ThisDN": dn,
                                   "ConnID": connid, "OtherDN": to})
    assert msgs and msgs[-1]["message"] != "EventError", (msgs, err)


def test_termination_side_recorded_ends_when_it_transfers_away(stack):
    w = stack.watch("5001", "5010", "5011")
    c = Call(stack)  # 5001 -> 5010 (record=true, termination side)
    d = recua.Phone("5011", gw_addr(stack), TONE_B)
    try:
        assert d.register() == 200
        on = wait_ud(w, "5010", "GSIP_RECORD", "On")
        transfer(stack, "5010", on["ConnID"], "5011")
        wait_ud(w, "5001", "GSIP_RECORD", "Off")
        w.expect(lambda m: m.get("message") == "EventEstablished" and m.get("ThisDN") == "5011",
                 10)
        base = c.a.rx_packets
        wait_for(lambda: c.a.rx_packets > base + 50 and d.rx_packets > 50,
                 what="5001 and 5011 talking after the transfer")
        wait_recording_done(stack, on["UserData"]["GSIP_REC_FN"])
        c.a.hangup()
        d.wait(lambda e: e[0] == "bye", what="BYE at 5011")
        assert ud_changes(w, "5001", "GSIP_RECORD") == ["On", "Off"]
    finally:
        c.close()
        d.close()
        w.stop()


def tone_of(samples):
    """Which of the three phones' tones dominates samples (None: silence or a mix)."""
    if sum(abs(x) for x in samples) < 10 * len(samples):
        return None
    p = {t: goertzel(samples, t) for t in (TONE_A, TONE_B, TONE_C)}
    best = max(p, key=p.get)
    return best if all(p[best] > 10 * v for t, v in p.items() if t != best) else None


def seconds(chan):
    """The dominant tone of each whole second of a channel."""
    return [tone_of(chan[i:i + 8000]) for i in range(0, len(chan) - 7999, 8000)]


def psql(stack, sql):
    """psql -At output (rows joined by newlines) of one query against the stack's database."""
    return "\n".join("|".join(r) for r in db.psql(stack.env["PGURL"], sql, timeout=20))


def check_metadata(stack, side, rid, old, new):
    """After the kept transfer the recorder's metadata and the database row name the new
    party: mediad's re-INVITE carried otherDN (X-Record-Params, the sidecar's
    param_updates) and the row's other_dn moved, other_dns listing both in order."""
    ups = side.get("param_updates") or []
    assert any(u["request"] == "INVITE" and u["params"].get("otherDN") == new for u in ups), ups
    assert side["params"]["otherDN"] == old  # the start's Request-URI, unchanged
    q = (f"select other_dn, array_to_string(other_dns, ','), state from recordings "
         f"where record_id='{rid}'")
    wait_for(lambda: psql(stack, q) == f"{new}|{old},{new}|completed",
             what="recordings row naming %s after %s" % (new, old))


def check_continued(stack, w, first, d, c):
    """One recording from start to end: 5010 on channel 1, 5002 then 5003 on channel 2."""
    base = d.rx_packets
    wait_for(lambda: d.rx_packets > base + 100, what="5010 and 5003 talking through mediad")
    c.a.hangup()
    d.wait(lambda e: e[0] == "bye", what="BYE at 5003")
    w.expect(lambda m: m.get("message") == "EventReleased" and m.get("ThisDN") == "5010", 10)
    # the same recording went on: one On, one Off, one file name
    assert ud_changes(w, "5010", "GSIP_RECORD") == ["On", "Off"], "%r" % [
        (m["message"], m.get("ThisDN"), (m.get("UserData") or {}).get("GSIP_RECORD"))
        for m in w.seen if m.get("ThisDN") == "5010"]
    assert ud_changes(w, "5010", "GSIP_REC_FN") == [first["UserData"]["GSIP_REC_FN"]]
    assert len(recording_files(stack, first["CallUUID"])) == 1
    s = wait_recording_done(stack, first["UserData"]["GSIP_REC_FN"])
    assert s["params"]["recordDN"] == "5010" and s["params"]["calluuid"] == first["CallUUID"]
    check_metadata(stack, s, first["UserData"]["GSIP_REC_FN"], "5002", "5003")
    ch, chans = read_wav(stack.env["RECORDER_DIR"] + "/" + s["wav"]["file"])
    one, two = seconds(chans[0]), seconds(chans[1])
    # channel 1: 5010 (TONE_A) throughout; channel 2: 5002 (TONE_B), then 5003 (TONE_C)
    assert one.count(TONE_A) >= len(one) - 3, one
    assert TONE_B in two and TONE_C in two, two
    assert two.index(TONE_B) < len(two) - 1 - two[::-1].index(TONE_C), two
    assert TONE_B not in two[len(two) - 1 - two[::-1].index(TONE_C):], two


def test_origination_side_recorded_keeps_its_recording_across_single_step_transfer(stack):
    w = stack.watch("5010", "5002", "5003")
    c = Call(stack, callee="5002", caller="5010")  # 5010 (record=true) calls 5002
    d = recua.Phone("5003", gw_addr(stack), TONE_C)
    try:
        assert d.register() == 200
        first = wait_ud(w, "5010", "GSIP_RECORD", "On")
        wait_recording_live(stack, first["UserData"]["GSIP_REC_FN"])
        c.talk(100)
        transfer(stack, "5002", first["ConnID"], "5003")
        w.expect(lambda m: m.get("message") == "EventEstablished" and m.get("ThisDN") == "5003",
                 10)
        # mediad re-INVITEs: 5003 sends to mediad, and 5010 too (again)
        wait_for(lambda: d.reinvites >= 1, what="5003 moved to mediad")
        check_continued(stack, w, first, d, c)
    finally:
        c.close()
        d.close()
        w.stop()


def test_origination_side_recorded_keeps_its_recording_across_two_step_transfer(stack):
    w = stack.watch("5010", "5002", "5003")
    b = MultiPhone("5002", gw_addr(stack), TONE_B)  # the agent: its call and the consultation
    d = recua.Phone("5003", gw_addr(stack), TONE_C)
    a = recua.Phone("5010", gw_addr(stack), TONE_A)
    c = Call.__new__(Call)
    c.a, c.b = a, b
    try:
        assert b.register() == 200 and d.register() == 200
        a.call("5002")
        assert a.wait_answered() == 200
        first = wait_ud(w, "5010", "GSIP_RECORD", "On")
        wait_recording_live(stack, first["UserData"]["GSIP_REC_FN"])
        c.talk(100)
        request(stack, {"message": "RequestInitiateTransfer", "ThisDN": "5002",
                        "ConnID": first["ConnID"], "OtherDN": "5003"})
        consult = w.expect(lambda m: m.get("message") == "EventEstablished"
                           and m.get("ThisDN") == "5003", 15)["ConnID"]
        request(stack, {"message": "RequestCompleteTransfer", "ThisDN": "5002",
                        "ConnID": first["ConnID"], "TransferConnID": consult})
        w.expect(lambda m: m.get("message") == "EventPartyChanged" and m.get("ThisDN") == "5003",
                 10)
        wait_for(lambda: d.reinvites >= 1, what="5003 moved to mediad")
        check_continued(stack, w, first, d, c)
    finally:
        for p in (a, b, d):
            p.close()
        w.stop()


def test_dynamic_recording_of_the_caller_continues_when_the_agent_transfers(stack):
    """A supervisor (5005, not a party) records the caller 5002 of a plain call; the agent
    5003 transfers to 5004: the same dynamic recording goes on with 5004."""
    w = stack.watch("5002", "5003", "5004")
    c = Call(stack, callee="5003", caller="5002")
    d = recua.Phone("5004", gw_addr(stack), TONE_C)
    try:
        assert d.register() == 200
        est = w.expect(lambda m: m.get("message") == "EventEstablished"
                       and m.get("ThisDN") == "5003", 10)
        request(stack, {"message": "RequestPrivateService", "ThisDN": "5005",
                        "PrivateMsgID": 3013, "ConnID": est["ConnID"]})
        on = wait_ud(w, "5002", "GSIP_RECORD", "On")
        wait_recording_live(stack, on["UserData"]["GSIP_REC_FN"])
        c.talk(100)
        transfer(stack, "5003", on["ConnID"], "5004")
        wait_for(lambda: d.reinvites >= 1, what="5004 moved to mediad")
        base = d.rx_packets
        wait_for(lambda: d.rx_packets > base + 100, what="5002 and 5004 talking")
        c.a.hangup()
        d.wait(lambda e: e[0] == "bye", what="BYE at 5004")
        w.expect(lambda m: m.get("message") == "EventReleased" and m.get("ThisDN") == "5002", 10)
        assert ud_changes(w, "5002", "GSIP_RECORD") == ["On", "Off"]
        s = wait_recording_done(stack, on["UserData"]["GSIP_REC_FN"])
        assert s["params"]["recordDN"] == "5002", s
        check_metadata(stack, s, on["UserData"]["GSIP_REC_FN"], "5003", "5004")
        _, chans = read_wav(stack.env["RECORDER_DIR"] + "/" + s["wav"]["file"])
        two = seconds(chans[1])
        assert TONE_B in two and TONE_C in two, two  # 5003, then 5004
        assert seconds(chans[0]).count(TONE_A) >= len(two) - 3
    finally:
        c.close()
        d.close()
        w.stop()

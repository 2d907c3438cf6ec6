"""Basic calls through gatewayd with SIPp phones: both hang-up directions, busy, no answer,
caller abandons; the exact event sequence on every DN involved."""
from callstest import dump, names, sequences, wait_event

STACK_OPTS = ("--gateway-opt", "no-answer-timeout=3")


def check_pair(seqs, a, b, a_names, b_names):
    assert names(seqs[a]) == a_names, seqs[a]
    assert names(seqs[b]) == b_names, seqs[b]
    connids = {m["ConnID"] for s in (seqs[a], seqs[b]) for m in s if "ConnID" in m}
    assert len(connids) == 1, connids
    first_a = next(m for m in seqs[a] if "ConnID" in m)
    first_b = next(m for m in seqs[b] if "ConnID" in m)
    assert first_a["ThisDN"] == a and first_a["OtherDN"] == b
    assert first_b["ThisDN"] == b and first_b["OtherDN"] == a
    return connids.pop()


def test_call_caller_hangs_up(stack, calls):
    w = stack.watch("5001", "5002")
    try:
        phone = calls.phone("5002", "uas_answer.xml")
        wait_event(w, "5002", "EventDNBackInService")
        uac = calls.call("uac_call.xml", "5002", "5001", d=500)
        uac.ok()
        phone.ok()
        wait_event(w, "5002", "EventReleased")
        seqs = sequences(w, stack, ["5001", "5002"])
        check_pair(seqs, "5001", "5002",
                   ["EventDialing", "EventEstablished", "EventReleased"],
                   ["EventDNBackInService", "EventRinging", "EventEstablished", "EventReleased"])
    finally:
        w.stop()


def test_call_callee_hangs_up(stack, calls):
    w = stack.watch("5001", "5003")
    try:
        phone = calls.phone("5003", "uas_answer_bye.xml", d=500)
        wait_event(w, "5003", "EventDNBackInService")
        uac = calls.call("uac_call_wait_bye.xml", "5003", "5001")
        uac.ok()
        phone.ok()
        wait_event(w, "5001", "EventReleased")
        seqs = sequences(w, stack, ["5001", "5003"])
        check_pair(seqs, "5001", "5003",
                   ["EventDialing", "EventEstablished", "EventReleased"],
                   ["EventDNBackInService", "EventRinging", "EventEstablished", "EventReleased"])
    finally:
        w.stop()


def test_busy(stack, calls):
    w = stack.watch("5001", "5004")
    try:
        phone = calls.phone("5004", "uas_busy.xml")
        wait_event(w, "5004", "EventDNBackInService")
        uac = calls.call("uac_busy.xml", "5004", "5001")
        uac.ok()
        phone.ok()
        wait_event(w, "5001", "EventReleased")
        seqs = sequences(w, stack, ["5001", "5004"])
        assert names(seqs["5001"]) == ["EventDialing", "EventDestinationBusy", "EventReleased"]
        assert names(seqs["5004"]) == ["EventDNBackInService"]  # it never rang
        assert seqs["5001"][2]["CallState"] == 6  # Busy
    finally:
        w.stop()


def test_no_answer(stack, calls):
    w = stack.watch("5001", "5005")
    try:
        phone = calls.phone("5005", "uas_ring.xml")
        wait_event(w, "5005", "EventDNBackInService")
        uac = calls.call("uac_noanswer.xml", "5005", "5001")
        uac.ok()
        phone.ok()
        wait_event(w, "5001", "EventReleased")
        seqs = sequences(w, stack, ["5001", "5005"])
        assert names(seqs["5001"]) == ["EventDialing", "EventReleased"], dump(seqs)
        assert names(seqs["5005"]) == ["EventDNBackInService", "EventRinging", "EventReleased"]
        assert seqs["5001"][1]["CallState"] == 7 and seqs["5005"][2]["CallState"] == 7  # NoAnswer
        assert seqs["5001"][0]["ConnID"] == seqs["5005"][1]["ConnID"]
    finally:
        w.stop()


def test_caller_abandons(stack, calls):
    w = stack.watch("5001", "5006")
    try:
        phone = calls.phone("5006", "uas_ring.xml")
        wait_event(w, "5006", "EventDNBackInService")
        uac = calls.call("uac_cancel.xml", "5006", "5001")
        uac.ok()
        phone.ok()
        wait_event(w, "5001", "EventReleased")
        seqs = sequences(w, stack, ["5001", "5006"])
        assert names(seqs["5001"]) == ["EventDialing", "EventReleased"], dump(seqs)
        assert names(seqs["5006"]) == ["EventDNBackInService", "EventRinging", "EventAbandoned"]
        assert seqs["5001"][0]["ConnID"] == seqs["5006"][2]["ConnID"]
    finally:
        w.stop()


def test_call_over_tcp(stack, calls):
    """Phone registered over TCP, caller over TCP: the gateway's TCP transport both ways."""
    w = stack.watch("5001", "5007")
    try:
        phone = calls.phone("5007", "uas_answer.xml", transport="t1")
        wait_event(w, "5007", "EventDNBackInService")
        uac = calls.call("uac_call.xml", "5007", "5001", d=300, transport="t1")
        uac.ok()
        phone.ok()
        wait_event(w, "5007", "EventReleased")
        seqs = sequences(w, stack, ["5001", "5007"])
        check_pair(seqs, "5001", "5007",
                   ["EventDialing", "EventEstablished", "EventReleased"],
                   ["EventDNBackInService", "EventRinging", "EventEstablished", "EventReleased"])
        assert stack.wait_log(r"registered at sip:5007@127\.0\.0\.1:\d+;transport=TCP", 1)
    finally:
        w.stop()


def test_inbound_trunk_call(stack, calls):
    """From a number that is no DN: the call comes in on the inbound trunk (CallType Inbound)."""
    w = stack.watch("5008")
    try:
        phone = calls.phone("5008", "uas_answer.xml")
        wait_event(w, "5008", "EventDNBackInService")
        uac = calls.call("uac_call.xml", "5008", "0612345678", d=300)
        uac.ok()
        phone.ok()
        wait_event(w, "5008", "EventReleased")
        seqs = sequences(w, stack, ["5008"])
        assert names(seqs["5008"]) == ["EventDNBackInService", "EventRinging",
                                       "EventEstablished", "EventReleased"], dump(seqs)
        ringing = seqs["5008"][1]
        assert ringing["CallType"] == 2 and ringing["ANI"] == "0612345678", ringing
        assert stack.wait_log(r"INVITE \S+ from trunk-in \(trunk\) to 5008", 1)
    finally:
        w.stop()


def test_session_timer_negotiated(stack, calls):
    """RFC 4028: the caller asks for Session-Expires 90, the 200 OK carries it back."""
    w = stack.watch("5001", "5009")
    try:
        phone = calls.phone("5009", "uas_answer.xml")
        wait_event(w, "5009", "EventDNBackInService")
        uac = calls.call("uac_timer.xml", "5009", "5001", d=300)
        uac.ok()
        phone.ok()
        wait_event(w, "5009", "EventReleased")
        seqs = sequences(w, stack, ["5001", "5009"])
        check_pair(seqs, "5001", "5009",
                   ["EventDialing", "EventEstablished", "EventReleased"],
                   ["EventDNBackInService", "EventRinging", "EventEstablished", "EventReleased"])
    finally:
        w.stop()


def test_early_media(stack, calls):
    """183 with SDP from the callee reaches the caller as 183 with that SDP."""
    w = stack.watch("5001", "5011")
    try:
        phone = calls.phone("5011", "uas_early_media.xml", d=500)
        wait_event(w, "5011", "EventDNBackInService")
        uac = calls.call("uac_early_media.xml", "5011", "5001", d=300)
        uac.ok()
        phone.ok()
        wait_event(w, "5011", "EventReleased")
        seqs = sequences(w, stack, ["5001", "5011"])
        check_pair(seqs, "5001", "5011",
                   ["EventDialing", "EventEstablished", "EventReleased"],
                   ["EventDNBackInService", "EventRinging", "EventEstablished", "EventReleased"])
    finally:
        w.stop()


def test_call_to_unregistered_dn(stack, calls):
    """No contact for 5019 (never registered): the caller gets 480, 5019 never rings."""
    import sipraw
    host, _, port = stack.env["SIP_ADDR"].rpartition(":")
    w = stack.watch("5001", "5019")
    u = sipraw.Udp()
    try:
        u.send(sipraw.request("INVITE", f"sip:5019@{host}:{port}", host=host, port=int(port),
                              local_port=u.port, to_user="5019", body=sipraw.SDP),
               (host, int(port)))
        r = u.final(10)
        assert r is not None and sipraw.status_of(r) == 480, r
        seqs = sequences(w, stack, ["5001", "5019"])
        assert names(seqs["5019"]) == [], dump(seqs)
        assert names(seqs["5001"]) == ["EventDialing", "EventReleased"], dump(seqs)
        assert seqs["5001"][0]["OtherDN"] == "5019", seqs["5001"][0]
    finally:
        u.close()
        w.stop()

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

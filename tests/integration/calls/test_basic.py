"""Basic calls through gatewayd with SIPp phones: both hang-up directions, busy, no answer,
caller abandons; the exact event sequence on every DN involved."""
from callstest import names, sequences, wait_event

STACK_OPTS = ("--gateway-opt", "no-answer-timeout=3")


def check_pair(seqs, a, b, a_names, b_names):
    assert names(seqs[a]) == a_names, seqs[a]
    assert names(seqs[b]) == b_names, seqs[b]
    connids = {m["ConnID"] for s in (seqs[a], seqs[b]) for m in s if "ConnID" in m}
    assert len(connids) == 1, connids
    (first_a, first_b) = (seqs[a][0], seqs[b][0])
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

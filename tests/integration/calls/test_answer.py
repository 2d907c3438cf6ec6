"""RequestAnswerCall: a phone whose DN has remote-answer = notify-talk answers on a NOTIFY
Event: talk; a DN without it answers EventError; the events carry the request's ReferenceID."""
import tempfile
from pathlib import Path

from callstest import dump, free_port, names, request, sequences, wait_event
from talkphone import TalkPhone

CONF = Path(tempfile.mkdtemp(prefix="arec-answer-")) / "gatewayd.conf"
CONF.write_text("""[gateway]
site = answertest
tlib-listen = 127.0.0.1:0
ws-listen = 127.0.0.1:0
sip-listen = 127.0.0.1:0
trusted-networks = 127.0.0.0/8
no-answer-timeout = 30

[dn 5001]
type = Extension

[dn 5003-5005]
type = Extension

[dn 5002]
type = Extension
remote-answer = notify-talk

[application demo]
password = demo
dns = *
""")
STACK_OPTS = ("--gateway-config", str(CONF))


def test_answer_by_notify_talk(stack, calls):
    w = stack.watch("5001", "5002")
    port = free_port()
    calls.register("5002", port)
    phone = TalkPhone("5002", port)
    try:
        wait_event(w, "5002", "EventDNBackInService")
        uac = calls.call("uac_call.xml", "5002", "5001", d=500)
        ring = wait_event(w, "5002", "EventRinging")
        assert not phone.answered.is_set()
        r = request(stack, {"message": "RequestAnswerCall", "ThisDN": "5002",
                            "ConnID": ring["ConnID"], "ReferenceID": 4242})
        assert r["message"] == "EventEstablished", r
        assert r.get("ReferenceID") == 4242, r
        assert phone.notify["event"] == "talk", phone.notify
        assert phone.notify["subscription-state"].startswith("terminated"), phone.notify
        uac.ok()
        assert phone.byed.wait(20), phone.seen
        wait_event(w, "5002", "EventReleased")
        seqs = sequences(w, stack, ["5001", "5002"])
        assert names(seqs["5001"]) == ["EventDialing", "EventEstablished", "EventReleased"], \
            dump(seqs)
        assert names(seqs["5002"]) == ["EventDNBackInService", "EventRinging",
                                       "EventEstablished", "EventReleased"], dump(seqs)
        assert "NOTIFY talk to sip:5002@" in stack.log()
        assert "remote answer refused" not in stack.log()
    finally:
        phone.close()
        w.stop()


def test_answer_unsupported_dn(stack, calls):
    w = stack.watch("5001", "5003")
    try:
        phone = calls.phone("5003", "uas_ring.xml")
        wait_event(w, "5003", "EventDNBackInService")
        uac = calls.call("uac_cancel.xml", "5003", "5001")
        ring = wait_event(w, "5003", "EventRinging")
        r = request(stack, {"message": "RequestAnswerCall", "ThisDN": "5003",
                            "ConnID": ring["ConnID"]})
        assert r["message"] == "EventError", r
        assert r["ErrorCode"] == 207, r
        assert "cannot be answered remotely" in r["ErrorMessage"], r
        # The caller gives up (CANCEL): the call was never touched.
        uac.ok()
        phone.ok()
        wait_event(w, "5003", "EventAbandoned")
    finally:
        w.stop()


def test_answer_refused_by_the_phone(stack, calls):
    """The phone answers the NOTIFY 489 Bad Event: EventError for the request, still ringing."""
    w = stack.watch("5001", "5002")
    port = free_port()
    calls.register("5002", port)
    phone = TalkPhone("5002", port, refuse=(489, "Bad Event"))
    try:
        wait_event(w, "5002", "EventDNBackInService")
        uac = calls.call("uac_cancel.xml", "5002", "5001")
        ring = wait_event(w, "5002", "EventRinging")
        r = request(stack, {"message": "RequestAnswerCall", "ThisDN": "5002",
                            "ConnID": ring["ConnID"], "ReferenceID": 77})
        assert r["message"] == "EventError" and r["ReferenceID"] == 77, r
        assert r["ErrorCode"] == 207, r
        assert "refused the remote answer (NOTIFY talk answered 489)" in r["ErrorMessage"], r
        assert not phone.answered.is_set()
        uac.ok()  # the caller gives up: the call was still ringing
        wait_event(w, "5002", "EventAbandoned")
    finally:
        phone.close()
        w.stop()

"""Transfers a phone starts with REFER: blind (Refer-To a DN) and attended (Refer-To with
Replaces naming the phone's other call), with the T-Server events of the transfer."""
import re
import urllib.parse

from callstest import dump, names, request, sequences, wait_event


def test_blind_refer(stack, calls):
    w = stack.watch("5001", "5002", "5003")
    try:
        p2 = calls.phone("5002", "uas_answer.xml")
        p3 = calls.phone("5003", "uas_answer.xml", d=200)
        wait_event(w, "5003", "EventDNBackInService")
        # 5002 calls 5001 (a phone that then REFERs 5002 to 5003): 5001 is the UAC here.
        uac = calls.call("uac_refer.xml", "5002", "5001", d=300,
                         keys={"target": "5003", "replaces": ""})
        est = wait_event(w, "5001", "EventEstablished")
        cid = est["ConnID"]
        uac.ok()  # got 202, the NOTIFY and the gateway's BYE
        e3 = wait_event(w, "5003", "EventEstablished")
        assert e3["ConnID"] == cid and e3["OtherDN"] == "5002", e3
        request(stack, {"message": "RequestReleaseCall", "ThisDN": "5003", "ConnID": cid})
        p2.ok()
        p3.ok()
        wait_event(w, "5002", "EventReleased")
        seqs = sequences(w, stack, ["5001", "5002", "5003"])
        assert names(seqs["5001"]) == ["EventDialing", "EventEstablished", "EventReleased"], \
            dump(seqs)
        rel = seqs["5001"][-1]
        assert rel["ThirdPartyDN"] == "5003" and rel["CallState"] == 1, rel
        assert names(seqs["5002"]) == ["EventDNBackInService", "EventRinging",
                                       "EventEstablished", "EventPartyChanged",
                                       "EventReleased"], dump(seqs)
        chg = seqs["5002"][3]
        assert chg["OtherDN"] == "5003" and chg["ThirdPartyDN"] == "5001", chg
        assert chg["ThirdPartyDNRole"] == 7, chg
        assert names(seqs["5003"]) == ["EventDNBackInService", "EventRinging",
                                       "EventEstablished", "EventReleased"], dump(seqs)
        assert all(m["ConnID"] == cid for s in seqs.values() for m in s if "ConnID" in m)
        assert "REFER from 5001: call %s transferred to 5003" % cid in stack.log()
    finally:
        w.stop()


def test_attended_refer(stack, calls):
    w = stack.watch("5001", "5004", "5005")
    try:
        p4 = calls.phone("5004", "uas_answer.xml")
        p5 = calls.phone("5005", "uas_answer.xml")
        wait_event(w, "5005", "EventDNBackInService")
        # The consultation: 5001's phone calls 5005 on its own (a second dialog).
        consult = calls.call("uac_call_wait_bye.xml", "5005", "5001")
        k = wait_event(w, "5005", "EventEstablished")["ConnID"]
        m = re.search(r"INVITE (\S+) from 5001 \(extension\) to 5005", stack.log())
        assert m, stack.log()[-2000:]
        replaces = "?Replaces=" + urllib.parse.quote(m.group(1) + ";to-tag=gw;from-tag=phone",
                                                     safe="")
        # The call to transfer: 5001 with 5004, then REFER 5004 to 5005 replacing the other.
        uac = calls.call("uac_refer.xml", "5004", "5001", d=300,
                         keys={"target": "5005", "replaces": replaces})
        uac.ok()
        consult.ok()  # the gateway ended the consultation leg too
        chg = wait_event(w, "5005", "EventPartyChanged")
        main = chg["ConnID"]
        assert main != k and chg["OtherDN"] == "5004" and chg["TransferConnID"] == k, chg
        request(stack, {"message": "RequestReleaseCall", "ThisDN": "5005", "ConnID": main})
        p4.ok()
        p5.ok()
        wait_event(w, "5004", "EventReleased")
        seqs = sequences(w, stack, ["5001", "5004", "5005"])
        n1 = names(seqs["5001"])
        assert n1.count("EventReleased") == 2 and n1.count("EventEstablished") == 2, dump(seqs)
        assert {m["ConnID"] for m in seqs["5001"] if m["message"] == "EventReleased"} == \
            {main, k}, dump(seqs)
        assert names(seqs["5004"]) == ["EventDNBackInService", "EventRinging",
                                       "EventEstablished", "EventPartyChanged",
                                       "EventReleased"], dump(seqs)
        c4 = seqs["5004"][3]
        assert c4["OtherDN"] == "5005" and c4["ThirdPartyDN"] == "5001", c4
        assert names(seqs["5005"]) == ["EventDNBackInService", "EventRinging",
                                       "EventEstablished", "EventPartyChanged",
                                       "EventReleased"], dump(seqs)
        assert "attended transfer of %s completed with %s" % (main, k) in stack.log()
    finally:
        w.stop()


def test_refer_to_unknown_number(stack, calls):
    w = stack.watch("5001", "5006")
    try:
        p6 = calls.phone("5006", "uas_answer.xml")
        wait_event(w, "5006", "EventDNBackInService")
        uac = calls.call("uac_refer_refused.xml", "5006", "5001", d=300,
                         keys={"target": "5019", "replaces": ""})
        uac.ok()  # 202, then NOTIFY 480 (5019 is not registered): the call is left as it was; the phone hangs up
        p6.ok()
        wait_event(w, "5006", "EventReleased")
        seqs = sequences(w, stack, ["5001", "5006"])
        assert names(seqs["5001"]) == ["EventDialing", "EventEstablished", "EventReleased"], \
            dump(seqs)
        assert "CallState" not in seqs["5001"][-1] or seqs["5001"][-1]["CallState"] == 0
    finally:
        w.stop()


def test_refer_out_of_dialog(stack):
    """A REFER outside any call dialog transfers nothing: 403, no crash."""
    import sipraw
    host, _, port = stack.env["SIP_ADDR"].rpartition(":")
    port = int(port)
    u = sipraw.Udp()
    try:
        u.send(sipraw.request("REFER", f"sip:5001@{host}:{port}", host=host, port=port,
                              local_port=u.port, from_user="5001", to_user="5002",
                              headers=[("Refer-To", f"<sip:5003@{host}:{port}>")]), (host, port))
        r = u.final(5)
        assert r is not None
        assert sipraw.status_of(r) == 403, r
    finally:
        u.close()
    assert stack.alive()


def test_blind_refer_after_hold(stack, calls):
    """Phones hold before they transfer: the held party is bridged to the target all the same."""
    w = stack.watch("5001", "5007", "5008")
    try:
        p7 = calls.phone("5007", "uas_answer.xml")
        p8 = calls.phone("5008", "uas_answer.xml", d=200)
        wait_event(w, "5008", "EventDNBackInService")
        uac = calls.call("uac_hold_refer.xml", "5007", "5001", d=300,
                         keys={"target": "5008", "replaces": ""})
        cid = wait_event(w, "5001", "EventEstablished")["ConnID"]
        wait_event(w, "5001", "EventHeld")
        uac.ok()
        e8 = wait_event(w, "5008", "EventEstablished")
        assert e8["ConnID"] == cid and e8["OtherDN"] == "5007", e8
        request(stack, {"message": "RequestReleaseCall", "ThisDN": "5008", "ConnID": cid})
        p7.ok()
        p8.ok()
        wait_event(w, "5007", "EventReleased")
        seqs = sequences(w, stack, ["5001", "5007", "5008"])
        assert names(seqs["5001"]) == ["EventDialing", "EventEstablished", "EventHeld",
                                       "EventReleased"], dump(seqs)
        assert names(seqs["5007"])[-2:] == ["EventPartyChanged", "EventReleased"], dump(seqs)
        assert names(seqs["5008"]) == ["EventDNBackInService", "EventRinging",
                                       "EventEstablished", "EventReleased"], dump(seqs)
    finally:
        w.stop()

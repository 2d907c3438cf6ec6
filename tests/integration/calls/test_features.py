"""Hold / retrieve, routing point (router and default route), transfers, consultation,
user data and call monitoring, on real SIP calls; exact event sequences on every DN."""
from callstest import dump, names, request, sequences, wait_event


def conn(seq, i=0):
    return seq[i]["ConnID"]


def test_hold_retrieve_from_phone(stack, calls):
    w = stack.watch("5001", "5007")
    try:
        phone = calls.phone("5007", "uas_answer.xml")
        wait_event(w, "5007", "EventDNBackInService")
        uac = calls.call("uac_hold.xml", "5007", "5001", d=300)
        uac.ok()
        phone.ok()
        wait_event(w, "5007", "EventReleased")
        seqs = sequences(w, stack, ["5001", "5007"])
        assert names(seqs["5001"]) == ["EventDialing", "EventEstablished", "EventHeld",
                                       "EventRetrieved", "EventReleased"], dump(seqs)
        assert names(seqs["5007"]) == ["EventDNBackInService", "EventRinging",
                                       "EventEstablished", "EventReleased"], dump(seqs)
    finally:
        w.stop()


def test_hold_retrieve_from_callee_phone(stack, calls):
    """The called phone holds (re-INVITE a=sendonly) and retrieves; the caller's phone gets
    each offer forwarded and answers it."""
    w = stack.watch("5001", "5012")
    try:
        phone = calls.phone("5012", "uas_hold.xml", d=300)
        wait_event(w, "5012", "EventDNBackInService")
        uac = calls.call("uac_call_wait_bye.xml", "5012", "5001")
        cid = wait_event(w, "5012", "EventEstablished")["ConnID"]
        wait_event(w, "5012", "EventHeld")
        wait_event(w, "5012", "EventRetrieved")
        request(stack, {"message": "RequestReleaseCall", "ThisDN": "5012", "ConnID": cid})
        uac.ok()
        phone.ok()
        wait_event(w, "5001", "EventReleased")
        seqs = sequences(w, stack, ["5001", "5012"])
        assert names(seqs["5001"]) == ["EventDialing", "EventEstablished", "EventReleased"], \
            dump(seqs)
        assert names(seqs["5012"]) == ["EventDNBackInService", "EventRinging",
                                       "EventEstablished", "EventHeld", "EventRetrieved",
                                       "EventReleased"], dump(seqs)
    finally:
        w.stop()


def test_hold_retrieve_by_request(stack, calls):
    w = stack.watch("5001", "5008")
    try:
        phone = calls.phone("5008", "uas_answer.xml")
        wait_event(w, "5008", "EventDNBackInService")
        uac = calls.call("uac_call_wait_bye.xml", "5008", "5001")
        est = wait_event(w, "5001", "EventEstablished")
        cid = est["ConnID"]
        r = request(stack, {"message": "RequestHoldCall", "ThisDN": "5001", "ConnID": cid})
        assert r["message"] in ("EventHeld", "EventACK"), r
        wait_event(w, "5001", "EventHeld")
        r = request(stack, {"message": "RequestRetrieveCall", "ThisDN": "5001", "ConnID": cid})
        assert r["message"] in ("EventRetrieved", "EventACK"), r
        wait_event(w, "5001", "EventRetrieved")
        r = request(stack, {"message": "RequestReleaseCall", "ThisDN": "5001", "ConnID": cid})
        uac.ok()
        phone.ok()
        wait_event(w, "5008", "EventReleased")
        seqs = sequences(w, stack, ["5001", "5008"])
        assert names(seqs["5001"]) == ["EventDialing", "EventEstablished", "EventHeld",
                                       "EventRetrieved", "EventReleased"], dump(seqs)
        assert names(seqs["5008"]) == ["EventDNBackInService", "EventRinging",
                                       "EventEstablished", "EventReleased"], dump(seqs)
    finally:
        w.stop()


def test_routing_point_with_router(stack, calls):
    w = stack.watch("5011", "7001", "5009")
    try:
        phone = calls.phone("5009", "uas_answer.xml")
        wait_event(w, "5009", "EventDNBackInService")
        uac = calls.call("uac_call.xml", "7001", "5011", d=500)
        rr = wait_event(w, "7001", "EventRouteRequest")
        r = request(stack, {"message": "RequestRouteCall", "ThisDN": "7001",
                            "ConnID": rr["ConnID"], "OtherDN": "5009",
                            "Extensions": {"route-note": "test"}})
        assert r["message"] in ("EventACK", "EventRouteUsed"), r
        uac.ok()
        phone.ok()
        wait_event(w, "5009", "EventReleased")
        seqs = sequences(w, stack, ["5011", "7001", "5009"])
        assert names(seqs["7001"]) == ["EventQueued", "EventRouteRequest", "EventRouteUsed",
                                       "EventDiverted"], dump(seqs)
        assert seqs["7001"][2]["ThirdPartyDN"] == "5009"
        assert names(seqs["5009"]) == ["EventDNBackInService", "EventRinging",
                                       "EventEstablished", "EventReleased"], dump(seqs)
        assert names(seqs["5011"]) == ["EventDialing", "EventEstablished", "EventReleased"]
        assert len({m["ConnID"] for s in seqs.values() for m in s if "ConnID" in m}) == 1
    finally:
        w.stop()


def test_routing_point_default_route(stack, calls):
    w = stack.watch("5012", "7001", "5001")
    try:
        phone = calls.phone("5001", "uas_answer.xml")
        wait_event(w, "5001", "EventDNBackInService")
        uac = calls.call("uac_call.xml", "7001", "5012", d=500)
        wait_event(w, "7001", "EventRouteRequest")
        # Nobody routes: after router-timeout (5 s) the call goes to default-dn 5001.
        wait_event(w, "5001", "EventRinging", timeout=15)
        uac.ok()
        phone.ok()
        wait_event(w, "5001", "EventReleased")
        seqs = sequences(w, stack, ["5012", "7001", "5001"])
        assert names(seqs["7001"]) == ["EventQueued", "EventRouteRequest", "EventRouteUsed",
                                       "EventDiverted"], dump(seqs)
        assert seqs["7001"][2]["ThirdPartyDN"] == "5001"
        assert names(seqs["5012"]) == ["EventDialing", "EventEstablished", "EventReleased"]
        assert names(seqs["5001"]) == ["EventDNBackInService", "EventRinging",
                                       "EventEstablished", "EventReleased"], dump(seqs)
    finally:
        w.stop()


def test_single_step_transfer(stack, calls):
    w = stack.watch("5013", "5014", "5015")
    try:
        b = calls.phone("5014", "uas_answer.xml")
        c = calls.phone("5015", "uas_answer.xml")
        wait_event(w, "5014", "EventDNBackInService")
        wait_event(w, "5015", "EventDNBackInService")
        uac = calls.call("uac_call_wait_bye.xml", "5014", "5013")
        est = wait_event(w, "5014", "EventEstablished")
        r = request(stack, {"message": "RequestSingleStepTransfer", "ThisDN": "5014",
                            "ConnID": est["ConnID"], "OtherDN": "5015"})
        assert r["message"] != "EventError", r
        b.ok()
        est_c = wait_event(w, "5015", "EventEstablished")
        request(stack, {"message": "RequestReleaseCall", "ThisDN": "5015",
                        "ConnID": est_c["ConnID"]})
        uac.ok()
        c.ok()
        wait_event(w, "5013", "EventReleased")
        seqs = sequences(w, stack, ["5013", "5014", "5015"])
        assert names(seqs["5013"]) == ["EventDialing", "EventEstablished", "EventPartyChanged",
                                       "EventReleased"], dump(seqs)
        for dn in ("5014", "5015"):
            assert names(seqs[dn]) == ["EventDNBackInService", "EventRinging",
                                       "EventEstablished", "EventReleased"], dump(seqs)
        changed = seqs["5013"][2]
        assert changed["OtherDN"] == "5015", changed
        assert seqs["5015"][1]["OtherDN"] == "5013", seqs["5015"][1]
    finally:
        w.stop()


def two_step(stack, calls, before_answer):
    w = stack.watch("5016", "5017", "5019")
    try:
        b = calls.phone("5017", "uas_answer.xml", m=2)
        c = calls.phone("5019", "uas_answer.xml", d=2000 if before_answer else 200)
        wait_event(w, "5017", "EventDNBackInService")
        wait_event(w, "5019", "EventDNBackInService")
        uac = calls.call("uac_call_wait_bye.xml", "5017", "5016")
        est = wait_event(w, "5017", "EventEstablished")
        r = request(stack, {"message": "RequestInitiateTransfer", "ThisDN": "5017",
                            "ConnID": est["ConnID"], "OtherDN": "5019"})
        assert r["message"] != "EventError", r
        dialing = wait_event(w, "5017", "EventDialing")
        consult = dialing["ConnID"]
        wait_event(w, "5019", "EventRinging" if before_answer else "EventEstablished")
        r = request(stack, {"message": "RequestCompleteTransfer", "ThisDN": "5017",
                            "ConnID": est["ConnID"], "TransferConnID": consult})
        assert r["message"] != "EventError", r
        b.ok()
        est_c = wait_event(w, "5019", "EventEstablished") if before_answer else None
        request(stack, {"message": "RequestReleaseCall", "ThisDN": "5016",
                        "ConnID": est["ConnID"]})
        uac.ok()
        c.ok()
        wait_event(w, "5019", "EventReleased")
        seqs = sequences(w, stack, ["5016", "5017", "5019"])
        assert names(seqs["5016"]) == ["EventDialing", "EventEstablished", "EventPartyChanged",
                                       "EventReleased"], dump(seqs)
        # Completed before C answered: B's consultation never reached Established.
        consult_est = [] if before_answer else ["EventEstablished"]
        assert names(seqs["5017"]) == ["EventDNBackInService", "EventRinging",
                                       "EventEstablished", "EventHeld", "EventDialing"] + \
            consult_est + ["EventReleased", "EventReleased"], dump(seqs)
        if before_answer:
            assert names(seqs["5019"]) == ["EventDNBackInService", "EventRinging",
                                           "EventPartyChanged", "EventEstablished",
                                           "EventReleased"], dump(seqs)
        else:
            assert names(seqs["5019"]) == ["EventDNBackInService", "EventRinging",
                                           "EventEstablished", "EventPartyChanged",
                                           "EventReleased"], dump(seqs)
        for dn in ("5016", "5019"):
            pc = next(m for m in seqs[dn] if m["message"] == "EventPartyChanged")
            assert pc["ConnID"] == est["ConnID"] and pc["PreviousConnID"] == consult, pc
            assert pc["CallState"] == 1, pc  # Transferred
    finally:
        w.stop()


def test_two_step_transfer_after_answer(stack, calls):
    two_step(stack, calls, before_answer=False)


def test_two_step_transfer_before_answer(stack, calls):
    two_step(stack, calls, before_answer=True)


def test_consultation_then_retrieve(stack, calls):
    w = stack.watch("5016", "5017", "5019")
    try:
        b = calls.phone("5017", "uas_answer.xml", m=2)
        c = calls.phone("5019", "uas_answer.xml")
        wait_event(w, "5017", "EventDNBackInService")
        wait_event(w, "5019", "EventDNBackInService")
        uac = calls.call("uac_call_wait_bye.xml", "5017", "5016")
        est = wait_event(w, "5017", "EventEstablished")
        r = request(stack, {"message": "RequestInitiateTransfer", "ThisDN": "5017",
                            "ConnID": est["ConnID"], "OtherDN": "5019"})
        assert r["message"] != "EventError", r
        consult = wait_event(w, "5017", "EventDialing")["ConnID"]
        wait_event(w, "5019", "EventEstablished")
        request(stack, {"message": "RequestReleaseCall", "ThisDN": "5017", "ConnID": consult})
        wait_event(w, "5019", "EventReleased")
        r = request(stack, {"message": "RequestRetrieveCall", "ThisDN": "5017",
                            "ConnID": est["ConnID"]})
        assert r["message"] != "EventError", r
        wait_event(w, "5017", "EventRetrieved")
        request(stack, {"message": "RequestReleaseCall", "ThisDN": "5017",
                        "ConnID": est["ConnID"]})
        uac.ok()
        b.ok()
        c.ok()
        wait_event(w, "5016", "EventReleased")
        seqs = sequences(w, stack, ["5016", "5017", "5019"])
        assert names(seqs["5016"]) == ["EventDialing", "EventEstablished", "EventReleased"]
        assert names(seqs["5017"]) == [
            "EventDNBackInService", "EventRinging", "EventEstablished", "EventHeld",
            "EventDialing", "EventEstablished", "EventReleased", "EventRetrieved",
            "EventReleased"], dump(seqs)
        assert names(seqs["5019"]) == ["EventDNBackInService", "EventRinging",
                                       "EventEstablished", "EventReleased"], dump(seqs)
        b_seq = seqs["5017"]
        assert b_seq[4]["ConnID"] == consult and b_seq[4]["CallType"] == 4  # Consult
        assert b_seq[6]["ConnID"] == consult and b_seq[7]["ConnID"] == est["ConnID"]
        assert seqs["5019"][1]["ConnID"] == consult
    finally:
        w.stop()


def test_user_data(stack, calls):
    w = stack.watch("5001", "5020")
    try:
        phone = calls.phone("5020", "uas_answer.xml")
        wait_event(w, "5020", "EventDNBackInService")
        uac = calls.call("uac_call_wait_bye.xml", "5020", "5001")
        cid = wait_event(w, "5001", "EventEstablished")["ConnID"]
        wait_event(w, "5020", "EventEstablished")
        for req, ud in (("RequestAttachUserData", {"case": "42", "lang": "en"}),
                        ("RequestUpdateUserData", {"lang": "fr", "prio": 3}),
                        ("RequestDeleteUserData", {"case": ""}),
                        ("RequestDeletePair", {"prio": 3})):
            r = request(stack, {"message": req, "ThisDN": "5001", "ConnID": cid,
                                "UserData": ud})
            assert r["message"] != "EventError", r
            wait_event(w, "5001", "EventAttachedDataChanged")
            wait_event(w, "5020", "EventAttachedDataChanged")
        request(stack, {"message": "RequestReleaseCall", "ThisDN": "5001", "ConnID": cid})
        uac.ok()
        phone.ok()
        wait_event(w, "5020", "EventReleased")
        seqs = sequences(w, stack, ["5001", "5020"])
        changes = [m for m in seqs["5001"] if m["message"] == "EventAttachedDataChanged"]
        assert [m.get("UserData") for m in changes] == [
            {"case": "42", "lang": "en"}, {"case": "42", "lang": "fr", "prio": 3},
            {"lang": "fr", "prio": 3}, {"lang": "fr"}], changes
        assert names(seqs["5001"]) == ["EventDialing", "EventEstablished"] + \
            ["EventAttachedDataChanged"] * 4 + ["EventReleased"], dump(seqs)
        assert names(seqs["5020"]) == ["EventDNBackInService", "EventRinging",
                                       "EventEstablished"] + ["EventAttachedDataChanged"] * 4 + \
            ["EventReleased"], dump(seqs)
    finally:
        w.stop()


def test_call_monitoring(stack, calls):
    """RequestStartCallMonitoring from a WebSocket client: the call-based events."""
    from gwtest import WSClient
    w = stack.watch("5001", "5002")
    ws = WSClient(stack.ws_url)
    try:
        ws.register()
        phone = calls.phone("5002", "uas_answer.xml", d=1000)
        wait_event(w, "5002", "EventDNBackInService")
        uac = calls.call("uac_call_wait_bye.xml", "5002", "5001")
        cid = wait_event(w, "5002", "EventRinging")["ConnID"]
        r = ws.request({"message": "RequestStartCallMonitoring", "ConnID": cid})
        assert r and r["message"] == "EventACK", r
        wait_event(w, "5002", "EventEstablished")
        request(stack, {"message": "RequestAttachUserData", "ThisDN": "5001", "ConnID": cid,
                        "UserData": {"mon": "yes"}})
        request(stack, {"message": "RequestReleaseCall", "ThisDN": "5002", "ConnID": cid})
        uac.ok()
        phone.ok()
        got = []
        while True:
            m = ws.recv(10)
            assert m is not None, got
            got.append(m)
            if m["message"] == "EventCallDeleted":
                break
        assert [(m["message"], m.get("ThisDN")) for m in got] == [
            ("EventCallCreated", None), ("EventCallPartyAdded", "5001"),
            ("EventCallPartyAdded", "5002"), ("EventCallPartyState", "5002"),
            ("EventCallPartyState", "5001"), ("EventCallDataChanged", None),
            ("EventCallPartyDeleted", "5002"), ("EventCallPartyDeleted", "5001"),
            ("EventCallDeleted", None)], got
        assert all(m["ConnID"] == cid for m in got), got
        assert got[5]["UserData"] == {"mon": "yes"}, got[5]
        seqs = sequences(w, stack, ["5001", "5002"])
        assert names(seqs["5001"]) == ["EventDialing", "EventEstablished",
                                       "EventAttachedDataChanged", "EventReleased"], dump(seqs)
        assert names(seqs["5002"]) == ["EventDNBackInService", "EventRinging",
                                       "EventEstablished", "EventAttachedDataChanged",
                                       "EventReleased"], dump(seqs)
    finally:
        ws.close()
        w.stop()


def test_make_call_rfc3725(stack, calls):
    """RequestMakeCall: the gateway rings 5001's phone first (no SDP: late offer), then
    offers 5001's SDP to 5002 and puts 5002's answer in the ACK to 5001."""
    w = stack.watch("5001", "5002")
    try:
        a = calls.phone("5001", "uas_answer.xml", d=100)
        b = calls.phone("5002", "uas_answer.xml", d=300)
        wait_event(w, "5001", "EventDNBackInService")
        wait_event(w, "5002", "EventDNBackInService")
        r = request(stack, {"message": "RequestMakeCall", "ThisDN": "5001", "OtherDN": "5002"})
        assert r["message"] != "EventError", r
        est = wait_event(w, "5002", "EventEstablished")
        wait_event(w, "5001", "EventEstablished")
        request(stack, {"message": "RequestReleaseCall", "ThisDN": "5001",
                        "ConnID": est["ConnID"]})
        a.ok()
        b.ok()
        wait_event(w, "5002", "EventReleased")
        seqs = sequences(w, stack, ["5001", "5002"])
        assert names(seqs["5001"]) == ["EventDNBackInService", "EventDialing",
                                       "EventEstablished", "EventReleased"], dump(seqs)
        assert names(seqs["5002"]) == ["EventDNBackInService", "EventRinging",
                                       "EventEstablished", "EventReleased"], dump(seqs)
        assert seqs["5001"][1]["OtherDN"] == "5002" and seqs["5002"][1]["OtherDN"] == "5001"
        assert stack.wait_log(r"leg 5001: INVITE \S+ \(late offer\)", 1)
    finally:
        w.stop()

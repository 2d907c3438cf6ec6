"""Duplication: dest2=pool:recs puts an independent copy (its own record id) on another
recorder; killing the copy's recorder leaves the main recording On, and says which failed."""
import os

from fotest import (Call, holder, kill9, sidecars, ud_values, wait_for, wait_private,
                    wait_ud)

RECORDERS = [(), ()]


def private(stack, msg_id, connid, ext):
    obj = {"message": "RequestPrivateService", "ThisDN": "5005", "PrivateMsgID": msg_id,
           "ConnID": connid, "Extensions": ext}
    rc, msgs, err = stack.request(obj)
    assert msgs, (rc, err)
    return msgs[-1]


def test_duplicate_on_another_recorder_fails_alone(fo):
    st = fo.stack
    w = st.watch("5002", "5003", "5005")
    c = Call(st, callee="5003", caller="5002")
    try:
        est = w.expect(lambda m: m.get("message") == "EventEstablished" and
                       m.get("ThisDN") == "5003", 10)
        assert est is not None
        r = private(st, 3013, est["ConnID"], {"record": "destination", "id": "dup-1",
                                              "dest2": "pool:recs"})
        assert r["message"] == "EventACK", r
        wait_ud(w, "5003", "GSIP_RECORD", "On")
        main = wait_for(lambda: holder(fo.recs, "dup-1"), what="the main copy")
        dup = wait_for(lambda: holder(fo.recs, "dup-1-2"), what="the duplicate copy")
        assert main is not dup, "both copies on one recorder"
        for rec, rid in ((main, "dup-1"), (dup, "dup-1-2")):
            assert os.path.exists(os.path.join(rec.dir, rid + ".wav")), (rec.name, rid)
        c.talk(50)
        kill9(dup)
        info = wait_private(w, lambda e: "duplicate copy" in e.get("reason", ""),
                            what="the duplicate's failure")
        assert info["Extensions"]["GSIP_RECORD"] == "On", info
        c.talk(100)
        assert ud_values(w, "5003", "GSIP_RECORD") == ["On"], ud_values(w, "5003", "GSIP_RECORD")
        c.hangup()
        side = wait_for(lambda: next((j for j in sidecars(main, "dup-1")
                                      if j["state"] == "ended"), None), what="main copy ends")
        assert side["streams"][0]["first_packet"], side
    finally:
        c.close()
        w.stop()

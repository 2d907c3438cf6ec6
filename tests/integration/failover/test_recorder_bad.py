"""Recorders that answer 200 with an unusable SDP (no audio m= line, port 0, unknown codec),
reject (503) or never answer: each fails over to the next member, the call and GSIP_RECORD
stay; when the last one dies too, GSIP_RECORD goes Off with the reason."""
from fotest import (Call, holder, kill9, sidecars, ud_values, wait_for, wait_private,
                    wait_ud)

FAKES = ["no-audio", "port0", "codec"]
RECORDERS = [("--reject", "503"), ("--answer-delay", "60000"), ()]


def test_bad_recorders_fail_over_then_all_down_is_off(fo):
    st = fo.stack
    good = fo.recs[-1]
    w = st.watch("5001", "5010")
    c = Call(st)
    try:
        on = wait_ud(w, "5010", "GSIP_RECORD", "On")
        rid = on["UserData"]["GSIP_REC_FN"]
        # mediad's recorder INVITE timer (2 s) gives up on the silent one; the good one records.
        wait_for(lambda: holder([good], rid), timeout=30, what=f"recording {rid} on {good.name}")
        for f in fo.fakes:
            assert f.invites == 1, (f.mode, f.invites)
            # The 200 made a dialog: mediad ends it (no session, no ports left behind).
            wait_for(lambda: f.byes == 1, what=f"BYE to {f.name}")
        log = st.log()
        for why in ("malformed SDP", "answer accepts no audio stream",
                    "none of the offered codecs", "answered 503", "did not answer within"):
            assert why in log, why
        c.talk(50)
        assert ud_values(w, "5010", "GSIP_RECORD") == ["On"], ud_values(w, "5010", "GSIP_RECORD")
        # Nobody left for this call: Off with the reason, the call goes on.
        kill9(good)
        off = wait_ud(w, "5010", "GSIP_RECORD", "Off", timeout=20)
        assert "all recorders failed" in off["UserData"]["GSIP_RECORD_REASON"], off["UserData"]
        wait_private(w, lambda e: "all recorders failed" in e.get("reason", ""))
        c.talk(50)
        assert sidecars(good, rid)
        c.hangup()
    finally:
        c.close()
        w.stop()

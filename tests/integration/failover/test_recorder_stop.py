"""recorder-failover = false: a recorder killed mid-call stops the recording (Off, reason),
nobody else takes over, the call goes on."""
from fotest import (Call, holder, kill9, sidecars, wait_for, wait_private, wait_ud)

RECORDERS = [(), ()]
STACK_OPTS = ["--gateway-opt", "recorder-failover=false"]


def test_recorder_killed_with_failover_off_stops(fo):
    st = fo.stack
    w = st.watch("5001", "5010")
    c = Call(st)
    try:
        on = wait_ud(w, "5010", "GSIP_RECORD", "On")
        rid = on["UserData"]["GSIP_REC_FN"]
        old = wait_for(lambda: holder(fo.recs, rid), what="a recorder holding the recording")
        other = next(r for r in fo.recs if r is not old)
        c.talk(50)
        kill9(old)
        off = wait_ud(w, "5010", "GSIP_RECORD", "Off", timeout=20)
        reason = off["UserData"]["GSIP_RECORD_REASON"]
        assert "keepalive" in reason or "OPTIONS" in reason, reason
        assert "all recorders failed" not in reason, reason
        wait_private(w, lambda e: e.get("GSIP_RECORD") == "Off" and e.get("reason"))
        c.talk(50)  # the call lives
        assert not sidecars(other, rid)
        c.hangup()
    finally:
        c.close()
        w.stop()

"""mediad full (it refuses a leg with 503, no ports left): the next mediad of the pool takes
the call's legs, the recording starts there; the full one stays in service (not broken)."""
import re

from fotest import Call, sidecars, ud_values, wait_for, wait_ud

MEDIADS = [("--max-ports", "1"), ()]  # md0: one port pair, so the second leg gets 503
RECORDERS = [()]


def test_full_mediad_next_member_takes_the_call(fo):
    st = fo.stack
    full, spare = fo.mds
    w = st.watch("5001", "5010")
    c = Call(st)
    try:
        try:
            on = wait_ud(w, "5010", "GSIP_RECORD", "On", timeout=20)
        except AssertionError:
            print(st.log()[-6000:])
            raise
        rid = on["UserData"]["GSIP_REC_FN"]
        wait_for(lambda: sidecars(fo.recs[0], rid), what="the recording")
        log = st.log()
        assert re.search(rf"mediad {re.escape(full.uri)} lost \(mediad refused the leg \(SIP 503\)\)"
                         rf", failing over to {re.escape(spare.uri)}", log), log[-3000:]
        assert f"({full.uri}) out of service" not in log  # full is not broken
        c.talk(50)
        assert ud_values(w, "5010", "GSIP_RECORD") == ["On"]
        c.hangup()
    finally:
        c.close()
        w.stop()

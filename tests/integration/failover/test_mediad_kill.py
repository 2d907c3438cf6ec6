"""mediad killed (-9) mid-call: the OPTIONS monitor finds it out of service, the parties are
re-INVITEd to the other mediad and the recording goes on with the same record id; the media
lost (kill -> first packet of the new session at the recorder) is printed."""
import re
import time

from fotest import (Call, first_packet, kill9, psql, segments, sidecars, ud_values, wait_for,
                    wait_private, wait_ud)

MEDIADS = [(), ()]
RECORDERS = [()]


def mediad_of_call(st, mds):
    """The mediad the gateway inserted (its last msml INVITE names the address)."""
    hits = re.findall(r"INVITE sip:msml=\w+@127\.0\.0\.1:(\d+)", st.log())
    port = int(hits[-1]) if hits else None
    return next((m for m in mds if m.port == port), None)


def test_mediad_killed_mid_call_parties_move_recording_goes_on(fo):
    st = fo.stack
    rec = fo.recs[0]
    w = st.watch("5001", "5010")
    c = Call(st)
    try:
        on = wait_ud(w, "5010", "GSIP_RECORD", "On")
        rid = on["UserData"]["GSIP_REC_FN"]
        wait_for(lambda: sidecars(rec, rid), what="the recording")
        old = wait_for(lambda: mediad_of_call(st, fo.mds), what="the call's mediad")
        c.talk(50)
        t_kill = time.time()
        kill9(old)
        info = wait_private(w, lambda e: "mediad failover" in e.get("reason", ""), timeout=30,
                            what="the mediad failover report")
        assert info["Extensions"]["GSIP_RECORD"] == "On", info
        assert mediad_of_call(st, fo.mds) is not old
        # The parties hear each other again through the new mediad.
        c.talk(100, timeout=20)
        wait_for(lambda: len(sidecars(rec, rid)) == 2, what="the re-established session")
        assert ud_values(w, "5010", "GSIP_RECORD") == ["On"], ud_values(w, "5010", "GSIP_RECORD")
        c.hangup()
        new = wait_for(lambda: next((j for j in sidecars(rec, rid) if j["state"] == "ended"
                                     and first_packet(j) and first_packet(j) > t_kill), None),
                       what="the new session to end")
        wait_for(lambda: psql(st, f"select state from recordings where record_id='{rid}'")
                 == "completed", what="recordings row completed")
        segs = segments(st, rid)
        assert [x.split(":", 1)[0] for x in segs] == ["start", "resume", "stop"], segs
        assert "mediad failover" in segs[1], segs
        now = mediad_of_call(st, fo.mds)
        assert psql(st, f"select mediad from recordings where record_id='{rid}'") == \
            now.uri[len("sip:"):]
        lost = (first_packet(new) - t_kill) * 1000
        print(f"\nmediad kill -9: {info['Extensions']['reason']}; media lost at the recorder "
              f"(kill -> first packet of the new session): {lost:.0f} ms")
    finally:
        c.close()
        w.stop()

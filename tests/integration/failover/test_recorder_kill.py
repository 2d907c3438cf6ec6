"""Recorder killed (-9) mid-call: the next pool member records on, same record id, gap printed."""
import time

from fotest import (Call, first_packet, holder, kill9, psql, segments, sidecars, ud_values,
                    wait_for, wait_private, wait_ud)

RECORDERS = [(), ()]


def test_recorder_killed_mid_call_next_member_takes_over(fo):
    st = fo.stack
    w = st.watch("5001", "5010")
    c = Call(st)
    try:
        on = wait_ud(w, "5010", "GSIP_RECORD", "On")
        rid = on["UserData"]["GSIP_REC_FN"]  # default template: the file name is the id
        old = wait_for(lambda: holder(fo.recs, rid), what="a recorder holding the recording")
        new = next(r for r in fo.recs if r is not old)
        c.talk(50)
        t_kill = time.time()
        kill9(old)
        info = wait_private(w, lambda e: "gap-ms" in e, what="the failover report")
        assert new.uri in info["Extensions"]["reason"], info
        wait_for(lambda: sidecars(new, rid), what=f"recording {rid} on {new.name}")
        c.talk(100)
        # The indication never dropped: On all along (Off only comes with the hangup).
        assert ud_values(w, "5010", "GSIP_RECORD") == ["On"], ud_values(w, "5010", "GSIP_RECORD")
        c.hangup()
        side = wait_for(lambda: next((j for j in sidecars(new, rid) if j["state"] == "ended"),
                                     None), what="the new recording to end")
        fp = first_packet(side)
        assert fp is not None, side
        # Database: the failure and the takeover (with the gap) are segments; the row names
        # the new recorder.
        wait_for(lambda: psql(st, f"select state from recordings where record_id='{rid}'")
                 == "completed", what="recordings row completed")
        segs = segments(st, rid)
        assert [x.split(":", 1)[0] for x in segs] == ["start", "fail", "resume", "stop"], segs
        assert "ms of media not recorded" in segs[2], segs
        assert psql(st, f"select recorder from recordings where record_id='{rid}'") == new.uri
        print(f"\nrecorder kill: {info['Extensions']['reason']}; "
              f"kill -> first packet recorded: {(fp - t_kill) * 1000:.0f} ms")
    finally:
        c.close()
        w.stop()

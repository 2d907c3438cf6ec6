"""A recorder that answered and then goes silent (SIGSTOP: its socket is there, nothing
answers, no ICMP): mediad's keepalive OPTIONS goes unanswered, the session fails and the
other member takes over with the same record id; GSIP_RECORD stays On."""
import signal

from fotest import Call, holder, sidecars, ud_values, wait_for, wait_private, wait_ud

RECORDERS = [(), ()]


def test_silent_recorder_fails_over(fo):
    st = fo.stack
    w = st.watch("5001", "5010")
    c = Call(st)
    old = None
    try:
        on = wait_ud(w, "5010", "GSIP_RECORD", "On")
        rid = on["UserData"]["GSIP_REC_FN"]
        old = wait_for(lambda: holder(fo.recs, rid), what="a recorder holding the recording")
        new = next(r for r in fo.recs if r is not old)
        c.talk(50)
        old.proc.send_signal(signal.SIGSTOP)
        info = wait_private(w, lambda e: "gap-ms" in e, what="the failover report")
        assert new.uri in info["Extensions"]["reason"], info
        assert "did not answer keepalive OPTIONS" in st.log(), st.log()[-2000:]
        wait_for(lambda: sidecars(new, rid), what=f"recording {rid} on {new.name}")
        c.talk(50)
        assert ud_values(w, "5010", "GSIP_RECORD") == ["On"], ud_values(w, "5010", "GSIP_RECORD")
        c.hangup()
    finally:
        if old is not None:
            old.proc.send_signal(signal.SIGCONT)  # let it shut down cleanly
        c.close()
        w.stop()

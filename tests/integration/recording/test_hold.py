"""A phone's own hold / retrieve re-INVITEs while mediad is in the path go to mediad."""
from rectest import TONE_A, TONE_B, Call, dominant, read_wav, ud_changes, wait_for, \
    wait_recording_done, wait_ud


def answers(phone):
    return sum(1 for e in phone.events if e == (200, "INVITE"))


def test_hold_and_retrieve_by_the_phone_on_a_recorded_call(stack):
    w = stack.watch("5001", "5010")
    c = Call(stack)
    try:
        on = wait_ud(w, "5010", "GSIP_RECORD", "On")
        wait_for(lambda: c.a.reinvites >= 1, what="5001 moved to mediad")
        media = c.a.remote_media
        c.a.reinvite("sendonly")
        wait_for(lambda: answers(c.a) == 2, what="200 to the hold re-INVITE")
        w.expect(lambda m: m.get("message") == "EventHeld" and m.get("ThisDN") == "5001", 10)
        # answered by mediad (same media address), not forwarded to 5010's phone
        assert c.a.remote_media == media
        assert c.b.reinvites == 1, c.b.events
        c.a.reinvite("sendrecv")
        wait_for(lambda: answers(c.a) == 3, what="200 to the retrieve re-INVITE")
        w.expect(lambda m: m.get("message") == "EventRetrieved" and m.get("ThisDN") == "5001",
                 10)
        base = c.b.rx_packets
        wait_for(lambda: c.b.rx_packets > base + 100, what="audio after the retrieve")
        c.hangup()
        wait_ud(w, "5010", "GSIP_RECORD", "Off")
        assert ud_changes(w, "5010", "GSIP_RECORD") == ["On", "Off"]
        s = wait_recording_done(stack, on["UserData"]["GSIP_REC_FN"])
        ch, chans = read_wav(stack.env["RECORDER_DIR"] + "/" + s["wav"]["file"])
        n = len(chans[0])
        assert dominant(chans[0][n - 6000:n - 2000]) == TONE_B
        assert dominant(chans[1][n - 6000:n - 2000]) == TONE_A
    finally:
        c.close()
        w.stop()

"""A call that ends right after GSIP_RECORD=On (recorder INVITE still pending): the recorder's
session ends with the call (CANCEL, or ACK+BYE on its late 200), not at recorder shutdown."""
from rectest import Call, wait_recording_done, wait_ud

RECORDER_OPTS = "--answer-delay 200"


def test_hangup_while_recorder_invite_pending(stack):
    for _ in range(3):
        w = stack.watch("5001", "5010")
        c = Call(stack)
        try:
            on = wait_ud(w, "5010", "GSIP_RECORD", "On")
            c.hangup()
            side = wait_recording_done(stack, on["UserData"]["GSIP_REC_FN"], timeout=30)
            assert side["end_reason"] in ("cancelled", "bye"), side
        finally:
            c.close()
            w.stop()

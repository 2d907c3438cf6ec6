"""Pre-recording "shortly after the end" (docs/recording.md "Pre-recording"): DN 6400 has
pre-recording = true; its calls are kept as mediad's local WAV (mediad --local-dir) and a
START during the call or within pre-recording-window-ms after it keeps the file."""
import os
import shutil
import tempfile

from arectest import db
from rectest import (TONE_A, TONE_B, dominant, gw_addr, read_wav, recua, ud_changes, wait_for,
                     wait_ud)

START = 3013
WINDOW_MS = 3000
LOCAL = tempfile.mkdtemp(prefix="prerec-")
MEDIAD_OPTS = "--local-dir " + LOCAL
STACK_OPTS = ("--gateway-opt", f"pre-recording-window-ms={WINDOW_MS}",
              "--gateway-opt", f"pre-recording-dir={LOCAL}")
_extra = tempfile.NamedTemporaryFile("w", prefix="prerec-", suffix=".conf", delete=False)
_extra.write("[dn 6400]\ntype = Extension\npre-recording = true\n")
_extra.close()
STACK_GATEWAY_EXTRA = _extra.name


def teardown_module(_):
    os.unlink(STACK_GATEWAY_EXTRA)
    shutil.rmtree(LOCAL, ignore_errors=True)


def psql(stack, sql):
    return "\n".join("|".join(r) for r in db.psql(stack.env["PGURL"], sql, timeout=20))


def start(stack, connid, this_dn="6400"):
    rc, msgs, err = stack.request({"message": "RequestPrivateService", "ThisDN": this_dn,
                                   "PrivateMsgID": START, "ConnID": connid})
    assert msgs, (rc, err)
    return msgs[-1]


class PreCall:
    """5001 calls 6400 (pre-recording); both send their tone; the local WAV appears."""

    def __init__(self, stack):
        self.w = stack.watch("5001", "6400")
        self.b = recua.Phone("6400", gw_addr(stack), TONE_B)
        assert self.b.register() == 200
        self.a = recua.Phone("5001", gw_addr(stack), TONE_A)
        self.a.call("6400")
        assert self.a.wait_answered() == 200
        est = self.w.expect(lambda m: m.get("message") == "EventEstablished"
                            and m.get("ThisDN") == "6400", 10)
        self.connid, self.uuid = est["ConnID"], est["CallUUID"]
        self.id = self.uuid + "_pre"
        self.path = os.path.join(LOCAL, self.id + ".wav")
        wait_for(lambda: os.path.exists(self.path), what="the local pre-recording file")
        base = self.a.rx_packets
        wait_for(lambda: self.a.rx_packets > base + 100, what="audio through mediad")

    def hangup(self):
        self.a.hangup()
        self.b.wait(lambda e: e[0] == "bye", what="BYE at 6400")
        self.w.expect(lambda m: m.get("message") == "EventReleased"
                      and m.get("ThisDN") == "6400", 10)

    def close(self):
        self.a.close()
        self.b.close()
        self.w.stop()


def check_wav(path):
    ch, chans = read_wav(path)
    mid = len(chans[0]) // 2
    assert ch == 2
    assert dominant(chans[0][mid - 2000:mid + 2000]) == TONE_B  # recordDN 6400
    assert dominant(chans[1][mid - 2000:mid + 2000]) == TONE_A  # 5001


def test_unclaimed_prerecording_is_deleted_after_the_window(stack):
    c = PreCall(stack)
    try:
        c.hangup()
        # no indication at all: nobody asked for a recording
        assert ud_changes(c.w, "6400", "GSIP_RECORD") == []
        assert ud_changes(c.w, "5001", "GSIP_RECORD") == []
        wait_for(lambda: not os.path.exists(c.path), timeout=WINDOW_MS / 1000 + 15,
                 what="the unclaimed pre-recording deleted")
        assert stack.wait_log(r"pre-recording %s deleted \(no START within the window\)"
                              % c.id), stack.log()[-2000:]
        # after the window the ConnID is unknown, as for any ended call
        m = start(stack, c.connid)
        assert m["message"] == "EventError" and m["ErrorCode"] == 301, m
        assert psql(stack, f"select count(*) from recordings where record_id='{c.id}'") == "0"
    finally:
        c.close()


def test_start_after_the_call_keeps_the_file_and_during_the_call_claims_it(stack):
    after = PreCall(stack)
    try:
        after.hangup()
        m = start(stack, after.connid)
        assert m["message"] == "EventACK", m
        info = after.w.expect(lambda m: m.get("message") == "EventPrivateInfo"
                              and m.get("ThisDN") == "6400", 10)
        assert info["Extensions"]["GSIP_REC_FN"] == after.id, info
    finally:
        after.close()
    during = PreCall(stack)
    try:
        m = start(stack, during.connid)
        assert m["message"] == "EventACK", m
        on = wait_ud(during.w, "6400", "GSIP_RECORD", "On")
        assert on["UserData"]["GSIP_REC_FN"] == during.id
        wait_ud(during.w, "5001", "GSIP_RECORD", "On")
        during.hangup()
        assert ud_changes(during.w, "5001", "GSIP_RECORD") == ["On", "Off"]
    finally:
        during.close()
    # A third, unclaimed call ends after both: once its file is deleted, the windows of
    # the two claimed ones are over too, and their files are still there.
    last = PreCall(stack)
    try:
        last.hangup()
        wait_for(lambda: not os.path.exists(last.path), timeout=WINDOW_MS / 1000 + 15,
                 what="the unclaimed pre-recording deleted")
    finally:
        last.close()
    for rid, path in ((after.id, after.path), (during.id, during.path)):
        assert os.path.exists(path), path
        check_wav(path)
        wait_for(lambda: psql(stack, f"select state, started_by, recorded_dn, other_dn from "
                                     f"recordings where record_id='{rid}'")
                 == "completed|dynamic|6400|5001", what=f"recordings row of {rid}")

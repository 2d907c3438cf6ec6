"""Full-time recording (record=true on DN 5010): real SIP phones, mediad and the recorder."""
from arectest import db
from rectest import (TONE_A, TONE_B, Call, dominant, read_wav, ud_changes, wait_for,
                     wait_recording_done, wait_ud)


def psql(stack, sql):
    """psql -At output (rows joined by newlines) of one query against the stack's database."""
    return "\n".join("|".join(r) for r in db.psql(stack.env["PGURL"], sql, timeout=20))


def test_full_time_call_is_recorded_with_each_party_on_its_channel(stack):
    w = stack.watch("5001", "5010")
    c = Call(stack)
    try:
        on = wait_ud(w, "5010", "GSIP_RECORD", "On")
        wait_ud(w, "5001", "GSIP_RECORD", "On")
        fn = on["UserData"]["GSIP_REC_FN"]
        assert on["UserData"]["RECORDING_STATUS_GIM"] == "RECORDING_YES"
        # both phones were moved to mediad (one re-INVITE each) and still hear each other
        wait_for(lambda: c.a.reinvites >= 1 and c.b.reinvites >= 1, what="re-INVITEs to mediad")
        base = c.a.rx_packets
        wait_for(lambda: c.a.rx_packets > base + 100, what="audio through mediad")
        c.hangup()
        wait_ud(w, "5010", "GSIP_RECORD", "Off")
        assert ud_changes(w, "5010", "GSIP_RECORD") == ["On", "Off"]
        assert ud_changes(w, "5001", "GSIP_RECORD") == ["On", "Off"]
        side = wait_recording_done(stack, fn)
        assert side["params"]["recordDN"] == "5010" and side["params"]["otherDN"] == "5001"
        assert side["params"]["calluuid"] == on["CallUUID"]
        ch, chans = read_wav(stack.env["RECORDER_DIR"] + "/" + side["wav"]["file"])
        assert ch == 2
        # channel 1 = recordDN 5010 (sends TONE_B), channel 2 = 5001 (sends TONE_A);
        # look at the middle second to skip start-up edges
        mid = len(chans[0]) // 2
        assert dominant(chans[0][mid - 4000:mid + 4000]) == TONE_B
        assert dominant(chans[1][mid - 4000:mid + 4000]) == TONE_A
        # the database has the recording, completed, and its segments
        rid = fn
        wait_for(lambda: psql(stack, f"select state from recordings where record_id='{rid}'")
                 == "completed", what="recordings row completed")
        row = psql(stack, f"select recorded_dn, other_dn, started_by, connid from recordings "
                          f"where record_id='{rid}'")
        assert row == f"5010|5001|full-time|{on['ConnID']}", row
        segs = psql(stack, f"select string_agg(event, ',' order by at) from recording_segments "
                           f"where record_id='{rid}'")
        assert segs == "start,stop", segs
    finally:
        c.close()
        w.stop()


def test_calls_between_plain_dns_are_not_recorded(stack):
    w = stack.watch("5002", "5003")
    c = Call(stack, callee="5003", caller="5002")
    try:
        base = c.a.rx_packets
        wait_for(lambda: c.a.rx_packets > base + 25, what="audio")
        c.hangup()
        w.expect(lambda m: m.get("message") == "EventReleased" and m.get("ThisDN") == "5003", 10)
        assert ud_changes(w, "5003", "GSIP_RECORD") == []
        assert c.a.reinvites == 0 and c.b.reinvites == 0
    finally:
        c.close()
        w.stop()


def test_record_filename_template(stack):
    # The template expansion is observable through GSIP_REC_FN on a stack configured
    # with recording-filename; this stack uses the default ($ID$): the file is the id.
    w = stack.watch("5010")
    c = Call(stack)
    try:
        on = wait_ud(w, "5010", "GSIP_RECORD", "On")
        assert on["UserData"]["GSIP_REC_FN"].startswith(on["CallUUID"] + "_")
        c.talk()
        c.hangup()
        wait_recording_done(stack, on["UserData"]["GSIP_REC_FN"])
    finally:
        c.close()
        w.stop()

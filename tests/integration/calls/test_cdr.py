"""A real SIP call's CDR rows in PostgreSQL match the T-Lib events tlibctl saw (issue 7)."""
import time

from arectest import db
from callstest import names, request, sequences, wait_event


def psql(stack, sql):
    """Rows of one query against the stack's private PostgreSQL, as lists of strings."""
    return db.psql(stack.env["PGURL"], sql, timeout=20)


def wait_rows(stack, sql, want, timeout=15):
    """Poll until the query returns `want` rows (the writer is asynchronous); bounded."""
    end = time.monotonic() + timeout
    rows = []
    while time.monotonic() < end:
        rows = psql(stack, sql)
        if len(rows) >= want:
            return rows
        time.sleep(0.1)
    raise AssertionError(f"expected {want} rows for {sql!r}, got {rows}")


def test_call_rows_match_events(stack, calls):
    w = stack.watch("5001", "5006")
    try:
        phone = calls.phone("5006", "uas_answer_bye.xml", d=1500)
        wait_event(w, "5006", "EventDNBackInService")
        uac = calls.call("uac_call_wait_bye.xml", "5006", "5001")
        est = wait_event(w, "5001", "EventEstablished")
        connid = est["ConnID"]
        answer = request(stack, {"message": "RequestAttachUserData", "ThisDN": "5001",
                                 "ConnID": connid, "UserData": {"case": "it's \"quoted\""}})
        assert answer["message"] == "EventAttachedDataChanged", answer
        uac.ok()
        phone.ok()
        wait_event(w, "5001", "EventReleased")
        seqs = sequences(w, stack, ["5001", "5006"])
        assert names(seqs["5001"]) == ["EventDialing", "EventEstablished",
                                      "EventAttachedDataChanged", "EventReleased"], seqs["5001"]
        call_uuid = next(m["CallUUID"] for m in seqs["5001"] if "CallUUID" in m)
    finally:
        w.stop()

    call = wait_rows(stack, "SELECT call_uuid, call_type, ani, dnis, answered_at IS NOT NULL, "
                     f"ended_at IS NOT NULL FROM calls WHERE connid = '{connid}' "
                     "AND ended_at IS NOT NULL", 1)
    assert call == [[call_uuid, "Internal", "5001", "5006", "t", "t"]], call
    parties = wait_rows(stack, "SELECT dn, role, left_at IS NOT NULL FROM parties "
                        f"WHERE connid = '{connid}' AND left_at IS NOT NULL ORDER BY dn", 2)
    assert parties == [["5001", "Origination", "t"], ["5006", "Destination", "t"]], parties
    data = wait_rows(stack, "SELECT op, key, value FROM call_user_data "
                     f"WHERE connid = '{connid}'", 1)
    assert data == [["add", "case", "it's \"quoted\""]], data

"""The database writer against a real PostgreSQL: migrations, flows, outages, restarts, bad input."""
import os
import signal

from conftest import psql, scalar, table_counts, wait_for

TABLES = ["calls", "parties", "call_user_data", "recordings", "recording_segments",
          "tone_settings", "screen_capture_events", "islinks", "tlib_events"]


def assert_tables_match(url, driver):
    exp = driver.expected()
    assert set(exp) == set(TABLES)
    assert table_counts(url, TABLES) == exp
    # Upserts converged on the final state of every call and recording.
    n = exp["calls"]
    assert int(scalar(url, "SELECT count(*) FROM calls WHERE ended_at IS NOT NULL "
                           "AND end_cause = 'normal' AND answered_at IS NOT NULL")) == n
    assert int(scalar(url, "SELECT count(*) FROM parties WHERE left_at IS NULL")) == 0
    assert int(scalar(url, "SELECT count(*) FROM recordings WHERE state IN "
                           "('active', 'paused') OR ended_at IS NULL")) == 0


def test_migrations_from_empty_and_reapplied(db, driver):
    assert driver.run(db, "--migrate-only") == 0
    rows = psql(db, "SELECT version, name FROM schema_version ORDER BY version")
    assert rows[0] == ["1", "001_core"]
    assert ["2", "002_report_views"] in rows
    tables = {r[0] for r in psql(db, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
    assert set(TABLES) | {"schema_version"} <= tables
    # Re-applied (even with schema_version emptied, the files themselves are idempotent).
    assert driver.run(db, "--migrate-only") == 0
    psql(db, "DELETE FROM schema_version")
    assert driver.run(db, "--migrate-only") == 0
    assert psql(db, "SELECT count(*) FROM schema_version") == [[str(len(rows))]]


def test_constraints_keep_bad_data_out(db, driver):
    assert driver.run(db, "--migrate-only") == 0
    bad = [
        "INSERT INTO calls (connid, call_uuid, site, call_type, started_at, write_id) "
        "VALUES ('not-hex', 'u', 's', 'Inbound', now(), 'w')",
        "INSERT INTO calls (connid, call_uuid, site, call_type, started_at, write_id) "
        "VALUES ('00000000000000aa', 'u', 's', 'Sideways', now(), 'w')",
        "INSERT INTO calls (connid, call_uuid, site, call_type, started_at, ended_at, write_id) "
        "VALUES ('00000000000000aa', 'u', 's', 'Inbound', now(), now() - interval '1 h', 'w')",
        "INSERT INTO recordings (record_id, connid, call_uuid, recorded_dn, side, started_by, "
        "state, started_at, write_id) VALUES ('r', '00000000000000aa', 'u', '1', 'both', "
        "'full-time', 'failed', now(), 'w')",
        "INSERT INTO recording_segments (write_id, record_id, event, at) "
        "VALUES ('w', 'r', 'explode', now())",
    ]
    for sql in bad:
        try:
            psql(db, sql)
        except AssertionError as e:
            assert "violates check constraint" in str(e)
        else:
            raise AssertionError(f"accepted: {sql}")


def test_flow_rows_match_and_bad_input_stored_safely(db, driver):
    assert driver.run(db, "--calls", 200, "--bad") == 0
    st = driver.status()
    assert st["rejected"] == "0" and st["dropped"] == "0"
    assert_tables_match(db, driver)
    # Quotes stored verbatim through parameters (and the table is still there).
    assert scalar(db, "SELECT value FROM call_user_data WHERE key = 'Note' LIMIT 1") == \
        "O'Brien said \"hi\"; DROP TABLE calls; --"
    # 64 KiB value intact.
    assert scalar(db, "SELECT min(length(value)) FROM call_user_data WHERE key = 'Big'") == "65536"
    # Binary (NUL-free) value: escaped text plus the exact bytes in value_raw.
    raw = scalar(db, "SELECT encode(value_raw, 'hex') FROM call_user_data "
                     "WHERE key = 'Binary' LIMIT 1")
    assert raw == bytes(range(1, 256)).hex()
    assert scalar(db, "SELECT count(*) FROM call_user_data WHERE key = 'Binary' "
                      "AND value LIKE '%\\xff'") == "20"
    # Non-UTF-8 ANI and DN escaped as \xNN, never refused.
    assert scalar(db, "SELECT ani FROM calls WHERE connid = 'a000000000000000'") == \
        "+1555\\xff\\xfe0000000"
    assert scalar(db, "SELECT count(*) FROM parties WHERE dn = '50\\x80 01'") == "20"
    assert "stored escaped" in driver.log_text()


def test_replay_is_idempotent(db, driver):
    """The same flow written twice (a full replay) leaves the same rows."""
    assert driver.run(db, "--calls", 50) == 0
    first = table_counts(db, TABLES)
    assert driver.run(db, "--calls", 50) == 0  # new write ids, same natural keys
    after = table_counts(db, TABLES)
    for t in ("calls", "parties", "recordings", "islinks"):
        assert after[t] == first[t]


def test_postgres_stopped_mid_flow(cluster, db, driver):
    assert driver.run(db, "--migrate-only") == 0
    p = driver.start(db, "--calls", 600, "--rate", 200, "--timeout", 120)
    try:
        wait_for(lambda: int(driver.status().get("generated", 0)) >= 100, 30, "100 calls")
        cluster.stop()
        try:
            wait_for(lambda: int(driver.status().get("journaled", 0)) > 0, 30,
                     "rows in the journal")
            wait_for(lambda: int(driver.status().get("generated", 0)) >= 300, 30, "300 calls")
        finally:
            cluster.start()
        assert p.wait(timeout=120) == 0
    finally:
        if p.poll() is None:
            p.kill()
    st = driver.status()
    assert int(st["journaled"]) > 0 and int(st["replayed"]) > 0
    assert int(st["connects"]) >= 2
    assert st["rejected"] == "0" and st["dropped"] == "0"
    assert_tables_match(db, driver)
    assert os.path.getsize(driver.journal) == 8  # replayed and emptied


def test_killed_with_rows_in_journal_then_replayed(cluster, db, driver):
    assert driver.run(db, "--migrate-only") == 0
    cluster.stop()
    try:
        p = driver.start(db, "--calls", 300, "--hold")
        wait_for(lambda: driver.status().get("done") == "1", 30, "all calls generated")
        wait_for(lambda: int(driver.status().get("journaled", 0)) ==
                 int(driver.status().get("submitted", -1)), 30, "every row journaled")
        expected = driver.expected()
        submitted = int(driver.status()["submitted"])
        p.send_signal(signal.SIGKILL)
        p.wait(timeout=10)
        assert os.path.getsize(driver.journal) > 100000
    finally:
        cluster.start()
    # A new process (new write ids) replays the old one's journal.
    assert driver.run(db, "--calls", 0) == 0
    st = driver.status()
    assert int(st["replayed"]) == submitted  # every journaled row, upserts included
    assert table_counts(db, TABLES) == expected
    assert os.path.getsize(driver.journal) == 8


def test_corrupted_journal_good_records_replayed(cluster, db, driver):
    assert driver.run(db, "--migrate-only") == 0
    cluster.stop()
    try:
        p = driver.start(db, "--calls", 100, "--hold")
        wait_for(lambda: driver.status().get("done") == "1", 30, "all calls generated")
        wait_for(lambda: int(driver.status().get("journaled", 0)) ==
                 int(driver.status().get("submitted", -1)), 30, "every row journaled")
        p.send_signal(signal.SIGKILL)
        p.wait(timeout=10)
    finally:
        cluster.start()
    size = os.path.getsize(driver.journal)
    with open(driver.journal, "r+b") as f:  # damage the middle, cut the tail
        f.seek(size // 2)
        f.write(b"\xde\xad\xbe\xef" * 8)
        f.truncate(size - 7)
    assert driver.run(db, "--calls", 0) == 0
    log = driver.log_text()
    assert "damaged region at offsets" in log
    calls = int(scalar(db, "SELECT count(*) FROM calls"))
    assert 90 <= calls <= 100
    assert int(scalar(db, "SELECT count(*) FROM tlib_events")) >= 95


def test_slow_database_spills_to_journal(db, driver):
    """More rows waiting than queue-max-rows: they go through the journal, none lost."""
    assert driver.run(db, "--calls", 300, "--rate", 300, "--queue-max", 5) == 0
    st = driver.status()
    assert int(st["journaled"]) > 0 and int(st["replayed"]) == int(st["journaled"])
    assert st["dropped"] == "0"
    assert "is slow: rows go to the journal" in driver.log_text()
    assert "journal replayed; writing directly again" in driver.log_text()
    assert_tables_match(db, driver)


def test_journal_bound_logged_and_enforced(cluster, db, driver):
    cluster.stop()
    try:
        p = driver.start(db, "--calls", 200, "--hold", "--journal-max", 65536)
        wait_for(lambda: driver.status().get("done") == "1", 30, "all calls generated")
        st = driver.status()
        p.send_signal(signal.SIGTERM)
        assert p.wait(timeout=20) == 0
    finally:
        cluster.start()
    assert int(st["dropped"]) > 0
    assert int(st["journaled"]) + int(st["dropped"]) == int(st["submitted"])
    assert os.path.getsize(driver.journal) <= 65536
    log = driver.log_text()
    assert "80% full" in log and "is full" in log and "DROPPED" in log


def test_refused_rows_logged_and_their_batch_resent(db, driver):
    assert driver.run(db, "--calls", 100, "--reject", 10) == 0
    st = driver.status()
    assert st["rejected"] == "10" and st["dropped"] == "0"
    log = driver.log_text()
    assert log.count("call row refused by the database (SQLSTATE 23514") == 10
    assert_tables_match(db, driver)

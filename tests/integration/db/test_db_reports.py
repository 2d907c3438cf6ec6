"""Each reporting query in sql/ on generated data, checked against what the generator did."""
import datetime
import os
from collections import Counter, defaultdict

import pytest

from conftest import REPO, psql

N = 300
T0 = 1700000000  # the driver's first call, seconds since the epoch


def sqlfile(name):
    return os.path.join(REPO, "sql", name)


def calls():
    """The driver's generation rules (tests/integration/db/gwdb_driver.c, gen_call)."""
    for i in range(N):
        yield dict(i=i, connid="%016x" % (0xa000000000000000 + i), uuid="uuid-%08d" % i,
                   rec="rec-%08d" % i, agent="agent%d" % (i % 5), dn="50%02d" % (i % 20 + 1),
                   t=T0 + i * 600, recorded=i % 4 != 3, failed=i % 7 == 0, paused=i % 3 == 0,
                   mediad="mediad%d" % (i % 2), recorder="rec%d" % (i % 3))


@pytest.fixture(scope="module")
def rdb(cluster, tmp_path_factory):
    from conftest import Driver
    url = cluster.new_db()
    d = Driver(tmp_path_factory.mktemp("reports"))
    assert d.run(url, "--calls", N) == 0
    # Two more sites: uuid-00000000 went to siteB over its ISLink, and on to siteC.
    psql(url, """
        INSERT INTO calls (connid, call_uuid, site, call_type, started_at, write_id) VALUES
          ('b000000000000000', 'uuidB-0', 'siteB', 'Inbound', arec_ts(1700000001000000), 'x1'),
          ('c000000000000000', 'uuidC-0', 'siteC', 'Inbound', arec_ts(1700000002000000), 'x2');
        INSERT INTO islinks (islink_id, site, call_uuid, connid, location_name, direction_role,
                             created_at, write_id) VALUES
          ('isl-00000000', 'siteB', 'uuidB-0', 'b000000000000000', 'siteA', 'destination',
           arec_ts(1700000001000000), 'x3'),
          ('isl-b-c', 'siteB', 'uuidB-0', 'b000000000000000', 'siteC', 'origination',
           arec_ts(1700000001500000), 'x4'),
          ('isl-b-c', 'siteC', 'uuidC-0', 'c000000000000000', 'siteB', 'destination',
           arec_ts(1700000002000000), 'x5');
    """)
    return url


def test_recordings_per_agent_per_day(rdb):
    exp = Counter()
    done = Counter()
    for c in calls():
        if c["recorded"]:
            day = datetime.datetime.fromtimestamp(c["t"] + 10, datetime.timezone.utc).date()
            exp[(c["agent"], str(day))] += 1
            done[(c["agent"], str(day))] += not c["failed"]
    rows = psql(rdb, file=sqlfile("recordings_per_agent_per_day.sql"))
    got = {(r[0], r[1]): (int(r[2]), int(r[3])) for r in rows}
    assert got == {k: (v, done[k]) for k, v in exp.items()}
    assert len({r[1] for r in rows}) >= 3  # the data spans several days


def test_compliance_gap(rdb):
    exp = [c["connid"] for c in calls() if not c["recorded"] or c["failed"]]
    rows = psql(rdb, file=sqlfile("compliance_gap.sql"))
    assert [r[0] for r in rows] == exp
    by = {r[0]: r for r in rows}
    failed = next(c for c in calls() if c["recorded"] and c["failed"])
    assert by[failed["connid"]][6] == failed["rec"] + ":failed"
    unrec = next(c for c in calls() if not c["recorded"])
    assert by[unrec["connid"]][6] == ""
    assert by[unrec["connid"]][5] == unrec["agent"]


def test_paused_per_recording(rdb):
    rows = psql(rdb, file=sqlfile("paused_per_recording.sql"))
    got = {r[0]: (int(r[3]), float(r[4])) for r in rows}
    exp = {c["rec"]: (1, 20.0) if c["paused"] else (0, 0.0) for c in calls() if c["recorded"]}
    assert got == exp


def test_paused_per_agent(rdb):
    exp = defaultdict(lambda: [0, 0, 0.0])
    for c in calls():
        if c["recorded"]:
            e = exp[c["agent"]]
            e[0] += 1
            e[1] += c["paused"]
            e[2] += 20.0 if c["paused"] else 0.0
    rows = psql(rdb, file=sqlfile("paused_per_agent.sql"))
    assert {r[0]: [int(r[1]), int(r[2]), float(r[3])] for r in rows} == dict(exp)


def test_recorder_utilisation(rdb):
    exp = Counter((c["recorder"], c["mediad"]) for c in calls() if c["recorded"])
    rows = psql(rdb, file=sqlfile("recorder_utilisation.sql"))
    assert {(r[0], r[1]): int(r[2]) for r in rows} == dict(exp)
    assert all(r[3] == "0" and float(r[4]) == 290.0 * int(r[2]) for r in rows)


def test_failures_by_reason(rdb):
    n = sum(1 for c in calls() if c["recorded"] and c["failed"])
    rows = psql(rdb, file=sqlfile("failures_by_reason.sql"))
    assert [(r[0], int(r[1]), int(r[2])) for r in rows] == [("recorder-timeout", n, n)]


def test_call_trace_across_sites(rdb):
    for start in ("uuid-00000000", "uuidC-0"):
        rows = psql(rdb, file=sqlfile("call_trace.sql"), variables={"call_uuid": start})
        assert {r[0] for r in rows} == {"uuid-00000000", "uuidB-0", "uuidC-0"}
        assert {r[1] for r in rows} == {"siteA", "siteB", "siteC"}
        assert any(r[0] == "uuid-00000000" and r[8] == "rec-00000000" for r in rows)
    rows = psql(rdb, file=sqlfile("call_trace.sql"), variables={"call_uuid": "uuid-00000001"})
    assert [(r[0], r[1], r[3]) for r in rows] == [("uuid-00000001", "siteA", "")]


def test_recording_files(rdb):
    for key in ("uuid-00000001", "a000000000000001"):
        rows = psql(rdb, file=sqlfile("recording_files.sql"), variables={"id": key})
        assert [(r[0], r[4], r[9]) for r in rows] == \
            [("rec-00000001", "/rec/rec-00000001.wav", "completed")]
    assert psql(rdb, file=sqlfile("recording_files.sql"), variables={"id": "uuid-00000003"}) == []
    # A hostile value is only ever a parameter value.
    assert psql(rdb, file=sqlfile("recording_files.sql"),
                variables={"id": "x' OR '1'='1"}) == []
